package topology

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
)

// Builder builds a topology node by node (Kafka Streams' Topology with its addSource,
// addProcessor, addSink and addStateStore). The Add functions record mistakes instead of
// returning them; Build reports them all, each naming the nodes and types involved.
//
// Go has no type parameters on methods, so the typed Add operations are functions taking the
// builder: topology.AddSource(b, ...), topology.AddProcessor(b, ...).
type Builder struct {
	nodes      []*engine.NodeSpec
	byName     map[string]*engine.NodeSpec
	stores     map[string]*engine.StoreSpec
	storeOrder []string
	// conns are the (processor, store) connections in the order they were made: Describe
	// prints a processor's stores in the order of a Java HashSet filled in that order.
	conns [][2]string
	errs  []error
	// internal are the topics the topology owns (the DSL's repartition topics), copied into
	// the compiled graph's Internal map by Build.
	internal map[string]engine.InternalTopic
}

// addInternalTopic declares topic as owned by the topology: the runtime names it
// "<application.id>-<topic>" and creates it (see engine.Graph.Internal).
func (b *Builder) addInternalTopic(topic string, t engine.InternalTopic) {
	if b.internal == nil {
		b.internal = map[string]engine.InternalTopic{}
	}
	b.internal[topic] = t
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{byName: map[string]*engine.NodeSpec{}, stores: map[string]*engine.StoreSpec{}}
}

func (b *Builder) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf("topology: "+format, args...))
}

func (b *Builder) add(s *engine.NodeSpec, parents []string) {
	switch {
	case s.Name == "":
		b.fail("a %s has an empty name", kindName(s.Kind))
		return
	case b.byName[s.Name] != nil:
		b.fail("node %q is added twice (as a %s and as a %s)", s.Name, kindName(b.byName[s.Name].Kind), kindName(s.Kind))
		return
	}
	s.Parents = slices.Clone(parents)
	b.nodes = append(b.nodes, s)
	b.byName[s.Name] = s
}

func kindName(k engine.Kind) string {
	switch k {
	case engine.Source:
		return "source"
	case engine.Sink:
		return "sink"
	}
	return "processor"
}

// Node is a handle on a node whose records are Record[K, V]: what AddSource and AddProcessor
// return. Its Name is what children name as their parent.
type Node[K, V any] struct {
	name string
}

// Name returns the node's name.
func (n Node[K, V]) Name() string { return n.name }

// OffsetReset is the auto.offset.reset policy of a source (Kafka's Topology.AutoOffsetReset).
type OffsetReset int

const (
	// ResetDefault uses the consumer's auto.offset.reset.
	ResetDefault OffsetReset = iota
	// ResetEarliest starts from the earliest offset when there is no committed offset.
	ResetEarliest
	// ResetLatest starts from the latest offset when there is no committed offset.
	ResetLatest
)

// TimestampExtractor returns the timestamp of a record in milliseconds (Kafka's
// TimestampExtractor). r carries the record's own timestamp (CreateTime or LogAppendTime);
// partitionTime is the largest timestamp seen in its partition so far, or -1. A negative
// result or an error goes to the deserialization handler.
type TimestampExtractor[K, V any] func(r processor.Record[K, V], md processor.RecordMetadata, partitionTime int64) (int64, error)

// Source configures a source node: the topics it reads (or a pattern), its deserializers, its
// offset-reset policy and timestamp extractor.
type Source[K, V any] struct {
	// Topics are the topics to read. Exactly one of Topics and Pattern is set.
	Topics []string
	// Pattern subscribes to every topic whose name matches.
	Pattern *regexp.Regexp
	// Keys and Values deserialize the records (required).
	Keys   serde.Deserializer[K]
	Values serde.Deserializer[V]
	// OffsetReset is the policy when no offset is committed; default: the consumer's.
	OffsetReset OffsetReset
	// Timestamps extracts timestamps; nil uses the record's own timestamp (Kafka's
	// FailOnInvalidTimestamp: a negative one is an error).
	Timestamps TimestampExtractor[K, V]
}

// AddSource adds a source node named name (Kafka's Topology.addSource).
func AddSource[K, V any](b *Builder, name string, cfg Source[K, V]) Node[K, V] {
	switch {
	case len(cfg.Topics) == 0 && cfg.Pattern == nil:
		b.fail("source %q reads no topic: give Topics or a Pattern", name)
	case len(cfg.Topics) > 0 && cfg.Pattern != nil:
		b.fail("source %q has both Topics and a Pattern: give one", name)
	case cfg.Keys == nil || cfg.Values == nil:
		b.fail("source %q has no key or value deserializer", name)
	}
	for _, t := range cfg.Topics {
		if t == "" {
			b.fail("source %q has an empty topic name", name)
		}
		for _, other := range b.nodes {
			if other.Kind == engine.Source && slices.Contains(other.Topics, t) {
				b.fail("topic %q is read by two sources, %q and %q", t, other.Name, name)
			}
		}
	}
	s := engine.NewSourceSpec(name, engine.SourceConfig[K, V]{Keys: cfg.Keys, Values: cfg.Values, Timestamps: cfg.Timestamps})
	s.Topics = slices.Clone(cfg.Topics)
	s.Pattern = cfg.Pattern
	s.OffsetReset = int(cfg.OffsetReset)
	if cfg.Pattern != nil {
		s.Match = regexp.MustCompile(`^(?:` + cfg.Pattern.String() + `)$`) // valid: it wraps a compiled pattern
	}
	b.add(s, nil)
	return Node[K, V]{name: name}
}

// AddProcessor adds a processor node named name, created per task by supplier, receiving the
// records of the parents (Kafka's Topology.addProcessor). The parents must produce
// Record[KIn, VIn]: Build checks it and names both types when they differ.
func AddProcessor[KIn, VIn, KOut, VOut any](b *Builder, name string, supplier processor.Supplier[KIn, VIn, KOut, VOut], parents ...string) Node[KOut, VOut] {
	if supplier == nil {
		b.fail("processor %q has a nil supplier", name)
	}
	if len(parents) == 0 {
		b.fail("processor %q has no parent", name)
	}
	b.add(engine.NewProcessorSpec(name, supplier), parents)
	return Node[KOut, VOut]{name: name}
}

// AddFixedKeyProcessor adds a processor that cannot change the key (Kafka's processValues
// with a FixedKeyProcessor).
func AddFixedKeyProcessor[K, VIn, VOut any](b *Builder, name string, supplier processor.FixedKeySupplier[K, VIn, VOut], parents ...string) Node[K, VOut] {
	if supplier == nil {
		b.fail("processor %q has a nil supplier", name)
	}
	if len(parents) == 0 {
		b.fail("processor %q has no parent", name)
	}
	b.add(engine.NewFixedKeyProcessorSpec(name, supplier), parents)
	return Node[K, VOut]{name: name}
}

// TopicChooser picks the topic of each record a sink writes (Kafka's TopicNameExtractor). md
// is the input record's metadata (zero in a punctuation).
type TopicChooser[K, V any] func(key K, value V, md processor.RecordMetadata) string

// Partitioner picks the partition of a record among numPartitions (Kafka's
// StreamPartitioner); ok=false falls back to the default partitioner (murmur2 of the key
// bytes, as Kafka's producer).
type Partitioner[K, V any] func(topic string, key K, value V, numPartitions int) (partition int32, ok bool)

// Sink configures a sink node.
type Sink[K, V any] struct {
	// Topic is the topic to write to; or set TopicChooser (and name it in ChooserName for
	// Describe, which prints "extractor class: <ChooserName>").
	Topic        string
	TopicChooser TopicChooser[K, V]
	ChooserName  string
	// Keys and Values serialize the records (required).
	Keys   serde.Serializer[K]
	Values serde.Serializer[V]
	// Partitioner, if set, chooses partitions.
	Partitioner Partitioner[K, V]
}

// AddSink adds a sink node named name writing the records of the parents (Kafka's
// Topology.addSink).
func AddSink[K, V any](b *Builder, name string, cfg Sink[K, V], parents ...string) {
	switch {
	case cfg.Topic == "" && cfg.TopicChooser == nil:
		b.fail("sink %q has no topic: give Topic or a TopicChooser", name)
	case cfg.Topic != "" && cfg.TopicChooser != nil:
		b.fail("sink %q has both a Topic and a TopicChooser: give one", name)
	case cfg.Keys == nil || cfg.Values == nil:
		b.fail("sink %q has no key or value serializer", name)
	}
	if len(parents) == 0 {
		b.fail("sink %q has no parent", name)
	}
	chooserName := cfg.ChooserName
	if cfg.TopicChooser != nil && chooserName == "" {
		chooserName = "TopicChooser"
	}
	ec := engine.SinkConfig[K, V]{Topic: cfg.Topic, ChooserName: chooserName, Keys: cfg.Keys, Values: cfg.Values}
	if cfg.TopicChooser != nil {
		ec.Chooser = cfg.TopicChooser
	}
	if cfg.Partitioner != nil {
		ec.Partitioner = cfg.Partitioner
	}
	b.add(engine.NewSinkSpec(name, ec), parents)
}

// AddStateStore adds a store, built per task by builder, and connects it to the processors
// (Kafka's Topology.addStateStore). More processors can be connected later with
// ConnectProcessorAndStateStores.
func (b *Builder) AddStateStore(builder store.Builder, processors ...string) {
	if builder == nil {
		b.fail("AddStateStore: nil store builder")
		return
	}
	name := builder.Name()
	if _, dup := b.stores[name]; dup {
		b.fail("state store %q is added twice", name)
		return
	}
	b.stores[name] = &engine.StoreSpec{Builder: builder}
	b.storeOrder = append(b.storeOrder, name)
	for _, p := range processors {
		b.connect(p, name)
	}
}

// ConnectProcessorAndStateStores connects a processor to stores added before (Kafka's
// Topology.connectProcessorAndStateStores). The first argument is the processor, the rest
// are store names; with only a processor it does nothing.
func (b *Builder) ConnectProcessorAndStateStores(processorAndStores ...string) {
	if len(processorAndStores) < 2 {
		return
	}
	for _, st := range processorAndStores[1:] {
		b.connect(processorAndStores[0], st)
	}
}

func (b *Builder) connect(proc, storeName string) {
	st, ok := b.stores[storeName]
	if !ok {
		b.fail("processor %q is connected to unknown state store %q", proc, storeName)
		return
	}
	if !slices.Contains(st.Processors, proc) {
		st.Processors = append(st.Processors, proc)
		b.conns = append(b.conns, [2]string{proc, storeName})
	}
}

// AddGlobalStore adds a global store (Kafka's Topology.addGlobalStore): every instance holds
// all of it, fed from topic by a source named sourceName and a processor named processorName
// that writes the records into the store. Other processors read it through their context
// without connecting to it. The store must not log to a changelog: topic is its changelog.
func AddGlobalStore[K, V any](b *Builder, builder store.Builder, sourceName string, src Source[K, V], processorName string, supplier processor.Supplier[K, V, struct{}, struct{}]) {
	if builder == nil {
		b.fail("AddGlobalStore: nil store builder")
		return
	}
	if len(src.Topics) != 1 || src.Pattern != nil {
		b.fail("global store %q must read exactly one topic (its source %q has %d and pattern %v)", builder.Name(), sourceName, len(src.Topics), src.Pattern)
		return
	}
	AddSource(b, sourceName, src)
	AddProcessor(b, processorName, supplier, sourceName)
	for _, n := range []string{sourceName, processorName} {
		if s := b.byName[n]; s != nil {
			s.Global = true
		}
	}
	name := builder.Name()
	if _, dup := b.stores[name]; dup {
		b.fail("state store %q is added twice", name)
		return
	}
	b.stores[name] = &engine.StoreSpec{Builder: builder, Global: true, GlobalTopic: src.Topics[0], Processors: []string{processorName}}
	b.storeOrder = append(b.storeOrder, name)
	b.conns = append(b.conns, [2]string{processorName, name})
}

// Topology is a built, validated topology: what the TopologyTestDriver and the Kafka runtime
// run, and what Describe prints.
type Topology struct {
	g *engine.Graph
}

func init() {
	engine.GraphOf = func(t any) (*engine.Graph, bool) {
		tt, ok := t.(*Topology)
		if !ok || tt == nil {
			return nil, false
		}
		return tt.g, true
	}
}

// Build validates the topology and computes its sub-topologies. It reports every mistake the
// Add functions recorded and every problem of the graph: unknown parents, a parent whose
// records are not of the type its child takes, a sink or source in the wrong place, cycles,
// stores that no processor uses, and processors connected to stores that do not exist.
func (b *Builder) Build() (*Topology, error) {
	errs := slices.Clone(b.errs)
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("topology: "+format, args...)) }
	children := map[string][]string{}
	for _, s := range b.nodes {
		for _, p := range s.Parents {
			ps, ok := b.byName[p]
			switch {
			case !ok:
				fail("%s %q has unknown parent %q", kindName(s.Kind), s.Name, p)
				continue
			case ps.Kind == engine.Sink:
				fail("%s %q has sink %q as its parent; a sink has no children", kindName(s.Kind), s.Name, p)
				continue
			case s.Accepts != nil && !s.Accepts(ps.Out):
				fail("%s %q takes records of (%s) but its parent %q produces (%s)", kindName(s.Kind), s.Name, s.InType, p, ps.OutType)
			}
			if !slices.Contains(children[p], s.Name) {
				children[p] = append(children[p], s.Name)
			}
		}
	}
	if cyc := findCycle(b.nodes, children); cyc != nil {
		fail("cycle: %s", strings.Join(cyc, " -> "))
	}
	for _, name := range b.storeOrder {
		st := b.stores[name]
		if len(st.Processors) == 0 {
			fail("state store %q is not connected to any processor", name)
		}
		for _, p := range st.Processors {
			ps, ok := b.byName[p]
			switch {
			case !ok:
				fail("state store %q is connected to unknown processor %q", name, p)
			case ps.Kind != engine.Processor:
				fail("state store %q is connected to %s %q; only processors use stores", name, kindName(ps.Kind), p)
			}
		}
	}
	// A processor's stores, in the order they were connected (as Kafka's stateStoreNames).
	for _, c := range b.conns {
		if ps, ok := b.byName[c[0]]; ok && ps.Kind == engine.Processor && !slices.Contains(ps.Stores, c[1]) {
			ps.Stores = append(ps.Stores, c[1])
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	g := &engine.Graph{Nodes: b.nodes, ByName: b.byName, Children: children, Stores: b.stores, StoreOrder: b.storeOrder}
	if len(b.internal) > 0 {
		g.Internal = make(map[string]engine.InternalTopic, len(b.internal))
		for name, t := range b.internal {
			g.Internal[name] = t
		}
	}
	g.Subtopologies, g.Globals = groups(b.nodes, b.stores)
	return &Topology{g: g}, nil
}

// findCycle returns a cycle of node names, or nil.
func findCycle(nodes []*engine.NodeSpec, children map[string][]string) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var path []string
	var visit func(n string) []string
	visit = func(n string) []string {
		color[n] = grey
		path = append(path, n)
		for _, c := range children[n] {
			switch color[c] {
			case grey:
				i := slices.Index(path, c)
				return append(slices.Clone(path[i:]), c)
			case white:
				if cyc := visit(c); cyc != nil {
					return cyc
				}
			}
		}
		path = path[:len(path)-1]
		color[n] = black
		return nil
	}
	for _, n := range nodes {
		if color[n.Name] == white {
			if cyc := visit(n.Name); cyc != nil {
				return cyc
			}
		}
	}
	return nil
}

// groups computes the sub-topologies as Kafka's makeNodeGroups does: connected components
// where a node joins its parents and processors sharing a store join each other; ids go to
// components in the creation order of their first node. Global stores' sources and
// processors form the global group (ids from the same counter, as in Kafka).
func groups(nodes []*engine.NodeSpec, stores map[string]*engine.StoreSpec) (subs, globals []*engine.Subtopology) {
	parent := map[string]string{}
	find := func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[ra] = rb
		}
	}
	for _, n := range nodes {
		parent[n.Name] = n.Name
	}
	for _, n := range nodes {
		for _, p := range n.Parents {
			union(n.Name, p)
		}
	}
	for _, st := range stores {
		for _, p := range st.Processors[min(1, len(st.Processors)):] {
			union(p, st.Processors[0])
		}
	}
	byRoot := map[string]*engine.Subtopology{}
	for _, n := range nodes {
		r := find(n.Name)
		sub := byRoot[r]
		if sub == nil {
			sub = &engine.Subtopology{ID: len(subs) + len(globals), Global: n.Global}
			byRoot[r] = sub
			if n.Global {
				globals = append(globals, sub)
			} else {
				subs = append(subs, sub)
			}
		}
		sub.Nodes = append(sub.Nodes, n)
		sub.SourceTopics = append(sub.SourceTopics, n.Topics...)
	}
	for name, st := range stores {
		if len(st.Processors) == 0 {
			continue
		}
		if sub := byRoot[find(st.Processors[0])]; sub != nil {
			sub.Stores = append(sub.Stores, name)
		}
	}
	for _, s := range append(slices.Clone(subs), globals...) {
		slices.Sort(s.SourceTopics)
		slices.Sort(s.Stores)
	}
	return subs, globals
}
