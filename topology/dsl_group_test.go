package topology_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of the KGroupedStream aggregations, transcribed from Kafka's
// KGroupedStreamImplTest (org.apache.kafka.streams.kstream.internals): its processData
// pipes ("1","A",5) ("2","B",1) ("1","C",3) ("1","D",10) ("3","E",8) ("3","F",9) and a
// tombstone for "3", and its should{Count,Reduce,Aggregate}AndMaterializeResults read the
// store. The updates written out are checked too (caching off: every update). Difference:
// Kafka's stores are timestamped and an update carries max(record, aggregate) timestamp;
// Tributary's hold plain values and an update carries the record's timestamp — so the
// second update of "1" has timestamp 3 here, 5 in Kafka. The last update of each key, and
// the stores, are the same.

var strs = topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}

func groupedProcessData(t *testing.T, d *testutil.TopologyTestDriver) {
	t.Helper()
	in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
	for _, r := range []kvt[string, string]{{"1", "A", 5}, {"2", "B", 1}, {"1", "C", 3}, {"1", "D", 10}, {"3", "E", 8}, {"3", "F", 9}} {
		must(t, in.PipeInputWithTimestamp(r.Key, r.Value, r.Ts))
	}
	must(t, in.PipeTombstone("3"))
}

func storeHas[V any](t *testing.T, d *testutil.TopologyTestDriver, name string, want map[string]V) {
	t.Helper()
	st, err := testutil.KeyValueStore[string, V](d, name)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		got, ok, err := st.Get(k)
		if err != nil || !ok || any(got) != any(w) {
			t.Errorf("store %s: Get(%q) = %v, %v, %v; want %v", name, k, got, ok, err, w)
		}
	}
	if n, _ := st.ApproximateNumEntries(); !st.Persistent() && n != int64(len(want)) { // RocksDB's estimate is not exact
		t.Errorf("store %s holds %d entries, want %d", name, n, len(want))
	}
}

func grouped(sb *topology.StreamsBuilder) *topology.KGroupedStream[string, string] {
	return topology.GroupByKey(topology.Stream(sb, "topic", strs), topology.Grouped[string, string]{Keys: serde.String, Values: serde.String})
}

// KGroupedStreamImplTest.shouldCountAndMaterializeResults.
func TestDSLCount(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.Count(grouped(sb), topology.Materialized[string, int64]{Name: "count", StoreType: topology.StoreInMemory, CachingDisabled: !caching})
		table.ToStream().To("out")
		if table.StoreName() != "count" || !table.Queryable() {
			t.Errorf("StoreName() = %q, Queryable() = %v", table.StoreName(), table.Queryable())
		}
		d := newDriver(t, sb)
		groupedProcessData(t, d)
		// The TopologyTestDriver flushes the record cache after every record: caching on
		// gives the same updates as caching off, forwarded by the cache's flush listener.
		st, err := testutil.KeyValueStore[string, int64](d, "count")
		must(t, err)
		if _, ok := kv.Find[*changelog.CachedEngine](st.Engine()); ok != caching {
			t.Errorf("caching %v: store has a record cache: %v", caching, ok)
		}
		check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int64)),
			[]kvt[string, int64]{{"1", 1, 5}, {"2", 1, 1}, {"1", 2, 3}, {"1", 3, 10}, {"3", 1, 8}, {"3", 2, 9}})
		storeHas(t, d, "count", map[string]int64{"1": 3, "2": 1, "3": 2})
	}
}

// KGroupedStreamImplTest.shouldReduceAndMaterializeResults (MockReducer.STRING_ADDER).
func TestDSLReduce(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Reduce(grouped(sb), func(agg, v string) string { return agg + "+" + v },
		topology.Materialized[string, string]{Name: "reduce", StoreType: topology.StoreInMemory, CachingDisabled: true}).ToStream().To("out")
	d := newDriver(t, sb)
	groupedProcessData(t, d)
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)),
		[]kvt[string, string]{{"1", "A", 5}, {"2", "B", 1}, {"1", "A+C", 3}, {"1", "A+C+D", 10}, {"3", "E", 8}, {"3", "E+F", 9}})
	storeHas(t, d, "reduce", map[string]string{"1": "A+C+D", "2": "B", "3": "E+F"})
}

// KGroupedStreamImplTest.shouldAggregateAndMaterializeResults (MockInitializer.STRING_INIT,
// MockAggregator.TOSTRING_ADDER).
func TestDSLAggregate(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Aggregate(grouped(sb), func() string { return "0" }, func(_, v, agg string) string { return agg + "+" + v },
		topology.Materialized[string, string]{Name: "aggregate", Values: serde.String, StoreType: topology.StoreLRU, LRUSize: 10, CachingDisabled: true}).ToStream().To("out")
	d := newDriver(t, sb)
	groupedProcessData(t, d)
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)),
		[]kvt[string, string]{{"1", "0+A", 5}, {"2", "0+B", 1}, {"1", "0+A+C", 3}, {"1", "0+A+C+D", 10}, {"3", "0+E", 8}, {"3", "0+E+F", 9}})
	storeHas(t, d, "aggregate", map[string]string{"1": "0+A+C+D", "2": "0+B", "3": "0+E+F"})
}

// Records without a key are skipped by an aggregation (Kafka's KStreamAggregate: "Skipping
// record due to null key or value"), and by the null-key filter before a repartition topic.
func TestDSLAggregateSkipsNullKeys(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Count(grouped(sb), topology.Materialized[string, int64]{Name: "count", StoreType: topology.StoreInMemory}).ToStream().To("out")
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
	must(t, in.PipeValue("no key"))
	must(t, in.PipeInputWithTimestamp("k", "v", 1))
	must(t, in.PipeTombstone("k"))
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int64)), []kvt[string, int64]{{"k", 1, 1}})
	// Both skipped records count in dropped-records, as Kafka's droppedRecordsSensor.
	if n := d.DroppedRecords(); n != 2 {
		t.Errorf("DroppedRecords() = %d, want 2 (the null key and the tombstone)", n)
	}
}

// A key-changing operation before GroupByKey inserts a repartition topic, named
// "<application.id>-<store>-repartition" at run time, and the records flow through it.
func TestDSLGroupByKeyRepartitions(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	rekeyed := topology.SelectKey(topology.Stream(sb, "topic", strs), func(_, v string) string { return v })
	topology.Count(topology.GroupByKey(rekeyed, topology.Grouped[string, string]{Keys: serde.String}), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory}).
		ToStream().To("out")
	named := topology.SelectKey(topology.Stream(sb, "topic2", strs), func(_, v string) string { return v })
	topology.Count(topology.GroupByKey(named, topology.Grouped[string, string]{Keys: serde.String, Name: "by-value"}), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory}).
		ToStream().To("out2")
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
	in2 := testutil.CreateInputTopic(d, "topic2", serde.String, serde.String)
	for i, v := range []string{"x", "y", "x"} {
		must(t, in.PipeInputWithTimestamp("k", v, int64(i)))
		must(t, in2.PipeInputWithTimestamp("k", v, int64(i)))
	}
	want := []kvt[string, int64]{{"x", 1, 0}, {"y", 1, 1}, {"x", 2, 2}}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int64)), want)
	check(t, readAll(t, testutil.CreateOutputTopic(d, "out2", serde.String, serde.Int64)), want)
	names := d.ProducedTopicNames()
	for _, topic := range []string{"topology-test-driver-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition", "topology-test-driver-by-value-repartition"} {
		if !slices.Contains(names, topic) {
			t.Errorf("ProducedTopicNames() = %v, want %s among them", names, topic)
		}
	}
}

// The word count of Kafka's Streams tutorial (docs/streams/tutorial.html, WordCount) through
// the TopologyTestDriver, with the two lines of its "Process some data" section; the
// expected counts are the updates the tutorial's console consumer shows (caching off, so
// every update).
func TestDSLWordCount(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	words := topology.FlatMapValues(topology.Stream(sb, "streams-plaintext-input", strs), func(line string) []string {
		return strings.Fields(strings.ToLower(line))
	})
	topology.Count(topology.GroupBy(words, func(_, w string) string { return w }, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}),
		topology.Materialized[string, int64]{Name: "counts-store", StoreType: topology.StoreInMemory, CachingDisabled: true}).
		ToStream().To("streams-wordcount-output", topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "streams-plaintext-input", serde.String, serde.String)
	must(t, in.PipeValue("all streams lead to kafka"))
	must(t, in.PipeValue("hello kafka streams"))
	out := testutil.CreateOutputTopic(d, "streams-wordcount-output", serde.String, serde.Int64)
	var got []string
	for _, r := range readAll(t, out) {
		got = append(got, r.Key+"\t"+strings.Repeat("|", int(r.Value)))
	}
	check(t, got, []string{"all\t|", "streams\t|", "lead\t|", "to\t|", "kafka\t|", "hello\t|", "kafka\t||", "streams\t||"})
	storeHas(t, d, "counts-store", map[string]int64{"all": 1, "streams": 2, "lead": 1, "to": 1, "kafka": 2, "hello": 1})
}

// StoreRocksDB (the default) needs a registered persistent engine: importing store/rocksdb
// registers it (this test file imports it); without one, Build says what to import.
func TestDSLPersistentStore(t *testing.T) {
	t.Cleanup(func() {
		topology.RegisterPersistentKeyValueStore(func(name string) kv.Supplier { return rocksdb.Supplier(name) })
	})
	topology.RegisterPersistentKeyValueStore(nil)
	sb := topology.NewStreamsBuilder()
	topology.Count(grouped(sb), topology.Materialized[string, int64]{Name: "count"}).ToStream().To("out")
	if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), "store/rocksdb") {
		t.Fatalf("Build() = %v, want an error naming the store/rocksdb import", err)
	}
	topology.RegisterPersistentKeyValueStore(func(name string) kv.Supplier { return rocksdb.Supplier(name) })
	sb = topology.NewStreamsBuilder()
	topology.Count(grouped(sb), topology.Materialized[string, int64]{Name: "count"}).ToStream().To("out")
	d := newDriver(t, sb)
	groupedProcessData(t, d)
	storeHas(t, d, "count", map[string]int64{"1": 3, "2": 1, "3": 2})
	if st, _ := d.StateStore("count"); st == nil || !st.Persistent() {
		t.Errorf("store count: %v, want a persistent store", st)
	}
}
