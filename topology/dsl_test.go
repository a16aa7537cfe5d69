package topology_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of the stateless KStream operators: each test transcribes the inputs and the
// expected outputs of the Kafka Streams test it names (org.apache.kafka.streams.kstream.
// internals unless said otherwise). Where Kafka's test captures the records with a mock
// processor, these write them to an output topic and read them back, with their
// timestamps. Java Integer is int32 here.

// kvt is Kafka's KeyValueTimestamp.
type kvt[K, V any] struct {
	Key   K
	Value V
	Ts    int64
}

func newDriver(t *testing.T, sb *topology.StreamsBuilder) *testutil.TopologyTestDriver {
	t.Helper()
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top, testutil.WallClockStart(time.UnixMilli(0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func readAll[K, V any](t *testing.T, o *testutil.TestOutputTopic[K, V]) []kvt[K, V] {
	t.Helper()
	recs, err := o.ReadRecordsToList()
	if err != nil {
		t.Fatal(err)
	}
	var out []kvt[K, V]
	for _, r := range recs {
		out = append(out, kvt[K, V]{r.Key, r.Value, r.Timestamp})
	}
	return out
}

func check[T any](t *testing.T, got, want []T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var intString = topology.Consumed[int32, string]{Keys: serde.Int32, Values: serde.String}

// filterProgram pipes keys 1..7 with values "V<key>" through op and returns what comes out.
func filterProgram(t *testing.T, op func(*topology.KStream[int32, string]) *topology.KStream[int32, string]) []kvt[int32, string] {
	sb := topology.NewStreamsBuilder()
	op(topology.Stream(sb, "topic", intString)).To("out")
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	for k := int32(1); k <= 7; k++ {
		must(t, in.PipeInputWithTimestamp(k, "V"+strconv.Itoa(int(k)), 0))
	}
	return readAll(t, testutil.CreateOutputTopic(d, "out", serde.Int32, serde.String))
}

// KStreamFilterTest: testFilter (2 records), testFilterWithComposedPredicate (1),
// testFilterNot, testFilterNegatedPredicate and testFilterNotPredicate (5 each). Kafka counts
// the records; the records themselves are written out here.
func TestDSLFilter(t *testing.T) {
	isMultipleOfThree := func(k int32, _ string) bool { return k%3 == 0 }
	isEven := func(k int32, _ string) bool { return k%2 == 0 }
	check(t, filterProgram(t, func(s *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		return s.Filter(isMultipleOfThree)
	}), []kvt[int32, string]{{3, "V3", 0}, {6, "V6", 0}})
	check(t, filterProgram(t, func(s *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		return s.Filter(func(k int32, v string) bool { return isMultipleOfThree(k, v) && isEven(k, v) })
	}), []kvt[int32, string]{{6, "V6", 0}})
	notThree := []kvt[int32, string]{{1, "V1", 0}, {2, "V2", 0}, {4, "V4", 0}, {5, "V5", 0}, {7, "V7", 0}}
	check(t, filterProgram(t, func(s *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		return s.FilterNot(isMultipleOfThree)
	}), notThree)
	check(t, filterProgram(t, func(s *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		return s.Filter(func(k int32, v string) bool { return !isMultipleOfThree(k, v) })
	}), notThree)
}

// KStreamMapTest.testMap: keys 0..3 with values "V<key>" at timestamps 10-key; map swaps key
// and value.
func TestDSLMap(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Map(topology.Stream(sb, "topic", intString), func(k int32, v string) topology.KeyValue[string, int32] {
		return topology.Pair(v, k)
	}).To("out", topology.Produced[string, int32]{Keys: serde.String, Values: serde.Int32})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	for _, k := range []int32{0, 1, 2, 3} {
		must(t, in.PipeInputWithTimestamp(k, "V"+strconv.Itoa(int(k)), 10-int64(k)))
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int32)),
		[]kvt[string, int32]{{"V0", 0, 10}, {"V1", 1, 9}, {"V2", 2, 8}, {"V3", 3, 7}})
}

// KStreamMapValuesTest: testFlatMapValues (the value's length; Kafka's test name) and
// testMapValuesWithKeys (length + key); keys 1, 10, 100, 1000 at timestamps key/2.
func TestDSLMapValues(t *testing.T) {
	run := func(build func(*topology.KStream[int32, string]) *topology.KStream[int32, int32]) []kvt[int32, int32] {
		sb := topology.NewStreamsBuilder()
		build(topology.Stream(sb, "topic", intString)).To("out", topology.Produced[int32, int32]{Values: serde.Int32})
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
		for _, k := range []int32{1, 10, 100, 1000} {
			must(t, in.PipeInputWithTimestamp(k, strconv.Itoa(int(k)), int64(k)/2))
		}
		return readAll(t, testutil.CreateOutputTopic(d, "out", serde.Int32, serde.Int32))
	}
	check(t, run(func(s *topology.KStream[int32, string]) *topology.KStream[int32, int32] {
		return topology.MapValues(s, func(v string) int32 { return int32(len(v)) })
	}), []kvt[int32, int32]{{1, 1, 0}, {10, 2, 5}, {100, 3, 50}, {1000, 4, 500}})
	check(t, run(func(s *topology.KStream[int32, string]) *topology.KStream[int32, int32] {
		return topology.MapValuesWithKey(s, func(k int32, v string) int32 { return int32(len(v)) + k })
	}), []kvt[int32, int32]{{1, 2, 0}, {10, 12, 5}, {100, 103, 50}, {1000, 1004, 500}})
}

// KStreamFlatMapTest.testFlatMap: key k gives k pairs (k*10+i, value) for i < k.
func TestDSLFlatMap(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.FlatMap(topology.Stream(sb, "topic", intString), func(k int32, v string) []topology.KeyValue[string, string] {
		var out []topology.KeyValue[string, string]
		for i := range k {
			out = append(out, topology.Pair(strconv.Itoa(int(k*10+i)), v))
		}
		return out
	}).To("out", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	for _, k := range []int32{0, 1, 2, 3} {
		must(t, in.PipeInput(k, "V"+strconv.Itoa(int(k))))
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)), []kvt[string, string]{
		{"10", "V1", 0}, {"20", "V2", 0}, {"21", "V2", 0}, {"30", "V3", 0}, {"31", "V3", 0}, {"32", "V3", 0}})
}

// KStreamFlatMapValuesTest: testFlatMapValues ("v<value>", "V<value>") and
// testFlatMapValuesWithKeys ("v<value>", "k<key>"); keys and values 0..3 at timestamp 0.
func TestDSLFlatMapValues(t *testing.T) {
	run := func(build func(*topology.KStream[int32, int32]) *topology.KStream[int32, string]) []kvt[int32, string] {
		sb := topology.NewStreamsBuilder()
		build(topology.Stream(sb, "topic", topology.Consumed[int32, int32]{Keys: serde.Int32, Values: serde.Int32})).
			To("out", topology.Produced[int32, string]{Values: serde.String})
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.Int32)
		for k := int32(0); k < 4; k++ {
			must(t, in.PipeInputWithTimestamp(k, k, 0))
		}
		return readAll(t, testutil.CreateOutputTopic(d, "out", serde.Int32, serde.String))
	}
	check(t, run(func(s *topology.KStream[int32, int32]) *topology.KStream[int32, string] {
		return topology.FlatMapValues(s, func(v int32) []string { return []string{fmt.Sprint("v", v), fmt.Sprint("V", v)} })
	}), []kvt[int32, string]{{0, "v0", 0}, {0, "V0", 0}, {1, "v1", 0}, {1, "V1", 0}, {2, "v2", 0}, {2, "V2", 0}, {3, "v3", 0}, {3, "V3", 0}})
	check(t, run(func(s *topology.KStream[int32, int32]) *topology.KStream[int32, string] {
		return topology.FlatMapValuesWithKey(s, func(k, v int32) []string { return []string{fmt.Sprint("v", v), fmt.Sprint("k", k)} })
	}), []kvt[int32, string]{{0, "v0", 0}, {0, "k0", 0}, {1, "v1", 0}, {1, "k1", 0}, {2, "v2", 0}, {2, "k2", 0}, {3, "v3", 0}, {3, "k3", 0}})
}

// KStreamSelectKeyTest.testSelectKey: values 1, 2, 3 piped with null keys get the keys ONE,
// TWO, THREE.
func TestDSLSelectKey(t *testing.T) {
	keyMap := map[int32]string{1: "ONE", 2: "TWO", 3: "THREE"}
	sb := topology.NewStreamsBuilder()
	topology.SelectKey(topology.Stream(sb, "topic_key_select", topology.Consumed[string, int32]{Keys: serde.String, Values: serde.Int32}),
		func(_ string, v int32) string { return keyMap[v] }).
		To("out", topology.Produced[string, int32]{Keys: serde.String})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic_key_select", serde.String, serde.Int32)
	for _, v := range []int32{1, 2, 3} {
		must(t, in.PipeValue(v))
	}
	out := testutil.CreateOutputTopic(d, "out", serde.String, serde.Int32)
	recs, err := out.ReadRecordsToList()
	must(t, err)
	var got []kvt[string, int32]
	for _, r := range recs {
		if r.NullKey {
			t.Errorf("record %v has a null key after SelectKey", r)
		}
		got = append(got, kvt[string, int32]{r.Key, r.Value, r.Timestamp})
	}
	check(t, got, []kvt[string, int32]{{"ONE", 1, 0}, {"TWO", 2, 0}, {"THREE", 3, 0}})
}

// KStreamPeekTest.shouldObserveStreamElements: peek and a foreach after it both see keys
// 0..31 with values "V<key>", in order.
func TestDSLPeek(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	var peeked, foreached, want []topology.KeyValue[int32, string]
	topology.Stream(sb, "topic", intString).
		Peek(func(k int32, v string) { peeked = append(peeked, topology.Pair(k, v)) }).
		Foreach(func(k int32, v string) { foreached = append(foreached, topology.Pair(k, v)) })
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	for k := int32(0); k < 32; k++ {
		v := "V" + strconv.Itoa(int(k))
		must(t, in.PipeInput(k, v))
		want = append(want, topology.Pair(k, v))
	}
	check(t, peeked, want)
	check(t, foreached, want)
}

// KStreamForeachTest.testForeach: the action records (key*2, upper-cased value).
func TestDSLForeach(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	var got []topology.KeyValue[int32, string]
	topology.Stream(sb, "topic", intString).Foreach(func(k int32, v string) {
		got = append(got, topology.Pair(k*2, strings.ToUpper(v)))
	})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	for _, kv := range []topology.KeyValue[int32, string]{
		topology.Pair[int32](0, "zero"), topology.Pair[int32](1, "one"), topology.Pair[int32](2, "two"), topology.Pair[int32](3, "three")} {
		must(t, in.PipeInput(kv.Key, kv.Value))
	}
	check(t, got, []topology.KeyValue[int32, string]{
		topology.Pair[int32](0, "ZERO"), topology.Pair[int32](2, "ONE"), topology.Pair[int32](4, "TWO"), topology.Pair[int32](6, "THREE")})
}

// KStreamPrintTest.testPrintStreamWithProvidedKeyValueMapper: label "test-stream" and a
// mapper "%d, %s". Then the defaults of Kafka's PrintedInternal and PrintForeachAction: the
// label is the name of the printed stream's node, the mapper "%s, %s", null printed "null".
func TestDSLPrint(t *testing.T) {
	var buf bytes.Buffer
	sb := topology.NewStreamsBuilder()
	topology.Stream(sb, "topic", intString).Print(&buf, topology.Printed[int32, string]{
		Label:  "test-stream",
		Mapper: func(k int32, v string) string { return fmt.Sprintf("%d, %s", k, v) },
	})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	for _, kv := range []topology.KeyValue[int32, string]{
		topology.Pair[int32](0, "zero"), topology.Pair[int32](1, "one"), topology.Pair[int32](2, "two"), topology.Pair[int32](3, "three")} {
		must(t, in.PipeInput(kv.Key, kv.Value))
	}
	if want := "[test-stream]: 0, zero\n[test-stream]: 1, one\n[test-stream]: 2, two\n[test-stream]: 3, three\n"; buf.String() != want {
		t.Errorf("printed %q, want %q", buf.String(), want)
	}

	buf.Reset()
	sb = topology.NewStreamsBuilder()
	topology.Stream(sb, "topic", intString).Filter(func(int32, string) bool { return true }).Print(&buf)
	d = newDriver(t, sb)
	in = testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	must(t, in.PipeInput(1, "one"))
	must(t, in.PipeTombstone(2))
	must(t, in.PipeValue("three"))
	if want := "[KSTREAM-FILTER-0000000001]: 1, one\n[KSTREAM-FILTER-0000000001]: 2, null\n[KSTREAM-FILTER-0000000001]: null, three\n"; buf.String() != want {
		t.Errorf("printed %q, want %q", buf.String(), want)
	}
}

// KStreamImplTest.shouldMergeTwoStreams (and StreamsBuilderTest.shouldMergeStreams): the
// merged stream has the records of both, in the order they were piped.
func TestDSLMergeTwoStreams(t *testing.T) {
	ss := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	merged := topology.Stream(sb, "topic-1", ss).Merge(topology.Stream(sb, "topic-2", ss))
	merged.To("out", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	d := newDriver(t, sb)
	in1 := testutil.CreateInputTopic(d, "topic-1", serde.String, serde.String)
	in2 := testutil.CreateInputTopic(d, "topic-2", serde.String, serde.String)
	must(t, in1.PipeInput("A", "aa"))
	must(t, in2.PipeInput("B", "bb"))
	must(t, in2.PipeInput("C", "cc"))
	must(t, in1.PipeInput("D", "dd"))
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)),
		[]kvt[string, string]{{"A", "aa", 0}, {"B", "bb", 0}, {"C", "cc", 0}, {"D", "dd", 0}})
}

// KStreamImplTest.shouldMergeMultipleStreams: four streams merged, timestamps out of order
// kept as they are.
func TestDSLMergeMultipleStreams(t *testing.T) {
	ss := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	s1, s2 := topology.Stream(sb, "topic-1", ss), topology.Stream(sb, "topic-2", ss)
	s3, s4 := topology.Stream(sb, "topic-3", ss), topology.Stream(sb, "topic-4", ss)
	s1.Merge(s2).Merge(s3).Merge(s4).To("out", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	d := newDriver(t, sb)
	in := map[string]*testutil.TestInputTopic[string, string]{}
	for _, name := range []string{"topic-1", "topic-2", "topic-3", "topic-4"} {
		in[name] = testutil.CreateInputTopic(d, name, serde.String, serde.String)
	}
	for _, p := range []struct {
		topic, k, v string
		ts          int64
	}{
		{"topic-1", "A", "aa", 1}, {"topic-2", "B", "bb", 9}, {"topic-3", "C", "cc", 2}, {"topic-4", "D", "dd", 8},
		{"topic-4", "E", "ee", 3}, {"topic-3", "F", "ff", 7}, {"topic-2", "G", "gg", 4}, {"topic-1", "H", "hh", 6},
	} {
		must(t, in[p.topic].PipeInputWithTimestamp(p.k, p.v, p.ts))
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)), []kvt[string, string]{
		{"A", "aa", 1}, {"B", "bb", 9}, {"C", "cc", 2}, {"D", "dd", 8}, {"E", "ee", 3}, {"F", "ff", 7}, {"G", "gg", 4}, {"H", "hh", 6}})
}

// splitInput pipes KStreamSplitTest's keys -1..7 with values "V<key>".
func splitInput(t *testing.T, d *testutil.TopologyTestDriver) {
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	for k := int32(-1); k <= 7; k++ {
		must(t, in.PipeInput(k, "V"+strconv.Itoa(int(k))))
	}
}

func values(t *testing.T, d *testutil.TopologyTestDriver, topic string) []string {
	t.Helper()
	vs, err := testutil.CreateOutputTopic(d, topic, serde.Int32, serde.String).ReadValuesToList()
	must(t, err)
	return vs
}

var (
	isEven            = func(k int32, _ string) bool { return k%2 == 0 }
	isMultipleOfThree = func(k int32, _ string) bool { return k%3 == 0 }
	isMultipleOfFive  = func(k int32, _ string) bool { return k%5 == 0 }
	isMultipleOfSeven = func(k int32, _ string) bool { return k%7 == 0 }
	isNegative        = func(k int32, _ string) bool { return k < 0 }
)

// KStreamSplitTest.testKStreamSplit: three branches consumed into x2, x3, x5; a record goes
// to the first branch it matches only; the map of branches is empty.
func TestDSLSplit(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	to := func(topic string) func(*topology.KStream[int32, string]) {
		return func(s *topology.KStream[int32, string]) { s.To(topic) }
	}
	branches := topology.Stream(sb, "topic", intString).Split().
		Branch(isEven, topology.Branched[int32, string]{Consume: to("x2")}).
		Branch(isMultipleOfThree, topology.Branched[int32, string]{Consume: to("x3")}).
		Branch(isMultipleOfFive, topology.Branched[int32, string]{Consume: to("x5")}).
		NoDefaultBranch()
	if len(branches) != 0 {
		t.Errorf("%d branches, want 0", len(branches))
	}
	d := newDriver(t, sb)
	splitInput(t, d)
	check(t, values(t, d, "x2"), []string{"V0", "V2", "V4", "V6"})
	check(t, values(t, d, "x3"), []string{"V3"})
	check(t, values(t, d, "x5"), []string{"V5"})
}

// KStreamSplitTest.testResultingMap: the map holds the named branch "foo-bar", the chained
// branch "foo-4", the unnamed "foo-5" and the default "foo-0"; not the consumed branch nor the
// one whose chain returns nil. Each is written to the topic of its name.
func TestDSLSplitResultingMap(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	branches := topology.Stream(sb, "topic", intString).Split("foo-").
		Branch(isEven, topology.Branched[int32, string]{Name: "bar"}).
		Branch(isMultipleOfThree, topology.Branched[int32, string]{Consume: func(*topology.KStream[int32, string]) {}}).
		Branch(isMultipleOfFive, topology.Branched[int32, string]{Chain: func(*topology.KStream[int32, string]) *topology.KStream[int32, string] { return nil }}).
		Branch(isNegative, topology.Branched[int32, string]{Chain: func(s *topology.KStream[int32, string]) *topology.KStream[int32, string] { return s }}).
		Branch(isMultipleOfSeven).
		DefaultBranch()
	names := make([]string, 0, len(branches))
	for name := range branches {
		names = append(names, name)
	}
	slices.Sort(names)
	check(t, names, []string{"foo-0", "foo-4", "foo-5", "foo-bar"})
	for _, name := range names {
		branches[name].To(name)
	}
	d := newDriver(t, sb)
	splitInput(t, d)
	check(t, values(t, d, "foo-bar"), []string{"V0", "V2", "V4", "V6"})
	check(t, values(t, d, "foo-4"), []string{"V-1"})
	check(t, values(t, d, "foo-5"), []string{"V7"})
	check(t, values(t, d, "foo-0"), []string{"V1"})
}

// KStreamSplitTest.testBranchingWithNoTerminalOperation: two branches written to the same
// topic, without DefaultBranch or NoDefaultBranch.
func TestDSLSplitNoTerminalOperation(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	to := func(s *topology.KStream[int32, string]) { s.To("output") }
	topology.Stream(sb, "topic", intString).Split().
		Branch(isEven, topology.Branched[int32, string]{Consume: to}).
		Branch(isMultipleOfFive, topology.Branched[int32, string]{Consume: to})
	d := newDriver(t, sb)
	splitInput(t, d)
	check(t, values(t, d, "output"), []string{"V0", "V2", "V4", "V5", "V6"})
}

// StreamsBuilderTest.shouldProcessingFromSinkTopic: a stream written to a topic still feeds
// its other children.
func TestDSLProcessingFromSinkTopic(t *testing.T) {
	ss := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	source := topology.Stream(sb, "topic-source", ss)
	source.To("topic-sink")
	var got []topology.KeyValue[string, string]
	source.Foreach(func(k, v string) { got = append(got, topology.Pair(k, v)) })
	d := newDriver(t, sb)
	must(t, testutil.CreateInputTopic(d, "topic-source", serde.String, serde.String).PipeInput("A", "aa"))
	check(t, got, []topology.KeyValue[string, string]{topology.Pair("A", "aa")})
}

// Null keys and tombstones, as Kafka's KStreamFilter, KStreamPeek, KStreamMapValues and
// KStreamMap (via selectKey) process them: the functions are called with the zero value
// (Kafka passes null), a kept value stays a tombstone, a kept key stays null, a mapped value
// is what the function returns.
func TestDSLNullKeysAndTombstones(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	var seen []string
	s := topology.Stream(sb, "topic", intString).
		Filter(func(k int32, v string) bool { seen = append(seen, fmt.Sprintf("%d/%q", k, v)); return true }).
		Peek(func(int32, string) {})
	s.To("kept")
	topology.MapValues(s, func(v string) string { return "len" + strconv.Itoa(len(v)) }).
		To("mapped", topology.Produced[int32, string]{Values: serde.String})
	topology.SelectKey(s, func(int32, string) int32 { return 9 }).
		To("rekeyed", topology.Produced[int32, string]{Keys: serde.Int32})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int32, serde.String)
	must(t, in.PipeTombstone(1))
	must(t, in.PipeValue("v"))
	check(t, seen, []string{`1/""`, `0/"v"`})
	read := func(topic string) []testutil.TestRecord[int32, string] {
		recs, err := testutil.CreateOutputTopic(d, topic, serde.Int32, serde.String).ReadRecordsToList()
		must(t, err)
		for i := range recs {
			recs[i].Timestamp = 0
		}
		return recs
	}
	check(t, read("kept"), []testutil.TestRecord[int32, string]{{Key: 1, Tombstone: true}, {NullKey: true, Value: "v"}})
	check(t, read("mapped"), []testutil.TestRecord[int32, string]{{Key: 1, Value: "len0"}, {NullKey: true, Value: "len1"}})
	check(t, read("rekeyed"), []testutil.TestRecord[int32, string]{{Key: 9, Tombstone: true}, {Key: 9, Value: "v"}})
}

// Mistakes are reported by Build.
func TestDSLBuildErrors(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s := topology.Stream(sb, "in", intString)
	s.Filter(nil)
	topology.Map(s, func(k int32, v string) topology.KeyValue[int32, string] { return topology.Pair(k, v) }).To("out")
	_, err := sb.Build()
	if err == nil {
		t.Fatal("Build: no error")
	}
	for _, want := range []string{`Filter "KSTREAM-FILTER-0000000001": nil predicate`, `To "KSTREAM-SINK-0000000003": no key or value serializer`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// KStreamImplTest.shouldProcessFromSourceThatMatchPattern: a stream of the topics matching
// topic-\d.
func TestDSLStreamPattern(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.StreamPattern(sb, regexp.MustCompile(`topic-\d`), topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}).
		To("out")
	d := newDriver(t, sb)
	for _, p := range []struct {
		topic, k, v string
		ts          int64
	}{{"topic-3", "A", "aa", 1}, {"topic-4", "B", "bb", 5}, {"topic-5", "C", "cc", 10}, {"topic-6", "D", "dd", 8}, {"topic-7", "E", "ee", 3}} {
		must(t, testutil.CreateInputTopic(d, p.topic, serde.String, serde.String).PipeInputWithTimestamp(p.k, p.v, p.ts))
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)),
		[]kvt[string, string]{{"A", "aa", 1}, {"B", "bb", 5}, {"C", "cc", 10}, {"D", "dd", 8}, {"E", "ee", 3}})
}

// KStreamImplTest.shouldSendDataToDynamicTopics: a topic chooser builds the topic from the
// input topic, the key and the value's first letter; streams of those topics read them back.
func TestDSLToChooser(t *testing.T) {
	ss := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	topology.Stream(sb, "topic", ss).ToChooser(func(k, v string, md processor.RecordMetadata) string {
		return md.Topic + "-" + k + "-" + v[:1]
	}, topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	topology.Stream(sb, "topic-a-v", ss).To("got-a")
	topology.Stream(sb, "topic-b-v", ss).To("got-b")
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
	must(t, in.PipeInput("a", "v1"))
	must(t, in.PipeInput("a", "v2"))
	must(t, in.PipeInput("b", "v1"))
	check(t, readAll(t, testutil.CreateOutputTopic(d, "got-a", serde.String, serde.String)), []kvt[string, string]{{"a", "v1", 0}, {"a", "v2", 0}})
	check(t, readAll(t, testutil.CreateOutputTopic(d, "got-b", serde.String, serde.String)), []kvt[string, string]{{"b", "v1", 0}})
}

// StreamsBuilderTest.shouldAllowStreamsFromSameTopic and its neighbours: streams of the same
// topics (or pattern) share one source node; overlapping but unequal topics, different reset
// policies, two tables of a topic, or a stream and a table of it, are errors of Build.
func TestDSLStreamsFromSameTopics(t *testing.T) {
	earliest := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String, OffsetReset: topology.ResetEarliest}
	latest := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String, OffsetReset: topology.ResetLatest}
	re := regexp.MustCompile("some-regex")
	for _, c := range []struct {
		name string
		prog func(sb *topology.StreamsBuilder)
		ok   bool
	}{
		{"shouldAllowStreamsFromSameTopic", func(sb *topology.StreamsBuilder) {
			topology.Stream(sb, "topic", strs)
			topology.Stream(sb, "topic", strs)
		}, true},
		{"shouldAllowSubscribingToSamePattern", func(sb *topology.StreamsBuilder) {
			topology.StreamPattern(sb, re, strs)
			topology.StreamPattern(sb, regexp.MustCompile("some-regex"), strs)
		}, true},
		{"shouldAllowReadingFromSameCollectionOfTopics", func(sb *topology.StreamsBuilder) {
			topology.StreamTopics(sb, []string{"topic1", "topic2"}, strs)
			topology.StreamTopics(sb, []string{"topic2", "topic1"}, strs)
		}, true},
		{"shouldNotAllowReadingFromOverlappingAndUnequalCollectionOfTopics", func(sb *topology.StreamsBuilder) {
			topology.StreamTopics(sb, []string{"topic"}, strs)
			topology.StreamTopics(sb, []string{"topic", "anotherTopic"}, strs)
		}, false},
		{"shouldThrowWhenSubscribedToATopicWithDifferentResetPolicies", func(sb *topology.StreamsBuilder) {
			topology.Stream(sb, "topic", earliest)
			topology.Stream(sb, "topic", latest)
		}, false},
		{"shouldThrowWhenSubscribedToATopicWithSetAndUnsetResetPolicies", func(sb *topology.StreamsBuilder) {
			topology.Stream(sb, "topic", earliest)
			topology.Stream(sb, "topic", strs)
		}, false},
		{"shouldThrowWhenSubscribedToATopicWithUnsetAndSetResetPolicies", func(sb *topology.StreamsBuilder) {
			topology.Stream(sb, "another-topic", strs)
			topology.Stream(sb, "another-topic", latest)
		}, false},
		{"shouldThrowWhenSubscribedToAPatternWithDifferentResetPolicies", func(sb *topology.StreamsBuilder) {
			topology.StreamPattern(sb, re, earliest)
			topology.StreamPattern(sb, re, latest)
		}, false},
		{"shouldThrowWhenSubscribedToAPatternWithSetAndUnsetResetPolicies", func(sb *topology.StreamsBuilder) {
			topology.StreamPattern(sb, re, earliest)
			topology.StreamPattern(sb, re, strs)
		}, false},
		{"shouldNotAllowTablesFromSameTopic", func(sb *topology.StreamsBuilder) {
			topology.Table(sb, "topic", strs, topology.Materialized[string, string]{})
			topology.Table(sb, "topic", strs, topology.Materialized[string, string]{})
		}, false},
		{"shouldNowAllowStreamAndTableFromSameTopic", func(sb *topology.StreamsBuilder) {
			topology.Stream(sb, "topic", strs)
			topology.Table(sb, "topic", strs, topology.Materialized[string, string]{})
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			c.prog(sb)
			if _, err := sb.Build(); (err == nil) != c.ok {
				t.Errorf("Build() error = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// Two streams of one topic both see every record, through the one source node Describe
// shows (Kafka's merged StreamSourceNode; the children in the order of Kafka's HashSet, as
// Describe emulates it).
func TestDSLStreamsFromSameTopicShareTheSource(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.MapValues(topology.Stream(sb, "topic", strs), strings.ToUpper).To("upper", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	topology.Stream(sb, "topic", strs).Filter(func(_, v string) bool { return v != "b" }).To("filtered")
	top, err := sb.Build()
	must(t, err)
	want := `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])
      --> KSTREAM-FILTER-0000000004, KSTREAM-MAPVALUES-0000000001
    Processor: KSTREAM-FILTER-0000000004 (stores: [])
      --> KSTREAM-SINK-0000000005
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-MAPVALUES-0000000001 (stores: [])
      --> KSTREAM-SINK-0000000002
      <-- KSTREAM-SOURCE-0000000000
    Sink: KSTREAM-SINK-0000000002 (topic: upper)
      <-- KSTREAM-MAPVALUES-0000000001
    Sink: KSTREAM-SINK-0000000005 (topic: filtered)
      <-- KSTREAM-FILTER-0000000004

`
	if got := top.Describe().String(); got != want {
		t.Errorf("Describe:\n%s\nwant:\n%s", got, want)
	}
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
	must(t, in.PipeValueList([]string{"a", "b"}))
	up, err := testutil.CreateOutputTopic(d, "upper", serde.String, serde.String).ReadValuesToList()
	must(t, err)
	fl, err := testutil.CreateOutputTopic(d, "filtered", serde.String, serde.String).ReadValuesToList()
	must(t, err)
	check(t, up, []string{"A", "B"})
	check(t, fl, []string{"a"})
}
