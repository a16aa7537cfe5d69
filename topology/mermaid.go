package topology

import (
	"strconv"
	"strings"
)

// Mermaid returns the topology as a Mermaid flowchart (https://mermaid.js.org), for
// documentation and reviews: one subgraph per sub-topology ("Sub-topology 0", and "Sub-topology
// N (global store)" for a global store), sources, processors and sinks as boxes, topics as
// stadium-shaped nodes outside the subgraphs, feeding the sources that read them and fed by
// the sinks that write them (so a topic written in one sub-topology and read in another links
// the two), and state stores as cylinders inside their sub-topology, linked to their
// processors by dotted edges. A source's pattern is drawn as a topic node labeled /pattern/,
// and a sink's TopicChooser as one labeled with the chooser's name.
//
// The output is deterministic: nodes and edges follow Describe's order. Node ids are the
// names with every character other than ASCII letters and digits replaced by '_', prefixed by
// their kind (n_ for nodes, t_ for topics, s_ for stores) and suffixed with _2, _3, ... when
// two names would collide; labels keep the names, with '"', '#', '<' and '>' written as
// Mermaid entity codes.
func (t *Topology) Mermaid() string {
	d := t.Describe()
	m := mermaid{ids: map[string]string{}, taken: map[string]bool{}}

	type block struct {
		id     int
		global bool
		nodes  []NodeDescription
	}
	var blocks []block
	for _, s := range d.Subtopologies {
		blocks = append(blocks, block{id: s.ID, nodes: s.Nodes})
	}
	for _, g := range d.GlobalStores {
		blocks = append(blocks, block{id: g.ID, global: true, nodes: []NodeDescription{g.Source, g.Processor}})
	}
	// Subtopologies and global stores, merged by id.
	for i := 1; i < len(blocks); i++ {
		for j := i; j > 0 && blocks[j].id < blocks[j-1].id; j-- {
			blocks[j], blocks[j-1] = blocks[j-1], blocks[j]
		}
	}

	var sb strings.Builder
	sb.WriteString("flowchart LR\n")
	// Topics first, at the top level, so that they stay out of the subgraphs.
	for _, b := range blocks {
		for _, n := range b.nodes {
			switch {
			case n.Kind == SourceNode && n.Pattern != nil && len(n.Topics) == 0:
				m.declare(&sb, "    ", "p:"+n.Name, "t_", n.Pattern.String(), `(["/`, `/"])`)
			case n.Kind == SourceNode:
				for _, tp := range n.Topics {
					m.declare(&sb, "    ", "t:"+tp, "t_", tp, `(["`, `"])`)
				}
			case n.Kind == SinkNode && n.TopicChooser != "":
				m.declare(&sb, "    ", "c:"+n.Name, "t_", n.TopicChooser, `(["`, `"])`)
			case n.Kind == SinkNode:
				m.declare(&sb, "    ", "t:"+n.Topic, "t_", n.Topic, `(["`, `"])`)
			}
		}
	}
	for _, b := range blocks {
		label := "Sub-topology " + strconv.Itoa(b.id)
		if b.global {
			label += " (global store)"
		}
		sb.WriteString("    subgraph sub_" + strconv.Itoa(b.id) + ` ["` + mermaidLabel(label) + "\"]\n")
		for _, n := range b.nodes {
			m.declare(&sb, "        ", "n:"+n.Name, "n_", n.Name, `["`, `"]`)
		}
		for _, n := range b.nodes {
			for _, st := range n.Stores {
				m.declare(&sb, "        ", "s:"+st, "s_", st, `[("`, `")]`)
			}
		}
		sb.WriteString("    end\n")
	}
	for _, b := range blocks {
		for _, n := range b.nodes {
			id := m.ids["n:"+n.Name]
			switch n.Kind {
			case SourceNode:
				if n.Pattern != nil && len(n.Topics) == 0 {
					m.edge(&sb, m.ids["p:"+n.Name], " --> ", id)
				}
				for _, tp := range n.Topics {
					m.edge(&sb, m.ids["t:"+tp], " --> ", id)
				}
			case ProcessorNode:
				for _, st := range n.Stores {
					m.edge(&sb, id, " -.- ", m.ids["s:"+st])
				}
			case SinkNode:
				if n.TopicChooser != "" {
					m.edge(&sb, id, " --> ", m.ids["c:"+n.Name])
				} else {
					m.edge(&sb, id, " --> ", m.ids["t:"+n.Topic])
				}
			}
			for _, s := range n.Successors {
				m.edge(&sb, id, " --> ", m.ids["n:"+s])
			}
		}
	}
	return sb.String()
}

// mermaid assigns unique Mermaid ids to topics, nodes and stores.
type mermaid struct {
	ids   map[string]string // "t:<topic>", "p:<source>", "c:<sink>", "n:<node>", "s:<store>" -> id
	taken map[string]bool
}

// declare writes the declaration of the element keyed key, the first time it is met.
func (m *mermaid) declare(sb *strings.Builder, indent, key, prefix, label, open, close string) {
	if _, ok := m.ids[key]; ok {
		return
	}
	id := prefix + mermaidID(label)
	if m.taken[id] {
		base := id
		for i := 2; m.taken[id]; i++ {
			id = base + "_" + strconv.Itoa(i)
		}
	}
	m.taken[id] = true
	m.ids[key] = id
	sb.WriteString(indent + id + open + mermaidLabel(label) + close + "\n")
}

func (m *mermaid) edge(sb *strings.Builder, from, arrow, to string) {
	if from == "" || to == "" {
		return
	}
	sb.WriteString("    " + from + arrow + to + "\n")
}

// mermaidID keeps ASCII letters and digits and replaces every other character with '_'.
func mermaidID(name string) string {
	var sb strings.Builder
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

// mermaidLabel escapes the characters a quoted Mermaid label cannot hold as entity codes.
var mermaidLabelEscaper = strings.NewReplacer(`"`, "#quot;", "#", "#35;", "<", "#lt;", ">", "#gt;")

func mermaidLabel(s string) string { return mermaidLabelEscaper.Replace(s) }
