package topology

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// The expected strings below are Kafka Streams' TopologyDescription.toString() for the same
// topologies: copied from the tests named in each comment (TopologyTest, KStreamImplTest),
// or, where those tests compare description objects instead of strings, printed by Kafka's
// own describe code (InternalTopologyBuilder at apache/kafka 1eb7644) for the same calls.

// Helpers mirroring TopologyTest's addSource, addProcessor, addSink and store helpers.

func dsrc(b *Builder, name string, topics ...string) string {
	AddSource(b, name, Source[string, string]{Topics: topics, Keys: serde.String, Values: serde.String})
	return name
}

func dsrcPattern(b *Builder, name, pattern string) string {
	AddSource(b, name, Source[string, string]{Pattern: regexp.MustCompile(pattern), Keys: serde.String, Values: serde.String})
	return name
}

var noopProcessor = processor.Func(func(processor.Context[string, string], processor.Record[string, string]) error { return nil })

func dproc(b *Builder, name string, parents ...string) string {
	AddProcessor(b, name, noopProcessor, parents...)
	return name
}

// dprocWithNewStores is TopologyTest.addProcessorWithNewStore.
func dprocWithNewStores(b *Builder, name string, stores []string, parents ...string) string {
	dproc(b, name, parents...)
	for _, s := range stores {
		b.AddStateStore(dstore(s), name)
	}
	return name
}

// dprocWithExistingStores is TopologyTest.addProcessorWithExistingStore.
func dprocWithExistingStores(b *Builder, name string, stores []string, parents ...string) string {
	dproc(b, name, parents...)
	b.ConnectProcessorAndStateStores(append([]string{name}, stores...)...)
	return name
}

func dsink(b *Builder, name, topic string, parents ...string) string {
	AddSink(b, name, Sink[string, string]{Topic: topic, Keys: serde.String, Values: serde.String}, parents...)
	return name
}

func dstore(name string) store.Builder {
	return kv.NewBuilder(kv.InMemorySupplier(name), serde.String, serde.String)
}

// dglobal is TopologyTest.addGlobalStoreToTopologyAndExpectedDescription.
func dglobal(b *Builder, storeName, sourceName, topic, processorName string) {
	AddGlobalStore(b, dstore(storeName), sourceName, Source[string, string]{Topics: []string{topic}, Keys: serde.String, Values: serde.String},
		processorName, processor.Func(func(processor.Context[struct{}, struct{}], processor.Record[string, string]) error { return nil }))
}

func describeString(t *testing.T, b *Builder) string {
	t.Helper()
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return top.Describe().String()
}

func checkDescribe(t *testing.T, b *Builder, want string) {
	t.Helper()
	if got := describeString(t, b); got != want {
		t.Errorf("Describe().String() differs from Kafka's\n got: %q\nwant: %q\n--- got:\n%s\n--- want:\n%s", got, want, got, want)
	}
}

// TopologyTest.shouldDescribeEmptyTopology
func TestDescribeEmptyTopology(t *testing.T) {
	checkDescribe(t, NewBuilder(), "Topologies:\n ")
	if got := (*Topology)(nil).Describe().String(); got != "Topologies:\n " {
		t.Errorf("nil topology: %q", got)
	}
}

// TopologyTest.singleSourceShouldHaveSingleSubtopology
func TestDescribeSingleSource(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "source", "topic")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic])\n"+
		"      --> none\n"+
		"\n")
}

// TopologyTest.singleSourceWithListOfTopicsShouldHaveSingleSubtopology
func TestDescribeSingleSourceWithListOfTopics(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "source", "topic1", "topic2", "topic3")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic1, topic2, topic3])\n"+
		"      --> none\n"+
		"\n")
}

// TopologyTest.singleSourcePatternShouldHaveSingleSubtopology
func TestDescribeSingleSourcePattern(t *testing.T) {
	b := NewBuilder()
	dsrcPattern(b, "source", "topic[0-9]")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: topic[0-9])\n"+
		"      --> none\n"+
		"\n")
}

// TopologyTest.multipleSourcesShouldHaveDistinctSubtopologies
func TestDescribeMultipleSourcesDistinctSubtopologies(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "source1", "topic1")
	dsrc(b, "source2", "topic2")
	dsrc(b, "source3", "topic3")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source1 (topics: [topic1])\n"+
		"      --> none\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: source2 (topics: [topic2])\n"+
		"      --> none\n"+
		"\n"+
		"  Sub-topology: 2\n"+
		"    Source: source3 (topics: [topic3])\n"+
		"      --> none\n"+
		"\n")
}

// TopologyTest.sourceAndProcessorShouldHaveSingleSubtopology
func TestDescribeSourceAndProcessor(t *testing.T) {
	b := NewBuilder()
	s := dsrc(b, "source", "topic")
	dproc(b, "processor", s)
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic])\n"+
		"      --> processor\n"+
		"    Processor: processor (stores: [])\n"+
		"      --> none\n"+
		"      <-- source\n"+
		"\n")
}

// TopologyTest.sourceAndProcessorWithStateShouldHaveSingleSubtopology
func TestDescribeSourceAndProcessorWithState(t *testing.T) {
	b := NewBuilder()
	s := dsrc(b, "source", "topic")
	dprocWithNewStores(b, "processor", []string{"store"}, s)
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic])\n"+
		"      --> processor\n"+
		"    Processor: processor (stores: [store])\n"+
		"      --> none\n"+
		"      <-- source\n"+
		"\n")
}

// TopologyTest.sourceAndProcessorWithMultipleStatesShouldHaveSingleSubtopology
func TestDescribeSourceAndProcessorWithMultipleStates(t *testing.T) {
	b := NewBuilder()
	s := dsrc(b, "source", "topic")
	dprocWithNewStores(b, "processor", []string{"store1", "store2"}, s)
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic])\n"+
		"      --> processor\n"+
		"    Processor: processor (stores: [store1, store2])\n"+
		"      --> none\n"+
		"      <-- source\n"+
		"\n")
}

// TopologyTest.sourceWithMultipleProcessorsShouldHaveSingleSubtopology
func TestDescribeSourceWithMultipleProcessors(t *testing.T) {
	b := NewBuilder()
	s := dsrc(b, "source", "topic")
	dproc(b, "processor1", s)
	dproc(b, "processor2", s)
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic])\n"+
		"      --> processor1, processor2\n"+
		"    Processor: processor1 (stores: [])\n"+
		"      --> none\n"+
		"      <-- source\n"+
		"    Processor: processor2 (stores: [])\n"+
		"      --> none\n"+
		"      <-- source\n"+
		"\n")
}

// TopologyTest.processorWithMultipleSourcesShouldHaveSingleSubtopology
func TestDescribeProcessorWithMultipleSources(t *testing.T) {
	b := NewBuilder()
	s1 := dsrc(b, "source1", "topic0")
	s2 := dsrcPattern(b, "source2", "topic[1-9]")
	dproc(b, "processor", s1, s2)
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source1 (topics: [topic0])\n"+
		"      --> processor\n"+
		"    Source: source2 (topics: topic[1-9])\n"+
		"      --> processor\n"+
		"    Processor: processor (stores: [])\n"+
		"      --> none\n"+
		"      <-- source1, source2\n"+
		"\n")
}

// TopologyTest.multipleSourcesWithProcessorsShouldHaveDistinctSubtopologies
func TestDescribeMultipleSourcesWithProcessors(t *testing.T) {
	b := NewBuilder()
	for _, i := range []string{"1", "2", "3"} {
		dproc(b, "processor"+i, dsrc(b, "source"+i, "topic"+i))
	}
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source1 (topics: [topic1])\n"+
		"      --> processor1\n"+
		"    Processor: processor1 (stores: [])\n"+
		"      --> none\n"+
		"      <-- source1\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: source2 (topics: [topic2])\n"+
		"      --> processor2\n"+
		"    Processor: processor2 (stores: [])\n"+
		"      --> none\n"+
		"      <-- source2\n"+
		"\n"+
		"  Sub-topology: 2\n"+
		"    Source: source3 (topics: [topic3])\n"+
		"      --> processor3\n"+
		"    Processor: processor3 (stores: [])\n"+
		"      --> none\n"+
		"      <-- source3\n"+
		"\n")
}

// TopologyTest.multipleSourcesWithSinksShouldHaveDistinctSubtopologies
func TestDescribeMultipleSourcesWithSinks(t *testing.T) {
	b := NewBuilder()
	for _, i := range []string{"1", "2", "3"} {
		dsink(b, "sink"+i, "sinkTopic"+i, dsrc(b, "source"+i, "topic"+i))
	}
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source1 (topics: [topic1])\n"+
		"      --> sink1\n"+
		"    Sink: sink1 (topic: sinkTopic1)\n"+
		"      <-- source1\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: source2 (topics: [topic2])\n"+
		"      --> sink2\n"+
		"    Sink: sink2 (topic: sinkTopic2)\n"+
		"      <-- source2\n"+
		"\n"+
		"  Sub-topology: 2\n"+
		"    Source: source3 (topics: [topic3])\n"+
		"      --> sink3\n"+
		"    Sink: sink3 (topic: sinkTopic3)\n"+
		"      <-- source3\n"+
		"\n")
}

// TopologyTest.processorsWithSameSinkShouldHaveSameSubtopology
func TestDescribeProcessorsWithSameSink(t *testing.T) {
	b := NewBuilder()
	p1 := dproc(b, "processor1", dsrc(b, "source", "topic"))
	p2 := dproc(b, "processor2", dsrc(b, "source2", "topic2"))
	p3 := dproc(b, "processor3", dsrc(b, "source3", "topic3"))
	dsink(b, "sink", "sinkTopic", p1, p2, p3)
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic])\n"+
		"      --> processor1\n"+
		"    Source: source2 (topics: [topic2])\n"+
		"      --> processor2\n"+
		"    Source: source3 (topics: [topic3])\n"+
		"      --> processor3\n"+
		"    Processor: processor1 (stores: [])\n"+
		"      --> sink\n"+
		"      <-- source\n"+
		"    Processor: processor2 (stores: [])\n"+
		"      --> sink\n"+
		"      <-- source2\n"+
		"    Processor: processor3 (stores: [])\n"+
		"      --> sink\n"+
		"      <-- source3\n"+
		"    Sink: sink (topic: sinkTopic)\n"+
		"      <-- processor1, processor2, processor3\n"+
		"\n")
}

// TopologyTest.processorsWithSharedStateShouldHaveSameSubtopology
func TestDescribeProcessorsWithSharedState(t *testing.T) {
	b := NewBuilder()
	dprocWithNewStores(b, "processor1", []string{"store1"}, dsrc(b, "source", "topic"))
	dprocWithNewStores(b, "processor2", []string{"store2"}, dsrc(b, "source2", "topic2"))
	dprocWithExistingStores(b, "processor3", []string{"store1", "store2"}, dsrc(b, "source3", "topic3"))
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source (topics: [topic])\n"+
		"      --> processor1\n"+
		"    Source: source2 (topics: [topic2])\n"+
		"      --> processor2\n"+
		"    Source: source3 (topics: [topic3])\n"+
		"      --> processor3\n"+
		"    Processor: processor1 (stores: [store1])\n"+
		"      --> none\n"+
		"      <-- source\n"+
		"    Processor: processor2 (stores: [store2])\n"+
		"      --> none\n"+
		"      <-- source2\n"+
		"    Processor: processor3 (stores: [store1, store2])\n"+
		"      --> none\n"+
		"      <-- source3\n"+
		"\n")
}

// TopologyTest.shouldDescribeGlobalStoreTopology: the global store's processor lists the
// store, and the block has no blank line after it.
func TestDescribeGlobalStore(t *testing.T) {
	b := NewBuilder()
	dglobal(b, "globalStore", "source", "globalTopic", "processor")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0 for global store (will not generate tasks)\n"+
		"    Source: source (topics: [globalTopic])\n"+
		"      --> processor\n"+
		"    Processor: processor (stores: [globalStore])\n"+
		"      --> none\n"+
		"      <-- source\n")
}

// TopologyTest.shouldDescribeMultipleGlobalStoreTopology
func TestDescribeMultipleGlobalStores(t *testing.T) {
	b := NewBuilder()
	dglobal(b, "globalStore1", "source1", "globalTopic1", "processor1")
	dglobal(b, "globalStore2", "source2", "globalTopic2", "processor2")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0 for global store (will not generate tasks)\n"+
		"    Source: source1 (topics: [globalTopic1])\n"+
		"      --> processor1\n"+
		"    Processor: processor1 (stores: [globalStore1])\n"+
		"      --> none\n"+
		"      <-- source1\n"+
		"  Sub-topology: 1 for global store (will not generate tasks)\n"+
		"    Source: source2 (topics: [globalTopic2])\n"+
		"      --> processor2\n"+
		"    Processor: processor2 (stores: [globalStore2])\n"+
		"      --> none\n"+
		"      <-- source2\n")
}

// A global store created between two sub-topologies takes the id between theirs, and its
// block (with no blank line) sits between them. Printed by Kafka's describe code for the
// same calls (as TopologyTest's helpers make them).
func TestDescribeGlobalStoreBetweenSubtopologies(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "source1", "topic1")
	dglobal(b, "globalStore", "globalSource", "globalTopic", "globalProcessor")
	dproc(b, "processor2", dsrc(b, "source2", "topic2"))
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: source1 (topics: [topic1])\n"+
		"      --> none\n"+
		"\n"+
		"  Sub-topology: 1 for global store (will not generate tasks)\n"+
		"    Source: globalSource (topics: [globalTopic])\n"+
		"      --> globalProcessor\n"+
		"    Processor: globalProcessor (stores: [globalStore])\n"+
		"      --> none\n"+
		"      <-- globalSource\n"+
		"  Sub-topology: 2\n"+
		"    Source: source2 (topics: [topic2])\n"+
		"      --> processor2\n"+
		"    Processor: processor2 (stores: [])\n"+
		"      --> none\n"+
		"      <-- source2\n"+
		"\n")
}

// InternalTopologyBuilderTest.shouldSortProcessorNodesCorrectly: nodes by sub-tree size
// (source1=6, source2=4, processor2=3, processor1=2, processor3=2, sink1=1), but source1's
// successors in the order the sizes had when they were added (processor1 then processor2).
func TestDescribeSortsProcessorNodes(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "source1", "topic1")
	dsrc(b, "source2", "topic2")
	dproc(b, "processor1", "source1")
	dproc(b, "processor2", "source1", "source2")
	dproc(b, "processor3", "processor2")
	dsink(b, "sink1", "topic2", "processor1", "processor3")
	want := "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: source1 (topics: [topic1])\n" +
		"      --> processor1, processor2\n" +
		"    Source: source2 (topics: [topic2])\n" +
		"      --> processor2\n" +
		"    Processor: processor2 (stores: [])\n" +
		"      --> processor3\n" +
		"      <-- source1, source2\n" +
		"    Processor: processor1 (stores: [])\n" +
		"      --> sink1\n" +
		"      <-- source1\n" +
		"    Processor: processor3 (stores: [])\n" +
		"      --> sink1\n" +
		"      <-- processor2\n" +
		"    Sink: sink1 (topic: topic2)\n" +
		"      <-- processor1, processor3\n" +
		"\n"
	checkDescribe(t, b, want)

	// The structured description says the same.
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d := top.Describe()
	if len(d.Subtopologies) != 1 || len(d.GlobalStores) != 0 {
		t.Fatalf("got %d sub-topologies and %d global stores", len(d.Subtopologies), len(d.GlobalStores))
	}
	var order []string
	for _, n := range d.Subtopologies[0].Nodes {
		order = append(order, n.Name)
	}
	if want := []string{"source1", "source2", "processor2", "processor1", "processor3", "sink1"}; !slices.Equal(order, want) {
		t.Errorf("nodes %v, want %v", order, want)
	}
	s1, ok := d.Subtopologies[0].Node("source1")
	if !ok || s1.Kind != SourceNode || !slices.Equal(s1.Topics, []string{"topic1"}) || !slices.Equal(s1.Successors, []string{"processor1", "processor2"}) || s1.Predecessors != nil {
		t.Errorf("source1: %+v", s1)
	}
	sk, ok := d.Subtopologies[0].Node("sink1")
	if !ok || sk.Kind != SinkNode || sk.Topic != "topic2" || !slices.Equal(sk.Predecessors, []string{"processor1", "processor3"}) || sk.Successors != nil {
		t.Errorf("sink1: %+v", sk)
	}
	if _, ok := d.Subtopologies[0].Node("nope"); ok {
		t.Error("Node found a missing node")
	}
	if got := sk.String(); got != "Sink: sink1 (topic: topic2)\n      <-- processor1, processor3" {
		t.Errorf("sink1.String() = %q", got)
	}
}

// The successor-order quirk on its own: src's successors are a (size 1) and b (size 1 when
// added, 2 once c is connected), so src prints "--> a, b" while the node list has b before a.
// Printed by Kafka's describe code for the same calls.
func TestDescribeSuccessorsInInsertionTimeOrder(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "src", "t")
	dproc(b, "a", "src")
	dproc(b, "b", "src")
	dproc(b, "c", "b")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: src (topics: [t])\n"+
		"      --> a, b\n"+
		"    Processor: b (stores: [])\n"+
		"      --> c\n"+
		"      <-- src\n"+
		"    Processor: a (stores: [])\n"+
		"      --> none\n"+
		"      <-- src\n"+
		"    Processor: c (stores: [])\n"+
		"      --> none\n"+
		"      <-- b\n"+
		"\n")
}

// A TreeSet whose elements' sizes changed after insertion: the descent of Java's red-black
// tree (not a binary search of the sorted list) decides where Ké goes in AaAa's successors.
// Found by differential testing against Kafka's describe code, which printed this.
func TestDescribeTreeSetDescent(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "AaAa", "v", "proc", "TAa")
	dsink(b, "b", "s3", "AaAa")
	dproc(b, "proc", "AaAa")
	b.AddStateStore(dstore("AaBB"), "proc")
	dsink(b, "Ké", "s3", "AaAa")
	dsrcPattern(b, "BBBB", "patBBBB[0-9]")
	dsink(b, "Kproc", "ba", "BBBB", "proc")
	got := describeString(t, b)
	if want := "    Source: AaAa (topics: [proc, TAa, v])\n      --> Ké, b, proc\n"; !strings.Contains(got, want) {
		t.Errorf("got\n%s\nwant it to contain\n%s", got, want)
	}
}

// A store shared by processors of two sources merges them into sub-topology 0, and the
// source created between them gets id 1. Printed by Kafka's describe code for the same calls.
func TestDescribeStoreMergesGroups(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "A", "ta")
	dsrc(b, "B", "tb")
	dsrc(b, "C", "tc")
	dproc(b, "pa", "A")
	dproc(b, "pc", "C")
	b.AddStateStore(dstore("s"), "pa", "pc")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: A (topics: [ta])\n"+
		"      --> pa\n"+
		"    Source: C (topics: [tc])\n"+
		"      --> pc\n"+
		"    Processor: pa (stores: [s])\n"+
		"      --> none\n"+
		"      <-- A\n"+
		"    Processor: pc (stores: [s])\n"+
		"      --> none\n"+
		"      <-- C\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: B (topics: [tb])\n"+
		"      --> none\n"+
		"\n")
}

// TopologyTest.topologyWithDynamicRoutingShouldDescribeExtractorClass (DSL
// builder.stream("input-topic").to(extractor), written with the builder's names).
func TestDescribeDynamicRouting(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "KSTREAM-SOURCE-0000000000", "input-topic")
	AddSink(b, "KSTREAM-SINK-0000000001", Sink[string, string]{
		TopicChooser: func(k, _ string, md processor.RecordMetadata) string { return md.Topic + "-" + k },
		ChooserName:  "anonymous topic name extractor. topic is [recordContext.topic()]-[key]",
		Keys:         serde.String, Values: serde.String,
	}, "KSTREAM-SOURCE-0000000000")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-SINK-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000001 (extractor class: anonymous topic name extractor. topic is [recordContext.topic()]-[key])\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// TopologyTest.streamStreamJoinTopologyWithDefaultStoresNames (the DSL join, written node by
// node): KSTREAM-MERGE's predecessors print JOINTHIS first although the node list has
// JOINOTHER first.
func TestDescribeStreamStreamJoin(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "KSTREAM-SOURCE-0000000000", "input-topic1")
	dsrc(b, "KSTREAM-SOURCE-0000000001", "input-topic2")
	dproc(b, "KSTREAM-WINDOWED-0000000002", "KSTREAM-SOURCE-0000000000")
	dproc(b, "KSTREAM-WINDOWED-0000000003", "KSTREAM-SOURCE-0000000001")
	dproc(b, "KSTREAM-JOINTHIS-0000000004", "KSTREAM-WINDOWED-0000000002")
	dproc(b, "KSTREAM-JOINOTHER-0000000005", "KSTREAM-WINDOWED-0000000003")
	dproc(b, "KSTREAM-MERGE-0000000006", "KSTREAM-JOINTHIS-0000000004", "KSTREAM-JOINOTHER-0000000005")
	b.AddStateStore(dstore("KSTREAM-JOINTHIS-0000000004-store"), "KSTREAM-WINDOWED-0000000002", "KSTREAM-JOINOTHER-0000000005")
	b.AddStateStore(dstore("KSTREAM-JOINOTHER-0000000005-store"), "KSTREAM-WINDOWED-0000000003", "KSTREAM-JOINTHIS-0000000004")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n"+
		"      --> KSTREAM-WINDOWED-0000000002\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n"+
		"      --> KSTREAM-WINDOWED-0000000003\n"+
		"    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"+
		"      --> KSTREAM-JOINTHIS-0000000004\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"+
		"      --> KSTREAM-JOINOTHER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"+
		"      --> KSTREAM-MERGE-0000000006\n"+
		"      <-- KSTREAM-WINDOWED-0000000003\n"+
		"    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"+
		"      --> KSTREAM-MERGE-0000000006\n"+
		"      <-- KSTREAM-WINDOWED-0000000002\n"+
		"    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\n")
}

// TopologyTest.streamStreamLeftJoinTopologyWithCustomStoresNames: store lists print in Java
// HashSet order, not in connection or alphabetical order.
func TestDescribeStoresInHashSetOrder(t *testing.T) {
	b := NewBuilder()
	s := dsrc(b, "source", "topic")
	dproc(b, "KSTREAM-JOINTHIS-0000000004", s)
	dproc(b, "KSTREAM-OUTEROTHER-0000000005", s)
	b.AddStateStore(dstore("custom-name-left-shared-join-store"), "KSTREAM-JOINTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005")
	b.AddStateStore(dstore("custom-name-outer-other-join-store"), "KSTREAM-JOINTHIS-0000000004")
	b.AddStateStore(dstore("custom-name-this-join-store"), "KSTREAM-OUTEROTHER-0000000005")
	got := describeString(t, b)
	for _, want := range []string{
		"    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [custom-name-outer-other-join-store, custom-name-left-shared-join-store])\n",
		"    Processor: KSTREAM-OUTEROTHER-0000000005 (stores: [custom-name-this-join-store, custom-name-left-shared-join-store])\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got\n%s\nwant it to contain\n%s", got, want)
		}
	}
}

// TopologyTest.tableZeroArgCountShouldPreserveTopologyStructure (the DSL table/groupBy/count,
// written node by node): two sub-topologies joined only by a repartition topic.
func TestDescribeRepartitionedSubtopologies(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "KSTREAM-SOURCE-0000000001", "input-topic")
	dproc(b, "KTABLE-SOURCE-0000000002", "KSTREAM-SOURCE-0000000001")
	b.AddStateStore(dstore("input-topic-STATE-STORE-0000000000"), "KTABLE-SOURCE-0000000002")
	dproc(b, "KTABLE-SELECT-0000000003", "KTABLE-SOURCE-0000000002")
	dsink(b, "KSTREAM-SINK-0000000005", "KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition", "KTABLE-SELECT-0000000003")
	dsrc(b, "KSTREAM-SOURCE-0000000006", "KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition")
	dproc(b, "KTABLE-AGGREGATE-0000000007", "KSTREAM-SOURCE-0000000006")
	b.AddStateStore(dstore("KTABLE-AGGREGATE-STATE-STORE-0000000004"), "KTABLE-AGGREGATE-0000000007")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n"+
		"      --> KTABLE-SOURCE-0000000002\n"+
		"    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n"+
		"      --> KTABLE-SELECT-0000000003\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000005\n"+
		"      <-- KTABLE-SOURCE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"+
		"      <-- KTABLE-SELECT-0000000003\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"+
		"      --> KTABLE-AGGREGATE-0000000007\n"+
		"    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"\n")
}

// KStreamImplTest.shouldSupportKeyChangeKTableFromKStream (the DSL map/toTable/toStream/to,
// written node by node).
func TestDescribeKeyChangeKTableFromKStream(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "KSTREAM-SOURCE-0000000000", "input")
	dproc(b, "KSTREAM-MAP-0000000001", "KSTREAM-SOURCE-0000000000")
	dproc(b, "KSTREAM-FILTER-0000000005", "KSTREAM-MAP-0000000001")
	dsink(b, "KSTREAM-SINK-0000000004", "KSTREAM-TOTABLE-0000000002-repartition", "KSTREAM-FILTER-0000000005")
	dsrc(b, "KSTREAM-SOURCE-0000000006", "KSTREAM-TOTABLE-0000000002-repartition")
	dproc(b, "KSTREAM-TOTABLE-0000000002", "KSTREAM-SOURCE-0000000006")
	dproc(b, "KTABLE-TOSTREAM-0000000007", "KSTREAM-TOTABLE-0000000002")
	dsink(b, "KSTREAM-SINK-0000000008", "output", "KTABLE-TOSTREAM-0000000007")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> KSTREAM-MAP-0000000001\n"+
		"    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- KSTREAM-MAP-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000005\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-TOTABLE-0000000002-repartition])\n"+
		"      --> KSTREAM-TOTABLE-0000000002\n"+
		"    Processor: KSTREAM-TOTABLE-0000000002 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000007\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000008\n"+
		"      <-- KSTREAM-TOTABLE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000008 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000007\n\n")
}

// KStreamImplTest.shouldSupportForeignKeyTableTableJoinWithKTableFromKStream (the DSL
// foreign-key join, written node by node): stores shared across sources merge groups, and
// the node order follows the sub-tree sizes.
func TestDescribeForeignKeyJoin(t *testing.T) {
	b := NewBuilder()
	dsrc(b, "KSTREAM-SOURCE-0000000000", "input1")
	dproc(b, "KSTREAM-TOTABLE-0000000001", "KSTREAM-SOURCE-0000000000")
	dsrc(b, "KSTREAM-SOURCE-0000000003", "input2")
	dproc(b, "KSTREAM-TOTABLE-0000000004", "KSTREAM-SOURCE-0000000003")
	dproc(b, "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007", "KSTREAM-TOTABLE-0000000001")
	dsink(b, "KTABLE-SINK-0000000008", "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic", "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007")
	dsrc(b, "KTABLE-SOURCE-0000000009", "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic")
	dproc(b, "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011", "KTABLE-SOURCE-0000000009")
	dproc(b, "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011")
	dproc(b, "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013", "KSTREAM-TOTABLE-0000000004")
	dsink(b, "KTABLE-SINK-0000000015", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013")
	dsrc(b, "KTABLE-SOURCE-0000000016", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic")
	dproc(b, "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017", "KTABLE-SOURCE-0000000016")
	dproc(b, "KTABLE-FK-JOIN-OUTPUT-0000000018", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017")
	dproc(b, "KTABLE-TOSTREAM-0000000020", "KTABLE-FK-JOIN-OUTPUT-0000000018")
	dsink(b, "KSTREAM-SINK-0000000021", "output", "KTABLE-TOSTREAM-0000000020")
	b.AddStateStore(dstore("KSTREAM-TOTABLE-STATE-STORE-0000000002"), "KSTREAM-TOTABLE-0000000001", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017")
	b.AddStateStore(dstore("KSTREAM-TOTABLE-STATE-STORE-0000000005"), "KSTREAM-TOTABLE-0000000004", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012")
	b.AddStateStore(dstore("KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010"), "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KTABLE-SOURCE-0000000016 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input1])\n"+
		"      --> KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-FK-JOIN-OUTPUT-0000000018\n"+
		"      <-- KTABLE-SOURCE-0000000016\n"+
		"    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KTABLE-FK-JOIN-OUTPUT-0000000018 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000020\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007 (stores: [])\n"+
		"      --> KTABLE-SINK-0000000008\n"+
		"      <-- KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: KTABLE-TOSTREAM-0000000020 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000021\n"+
		"      <-- KTABLE-FK-JOIN-OUTPUT-0000000018\n"+
		"    Sink: KSTREAM-SINK-0000000021 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000020\n"+
		"    Sink: KTABLE-SINK-0000000008 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic)\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000003 (topics: [input2])\n"+
		"      --> KSTREAM-TOTABLE-0000000004\n"+
		"    Source: KTABLE-SOURCE-0000000009 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"+
		"    Processor: KSTREAM-TOTABLE-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n"+
		"      <-- KSTREAM-SOURCE-0000000003\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012\n"+
		"      <-- KTABLE-SOURCE-0000000009\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> KTABLE-SINK-0000000015\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"+
		"      --> KTABLE-SINK-0000000015\n"+
		"      <-- KSTREAM-TOTABLE-0000000004\n"+
		"    Sink: KTABLE-SINK-0000000015 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic)\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012, KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n"+
		"\n")
}

// The Java emulation helpers, against values computed by Java.
func TestJavaStringHashAndCompare(t *testing.T) {
	for s, want := range map[string]int32{
		"":                          0,
		"Aa":                        2112,
		"BB":                        2112,
		"hello":                     99162322,
		"KSTREAM-SOURCE-0000000000": 1861603632,
		"é":                         233,
		"𝄞":                         1772394, // two UTF-16 code units: 0xD834*31 + 0xDD1E
	} {
		if got := javaStringHash(s); got != want {
			t.Errorf("javaStringHash(%q) = %d, want %d", s, got, want)
		}
	}
	// Java compares UTF-16 code units: U+FFFF sorts after U+1D11E (0xD834 0xDD1E), unlike
	// in UTF-8.
	if javaCompareStrings("\uFFFF", "𝄞") <= 0 || javaCompareStrings("a", "b") >= 0 || javaCompareStrings("ab", "ab") != 0 {
		t.Error("javaCompareStrings does not follow String.compareTo")
	}
	if javaGrowCapacity(12) != 16 || javaGrowCapacity(13) != 32 || javaCopyCapacity(1) != 16 || javaCopyCapacity(12) != 16 || javaCopyCapacity(13) != 32 {
		t.Error("HashMap capacities differ from Java's")
	}
}
