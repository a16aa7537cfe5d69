package topology

import (
	"cmp"
	"math"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tributary-go/tributary/internal/engine"
)

// NodeKind is the kind of a node in a Description.
type NodeKind int

const (
	// SourceNode reads records from topics.
	SourceNode NodeKind = iota
	// ProcessorNode processes records.
	ProcessorNode
	// SinkNode writes records to a topic.
	SinkNode
)

// String returns "Source", "Processor" or "Sink", as Kafka prints them.
func (k NodeKind) String() string {
	switch k {
	case SourceNode:
		return "Source"
	case ProcessorNode:
		return "Processor"
	case SinkNode:
		return "Sink"
	}
	return "NodeKind(" + strconv.Itoa(int(k)) + ")"
}

// NodeDescription describes one node of a topology (Kafka's TopologyDescription.Node and its
// Source, Processor and Sink sub-interfaces). The lists are in the order Kafka prints them.
type NodeDescription struct {
	// Kind is the kind of node.
	Kind NodeKind
	// Name is the node's name.
	Name string
	// Topics are the topics a source reads, in the order Kafka prints them (that of a Java
	// HashSet); nil for a source reading a Pattern and for other nodes.
	Topics []string
	// Pattern is the pattern a source subscribes to, or nil.
	Pattern *regexp.Regexp
	// Stores are the state stores a processor is connected to, in the order Kafka prints
	// them (that of a Java HashSet).
	Stores []string
	// Topic is the topic a sink writes to; empty for a sink with a TopicChooser.
	Topic string
	// TopicChooser is the name of a sink's TopicChooser (Sink.ChooserName), printed where
	// Kafka prints the TopicNameExtractor; empty for a sink with a fixed Topic.
	TopicChooser string
	// Successors are the names of the node's children (none for a sink), in Kafka's order:
	// by sub-tree size descending, then by name, as the sizes stood when each was added
	// (so not always the order of the sub-topology's Nodes).
	Successors []string
	// Predecessors are the names of the node's parents (none for a source), in the same
	// kind of order as Successors.
	Predecessors []string
}

// String returns the node as Kafka's TopologyDescription prints it, on two or three lines
// (the first without indentation, the edge lines indented by six spaces), with no final
// newline.
func (n NodeDescription) String() string {
	var sb strings.Builder
	switch n.Kind {
	case SourceNode:
		sb.WriteString("Source: ")
		sb.WriteString(n.Name)
		sb.WriteString(" (topics: ")
		if n.Pattern != nil && len(n.Topics) == 0 {
			sb.WriteString(n.Pattern.String())
		} else {
			writeList(&sb, n.Topics)
		}
		sb.WriteString(")\n      --> ")
		sb.WriteString(nodeNames(n.Successors))
	case SinkNode:
		sb.WriteString("Sink: ")
		sb.WriteString(n.Name)
		if n.TopicChooser != "" {
			sb.WriteString(" (extractor class: ")
			sb.WriteString(n.TopicChooser)
		} else {
			sb.WriteString(" (topic: ")
			sb.WriteString(n.Topic)
		}
		sb.WriteString(")\n      <-- ")
		sb.WriteString(nodeNames(n.Predecessors))
	default:
		sb.WriteString("Processor: ")
		sb.WriteString(n.Name)
		sb.WriteString(" (stores: ")
		writeList(&sb, n.Stores)
		sb.WriteString(")\n      --> ")
		sb.WriteString(nodeNames(n.Successors))
		sb.WriteString("\n      <-- ")
		sb.WriteString(nodeNames(n.Predecessors))
	}
	return sb.String()
}

// writeList writes a collection as Java's AbstractCollection.toString does: "[a, b]".
func writeList(sb *strings.Builder, items []string) {
	sb.WriteByte('[')
	sb.WriteString(strings.Join(items, ", "))
	sb.WriteByte(']')
}

// nodeNames joins names with ", ", or returns "none" (Kafka's nodeNames).
func nodeNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// SubtopologyDescription describes a sub-topology: a connected group of nodes that runs as
// tasks (Kafka's TopologyDescription.Subtopology).
type SubtopologyDescription struct {
	// ID is the sub-topology's id, the first part of its task ids.
	ID int
	// Nodes are its nodes, by sub-tree size descending and then by name, as Kafka orders
	// them (so sources usually come first).
	Nodes []NodeDescription
}

// Node returns the node named name, and whether the sub-topology has it.
func (s SubtopologyDescription) Node(name string) (NodeDescription, bool) {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return NodeDescription{}, false
}

// String returns the block Kafka prints for the sub-topology: a "Sub-topology: <id>" line,
// its nodes indented by four spaces, and a blank line.
func (s SubtopologyDescription) String() string {
	var sb strings.Builder
	sb.WriteString("Sub-topology: ")
	sb.WriteString(strconv.Itoa(s.ID))
	sb.WriteByte('\n')
	for _, n := range s.Nodes {
		sb.WriteString("    ")
		sb.WriteString(n.String())
		sb.WriteByte('\n')
	}
	sb.WriteByte('\n')
	return sb.String()
}

// GlobalStoreDescription describes a global store: the source reading its topic and the
// processor writing into it (Kafka's TopologyDescription.GlobalStore). Its ID comes from the
// same counter as the sub-topologies', but it runs no tasks.
type GlobalStoreDescription struct {
	// ID is the id of the global store's group.
	ID int
	// Source reads the store's topic (Source.Topics holds it).
	Source NodeDescription
	// Processor writes the records into the store (Processor.Stores holds its name).
	Processor NodeDescription
}

// String returns the block Kafka prints for the global store: a "Sub-topology: <id> for
// global store (will not generate tasks)" line and the source and the processor indented
// by four spaces, with no blank line after them.
func (g GlobalStoreDescription) String() string {
	return "Sub-topology: " + strconv.Itoa(g.ID) + " for global store (will not generate tasks)\n" +
		"    " + g.Source.String() + "\n" +
		"    " + g.Processor.String() + "\n"
}

// Description describes a topology's structure (Kafka's TopologyDescription): its
// sub-topologies and global stores, each in ascending id. Walk it to inspect the graph, or
// print it with String.
type Description struct {
	// Subtopologies are the sub-topologies that run as tasks, by ascending id.
	Subtopologies []SubtopologyDescription
	// GlobalStores are the global stores, by ascending id.
	GlobalStores []GlobalStoreDescription
}

// String returns the description in the exact text format of Kafka Streams'
// TopologyDescription.toString(): a "Topologies:" header, then the sub-topologies and
// global stores merged by ascending id. An empty topology prints "Topologies:\n " (with the
// trailing space, as Kafka does).
func (d *Description) String() string {
	var sb strings.Builder
	sb.WriteString("Topologies:\n ")
	if d == nil {
		return sb.String()
	}
	subs := slices.Clone(d.Subtopologies)
	slices.SortStableFunc(subs, func(a, b SubtopologyDescription) int { return cmp.Compare(a.ID, b.ID) })
	globals := slices.Clone(d.GlobalStores)
	slices.SortStableFunc(globals, func(a, b GlobalStoreDescription) int { return cmp.Compare(a.ID, b.ID) })
	// Kafka merges the two lists with a counter of the expected id.
	si, gi, expected := 0, 0, 0
	for si < len(subs) && gi < len(globals) {
		sb.WriteString("  ")
		if subs[si].ID == expected {
			sb.WriteString(subs[si].String())
			si++
		} else {
			sb.WriteString(globals[gi].String())
			gi++
		}
		expected++
	}
	for ; si < len(subs); si++ {
		sb.WriteString("  ")
		sb.WriteString(subs[si].String())
	}
	for ; gi < len(globals); gi++ {
		sb.WriteString("  ")
		sb.WriteString(globals[gi].String())
	}
	return sb.String()
}

// Describe returns the structure of the topology (Kafka's Topology.describe()). Its String
// prints what Kafka Streams prints for the same topology, character for character: the
// sub-topology ids, the order of nodes, of their successors and predecessors, and of their
// topics and stores are computed as Kafka's InternalTopologyBuilder computes them, including
// the Java HashSet/HashMap iteration orders and TreeSet insertions these depend on.
func (t *Topology) Describe() *Description {
	d := &Description{}
	if t == nil || t.g == nil {
		return d
	}
	for _, sub := range t.g.Subtopologies {
		d.Subtopologies = append(d.Subtopologies, describeSubtopology(sub))
	}
	for _, sub := range t.g.Globals {
		if g, ok := describeGlobalStore(sub); ok {
			d.GlobalStores = append(d.GlobalStores, g)
		}
	}
	slices.SortStableFunc(d.Subtopologies, func(a, b SubtopologyDescription) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(d.GlobalStores, func(a, b GlobalStoreDescription) int { return cmp.Compare(a.ID, b.ID) })
	return d
}

// describeNode returns a node's description without its edges (Kafka's NodeFactory.describe).
func describeNode(s *engine.NodeSpec) NodeDescription {
	n := NodeDescription{Name: s.Name}
	switch s.Kind {
	case engine.Source:
		n.Kind = SourceNode
		n.Pattern = s.Pattern
		if len(s.Topics) > 0 {
			// new HashSet<>(Arrays.asList(topics))
			n.Topics = javaHashSetOrder(s.Topics, javaCopyCapacity(len(s.Topics)))
		}
	case engine.Sink:
		n.Kind = SinkNode
		if s.TopicChooser != "" {
			n.TopicChooser = s.TopicChooser
		} else {
			n.Topic = s.Topic
		}
	default:
		n.Kind = ProcessorNode
		// new HashSet<>(stateStoreNames), a HashSet filled in connection order.
		stores := javaHashSetOrder(s.Stores, javaGrowCapacity(len(s.Stores)))
		n.Stores = javaHashSetOrder(stores, javaCopyCapacity(len(stores)))
	}
	return n
}

// describeSubtopology follows Kafka's InternalTopologyBuilder.describeSubtopology: nodes are
// put in a HashMap by name, then connected to their predecessors in that map's iteration
// order, each predecessor's sub-tree size (and its ancestors') growing by the node's size
// at that moment. The successor and predecessor sets are TreeSets whose comparator reads
// those changing sizes, so they are emulated with Java's red-black tree, insertion for
// insertion.
func describeSubtopology(sub *engine.Subtopology) SubtopologyDescription {
	n := len(sub.Nodes)
	names := make([]string, n)
	index := make(map[string]int, n)
	for i, s := range sub.Nodes {
		names[i] = s.Name
		index[s.Name] = i
	}
	sizes := make([]int32, n)
	for i := range sizes {
		sizes[i] = 1
	}
	// NodeComparator: 0 for the same node, then size descending (Java int subtraction,
	// which wraps), then name ascending (String.compareTo).
	compare := func(a, b int) int {
		if a == b {
			return 0
		}
		if sizes[a] != sizes[b] {
			return cmp.Compare(sizes[b]-sizes[a], 0)
		}
		return javaCompareStrings(names[a], names[b])
	}
	preds := make([]*javaTreeSet, n)
	succs := make([]*javaTreeSet, n)
	for i := range n {
		preds[i] = &javaTreeSet{compare: compare}
		succs[i] = &javaTreeSet{compare: compare}
	}
	// HashMap<String, AbstractNode> nodesByName, filled from the group's HashSet, which was
	// filled in creation order.
	order := javaHashOrderIndexes(names, javaGrowCapacity(n))
	for _, i := range order {
		for _, pn := range sub.Nodes[i].Parents {
			p, ok := index[pn]
			if !ok {
				continue
			}
			preds[i].add(p)
			succs[p].add(i)
			updateSize(preds, sizes, p, sizes[i])
		}
	}
	nodes := &javaTreeSet{compare: compare}
	for _, i := range order {
		nodes.add(i)
	}
	d := SubtopologyDescription{ID: sub.ID}
	for _, i := range nodes.items() {
		nd := describeNode(sub.Nodes[i])
		nd.Successors = namesOf(names, succs[i].items())
		nd.Predecessors = namesOf(names, preds[i].items())
		d.Nodes = append(d.Nodes, nd)
	}
	return d
}

// updateSize adds delta to the size of node and, recursively, of its predecessors, as
// Kafka's updateSize does: an ancestor reached along k paths grows by k×delta (in int32,
// wrapping as Java does). Paths are counted instead of walked, so that diamonds do not make
// it exponential.
func updateSize(preds []*javaTreeSet, sizes []int32, node int, delta int32) {
	// Reverse post-order of a walk along predecessors: every node before its predecessors.
	var post []int
	seen := map[int]bool{}
	var visit func(int)
	visit = func(x int) {
		seen[x] = true
		for _, p := range preds[x].items() {
			if !seen[p] {
				visit(p)
			}
		}
		post = append(post, x)
	}
	visit(node)
	paths := map[int]uint32{node: 1}
	for i := len(post) - 1; i >= 0; i-- {
		x := post[i]
		for _, p := range preds[x].items() {
			paths[p] += paths[x]
		}
	}
	for x, k := range paths {
		sizes[x] += int32(uint32(delta) * k)
	}
}

func namesOf(names []string, idx []int) []string {
	if len(idx) == 0 {
		return nil
	}
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = names[j]
	}
	return out
}

// describeGlobalStore follows Kafka's describeGlobalStore: in the group's HashSet order, the
// first global source is the source, and the first remaining node the processor; the store
// is the first of the processor's stores.
func describeGlobalStore(sub *engine.Subtopology) (GlobalStoreDescription, bool) {
	names := make([]string, len(sub.Nodes))
	for i, s := range sub.Nodes {
		names[i] = s.Name
	}
	order := javaHashOrderIndexes(names, javaGrowCapacity(len(names)))
	src := -1
	for k, i := range order {
		if s := sub.Nodes[i]; s.Kind == engine.Source && s.Global && len(s.Topics) == 1 {
			src = i
			order = slices.Delete(order, k, k+1)
			break
		}
	}
	if src < 0 || len(order) == 0 {
		return GlobalStoreDescription{}, false
	}
	source, proc := sub.Nodes[src], sub.Nodes[order[0]]
	g := GlobalStoreDescription{
		ID:        sub.ID,
		Source:    NodeDescription{Kind: SourceNode, Name: source.Name, Topics: []string{source.Topics[0]}, Successors: []string{proc.Name}},
		Processor: NodeDescription{Kind: ProcessorNode, Name: proc.Name, Predecessors: []string{source.Name}},
	}
	if stores := javaHashSetOrder(proc.Stores, javaGrowCapacity(len(proc.Stores))); len(stores) > 0 {
		g.Processor.Stores = []string{stores[0]}
	} else {
		g.Processor.Stores = []string{}
	}
	return g, true
}

// --- Java emulation -------------------------------------------------------------------

// javaStringHash is Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code
// units, in wrapping 32-bit arithmetic.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			h = 31*h + int32(r1)
			h = 31*h + int32(r2)
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// javaCompareStrings is Java's String.compareTo: lexicographic over UTF-16 code units (the
// result's sign only).
func javaCompareStrings(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// javaBucket is the bucket of a String key in a java.util.HashMap table of capacity
// capacity (a power of two): (h ^ (h >>> 16)) & (capacity - 1).
func javaBucket(s string, capacity int) int {
	h := uint32(javaStringHash(s))
	return int((h ^ h>>16) & uint32(capacity-1))
}

// javaGrowCapacity is the table capacity of a HashMap or HashSet created empty and given n
// distinct keys one by one: 16, doubled whenever the size exceeds 0.75×capacity.
func javaGrowCapacity(n int) int {
	c := 16
	for n > c*3/4 {
		c *= 2
	}
	return c
}

// javaCopyCapacity is the table capacity of new HashSet<>(c) for a collection of n elements,
// as JDK 19 and later compute it: HashMap.newHashMap(max(n, 12)), i.e. the smallest power of
// two at least ceil(max(n, 12)/0.75). (JDK 17 used max(int(n/0.75f)+1, 16), which differs
// only when n is 12×2^k.)
func javaCopyCapacity(n int) int {
	c := int(math.Ceil(float64(max(n, 12)) / 0.75))
	if c <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(c-1))
}

// javaHashOrderIndexes returns the indexes of the distinct keys in the iteration order of a
// java.util.HashMap of capacity capacity into which keys were inserted in the given order:
// by bucket, then (within a bucket) by insertion order, which resizes preserve. Duplicate
// keys keep their first position. Treeified buckets (8 or more colliding keys) are ignored.
func javaHashOrderIndexes(keys []string, capacity int) []int {
	seen := make(map[string]bool, len(keys))
	type entry struct{ bucket, index int }
	var es []entry
	for i, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		es = append(es, entry{javaBucket(k, capacity), i})
	}
	slices.SortStableFunc(es, func(a, b entry) int { return cmp.Compare(a.bucket, b.bucket) })
	out := make([]int, len(es))
	for i, e := range es {
		out[i] = e.index
	}
	return out
}

// javaHashSetOrder returns the distinct keys in the iteration order of a java.util.HashSet of
// capacity capacity filled in the given order.
func javaHashSetOrder(keys []string, capacity int) []string {
	if len(keys) == 0 {
		return nil
	}
	idx := javaHashOrderIndexes(keys, capacity)
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = keys[j]
	}
	return out
}

// javaTreeSet is java.util.TreeSet (a TreeMap, i.e. a red-black tree) of node indexes with
// a comparator that may change its mind after an insertion, as Kafka's NodeComparator does
// when sizes grow. Insertion descends the tree comparing with the current comparator and
// rebalances exactly as java.util.TreeMap does, so that the iteration order matches Java's
// even when the elements are no longer sorted under the current comparator.
type javaTreeSet struct {
	root    *rbEntry
	compare func(a, b int) int
}

type rbEntry struct {
	key                 int
	left, right, parent *rbEntry
	black               bool
}

// add inserts key unless the descent meets an element the comparator finds equal
// (TreeMap.put).
func (t *javaTreeSet) add(key int) bool {
	if t.root == nil {
		t.root = &rbEntry{key: key, black: true}
		return true
	}
	var parent *rbEntry
	c := 0
	for e := t.root; e != nil; {
		parent = e
		c = t.compare(key, e.key)
		switch {
		case c < 0:
			e = e.left
		case c > 0:
			e = e.right
		default:
			return false
		}
	}
	e := &rbEntry{key: key, parent: parent, black: true}
	if c < 0 {
		parent.left = e
	} else {
		parent.right = e
	}
	t.fixAfterInsertion(e)
	return true
}

// items returns the keys in order (an in-order walk).
func (t *javaTreeSet) items() []int {
	var out []int
	var walk func(*rbEntry)
	walk = func(e *rbEntry) {
		if e == nil {
			return
		}
		walk(e.left)
		out = append(out, e.key)
		walk(e.right)
	}
	walk(t.root)
	return out
}

func parentOf(e *rbEntry) *rbEntry {
	if e == nil {
		return nil
	}
	return e.parent
}

func leftOf(e *rbEntry) *rbEntry {
	if e == nil {
		return nil
	}
	return e.left
}

func rightOf(e *rbEntry) *rbEntry {
	if e == nil {
		return nil
	}
	return e.right
}

func isBlack(e *rbEntry) bool { return e == nil || e.black }

func setBlack(e *rbEntry, black bool) {
	if e != nil {
		e.black = black
	}
}

func (t *javaTreeSet) rotateLeft(p *rbEntry) {
	if p == nil {
		return
	}
	r := p.right
	p.right = r.left
	if r.left != nil {
		r.left.parent = p
	}
	r.parent = p.parent
	switch {
	case p.parent == nil:
		t.root = r
	case p.parent.left == p:
		p.parent.left = r
	default:
		p.parent.right = r
	}
	r.left = p
	p.parent = r
}

func (t *javaTreeSet) rotateRight(p *rbEntry) {
	if p == nil {
		return
	}
	l := p.left
	p.left = l.right
	if l.right != nil {
		l.right.parent = p
	}
	l.parent = p.parent
	switch {
	case p.parent == nil:
		t.root = l
	case p.parent.right == p:
		p.parent.right = l
	default:
		p.parent.left = l
	}
	l.right = p
	p.parent = l
}

// fixAfterInsertion is TreeMap.fixAfterInsertion ("From CLR").
func (t *javaTreeSet) fixAfterInsertion(x *rbEntry) {
	x.black = false
	for x != nil && x != t.root && !x.parent.black {
		if parentOf(x) == leftOf(parentOf(parentOf(x))) {
			y := rightOf(parentOf(parentOf(x)))
			if !isBlack(y) {
				setBlack(parentOf(x), true)
				setBlack(y, true)
				setBlack(parentOf(parentOf(x)), false)
				x = parentOf(parentOf(x))
			} else {
				if x == rightOf(parentOf(x)) {
					x = parentOf(x)
					t.rotateLeft(x)
				}
				setBlack(parentOf(x), true)
				setBlack(parentOf(parentOf(x)), false)
				t.rotateRight(parentOf(parentOf(x)))
			}
		} else {
			y := leftOf(parentOf(parentOf(x)))
			if !isBlack(y) {
				setBlack(parentOf(x), true)
				setBlack(y, true)
				setBlack(parentOf(parentOf(x)), false)
				x = parentOf(parentOf(x))
			} else {
				if x == leftOf(parentOf(x)) {
					x = parentOf(x)
					t.rotateRight(x)
				}
				setBlack(parentOf(x), true)
				setBlack(parentOf(parentOf(x)), false)
				t.rotateLeft(parentOf(parentOf(x)))
			}
		}
	}
	t.root.black = true
}
