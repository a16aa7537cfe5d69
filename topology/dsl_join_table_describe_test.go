package topology

import (
	"slices"
	"testing"

	"github.com/tributary-go/tributary/serde"
	_ "github.com/tributary-go/tributary/store/rocksdb" // the default (persistent) stores
)

// Describe() of stream-table and table-table joins against the strings Kafka Streams prints,
// transcribed from KStreamImplTest (shouldSupportStreamTableJoinWithKStreamToKTable,
// shouldSupportTableTableJoinWithKStreamToKTable) and KStreamKTableJoinTest
// (shouldCreateRepartitionTopicsWithUserProvidedName). The joined tables are not
// materialized by the program: the joins materialize them, as Kafka's valueGetterSupplier
// does.

var joinOut = Produced[string, string]{Keys: serde.String, Values: serde.String}

func concat(a, b string) string { return a + "+" + b }

func TestDSLDescribeStreamTableJoin(t *testing.T) {
	sb := NewStreamsBuilder()
	stream := Stream(sb, "streamTopic", dslStrings)
	table := ToTable(Stream(sb, "tableTopic", dslStrings), Materialized[string, string]{})
	JoinTable(stream, table, concat).To("output", joinOut)
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [streamTopic])\n"+
		"      --> KSTREAM-JOIN-0000000004\n"+
		"    Processor: KSTREAM-JOIN-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000003])\n"+
		"      --> KSTREAM-SINK-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [tableTopic])\n"+
		"      --> KSTREAM-TOTABLE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000005 (topic: output)\n"+
		"      <-- KSTREAM-JOIN-0000000004\n"+
		"    Processor: KSTREAM-TOTABLE-0000000002 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000003])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n\n")
}

func TestDSLDescribeTableTableJoin(t *testing.T) {
	sb := NewStreamsBuilder()
	table1 := ToTable(Stream(sb, "left", dslStrings), Materialized[string, string]{})
	table2 := ToTable(Stream(sb, "right", dslStrings), Materialized[string, string]{})
	JoinTables(table1, table2, concat).ToStream().To("output", joinOut)
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [left])\n"+
		"      --> KSTREAM-TOTABLE-0000000001\n"+
		"    Source: KSTREAM-SOURCE-0000000003 (topics: [right])\n"+
		"      --> KSTREAM-TOTABLE-0000000004\n"+
		"    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-JOINTHIS-0000000007\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-TOTABLE-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> KTABLE-JOINOTHER-0000000008\n"+
		"      <-- KSTREAM-SOURCE-0000000003\n"+
		"    Processor: KTABLE-JOINOTHER-0000000008 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-MERGE-0000000006\n"+
		"      <-- KSTREAM-TOTABLE-0000000004\n"+
		"    Processor: KTABLE-JOINTHIS-0000000007 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> KTABLE-MERGE-0000000006\n"+
		"      <-- KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: KTABLE-MERGE-0000000006 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000009\n"+
		"      <-- KTABLE-JOINTHIS-0000000007, KTABLE-JOINOTHER-0000000008\n"+
		"    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000010\n"+
		"      <-- KTABLE-MERGE-0000000006\n"+
		"    Sink: KSTREAM-SINK-0000000010 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000009\n\n")
}

func TestDSLDescribeStreamTableJoinRepartitionUserNames(t *testing.T) {
	sb := NewStreamsBuilder()
	streamA := Stream(sb, "topic", dslStrings)
	tableB := Table(sb, "topic2", dslStrings, Materialized[string, string]{})
	tableC := Table(sb, "topic3", dslStrings, Materialized[string, string]{})
	rekeyed := Map(streamA, func(k, v string) KeyValue[string, string] { return KeyValue[string, string]{Key: v, Value: k} })
	cat := func(a, b string) string { return a + b }
	JoinTable(rekeyed, tableB, cat, Joined[string, string, string]{Name: "first-join", Keys: serde.String, Values: serde.String, OtherValues: serde.String}).To("out-one", joinOut)
	JoinTable(rekeyed, tableC, cat, Joined[string, string, string]{Name: "second-join", Keys: serde.String, Values: serde.String, OtherValues: serde.String}).To("out-two", joinOut)
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"+
		"      --> KSTREAM-MAP-0000000007\n"+
		"    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"+
		"      --> first-join-repartition-filter, second-join-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: first-join-repartition-filter (stores: [])\n"+
		"      --> first-join-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000007\n"+
		"    Processor: second-join-repartition-filter (stores: [])\n"+
		"      --> second-join-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000007\n"+
		"    Sink: first-join-repartition-sink (topic: first-join-repartition)\n"+
		"      <-- first-join-repartition-filter\n"+
		"    Sink: second-join-repartition-sink (topic: second-join-repartition)\n"+
		"      <-- second-join-repartition-filter\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: first-join-repartition-source (topics: [first-join-repartition])\n"+
		"      --> first-join\n"+
		"    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"+
		"      --> KTABLE-SOURCE-0000000003\n"+
		"    Processor: first-join (stores: [topic2-STATE-STORE-0000000001])\n"+
		"      --> KSTREAM-SINK-0000000012\n"+
		"      <-- first-join-repartition-source\n"+
		"    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"+
		"      <-- first-join\n"+
		"    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000002\n"+
		"\n"+
		"  Sub-topology: 2\n"+
		"    Source: second-join-repartition-source (topics: [second-join-repartition])\n"+
		"      --> second-join\n"+
		"    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"+
		"      --> KTABLE-SOURCE-0000000006\n"+
		"    Processor: second-join (stores: [topic3-STATE-STORE-0000000004])\n"+
		"      --> KSTREAM-SINK-0000000017\n"+
		"      <-- second-join-repartition-source\n"+
		"    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"+
		"      <-- second-join\n"+
		"    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000005\n\n")
}

// connectedStores returns the stores connected to proc, sorted, and the number of stores.
func connectedStores(b *Builder, proc string) ([]string, int) {
	var out []string
	for name, st := range b.stores {
		if slices.Contains(st.Processors, proc) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, len(b.stores)
}

func checkConnected(t *testing.T, b *Builder, proc string, nStores int, want ...string) {
	t.Helper()
	got, n := connectedStores(b, proc)
	if n != nStores || !slices.Equal(got, want) {
		t.Errorf("%s: stores %q of %d, want %q of %d", proc, got, n, want, nStores)
	}
}

// StreamsBuilderTest.shouldAllowJoinUnmaterializedJoinedKTable,
// shouldAllowJoinMaterializedJoinedKTable and shouldAllowJoinMaterializedSourceKTable.
func TestDSLJoinConnectedStores(t *testing.T) {
	mem := Materialized[string, string]{StoreType: StoreInMemory}
	sb := NewStreamsBuilder()
	table1 := Table(sb, "table-topic1", dslStrings, mem)
	table2 := Table(sb, "table-topic2", dslStrings, mem)
	// Java evaluates the receiver first: the stream's source is named before the join's nodes.
	stream := Stream(sb, "stream-topic", dslStrings)
	JoinTable(stream, JoinTables(table1, table2, concat), concat)
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	checkConnected(t, sb.b, "KSTREAM-JOIN-0000000010", 2, "table-topic1-STATE-STORE-0000000000", "table-topic2-STATE-STORE-0000000003")
	checkConnected(t, sb.b, "KTABLE-MERGE-0000000007", 2)

	sb = NewStreamsBuilder()
	table1 = Table(sb, "table-topic1", dslStrings, mem)
	table2 = Table(sb, "table-topic2", dslStrings, mem)
	stream = Stream(sb, "stream-topic", dslStrings)
	joined := JoinTablesMaterialized(table1, table2, concat, Materialized[string, string]{Name: "store", StoreType: StoreInMemory, Values: serde.String})
	JoinTable(stream, joined, concat)
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	checkConnected(t, sb.b, "KSTREAM-JOIN-0000000010", 3, "store")
	checkConnected(t, sb.b, "KTABLE-MERGE-0000000007", 3, "store")

	sb = NewStreamsBuilder()
	table := Table(sb, "table-topic", dslStrings, mem)
	JoinTable(Stream(sb, "stream-topic", dslStrings), table, concat)
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	checkConnected(t, sb.b, "KTABLE-SOURCE-0000000002", 1, "table-topic-STATE-STORE-0000000000")
	checkConnected(t, sb.b, "KSTREAM-JOIN-0000000004", 1, "table-topic-STATE-STORE-0000000000")
}
