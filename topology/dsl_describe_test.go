package topology

import (
	"slices"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/serde"
)

// Describe() of DSL programs against the strings Kafka Streams prints for the same programs,
// transcribed from the Kafka test or document named above each test.

var dslStrings = Consumed[string, string]{Keys: serde.String, Values: serde.String}

// Kafka's Streams tutorial (docs/streams/tutorial.html), Pipe: its printed description, in
// today's TopologyDescription format (the tutorial prints an older one-line format with the
// same names and edges).
func TestDSLDescribeTutorialPipe(t *testing.T) {
	sb := NewStreamsBuilder()
	Stream(sb, "streams-plaintext-input", dslStrings).To("streams-pipe-output")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n"+
		"      --> KSTREAM-SINK-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000001 (topic: streams-pipe-output)\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"\n")
}

// Kafka's Streams tutorial (docs/streams/tutorial.html), LineSplit: flatMapValues then to.
func TestDSLDescribeTutorialLineSplit(t *testing.T) {
	sb := NewStreamsBuilder()
	FlatMapValues(Stream(sb, "streams-plaintext-input", dslStrings), strings.Fields).
		To("streams-linesplit-output", Produced[string, string]{Values: serde.String})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n"+
		"      --> KSTREAM-FLATMAPVALUES-0000000001\n"+
		"    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000002\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Sink: KSTREAM-SINK-0000000002 (topic: streams-linesplit-output)\n"+
		"      <-- KSTREAM-FLATMAPVALUES-0000000001\n"+
		"\n")
}

// NamedTopologyTest.shouldDescribeWithSingleNamedTopology (processor.internals): a source
// with no child, then stream → filter → to. Kafka prints it under a "Topology: topology-1:"
// header (a named topology); the sub-topologies are printed as here.
func TestDSLDescribeFilter(t *testing.T) {
	sb := NewStreamsBuilder()
	Stream(sb, "input-1", dslStrings)
	Stream(sb, "input", dslStrings).Filter(func(k, v string) bool { return k != v }).To("output")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-1])\n"+
		"      --> none\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input])\n"+
		"      --> KSTREAM-FILTER-0000000002\n"+
		"    Processor: KSTREAM-FILTER-0000000002 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000003\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000003 (topic: output)\n"+
		"      <-- KSTREAM-FILTER-0000000002\n"+
		"\n")
}

// StreamsGraphTest.shouldOptimizeSeveralMergeNodesWithCommonKeyChangingParent
// (kstream.internals.graph), expectedMergeOptimizedTopology: selectKey, three mapValues of
// it, merged two by two, to a topic. (The program has no repartition, so optimization does
// not change it.)
func TestDSLDescribeMergesOfKeyChangingParent(t *testing.T) {
	sb := NewStreamsBuilder()
	parent := SelectKey(Stream(sb, "input_topic", Consumed[int32, int32]{Keys: serde.Int32, Values: serde.Int32}),
		func(k, v int32) int32 { return k + v })
	child1 := MapValues(parent, func(v int32) int32 { return v + 1 })
	child2 := MapValues(parent, func(v int32) int32 { return v + 2 })
	child3 := MapValues(parent, func(v int32) int32 { return v + 3 })
	child1.Merge(child2).Merge(child3).To("output_topic", Produced[int32, int32]{Keys: serde.Int32, Values: serde.Int32})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input_topic])\n"+
		"      --> KSTREAM-KEY-SELECT-0000000001\n"+
		"    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"+
		"      --> KSTREAM-MAPVALUES-0000000002, KSTREAM-MAPVALUES-0000000003, KSTREAM-MAPVALUES-0000000004\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])\n"+
		"      --> KSTREAM-MERGE-0000000005\n"+
		"      <-- KSTREAM-KEY-SELECT-0000000001\n"+
		"    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])\n"+
		"      --> KSTREAM-MERGE-0000000005\n"+
		"      <-- KSTREAM-KEY-SELECT-0000000001\n"+
		"    Processor: KSTREAM-MAPVALUES-0000000004 (stores: [])\n"+
		"      --> KSTREAM-MERGE-0000000006\n"+
		"      <-- KSTREAM-KEY-SELECT-0000000001\n"+
		"    Processor: KSTREAM-MERGE-0000000005 (stores: [])\n"+
		"      --> KSTREAM-MERGE-0000000006\n"+
		"      <-- KSTREAM-MAPVALUES-0000000002, KSTREAM-MAPVALUES-0000000003\n"+
		"    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000007\n"+
		"      <-- KSTREAM-MERGE-0000000005, KSTREAM-MAPVALUES-0000000004\n"+
		"    Sink: KSTREAM-SINK-0000000007 (topic: output_topic)\n"+
		"      <-- KSTREAM-MERGE-0000000006\n"+
		"\n")
}

// dslNodeNames returns the names of every node Describe prints, sorted.
func dslNodeNames(t *testing.T, sb *StreamsBuilder) []string {
	t.Helper()
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sub := range top.Describe().Subtopologies {
		for _, n := range sub.Nodes {
			names = append(names, n.Name)
		}
	}
	slices.Sort(names)
	return names
}

func checkNames(t *testing.T, sb *StreamsBuilder, want ...string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	if got := dslNodeNames(t, sb); !slices.Equal(got, want) {
		t.Errorf("nodes %q, want %q", got, want)
	}
}

// StreamsBuilderTest.shouldUseSpecifiedNameFor…: a Named replaces the generated name, and the
// counter still advances for it (NamedInternal.orElseGenerateWithPrefix).
func TestDSLSpecifiedNames(t *testing.T) {
	const op = "stream-operation" // STREAM_OPERATION_NAME
	stringStream := func(sb *StreamsBuilder, topic string) *KStream[string, string] { return Stream(sb, topic, dslStrings) }

	// shouldUseSpecifiedNameForStreamSourceProcessor
	sb := NewStreamsBuilder()
	Stream(sb, "stream-topic", Consumed[string, string]{Keys: serde.String, Values: serde.String, Name: "source-node"})
	stringStream(sb, "stream-topic-two")
	checkNames(t, sb, "source-node", "KSTREAM-SOURCE-0000000001")

	// shouldUseSpecifiedNameForSinkProcessor (two sinks to one topic)
	sb = NewStreamsBuilder()
	s := stringStream(sb, "stream-topic")
	s.To("stream-topic-two", Produced[string, string]{Name: "sink-processor"})
	s.To("stream-topic-two")
	checkNames(t, sb, "KSTREAM-SOURCE-0000000000", "sink-processor", "KSTREAM-SINK-0000000002")

	// shouldUseSpecifiedNameForMapOperation, …MapValuesOperation, …MapValuesWithKeyOperation,
	// …FilterOperation, …ForEachOperation
	for _, add := range []func(*KStream[string, string]){
		func(s *KStream[string, string]) { Map(s, Pair[string, string], op) },
		func(s *KStream[string, string]) { MapValues(s, func(v string) string { return v }, op) },
		func(s *KStream[string, string]) { MapValuesWithKey(s, func(_, v string) string { return v }, op) },
		func(s *KStream[string, string]) { s.Filter(func(_, _ string) bool { return true }, op) },
		func(s *KStream[string, string]) { s.Foreach(func(_, _ string) {}, op) },
	} {
		sb = NewStreamsBuilder()
		add(stringStream(sb, "stream-topic"))
		checkNames(t, sb, "KSTREAM-SOURCE-0000000000", op)
	}

	// shouldUseSpecifiedNameForSplitOperation
	sb = NewStreamsBuilder()
	stringStream(sb, "stream-topic").Split("branch-processor").
		Branch(func(_, _ string) bool { return true }, Branched[string, string]{Name: "-1"}).
		Branch(func(_, _ string) bool { return false }, Branched[string, string]{Name: "-2"})
	checkNames(t, sb, "KSTREAM-SOURCE-0000000000", "branch-processor", "branch-processor-1", "branch-processor-2")

	// shouldUseSpecifiedNameForMergeOperation
	sb = NewStreamsBuilder()
	stringStream(sb, "topic-1").Merge(stringStream(sb, "topic-2"), "merge-processor")
	checkNames(t, sb, "KSTREAM-SOURCE-0000000000", "KSTREAM-SOURCE-0000000001", "merge-processor")

	// shouldUseSpecifiedNameForPrintOperation
	sb = NewStreamsBuilder()
	stringStream(sb, "stream-topic").Print(&strings.Builder{}, Printed[string, string]{Name: "print-processor"})
	checkNames(t, sb, "KSTREAM-SOURCE-0000000000", "print-processor")
}

// Split's generated names, from BranchedKStreamImpl: the splitter takes the counter, each
// branch is the splitter's name followed by its position (the default branch's is 0) and
// burns an index of the counter (newProcessorName(branchChildName)), so the sink after them
// is KSTREAM-SINK-0000000005. Derived from Kafka's source, not transcribed from a test.
func TestDSLSplitGeneratedNames(t *testing.T) {
	sb := NewStreamsBuilder()
	branches := Stream(sb, "topic", dslStrings).Split().
		Branch(func(k, _ string) bool { return k == "a" }).
		Branch(func(k, _ string) bool { return k == "b" }).
		DefaultBranch()
	branches["KSTREAM-BRANCH-00000000011"].To("out")
	checkNames(t, sb, "KSTREAM-SOURCE-0000000000", "KSTREAM-BRANCH-0000000001",
		"KSTREAM-BRANCH-00000000011", "KSTREAM-BRANCH-00000000012", "KSTREAM-BRANCH-00000000010",
		"KSTREAM-SINK-0000000005")
}

// Kafka's KStreamImpl marks a stream as needing a repartition after map, flatMap and
// selectKey, carries the mark through the key-keeping operations and merges it in merge.
func TestDSLRepartitionRequired(t *testing.T) {
	sb := NewStreamsBuilder()
	src := Stream(sb, "in", dslStrings)
	other := Stream(sb, "in2", dslStrings)
	keyed := SelectKey(src, func(_, v string) string { return v })
	cases := []struct {
		name string
		s    interface{ needsRepartition() bool }
		want bool
	}{
		{"source", src, false},
		{"filter of source", src.Filter(func(_, _ string) bool { return true }), false},
		{"mapValues of source", MapValues(src, strings.ToUpper), false},
		{"selectKey", keyed, true},
		{"map", Map(src, Pair[string, string]), true},
		{"flatMap", FlatMap(src, func(k, v string) []KeyValue[string, string] { return nil }), true},
		{"filter after selectKey", keyed.Filter(func(_, _ string) bool { return true }), true},
		{"peek after selectKey", keyed.Peek(func(_, _ string) {}), true},
		{"mapValues after selectKey", MapValues(keyed, strings.ToUpper), true},
		{"flatMapValues after selectKey", FlatMapValues(keyed, strings.Fields), true},
		{"branch after selectKey", onlyBranch(t, keyed.Split().DefaultBranch()), true},
		{"merge of clean streams", src.Merge(other), false},
		{"merge with a keyed stream", other.Merge(keyed), true},
	}
	for _, c := range cases {
		if got := c.s.needsRepartition(); got != c.want {
			t.Errorf("%s: repartition required = %v, want %v", c.name, got, c.want)
		}
	}
}

func onlyBranch(t *testing.T, m map[string]*KStream[string, string]) *KStream[string, string] {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("%d branches, want 1", len(m))
	}
	for _, s := range m {
		return s
	}
	return nil
}
