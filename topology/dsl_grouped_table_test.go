package topology_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of KTable.groupBy and KGroupedTable's aggregations (GroupTableBy, Count,
// Reduce, AggregateTable), through the TopologyTestDriver, with inputs and expected outputs
// transcribed from Kafka Streams' KGroupedTableImplTest, KTableAggregateTest, KTableReduceTest
// and KTableFilterTest (org.apache.kafka.streams.kstream.internals).
//
// Timestamps: Kafka's aggregation forwards the larger of the record's timestamp and the
// stored aggregate's (its stores are timestamped); ours hold plain values, so an update
// carries the record's timestamp. Where the two differ, the expected string is ours and the
// comment gives Kafka's. Kafka's tests get the grouping's serdes from the default serdes of
// their config; ours give them in Grouped. Each test runs with caching off and on: the
// TopologyTestDriver flushes after every record, and Kafka's outputs are the same then.

var groupedStrs = topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}

// Kafka's MockInitializer.STRING_INIT and MockAggregator.TOSTRING_ADDER/TOSTRING_REMOVER.
func strInit() string                           { return "0" }
func strAdder(_ string, v, agg string) string   { return agg + "+" + v }
func strRemover(_ string, v, agg string) string { return agg + "-" + v }

// Kafka's MockMapper.selectValueKeyValueMapper and noOpKeyValueMapper.
func selectValue(_ string, v string) topology.KeyValue[string, string] { return topology.Pair(v, v) }
func noOpPair(k, v string) topology.KeyValue[string, string]           { return topology.Pair(k, v) }

func strStore[V any](name string, caching bool, values serde.Serde[V]) topology.Materialized[string, V] {
	return topology.Materialized[string, V]{Name: name, StoreType: topology.StoreInMemory, CachingDisabled: !caching, Values: values}
}

// KGroupedTableImplTest.assertReduced, reading the reduced table's updates.
func assertReduced(t *testing.T, d *testutil.TopologyTestDriver) {
	t.Helper()
	in := testutil.CreateInputTopic(d, "input", serde.String, serde.Float64)
	out := testutil.CreateOutputTopic(d, "out", serde.String, serde.Int32)
	pipeUpdates(t, in, upd[float64]{"A", 1.1, false, 10}, upd[float64]{"B", 2.2, false, 11})
	check(t, updates(t, out), []string{"A:1@10", "B:2@11"})
	pipeUpdates(t, in, upd[float64]{"A", 2.6, false, 30}, upd[float64]{"B", 1.3, false, 30},
		upd[float64]{"A", 5.7, false, 50}, upd[float64]{"B", 6.2, false, 20})
	// Last per key, as Kafka's test reads them: A (5, 50), B (6, 30) — ours B@20.
	check(t, updates(t, out), []string{"A:2@30", "B:1@30", "A:5@50", "B:6@20"})
}

var intProjection = func(k string, v float64) topology.KeyValue[string, int32] { return topology.Pair(k, int32(v)) }

// Kafka's MockReducer.INTEGER_ADDER and INTEGER_SUBTRACTOR.
func intAdd(a, b int32) int32 { return a + b }
func intSub(a, b int32) int32 { return a - b }

var groupedStrInt = topology.Grouped[string, int32]{Keys: serde.String, Values: serde.Int32}

// KGroupedTableImplTest.shouldReduce, shouldReduceWithInternalStoreName and
// shouldReduceAndMaterializeResults.
func TestDSLGroupedTableReduce(t *testing.T) {
	for _, caching := range []bool{false, true} {
		for _, c := range []struct {
			test, store string
			tableStore  bool
		}{{"shouldReduce", "reduced", true}, {"shouldReduceWithInternalStoreName", "", true}, {"shouldReduceAndMaterializeResults", "reduce", false}} {
			sb := topology.NewStreamsBuilder()
			m := topology.Materialized[string, float64]{}
			if c.tableStore {
				m = topology.Materialized[string, float64]{Name: "store", StoreType: topology.StoreInMemory, Keys: serde.String, Values: serde.Float64}
			}
			table := topology.Table(sb, "input", topology.Consumed[string, float64]{Keys: serde.String, Values: serde.Float64}, m)
			rm := topology.Materialized[string, int32]{StoreType: topology.StoreInMemory, CachingDisabled: !caching}
			if c.store != "" {
				rm.Name, rm.Keys, rm.Values = c.store, serde.String, serde.Int32
			}
			reduced := topology.GroupTableBy(table, intProjection, groupedStrInt).Reduce(intAdd, intSub, rm)
			reduced.ToStream().To("out")
			if reduced.Queryable() != (c.store != "") || (c.store != "" && reduced.StoreName() != c.store) {
				t.Errorf("%s: store %q, queryable %v", c.test, reduced.StoreName(), reduced.Queryable())
			}
			d := newDriver(t, sb)
			assertReduced(t, d)
			if c.store == "reduce" {
				storeHas(t, d, "reduce", map[string]int32{"A": 5, "B": 6})
			}
		}
	}
}

// KGroupedTableImplTest.processData
func groupedTableProcessData(t *testing.T, d *testutil.TopologyTestDriver) {
	t.Helper()
	pipeUpdates(t, testutil.CreateInputTopic(d, "input", serde.String, serde.String),
		upd[string]{"A", "1", false, 10}, upd[string]{"B", "1", false, 50}, upd[string]{"C", "1", false, 30},
		upd[string]{"D", "2", false, 40}, upd[string]{"E", "2", false, 60})
}

// KGroupedTableImplTest.shouldCountAndMaterializeResults (Kafka's default store: RocksDB).
func TestDSLGroupedTableCountMaterialized(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "input", strs, topology.Materialized[string, string]{})
		topology.GroupTableBy(table, selectValue, groupedStrs).
			Count(topology.Materialized[string, int64]{Name: "count", Keys: serde.String, Values: serde.Int64, CachingDisabled: !caching})
		d := newDriver(t, sb)
		groupedTableProcessData(t, d)
		storeHas(t, d, "count", map[string]int64{"1": 3, "2": 2})
	}
}

// KGroupedTableImplTest.shouldAggregateAndMaterializeResults
func TestDSLGroupedTableAggregateMaterialized(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "input", strs, topology.Materialized[string, string]{})
		topology.AggregateTable(topology.GroupTableBy(table, selectValue, groupedStrs), strInit, strAdder, strRemover,
			topology.Materialized[string, string]{Name: "aggregate", StoreType: topology.StoreInMemory, Keys: serde.String, Values: serde.String, CachingDisabled: !caching})
		d := newDriver(t, sb)
		groupedTableProcessData(t, d)
		storeHas(t, d, "aggregate", map[string]string{"1": "0+1+1+1", "2": "0+2+2"})
	}
}

// KTableAggregateTest.testAggBasic: the key does not change, so each update is one Change
// with the old and new values (KTableRepartitionMap's same-key case since Kafka 3.5).
func TestDSLGroupedTableAggBasic(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{CachingDisabled: !caching})
		topology.AggregateTable(topology.GroupTableBy(table, noOpPair, groupedStrs), strInit, strAdder, strRemover,
			strStore("topic1-Canonized", caching, serde.String)).ToStream().To("out")
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.String),
			upd[string]{"A", "1", false, 10}, upd[string]{"B", "2", false, 15}, upd[string]{"A", "3", false, 20},
			upd[string]{"B", "4", false, 18}, upd[string]{"C", "5", false, 5}, upd[string]{"D", "6", false, 25},
			upd[string]{"B", "7", false, 15}, upd[string]{"C", "8", false, 10})
		check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)), []string{
			"A:0+1@10", "B:0+2@15", "A:0+1-1+3@20", "B:0+2-2+4@18", "C:0+5@5", "D:0+6@25",
			"B:0+2-2+4-4+7@15", // Kafka: @18
			"C:0+5-5+8@10",
		})
	}
}

// KTableAggregateTest.testAggRepartition. Kafka's selector returns a null key for the key
// "null" and a null pair for "NULL", which KTableRepartitionMap skips; a Go selector cannot
// return null, so a FilterNot of those keys stands for them (it forwards nothing for them:
// with old values sent, a filtered-out key absent before and after is dropped).
func TestDSLGroupedTableAggRepartition(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{CachingDisabled: !caching}).
			FilterNot(func(k, _ string) bool { return k == "null" || k == "NULL" })
		topology.AggregateTable(topology.GroupTableBy(table, selectValue, groupedStrs), strInit, strAdder, strRemover,
			strStore("topic1-Canonized", caching, serde.String)).ToStream().To("out")
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.String),
			upd[string]{"A", "1", false, 10}, upd[string]{k: "A", del: true, ts: 15}, upd[string]{"A", "1", false, 12},
			upd[string]{"B", "2", false, 20}, upd[string]{"null", "3", false, 25}, upd[string]{"B", "4", false, 23},
			upd[string]{"NULL", "5", false, 24}, upd[string]{"B", "7", false, 22})
		check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)), []string{
			"1:0+1@10", "1:0+1-1@15",
			"1:0+1-1+1@12", // Kafka: @15
			"2:0+2@20", "2:0+2-2@23", "4:0+4@23",
			"4:0+4-4@22", // Kafka: @23
			"7:0+7@22",
		})
	}
}

// KTableAggregateTest.testCount (store "count") and testCountWithInternalStore.
func TestDSLGroupedTableCount(t *testing.T) {
	for _, caching := range []bool{false, true} {
		for _, name := range []string{"count", ""} {
			sb := topology.NewStreamsBuilder()
			table := topology.Table(sb, "count-test-input", strs, topology.Materialized[string, string]{CachingDisabled: !caching})
			topology.GroupTableBy(table, selectValue, groupedStrs).
				Count(topology.Materialized[string, int64]{Name: name, CachingDisabled: !caching}).ToStream().To("out")
			d := newDriver(t, sb)
			pipeUpdates(t, testutil.CreateInputTopic(d, "count-test-input", serde.String, serde.String),
				upd[string]{"A", "green", false, 10}, upd[string]{"B", "green", false, 9}, upd[string]{"A", "blue", false, 12},
				upd[string]{"C", "yellow", false, 15}, upd[string]{"D", "green", false, 11})
			check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int64)), []string{
				"green:1@10",
				"green:2@9", // Kafka: @10
				"green:1@12", "blue:1@12", "yellow:1@15",
				"green:2@11", // Kafka: @12
			})
		}
	}
}

// KTableAggregateTest.testRemoveOldBeforeAddNew: the old value is subtracted before the new
// one is added, also when both go to the same group (the last update).
func TestDSLGroupedTableRemoveOldBeforeAddNew(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "count-test-input", strs, topology.Materialized[string, string]{CachingDisabled: !caching})
		topology.AggregateTable(
			topology.GroupTableBy(table, func(k, _ string) topology.KeyValue[string, string] { return topology.Pair(k[:1], k[1:2]) }, groupedStrs),
			func() string { return "" },
			func(_ string, v, agg string) string { return agg + v },
			func(_ string, v, agg string) string { return strings.ReplaceAll(agg, v, "") },
			strStore("someStore", caching, serde.String)).ToStream().To("out")
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "count-test-input", serde.String, serde.String),
			upd[string]{"11", "A", false, 10}, upd[string]{"12", "B", false, 8}, upd[string]{k: "11", del: true, ts: 12},
			upd[string]{"12", "C", false, 6})
		check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)), []string{
			"1:1@10",
			"1:12@8", // Kafka: @10
			"1:2@12",
			"1:2@6", // Kafka: @12
		})
	}
}

// KTableAggregateTest.testShouldNotSendTransientStateIfNotUpgrading: a key that does not
// change gives one update, not a subtraction then an addition. (Kafka's
// testShouldSendTransientStateWhenUpgrading covers upgrade.from, which Tributary has not.)
// KTableAggregateTest.testNoEqualsAndSameObject gives the same output; for
// testNoEqualsAndNotSameObject Kafka shows the transient state, its keys having no equals;
// ours compares keys by their serialized bytes, so equal bytes are one key and there is no
// transient state.
func TestDSLGroupedTableNoTransientState(t *testing.T) {
	for _, caching := range []bool{false, true} {
		for _, c := range []struct {
			sel   func(k, v string) topology.KeyValue[string, string]
			value string
		}{
			{noOpPair, ""},     // testShouldNotSendTransientStateIfNotUpgrading: KeyValue::pair
			{noOpPair, "1"},    // testNoEqualsAndSameObject: KeyValue::new on (a, a)
			{selectValue, "1"}, // testNoEqualsAndNotSameObject: (v, v) on (a, a)
		} {
			sb := topology.NewStreamsBuilder()
			table := topology.Table(sb, "input-topic", strs, topology.Materialized[string, string]{CachingDisabled: !caching})
			topology.GroupTableBy(table, c.sel, groupedStrs).
				Count(topology.Materialized[string, int64]{CachingDisabled: !caching}).ToStream().To("output-topic")
			d := newDriver(t, sb)
			pipeUpdates(t, testutil.CreateInputTopic(d, "input-topic", serde.String, serde.String),
				upd[string]{"1", c.value, false, 8}, upd[string]{"1", c.value, false, 9})
			check(t, updates(t, testutil.CreateOutputTopic(d, "output-topic", serde.String, serde.Int64)), []string{"1:1@8", "1:1@9"})
		}
	}
}

// set is a set of strings written as its sorted, comma-separated members.
func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Split(s, ",") {
		if e != "" {
			m[e] = true
		}
	}
	return m
}

func setString(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for e := range m {
		out = append(out, e)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// KTableReduceTest.shouldAddAndSubtract, through a table whose updates give the processor
// Kafka's Changes: (a, null), (b, a), (null, b); the set union and difference reducers.
func TestDSLGroupedTableReduceAddAndSubtract(t *testing.T) {
	union := func(a, b string) string {
		m := setOf(a)
		for e := range setOf(b) {
			m[e] = true
		}
		return setString(m)
	}
	difference := func(a, b string) string {
		m := setOf(a)
		for e := range setOf(b) {
			delete(m, e)
		}
		return setString(m)
	}
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "in", strs, topology.Materialized[string, string]{CachingDisabled: !caching})
		topology.GroupTableBy(table, noOpPair, groupedStrs).Reduce(union, difference, strStore("myStore", caching, serde.String))
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
		pipeUpdates(t, in, upd[string]{"A", "a", false, 10})
		storeHas(t, d, "myStore", map[string]string{"A": "a"})
		pipeUpdates(t, in, upd[string]{"A", "b", false, 15})
		storeHas(t, d, "myStore", map[string]string{"A": "b"})
		pipeUpdates(t, in, upd[string]{k: "A", del: true, ts: 12})
		storeHas(t, d, "myStore", map[string]string{"A": ""})
	}
}

// KTableFilterTest.shouldSkipNullToRepartitionWithoutMaterialization and
// shouldSkipNullToRepartitionOnMaterialization: the grouping makes the filter send old values,
// and a filtered-out key absent before and after is then not forwarded.
func TestDSLGroupedTableSkipNullToRepartition(t *testing.T) {
	for _, materialized := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table1 := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{CachingDisabled: true})
		accept := func(_, v string) bool { return strings.EqualFold(v, "accept") }
		var table2 *topology.KTable[string, string]
		rm := topology.Materialized[string, string]{StoreType: topology.StoreInMemory}
		if materialized {
			table2 = table1.FilterMaterialized(accept, topology.Materialized[string, string]{Name: "store2", StoreType: topology.StoreInMemory, CachingDisabled: true})
			rm.Name = "mock-result"
		} else {
			table2 = table1.Filter(accept)
		}
		concat := func(a, b string) string { return a + b }
		topology.GroupTableBy(table2, noOpPair, groupedStrs).Reduce(concat, concat, rm)
		var got1, got2 []string
		topology.CaptureChangesForTest(table1, "proc1", &got1)
		topology.CaptureChangesForTest(table2, "proc2", &got2)
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.String),
			upd[string]{"A", "reject", false, 5}, upd[string]{"B", "reject", false, 10}, upd[string]{"C", "reject", false, 20})
		check(t, got1, []string{"A:Change(reject,null)@5", "B:Change(reject,null)@10", "C:Change(reject,null)@20"})
		check(t, got2, []string{})
	}
}

// DSL mistakes are reported by Build: nil functions, and a grouping whose repartition topic
// has no serdes.
func TestDSLGroupedTableMistakes(t *testing.T) {
	for name, build := range map[string]func(sb *topology.StreamsBuilder){
		"nil selector": func(sb *topology.StreamsBuilder) {
			topology.GroupTableBy[string, string, string, string](topology.Table(sb, "t", strs, inMem[string, string]("s", true)), nil, groupedStrs).
				Count(topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
		},
		"nil subtractor": func(sb *topology.StreamsBuilder) {
			topology.GroupTableBy(topology.Table(sb, "t", strs, inMem[string, string]("s", true)), noOpPair, groupedStrs).
				Reduce(func(a, b string) string { return a }, nil, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
		},
		"nil initializer": func(sb *topology.StreamsBuilder) {
			topology.AggregateTable(topology.GroupTableBy(topology.Table(sb, "t", strs, inMem[string, string]("s", true)), noOpPair, groupedStrs),
				nil, strAdder, strRemover, strStore("x", true, serde.String))
		},
		"no serdes": func(sb *topology.StreamsBuilder) {
			topology.GroupTableBy(topology.Table(sb, "t", strs, inMem[string, string]("s", true)),
				func(k, v string) topology.KeyValue[int32, string] { return topology.Pair(int32(len(k)), v) }).
				Count(topology.Materialized[int32, int64]{StoreType: topology.StoreInMemory})
		},
	} {
		sb := topology.NewStreamsBuilder()
		build(sb)
		if _, err := sb.Build(); err == nil {
			t.Errorf("%s: Build succeeded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// KStreamImplTest.shouldSupportGroupByCountWithKStreamToKTable (its Describe is in
// dsl_grouped_table_internal_test.go): a ToTable is materialized by the grouping.
func TestDSLGroupedTableFromStreamToTable(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		tbl := topology.ToTable(topology.Stream(sb, "input", strs), topology.Materialized[string, string]{CachingDisabled: !caching})
		topology.GroupTableBy(tbl, selectValue, groupedStrs).
			Count(topology.Materialized[string, int64]{CachingDisabled: !caching}).ToStream().To("output")
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "input", serde.String, serde.String),
			upd[string]{"A", "green", false, 10}, upd[string]{"B", "green", false, 9}, upd[string]{"A", "blue", false, 12},
			upd[string]{"C", "yellow", false, 15}, upd[string]{"D", "green", false, 11})
		check(t, updates(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.Int64)), []string{
			"green:1@10",
			"green:2@9", // Kafka: @10
			"green:1@12", "blue:1@12", "yellow:1@15",
			"green:2@11", // Kafka: @12
		})
	}
}
