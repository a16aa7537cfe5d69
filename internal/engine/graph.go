// Package engine is the task engine shared by the TopologyTestDriver and the Kafka runtime: the
// compiled graph of a topology (built by package topology), and tasks that run records
// through its nodes synchronously, keep stream time, fire punctuations, and own the stores.
//
// Nodes are generic and typed: a record goes from node to node as a processor.Record[K, V]
// through interface calls, with no reflection and no boxing. Types are checked once, when a
// parent is connected to its children.
package engine

import (
	"errors"
	"regexp"
	"slices"

	"github.com/tributary-go/tributary/store"
)

// ErrTaskClosed is returned by a processor context used after its task closed (a processor
// that forwards or schedules from Close or later).
var ErrTaskClosed = errors.New("task is closed")

// Kind is the kind of a node.
type Kind int

// The node kinds.
const (
	Source Kind = iota
	Processor
	Sink
)

// NodeSpec describes one node of the graph and knows how to create its runtime form.
type NodeSpec struct {
	Kind    Kind
	Name    string
	Parents []string // in the order given
	Stores  []string // stores connected to a processor, in the order connected

	// Sources.
	Topics  []string
	Pattern *regexp.Regexp
	// OffsetReset is the source's auto.offset.reset policy: 0 the consumer's default, 1
	// earliest, 2 latest (topology.OffsetReset).
	OffsetReset int
	// Match is Pattern anchored at both ends: a topic is read when its whole name matches,
	// as Kafka's Pattern.matcher(topic).matches().
	Match *regexp.Regexp

	// Sinks: a fixed topic, or a chooser (TopicChooser names it in Describe).
	Topic        string
	TopicChooser string

	// InType and OutType name the record types, for error messages ("string, int64").
	InType, OutType string

	// New creates the runtime node for one task from its spec (s itself, or the copy a
	// graph resolved for an application holds).
	New func(s *NodeSpec) Node
	// Out is a value of type marker[KOut, VOut] (nil for sinks); Accepts reports whether the
	// node can receive records from a parent whose Out is out.
	Out     any
	Accepts func(out any) bool

	// Global marks the source and processor of a global store.
	Global bool
}

// StoreSpec is a store and the processors connected to it.
type StoreSpec struct {
	Builder    store.Builder
	Processors []string
	Global     bool
	// GlobalTopic is the topic a global store is restored from.
	GlobalTopic string
}

// Subtopology is a connected component of the graph: the unit of tasks.
type Subtopology struct {
	ID     int
	Global bool        // the source and processor of a global store: no tasks
	Nodes  []*NodeSpec // in creation order
	Stores []string
	// SourceTopics are the topics its sources read, sorted.
	SourceTopics []string
}

// Graph is a compiled topology.
type Graph struct {
	Nodes         []*NodeSpec // every node, in creation order
	ByName        map[string]*NodeSpec
	Children      map[string][]string // successors of each node, in creation order
	Stores        map[string]*StoreSpec
	StoreOrder    []string
	Subtopologies []*Subtopology
	// Globals are the groups of global stores (a source and a processor each); their ids
	// come from the same counter as the sub-topologies', as in Kafka.
	Globals []*Subtopology
	// Internal are the topics the topology owns (repartition topics), by their names in
	// the topology; at run time they are "<application.id>-<name>" (ForApplication).
	Internal map[string]InternalTopic
}

// InternalTopic is a topic a topology creates and owns (Kafka's InternalTopicConfig).
type InternalTopic struct {
	// Partitions is the partition count; 0 means that of the sub-topology writing to it
	// (its source topics' maximum), as Kafka sizes repartition topics.
	Partitions int
	// Config are the topic configs (Kafka's RepartitionTopicConfig for repartition topics).
	Config map[string]string
}

// ForApplication returns the graph with every internal topic renamed
// "<applicationID>-<name>" in its sources, sinks, sub-topologies and Internal (Kafka's
// InternalTopologyBuilder.decorateTopic); the graph itself is unchanged. A graph without
// internal topics is returned as is.
func (g *Graph) ForApplication(applicationID string) *Graph {
	if len(g.Internal) == 0 {
		return g
	}
	rename := func(t string) string {
		if _, ok := g.Internal[t]; ok {
			return applicationID + "-" + t
		}
		return t
	}
	out := *g
	out.ByName = make(map[string]*NodeSpec, len(g.ByName))
	out.Nodes = make([]*NodeSpec, len(g.Nodes))
	specs := map[*NodeSpec]*NodeSpec{}
	for i, n := range g.Nodes {
		c := *n
		c.Topics = make([]string, len(n.Topics))
		for j, t := range n.Topics {
			c.Topics[j] = rename(t)
		}
		if n.Topic != "" {
			c.Topic = rename(n.Topic)
		}
		out.Nodes[i], out.ByName[c.Name], specs[n] = &c, &c, &c
	}
	copySubs := func(subs []*Subtopology) []*Subtopology {
		res := make([]*Subtopology, len(subs))
		for i, s := range subs {
			c := *s
			c.Nodes = make([]*NodeSpec, len(s.Nodes))
			for j, n := range s.Nodes {
				c.Nodes[j] = specs[n]
			}
			c.SourceTopics = make([]string, len(s.SourceTopics))
			for j, t := range s.SourceTopics {
				c.SourceTopics[j] = rename(t)
			}
			slices.Sort(c.SourceTopics)
			res[i] = &c
		}
		return res
	}
	out.Subtopologies = copySubs(g.Subtopologies)
	out.Globals = copySubs(g.Globals)
	out.Internal = make(map[string]InternalTopic, len(g.Internal))
	for name, t := range g.Internal {
		out.Internal[rename(name)] = t
	}
	return &out
}

// marker is a type token: a value of marker[K, V] stands for records of Record[K, V].
type marker[K, V any] struct{}

// Out returns the type token of records of Record[K, V].
func Out[K, V any]() any { return marker[K, V]{} }

// Accepts returns a check that a parent's output token is Record[K, V].
func Accepts[K, V any]() func(out any) bool {
	return func(out any) bool {
		_, ok := out.(marker[K, V])
		return ok
	}
}

// GraphOf extracts the compiled graph from a *topology.Topology; package topology sets it,
// so that the graph is reachable from the engine's users (testutil, driver) but not from
// user code.
var GraphOf func(topology any) (*Graph, bool)
