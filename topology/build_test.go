package topology_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/topology"
)

// pass forwards every record unchanged.
func pass[K, V any]() processor.Supplier[K, V, K, V] {
	return processor.Func(func(ctx processor.Context[K, V], r processor.Record[K, V]) error { return ctx.Forward(r) })
}

func source(b *topology.Builder, name string, topics ...string) topology.Node[string, string] {
	return topology.AddSource(b, name, topology.Source[string, string]{Topics: topics, Keys: serde.String, Values: serde.String})
}

func sink(b *topology.Builder, name, topic string, parents ...string) {
	topology.AddSink(b, name, topology.Sink[string, string]{Topic: topic, Keys: serde.String, Values: serde.String}, parents...)
}

func storeBuilder(name string) *kv.Builder[string, string] {
	return kv.NewBuilder(kv.InMemorySupplier(name), serde.String, serde.String)
}

// Each mistake is reported by Build, with a message naming the nodes (and types) involved.
func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(b *topology.Builder)
		want  string
	}{
		// Kafka: InternalTopologyBuilderTest.testAddProcessorWithWrongParent.
		{"unknown parent", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddProcessor(b, "processor", pass[string, string](), "nope")
		}, `topology: processor "processor" has unknown parent "nope"`},
		{"unknown parent of a sink", func(b *topology.Builder) {
			source(b, "source", "in")
			sink(b, "sink", "out", "nope")
		}, `topology: sink "sink" has unknown parent "nope"`},
		// Kafka: InternalTopologyBuilderTest.testAddProcessorWithSameName.
		{"duplicate processor", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddProcessor(b, "processor", pass[string, string](), "source")
			topology.AddProcessor(b, "processor", pass[string, string](), "source")
		}, `topology: node "processor" is added twice (as a processor and as a processor)`},
		// Kafka: InternalTopologyBuilderTest.testAddSourceWithSameName.
		{"duplicate source", func(b *topology.Builder) {
			source(b, "source", "topic-1")
			source(b, "source", "topic-2")
			sink(b, "sink", "out", "source")
		}, `topology: node "source" is added twice (as a source and as a source)`},
		{"sink named as a source", func(b *topology.Builder) {
			source(b, "x", "in")
			sink(b, "x", "out", "x")
		}, `topology: node "x" is added twice (as a source and as a sink)`},
		{"type mismatch", func(b *topology.Builder) {
			topology.AddSource(b, "numbers", topology.Source[string, int64]{Topics: []string{"in"}, Keys: serde.String, Values: serde.Int64})
			topology.AddProcessor(b, "upper", pass[string, string](), "numbers")
		}, `topology: processor "upper" takes records of (string, string) but its parent "numbers" produces (string, int64)`},
		{"type mismatch at a sink", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddSink(b, "sink", topology.Sink[string, int64]{Topic: "out", Keys: serde.String, Values: serde.Int64}, "source")
		}, `topology: sink "sink" takes records of (string, int64) but its parent "source" produces (string, string)`},
		{"type mismatch of a fixed-key processor", func(b *topology.Builder) {
			topology.AddSource(b, "source", topology.Source[int64, string]{Topics: []string{"in"}, Keys: serde.Int64, Values: serde.String})
			topology.AddFixedKeyProcessor(b, "fixed", func() processor.FixedKeyProcessor[string, string, int] { return nil }, "source")
		}, `topology: processor "fixed" takes records of (string, string) but its parent "source" produces (int64, string)`},
		{"sink as parent", func(b *topology.Builder) {
			source(b, "source", "in")
			sink(b, "sink", "out", "source")
			topology.AddProcessor(b, "processor", pass[string, string](), "sink")
		}, `topology: processor "processor" has sink "sink" as its parent; a sink has no children`},
		{"cycle", func(b *topology.Builder) {
			topology.AddProcessor(b, "A", pass[string, string](), "B")
			topology.AddProcessor(b, "B", pass[string, string](), "A")
		}, `topology: cycle: A -> B -> A`},
		// Kafka: InternalTopologyBuilderTest.testAddProcessorWithSelfParent.
		{"self parent", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddProcessor(b, "processor", pass[string, string](), "source", "processor")
		}, `topology: cycle: processor -> processor`},
		// Kafka: InternalTopologyBuilderTest.testAddProcessorWithEmptyParents.
		{"processor without parent", func(b *topology.Builder) {
			topology.AddProcessor(b, "processor", pass[string, string]())
		}, `topology: processor "processor" has no parent`},
		{"nil supplier", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddProcessor[string, string, string, string](b, "processor", nil, "source")
		}, `topology: processor "processor" has a nil supplier`},
		{"store no processor uses", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddProcessor(b, "processor", pass[string, string](), "source")
			b.AddStateStore(storeBuilder("lonely"))
		}, `topology: state store "lonely" is not connected to any processor`},
		{"processor connected to an unknown store", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddProcessor(b, "processor", pass[string, string](), "source")
			b.ConnectProcessorAndStateStores("processor", "nope")
		}, `topology: processor "processor" is connected to unknown state store "nope"`},
		// Kafka: InternalTopologyBuilderTest.testAddStateStoreWithNonExistingProcessor.
		{"store connected to an unknown processor", func(b *topology.Builder) {
			source(b, "source", "in")
			b.AddStateStore(storeBuilder("store"), "no-such-processor")
		}, `topology: state store "store" is connected to unknown processor "no-such-processor"`},
		// Kafka: InternalTopologyBuilderTest.testAddStateStoreWithSource.
		{"store connected to a source", func(b *topology.Builder) {
			source(b, "source-1", "topic-1")
			b.AddStateStore(storeBuilder("store"), "source-1")
		}, `topology: state store "store" is connected to source "source-1"; only processors use stores`},
		// Kafka: InternalTopologyBuilderTest.testAddStateStoreWithSink.
		{"store connected to a sink", func(b *topology.Builder) {
			source(b, "source-1", "topic-1")
			sink(b, "sink-1", "topic-1", "source-1")
			b.AddStateStore(storeBuilder("store"), "sink-1")
		}, `topology: state store "store" is connected to sink "sink-1"; only processors use stores`},
		// Kafka: InternalTopologyBuilderTest.shouldNotAllowToAddStoresWithSameName.
		{"store added twice", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddProcessor(b, "processor", pass[string, string](), "source")
			b.AddStateStore(storeBuilder("store"), "processor")
			b.AddStateStore(storeBuilder("store"), "processor")
		}, `topology: state store "store" is added twice`},
		// Kafka: InternalTopologyBuilderTest.shouldThrowIfTopicAndPatternAreNull.
		{"source with no topic", func(b *topology.Builder) {
			source(b, "source")
		}, `topology: source "source" reads no topic: give Topics or a Pattern`},
		// Kafka: InternalTopologyBuilderTest.shouldThrowIfBothTopicAndPatternAreNotNull.
		{"source with topics and a pattern", func(b *topology.Builder) {
			topology.AddSource(b, "source", topology.Source[string, string]{Topics: []string{"in"}, Pattern: regexp.MustCompile("in-.*"), Keys: serde.String, Values: serde.String})
		}, `topology: source "source" has both Topics and a Pattern: give one`},
		{"source without deserializers", func(b *topology.Builder) {
			topology.AddSource(b, "source", topology.Source[string, string]{Topics: []string{"in"}})
		}, `topology: source "source" has no key or value deserializer`},
		{"empty topic name", func(b *topology.Builder) {
			source(b, "source", "in", "")
		}, `topology: source "source" has an empty topic name`},
		// Kafka: InternalTopologyBuilderTest.testAddSourceWithSameTopic.
		{"two sources on one topic", func(b *topology.Builder) {
			source(b, "source", "topic-1")
			source(b, "source-2", "topic-1")
		}, `topology: topic "topic-1" is read by two sources, "source" and "source-2"`},
		// Kafka: InternalTopologyBuilderTest.shouldNotAllowNullTopicWhenAddingSink.
		{"sink with no topic", func(b *topology.Builder) {
			source(b, "source", "in")
			sink(b, "sink", "", "source")
		}, `topology: sink "sink" has no topic: give Topic or a TopicChooser`},
		{"sink with a topic and a chooser", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddSink(b, "sink", topology.Sink[string, string]{Topic: "out", Keys: serde.String, Values: serde.String,
				TopicChooser: func(string, string, processor.RecordMetadata) string { return "x" }}, "source")
		}, `topology: sink "sink" has both a Topic and a TopicChooser: give one`},
		// Kafka: InternalTopologyBuilderTest.testAddSinkWithEmptyParents.
		{"sink without parent", func(b *topology.Builder) {
			sink(b, "sink", "out")
		}, `topology: sink "sink" has no parent`},
		{"sink without serializers", func(b *topology.Builder) {
			source(b, "source", "in")
			topology.AddSink(b, "sink", topology.Sink[string, string]{Topic: "out"}, "source")
		}, `topology: sink "sink" has no key or value serializer`},
		{"empty node name", func(b *topology.Builder) {
			source(b, "", "in")
		}, `topology: a source has an empty name`},
		{"global store with two topics", func(b *topology.Builder) {
			topology.AddGlobalStore(b, storeBuilder("global"), "global-source",
				topology.Source[string, string]{Topics: []string{"a", "b"}, Keys: serde.String, Values: serde.String},
				"global-processor", func() processor.Processor[string, string, struct{}, struct{}] { return nil })
		}, `topology: global store "global" must read exactly one topic (its source "global-source" has 2 and pattern <nil>)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := topology.NewBuilder()
			tc.build(b)
			top, err := b.Build()
			if err == nil {
				t.Fatalf("Build() = %v, nil; want error %q", top, tc.want)
			}
			if top != nil {
				t.Errorf("Build() returned a topology with the error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Build() error:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// One Build reports every mistake, joined (errors.Join), in the order found.
func TestBuildReportsAllErrors(t *testing.T) {
	b := topology.NewBuilder()
	topology.AddSource(b, "numbers", topology.Source[string, int64]{Topics: []string{"in"}, Keys: serde.String, Values: serde.Int64})
	source(b, "other", "in")
	topology.AddProcessor(b, "upper", pass[string, string](), "numbers")
	topology.AddProcessor(b, "orphan", pass[string, string](), "nobody")
	sink(b, "sink", "", "upper")
	b.AddStateStore(storeBuilder("unused"))
	_, err := b.Build()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Build() error %v (%T) does not join errors", err, err)
	}
	var got []string
	for _, e := range joined.Unwrap() {
		got = append(got, e.Error())
	}
	want := []string{
		`topology: topic "in" is read by two sources, "numbers" and "other"`,
		`topology: sink "sink" has no topic: give Topic or a TopicChooser`,
		`topology: processor "upper" takes records of (string, string) but its parent "numbers" produces (string, int64)`,
		`topology: processor "orphan" has unknown parent "nobody"`,
		`topology: state store "unused" is not connected to any processor`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
}

// sub describes a sub-topology for comparison.
type sub struct {
	ID     int
	Nodes  []string
	Topics []string
	Stores []string
}

func subsOf(t *testing.T, top *topology.Topology) (subs, globals []sub) {
	t.Helper()
	g, ok := engine.GraphOf(top)
	if !ok {
		t.Fatal("engine.GraphOf found no graph")
	}
	conv := func(in []*engine.Subtopology) []sub {
		var out []sub
		for _, s := range in {
			var names []string
			for _, n := range s.Nodes {
				names = append(names, n.Name)
			}
			out = append(out, sub{ID: s.ID, Nodes: names, Topics: s.SourceTopics, Stores: s.Stores})
		}
		return out
	}
	return conv(g.Subtopologies), conv(g.Globals)
}

func mustBuild(t *testing.T, b *topology.Builder) *topology.Topology {
	t.Helper()
	top, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return top
}

// Kafka: InternalTopologyBuilderTest.testTopicGroups — sources source-1 (topic-1, topic-1x),
// source-2 (topic-2), source-3 (topic-3), source-4 (topic-4), source-5 (topic-5);
// processor-1 ← source-1, processor-2 ← source-2 + processor-1, processor-3 ← source-3 +
// source-4. Sub-topologies: 0 = {topic-1, topic-1x, topic-2}, 1 = {topic-3, topic-4},
// 2 = {topic-5}. (Kafka's topic-1x is an internal topic, "X-topic-1x"; Tributary has no
// internal-topic declaration in the builder, so it stays topic-1x.)
func TestSubtopologiesAreConnectedComponents(t *testing.T) {
	b := topology.NewBuilder()
	source(b, "source-1", "topic-1", "topic-1x")
	source(b, "source-2", "topic-2")
	source(b, "source-3", "topic-3")
	source(b, "source-4", "topic-4")
	source(b, "source-5", "topic-5")
	topology.AddProcessor(b, "processor-1", pass[string, string](), "source-1")
	topology.AddProcessor(b, "processor-2", pass[string, string](), "source-2", "processor-1")
	topology.AddProcessor(b, "processor-3", pass[string, string](), "source-3", "source-4")
	subs, globals := subsOf(t, mustBuild(t, b))
	want := []sub{
		{0, []string{"source-1", "source-2", "processor-1", "processor-2"}, []string{"topic-1", "topic-1x", "topic-2"}, nil},
		{1, []string{"source-3", "source-4", "processor-3"}, []string{"topic-3", "topic-4"}, nil},
		{2, []string{"source-5"}, []string{"topic-5"}, nil},
	}
	if d := cmp.Diff(want, subs, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("sub-topologies (-want +got):\n%s", d)
	}
	if len(globals) != 0 {
		t.Errorf("globals %v, want none", globals)
	}
}

// Kafka: InternalTopologyBuilderTest.testTopicGroupsByStateStore — processor-1 ← source-1
// (topic-1, topic-1x) and processor-2 ← source-2 (topic-2) share store-1; processor-3 ←
// source-3 and processor-4 ← source-4 share store-2; processor-5 ← source-5 is connected
// to store-3 afterwards. Sub-topologies: 0 = {topic-1, topic-1x, topic-2} with store-1,
// 1 = {topic-3, topic-4} with store-2, 2 = {topic-5} with store-3: a shared store joins two
// otherwise separate chains.
func TestSharedStoreJoinsSubtopologies(t *testing.T) {
	b := topology.NewBuilder()
	source(b, "source-1", "topic-1", "topic-1x")
	source(b, "source-2", "topic-2")
	source(b, "source-3", "topic-3")
	source(b, "source-4", "topic-4")
	source(b, "source-5", "topic-5")
	topology.AddProcessor(b, "processor-1", pass[string, string](), "source-1")
	topology.AddProcessor(b, "processor-2", pass[string, string](), "source-2")
	b.AddStateStore(storeBuilder("store-1"), "processor-1", "processor-2")
	topology.AddProcessor(b, "processor-3", pass[string, string](), "source-3")
	topology.AddProcessor(b, "processor-4", pass[string, string](), "source-4")
	b.AddStateStore(storeBuilder("store-2"), "processor-3", "processor-4")
	topology.AddProcessor(b, "processor-5", pass[string, string](), "source-5")
	b.AddStateStore(storeBuilder("store-3"))
	b.ConnectProcessorAndStateStores("processor-5", "store-3")
	subs, _ := subsOf(t, mustBuild(t, b))
	want := []sub{
		{0, []string{"source-1", "source-2", "processor-1", "processor-2"}, []string{"topic-1", "topic-1x", "topic-2"}, []string{"store-1"}},
		{1, []string{"source-3", "source-4", "processor-3", "processor-4"}, []string{"topic-3", "topic-4"}, []string{"store-2"}},
		{2, []string{"source-5", "processor-5"}, []string{"topic-5"}, []string{"store-3"}},
	}
	if d := cmp.Diff(want, subs, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("sub-topologies (-want +got):\n%s", d)
	}
}

// Kafka: InternalTopologyBuilderTest.testStateStoreNamesForSubtopology — a store added
// before its processor and connected later: sub-topology 0 (source-1 → processor-1) has
// {store}, sub-topology 1 (source-2 → processor-2) none.
func TestStateStoreNamesForSubtopology(t *testing.T) {
	b := topology.NewBuilder()
	b.AddStateStore(storeBuilder("store"))
	source(b, "source-1", "topic-1")
	topology.AddProcessor(b, "processor-1", pass[string, string](), "source-1")
	b.ConnectProcessorAndStateStores("processor-1", "store")
	source(b, "source-2", "topic-2")
	topology.AddProcessor(b, "processor-2", pass[string, string](), "source-2")
	subs, _ := subsOf(t, mustBuild(t, b))
	if len(subs) != 2 || !slices.Equal(subs[0].Stores, []string{"store"}) || len(subs[1].Stores) != 0 {
		t.Errorf("sub-topologies %+v, want store in 0 only", subs)
	}
	// Connecting a processor with no store names does nothing.
	b.ConnectProcessorAndStateStores("processor-2")
	subs, _ = subsOf(t, mustBuild(t, b))
	if len(subs) != 2 {
		t.Errorf("after ConnectProcessorAndStateStores(processor-2): %d sub-topologies, want 2", len(subs))
	}
}

// A global store's source and processor form a global group, not a sub-topology; its id
// comes from the same counter as the sub-topologies' (as in Kafka), in creation order.
func TestGlobalStoreGroup(t *testing.T) {
	b := topology.NewBuilder()
	source(b, "source", "in")
	topology.AddProcessor(b, "processor", pass[string, string](), "source")
	topology.AddGlobalStore(b, storeBuilder("global"), "global-source",
		topology.Source[string, string]{Topics: []string{"global-topic"}, Keys: serde.String, Values: serde.String},
		"global-processor", func() processor.Processor[string, string, struct{}, struct{}] { return nil })
	source(b, "source-b", "in-b")
	subs, globals := subsOf(t, mustBuild(t, b))
	wantSubs := []sub{
		{0, []string{"source", "processor"}, []string{"in"}, nil},
		{2, []string{"source-b"}, []string{"in-b"}, nil},
	}
	wantGlobals := []sub{{1, []string{"global-source", "global-processor"}, []string{"global-topic"}, []string{"global"}}}
	if d := cmp.Diff(wantSubs, subs, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("sub-topologies (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantGlobals, globals, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("globals (-want +got):\n%s", d)
	}
}

// A topology of one source and a sink builds; a processor with two parents of the same type
// builds; the handle returned by AddSource/AddProcessor names the node.
func TestBuildValid(t *testing.T) {
	b := topology.NewBuilder()
	s1 := source(b, "s1", "a")
	s2 := source(b, "s2", "b")
	p := topology.AddProcessor(b, "p", pass[string, string](), s1.Name(), s2.Name())
	if p.Name() != "p" || s1.Name() != "s1" {
		t.Errorf("node names %q, %q", p.Name(), s1.Name())
	}
	sink(b, "sink", "out", p.Name())
	top := mustBuild(t, b)
	g, _ := engine.GraphOf(top)
	if d := cmp.Diff(map[string][]string{"s1": {"p"}, "s2": {"p"}, "p": {"sink"}}, g.Children); d != "" {
		t.Errorf("children (-want +got):\n%s", d)
	}
	if _, err := topology.NewBuilder().Build(); err != nil {
		t.Errorf("an empty topology: %v", err)
	}
	var nilTop *topology.Topology
	if _, ok := engine.GraphOf(nilTop); ok {
		t.Error("GraphOf(nil *Topology) found a graph")
	}
	if _, ok := engine.GraphOf("not a topology"); ok {
		t.Error("GraphOf(string) found a graph")
	}
	if g.Nodes[0].OutType != "string, string" || g.ByName["sink"].InType != "string, string" {
		t.Errorf("source out type %q, sink in type %q; want \"string, string\"", g.Nodes[0].OutType, g.ByName["sink"].InType)
	}
}
