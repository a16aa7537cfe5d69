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

	// New creates the runtime node for one task.
	New func() Node
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
