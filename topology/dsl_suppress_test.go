package topology_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// chg is a Change[int64] on the test topics of the suppression harness, as JSON; nil is
// absent (Kafka's null).
type chg struct{ New, Old *int64 }

func (c chg) String() string {
	f := func(p *int64) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	return "(" + f(c.New) + "<-" + f(c.Old) + ")"
}

func i64(v int64) *int64 { return &v }

// Kafka's KTableSuppressProcessorTest.ARBITRARY_LONG and ARBITRARY_CHANGE (new 7, old 14).
const arbitraryLong = 5

var arbitraryChange = chg{New: i64(7), Old: i64(14)}

// suppressHarness is Kafka's KTableSuppressProcessorTest.Harness: a suppression node fed
// Change records as they are piped in, its output captured with the Change values whole.
// end, when not nil, makes the input a windowed table closed graceMs after a window's end.
type suppressHarness[K any] struct {
	d   *testutil.TopologyTestDriver
	in  *testutil.TestInputTopic[K, chg]
	out *testutil.TestOutputTopic[K, chg]
}

func newSuppressHarness[K any](t *testing.T, s topology.Suppressed, keys serde.Serde[K], graceMs int64, end func(K) int64) *suppressHarness[K] {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	b := topology.LowLevelForTest(sb)
	topology.AddSource(b, "source", topology.Source[K, chg]{Topics: []string{"in"}, Keys: keys, Values: serde.JSON[chg]()})
	topology.AddProcessor(b, "feeder", processor.Func(func(ctx processor.Context[K, topology.Change[int64]], r processor.Record[K, chg]) error {
		var c topology.Change[int64]
		v := r.Value()
		if v.New != nil {
			c.New, c.HasNew = *v.New, true
		}
		if v.Old != nil {
			c.Old, c.HasOld = *v.Old, true
		}
		return ctx.Forward(processor.Revalue(r, c))
	}), "source")
	sup := topology.TableOverNodeForTest(sb, "feeder", keys, serde.Int64, graceMs, end).Suppress(s)
	topology.AddProcessor(b, "capture", processor.Func(func(ctx processor.Context[K, chg], r processor.Record[K, topology.Change[int64]]) error {
		var v chg
		c := r.Value()
		if c.HasNew {
			v.New = i64(c.New)
		}
		if c.HasOld {
			v.Old = i64(c.Old)
		}
		return ctx.Forward(processor.Revalue(r, v))
	}), sup.Name())
	topology.AddSink(b, "sink", topology.Sink[K, chg]{Topic: "out", Keys: keys, Values: serde.JSON[chg]()}, "capture")
	d := newDriver(t, sb)
	return &suppressHarness[K]{d: d, in: testutil.CreateInputTopic(d, "in", keys, serde.JSON[chg]()), out: testutil.CreateOutputTopic(d, "out", keys, serde.JSON[chg]())}
}

func (h *suppressHarness[K]) process(t *testing.T, key K, c chg, ts int64, headers ...processor.Header) error {
	t.Helper()
	return h.in.PipeRecord(testutil.TestRecord[K, chg]{Key: key, Value: c, Timestamp: ts, Headers: headers})
}

func (h *suppressHarness[K]) forwarded(t *testing.T) []string {
	t.Helper()
	recs, err := h.out.ReadRecordsToList()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range recs {
		s := fmt.Sprintf("%v:%v@%d", r.Key, r.Value, r.Timestamp)
		for _, hd := range r.Headers {
			s += fmt.Sprintf(" %s=%s", hd.Key, hd.Value)
		}
		out = append(out, s)
	}
	return out
}

func windowEnd(w serde.Windowed[string]) int64 { return w.End }

func twin(key string, start, end int64) serde.Windowed[string] {
	return serde.Windowed[string]{Key: key, Start: start, End: end}
}

// The tests below are Kafka's KTableSuppressProcessorTest, one per method of the same name;
// its finalResults(grace) is UntilWindowCloses over a windowed table of that grace.

func TestSuppressZeroTimeLimitShouldImmediatelyEmit(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(0, topology.Unbounded()), serde.String, 0, nil)
	must(t, h.process(t, "hey", arbitraryChange, arbitraryLong))
	check(t, h.forwarded(t), []string{"hey:(7<-14)@5"})
}

func TestSuppressWindowedZeroTimeLimitShouldImmediatelyEmit(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(0, topology.Unbounded()), serde.TimeWindowed(serde.String, 100*time.Millisecond), 0, nil)
	must(t, h.process(t, twin("hey", 0, 100), arbitraryChange, arbitraryLong))
	check(t, h.forwarded(t), []string{"{hey 0 100}:(7<-14)@5"})
}

func TestSuppressIntermediateSuppressionShouldBufferAndEmitLater(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(time.Millisecond, topology.Unbounded()), serde.String, 0, nil)
	must(t, h.process(t, "hey", chg{Old: i64(1)}, 0))
	check(t, h.forwarded(t), []string{})
	must(t, h.process(t, "tick", chg{}, 1))
	check(t, h.forwarded(t), []string{"hey:(null<-1)@0"})
}

func TestSuppressFinalResultsShouldBufferAndEmitAtGraceExpiration(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilWindowCloses(topology.Unbounded()), serde.TimeWindowed(serde.String, time.Millisecond), 1, windowEnd)
	must(t, h.process(t, twin("hey", 99, 100), arbitraryChange, 99))
	check(t, h.forwarded(t), []string{})
	// Stream time is 100, but "hey" waits 1 ms past its window's end.
	must(t, h.process(t, twin("dummyKey1", 100, 101), arbitraryChange, 100))
	check(t, h.forwarded(t), []string{})
	must(t, h.process(t, twin("dummyKey2", 101, 102), arbitraryChange, 101))
	check(t, h.forwarded(t), []string{"{hey 99 100}:(7<-14)@99"})
}

func TestSuppressFinalResultsWithZeroGraceShouldStillBufferUntilTheWindowEnd(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilWindowCloses(topology.Unbounded()), serde.TimeWindowed(serde.String, 100*time.Millisecond), 0, windowEnd)
	must(t, h.process(t, twin("hey", 0, 100), arbitraryChange, 5))
	check(t, h.forwarded(t), []string{})
	must(t, h.process(t, twin("dummyKey", 100, 200), arbitraryChange, 100))
	check(t, h.forwarded(t), []string{"{hey 0 100}:(7<-14)@5"})
}

func TestSuppressFinalResultsWithZeroGraceAtWindowEndShouldImmediatelyEmit(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilWindowCloses(topology.Unbounded()), serde.TimeWindowed(serde.String, 100*time.Millisecond), 0, windowEnd)
	must(t, h.process(t, twin("hey", 0, 100), arbitraryChange, 100))
	check(t, h.forwarded(t), []string{"{hey 0 100}:(7<-14)@100"})
}

func TestSuppressFinalResultsShouldDropTombstonesForTimeWindows(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilWindowCloses(topology.Unbounded()), serde.TimeWindowed(serde.String, 100*time.Millisecond), 0, windowEnd)
	must(t, h.process(t, twin("hey", 0, 100), chg{Old: i64(arbitraryLong)}, 100))
	check(t, h.forwarded(t), []string{})
}

func TestSuppressFinalResultsShouldDropTombstonesForSessionWindows(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilWindowCloses(topology.Unbounded()), serde.SessionWindowed(serde.String), 0, windowEnd)
	must(t, h.process(t, twin("hey", 0, 0), chg{Old: i64(arbitraryLong)}, 100))
	check(t, h.forwarded(t), []string{})
}

func TestSuppressShouldNotDropTombstonesForTimeWindows(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(0, topology.MaxRecords(1)), serde.TimeWindowed(serde.String, 100*time.Millisecond), 0, windowEnd)
	must(t, h.process(t, twin("hey", 0, 100), chg{Old: i64(arbitraryLong)}, 100, processor.Header{Key: "k", Value: []byte("v")}))
	check(t, h.forwarded(t), []string{"{hey 0 100}:(null<-5)@100 k=v"})
}

func TestSuppressShouldNotDropTombstonesForSessionWindows(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(0, topology.MaxRecords(1)), serde.SessionWindowed(serde.String), 0, windowEnd)
	must(t, h.process(t, twin("hey", 0, 0), chg{Old: i64(arbitraryLong)}, 100))
	check(t, h.forwarded(t), []string{"{hey 0 0}:(null<-5)@100"})
}

func TestSuppressShouldNotDropTombstonesForKTable(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(0, topology.MaxRecords(1)), serde.String, 0, nil)
	must(t, h.process(t, "hey", chg{Old: i64(arbitraryLong)}, 100))
	check(t, h.forwarded(t), []string{"hey:(null<-5)@100"})
}

func TestSuppressShouldEmitWhenOverRecordCapacity(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(100*24*time.Hour, topology.MaxRecords(1)), serde.String, 0, nil)
	must(t, h.process(t, "hey", chg{Old: i64(arbitraryLong)}, 100))
	must(t, h.process(t, "dummyKey", chg{Old: i64(arbitraryLong)}, 101))
	check(t, h.forwarded(t), []string{"hey:(null<-5)@100"})
}

func TestSuppressShouldEmitWhenOverByteCapacity(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(100*24*time.Hour, topology.MaxBytes(60)), serde.String, 0, nil)
	must(t, h.process(t, "hey", chg{Old: i64(arbitraryLong)}, 100))
	must(t, h.process(t, "dummyKey", chg{Old: i64(arbitraryLong)}, 101))
	check(t, h.forwarded(t), []string{"hey:(null<-5)@100"})
}

func TestSuppressShouldShutDownWhenOverRecordCapacity(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(100*24*time.Hour, topology.MaxRecords(1).ShutDownWhenFull()), serde.String, 0, nil)
	must(t, h.process(t, "hey", chg{Old: i64(arbitraryLong)}, 100))
	err := h.process(t, "dummyKey", chg{Old: i64(arbitraryLong)}, 100)
	if err == nil || !strings.Contains(err.Error(), "exceeded its max capacity") || !strings.Contains(err.Error(), "[2/1] records") {
		t.Fatalf("got %v, want the buffer's capacity error", err)
	}
}

func TestSuppressShouldShutDownWhenOverByteCapacity(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(100*24*time.Hour, topology.MaxBytes(60).ShutDownWhenFull()), serde.String, 0, nil)
	must(t, h.process(t, "hey", chg{Old: i64(arbitraryLong)}, 100))
	err := h.process(t, "dummyKey", chg{Old: i64(arbitraryLong)}, 100)
	if err == nil || !strings.Contains(err.Error(), "exceeded its max capacity") || !strings.Contains(err.Error(), "suppression buffer of node") {
		t.Fatalf("got %v, want the buffer's capacity error", err)
	}
}

// A key updated while buffered keeps its place in the buffer (Kafka's non-resetting
// InMemoryTimeOrderedKeyValueChangeBuffer.cleanPut): the time limit runs from its first
// update, and the last update is what is emitted, with its own timestamp.
func TestSuppressUpdatedKeyKeepsItsPlace(t *testing.T) {
	h := newSuppressHarness(t, topology.UntilTimeLimit(10*time.Millisecond, topology.Unbounded()), serde.String, 0, nil)
	must(t, h.process(t, "a", chg{New: i64(1)}, 0))
	must(t, h.process(t, "b", chg{New: i64(1)}, 5))
	must(t, h.process(t, "a", chg{New: i64(2), Old: i64(1)}, 8))
	check(t, h.forwarded(t), []string{})
	must(t, h.process(t, "tick", chg{New: i64(0)}, 10))
	check(t, h.forwarded(t), []string{"a:(2<-1)@8"})
	must(t, h.process(t, "tick", chg{New: i64(0)}, 15))
	check(t, h.forwarded(t), []string{"b:(1<-null)@5"})
}

// UntilWindowCloses on a table that is not windowed is an error of Build (Kafka's
// GraphGraceSearchUtil: "Window close time is only defined for windowed computations").
func TestSuppressUntilWindowClosesNeedsWindows(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Table(sb, "in", strs, topology.Materialized[string, string]{}).Suppress(topology.UntilWindowCloses(topology.Unbounded()))
	_, err := sb.Build()
	if err == nil || !strings.Contains(err.Error(), "UntilWindowCloses needs a windowed table") {
		t.Fatalf("got %v", err)
	}
}

// SuppressTopologyTest.shouldUseNumberingForAnonymousSuppressionNode and
// shouldApplyNameToSuppressionNode: an unnamed suppression takes the next index for its node
// and another for its store; a named one takes none ("<name>-store").
func TestSuppressDescribeIntermediate(t *testing.T) {
	const anonymous = "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n" +
		"      --> KSTREAM-AGGREGATE-0000000002\n" +
		"    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n" +
		"      --> KTABLE-SUPPRESS-0000000003\n" +
		"      <-- KSTREAM-SOURCE-0000000000\n" +
		"    Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])\n" +
		"      --> KTABLE-TOSTREAM-0000000005\n" +
		"      <-- KSTREAM-AGGREGATE-0000000002\n" +
		"    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n" +
		"      --> KSTREAM-SINK-0000000006\n" +
		"      <-- KTABLE-SUPPRESS-0000000003\n" +
		"    Sink: KSTREAM-SINK-0000000006 (topic: output)\n" +
		"      <-- KTABLE-TOSTREAM-0000000005\n" +
		"\n"
	const named = "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n" +
		"      --> KSTREAM-AGGREGATE-0000000002\n" +
		"    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n" +
		"      --> asdf\n" +
		"      <-- KSTREAM-SOURCE-0000000000\n" +
		"    Processor: asdf (stores: [asdf-store])\n" +
		"      --> KTABLE-TOSTREAM-0000000003\n" +
		"      <-- KSTREAM-AGGREGATE-0000000002\n" +
		"    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n" +
		"      --> KSTREAM-SINK-0000000004\n" +
		"      <-- asdf\n" +
		"    Sink: KSTREAM-SINK-0000000004 (topic: output)\n" +
		"      <-- KTABLE-TOSTREAM-0000000003\n" +
		"\n"
	for want, s := range map[string]topology.Suppressed{
		anonymous: topology.UntilTimeLimit(time.Second, topology.Unbounded()),
		named:     topology.UntilTimeLimit(time.Second, topology.Unbounded()).WithName("asdf"),
	} {
		sb := topology.NewStreamsBuilder()
		topology.Count(topology.GroupByKey(topology.Stream(sb, "input", strs)), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory}).
			Suppress(s).ToStream().To("output", topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64})
		top, err := sb.Build()
		must(t, err)
		if got := top.Describe().String(); got != want {
			t.Errorf("Describe:\n%s\nwant:\n%s", got, want)
		}
	}
}
