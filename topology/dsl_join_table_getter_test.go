package topology_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// The value getters joins read tables through (Kafka's KTableValueGetterSupplier): an
// unmaterialized Filter or MapTableValues computes from its parent's getter (KTableFilter.view,
// KTableMapValues.view), an aggregation reads its store, an unmaterialized table-table join
// joins its sides' getters (KTableKTableInnerJoinValueGetter and its left and outer variants).

func stringsJoin(v, vt string) string { return v + "+" + vt }

// joinStreamWith pipes "k"→"s" records for keys a..d to a stream joined (left) with the
// table build makes from "tableTopic", after piping table records, and returns the output.
func joinStreamWith(t *testing.T, build func(sb *topology.StreamsBuilder) *topology.KTable[string, string], table [][2]string) []kvt[string, string] {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	tab := build(sb)
	s := topology.Stream(sb, "streamTopic", strs)
	topology.LeftJoinTable(s, tab, func(v, vt string, found bool) string {
		if !found {
			vt = "null"
		}
		return v + "+" + vt
	}).To("output", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	d := newDriver(t, sb)
	tin := testutil.CreateInputTopic(d, "tableTopic", serde.String, serde.String)
	sin := testutil.CreateInputTopic(d, "streamTopic", serde.String, serde.String)
	out := testutil.CreateOutputTopic(d, "output", serde.String, serde.String)
	for _, r := range table {
		must(t, tin.PipeInputWithTimestamp(r[0], r[1], 0))
	}
	for i, k := range []string{"a", "b", "c", "d"} {
		must(t, sin.PipeInputWithTimestamp(k, "s", int64(i)))
	}
	return readAll(t, out)
}

func TestJoinFilteredAndMappedTable(t *testing.T) {
	table := [][2]string{{"a", "x"}, {"b", "yy"}, {"c", "zzz"}}
	got := joinStreamWith(t, func(sb *topology.StreamsBuilder) *topology.KTable[string, string] {
		tab := topology.Table(sb, "tableTopic", strs, topology.Materialized[string, string]{})
		long := tab.Filter(func(_, v string) bool { return len(v) > 1 })
		return topology.MapTableValues(long, strings.ToUpper)
	}, table)
	check(t, got, []kvt[string, string]{{"a", "s+null", 0}, {"b", "s+YY", 1}, {"c", "s+ZZZ", 2}, {"d", "s+null", 3}})
}

func TestJoinAggregatedTables(t *testing.T) {
	table := [][2]string{{"a", "x"}, {"b", "y"}, {"a", "z"}}
	// A stream aggregation: the count of each key.
	got := joinStreamWith(t, func(sb *topology.StreamsBuilder) *topology.KTable[string, string] {
		counts := topology.Count(topology.GroupByKey(topology.Stream(sb, "tableTopic", strs)), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
		return topology.MapTableValues(counts, func(n int64) string { return strings.Repeat("#", int(n)) })
	}, table)
	check(t, got, []kvt[string, string]{{"a", "s+##", 0}, {"b", "s+#", 1}, {"c", "s+null", 2}, {"d", "s+null", 3}})
	// A grouped-table aggregation: how many keys have each value.
	table = [][2]string{{"k1", "a"}, {"k2", "a"}, {"k3", "b"}, {"k1", "b"}, {"k2", "c"}}
	got = joinStreamWith(t, func(sb *topology.StreamsBuilder) *topology.KTable[string, string] {
		tab := topology.Table(sb, "tableTopic", strs, topology.Materialized[string, string]{})
		byValue := topology.GroupTableBy(tab, func(k, v string) topology.KeyValue[string, string] {
			return topology.KeyValue[string, string]{Key: v, Value: k}
		}, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String})
		counts := byValue.Count(topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
		return topology.MapTableValues(counts, func(n int64) string { return strings.Repeat("#", int(n)) })
	}, table)
	check(t, got, []kvt[string, string]{{"a", "s+", 0}, {"b", "s+##", 1}, {"c", "s+#", 2}, {"d", "s+null", 3}})
}

func TestJoinJoinedTables(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	t1 := topology.Table(sb, "t1", strs, topology.Materialized[string, string]{})
	t2 := topology.Table(sb, "t2", strs, topology.Materialized[string, string]{})
	inner := topology.JoinTables(t1, t2, stringsJoin)
	outer := topology.OuterJoinTables(t1, t2, func(a string, hasA bool, b string, hasB bool) string {
		return nullOr(a, hasA) + "|" + nullOr(b, hasB)
	})
	s := topology.Stream(sb, "s", strs)
	p := topology.Produced[string, string]{Keys: serde.String, Values: serde.String}
	topology.JoinTable(s, inner, stringsJoin).To("inner", p)
	topology.JoinTable(s, outer, stringsJoin).To("outer", p)
	d := newDriver(t, sb)
	in1 := testutil.CreateInputTopic(d, "t1", serde.String, serde.String)
	in2 := testutil.CreateInputTopic(d, "t2", serde.String, serde.String)
	sin := testutil.CreateInputTopic(d, "s", serde.String, serde.String)
	must(t, in1.PipeInputWithTimestamp("a", "A", 0))
	must(t, in1.PipeInputWithTimestamp("b", "B", 0))
	must(t, in2.PipeInputWithTimestamp("b", "b2", 0))
	must(t, in2.PipeInputWithTimestamp("c", "c2", 0))
	for i, k := range []string{"a", "b", "c", "d"} {
		must(t, sin.PipeInputWithTimestamp(k, "s", int64(i)))
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "inner", serde.String, serde.String)), []kvt[string, string]{{"b", "s+B+b2", 1}})
	check(t, readAll(t, testutil.CreateOutputTopic(d, "outer", serde.String, serde.String)),
		[]kvt[string, string]{{"a", "s+A|null", 0}, {"b", "s+B|b2", 1}, {"c", "s+null|c2", 2}})
}

func TestJoinUnsupportedTableFailsBuild(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	tab := topology.Table(sb, "t", strs, topology.Materialized[string, string]{})
	sup := tab.Suppress(topology.UntilTimeLimit(time.Second, topology.Unbounded()))
	topology.JoinTable(topology.Stream(sb, "s", strs), sup, stringsJoin)
	if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), "not supported yet") {
		t.Errorf("Build: %v, want a \"not supported yet\" error", err)
	}
	sb = topology.NewStreamsBuilder()
	topology.JoinTables[string, string, string, string](topology.Table(sb, "t", strs, topology.Materialized[string, string]{}), topology.Table(sb, "u", strs, topology.Materialized[string, string]{}), nil)
	if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), "nil joiner") {
		t.Errorf("Build: %v, want a nil joiner error", err)
	}
}
