package topology

import (
	"testing"
	"time"
)

// Describe() of windowed aggregations against the strings Kafka Streams prints for the same
// programs (TopologyTest). The store type does not show in Describe: these use in-memory
// stores where Kafka's use its default, so that the tests need no persistent engine.

// TopologyTest.timeWindowZeroArgCountShouldPreserveTopologyStructure: count() generates the
// store name first, then the processor name.
func TestDSLDescribeTimeWindowZeroArgCount(t *testing.T) {
	sb := NewStreamsBuilder()
	CountWindowed(GroupByKey(Stream(sb, "input-topic", dslStrings)).WindowedBy(TimeWindowsOfSizeWithNoGrace(time.Millisecond)),
		Materialized[string, int64]{StoreType: StoreInMemory})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000002\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// TopologyTest.timeWindowNamedMaterializedCountShouldPreserveTopologyStructure (and
// slidingWindowNamedMaterializedCountShouldPreserveTopologyStructure, which windows by
// TimeWindows too).
func TestDSLDescribeTimeWindowNamedMaterializedCount(t *testing.T) {
	sb := NewStreamsBuilder()
	CountWindowed(GroupByKey(Stream(sb, "input-topic", dslStrings)).WindowedBy(TimeWindowsOfSizeWithNoGrace(time.Millisecond)),
		Materialized[string, int64]{Name: "count-store", StoreType: StoreInMemory})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000001\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000001 (stores: [count-store])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// TopologyTest.slidingWindowZeroArgCountWithTopologyConfigShouldPreserveTopologyStructure:
// Kafka's program names its topology ("Topology: my-topology:"); the nodes are the same.
func TestDSLDescribeSlidingWindowZeroArgCount(t *testing.T) {
	sb := NewStreamsBuilder()
	CountWindowed(GroupByKey(Stream(sb, "input-topic", dslStrings)).WindowedBySliding(SlidingWindowsOfTimeDifferenceWithNoGrace(time.Millisecond)),
		Materialized[string, int64]{StoreType: StoreInMemory})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000002\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}
