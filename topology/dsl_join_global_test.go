package topology_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Stream-globaltable joins, transcribed from Kafka Streams' KStreamGlobalKTableJoinTest and
// KStreamGlobalKTableLeftJoinTest (init: stream "streamTopic" of Integer/String joined with
// the global table "globalTableTopic" of String/String; the key mapper takes the second
// comma-separated token of the value; MockValueJoiner.TOSTRING_JOINER "v1+v2"; stream
// timestamps start at 0 and advance by 1 per record). Kafka's mapper returns null without a
// second token; Go's cannot, so it returns "", a key the table never holds.

type globalJoinFixture struct {
	d      *testutil.TopologyTestDriver
	stream *testutil.TestInputTopic[int32, string]
	table  *testutil.TestInputTopic[string, string]
	out    *testutil.TestOutputTopic[int32, string]
	ts     int64
}

func newGlobalJoin(t *testing.T, left bool) *globalJoinFixture {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	stream := topology.Stream(sb, "streamTopic", intString)
	table := topology.GlobalTable(sb, "globalTableTopic", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}, topology.Materialized[string, string]{})
	keyMapper := func(_ int32, v string) string {
		if tokens := strings.Split(v, ","); len(tokens) > 1 {
			return tokens[1]
		}
		return ""
	}
	var joined *topology.KStream[int32, string]
	if left {
		joined = topology.LeftJoinGlobal(stream, table, keyMapper, func(v, gv string, found bool) string {
			if !found {
				gv = "null"
			}
			return v + "+" + gv
		})
	} else {
		joined = topology.JoinGlobal(stream, table, keyMapper, func(v, gv string) string { return v + "+" + gv })
	}
	joined.To("output", intStringOut)
	d := newDriver(t, sb)
	return &globalJoinFixture{d: d,
		stream: testutil.CreateInputTopic(d, "streamTopic", serde.Int32, serde.String),
		table:  testutil.CreateInputTopic(d, "globalTableTopic", serde.String, serde.String),
		out:    testutil.CreateOutputTopic(d, "output", serde.Int32, serde.String),
	}
}

func (f *globalJoinFixture) pushToStream(t *testing.T, n int, prefix string, foreignKey, nullKey bool) {
	t.Helper()
	for i := range n {
		v := fmt.Sprint(prefix, i)
		if foreignKey {
			v += fmt.Sprint(",FKey", i)
		}
		if nullKey && i == 0 {
			must(t, f.stream.PipeRecord(testutil.TestRecord[int32, string]{Value: v, Timestamp: f.ts, NullKey: true}))
		} else {
			must(t, f.stream.PipeInputWithTimestamp(int32(i), v, f.ts))
		}
		f.ts++
	}
}

func (f *globalJoinFixture) pushToGlobalTable(t *testing.T, n int, prefix string) {
	t.Helper()
	for i := range n {
		must(t, f.table.PipeInputWithTimestamp(fmt.Sprint("FKey", i), fmt.Sprint(prefix, i), 0))
	}
}

func (f *globalJoinFixture) pushNullValueToGlobalTable(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		must(t, f.table.PipeTombstone(fmt.Sprint("FKey", i)))
	}
}

func (f *globalJoinFixture) check(t *testing.T, want ...kvt[int32, string]) {
	t.Helper()
	check(t, readAll(t, f.out), want)
}

// KStreamGlobalKTableJoinTest.shouldNotRequireCopartitioning: the join adds no repartition
// topic and no sub-topology beside the stream's and the global store's.
func TestGlobalJoinNoRepartition(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s := topology.Stream(sb, "streamTopic", intString)
	s = topology.SelectKey(s, func(k int32, _ string) int32 { return k + 1 })
	g := topology.GlobalTable(sb, "globalTableTopic", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}, topology.Materialized[string, string]{})
	topology.JoinGlobal(s, g, func(_ int32, v string) string { return v }, func(v, gv string) string { return v + gv }).To("output", intStringOut)
	top, err := sb.Build()
	must(t, err)
	if desc := top.Describe().String(); strings.Contains(desc, "repartition") {
		t.Errorf("a global join of a re-keyed stream repartitioned it:\n%s", desc)
	}
}

// KStreamGlobalKTableJoinTest.shouldNotJoinWithEmptyGlobalTableOnStreamUpdates
func TestGlobalJoinNotWithEmptyTable(t *testing.T) {
	f := newGlobalJoin(t, false)
	f.pushToStream(t, 2, "X", true, false)
	f.check(t)
}

// KStreamGlobalKTableJoinTest.shouldNotJoinOnGlobalTableUpdates
func TestGlobalJoinNotOnTableUpdates(t *testing.T) {
	f := newGlobalJoin(t, false)
	f.pushToStream(t, 2, "X", true, false)
	f.check(t)
	f.pushToGlobalTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+Y0", 2}, kvt[int32, string]{1, "X1,FKey1+Y1", 3})
	f.pushToGlobalTable(t, 4, "YY")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+YY0", 6}, kvt[int32, string]{1, "X1,FKey1+YY1", 7},
		kvt[int32, string]{2, "X2,FKey2+YY2", 8}, kvt[int32, string]{3, "X3,FKey3+YY3", 9})
	f.pushToGlobalTable(t, 4, "YYY")
	f.check(t)
}

// KStreamGlobalKTableJoinTest.shouldJoinOnlyIfMatchFoundOnStreamUpdates
func TestGlobalJoinOnlyIfMatch(t *testing.T) {
	f := newGlobalJoin(t, false)
	f.pushToGlobalTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+Y0", 0}, kvt[int32, string]{1, "X1,FKey1+Y1", 1})
}

// KStreamGlobalKTableJoinTest.shouldClearGlobalTableEntryOnNullValueUpdates
func TestGlobalJoinClearOnTombstone(t *testing.T) {
	f := newGlobalJoin(t, false)
	f.pushToGlobalTable(t, 4, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+Y0", 0}, kvt[int32, string]{1, "X1,FKey1+Y1", 1},
		kvt[int32, string]{2, "X2,FKey2+Y2", 2}, kvt[int32, string]{3, "X3,FKey3+Y3", 3})
	f.pushNullValueToGlobalTable(t, 2)
	f.check(t)
	f.pushToStream(t, 4, "XX", true, false)
	f.check(t, kvt[int32, string]{2, "XX2,FKey2+Y2", 6}, kvt[int32, string]{3, "XX3,FKey3+Y3", 7})
}

// KStreamGlobalKTableJoinTest.shouldNotJoinOnNullKeyMapperValues (the mapper returns "", not
// null).
func TestGlobalJoinNoForeignKey(t *testing.T) {
	f := newGlobalJoin(t, false)
	f.pushToGlobalTable(t, 4, "Y")
	f.check(t)
	f.pushToStream(t, 4, "XXX", false, false)
	f.check(t)
}

// KStreamGlobalKTableJoinTest.shouldJoinOnNullKeyWithNonNullKeyMapperValues: a record
// without a key is joined (its output has no key).
func TestGlobalJoinNullKey(t *testing.T) {
	f := newGlobalJoin(t, false)
	f.pushToGlobalTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, true)
	recs, err := f.out.ReadRecordsToList()
	must(t, err)
	if len(recs) != 2 || !recs[0].NullKey || recs[0].Value != "X0,FKey0+Y0" || recs[0].Timestamp != 0 ||
		recs[1].NullKey || recs[1].Key != 1 || recs[1].Value != "X1,FKey1+Y1" || recs[1].Timestamp != 1 {
		t.Errorf("got %+v", recs)
	}
}

// KStreamGlobalKTableLeftJoinTest.shouldNotJoinWithEmptyGlobalTableOnStreamUpdates
func TestGlobalLeftJoinEmptyTable(t *testing.T) {
	f := newGlobalJoin(t, true)
	f.pushToStream(t, 2, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+null", 0}, kvt[int32, string]{1, "X1,FKey1+null", 1})
}

// KStreamGlobalKTableLeftJoinTest.shouldNotJoinOnGlobalTableUpdates
func TestGlobalLeftJoinNotOnTableUpdates(t *testing.T) {
	f := newGlobalJoin(t, true)
	f.pushToStream(t, 2, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+null", 0}, kvt[int32, string]{1, "X1,FKey1+null", 1})
	f.pushToGlobalTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+Y0", 2}, kvt[int32, string]{1, "X1,FKey1+Y1", 3},
		kvt[int32, string]{2, "X2,FKey2+null", 4}, kvt[int32, string]{3, "X3,FKey3+null", 5})
	f.pushToGlobalTable(t, 4, "YY")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+YY0", 6}, kvt[int32, string]{1, "X1,FKey1+YY1", 7},
		kvt[int32, string]{2, "X2,FKey2+YY2", 8}, kvt[int32, string]{3, "X3,FKey3+YY3", 9})
	f.pushToGlobalTable(t, 4, "YYY")
	f.check(t)
}

// KStreamGlobalKTableLeftJoinTest.shouldJoinRegardlessIfMatchFoundOnStreamUpdates
func TestGlobalLeftJoinRegardlessOfMatch(t *testing.T) {
	f := newGlobalJoin(t, true)
	f.pushToGlobalTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+Y0", 0}, kvt[int32, string]{1, "X1,FKey1+Y1", 1},
		kvt[int32, string]{2, "X2,FKey2+null", 2}, kvt[int32, string]{3, "X3,FKey3+null", 3})
}

// KStreamGlobalKTableLeftJoinTest.shouldClearGlobalTableEntryOnNullValueUpdates
func TestGlobalLeftJoinClearOnTombstone(t *testing.T) {
	f := newGlobalJoin(t, true)
	f.pushToGlobalTable(t, 4, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, false)
	f.check(t, kvt[int32, string]{0, "X0,FKey0+Y0", 0}, kvt[int32, string]{1, "X1,FKey1+Y1", 1},
		kvt[int32, string]{2, "X2,FKey2+Y2", 2}, kvt[int32, string]{3, "X3,FKey3+Y3", 3})
	f.pushNullValueToGlobalTable(t, 2)
	f.check(t)
	f.pushToStream(t, 4, "XX", true, false)
	f.check(t, kvt[int32, string]{0, "XX0,FKey0+null", 4}, kvt[int32, string]{1, "XX1,FKey1+null", 5},
		kvt[int32, string]{2, "XX2,FKey2+Y2", 6}, kvt[int32, string]{3, "XX3,FKey3+Y3", 7})
}

// KStreamGlobalKTableLeftJoinTest.shouldJoinOnNullKeyWithNonNullKeyMapperValues
func TestGlobalLeftJoinNullKey(t *testing.T) {
	f := newGlobalJoin(t, true)
	f.pushToGlobalTable(t, 4, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X", true, true)
	recs, err := f.out.ReadRecordsToList()
	must(t, err)
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%v/%d/%s/%d", r.NullKey, r.Key, r.Value, r.Timestamp))
	}
	check(t, got, []string{"true/0/X0,FKey0+Y0/0", "false/1/X1,FKey1+Y1/1", "false/2/X2,FKey2+Y2/2", "false/3/X3,FKey3+Y3/3"})
}

// A tombstone on the stream is dropped and counted (KStreamKTableJoinProcessor's
// maybeDropRecord), by both joins.
func TestGlobalJoinTombstoneDropped(t *testing.T) {
	for _, left := range []bool{false, true} {
		f := newGlobalJoin(t, left)
		f.pushToGlobalTable(t, 1, "Y")
		must(t, f.stream.PipeTombstone(0))
		f.check(t)
		if n := f.d.DroppedRecords(); n != 1 {
			t.Errorf("left %v: dropped %d, want 1", left, n)
		}
	}
}

// The join node is KSTREAM-LEFTJOIN-%010d for both joins, as Kafka 3.9's
// KStreamImpl.globalTableJoin names it, or the given name; it is not connected to the
// global store. Nil arguments are Build errors.
func TestGlobalJoinNamesAndErrors(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s := topology.Stream(sb, "streamTopic", intString)
	g := topology.GlobalTable(sb, "globalTableTopic", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}, topology.Materialized[string, string]{})
	sel := func(_ int32, v string) string { return v }
	j := topology.JoinGlobal(s, g, sel, func(v, gv string) string { return v + gv })
	l := topology.LeftJoinGlobal(s, g, sel, func(v, gv string, _ bool) string { return v + gv }, "my-join")
	if j.Name() != "KSTREAM-LEFTJOIN-0000000004" || l.Name() != "my-join" {
		t.Errorf("names %q, %q", j.Name(), l.Name())
	}
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	sb = topology.NewStreamsBuilder()
	s = topology.Stream(sb, "streamTopic", intString)
	topology.JoinGlobal[int32, string, string, string, string](s, nil, sel, func(v, gv string) string { return v })
	if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), "nil global table") {
		t.Errorf("Build error %v", err)
	}
}

// Describe of a stream joined with a global table. No Kafka test holds this string: it
// follows Kafka 3.9's naming (StreamsBuilder.stream, globalTable taking the store name, a
// source and a KTABLE-SOURCE, then KStreamImpl.globalTableJoin's KSTREAM-LEFTJOIN- for an
// inner join) and its StreamTableJoinNode, which connects the join to no store.
func TestGlobalJoinDescribe(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s := topology.Stream(sb, "streamTopic", intString)
	g := topology.GlobalTable(sb, "globalTableTopic", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}, topology.Materialized[string, string]{})
	topology.JoinGlobal(s, g, func(_ int32, v string) string { return v }, func(v, gv string) string { return v + gv }).To("output", intStringOut)
	top, err := sb.Build()
	must(t, err)
	want := "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [streamTopic])\n" +
		"      --> KSTREAM-LEFTJOIN-0000000004\n" +
		"    Processor: KSTREAM-LEFTJOIN-0000000004 (stores: [])\n" +
		"      --> KSTREAM-SINK-0000000005\n" +
		"      <-- KSTREAM-SOURCE-0000000000\n" +
		"    Sink: KSTREAM-SINK-0000000005 (topic: output)\n" +
		"      <-- KSTREAM-LEFTJOIN-0000000004\n" +
		"\n" +
		"  Sub-topology: 1 for global store (will not generate tasks)\n" +
		"    Source: KSTREAM-SOURCE-0000000002 (topics: [globalTableTopic])\n" +
		"      --> KTABLE-SOURCE-0000000003\n" +
		"    Processor: KTABLE-SOURCE-0000000003 (stores: [globalTableTopic-STATE-STORE-0000000001])\n" +
		"      --> none\n" +
		"      <-- KSTREAM-SOURCE-0000000002\n"
	if got := top.Describe().String(); got != want {
		t.Errorf("Describe:\n%s\nwant:\n%s", got, want)
	}
}
