package topology_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of cogroups through the TopologyTestDriver: the inputs and outputs of Kafka
// Streams' CogroupedKStreamImplTest, TimeWindowedCogroupedKStreamImplTest,
// SlidingWindowedCogroupedKStreamImplTest and SessionWindowedCogroupedKStreamImplTest
// (org.apache.kafka.streams.kstream.internals), test method named above each test, with the
// record cache off and on (Kafka's default).
//
// Difference in the key-value tests: Kafka's store is timestamped and an update carries the
// larger of the record's and the aggregate's timestamps; Tributary's holds plain values and
// an update carries the record's (see dsl_table.go). Those tests check keys and values, and
// keep Kafka's timestamps in the transcription for reference; the windowed ones check all.

// cogroupRec is a record written out, with the key printed (window keys by wk) and a
// tombstone as "<nil>".
type cogroupRec struct {
	Key, Value string
	Ts         int64
}

func (r cogroupRec) String() string { return fmt.Sprintf("%s=%s@%d", r.Key, r.Value, r.Ts) }

func cgOut[K any](t *testing.T, d *testutil.TopologyTestDriver, keys serde.Serde[K], show func(K) string) []cogroupRec {
	t.Helper()
	recs, err := testutil.CreateOutputTopic(d, "output", keys, serde.String).ReadRecordsToList()
	must(t, err)
	var out []cogroupRec
	for _, r := range recs {
		v := r.Value
		if r.Tombstone {
			v = "<nil>"
		}
		out = append(out, cogroupRec{show(r.Key), v, r.Timestamp})
	}
	return out
}

// checkKV compares keys and values only (see above).
func checkKV(t *testing.T, got, want []cogroupRec) {
	t.Helper()
	strip := func(rs []cogroupRec) []string {
		var s []string
		for _, r := range rs {
			s = append(s, r.Key+"="+r.Value)
		}
		return s
	}
	check(t, strip(got), strip(want))
}

func cgIn(t *testing.T, d *testutil.TopologyTestDriver, topic string, recs ...cogroupRec) {
	t.Helper()
	in := testutil.CreateInputTopic(d, topic, serde.String, serde.String)
	for _, r := range recs {
		if r.Value == "<nil>" {
			must(t, in.PipeRecord(testutil.TestRecord[string, string]{Key: r.Key, Tombstone: true, Timestamp: r.Ts}))
			continue
		}
		must(t, in.PipeInputWithTimestamp(r.Key, r.Value, r.Ts))
	}
}

func cgMatCaching(caching bool) topology.Materialized[string, string] {
	m := cgMat
	m.CachingDisabled = !caching
	return m
}

func ident(s string) string { return s }

// CogroupedKStreamImplTest.shouldCogroupAndAggregateSingleKStreams and
// testCogroupHandleNullValues (the record without a value is skipped).
func TestCogroupAggregateSingleStream(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "one", procStrings)), cgConcat).
			Aggregate(cgEmpty, cgMatCaching(caching)).ToStream().To("output")
		d := newDriver(t, sb)
		cgIn(t, d, "one", cogroupRec{"k1", "A", 0}, cogroupRec{"k2", "B", 0}, cogroupRec{"k2", "<nil>", 0}, cogroupRec{"k2", "B", 0}, cogroupRec{"k1", "A", 0})
		check(t, cgOut(t, d, serde.String, ident), []cogroupRec{{"k1", "A", 0}, {"k2", "B", 0}, {"k2", "BB", 0}, {"k1", "AA", 0}})
	}
}

// CogroupedKStreamImplTest.shouldCogroupAndAggregateTwoKStreamsWithDistinctKeys
func TestCogroupAggregateTwoStreamsDistinctKeys(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		one := topology.GroupByKey(topology.Stream(sb, "one", procStrings))
		two := topology.GroupByKey(topology.Stream(sb, "two", procStrings))
		topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).
			Aggregate(cgEmpty, cgMatCaching(caching)).ToStream().To("output")
		d := newDriver(t, sb)
		cgIn(t, d, "one", cogroupRec{"k1", "A", 0}, cogroupRec{"k1", "A", 1}, cogroupRec{"k1", "A", 10}, cogroupRec{"k1", "A", 100})
		cgIn(t, d, "two", cogroupRec{"k2", "B", 100}, cogroupRec{"k2", "B", 200}, cogroupRec{"k2", "B", 1}, cogroupRec{"k2", "B", 500}, cogroupRec{"k2", "B", 500}, cogroupRec{"k2", "B", 100})
		checkKV(t, cgOut(t, d, serde.String, ident), []cogroupRec{
			{"k1", "A", 0}, {"k1", "AA", 1}, {"k1", "AAA", 10}, {"k1", "AAAA", 100},
			{"k2", "B", 100}, {"k2", "BB", 200}, {"k2", "BBB", 200}, {"k2", "BBBB", 500}, {"k2", "BBBBB", 500}, {"k2", "BBBBBB", 500}})
	}
}

var sharedKeysOne = []cogroupRec{{"k1", "A", 0}, {"k2", "A", 1}, {"k1", "A", 10}, {"k2", "A", 100}}
var sharedKeysTwo = []cogroupRec{{"k2", "B", 100}, {"k2", "B", 200}, {"k1", "B", 1}, {"k2", "B", 500}, {"k1", "B", 500}, {"k2", "B", 500}, {"k3", "B", 500}, {"k2", "B", 100}}
var sharedKeysOut = []cogroupRec{{"k1", "A", 0}, {"k2", "A", 1}, {"k1", "AA", 10}, {"k2", "AA", 100}, {"k2", "AAB", 100}, {"k2", "AABB", 200},
	{"k1", "AAB", 10}, {"k2", "AABBB", 500}, {"k1", "AABB", 500}, {"k2", "AABBBB", 500}, {"k3", "B", 500}, {"k2", "AABBBBB", 500}}

// CogroupedKStreamImplTest.shouldCogroupAndAggregateTwoKStreamsWithSharedKeys (Kafka's test
// stops reading after the tenth record; the last two are checked here too), and the store.
func TestCogroupAggregateTwoStreamsSharedKeys(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		one := topology.GroupByKey(topology.Stream(sb, "one", procStrings))
		two := topology.GroupByKey(topology.Stream(sb, "two", procStrings))
		m := cgMatCaching(caching)
		m.Name = "store"
		table := topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).Aggregate(cgEmpty, m)
		table.ToStream().To("output")
		if table.StoreName() != "store" || !table.Queryable() {
			t.Errorf("StoreName() = %q, Queryable() = %v", table.StoreName(), table.Queryable())
		}
		d := newDriver(t, sb)
		cgIn(t, d, "one", sharedKeysOne...)
		cgIn(t, d, "two", sharedKeysTwo...)
		checkKV(t, cgOut(t, d, serde.String, ident), sharedKeysOut)
		storeHas(t, d, "store", map[string]string{"k1": "AABB", "k2": "AABBBBB", "k3": "B"})
	}
}

// The shared-keys test with the first stream re-keyed upstream (its key and value swapped
// twice, so the keys are the same): its records go through the repartition topic
// "store-repartition" before its aggregation node. Not a Kafka test.
func TestCogroupAggregateTwoStreamsSharedKeysAndRepartition(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		s1, s2 := topology.Stream(sb, "one", procStrings), topology.Stream(sb, "two", procStrings)
		one := topology.GroupByKey(cgSwap(cgSwap(s1)), cgGrouped)
		two := topology.GroupByKey(s2)
		m := cgMatCaching(caching)
		m.Name = "store"
		topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).Aggregate(cgEmpty, m).ToStream().To("output")
		d := newDriver(t, sb)
		cgIn(t, d, "one", sharedKeysOne...)
		cgIn(t, d, "two", sharedKeysTwo...)
		checkKV(t, cgOut(t, d, serde.String, ident), sharedKeysOut)
	}
}

// CogroupedKStreamImplTest.shouldCoGroupStreamsWithDifferentInputTypes (and
// shouldAllowDifferentOutputTypeInCoGroup): a stream of strings and one of integers summed
// into integers.
func TestCogroupDifferentInputTypes(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	one := topology.GroupByKey(topology.Stream(sb, "one", procStrings))
	two := topology.GroupByKey(topology.Stream(sb, "two", topology.Consumed[string, int32]{Keys: serde.String, Values: serde.Int32}))
	sumStrings := func(_ string, v string, agg int32) int32 { n, _ := strconv.Atoi(v); return agg + int32(n) }
	sum := func(_ string, v int32, agg int32) int32 { return agg + v }
	topology.CogroupWith(topology.Cogroup(one, sumStrings), two, sum).
		Aggregate(func() int32 { return 0 }, topology.Materialized[string, int32]{Name: "store1", Values: serde.Int32, StoreType: topology.StoreInMemory}).
		ToStream().To("output")
	d := newDriver(t, sb)
	cgIn(t, d, "one", cogroupRec{"k1", "1", 0}, cogroupRec{"k2", "1", 1}, cogroupRec{"k1", "1", 10}, cogroupRec{"k2", "1", 100})
	in2 := testutil.CreateInputTopic(d, "two", serde.String, serde.Int32)
	for _, r := range []kvt[string, int32]{{"k2", 2, 100}, {"k2", 2, 200}, {"k1", 2, 1}, {"k2", 2, 500}, {"k1", 2, 500}, {"k2", 3, 500}, {"k3", 2, 500}, {"k2", 2, 100}} {
		must(t, in2.PipeInputWithTimestamp(r.Key, r.Value, r.Ts))
	}
	var got []string
	for _, r := range readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.Int32)) {
		got = append(got, fmt.Sprintf("%s=%d", r.Key, r.Value))
	}
	// Kafka's test reads the first eleven; the twelfth is k2=13.
	check(t, got, []string{"k1=1", "k2=1", "k1=2", "k2=2", "k2=4", "k2=6", "k1=4", "k2=8", "k1=6", "k2=11", "k3=2", "k2=13"})
}

// CogroupedKStreamImplTest.testCogroupWithThreeGroupedStreams
func TestCogroupThreeStreams(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	one := topology.GroupByKey(topology.Stream(sb, "one", procStrings))
	two := topology.GroupByKey(topology.Stream(sb, "two", procStrings))
	three := topology.GroupByKey(topology.Stream(sb, "three", procStrings))
	c := topology.CogroupWith(topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat), three, cgConcat)
	c.Aggregate(cgEmpty, cgMat).ToStream().To("output")
	d := newDriver(t, sb)
	cgIn(t, d, "one", cogroupRec{"k1", "A", 0}, cogroupRec{"k2", "A", 1}, cogroupRec{"k1", "A", 10}, cogroupRec{"k2", "A", 100})
	cgIn(t, d, "two", cogroupRec{"k2", "B", 100}, cogroupRec{"k2", "B", 200}, cogroupRec{"k1", "B", 1}, cogroupRec{"k2", "B", 500})
	cgIn(t, d, "three", cogroupRec{"k1", "B", 500}, cogroupRec{"k2", "B", 500}, cogroupRec{"k3", "B", 500}, cogroupRec{"k2", "B", 100})
	checkKV(t, cgOut(t, d, serde.String, ident), []cogroupRec{{"k1", "A", 0}, {"k2", "A", 1}, {"k1", "AA", 10}, {"k2", "AA", 100}, {"k2", "AAB", 100},
		{"k2", "AABB", 200}, {"k1", "AAB", 10}, {"k2", "AABBB", 500}, {"k1", "AABB", 500}, {"k2", "AABBBB", 500}, {"k3", "B", 500},
		{"k2", "AABBBBB", 500}}) // Kafka's test does not read the last one
}

// CogroupedKStreamImplTest.testCogroupKeyMixedAggregators
func TestCogroupMixedAggregators(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	one := topology.GroupByKey(topology.Stream(sb, "one", procStrings))
	two := topology.GroupByKey(topology.Stream(sb, "two", procStrings))
	topology.CogroupWith(topology.Cogroup(one, strRemover), two, toStringAdder).Aggregate(stringInit, cgMat).ToStream().To("output")
	d := newDriver(t, sb)
	cgIn(t, d, "one", cogroupRec{"k1", "1", 0}, cogroupRec{"k2", "1", 1}, cogroupRec{"k1", "1", 10}, cogroupRec{"k2", "1", 100})
	cgIn(t, d, "two", cogroupRec{"k1", "2", 500}, cogroupRec{"k2", "2", 500}, cogroupRec{"k1", "2", 500}, cogroupRec{"k2", "2", 100})
	checkKV(t, cgOut(t, d, serde.String, ident), []cogroupRec{{"k1", "0-1", 0}, {"k2", "0-1", 1}, {"k1", "0-1-1", 10}, {"k2", "0-1-1", 100},
		{"k1", "0-1-1+2", 500}, {"k2", "0-1-1+2", 500}, {"k1", "0-1-1+2+2", 500}, {"k2", "0-1-1+2+2", 500}})
}

// The windowed tests' cogroup: TOSTRING_ADDER on "topic", TOSTRING_REMOVER on "topic2".
func cgWindowedSetup(sb *topology.StreamsBuilder) *topology.CogroupedKStream[string, string] {
	s1, s2 := topology.Stream(sb, "topic", procStrings), topology.Stream(sb, "topic2", procStrings)
	return topology.CogroupWith(topology.Cogroup(topology.GroupByKey(s1, cgGrouped), toStringAdder), topology.GroupByKey(s2, cgGrouped), strRemover)
}

func keyOf(w serde.Windowed[string]) string { return w.Key }

func timeWindowedOut(t *testing.T, d *testutil.TopologyTestDriver, size time.Duration, show func(serde.Windowed[string]) string) []cogroupRec {
	return cgOut(t, d, serde.TimeWindowed(serde.String, size), show)
}

// TimeWindowedCogroupedKStreamImplTest.timeWindowAggregateTestStreamsTest,
// timeWindowMixAggregatorsTest and timeWindowMixAggregatorsManyWindowsTest.
func TestCogroupTimeWindowed(t *testing.T) {
	first := []cogroupRec{{"k1", "A", 0}, {"k2", "A", 0}, {"k2", "A", 1}, {"k1", "A", 2}}
	for _, c := range []struct {
		name   string
		topic2 string
		second []cogroupRec
		want   []cogroupRec
	}{
		{"timeWindowAggregateTestStreamsTest", "topic", []cogroupRec{{"k1", "B", 3}, {"k2", "B", 3}, {"k2", "B", 4}, {"k1", "B", 4}},
			[]cogroupRec{{"k1", "0+A", 0}, {"k2", "0+A", 0}, {"k2", "0+A+A", 1}, {"k1", "0+A+A", 2}, {"k1", "0+A+A+B", 3}, {"k2", "0+A+A+B", 3}, {"k2", "0+A+A+B+B", 4}, {"k1", "0+A+A+B+B", 4}}},
		{"timeWindowMixAggregatorsTest", "topic2", []cogroupRec{{"k1", "B", 3}, {"k2", "B", 3}, {"k2", "B", 4}, {"k1", "B", 4}},
			[]cogroupRec{{"k1", "0+A", 0}, {"k2", "0+A", 0}, {"k2", "0+A+A", 1}, {"k1", "0+A+A", 2}, {"k1", "0+A+A-B", 3}, {"k2", "0+A+A-B", 3}, {"k2", "0+A+A-B-B", 4}, {"k1", "0+A+A-B-B", 4}}},
		{"timeWindowMixAggregatorsManyWindowsTest", "topic2", []cogroupRec{{"k1", "B", 3}, {"k2", "B", 3}, {"k2", "B", 501}, {"k1", "B", 501}},
			[]cogroupRec{{"k1", "0+A", 0}, {"k2", "0+A", 0}, {"k2", "0+A+A", 1}, {"k1", "0+A+A", 2}, {"k1", "0+A+A-B", 3}, {"k2", "0+A+A-B", 3}, {"k2", "0-B", 501}, {"k1", "0-B", 501}}},
	} {
		for _, caching := range []bool{false, true} {
			sb := topology.NewStreamsBuilder()
			cgWindowedSetup(sb).WindowedBy(topology.TimeWindowsOfSizeWithNoGrace(500*time.Millisecond)).
				Aggregate(stringInit, cgMatCaching(caching)).ToStream().To("output")
			d := newDriver(t, sb)
			cgIn(t, d, "topic", first...)
			cgIn(t, d, c.topic2, c.second...)
			got := timeWindowedOut(t, d, 500*time.Millisecond, keyOf)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s (caching %v):\n got  %v\n want %v", c.name, caching, got, c.want)
			}
		}
	}
}

// TimeWindowedCogroupedKStreamImplTest.timeWindowAggregateManyWindowsTest and
// timeWindowAggregateOverlappingWindowsTest (with the windows checked too).
func TestCogroupTimeWindowedSingleStream(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		g := topology.GroupByKey(topology.Stream(sb, "topic", procStrings), cgGrouped)
		topology.Cogroup(g, toStringAdder).WindowedBy(topology.TimeWindowsOfSizeWithNoGrace(500*time.Millisecond)).
			Aggregate(stringInit, cgMatCaching(caching)).ToStream().To("output")
		d := newDriver(t, sb)
		cgIn(t, d, "topic", cogroupRec{"k1", "A", 0}, cogroupRec{"k2", "A", 499}, cogroupRec{"k2", "A", 500}, cogroupRec{"k1", "A", 500})
		check(t, timeWindowedOut(t, d, 500*time.Millisecond, wk[string]), []cogroupRec{
			{"[k1@0/500]", "0+A", 0}, {"[k2@0/500]", "0+A", 499}, {"[k2@500/1000]", "0+A", 500}, {"[k1@500/1000]", "0+A", 500}})

		sb = topology.NewStreamsBuilder()
		g = topology.GroupByKey(topology.Stream(sb, "topic", procStrings), cgGrouped)
		topology.Cogroup(g, toStringAdder).WindowedBy(topology.TimeWindowsOfSizeWithNoGrace(500*time.Millisecond).AdvanceBy(200*time.Millisecond)).
			Aggregate(stringInit, cgMatCaching(caching)).ToStream().To("output")
		d = newDriver(t, sb)
		cgIn(t, d, "topic", cogroupRec{"k1", "A", 0}, cogroupRec{"k2", "A", 0}, cogroupRec{"k1", "B", 250}, cogroupRec{"k2", "B", 250}, cogroupRec{"k2", "A", 500}, cogroupRec{"k1", "A", 500})
		check(t, timeWindowedOut(t, d, 500*time.Millisecond, keyOf), []cogroupRec{
			{"k1", "0+A", 0}, {"k2", "0+A", 0}, {"k1", "0+A+B", 250}, {"k1", "0+B", 250}, {"k2", "0+A+B", 250}, {"k2", "0+B", 250},
			{"k2", "0+B+A", 500}, {"k2", "0+A", 500}, {"k1", "0+B+A", 500}, {"k1", "0+A", 500}})
	}
}

// SlidingWindowedCogroupedKStreamImplTest.slidingWindowAggregateStreamsTest (time difference
// 500 ms, grace 2 s), caching off and on.
func TestCogroupSlidingWindowed(t *testing.T) {
	for _, caching := range []bool{false, true} {
		testCogroupSlidingWindowed(t, caching)
	}
}

func testCogroupSlidingWindowed(t *testing.T, caching bool) {
	sb := topology.NewStreamsBuilder()
	cgWindowedSetup(sb).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(500*time.Millisecond, 2*time.Second)).
		Aggregate(stringInit, cgMatCaching(caching)).ToStream().To("output")
	d := newDriver(t, sb)
	cgIn(t, d, "topic", cogroupRec{"k1", "A", 500}, cogroupRec{"k2", "A", 500}, cogroupRec{"k2", "A", 501}, cogroupRec{"k1", "A", 502},
		cogroupRec{"k1", "B", 503}, cogroupRec{"k2", "B", 503}, cogroupRec{"k2", "B", 504}, cogroupRec{"k1", "B", 504})
	check(t, timeWindowedOut(t, d, 500*time.Millisecond, wk[string]), []cogroupRec{
		{"[k1@0/500]", "0+A", 500},
		{"[k2@0/500]", "0+A", 500},
		{"[k2@501/1001]", "0+A", 501}, {"[k2@1/501]", "0+A+A", 501},
		{"[k1@501/1001]", "0+A", 502}, {"[k1@2/502]", "0+A+A", 502},
		{"[k1@501/1001]", "0+A+B", 503}, {"[k1@503/1003]", "0+B", 503}, {"[k1@3/503]", "0+A+A+B", 503},
		{"[k2@501/1001]", "0+A+B", 503}, {"[k2@502/1002]", "0+B", 503}, {"[k2@3/503]", "0+A+A+B", 503},
		{"[k2@502/1002]", "0+B+B", 504}, {"[k2@501/1001]", "0+A+B+B", 504}, {"[k2@504/1004]", "0+B", 504}, {"[k2@4/504]", "0+A+A+B+B", 504},
		{"[k1@503/1003]", "0+B+B", 504}, {"[k1@501/1001]", "0+A+B+B", 504}, {"[k1@504/1004]", "0+B", 504}, {"[k1@4/504]", "0+A+A+B+B", 504},
	})
}

// SlidingWindowedCogroupedKStreamImplTest.slidingWindowAggregateOverlappingWindowsTest
func TestCogroupSlidingWindowedOverlapping(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		g := topology.GroupByKey(topology.Stream(sb, "topic", procStrings), cgGrouped)
		topology.Cogroup(g, toStringAdder).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(500*time.Millisecond, 2*time.Second)).
			Aggregate(stringInit, cgMatCaching(caching)).ToStream().To("output")
		d := newDriver(t, sb)
		cgIn(t, d, "topic", cogroupRec{"k1", "A", 500}, cogroupRec{"k2", "A", 500}, cogroupRec{"k1", "B", 750}, cogroupRec{"k2", "B", 750}, cogroupRec{"k2", "A", 1000}, cogroupRec{"k1", "A", 1000})
		check(t, timeWindowedOut(t, d, 500*time.Millisecond, keyOf), []cogroupRec{
			{"k1", "0+A", 500}, {"k2", "0+A", 500}, {"k1", "0+B", 750}, {"k1", "0+A+B", 750}, {"k2", "0+B", 750}, {"k2", "0+A+B", 750},
			{"k2", "0+B+A", 1000}, {"k2", "0+A", 1000}, {"k2", "0+A+B+A", 1000}, {"k1", "0+B+A", 1000}, {"k1", "0+A", 1000}, {"k1", "0+A+B+A", 1000}})
	}
}

// SessionWindowedCogroupedKStreamImplTest's sessionMerger.
func cgSessionMerger(_ string, a, b string) string { return a + "+" + b }

func sessionOut(t *testing.T, d *testutil.TopologyTestDriver) []cogroupRec {
	return cgOut(t, d, serde.SessionWindowed(serde.String), keyOf)
}

// SessionWindowedCogroupedKStreamImplTest.sessionWindowAggregateTest and
// sessionWindowAggregate2Test (one stream, gap 500 ms, no grace).
func TestCogroupSessionWindowedSingleStream(t *testing.T) {
	for _, c := range []struct {
		in, want []cogroupRec
	}{
		{[]cogroupRec{{"k1", "A", 0}, {"k2", "A", 0}, {"k1", "B", 599}, {"k2", "B", 607}},
			[]cogroupRec{{"k1", "0+A", 0}, {"k2", "0+A", 0}, {"k1", "0+B", 599}, {"k2", "0+B", 607}}},
		{[]cogroupRec{{"k1", "A", 0}, {"k1", "A", 0}, {"k2", "B", 599}, {"k1", "B", 607}},
			[]cogroupRec{{"k1", "0+A", 0}, {"k1", "0+0+A+A", 0}, {"k2", "0+B", 599}, {"k1", "0+B", 607}}},
	} {
		for _, caching := range []bool{false, true} {
			sb := topology.NewStreamsBuilder()
			g := topology.GroupByKey(topology.Stream(sb, "topic", procStrings), cgGrouped)
			topology.Cogroup(g, toStringAdder).WindowedBySession(topology.SessionWindowsWithNoGrace(500*time.Millisecond)).
				Aggregate(stringInit, cgSessionMerger, cgMatCaching(caching)).ToStream().To("output")
			d := newDriver(t, sb)
			cgIn(t, d, "topic", c.in...)
			check(t, sessionOut(t, d), c.want)
		}
	}
}

// SessionWindowedCogroupedKStreamImplTest.sessionWindowAggregateTest2StreamsTest,
// sessionWindowMixAggregatorsTest and sessionWindowMixAggregatorsManyWindowsTest (gap
// 100 ms, grace 1 day).
func TestCogroupSessionWindowed(t *testing.T) {
	for _, c := range []struct {
		name     string
		one, two []cogroupRec
		want     []cogroupRec
	}{
		{"sessionWindowAggregateTest2StreamsTest",
			[]cogroupRec{{"k1", "A", 0}, {"k1", "A", 84}, {"k1", "A", 113}, {"k1", "A", 199}, {"k1", "B", 300}, {"k2", "B", 301}, {"k2", "B", 400}, {"k1", "B", 400}}, nil,
			[]cogroupRec{{"k1", "0+A", 0}, {"k1", "<nil>", 0}, {"k1", "0+0+A+A", 84}, {"k1", "<nil>", 84}, {"k1", "0+0+0+A+A+A", 113}, {"k1", "<nil>", 113},
				{"k1", "0+0+0+0+A+A+A+A", 199}, {"k1", "0+B", 300}, {"k2", "0+B", 301}, {"k2", "<nil>", 301}, {"k2", "0+0+B+B", 400}, {"k1", "<nil>", 300}, {"k1", "0+0+B+B", 400}}},
		{"sessionWindowMixAggregatorsTest",
			[]cogroupRec{{"k1", "A", 0}, {"k2", "A", 0}, {"k2", "A", 1}, {"k1", "A", 2}}, []cogroupRec{{"k1", "B", 3}, {"k2", "B", 3}, {"k2", "B", 444}, {"k1", "B", 444}},
			[]cogroupRec{{"k1", "0+A", 0}, {"k2", "0+A", 0}, {"k2", "<nil>", 0}, {"k2", "0+0+A+A", 1}, {"k1", "<nil>", 0}, {"k1", "0+0+A+A", 2}, {"k1", "<nil>", 2},
				{"k1", "0+0+0+A+A-B", 3}, {"k2", "<nil>", 1}, {"k2", "0+0+0+A+A-B", 3}, {"k2", "0-B", 444}, {"k1", "0-B", 444}}},
		{"sessionWindowMixAggregatorsManyWindowsTest",
			[]cogroupRec{{"k1", "A", 0}, {"k2", "A", 0}, {"k2", "A", 1}, {"k1", "A", 2}}, []cogroupRec{{"k1", "B", 3}, {"k2", "B", 500}, {"k2", "B", 501}, {"k1", "B", 501}},
			[]cogroupRec{{"k1", "0+A", 0}, {"k2", "0+A", 0}, {"k2", "<nil>", 0}, {"k2", "0+0+A+A", 1}, {"k1", "<nil>", 0}, {"k1", "0+0+A+A", 2}, {"k1", "<nil>", 2},
				{"k1", "0+0+0+A+A-B", 3}, {"k2", "0-B", 500}, {"k2", "<nil>", 500}, {"k2", "0+0-B-B", 501}, {"k1", "0-B", 501}}},
	} {
		for _, caching := range []bool{false, true} {
			sb := topology.NewStreamsBuilder()
			cgWindowedSetup(sb).WindowedBySession(topology.SessionWindowsWithGrace(100*time.Millisecond, 24*time.Hour)).
				Aggregate(stringInit, cgSessionMerger, cgMatCaching(caching)).ToStream().To("output")
			d := newDriver(t, sb)
			cgIn(t, d, "topic", c.one...)
			cgIn(t, d, "topic2", c.two...)
			if got := sessionOut(t, d); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s (caching %v):\n got  %v\n want %v", c.name, caching, got, c.want)
			}
		}
	}
}

// A cogroup table sends old values when an operation downstream asks for them, from each of
// its aggregation nodes (Kafka's KTablePassThrough.enableSendingOldValues asks every
// parent): a KTable.groupBy re-aggregation over it subtracts each key's old aggregate. Not a
// Kafka test.
func TestCogroupTableSendsOldValues(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		one := topology.GroupByKey(topology.Stream(sb, "one", procStrings))
		two := topology.GroupByKey(topology.Stream(sb, "two", procStrings))
		table := topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).Aggregate(cgEmpty, cgMatCaching(caching))
		lengths := topology.GroupTableBy(table, func(_ string, v string) topology.KeyValue[string, int64] {
			return topology.KeyValue[string, int64]{Key: "all", Value: int64(len(v))}
		}, topology.Grouped[string, int64]{Keys: serde.String, Values: serde.Int64})
		lengths.Reduce(func(a, v int64) int64 { return a + v }, func(a, v int64) int64 { return a - v },
			topology.Materialized[string, int64]{Name: "total", StoreType: topology.StoreInMemory}).ToStream().To("output")
		d := newDriver(t, sb)
		cgIn(t, d, "one", cogroupRec{"k1", "A", 0})
		cgIn(t, d, "two", cogroupRec{"k1", "B", 1}, cogroupRec{"k2", "CD", 2})
		cgIn(t, d, "one", cogroupRec{"k2", "E", 3})
		storeHas(t, d, "total", map[string]int64{"all": 5})
	}
}
