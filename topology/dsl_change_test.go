package topology_test

import (
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// The sendOldValues tests of Kafka Streams, transcribed: KTableSourceTest
// (testNotSendingOldValue, testSendingOldValue), KTableFilterTest (the doTestNotSendingOldValue
// and doTestSendingOldValue cases) and KTableMapValuesTest (testNotSendingOldValue,
// shouldEnableSendingOldValuesOnParentIfMapValuesNotMaterialized,
// shouldNotEnableSendingOldValuesOnParentIfMapValuesMaterialized). The Changes are captured by
// a processor attached to the table's node, as Kafka's tests attach a MockApiProcessor; they
// call KTableImpl.enableSendingOldValues through the hooks of dsl_change_internal_test.go.
// Kafka's KTableFilterTest disables caching; a forced source store is cached unless its
// Materialized disables caching, so both are run (the TopologyTestDriver flushes after every
// record, so the outputs are the same).

func tableStrings(caching bool) topology.Materialized[string, string] {
	return topology.Materialized[string, string]{CachingDisabled: !caching}
}

// sourceOldValueSteps pipes KTableSourceTest's records, checking the captured Changes after
// each group.
func sourceOldValueSteps(t *testing.T, d *testutil.TopologyTestDriver, got *[]string, want [][]string) {
	t.Helper()
	in := testutil.CreateInputTopic(d, "topic1", serde.String, serde.String)
	steps := [][]upd[string]{
		{{"A", "01", false, 10}, {"B", "01", false, 20}, {"C", "01", false, 15}},
		{{"A", "02", false, 8}, {"B", "02", false, 22}},
		{{"A", "03", false, 12}},
		{{k: "A", del: true, ts: 15}, {k: "B", del: true, ts: 20}},
	}
	for i, s := range steps {
		pipeUpdates(t, in, s...)
		check(t, *got, want[i])
		*got = nil
	}
}

// KTableSourceTest.testNotSendingOldValue
func TestTableSourceNotSendingOldValue(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	table1 := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{})
	var got []string
	topology.CaptureChangesForTest(table1, "proc1", &got)
	d := newDriver(t, sb)
	sourceOldValueSteps(t, d, &got, [][]string{
		{"A:Change(01,null)@10", "B:Change(01,null)@20", "C:Change(01,null)@15"},
		{"A:Change(02,null)@8", "B:Change(02,null)@22"},
		{"A:Change(03,null)@12"},
		{"A:Change(null,null)@15", "B:Change(null,null)@20"},
	})
}

// KTableSourceTest.testSendingOldValue: forced, the source materializes itself and sends
// old values.
func TestTableSourceSendingOldValue(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		table1 := topology.Table(sb, "topic1", strs, tableStrings(caching))
		if !topology.EnableSendingOldValuesForTest(table1, true) || !topology.SendingOldValueEnabledForTest(table1) {
			t.Fatal("enableSendingOldValues(true) on a table source: not enabled")
		}
		var got []string
		topology.CaptureChangesForTest(table1, "proc1", &got)
		d := newDriver(t, sb)
		sourceOldValueSteps(t, d, &got, [][]string{
			{"A:Change(01,null)@10", "B:Change(01,null)@20", "C:Change(01,null)@15"},
			{"A:Change(02,01)@8", "B:Change(02,01)@22"},
			{"A:Change(03,02)@12"},
			{"A:Change(null,03)@15", "B:Change(null,02)@20"},
		})
	}
}

var evenInt = func(_ string, v int32) bool { return v%2 == 0 }

// filterOldValueSteps pipes KTableFilterTest's records, checking the Changes of table1
// (proc1) and table2 (proc2) after each group.
func filterOldValueSteps(t *testing.T, d *testutil.TopologyTestDriver, got1, got2 *[]string, want1, want2 [][]string) {
	t.Helper()
	in := testutil.CreateInputTopic(d, "topic1", serde.String, serde.Int32)
	steps := [][]upd[int32]{
		{{"A", 1, false, 5}, {"B", 1, false, 10}, {"C", 1, false, 15}},
		{{"A", 2, false, 15}, {"B", 2, false, 8}},
		{{"A", 3, false, 20}},
		{{k: "A", del: true, ts: 10}, {k: "B", del: true, ts: 20}},
	}
	for i, s := range steps {
		pipeUpdates(t, in, s...)
		check(t, *got1, want1[i])
		check(t, *got2, want2[i])
		*got1, *got2 = nil, nil
	}
}

func intTable(caching bool, name string) topology.Materialized[string, int32] {
	return topology.Materialized[string, int32]{Name: name, StoreType: topology.StoreInMemory, CachingDisabled: !caching}
}

// KTableFilterTest.doTestNotSendingOldValue, through shouldNotSendOldValuesWithoutMaterialization,
// shouldNotSendOldValuesOnMaterialization and
// shouldNotEnableSendingOldValuesIfNotAlreadyMaterializedAndNotForcedToMaterialize.
func TestTableFilterNotSendingOldValue(t *testing.T) {
	want1 := [][]string{
		{"A:Change(1,null)@5", "B:Change(1,null)@10", "C:Change(1,null)@15"},
		{"A:Change(2,null)@15", "B:Change(2,null)@8"},
		{"A:Change(3,null)@20"},
		{"A:Change(null,null)@10", "B:Change(null,null)@20"},
	}
	want2 := [][]string{
		{"A:Change(null,null)@5", "B:Change(null,null)@10", "C:Change(null,null)@15"},
		{"A:Change(2,null)@15", "B:Change(2,null)@8"},
		{"A:Change(null,null)@20"},
		{"A:Change(null,null)@10", "B:Change(null,null)@20"},
	}
	for _, caching := range []bool{false, true} {
		for _, c := range []struct {
			name                string
			materialized, force bool
		}{{"WithoutMaterialization", false, false}, {"OnMaterialization", true, false}, {"NotForced", false, true}} {
			sb := topology.NewStreamsBuilder()
			table1 := topology.Table(sb, "topic1", strInt, topology.Materialized[string, int32]{CachingDisabled: !caching})
			var table2 *topology.KTable[string, int32]
			if c.materialized {
				table2 = table1.FilterMaterialized(evenInt, intTable(caching, "store2"))
			} else {
				table2 = table1.Filter(evenInt)
			}
			if c.force && topology.EnableSendingOldValuesForTest(table2, false) {
				t.Errorf("%s: enableSendingOldValues(false) on a filter of an unmaterialized source: enabled", c.name)
			}
			var got1, got2 []string
			topology.CaptureChangesForTest(table1, "proc1", &got1)
			topology.CaptureChangesForTest(table2, "proc2", &got2)
			w2 := want2
			if c.materialized && caching {
				// Kafka's test disables caching. Cached, the filter's store drops the deletes
				// of keys it does not hold when it flushes (Kafka's
				// CachingKeyValueStore.putAndMaybeForward: "if this key did not exist in
				// underlying store and also not in the cache, we can skip flushing").
				w2 = [][]string{{}, want2[1], want2[2], {"B:Change(null,null)@20"}}
			}
			filterOldValueSteps(t, newDriver(t, sb), &got1, &got2, want1, w2)
		}
	}
}

// KTableFilterTest.doTestSendingOldValue, through
// shouldEnableSendOldValuesWhenNotMaterializedAlreadyButForcedToMaterialize,
// shouldEnableSendOldValuesWhenMaterializedAlreadyAndForcedToMaterialize and
// shouldSendOldValuesWhenEnabledOnUpStreamMaterialization.
func TestTableFilterSendingOldValue(t *testing.T) {
	for _, caching := range []bool{false, true} {
		for _, c := range []struct {
			name                            string
			sourceNamed, filterNamed, force bool
			wantSource                      bool // table1.sendingOldValueEnabled()
		}{
			{"NotMaterializedAlreadyButForced", false, false, true, true},
			{"MaterializedAlreadyAndForced", false, true, true, false},
			{"EnabledOnUpStreamMaterialization", true, false, false, true},
		} {
			sb := topology.NewStreamsBuilder()
			m1 := topology.Materialized[string, int32]{CachingDisabled: !caching}
			if c.sourceNamed {
				m1 = intTable(caching, "store2")
			}
			table1 := topology.Table(sb, "topic1", strInt, m1)
			var table2 *topology.KTable[string, int32]
			if c.filterNamed {
				table2 = table1.FilterMaterialized(evenInt, intTable(caching, "store2"))
			} else {
				table2 = table1.Filter(evenInt)
			}
			if !topology.EnableSendingOldValuesForTest(table2, c.force) {
				t.Errorf("%s: enableSendingOldValues(%v) = false", c.name, c.force)
			}
			if got := topology.SendingOldValueEnabledForTest(table1); got != c.wantSource {
				t.Errorf("%s: table1.sendingOldValueEnabled() = %v", c.name, got)
			}
			if !topology.SendingOldValueEnabledForTest(table2) {
				t.Errorf("%s: table2.sendingOldValueEnabled() = false", c.name)
			}
			old := func(v string) string {
				if c.wantSource {
					return v
				}
				return "null"
			}
			var got1, got2 []string
			topology.CaptureChangesForTest(table1, "proc1", &got1)
			topology.CaptureChangesForTest(table2, "proc2", &got2)
			filterOldValueSteps(t, newDriver(t, sb), &got1, &got2,
				[][]string{
					{"A:Change(1,null)@5", "B:Change(1,null)@10", "C:Change(1,null)@15"},
					{"A:Change(2," + old("1") + ")@15", "B:Change(2," + old("1") + ")@8"},
					{"A:Change(3," + old("2") + ")@20"},
					{"A:Change(null," + old("3") + ")@10", "B:Change(null," + old("2") + ")@20"},
				},
				[][]string{
					{},
					{"A:Change(2,null)@15", "B:Change(2,null)@8"},
					{"A:Change(null,2)@20"},
					{"B:Change(null,2)@20"},
				})
		}
	}
}

// mapValuesOldValueSteps pipes KTableMapValuesTest's records.
func mapValuesOldValueSteps(t *testing.T, d *testutil.TopologyTestDriver, got *[]string, want [][]string) {
	t.Helper()
	in := testutil.CreateInputTopic(d, "topic1", serde.String, serde.String)
	steps := [][]upd[string]{
		{{"A", "01", false, 5}, {"B", "01", false, 10}, {"C", "01", false, 15}},
		{{"A", "02", false, 10}, {"B", "02", false, 8}},
		{{"A", "03", false, 20}},
		{{k: "A", del: true, ts: 30}},
	}
	for i, s := range steps {
		pipeUpdates(t, in, s...)
		check(t, *got, want[i])
		*got = nil
	}
}

// KTableMapValuesTest.testNotSendingOldValue
func TestTableMapValuesNotSendingOldValue(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	table1 := topology.Table(sb, "topic1", strs, topology.Materialized[string, string]{})
	table2 := topology.MapTableValues(table1, atoi)
	var got []string
	topology.CaptureChangesForTest(table2, "proc", &got)
	d := newDriver(t, sb)
	if topology.SendingOldValueEnabledForTest(table1) || topology.SendingOldValueEnabledForTest(table2) {
		t.Error("old values enabled without a request")
	}
	mapValuesOldValueSteps(t, d, &got, [][]string{
		{"A:Change(1,null)@5", "B:Change(1,null)@10", "C:Change(1,null)@15"},
		{"A:Change(2,null)@10", "B:Change(2,null)@8"},
		{"A:Change(3,null)@20"},
		{"A:Change(null,null)@30"},
	})
}

// KTableMapValuesTest.shouldEnableSendingOldValuesOnParentIfMapValuesNotMaterialized and
// shouldNotEnableSendingOldValuesOnParentIfMapValuesMaterialized (testSendingOldValues).
func TestTableMapValuesSendingOldValue(t *testing.T) {
	for _, caching := range []bool{false, true} {
		for _, materialized := range []bool{false, true} {
			sb := topology.NewStreamsBuilder()
			table1 := topology.Table(sb, "topic1", strs, tableStrings(caching))
			var table2 *topology.KTable[string, int32]
			if materialized {
				table2 = topology.MapTableValuesMaterialized(table1, func(_ string, v string) int32 { return atoi(v) },
					topology.Materialized[string, int32]{Name: "bob", StoreType: topology.StoreInMemory, Values: serde.Int32, CachingDisabled: !caching})
			} else {
				table2 = topology.MapTableValues(table1, atoi)
			}
			topology.EnableSendingOldValuesForTest(table2, true)
			if got := topology.SendingOldValueEnabledForTest(table1); got != !materialized {
				t.Errorf("materialized %v: table1.sendingOldValueEnabled() = %v", materialized, got)
			}
			if !topology.SendingOldValueEnabledForTest(table2) {
				t.Errorf("materialized %v: table2.sendingOldValueEnabled() = false", materialized)
			}
			var got []string
			topology.CaptureChangesForTest(table2, "proc", &got)
			mapValuesOldValueSteps(t, newDriver(t, sb), &got, [][]string{
				{"A:Change(1,null)@5", "B:Change(1,null)@10", "C:Change(1,null)@15"},
				{"A:Change(2,1)@10", "B:Change(2,1)@8"},
				{"A:Change(3,2)@20"},
				{"A:Change(null,3)@30"},
			})
		}
	}
}
