package topology

import (
	"testing"

	"github.com/tributary-go/tributary/serde"
)

// Describe() of table programs against the strings Kafka Streams prints for them,
// transcribed from Kafka's TopologyTest (kTable{Non,Anonymous,Named}Materialized{MapValues,
// Filter}ShouldPreserveTopologyStructure) and KStreamImplTest
// (shouldMaterializeKTableFromKStream, shouldSupportKeyChangeKTableFromKStream). The table
// source burns index 0 for its store name "input-topic-STATE-STORE-0000000000" and is not
// materialized; an unnamed Materialized burns one more index and materializes nothing.

func inputTable(sb *StreamsBuilder) *KTable[string, string] {
	return Table(sb, "input-topic", dslStrings, Materialized[string, string]{})
}

func tableDescribe(node, stores string) string {
	return "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n" +
		"      --> KTABLE-SOURCE-0000000002\n" +
		"    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
		"      --> " + node + "\n" +
		"      <-- KSTREAM-SOURCE-0000000001\n" +
		"    Processor: " + node + " (stores: [" + stores + "])\n" +
		"      --> none\n" +
		"      <-- KTABLE-SOURCE-0000000002\n" +
		"\n"
}

func TestDSLDescribeTableMapValues(t *testing.T) {
	mapper := func(string, string) string { return "" }
	// kTableNonMaterializedMapValuesShouldPreserveTopologyStructure
	sb := NewStreamsBuilder()
	MapTableValuesWithKey(inputTable(sb), mapper)
	checkDescribe(t, sb.b, tableDescribe("KTABLE-MAPVALUES-0000000003", ""))
	// kTableAnonymousMaterializedMapValuesShouldPreserveTopologyStructure
	sb = NewStreamsBuilder()
	MapTableValuesMaterialized(inputTable(sb), mapper, Materialized[string, string]{})
	checkDescribe(t, sb.b, tableDescribe("KTABLE-MAPVALUES-0000000004", ""))
	// kTableNamedMaterializedMapValuesShouldPreserveTopologyStructure
	sb = NewStreamsBuilder()
	MapTableValuesMaterialized(inputTable(sb), mapper, Materialized[string, string]{Name: "store-name", StoreType: StoreInMemory, Values: serde.String})
	checkDescribe(t, sb.b, tableDescribe("KTABLE-MAPVALUES-0000000003", "store-name"))
}

func TestDSLDescribeTableFilter(t *testing.T) {
	never := func(string, string) bool { return false }
	// kTableNonMaterializedFilterShouldPreserveTopologyStructure
	sb := NewStreamsBuilder()
	inputTable(sb).Filter(never)
	checkDescribe(t, sb.b, tableDescribe("KTABLE-FILTER-0000000003", ""))
	// kTableAnonymousMaterializedFilterShouldPreserveTopologyStructure
	sb = NewStreamsBuilder()
	inputTable(sb).FilterMaterialized(never, Materialized[string, string]{})
	checkDescribe(t, sb.b, tableDescribe("KTABLE-FILTER-0000000004", ""))
	// kTableNamedMaterializedFilterShouldPreserveTopologyStructure
	sb = NewStreamsBuilder()
	inputTable(sb).FilterMaterialized(never, Materialized[string, string]{Name: "store-name", StoreType: StoreInMemory})
	checkDescribe(t, sb.b, tableDescribe("KTABLE-FILTER-0000000003", "store-name"))
}

// A table source materialized under a name: its KTABLE-SOURCE node holds the store (Kafka's
// TableSourceNode adds the store when KTableSource.materialized()); no store name is
// generated, so the source is KSTREAM-SOURCE-0000000000. A Consumed name names both nodes:
// the source "<name>-source" and the table node "<name>" (Kafka's
// InternalStreamsBuilder.table; StreamsBuilderTest.shouldUseSpecifiedNameForTableSourceProcessor).
func TestDSLDescribeTableMaterializedAndNamed(t *testing.T) {
	sb := NewStreamsBuilder()
	Table(sb, "input-topic", dslStrings, Materialized[string, string]{Name: "store", StoreType: StoreInMemory}).ToStream().To("out")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KTABLE-SOURCE-0000000001\n"+
		"    Processor: KTABLE-SOURCE-0000000001 (stores: [store])\n"+
		"      --> KTABLE-TOSTREAM-0000000002\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000003\n"+
		"      <-- KTABLE-SOURCE-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"+
		"      <-- KTABLE-TOSTREAM-0000000002\n"+
		"\n")
	sb = NewStreamsBuilder()
	c := dslStrings
	c.Name = "src"
	Table(sb, "input-topic", c, Materialized[string, string]{}).ToStream().To("out")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: src-source (topics: [input-topic])\n"+
		"      --> src\n"+
		"    Processor: src (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000003\n"+
		"      <-- src-source\n"+
		"    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- src\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"+
		"      <-- KTABLE-TOSTREAM-0000000003\n"+
		"\n")
}

// KStreamImplTest.shouldMaterializeKTableFromKStream.
func TestDSLDescribeToTable(t *testing.T) {
	sb := NewStreamsBuilder()
	ToTable(Stream(sb, "input", dslStrings), Materialized[string, string]{Name: "store", StoreType: StoreInMemory})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: KSTREAM-TOTABLE-0000000001 (stores: [store])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// KStreamImplTest.shouldSupportKeyChangeKTableFromKStream: a key change before toTable
// inserts the repartition topic KSTREAM-TOTABLE-0000000002-repartition (the node's name,
// not the store's), whose sink, filter and source take the names after the store's.
func TestDSLDescribeToTableKeyChange(t *testing.T) {
	sb := NewStreamsBuilder()
	keyed := Map(Stream(sb, "input", dslStrings), func(k, v string) KeyValue[int32, string] { return Pair(int32(k[0]-'A'), v) })
	ToTable(keyed, Materialized[int32, string]{Keys: serde.Int32, Values: serde.String}).ToStream().To("output")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> KSTREAM-MAP-0000000001\n"+
		"    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- KSTREAM-MAP-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000005\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-TOTABLE-0000000002-repartition])\n"+
		"      --> KSTREAM-TOTABLE-0000000002\n"+
		"    Processor: KSTREAM-TOTABLE-0000000002 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000007\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000008\n"+
		"      <-- KSTREAM-TOTABLE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000008 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000007\n\n")
}
