package topology_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of the table sources and stateless KTable operations, through the
// TopologyTestDriver, with inputs and expected outputs transcribed from Kafka Streams' tests
// (org.apache.kafka.streams.kstream.internals): KTableSourceTest, KTableFilterTest,
// KTableMapValuesTest and KStreamImplTest's toTable cases. Kafka's tests read the processed
// Change's new value (the old one is not sent); the updates here are the records of
// ToStream().To(...). Where Kafka's test disables caching (KTableFilterTest), caching off is
// the transcription and caching on is derived from Kafka's CachingKeyValueStore (the
// TopologyTestDriver flushes after every record, so only what the cache drops differs).

var strInt = topology.Consumed[string, int32]{Keys: serde.String, Values: serde.Int32}

// upd is an update to pipe: del pipes a tombstone.
type upd[V any] struct {
	k   string
	v   V
	del bool
	ts  int64
}

func pipeUpdates[V any](t *testing.T, in *testutil.TestInputTopic[string, V], us ...upd[V]) {
	t.Helper()
	for _, u := range us {
		must(t, in.PipeRecord(testutil.TestRecord[string, V]{Key: u.k, Value: u.v, Tombstone: u.del, Timestamp: u.ts}))
	}
}

// updates reads o as "key:value@ts" strings, "null" for a tombstone's value.
func updates[K, V any](t *testing.T, o *testutil.TestOutputTopic[K, V]) []string {
	t.Helper()
	recs, err := o.ReadRecordsToList()
	must(t, err)
	out := []string{}
	for _, r := range recs {
		v := fmt.Sprint(r.Value)
		if r.Tombstone {
			v = "null"
		}
		out = append(out, fmt.Sprintf("%v:%s@%d", r.Key, v, r.Timestamp))
	}
	return out
}

func inMem[K, V any](name string, caching bool) topology.Materialized[K, V] {
	return topology.Materialized[K, V]{Name: name, StoreType: topology.StoreInMemory, CachingDisabled: !caching}
}

// KTableSourceTest.testKTable (not materialized), and the same table materialized under a
// name, caching off and on: every update and tombstone is forwarded.
func TestDSLTableSource(t *testing.T) {
	for _, m := range []topology.Materialized[string, int32]{{}, inMem[string, int32]("store", false), inMem[string, int32]("store", true)} {
		sb := topology.NewStreamsBuilder()
		table := topology.Table(sb, "topic1", strInt, m)
		table.ToStream().To("out")
		if table.Queryable() != (m.Name != "") {
			t.Errorf("%q: Queryable() = %v", m.Name, table.Queryable())
		}
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.Int32),
			upd[int32]{"A", 1, false, 10}, upd[int32]{"B", 2, false, 11}, upd[int32]{"C", 3, false, 12},
			upd[int32]{"D", 4, false, 13}, upd[int32]{k: "A", del: true, ts: 14}, upd[int32]{k: "B", del: true, ts: 15})
		check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int32)),
			[]string{"A:1@10", "B:2@11", "C:3@12", "D:4@13", "A:null@14", "B:null@15"})
		if m.Name != "" {
			storeHas(t, d, "store", map[string]int32{"C": 3, "D": 4})
		} else if _, err := d.StateStore(table.StoreName()); err == nil {
			t.Errorf("the unnamed table source has a store %q; Kafka materializes it only when named", table.StoreName())
		}
	}
}

// KTableSourceTest.testKTableSourceEmitOnChange is @Disabled in Kafka ("we have disabled
// KIP-557 until KAFKA-12508 can be properly addressed"): a materialized source forwards every
// update, including those that do not change the value, as Kafka's KTableSource does.
func TestDSLTableSourceEmitOnChange(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		topology.Table(sb, "topic1", strInt, inMem[string, int32]("store", caching)).ToStream().To("output")
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.Int32),
			upd[int32]{"A", 1, false, 10}, upd[int32]{"B", 2, false, 11}, upd[int32]{"A", 1, false, 12},
			upd[int32]{"B", 3, false, 13}, upd[int32]{"A", 1, false, 9})
		check(t, updates(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.Int32)),
			[]string{"A:1@10", "B:2@11", "A:1@12", "B:3@13", "A:1@9"})
	}
}

// KTableSourceTest.testValueGetter, reading the store named by Materialized.
func TestDSLTableSourceStore(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		topology.Table(sb, "topic1", strs, inMem[string, string]("store", caching))
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "topic1", serde.String, serde.String)
		pipeUpdates(t, in, upd[string]{"A", "01", false, 10}, upd[string]{"B", "01", false, 20}, upd[string]{"C", "01", false, 15})
		storeHas(t, d, "store", map[string]string{"A": "01", "B": "01", "C": "01"})
		pipeUpdates(t, in, upd[string]{"A", "02", false, 30}, upd[string]{"B", "02", false, 5})
		storeHas(t, d, "store", map[string]string{"A": "02", "B": "02", "C": "01"})
		pipeUpdates(t, in, upd[string]{"A", "03", false, 29})
		storeHas(t, d, "store", map[string]string{"A": "03", "B": "02", "C": "01"})
		pipeUpdates(t, in, upd[string]{k: "A", del: true, ts: 50}, upd[string]{k: "B", del: true, ts: 3})
		storeHas(t, d, "store", map[string]string{"C": "01"})
	}
}

// KTableSourceTest.kTableShouldLogAndMeterOnSkippedRecords: a record with a null key is
// skipped.
func TestDSLTableSourceNullKey(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Table(sb, "topic", strs, topology.Materialized[string, string]{}).ToStream().To("out")
	d := newDriver(t, sb)
	must(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String).PipeValue("value"))
	check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String)), []string{})
}

func even(_ string, v int32) bool { return v%2 == 0 }

// KTableFilterTest.shouldPassThroughWithoutMaterialization and
// shouldPassThroughOnMaterialization (filter materialized as "store2"): a key filtered out
// becomes a tombstone, whether or not the key was in the table. Caching on (derived): the
// cache of store2 drops the tombstones for keys store2 never held, as Kafka's
// CachingKeyValueStore does.
func TestDSLTableFilter(t *testing.T) {
	for _, c := range []struct {
		name    string
		m       *topology.Materialized[string, int32]
		filterd []string
	}{
		{"without materialization", nil, []string{"A:null@10", "B:2@5", "C:null@8", "D:4@14", "A:null@18", "B:null@15"}},
		{"on materialization", &topology.Materialized[string, int32]{Name: "store2", StoreType: topology.StoreInMemory, CachingDisabled: true},
			[]string{"A:null@10", "B:2@5", "C:null@8", "D:4@14", "A:null@18", "B:null@15"}},
		{"on materialization, caching on", &topology.Materialized[string, int32]{Name: "store2", StoreType: topology.StoreInMemory},
			[]string{"B:2@5", "D:4@14", "B:null@15"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			table1 := topology.Table(sb, "topic1", strInt, topology.Materialized[string, int32]{})
			table2 := table1.Filter(even)
			if c.m != nil {
				table2 = table1.FilterMaterialized(even, *c.m)
			}
			table3 := table1.FilterNot(even)
			if table1.Queryable() || table2.Queryable() != (c.m != nil) || table3.Queryable() {
				t.Errorf("Queryable() = %v %v %v", table1.Queryable(), table2.Queryable(), table3.Queryable())
			}
			table2.ToStream().To("out2")
			table3.ToStream().To("out3")
			d := newDriver(t, sb)
			pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.Int32),
				upd[int32]{"A", 1, false, 10}, upd[int32]{"B", 2, false, 5}, upd[int32]{"C", 3, false, 8},
				upd[int32]{"D", 4, false, 14}, upd[int32]{k: "A", del: true, ts: 18}, upd[int32]{k: "B", del: true, ts: 15})
			check(t, updates(t, testutil.CreateOutputTopic(d, "out2", serde.String, serde.Int32)), c.filterd)
			check(t, updates(t, testutil.CreateOutputTopic(d, "out3", serde.String, serde.Int32)),
				[]string{"A:1@10", "B:null@5", "C:3@8", "D:null@14", "A:null@18", "B:null@15"})
		})
	}
}

// KTableFilterTest.shouldGetValuesOnMaterialization: the stores of filter ("store2") and
// filterNot ("store3"), beside an unmaterialized filterNot.
func TestDSLTableFilterStores(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table1 := topology.Table(sb, "topic1", strInt, topology.Materialized[string, int32]{})
		table2 := table1.FilterMaterialized(even, inMem[string, int32]("store2", caching))
		table3 := table1.FilterNotMaterialized(even, inMem[string, int32]("store3", caching))
		table4 := table1.FilterNot(even)
		if table2.StoreName() != "store2" || table3.StoreName() != "store3" || table4.Queryable() {
			t.Errorf("store names %q %q, table4 queryable %v", table2.StoreName(), table3.StoreName(), table4.Queryable())
		}
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "topic1", serde.String, serde.Int32)
		pipeUpdates(t, in, upd[int32]{"A", 1, false, 5}, upd[int32]{"B", 1, false, 10}, upd[int32]{"C", 1, false, 15})
		storeHas(t, d, "store2", map[string]int32{})
		storeHas(t, d, "store3", map[string]int32{"A": 1, "B": 1, "C": 1})
		pipeUpdates(t, in, upd[int32]{"A", 2, false, 10}, upd[int32]{"B", 2, false, 5})
		storeHas(t, d, "store2", map[string]int32{"A": 2, "B": 2})
		storeHas(t, d, "store3", map[string]int32{"C": 1})
		pipeUpdates(t, in, upd[int32]{"A", 3, false, 15})
		storeHas(t, d, "store2", map[string]int32{"B": 2})
		storeHas(t, d, "store3", map[string]int32{"A": 3, "C": 1})
		pipeUpdates(t, in, upd[int32]{k: "A", del: true, ts: 10}, upd[int32]{k: "B", del: true, ts: 20})
		storeHas(t, d, "store2", map[string]int32{})
		storeHas(t, d, "store3", map[string]int32{"C": 1})
	}
}

// KTableFilterTest.shouldNotSendOldValuesWithoutMaterialization and
// shouldNotSendOldValuesOnMaterialization: the new values of the source and of the filter.
func TestDSLTableFilterUpdates(t *testing.T) {
	for _, materialize := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table1 := topology.Table(sb, "topic1", strInt, topology.Materialized[string, int32]{})
		table2 := table1.Filter(even)
		if materialize {
			table2 = table1.FilterMaterialized(even, inMem[string, int32]("store2", false))
		}
		table1.ToStream().To("out1")
		table2.ToStream().To("out2")
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.Int32),
			upd[int32]{"A", 1, false, 5}, upd[int32]{"B", 1, false, 10}, upd[int32]{"C", 1, false, 15},
			upd[int32]{"A", 2, false, 15}, upd[int32]{"B", 2, false, 8}, upd[int32]{"A", 3, false, 20},
			upd[int32]{k: "A", del: true, ts: 10}, upd[int32]{k: "B", del: true, ts: 20})
		check(t, updates(t, testutil.CreateOutputTopic(d, "out1", serde.String, serde.Int32)),
			[]string{"A:1@5", "B:1@10", "C:1@15", "A:2@15", "B:2@8", "A:3@20", "A:null@10", "B:null@20"})
		check(t, updates(t, testutil.CreateOutputTopic(d, "out2", serde.String, serde.Int32)),
			[]string{"A:null@5", "B:null@10", "C:null@15", "A:2@15", "B:2@8", "A:null@20", "A:null@10", "B:null@20"})
	}
}

func firstDigit(v string) int32 { return int32(v[0]) - 48 }

// KTableMapValuesTest.testKTable and testQueryableKTable ("anyName", caching off and on).
func TestDSLTableMapValues(t *testing.T) {
	for _, m := range []*topology.Materialized[string, int32]{nil, {Name: "anyName", StoreType: topology.StoreInMemory, Values: serde.Int32, CachingDisabled: true}, {Name: "anyName", StoreType: topology.StoreInMemory, Values: serde.Int32}} {
		sb := topology.NewStreamsBuilder()
		table1 := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{})
		var table2 *topology.KTable[string, int32]
		if m == nil {
			table2 = topology.MapTableValues(table1, firstDigit)
		} else {
			table2 = topology.MapTableValuesMaterialized(table1, func(_ string, v string) int32 { return firstDigit(v) }, *m)
		}
		table2.ToStream().To("out", topology.Produced[string, int32]{Values: serde.Int32})
		d := newDriver(t, sb)
		pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.String),
			upd[string]{"A", "1", false, 5}, upd[string]{"B", "2", false, 25}, upd[string]{"C", "3", false, 20}, upd[string]{"D", "4", false, 10})
		check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int32)),
			[]string{"A:1@5", "B:2@25", "C:3@20", "D:4@10"})
		if m != nil {
			storeHas(t, d, "anyName", map[string]int32{"A": 1, "B": 2, "C": 3, "D": 4})
		}
	}
}

func atoi(v string) int32 {
	n, err := strconv.Atoi(v)
	if err != nil {
		panic(err)
	}
	return int32(n)
}

// KTableMapValuesTest.testQueryableValueGetter: the stores "store2" (the value) and "store3"
// (its negation), beside an unmaterialized mapValues; the tombstone is not mapped.
func TestDSLTableMapValuesStores(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table1 := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{})
		m2, m3 := inMem[string, int32]("store2", caching), inMem[string, int32]("store3", caching)
		m2.Values, m3.Values = serde.Int32, serde.Int32
		table2 := topology.MapTableValuesMaterialized(table1, func(_, v string) int32 { return atoi(v) }, m2)
		table3 := topology.MapTableValuesMaterialized(table1, func(_, v string) int32 { return -atoi(v) }, m3)
		table4 := topology.MapTableValues(table1, atoi)
		if table2.StoreName() != "store2" || table3.StoreName() != "store3" || table4.Queryable() {
			t.Errorf("store names %q %q, table4 queryable %v", table2.StoreName(), table3.StoreName(), table4.Queryable())
		}
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "topic1", serde.String, serde.String)
		pipeUpdates(t, in, upd[string]{"A", "01", false, 50}, upd[string]{"B", "01", false, 10}, upd[string]{"C", "01", false, 30})
		storeHas(t, d, "store2", map[string]int32{"A": 1, "B": 1, "C": 1})
		storeHas(t, d, "store3", map[string]int32{"A": -1, "B": -1, "C": -1})
		pipeUpdates(t, in, upd[string]{"A", "02", false, 25}, upd[string]{"B", "02", false, 20})
		storeHas(t, d, "store2", map[string]int32{"A": 2, "B": 2, "C": 1})
		storeHas(t, d, "store3", map[string]int32{"A": -2, "B": -2, "C": -1})
		pipeUpdates(t, in, upd[string]{"A", "03", false, 35})
		storeHas(t, d, "store2", map[string]int32{"A": 3, "B": 2, "C": 1})
		storeHas(t, d, "store3", map[string]int32{"A": -3, "B": -2, "C": -1})
		pipeUpdates(t, in, upd[string]{k: "A", del: true, ts: 1})
		storeHas(t, d, "store2", map[string]int32{"B": 2, "C": 1})
		storeHas(t, d, "store3", map[string]int32{"B": -2, "C": -1})
	}
}

// KTableMapValuesTest.testNotSendingOldValue: the new values, a tombstone staying one.
func TestDSLTableMapValuesUpdates(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	table1 := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{})
	topology.MapTableValues(table1, atoi).ToStream().To("out", topology.Produced[string, int32]{Values: serde.Int32})
	d := newDriver(t, sb)
	pipeUpdates(t, testutil.CreateInputTopic(d, "topic1", serde.String, serde.String),
		upd[string]{"A", "01", false, 5}, upd[string]{"B", "01", false, 10}, upd[string]{"C", "01", false, 15},
		upd[string]{"A", "02", false, 10}, upd[string]{"B", "02", false, 8}, upd[string]{"A", "03", false, 20},
		upd[string]{k: "A", del: true, ts: 30})
	check(t, updates(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int32)),
		[]string{"A:1@5", "B:1@10", "C:1@15", "A:2@10", "B:2@8", "A:3@20", "A:null@30"})
}

// KStreamImplTest.shouldMaterializeKTableFromKStream (caching off and on).
func TestDSLToTable(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table := topology.ToTable(topology.Stream(sb, "input", strs), inMem[string, string]("store", caching))
		if table.StoreName() != "store" || !table.Queryable() {
			t.Errorf("StoreName() = %q, Queryable() = %v", table.StoreName(), table.Queryable())
		}
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "input", serde.String, serde.String)
		must(t, in.PipeInput("A", "01"))
		must(t, in.PipeInput("B", "02"))
		must(t, in.PipeInput("A", "03"))
		storeHas(t, d, "store", map[string]string{"A": "03", "B": "02"})
	}
}

// KStreamImplTest.shouldSupportKeyChangeKTableFromKStream: through the repartition topic.
func TestDSLToTableKeyChange(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	keyed := topology.Map(topology.Stream(sb, "input", strs), func(k, v string) topology.KeyValue[int32, string] {
		return topology.Pair(int32(k[0]-'A'), v)
	})
	topology.ToTable(keyed, topology.Materialized[int32, string]{Keys: serde.Int32, Values: serde.String}).ToStream().To("output")
	d := newDriver(t, sb)
	pipeUpdates(t, testutil.CreateInputTopic(d, "input", serde.String, serde.String),
		upd[string]{"A", "01", false, 5}, upd[string]{"B", "02", false, 100}, upd[string]{"C", "03", false, 0},
		upd[string]{"D", "04", false, 0}, upd[string]{"A", "05", false, 10}, upd[string]{"A", "06", false, 8})
	check(t, updates(t, testutil.CreateOutputTopic(d, "output", serde.Int32, serde.String)),
		[]string{"0:01@5", "1:02@100", "2:03@0", "3:04@0", "0:05@10", "0:06@8"})
}

// A key change before ToTable needs serdes for the repartition topic: Build says so.
func TestDSLToTableRepartitionNeedsSerdes(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	keyed := topology.SelectKey(topology.Stream(sb, "input", strs), func(_, v string) int32 { return int32(len(v)) })
	topology.ToTable(keyed, topology.Materialized[int32, string]{})
	if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), "give them in Materialized") {
		t.Errorf("Build: %v", err)
	}
}
