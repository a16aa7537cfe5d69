package topology

import (
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
)

// Describe() of session-windowed aggregations against Kafka's TopologyTest.

// TopologyTest.sessionWindowZeroArgCountShouldPreserveTopologyStructure: the store name is
// generated before the node's. (Kafka's test uses a RocksDB store, which is the default
// here too; Describe does not depend on it, so this test uses an in-memory one and needs no
// registered persistent engine.)
func TestDSLDescribeSessionWindowZeroArgCount(t *testing.T) {
	sb := NewStreamsBuilder()
	CountSessions(GroupByKey(Stream(sb, "input-topic", dslStrings)).WindowedBySession(SessionWindowsWithNoGrace(time.Millisecond)),
		Materialized[string, int64]{StoreType: StoreInMemory})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000002\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// TopologyTest.sessionWindowNamedMaterializedCountShouldPreserveTopologyStructure.
// (sessionWindowAnonymousMaterializedCountShouldPreserveTopologyStructure has no equivalent:
// Kafka's count(Materialized) burns a name that count() does not, and a zero Materialized
// here is count().)
func TestDSLDescribeSessionWindowNamedMaterializedCount(t *testing.T) {
	sb := NewStreamsBuilder()
	CountSessions(GroupByKey(Stream(sb, "input-topic", dslStrings)).WindowedBySession(SessionWindowsWithNoGrace(time.Millisecond)),
		Materialized[string, int64]{Name: "count-store", StoreType: StoreInMemory})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000001\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000001 (stores: [count-store])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// A session reduce of a re-keyed stream, written out: KSTREAM-REDUCE names (store first),
// then the repartition topic named after the generated store, as
// GroupedStreamAggregateBuilder.build names it for every aggregation (the same naming as
// TestDSLDescribeWordCountGeneratedNames; not a string from a Kafka test).
func TestDSLDescribeSessionReduceRepartitioned(t *testing.T) {
	sb := NewStreamsBuilder()
	rekeyed := SelectKey(Stream(sb, "input-topic", dslStrings), func(_, v string) string { return v })
	ReduceSessions(GroupByKey(rekeyed, Grouped[string, string]{Keys: serde.String, Values: serde.String}).WindowedBySession(SessionWindowsWithGrace(time.Second, time.Second)),
		func(a, b string) string { return a + b }, Materialized[string, string]{StoreType: StoreInMemory}).
		ToStream().To("output-topic")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-KEY-SELECT-0000000001\n"+
		"    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- KSTREAM-KEY-SELECT-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-REDUCE-STATE-STORE-0000000002-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000005\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-REDUCE-STATE-STORE-0000000002-repartition])\n"+
		"      --> KSTREAM-REDUCE-0000000003\n"+
		"    Processor: KSTREAM-REDUCE-0000000003 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-TOSTREAM-0000000007\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000008\n"+
		"      <-- KSTREAM-REDUCE-0000000003\n"+
		"    Sink: KSTREAM-SINK-0000000008 (topic: output-topic)\n"+
		"      <-- KTABLE-TOSTREAM-0000000007\n"+
		"\n")
}
