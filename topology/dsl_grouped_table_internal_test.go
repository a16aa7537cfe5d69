package topology

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	_ "github.com/tributary-go/tributary/store/rocksdb" // the default (persistent) stores
)

// Describe() of a KTable groupBy→count program against the strings Kafka Streams prints,
// transcribed from Kafka's TopologyTest: the table source's store, generated at index 0,
// exists because groupBy forces it (enableSendingOldValues(true)); the store name of the
// count comes before the repartition sink and source, then the aggregate node.
func groupedCountDescribe(store, sink, source, agg string) string {
	return "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n" +
		"      --> KTABLE-SOURCE-0000000002\n" +
		"    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n" +
		"      --> KTABLE-SELECT-0000000003\n" +
		"      <-- KSTREAM-SOURCE-0000000001\n" +
		"    Processor: KTABLE-SELECT-0000000003 (stores: [])\n" +
		"      --> " + sink + "\n" +
		"      <-- KTABLE-SOURCE-0000000002\n" +
		"    Sink: " + sink + " (topic: " + store + "-repartition)\n" +
		"      <-- KTABLE-SELECT-0000000003\n" +
		"\n" +
		"  Sub-topology: 1\n" +
		"    Source: " + source + " (topics: [" + store + "-repartition])\n" +
		"      --> " + agg + "\n" +
		"    Processor: " + agg + " (stores: [" + store + "])\n" +
		"      --> none\n" +
		"      <-- " + source + "\n" +
		"\n"
}

func selectNothing(string, string) KeyValue[string, string] { return Pair("", "") }

var groupedStrings = Grouped[string, string]{Keys: serde.String, Values: serde.String}

func TestDSLDescribeTableGroupByCount(t *testing.T) {
	// TopologyTest.tableZeroArgCountShouldPreserveTopologyStructure
	sb := NewStreamsBuilder()
	GroupTableBy(inputTable(sb), selectNothing, groupedStrings).Count(Materialized[string, int64]{})
	checkDescribe(t, sb.b, groupedCountDescribe("KTABLE-AGGREGATE-STATE-STORE-0000000004",
		"KSTREAM-SINK-0000000005", "KSTREAM-SOURCE-0000000006", "KTABLE-AGGREGATE-0000000007"))
	// TopologyTest.tableAnonymousStoreTypedMaterializedCountShouldPreserveTopologyStructure
	sb = NewStreamsBuilder()
	GroupTableBy(inputTable(sb), selectNothing, groupedStrings).Count(Materialized[string, int64]{StoreType: StoreInMemory})
	checkDescribe(t, sb.b, groupedCountDescribe("KTABLE-AGGREGATE-STATE-STORE-0000000004",
		"KSTREAM-SINK-0000000005", "KSTREAM-SOURCE-0000000006", "KTABLE-AGGREGATE-0000000007"))
	// TopologyTest.tableNamedMaterializedCountShouldPreserveTopologyStructure
	sb = NewStreamsBuilder()
	GroupTableBy(inputTable(sb), selectNothing, groupedStrings).Count(Materialized[string, int64]{Name: "count-store", StoreType: StoreInMemory})
	checkDescribe(t, sb.b, groupedCountDescribe("count-store",
		"KSTREAM-SINK-0000000004", "KSTREAM-SOURCE-0000000005", "KTABLE-AGGREGATE-0000000006"))
}

// KStreamImplTest.shouldSupportGroupByCountWithKStreamToKTable: toTable's node, then its
// store name, materialized because groupBy forces it.
func TestDSLDescribeStreamToTableGroupByCount(t *testing.T) {
	sb := NewStreamsBuilder()
	tbl := ToTable(Stream(sb, "input", dslStrings), Materialized[string, string]{})
	GroupTableBy(tbl, func(_, v string) KeyValue[string, string] { return Pair(v, v) }, groupedStrings).
		Count(Materialized[string, int64]{}).ToStream().To("output")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-SELECT-0000000003\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000005\n"+
		"      <-- KSTREAM-TOTABLE-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"+
		"      <-- KTABLE-SELECT-0000000003\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"+
		"      --> KTABLE-AGGREGATE-0000000007\n"+
		"    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"+
		"      --> KTABLE-TOSTREAM-0000000008\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000009\n"+
		"      <-- KTABLE-AGGREGATE-0000000007\n"+
		"    Sink: KSTREAM-SINK-0000000009 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000008\n\n")
}

// StreamsBuilderTest.shouldUseSpecifiedNameForAggregateOperationGivenTable: Grouped.Name
// names the select node, Named the count and its repartition sink and source; the stores
// are "<topic>-STATE-STORE-0000000000" and KTABLE-AGGREGATE-STATE-STORE-0000000004.
func TestDSLNamesTableGroupByCount(t *testing.T) {
	sb := NewStreamsBuilder()
	g := groupedStrings
	g.Name = "group-operation"
	GroupTableBy(Table(sb, "topic", dslStrings, Materialized[string, string]{}), func(k, v string) KeyValue[string, string] { return Pair(k, v) }, g).
		Count(Materialized[string, int64]{}, "count-operation")
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	d := top.Describe().String()
	for _, want := range []string{"KSTREAM-SOURCE-0000000001 ", "KTABLE-SOURCE-0000000002 ", "Processor: group-operation ",
		"Sink: count-operation-sink (topic: group-operation-repartition)", "Source: count-operation-source ",
		"Processor: count-operation (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])", "[topic-STATE-STORE-0000000000]"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe() lacks %q:\n%s", want, d)
		}
	}
}

// Reduce names its node KTABLE-REDUCE- but its store KTABLE-AGGREGATE-STATE-STORE- (Kafka's
// KGroupedTableImpl.reduce builds its MaterializedInternal with AGGREGATE_NAME); a Named
// names the repartition sink and source "<named>-sink" and "<named>-source" (Kafka's
// doAggregate), still burning their indexes; Grouped.Name names the select node and the
// repartition topic. (No Kafka test prints these programs: the expected strings follow the
// naming rules of Kafka's KGroupedTableImpl read above and our Describe's ordering.)
func TestDSLDescribeTableGroupByReduceNamed(t *testing.T) {
	sb := NewStreamsBuilder()
	add := func(a, b string) string { return a + b }
	GroupTableBy(inputTable(sb), selectNothing, groupedStrings).Reduce(add, add, Materialized[string, string]{StoreType: StoreInMemory}, "red")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n"+
		"      --> KTABLE-SOURCE-0000000002\n"+
		"    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n"+
		"      --> KTABLE-SELECT-0000000003\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"+
		"      --> red-sink\n"+
		"      <-- KTABLE-SOURCE-0000000002\n"+
		"    Sink: red-sink (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"+
		"      <-- KTABLE-SELECT-0000000003\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: red-source (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"+
		"      --> red\n"+
		"    Processor: red (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"+
		"      --> none\n"+
		"      <-- red-source\n"+
		"\n")
	sb = NewStreamsBuilder()
	g := groupedStrings
	g.Name = "grp"
	gt := GroupTableBy(inputTable(sb), selectNothing, g)
	gt.Reduce(add, add, Materialized[string, string]{StoreType: StoreInMemory}).ToStream().To("out")
	// A second aggregation reuses the user-named repartition topic (Kafka's
	// repartitionGraphNode), burning names all the same.
	gt.Count(Materialized[string, int64]{StoreType: StoreInMemory})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n"+
		"      --> KTABLE-SOURCE-0000000002\n"+
		"    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n"+
		"      --> grp\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: grp (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000005\n"+
		"      <-- KTABLE-SOURCE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000005 (topic: grp-repartition)\n"+
		"      <-- grp\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [grp-repartition])\n"+
		"      --> KTABLE-AGGREGATE-0000000013, KTABLE-REDUCE-0000000007\n"+
		"    Processor: KTABLE-REDUCE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"+
		"      --> KTABLE-TOSTREAM-0000000008\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000009\n"+
		"      <-- KTABLE-REDUCE-0000000007\n"+
		"    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"+
		"      <-- KTABLE-TOSTREAM-0000000008\n"+
		"    Processor: KTABLE-AGGREGATE-0000000013 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000010])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"\n")
}

// changeSerde's round trips and its errors: a Change with neither value is refused, as by
// Kafka's ChangedSerializer.
func TestChangeSerde(t *testing.T) {
	s := changeSerde[string]{inner: serde.String}
	for _, c := range []Change[string]{
		{New: "n", HasNew: true}, {Old: "o", HasOld: true}, {New: "n", HasNew: true, Old: "o", HasOld: true},
		{New: "", HasNew: true, Old: "", HasOld: true}, {New: string(make([]byte, 300)), HasNew: true, Old: "x", HasOld: true},
	} {
		b, err := s.Serialize("t", c)
		if err != nil {
			t.Fatalf("Serialize(%+v): %v", c, err)
		}
		got, err := s.Deserialize("t", b)
		if err != nil || got != c {
			t.Errorf("Deserialize(Serialize(%+v)) = %+v, %v", c, got, err)
		}
	}
	if _, err := s.Serialize("t", Change[string]{}); !errors.Is(err, serde.ErrInvalid) {
		t.Errorf("Serialize of an empty Change: %v, want ErrInvalid", err)
	}
	for _, b := range [][]byte{nil, {0}, {4}, {3}, {3, 2, 'a'}, {3, 0x80, 0}, {3, 0x80}} {
		if _, err := s.Deserialize("t", b); !errors.Is(err, serde.ErrInvalid) {
			t.Errorf("Deserialize(%v): %v, want ErrInvalid", b, err)
		}
	}
}

// FuzzChangeSerde: any input either fails to decode with an error, or decodes to a Change
// that encodes back to the same bytes (the format is canonical: minimal varint, exact
// lengths).
func FuzzChangeSerde(f *testing.F) {
	s := changeSerde[[]byte]{inner: serde.Bytes}
	for _, seed := range [][]byte{{1}, {1, 'a', 'b'}, {2, 'o'}, {3, 0}, {3, 1, 'n', 'o', 'l', 'd'}, {3, 0x80, 0x01}, {0}, {}, {3, 5, 'a'}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := s.Deserialize("t", b)
		if err != nil {
			return
		}
		again, err := s.Serialize("t", c)
		if err != nil {
			t.Fatalf("Serialize(Deserialize(%v)): %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("Serialize(Deserialize(%v)) = %v", b, again)
		}
	})
}

// A record without a key reaching the select node or the aggregation is a processing error
// naming it, as Kafka throws a StreamsException (KTableRepartitionMap: "Record key for the
// grouping KTable should not be null"; KTableAggregate/KTableReduce: "Record key for KTable
// aggregate operator with state <store> should not be null").
func TestGroupedTableNullKeyIsAnError(t *testing.T) {
	sel := &tableSelectProc[string, string, string, string]{name: "KTABLE-SELECT-0000000003", selector: func(k, v string) KeyValue[string, string] { return Pair(k, v) }}
	err := sel.Process(processor.MakeRecord("", false, Change[string]{New: "v", HasNew: true}, true, 1, nil))
	if err == nil || !strings.Contains(err.Error(), "KTABLE-SELECT-0000000003") || !strings.Contains(err.Error(), "should not be null") {
		t.Errorf("select node: %v", err)
	}
	agg := &tableAggProc[string, string, int64]{name: "KTABLE-AGGREGATE-0000000007", st: &tableState{storeName: "count-store"}}
	err = agg.Process(processor.MakeRecord("", false, Change[string]{New: "v", HasNew: true}, true, 1, nil))
	if err == nil || !strings.Contains(err.Error(), "count-store") || !strings.Contains(err.Error(), "KTABLE-AGGREGATE-0000000007") || !strings.Contains(err.Error(), "should not be null") {
		t.Errorf("aggregation: %v", err)
	}
}
