package topology_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Table-table joins, transcribed from Kafka Streams' KTableKTableInnerJoinTest,
// KTableKTableLeftJoinTest and KTableKTableOuterJoinTest (testJoin, testNotSendingOldValue(s),
// testSendingOldValue(s)): two table sources, keys 0..3, MockValueJoiner.TOSTRING_JOINER
// ("v1+v2", "null" for an absent side). The three classes pipe the same records; the
// Changes are captured by a processor attached to the join's node (Kafka's MockApiProcessor).
//
// Difference from Kafka: Kafka's join results carry the larger of the update's timestamp and
// the other side's stored timestamp; our stores hold no timestamps, so results carry the
// update's. The expected strings keep Kafka's timestamps and are compared without them
// (ttStripTs); TestTableTableJoinTimestamps pins ours. Each test runs with the forced source
// stores cached and not (the TopologyTestDriver flushes after every record).

type ttStep struct {
	topic   int // 1 or 2
	key     int32
	nullKey bool
	value   string
	del     bool
	ts      int64
}

// ttSteps are the groups of records the three Kafka test classes pipe, in order.
func ttSteps() [][]ttStep {
	var g [][]ttStep
	g = append(g, []ttStep{{topic: 1, key: 0, value: "X0", ts: 5}, {topic: 1, key: 1, value: "X1", ts: 6}, {topic: 1, nullKey: true, value: "SomeVal", ts: 42}})
	g = append(g, []ttStep{{topic: 2, key: 0, value: "Y0", ts: 0}, {topic: 2, key: 1, value: "Y1", ts: 10}, {topic: 2, nullKey: true, value: "AnotherVal", ts: 73}})
	var s []ttStep
	for k := range int32(4) {
		s = append(s, ttStep{topic: 1, key: k, value: fmt.Sprint("XX", k), ts: 7})
	}
	g = append(g, s)
	s = nil
	for k := range int32(4) {
		s = append(s, ttStep{topic: 2, key: k, value: fmt.Sprint("YY", k), ts: int64(k) * 5})
	}
	g = append(g, s)
	s = nil
	for k := range int32(4) {
		s = append(s, ttStep{topic: 1, key: k, value: fmt.Sprint("XXX", k), ts: 6})
	}
	g = append(g, s)
	g = append(g, []ttStep{{topic: 2, key: 0, del: true, ts: 5}, {topic: 2, key: 1, del: true, ts: 7}})
	s = nil
	for k := range int32(4) {
		s = append(s, ttStep{topic: 1, key: k, value: fmt.Sprint("XXXX", k), ts: 13})
	}
	g = append(g, s)
	g = append(g, []ttStep{{topic: 1, key: 0, del: true, ts: 0}, {topic: 1, key: 1, del: true, ts: 42}, {topic: 1, key: 2, del: true, ts: 5}, {topic: 1, key: 3, del: true, ts: 20}})
	return g
}

const (
	ttInner = iota
	ttLeft
	ttOuter
)

func nullOr(v string, ok bool) string {
	if !ok {
		return "null"
	}
	return v
}

// ttProgram builds table1 join table2 with the join of kind, optionally materialized.
func ttProgram(kind int, caching bool, m *topology.Materialized[int32, string]) (*topology.StreamsBuilder, *topology.KTable[int32, string], *topology.KTable[int32, string], *topology.KTable[int32, string]) {
	sb := topology.NewStreamsBuilder()
	mat := topology.Materialized[int32, string]{CachingDisabled: !caching}
	t1 := topology.Table(sb, "topic1", intString, mat)
	t2 := topology.Table(sb, "topic2", intString, mat)
	var j *topology.KTable[int32, string]
	switch kind {
	case ttInner:
		f := func(a, b string) string { return a + "+" + b }
		if m != nil {
			j = topology.JoinTablesMaterialized(t1, t2, f, *m)
		} else {
			j = topology.JoinTables(t1, t2, f)
		}
	case ttLeft:
		f := func(a, b string, found bool) string { return a + "+" + nullOr(b, found) }
		if m != nil {
			j = topology.LeftJoinTablesMaterialized(t1, t2, f, *m)
		} else {
			j = topology.LeftJoinTables(t1, t2, f)
		}
	case ttOuter:
		f := func(a string, hasA bool, b string, hasB bool) string { return nullOr(a, hasA) + "+" + nullOr(b, hasB) }
		if m != nil {
			j = topology.OuterJoinTablesMaterialized(t1, t2, f, *m)
		} else {
			j = topology.OuterJoinTables(t1, t2, f)
		}
	}
	return sb, t1, t2, j
}

var ttTs = regexp.MustCompile(`@[0-9]+$`)

func ttStripTs(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = ttTs.ReplaceAllString(s, "")
	}
	return out
}

// ttRun pipes ttSteps, calling read after each group and comparing with want (without
// timestamps unless exactTs).
func ttRun(t *testing.T, d *testutil.TopologyTestDriver, read func() []string, want [][]string, exactTs bool) {
	t.Helper()
	in1 := testutil.CreateInputTopic(d, "topic1", serde.Int32, serde.String)
	in2 := testutil.CreateInputTopic(d, "topic2", serde.Int32, serde.String)
	for i, g := range ttSteps() {
		for _, s := range g {
			in := in1
			if s.topic == 2 {
				in = in2
			}
			must(t, in.PipeRecord(testutil.TestRecord[int32, string]{Key: s.key, NullKey: s.nullKey, Value: s.value, Tombstone: s.del, Timestamp: s.ts}))
		}
		got, w := read(), want[i]
		if !exactTs {
			got, w = ttStripTs(got), ttStripTs(w)
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("step %d: got  %v\nwant %v", i+1, got, w)
		}
	}
}

func ttChanges(t *testing.T, kind int, caching, sendOld bool, m *topology.Materialized[int32, string], want [][]string) {
	t.Helper()
	sb, t1, t2, j := ttProgram(kind, caching, m)
	if sendOld {
		topology.EnableSendingOldValuesForTest(j, true)
	}
	var got []string
	topology.CaptureChangesForTest(j, "proc", &got)
	d := newDriver(t, sb)
	if kind == ttInner && !sendOld {
		// KTableKTableInnerJoinTest.doTestNotSendingOldValues asserts these.
		if topology.SendingOldValueEnabledForTest(t1) || topology.SendingOldValueEnabledForTest(t2) || topology.SendingOldValueEnabledForTest(j) {
			t.Error("inner join without old values: a table sends old values")
		}
	}
	if kind == ttLeft && !sendOld && (!topology.SendingOldValueEnabledForTest(t1) || topology.SendingOldValueEnabledForTest(t2)) {
		t.Error("left join: table1 must send old values, table2 not (KTableKTableLeftJoinTest.testNotSendingOldValue)")
	}
	if sendOld && (!topology.SendingOldValueEnabledForTest(t1) || !topology.SendingOldValueEnabledForTest(t2) || !topology.SendingOldValueEnabledForTest(j)) {
		t.Error("sending old values: not enabled on both tables and the join")
	}
	ttRun(t, d, func() []string { g := got; got = nil; return g }, want, false)
}

func ttOutput(t *testing.T, kind int, caching bool, m *topology.Materialized[int32, string], want [][]string) {
	t.Helper()
	sb, _, _, j := ttProgram(kind, caching, m)
	j.ToStream().To("output", intStringOut)
	d := newDriver(t, sb)
	out := testutil.CreateOutputTopic(d, "output", serde.Int32, serde.String)
	ttRun(t, d, func() []string {
		recs, err := out.ReadRecordsToList()
		must(t, err)
		var s []string
		for _, r := range recs {
			s = append(s, fmt.Sprintf("%d:%s@%d", r.Key, nullOr(r.Value, !r.Tombstone), r.Timestamp))
		}
		return s
	}, want, false)
}

var ttMaterialized = &topology.Materialized[int32, string]{Name: "anyQueryableName", StoreType: topology.StoreInMemory, Values: serde.String}

// KTableKTableInnerJoinTest.testJoin (and testQueryableJoin: materialized).
func TestTableTableInnerJoin(t *testing.T) {
	want := [][]string{
		nil,
		{"0:X0+Y0@5", "1:X1+Y1@10"},
		{"0:XX0+Y0@7", "1:XX1+Y1@10"},
		{"0:XX0+YY0@7", "1:XX1+YY1@7", "2:XX2+YY2@10", "3:XX3+YY3@15"},
		{"0:XXX0+YY0@6", "1:XXX1+YY1@6", "2:XXX2+YY2@10", "3:XXX3+YY3@15"},
		{"0:null@6", "1:null@7"},
		{"2:XXXX2+YY2@13", "3:XXXX3+YY3@15"},
		{"2:null@10", "3:null@20"},
	}
	for _, caching := range []bool{false, true} {
		ttOutput(t, ttInner, caching, nil, want)
		ttOutput(t, ttInner, caching, ttMaterialized, want)
	}
}

// KTableKTableInnerJoinTest.testNotSendingOldValues (and testQueryableNotSendingOldValues).
func TestTableTableInnerJoinNotSendingOldValues(t *testing.T) {
	want := [][]string{
		nil,
		{"0:Change(X0+Y0,null)@5", "1:Change(X1+Y1,null)@10"},
		{"0:Change(XX0+Y0,null)@7", "1:Change(XX1+Y1,null)@10"},
		{"0:Change(XX0+YY0,null)@7", "1:Change(XX1+YY1,null)@7", "2:Change(XX2+YY2,null)@10", "3:Change(XX3+YY3,null)@15"},
		{"0:Change(XXX0+YY0,null)@6", "1:Change(XXX1+YY1,null)@6", "2:Change(XXX2+YY2,null)@10", "3:Change(XXX3+YY3,null)@15"},
		{"0:Change(null,null)@6", "1:Change(null,null)@7"},
		{"2:Change(XXXX2+YY2,null)@13", "3:Change(XXXX3+YY3,null)@15"},
		{"2:Change(null,null)@10", "3:Change(null,null)@20"},
	}
	for _, caching := range []bool{false, true} {
		ttChanges(t, ttInner, caching, false, nil, want)
	}
	// testQueryableNotSendingOldValues: the materialized join is cached by default; uncached
	// here, so that the forwarded Changes are the join's.
	m := *ttMaterialized
	m.CachingDisabled = true
	ttChanges(t, ttInner, false, false, &m, want)
}

// KTableKTableInnerJoinTest.testSendingOldValues
func TestTableTableInnerJoinSendingOldValues(t *testing.T) {
	want := [][]string{
		nil,
		{"0:Change(X0+Y0,null)@5", "1:Change(X1+Y1,null)@10"},
		{"0:Change(XX0+Y0,X0+Y0)@7", "1:Change(XX1+Y1,X1+Y1)@10"},
		{"0:Change(XX0+YY0,XX0+Y0)@7", "1:Change(XX1+YY1,XX1+Y1)@7", "2:Change(XX2+YY2,null)@10", "3:Change(XX3+YY3,null)@15"},
		{"0:Change(XXX0+YY0,XX0+YY0)@6", "1:Change(XXX1+YY1,XX1+YY1)@6", "2:Change(XXX2+YY2,XX2+YY2)@10", "3:Change(XXX3+YY3,XX3+YY3)@15"},
		{"0:Change(null,XXX0+YY0)@6", "1:Change(null,XXX1+YY1)@7"},
		{"2:Change(XXXX2+YY2,XXX2+YY2)@13", "3:Change(XXXX3+YY3,XXX3+YY3)@15"},
		{"2:Change(null,XXXX2+YY2)@10", "3:Change(null,XXXX3+YY3)@20"},
	}
	for _, caching := range []bool{false, true} {
		ttChanges(t, ttInner, caching, true, nil, want)
	}
}

// KTableKTableLeftJoinTest.testJoin
func TestTableTableLeftJoin(t *testing.T) {
	want := [][]string{
		{"0:X0+null@5", "1:X1+null@6"},
		{"0:X0+Y0@5", "1:X1+Y1@10"},
		{"0:XX0+Y0@7", "1:XX1+Y1@10", "2:XX2+null@7", "3:XX3+null@7"},
		{"0:XX0+YY0@7", "1:XX1+YY1@7", "2:XX2+YY2@10", "3:XX3+YY3@15"},
		{"0:XXX0+YY0@6", "1:XXX1+YY1@6", "2:XXX2+YY2@10", "3:XXX3+YY3@15"},
		{"0:XXX0+null@6", "1:XXX1+null@7"},
		{"0:XXXX0+null@13", "1:XXXX1+null@13", "2:XXXX2+YY2@13", "3:XXXX3+YY3@15"},
		{"0:null@0", "1:null@42", "2:null@10", "3:null@20"},
	}
	for _, caching := range []bool{false, true} {
		ttOutput(t, ttLeft, caching, nil, want)
		ttOutput(t, ttLeft, caching, ttMaterialized, want)
	}
}

// KTableKTableLeftJoinTest.testNotSendingOldValue
func TestTableTableLeftJoinNotSendingOldValue(t *testing.T) {
	want := [][]string{
		{"0:Change(X0+null,null)@5", "1:Change(X1+null,null)@6"},
		{"0:Change(X0+Y0,null)@5", "1:Change(X1+Y1,null)@10"},
		{"0:Change(XX0+Y0,null)@7", "1:Change(XX1+Y1,null)@10", "2:Change(XX2+null,null)@7", "3:Change(XX3+null,null)@7"},
		{"0:Change(XX0+YY0,null)@7", "1:Change(XX1+YY1,null)@7", "2:Change(XX2+YY2,null)@10", "3:Change(XX3+YY3,null)@15"},
		{"0:Change(XXX0+YY0,null)@6", "1:Change(XXX1+YY1,null)@6", "2:Change(XXX2+YY2,null)@10", "3:Change(XXX3+YY3,null)@15"},
		{"0:Change(XXX0+null,null)@6", "1:Change(XXX1+null,null)@7"},
		{"0:Change(XXXX0+null,null)@13", "1:Change(XXXX1+null,null)@13", "2:Change(XXXX2+YY2,null)@13", "3:Change(XXXX3+YY3,null)@15"},
		{"0:Change(null,null)@0", "1:Change(null,null)@42", "2:Change(null,null)@10", "3:Change(null,null)@20"},
	}
	for _, caching := range []bool{false, true} {
		ttChanges(t, ttLeft, caching, false, nil, want)
	}
}

// KTableKTableLeftJoinTest.testSendingOldValue
func TestTableTableLeftJoinSendingOldValue(t *testing.T) {
	want := [][]string{
		{"0:Change(X0+null,null)@5", "1:Change(X1+null,null)@6"},
		{"0:Change(X0+Y0,X0+null)@5", "1:Change(X1+Y1,X1+null)@10"},
		{"0:Change(XX0+Y0,X0+Y0)@7", "1:Change(XX1+Y1,X1+Y1)@10", "2:Change(XX2+null,null)@7", "3:Change(XX3+null,null)@7"},
		{"0:Change(XX0+YY0,XX0+Y0)@7", "1:Change(XX1+YY1,XX1+Y1)@7", "2:Change(XX2+YY2,XX2+null)@10", "3:Change(XX3+YY3,XX3+null)@15"},
		{"0:Change(XXX0+YY0,XX0+YY0)@6", "1:Change(XXX1+YY1,XX1+YY1)@6", "2:Change(XXX2+YY2,XX2+YY2)@10", "3:Change(XXX3+YY3,XX3+YY3)@15"},
		{"0:Change(XXX0+null,XXX0+YY0)@6", "1:Change(XXX1+null,XXX1+YY1)@7"},
		{"0:Change(XXXX0+null,XXX0+null)@13", "1:Change(XXXX1+null,XXX1+null)@13", "2:Change(XXXX2+YY2,XXX2+YY2)@13", "3:Change(XXXX3+YY3,XXX3+YY3)@15"},
		{"0:Change(null,XXXX0+null)@0", "1:Change(null,XXXX1+null)@42", "2:Change(null,XXXX2+YY2)@10", "3:Change(null,XXXX3+YY3)@20"},
	}
	for _, caching := range []bool{false, true} {
		ttChanges(t, ttLeft, caching, true, nil, want)
	}
}

// KTableKTableOuterJoinTest.testJoin
func TestTableTableOuterJoin(t *testing.T) {
	want := [][]string{
		{"0:X0+null@5", "1:X1+null@6"},
		{"0:X0+Y0@5", "1:X1+Y1@10"},
		{"0:XX0+Y0@7", "1:XX1+Y1@10", "2:XX2+null@7", "3:XX3+null@7"},
		{"0:XX0+YY0@7", "1:XX1+YY1@7", "2:XX2+YY2@10", "3:XX3+YY3@15"},
		{"0:XXX0+YY0@6", "1:XXX1+YY1@6", "2:XXX2+YY2@10", "3:XXX3+YY3@15"},
		{"0:XXX0+null@6", "1:XXX1+null@7"},
		{"0:XXXX0+null@13", "1:XXXX1+null@13", "2:XXXX2+YY2@13", "3:XXXX3+YY3@15"},
		{"0:null@0", "1:null@42", "2:null+YY2@10", "3:null+YY3@20"},
	}
	for _, caching := range []bool{false, true} {
		ttOutput(t, ttOuter, caching, nil, want)
		ttOutput(t, ttOuter, caching, ttMaterialized, want)
	}
}

// KTableKTableOuterJoinTest.testNotSendingOldValue
func TestTableTableOuterJoinNotSendingOldValue(t *testing.T) {
	want := [][]string{
		{"0:Change(X0+null,null)@5", "1:Change(X1+null,null)@6"},
		{"0:Change(X0+Y0,null)@5", "1:Change(X1+Y1,null)@10"},
		{"0:Change(XX0+Y0,null)@7", "1:Change(XX1+Y1,null)@10", "2:Change(XX2+null,null)@7", "3:Change(XX3+null,null)@7"},
		{"0:Change(XX0+YY0,null)@7", "1:Change(XX1+YY1,null)@7", "2:Change(XX2+YY2,null)@10", "3:Change(XX3+YY3,null)@15"},
		{"0:Change(XXX0+YY0,null)@6", "1:Change(XXX1+YY1,null)@6", "2:Change(XXX2+YY2,null)@10", "3:Change(XXX3+YY3,null)@15"},
		{"0:Change(XXX0+null,null)@6", "1:Change(XXX1+null,null)@7"},
		{"0:Change(XXXX0+null,null)@13", "1:Change(XXXX1+null,null)@13", "2:Change(XXXX2+YY2,null)@13", "3:Change(XXXX3+YY3,null)@15"},
		{"0:Change(null,null)@0", "1:Change(null,null)@42", "2:Change(null+YY2,null)@10", "3:Change(null+YY3,null)@20"},
	}
	for _, caching := range []bool{false, true} {
		ttChanges(t, ttOuter, caching, false, nil, want)
	}
}

// KTableKTableOuterJoinTest.testSendingOldValue
func TestTableTableOuterJoinSendingOldValue(t *testing.T) {
	want := [][]string{
		{"0:Change(X0+null,null)@5", "1:Change(X1+null,null)@6"},
		{"0:Change(X0+Y0,X0+null)@5", "1:Change(X1+Y1,X1+null)@10"},
		{"0:Change(XX0+Y0,X0+Y0)@7", "1:Change(XX1+Y1,X1+Y1)@10", "2:Change(XX2+null,null)@7", "3:Change(XX3+null,null)@7"},
		{"0:Change(XX0+YY0,XX0+Y0)@7", "1:Change(XX1+YY1,XX1+Y1)@7", "2:Change(XX2+YY2,XX2+null)@10", "3:Change(XX3+YY3,XX3+null)@15"},
		{"0:Change(XXX0+YY0,XX0+YY0)@6", "1:Change(XXX1+YY1,XX1+YY1)@6", "2:Change(XXX2+YY2,XX2+YY2)@10", "3:Change(XXX3+YY3,XX3+YY3)@15"},
		{"0:Change(XXX0+null,XXX0+YY0)@6", "1:Change(XXX1+null,XXX1+YY1)@7"},
		{"0:Change(XXXX0+null,XXX0+null)@13", "1:Change(XXXX1+null,XXX1+null)@13", "2:Change(XXXX2+YY2,XXX2+YY2)@13", "3:Change(XXXX3+YY3,XXX3+YY3)@15"},
		{"0:Change(null,XXXX0+null)@0", "1:Change(null,XXXX1+null)@42", "2:Change(null+YY2,XXXX2+YY2)@10", "3:Change(null+YY3,XXXX3+YY3)@20"},
	}
	for _, caching := range []bool{false, true} {
		ttChanges(t, ttOuter, caching, true, nil, want)
	}
}

// Our timestamps (see the file comment): each result carries the timestamp of the update
// that caused it, where Kafka's gives the larger of it and the other side's stored
// timestamp: key 0 in the second group is at 0 here (Kafka: 5), key 1 in the third at 7
// (Kafka: 10).
func TestTableTableJoinTimestamps(t *testing.T) {
	sb, _, _, j := ttProgram(ttInner, false, nil)
	var got []string
	topology.CaptureChangesForTest(j, "proc", &got)
	d := newDriver(t, sb)
	want := [][]string{
		nil,
		{"0:Change(X0+Y0,null)@0", "1:Change(X1+Y1,null)@10"},
		{"0:Change(XX0+Y0,null)@7", "1:Change(XX1+Y1,null)@7"},
		{"0:Change(XX0+YY0,null)@0", "1:Change(XX1+YY1,null)@5", "2:Change(XX2+YY2,null)@10", "3:Change(XX3+YY3,null)@15"},
		{"0:Change(XXX0+YY0,null)@6", "1:Change(XXX1+YY1,null)@6", "2:Change(XXX2+YY2,null)@6", "3:Change(XXX3+YY3,null)@6"},
		{"0:Change(null,null)@5", "1:Change(null,null)@7"},
		{"2:Change(XXXX2+YY2,null)@13", "3:Change(XXXX3+YY3,null)@13"},
		{"2:Change(null,null)@5", "3:Change(null,null)@20"},
	}
	ttRun(t, d, func() []string { g := got; got = nil; return g }, want, true)
}
