package topology_test

import (
	"fmt"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Stream-table joins, transcribed from Kafka Streams' KStreamKTableJoinTest and
// KStreamKTableLeftJoinTest (setUp: stream "streamTopic" joined with table "tableTopic", keys
// 0..3, MockValueJoiner.TOSTRING_JOINER "v1+v2", records captured with their timestamps).
// Kafka's pushToTable uses random timestamps, which the stream-table join's output does not
// depend on: here they are 0.

var intStringOut = topology.Produced[int32, string]{Keys: serde.Int32, Values: serde.String}

type streamTableJoinFixture struct {
	d      *testutil.TopologyTestDriver
	stream *testutil.TestInputTopic[int32, string]
	table  *testutil.TestInputTopic[int32, string]
	out    *testutil.TestOutputTopic[int32, string]
}

func newStreamTableJoin(t *testing.T, left bool) *streamTableJoinFixture {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	stream := topology.Stream(sb, "streamTopic", intString)
	table := topology.Table(sb, "tableTopic", intString, topology.Materialized[int32, string]{})
	var joined *topology.KStream[int32, string]
	if left {
		joined = topology.LeftJoinTable(stream, table, func(v, vt string, found bool) string {
			if !found {
				vt = "null"
			}
			return v + "+" + vt
		})
	} else {
		joined = topology.JoinTable(stream, table, func(v, vt string) string { return v + "+" + vt })
	}
	joined.To("output", intStringOut)
	d := newDriver(t, sb)
	return &streamTableJoinFixture{d: d,
		stream: testutil.CreateInputTopic(d, "streamTopic", serde.Int32, serde.String),
		table:  testutil.CreateInputTopic(d, "tableTopic", serde.Int32, serde.String),
		out:    testutil.CreateOutputTopic(d, "output", serde.Int32, serde.String),
	}
}

func (f *streamTableJoinFixture) pushToStream(t *testing.T, n int, prefix string) {
	t.Helper()
	for i := range n {
		must(t, f.stream.PipeInputWithTimestamp(int32(i), fmt.Sprint(prefix, i), int64(i)))
	}
}

func (f *streamTableJoinFixture) pushToTable(t *testing.T, n int, prefix string) {
	t.Helper()
	for i := range n {
		must(t, f.table.PipeInputWithTimestamp(int32(i), fmt.Sprint(prefix, i), 0))
	}
}

func (f *streamTableJoinFixture) pushNullValueToTable(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		must(t, f.table.PipeTombstone(int32(i)))
	}
}

func (f *streamTableJoinFixture) check(t *testing.T, want ...kvt[int32, string]) {
	t.Helper()
	check(t, readAll(t, f.out), want)
}

// KStreamKTableJoinTest.shouldNotJoinWithEmptyTableOnStreamUpdates
func TestStreamTableJoinNotWithEmptyTable(t *testing.T) {
	f := newStreamTableJoin(t, false)
	f.pushToStream(t, 2, "X")
	f.check(t)
}

// KStreamKTableJoinTest.shouldNotJoinOnTableUpdates
func TestStreamTableJoinNotOnTableUpdates(t *testing.T) {
	f := newStreamTableJoin(t, false)
	f.pushToStream(t, 2, "X")
	f.check(t)
	f.pushToTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+Y0", 0}, kvt[int32, string]{1, "X1+Y1", 1})
	f.pushToTable(t, 4, "YY")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+YY0", 0}, kvt[int32, string]{1, "X1+YY1", 1},
		kvt[int32, string]{2, "X2+YY2", 2}, kvt[int32, string]{3, "X3+YY3", 3})
	f.pushToTable(t, 4, "YYY")
	f.check(t)
}

// KStreamKTableJoinTest.shouldJoinOnlyIfMatchFoundOnStreamUpdates
func TestStreamTableJoinOnlyIfMatchFound(t *testing.T) {
	f := newStreamTableJoin(t, false)
	f.pushToTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+Y0", 0}, kvt[int32, string]{1, "X1+Y1", 1})
}

// KStreamKTableJoinTest.shouldClearTableEntryOnNullValueUpdates
func TestStreamTableJoinClearTableEntryOnNullValue(t *testing.T) {
	f := newStreamTableJoin(t, false)
	f.pushToTable(t, 4, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+Y0", 0}, kvt[int32, string]{1, "X1+Y1", 1},
		kvt[int32, string]{2, "X2+Y2", 2}, kvt[int32, string]{3, "X3+Y3", 3})
	f.pushNullValueToTable(t, 2)
	f.check(t)
	f.pushToStream(t, 4, "XX")
	f.check(t, kvt[int32, string]{2, "XX2+Y2", 2}, kvt[int32, string]{3, "XX3+Y3", 3})
}

// KStreamKTableJoinTest.shouldLogAndMeterWhenSkippingNullLeftKey and
// shouldLogAndMeterWhenSkippingNullLeftValue: the records are dropped and counted.
func TestStreamTableJoinSkipsNullKeyAndValue(t *testing.T) {
	f := newStreamTableJoin(t, false)
	f.pushToTable(t, 2, "Y")
	must(t, f.stream.PipeRecord(testutil.TestRecord[int32, string]{NullKey: true, Value: "A"}))
	must(t, f.stream.PipeTombstone(1))
	f.check(t)
	if n := f.d.DroppedRecords(); n != 2 {
		t.Errorf("dropped records: %d, want 2", n)
	}
}

// KStreamKTableLeftJoinTest.shouldJoinWithEmptyTableOnStreamUpdates
func TestStreamTableLeftJoinWithEmptyTable(t *testing.T) {
	f := newStreamTableJoin(t, true)
	f.pushToStream(t, 2, "X")
	f.check(t, kvt[int32, string]{0, "X0+null", 0}, kvt[int32, string]{1, "X1+null", 1})
}

// KStreamKTableLeftJoinTest.shouldNotJoinOnTableUpdates
func TestStreamTableLeftJoinNotOnTableUpdates(t *testing.T) {
	f := newStreamTableJoin(t, true)
	f.pushToStream(t, 2, "X")
	f.check(t, kvt[int32, string]{0, "X0+null", 0}, kvt[int32, string]{1, "X1+null", 1})
	f.pushToTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+Y0", 0}, kvt[int32, string]{1, "X1+Y1", 1},
		kvt[int32, string]{2, "X2+null", 2}, kvt[int32, string]{3, "X3+null", 3})
	f.pushToTable(t, 4, "YY")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+YY0", 0}, kvt[int32, string]{1, "X1+YY1", 1},
		kvt[int32, string]{2, "X2+YY2", 2}, kvt[int32, string]{3, "X3+YY3", 3})
	f.pushToTable(t, 4, "YYY")
	f.check(t)
}

// KStreamKTableLeftJoinTest.shouldJoinRegardlessIfMatchFoundOnStreamUpdates
func TestStreamTableLeftJoinRegardlessOfMatch(t *testing.T) {
	f := newStreamTableJoin(t, true)
	f.pushToTable(t, 2, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+Y0", 0}, kvt[int32, string]{1, "X1+Y1", 1},
		kvt[int32, string]{2, "X2+null", 2}, kvt[int32, string]{3, "X3+null", 3})
}

// KStreamKTableLeftJoinTest.shouldClearTableEntryOnNullValueUpdates
func TestStreamTableLeftJoinClearTableEntryOnNullValue(t *testing.T) {
	f := newStreamTableJoin(t, true)
	f.pushToTable(t, 4, "Y")
	f.check(t)
	f.pushToStream(t, 4, "X")
	f.check(t, kvt[int32, string]{0, "X0+Y0", 0}, kvt[int32, string]{1, "X1+Y1", 1},
		kvt[int32, string]{2, "X2+Y2", 2}, kvt[int32, string]{3, "X3+Y3", 3})
	f.pushNullValueToTable(t, 2)
	f.check(t)
	f.pushToStream(t, 4, "XX")
	f.check(t, kvt[int32, string]{0, "XX0+null", 0}, kvt[int32, string]{1, "XX1+null", 1},
		kvt[int32, string]{2, "XX2+Y2", 2}, kvt[int32, string]{3, "XX3+Y3", 3})
}

// Kafka 3.9's KStreamKTableJoinProcessor.maybeDropRecord (KIP-962): a left join keeps a
// stream record without a key (joined with no table value); a tombstone is still dropped.
func TestStreamTableLeftJoinKeepsNullKey(t *testing.T) {
	f := newStreamTableJoin(t, true)
	must(t, f.stream.PipeRecord(testutil.TestRecord[int32, string]{NullKey: true, Value: "A", Timestamp: 7}))
	must(t, f.stream.PipeTombstone(1))
	recs, err := f.out.ReadRecordsToList()
	must(t, err)
	if len(recs) != 1 || !recs[0].NullKey || recs[0].Value != "A+null" || recs[0].Timestamp != 7 {
		t.Errorf("got %+v, want one record with a null key and value A+null at 7", recs)
	}
	if n := f.d.DroppedRecords(); n != 1 {
		t.Errorf("dropped records: %d, want 1", n)
	}
}

// A stream whose key changed goes through a repartition topic before the join (Kafka's
// KStreamImpl.repartitionForJoin), here "KSTREAM-MAP-0000000003-repartition".
func TestStreamTableJoinAfterKeyChange(t *testing.T) {
	for _, left := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "tableTopic", strs, topology.Materialized[string, string]{})
		rekeyed := topology.Map(topology.Stream(sb, "streamTopic", strs), func(k, v string) topology.KeyValue[string, string] {
			return topology.KeyValue[string, string]{Key: v, Value: k}
		})
		j := topology.Joined[string, string, string]{Keys: serde.String, Values: serde.String}
		var out *topology.KStream[string, string]
		if left {
			out = topology.LeftJoinTable(rekeyed, table, func(v, vt string, found bool) string { return v + "+" + nullOr(vt, found) }, j)
		} else {
			out = topology.JoinTable(rekeyed, table, func(v, vt string) string { return v + "+" + vt }, j)
		}
		out.To("output", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
		d := newDriver(t, sb)
		tin := testutil.CreateInputTopic(d, "tableTopic", serde.String, serde.String)
		sin := testutil.CreateInputTopic(d, "streamTopic", serde.String, serde.String)
		must(t, tin.PipeInputWithTimestamp("a", "A", 0))
		must(t, sin.PipeInputWithTimestamp("x", "a", 1))
		must(t, sin.PipeInputWithTimestamp("y", "b", 2))
		want := []kvt[string, string]{{"a", "x+A", 1}}
		if left {
			want = append(want, kvt[string, string]{"b", "y+null", 2})
		}
		check(t, readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.String)), want)
	}
}
