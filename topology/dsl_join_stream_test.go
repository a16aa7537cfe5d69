package topology_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance tests of the stream-stream joins: the inputs and expected outputs of Kafka's
// KStreamKStreamJoinTest, KStreamKStreamLeftJoinTest and KStreamKStreamOuterJoinTest, run
// through the TopologyTestDriver. Kafka's tests capture the joined stream with a mock
// processor; these write it to a topic. Kafka's outer-join tests read the right topic as
// Long values; these read them as strings of the same digits, which gives the same joined
// strings. Kafka's TopologyTestDriver ticks its wall clock at every read, so the emission
// throttle of unmatched records never holds: the joins here set its interval to 0.

var joinConsumed = topology.Consumed[int32, string]{Keys: serde.Int32, Values: serde.String}

// joinStoreType is the type of the join stores of the tests; TestStreamStreamJoinsOnRocksDB
// reruns some with StoreRocksDB.
var joinStoreType = topology.StoreInMemory

func joinedStrings() topology.StreamJoined[int32, string, string] {
	return topology.SetJoinEmitInterval(topology.StreamJoined[int32, string, string]{Keys: serde.Int32, Values: serde.String, OtherValues: serde.String, StoreType: joinStoreType}, 0)
}

// Kafka's MockValueJoiner.TOSTRING_JOINER, with "null" for a missing side.
func toStringJoiner(v string, hasV bool, o string, hasO bool) string {
	if !hasV {
		v = "null"
	}
	if !hasO {
		o = "null"
	}
	return v + "+" + o
}

type joinOut struct {
	key     int32
	nullKey bool
	value   string
	ts      int64
}

func (o joinOut) String() string {
	k := fmt.Sprint(o.key)
	if o.nullKey {
		k = "null"
	}
	return fmt.Sprintf("%s:%s@%d", k, o.value, o.ts)
}

func jkvt(key int32, value string, ts int64) joinOut { return joinOut{key: key, value: value, ts: ts} }

type joinHarness struct {
	t   *testing.T
	d   *testutil.TopologyTestDriver
	in1 *testutil.TestInputTopic[int32, string]
	in2 *testutil.TestInputTopic[int32, string]
	out *testutil.TestOutputTopic[int32, string]
}

func newJoinHarness(t *testing.T, join func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string]) *joinHarness {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	join(topology.Stream(sb, "topic1", joinConsumed), topology.Stream(sb, "topic2", joinConsumed)).
		To("out", topology.Produced[int32, string]{Keys: serde.Int32, Values: serde.String})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &joinHarness{t: t, d: d,
		in1: testutil.CreateInputTopic(d, "topic1", serde.Int32, serde.String),
		in2: testutil.CreateInputTopic(d, "topic2", serde.Int32, serde.String),
		out: testutil.CreateOutputTopic(d, "out", serde.Int32, serde.String),
	}
}

func (h *joinHarness) pipe1(key int32, value string, ts int64) {
	h.t.Helper()
	if err := h.in1.PipeInputWithTimestamp(key, value, ts); err != nil {
		h.t.Fatal(err)
	}
}

func (h *joinHarness) pipe2(key int32, value string, ts int64) {
	h.t.Helper()
	if err := h.in2.PipeInputWithTimestamp(key, value, ts); err != nil {
		h.t.Fatal(err)
	}
}

// check is Kafka's checkAndClearProcessResult.
func (h *joinHarness) check(want ...joinOut) {
	h.t.Helper()
	recs, err := h.out.ReadRecordsToList()
	if err != nil {
		h.t.Fatal(err)
	}
	got := make([]joinOut, len(recs))
	for i, r := range recs {
		got[i] = joinOut{key: r.Key, nullKey: r.NullKey, value: r.Value, ts: r.Timestamp}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		h.t.Errorf("joined records\n got: %v\nwant: %v", got, want)
	}
}

func innerJoin(w topology.JoinWindows) func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string] {
	return func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		return topology.Join(s1, s2, func(v, o string) string { return v + "+" + o }, w, joinedStrings())
	}
}

func leftJoin(w topology.JoinWindows) func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string] {
	return func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		return topology.LeftJoin(s1, s2, func(v, o string, hasO bool) string { return toStringJoiner(v, true, o, hasO) }, w, joinedStrings())
	}
}

func outerJoin(w topology.JoinWindows) func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string] {
	return func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		return topology.OuterJoin(s1, s2, toStringJoiner, w, joinedStrings())
	}
}

const jms = time.Millisecond

// KStreamKStreamJoinTest.testJoin.
func TestStreamStreamJoin(t *testing.T) {
	h := newJoinHarness(t, innerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms)))
	keys := []int32{0, 1, 2, 3}
	for _, k := range keys[:2] {
		h.pipe1(k, fmt.Sprint("A", k), 0)
	}
	h.check()
	for _, k := range keys[:2] {
		h.pipe2(k, fmt.Sprint("a", k), 0)
	}
	h.check(jkvt(0, "A0+a0", 0), jkvt(1, "A1+a1", 0))
	for _, k := range keys {
		h.pipe1(k, fmt.Sprint("B", k), 0)
	}
	h.check(jkvt(0, "B0+a0", 0), jkvt(1, "B1+a1", 0))
	for _, k := range keys {
		h.pipe2(k, fmt.Sprint("b", k), 0)
	}
	h.check(jkvt(0, "A0+b0", 0), jkvt(0, "B0+b0", 0), jkvt(1, "A1+b1", 0), jkvt(1, "B1+b1", 0), jkvt(2, "B2+b2", 0), jkvt(3, "B3+b3", 0))
	for _, k := range keys {
		h.pipe1(k, fmt.Sprint("C", k), 0)
	}
	h.check(jkvt(0, "C0+a0", 0), jkvt(0, "C0+b0", 0), jkvt(1, "C1+a1", 0), jkvt(1, "C1+b1", 0), jkvt(2, "C2+b2", 0), jkvt(3, "C3+b3", 0))
	for _, k := range keys[:2] {
		h.pipe2(k, fmt.Sprint("c", k), 0)
	}
	h.check(jkvt(0, "A0+c0", 0), jkvt(0, "B0+c0", 0), jkvt(0, "C0+c0", 0), jkvt(1, "A1+c1", 0), jkvt(1, "B1+c1", 0), jkvt(1, "C1+c1", 0))
}

// KStreamKStreamLeftJoinTest.testLeftJoinDuplicates.
func TestStreamStreamLeftJoinDuplicates(t *testing.T) {
	h := newJoinHarness(t, leftJoin(topology.JoinWindowsOfTimeDifferenceAndGrace(100*jms, 10*jms)))
	h.pipe1(0, "A0", 0)
	h.pipe1(0, "A0-0", 0)
	h.pipe2(1, "a0", 111)
	h.pipe2(2, "dummy", 500)
	h.check(jkvt(0, "A0+null", 0), jkvt(0, "A0-0+null", 0))
	h.pipe1(2, "A2", 1000)
	h.pipe1(2, "A2-0", 1000)
	h.pipe2(2, "a2", 1001)
	h.check(jkvt(2, "A2+a2", 1001), jkvt(2, "A2-0+a2", 1001))
	h.pipe2(3, "a3", 315)
	h.check()
}

// KStreamKStreamLeftJoinTest.testLeftExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor.
func TestStreamStreamLeftJoinExpiredEmittedByLeft(t *testing.T) {
	h := newJoinHarness(t, leftJoin(topology.JoinWindowsOfTimeDifferenceAndGrace(100*jms, 0)))
	h.pipe1(0, "A0", 1)
	h.pipe1(1, "A1", 2)
	h.pipe1(0, "A0-0", 3)
	h.check()
	h.pipe2(1, "a1", 3)
	h.check(jkvt(1, "A1+a1", 3))
	h.pipe1(2, "dummy", 401)
	h.check(jkvt(0, "A0+null", 1), jkvt(0, "A0-0+null", 3))
	h.pipe2(2, "dummy", 401)
	h.check(jkvt(2, "dummy+dummy", 401))
}

// KStreamKStreamLeftJoinTest.testLeftJoinWithDefaultSuppliers (runLeftJoin).
func TestStreamStreamLeftJoin(t *testing.T) {
	h := newJoinHarness(t, leftJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms)))
	keys := []int32{0, 1, 2, 3}
	for _, k := range keys[:2] {
		h.pipe1(k, fmt.Sprint("A", k), 0)
	}
	h.check()
	for _, k := range keys[:2] {
		h.pipe2(k, fmt.Sprint("a", k), 0)
	}
	h.check(jkvt(0, "A0+a0", 0), jkvt(1, "A1+a1", 0))
	for _, k := range keys[:3] {
		h.pipe1(k, fmt.Sprint("B", k), 0)
	}
	h.check(jkvt(0, "B0+a0", 0), jkvt(1, "B1+a1", 0))
	for _, k := range keys {
		h.pipe2(k, fmt.Sprint("b", k), 0)
	}
	h.check(jkvt(0, "A0+b0", 0), jkvt(0, "B0+b0", 0), jkvt(1, "A1+b1", 0), jkvt(1, "B1+b1", 0), jkvt(2, "B2+b2", 0))
	for _, k := range keys {
		h.pipe1(k, fmt.Sprint("C", k), 0)
	}
	h.check(jkvt(0, "C0+a0", 0), jkvt(0, "C0+b0", 0), jkvt(1, "C1+a1", 0), jkvt(1, "C1+b1", 0), jkvt(2, "C2+b2", 0), jkvt(3, "C3+b3", 0))
	h.pipe1(0, "dummy", 1000)
	h.check()
}

// KStreamKStreamOuterJoinTest.testOuterJoinDuplicates.
func TestStreamStreamOuterJoinDuplicates(t *testing.T) {
	h := newJoinHarness(t, outerJoin(topology.JoinWindowsOfTimeDifferenceAndGrace(100*jms, 10*jms)))
	h.pipe1(0, "A0", 0)
	h.pipe1(0, "A0-0", 0)
	h.pipe2(1, "11", 0)
	h.pipe2(1, "12", 0)
	h.pipe2(1, "10", 111)
	h.pipe2(3, "100", 211)
	h.check(jkvt(1, "null+11", 0), jkvt(1, "null+12", 0), jkvt(0, "A0+null", 0), jkvt(0, "A0-0+null", 0))
	h.pipe1(2, "A2", 200)
	h.pipe1(2, "A2-0", 200)
	h.pipe2(2, "13", 201)
	h.pipe2(2, "14", 201)
	h.check(jkvt(2, "A2+13", 201), jkvt(2, "A2-0+13", 201), jkvt(2, "A2+14", 201), jkvt(2, "A2-0+14", 201))
	h.pipe2(3, "100", 1500)
	h.check(jkvt(1, "null+10", 111), jkvt(3, "null+100", 211))
}

// KStreamKStreamOuterJoinTest.testOrdering.
func TestStreamStreamOuterJoinOrdering(t *testing.T) {
	h := newJoinHarness(t, outerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms)))
	h.pipe1(0, "A0", 0)
	h.pipe1(1, "A1", 100)
	h.check()
	h.pipe2(1, "11", 110)
	h.check(jkvt(0, "A0+null", 0), jkvt(1, "A1+11", 110))
}

// KStreamKStreamOuterJoinTest.testGracePeriod.
func TestStreamStreamOuterJoinGracePeriod(t *testing.T) {
	h := newJoinHarness(t, outerJoin(topology.JoinWindowsOfTimeDifferenceAndGrace(100*jms, 10*jms)))
	h.pipe1(0, "A0", 0)
	h.pipe2(1, "11", 0)
	h.check()
	h.pipe1(1, "A1", 101)
	h.pipe2(0, "10", 101)
	h.check()
	h.pipe2(0, "100", 112)
	h.check(jkvt(1, "null+11", 0), jkvt(0, "A0+null", 0))
}

// KStreamKStreamOuterJoinTest.testEmitAllNonJoinedResultsForAsymmetricWindow.
func TestStreamStreamOuterJoinAsymmetricWindow(t *testing.T) {
	h := newJoinHarness(t, outerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(5*jms).WithAfter(20*jms)))
	h.pipe1(0, "A0", 29)
	h.check()
	h.pipe1(1, "A1", 30)
	h.check()
	h.pipe2(2, "12", 31)
	h.check()
	h.pipe2(3, "13", 36)
	h.check()
	h.pipe2(4, "14", 37)
	h.check(jkvt(2, "null+12", 31))
	h.pipe2(5, "15", 50)
	h.check(jkvt(0, "A0+null", 29), jkvt(3, "null+13", 36), jkvt(4, "null+14", 37))
}

// KStreamKStreamJoinTest.shouldLogAndMeterOnSkippedRecordsWithNullValueWithBuiltInMetricsVersionLatest:
// an inner join skips a record without a value, and one without a key, counting them in
// dropped-records.
func TestStreamStreamJoinSkipsNullKeyAndValue(t *testing.T) {
	h := newJoinHarness(t, innerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms)))
	if err := h.in1.PipeRecord(testutil.TestRecord[int32, string]{Key: 1, Tombstone: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.in2.PipeRecord(testutil.TestRecord[int32, string]{NullKey: true, Value: "x"}); err != nil {
		t.Fatal(err)
	}
	h.check()
	if n := h.d.DroppedRecords(); n != 2 {
		t.Errorf("DroppedRecords() = %d, want 2", n)
	}
}

// RelaxedNullKeyRequirementJoinTest.testRelaxedLeftStreamStreamJoin (KIP-962): a left record
// without a key is joined with nothing at once and keeps its null key.
func TestStreamStreamLeftJoinNullKey(t *testing.T) {
	h := newJoinHarness(t, leftJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms)))
	if err := h.in1.PipeRecord(testutil.TestRecord[int32, string]{NullKey: true, Value: "leftValue", Timestamp: 1}); err != nil {
		t.Fatal(err)
	}
	h.check(joinOut{nullKey: true, value: "leftValue+null", ts: 1})
	// The right side of a left join is not outer: its null-key records are dropped.
	if err := h.in2.PipeRecord(testutil.TestRecord[int32, string]{NullKey: true, Value: "rightValue", Timestamp: 1}); err != nil {
		t.Fatal(err)
	}
	h.check()
	if n := h.d.DroppedRecords(); n != 1 {
		t.Errorf("DroppedRecords() = %d, want 1", n)
	}
}

// RelaxedNullKeyRequirementJoinTest.testRelaxedOuterStreamStreamJoin (KIP-962).
func TestStreamStreamOuterJoinNullKey(t *testing.T) {
	h := newJoinHarness(t, outerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms)))
	if err := h.in2.PipeRecord(testutil.TestRecord[int32, string]{NullKey: true, Value: "rightValue", Timestamp: 1}); err != nil {
		t.Fatal(err)
	}
	if err := h.in1.PipeRecord(testutil.TestRecord[int32, string]{NullKey: true, Value: "leftValue"}); err != nil {
		t.Fatal(err)
	}
	h.check(joinOut{nullKey: true, value: "null+rightValue", ts: 1}, joinOut{nullKey: true, value: "leftValue+null", ts: 0})
}

// A re-keyed stream is repartitioned before the join (KStreamImpl.doJoin): the join sees the
// new keys.
func TestStreamStreamJoinRepartitions(t *testing.T) {
	h := newJoinHarness(t, func(s1, s2 *topology.KStream[int32, string]) *topology.KStream[int32, string] {
		rekeyed := topology.SelectKey(s1, func(k int32, _ string) int32 { return k + 10 })
		return topology.Join(rekeyed, s2, func(v, o string) string { return v + "+" + o }, topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms), joinedStrings())
	})
	h.pipe1(1, "A1", 5)
	h.pipe2(11, "a11", 7)
	h.check(jkvt(11, "A1+a11", 7))
}

// KStreamKStreamOuterJoinTest.testRightExpiredNonJoinedRecordsAreEmittedByTheRightProcessor.
func TestStreamStreamOuterJoinRightExpiredEmittedByRight(t *testing.T) {
	h := newJoinHarness(t, outerJoin(topology.JoinWindowsOfTimeDifferenceAndGrace(100*jms, 0)))
	h.pipe2(0, "10", 1)
	h.pipe2(1, "11", 2)
	h.pipe2(0, "12", 3)
	h.check()
	h.pipe1(1, "A1", 3)
	h.check(jkvt(1, "A1+11", 3))
	h.pipe2(2, "100", 401)
	h.check(jkvt(0, "null+10", 1), jkvt(0, "null+12", 3))
	h.pipe1(2, "dummy", 402)
	h.check(jkvt(2, "dummy+100", 402))
}

func memJoinSupplier(t *testing.T, name string, retentionMs, sizeMs int64, dups bool) window.Supplier {
	t.Helper()
	s, err := window.InMemorySupplier(name, window.Options{Retention: time.Duration(retentionMs) * jms, WindowSize: time.Duration(sizeMs) * jms, RetainDuplicates: dups})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// KStreamKStreamJoinTest.shouldThrowException*StoreSupplier* and
// shouldExceptionWhenJoinStoresDoNotHaveUniqueNames: the store suppliers must retain
// duplicates and match the JoinWindows (window size before + after, retention size + grace),
// and have different names; shouldBuildJoinWithCustomStoresAndCorrectWindowSettings.
func TestStreamStreamJoinStoreSupplierChecks(t *testing.T) {
	w := topology.JoinWindowsOfTimeDifferenceAndGrace(50*jms, 50*jms)
	const mismatch = "window settings mismatch"
	for _, c := range []struct {
		name        string
		this, other window.Supplier
		want        string
	}{
		{"this retention", memJoinSupplier(t, "in-memory-join-store", 500, 100, true), memJoinSupplier(t, "in-memory-join-store-other", 150, 100, true), mismatch},
		{"this size", memJoinSupplier(t, "in-memory-join-store", 150, 150, true), memJoinSupplier(t, "in-memory-join-store-other", 150, 100, true), mismatch},
		{"this duplicates", memJoinSupplier(t, "in-memory-join-store", 150, 100, false), memJoinSupplier(t, "in-memory-join-store-other", 150, 100, true), "must set RetainDuplicates"},
		{"other retention", memJoinSupplier(t, "in-memory-join-store", 150, 100, true), memJoinSupplier(t, "in-memory-join-store-other", 500, 100, true), mismatch},
		{"other size", memJoinSupplier(t, "in-memory-join-store", 150, 100, true), memJoinSupplier(t, "in-memory-join-store-other", 150, 150, true), mismatch},
		{"other duplicates", memJoinSupplier(t, "in-memory-join-store", 150, 100, true), memJoinSupplier(t, "in-memory-join-store-other", 150, 100, false), "must set RetainDuplicates"},
		{"same names", memJoinSupplier(t, "in-memory-join-store", 150, 100, true), memJoinSupplier(t, "in-memory-join-store", 150, 100, true), "same name"},
		{"correct", memJoinSupplier(t, "in-memory-join-store", 150, 100, true), memJoinSupplier(t, "in-memory-join-store-other", 150, 100, true), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			ints := topology.Consumed[string, int32]{Keys: serde.String, Values: serde.Int32}
			sj := topology.StreamJoined[string, int32, int32]{ThisStoreSupplier: c.this, OtherStoreSupplier: c.other}
			topology.Join(topology.Stream(sb, "left", ints), topology.Stream(sb, "right", ints), func(a, b int32) int32 { return a + b }, w, sj)
			_, err := sb.Build()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Build: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Build error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// JoinWindows with a negative size or grace are an error of Build (Kafka's JoinWindows
// constructor throws IllegalArgumentException).
func TestStreamStreamJoinInvalidWindows(t *testing.T) {
	for _, w := range []topology.JoinWindows{
		topology.JoinWindowsOfTimeDifferenceWithNoGrace(10 * jms).WithBefore(-20 * jms),
		topology.JoinWindowsOfTimeDifferenceAndGrace(10*jms, -jms),
	} {
		sb := topology.NewStreamsBuilder()
		topology.Join(topology.Stream(sb, "l", joinConsumed), topology.Stream(sb, "r", joinConsumed), func(a, b string) string { return a + b }, w, joinedStrings())
		if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), "invalid JoinWindows") {
			t.Errorf("%+v: Build error %v, want invalid JoinWindows", w, err)
		}
	}
}

// pipeAll pipes the keys 0..3 with values prefix+key, all at ts (Kafka's loops over
// expectedKeys).
func (h *joinHarness) pipeAll(side int, prefix string, ts int64) {
	h.t.Helper()
	for k := int32(0); k < 4; k++ {
		if side == 1 {
			h.pipe1(k, fmt.Sprint(prefix, k), ts)
		} else {
			h.pipe2(k, fmt.Sprint(prefix, k), ts)
		}
	}
}

// KStreamKStreamJoinTest.testWindowing: the bounds of the windows, both sides, with the
// records of the other side before and after.
func TestStreamStreamJoinWindowing(t *testing.T) {
	h := newJoinHarness(t, innerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(100*jms)))
	for k := int32(0); k < 2; k++ {
		h.pipe1(k, fmt.Sprint("A", k), 0)
	}
	h.check()
	for k := int32(0); k < 2; k++ {
		h.pipe2(k, fmt.Sprint("a", k), 0)
	}
	h.check(jkvt(0, "A0+a0", 0), jkvt(1, "A1+a1", 0))
	for k := int32(0); k < 4; k++ {
		h.pipe1(k, fmt.Sprint("B", k), 1000+int64(k))
	}
	h.check()
	h.pipeAll(2, "b", 1100)
	h.check(jkvt(0, "B0+b0", 1100), jkvt(1, "B1+b1", 1100), jkvt(2, "B2+b2", 1100), jkvt(3, "B3+b3", 1100))
	h.pipeAll(2, "c", 1101)
	h.check(jkvt(1, "B1+c1", 1101), jkvt(2, "B2+c2", 1101), jkvt(3, "B3+c3", 1101))
	h.pipeAll(2, "d", 1102)
	h.check(jkvt(2, "B2+d2", 1102), jkvt(3, "B3+d3", 1102))
	h.pipeAll(2, "e", 1103)
	h.check(jkvt(3, "B3+e3", 1103))
	h.pipeAll(2, "f", 1104)
	h.check()
	h.pipeAll(2, "g", 899)
	h.check()
	h.pipeAll(2, "h", 900)
	h.check(jkvt(0, "B0+h0", 1000))
	h.pipeAll(2, "i", 901)
	h.check(jkvt(0, "B0+i0", 1000), jkvt(1, "B1+i1", 1001))
	h.pipeAll(2, "j", 902)
	h.check(jkvt(0, "B0+j0", 1000), jkvt(1, "B1+j1", 1001), jkvt(2, "B2+j2", 1002))
	h.pipeAll(2, "k", 903)
	h.check(jkvt(0, "B0+k0", 1000), jkvt(1, "B1+k1", 1001), jkvt(2, "B2+k2", 1002), jkvt(3, "B3+k3", 1003))
	for k := int32(0); k < 4; k++ {
		h.pipe2(k, fmt.Sprint("l", k), 2000+int64(k))
	}
	h.check()
	h.pipeAll(1, "C", 2100)
	h.check(jkvt(0, "C0+l0", 2100), jkvt(1, "C1+l1", 2100), jkvt(2, "C2+l2", 2100), jkvt(3, "C3+l3", 2100))
	h.pipeAll(1, "D", 2101)
	h.check(jkvt(1, "D1+l1", 2101), jkvt(2, "D2+l2", 2101), jkvt(3, "D3+l3", 2101))
	h.pipeAll(1, "E", 2102)
	h.check(jkvt(2, "E2+l2", 2102), jkvt(3, "E3+l3", 2102))
	h.pipeAll(1, "F", 2103)
	h.check(jkvt(3, "F3+l3", 2103))
	h.pipeAll(1, "G", 2104)
	h.check()
	h.pipeAll(1, "H", 1899)
	h.check()
	h.pipeAll(1, "I", 1900)
	h.check(jkvt(0, "I0+l0", 2000))
	h.pipeAll(1, "J", 1901)
	h.check(jkvt(0, "J0+l0", 2000), jkvt(1, "J1+l1", 2001))
	h.pipeAll(1, "K", 1902)
	h.check(jkvt(0, "K0+l0", 2000), jkvt(1, "K1+l1", 2001), jkvt(2, "K2+l2", 2002))
	h.pipeAll(1, "L", 1903)
	h.check(jkvt(0, "L0+l0", 2000), jkvt(1, "L1+l1", 2001), jkvt(2, "L2+l2", 2002), jkvt(3, "L3+l3", 2003))
}

// The window stores and the shared store on RocksDB (StreamJoined's default store type).
func TestStreamStreamJoinsOnRocksDB(t *testing.T) {
	joinStoreType = topology.StoreRocksDB
	defer func() { joinStoreType = topology.StoreInMemory }()
	t.Run("Windowing", TestStreamStreamJoinWindowing)
	t.Run("LeftJoinDuplicates", TestStreamStreamLeftJoinDuplicates)
	t.Run("LeftJoin", TestStreamStreamLeftJoin)
	t.Run("OuterJoinDuplicates", TestStreamStreamOuterJoinDuplicates)
	t.Run("OuterJoinAsymmetricWindow", TestStreamStreamOuterJoinAsymmetricWindow)
	t.Run("OuterJoinNullKey", TestStreamStreamOuterJoinNullKey)
}

// joinedRange returns the joined records left+key "+" right+key for the keys from..to (inclusive), each at ts
// (or ts0+key when ts is negative: the left record's own timestamp).
func joinedRange(left, right string, from, to int32, ts, ts0 int64) []joinOut {
	var out []joinOut
	for k := from; k <= to; k++ {
		t := ts
		if t < 0 {
			t = ts0 + int64(k)
		}
		out = append(out, jkvt(k, fmt.Sprint(left, k, "+", right, k), t))
	}
	return out
}

// KStreamKStreamJoinTest.testAsymmetricWindowingAfter.
func TestStreamStreamJoinAsymmetricAfter(t *testing.T) {
	h := newJoinHarness(t, innerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(0).WithAfter(100*jms)))
	for k := int32(0); k < 4; k++ {
		h.pipe1(k, fmt.Sprint("A", k), 1000+int64(k))
	}
	h.check()
	h.pipeAll(2, "a", 999)
	h.check()
	for i, p := range []string{"b", "c", "d", "e"} {
		h.pipeAll(2, p, 1000+int64(i))
		h.check(joinedRange("A", p, 0, int32(i), 1000+int64(i), 0)...)
	}
	for i, p := range []string{"f", "g", "h", "i"} {
		h.pipeAll(2, p, 1100+int64(i))
		h.check(joinedRange("A", p, int32(i), 3, 1100+int64(i), 0)...)
	}
	h.pipeAll(2, "j", 1104)
	h.check()
}

// KStreamKStreamJoinTest.testAsymmetricWindowingBefore.
func TestStreamStreamJoinAsymmetricBefore(t *testing.T) {
	h := newJoinHarness(t, innerJoin(topology.JoinWindowsOfTimeDifferenceWithNoGrace(0).WithBefore(100*jms)))
	for k := int32(0); k < 4; k++ {
		h.pipe1(k, fmt.Sprint("A", k), 1000+int64(k))
	}
	h.check()
	h.pipeAll(2, "a", 899)
	h.check()
	for i, p := range []string{"b", "c", "d", "e"} {
		h.pipeAll(2, p, 900+int64(i))
		h.check(joinedRange("A", p, 0, int32(i), -1, 1000)...)
	}
	for i, p := range []string{"f", "g", "h", "i"} {
		h.pipeAll(2, p, 1000+int64(i))
		h.check(joinedRange("A", p, int32(i), 3, -1, 1000)...)
	}
	h.pipeAll(2, "j", 1004)
	h.check()
}
