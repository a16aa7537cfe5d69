package topology_test

import (
	"strings"
	"testing"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	_ "github.com/tributary-go/tributary/store/rocksdb" // the default persistent engine
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of GlobalTable: the inputs, outputs and names of the Kafka Streams tests named
// above each test, through the TopologyTestDriver (which runs global stores; the Kafka
// runtime does not yet).

// StreamsBuilderTest.shouldUseSerdesDefinedInMaterializedToConsumeGlobalTable:
// globalTable("topic", Materialized.as("store") with Long and String serdes); after (1,
// "value1") and (2, "value2") the store holds both. The store is RocksDB, Materialized's
// default.
func TestDSLGlobalTableSerdesFromMaterialized(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	g := topology.GlobalTable(sb, "topic", topology.Consumed[int64, string]{}, topology.Materialized[int64, string]{Name: "store", Keys: serde.Int64, Values: serde.String})
	if g.StoreName() != "store" || g.QueryableStoreName() != "store" || g.Name() != "KTABLE-SOURCE-0000000001" {
		t.Errorf("StoreName %q, QueryableStoreName %q, Name %q", g.StoreName(), g.QueryableStoreName(), g.Name())
	}
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.Int64, serde.String)
	must(t, in.PipeInput(1, "value1"))
	must(t, in.PipeInput(2, "value2"))
	st, err := testutil.KeyValueStore[int64, string](d, "store")
	must(t, err)
	for k, want := range map[int64]string{1: "value1", 2: "value2"} {
		if got, found, err := st.Get(k); err != nil || !found || got != want {
			t.Errorf("store[%d] = %q, %v, %v; want %q", k, got, found, err, want)
		}
	}
	if !st.Persistent() {
		t.Error("the store is not persistent; StoreRocksDB is Materialized's default")
	}
}

// StreamsBuilderTest.shouldUseSpecifiedNameForGlobalTableSourceProcessor: globalTable with
// Consumed.as("source-processor"), then one unnamed: the stores are
// "stream-topic-STATE-STORE-0000000000" and "stream-topic-two-STATE-STORE-0000000003" (each
// global table takes three names: store, source, processor). The nodes are named as
// InternalStreamsBuilder.globalTable names them ("source-processor-source" and
// "source-processor", then generated), and Describe prints each global store in Kafka's
// format (TopologyTest.shouldDescribeMultipleGlobalStoreTopology).
func TestDSLGlobalTableNames(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	named := procStrings
	named.Name = "source-processor"
	g1 := topology.GlobalTable(sb, "stream-topic", named, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
	g2 := topology.GlobalTable(sb, "stream-topic-two", procStrings, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
	if g1.StoreName() != "stream-topic-STATE-STORE-0000000000" || g2.StoreName() != "stream-topic-two-STATE-STORE-0000000003" {
		t.Errorf("store names %q, %q", g1.StoreName(), g2.StoreName())
	}
	// InternalStreamsBuilderTest.shouldBuildGlobalTableWithNonQueryableStoreName: a
	// generated store name is not queryable.
	if g1.QueryableStoreName() != "" || g2.QueryableStoreName() != "" {
		t.Errorf("QueryableStoreName %q, %q; want none", g1.QueryableStoreName(), g2.QueryableStoreName())
	}
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0 for global store (will not generate tasks)\n"+
		"    Source: source-processor-source (topics: [stream-topic])\n"+
		"      --> source-processor\n"+
		"    Processor: source-processor (stores: [stream-topic-STATE-STORE-0000000000])\n"+
		"      --> none\n"+
		"      <-- source-processor-source\n"+
		"  Sub-topology: 1 for global store (will not generate tasks)\n"+
		"    Source: KSTREAM-SOURCE-0000000004 (topics: [stream-topic-two])\n"+
		"      --> KTABLE-SOURCE-0000000005\n"+
		"    Processor: KTABLE-SOURCE-0000000005 (stores: [stream-topic-two-STATE-STORE-0000000003])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000004\n")
	d := newDriver(t, sb)
	for _, name := range []string{"stream-topic-STATE-STORE-0000000000", "stream-topic-two-STATE-STORE-0000000003"} {
		if _, err := d.StateStore(name); err != nil {
			t.Error(err)
		}
	}
}

// A global table beside a stream whose processor reads it (the enrichment a stream–global
// table join will do): the global store's group and the stream's sub-topology are numbered
// in the order of their first nodes, as in Kafka. Updates, a tombstone and a record without
// a key (dropped, counted in dropped-records, as Kafka's KTableSource) reach the global
// store at once, caching off and on.
func TestDSLGlobalTableLookup(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		g := topology.GlobalTable(sb, "customers", procStrings, topology.Materialized[string, string]{Name: "customers-store", StoreType: topology.StoreInMemory, CachingDisabled: !caching})
		orders := topology.Stream(sb, "orders", procStrings)
		topology.Process(orders, processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
			st, err := processor.KeyValueStore[string, string](ctx, g.StoreName())
			if err != nil {
				return err
			}
			name, found, err := st.Get(r.Key())
			if err != nil {
				return err
			}
			if !found {
				name = "unknown"
			}
			return ctx.Forward(r.WithValue(r.Value() + " for " + name))
		}), topology.Processed{Name: "enrich"}).To("enriched", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
		if caching {
			checkDescribeOf(t, sb, "Topologies:\n"+
				"   Sub-topology: 0 for global store (will not generate tasks)\n"+
				"    Source: KSTREAM-SOURCE-0000000000 (topics: [customers])\n"+
				"      --> KTABLE-SOURCE-0000000001\n"+
				"    Processor: KTABLE-SOURCE-0000000001 (stores: [customers-store])\n"+
				"      --> none\n"+
				"      <-- KSTREAM-SOURCE-0000000000\n"+
				"  Sub-topology: 1\n"+
				"    Source: KSTREAM-SOURCE-0000000002 (topics: [orders])\n"+
				"      --> enrich\n"+
				"    Processor: enrich (stores: [])\n"+
				"      --> KSTREAM-SINK-0000000003\n"+
				"      <-- KSTREAM-SOURCE-0000000002\n"+
				"    Sink: KSTREAM-SINK-0000000003 (topic: enriched)\n"+
				"      <-- enrich\n\n")
		}
		d := newDriver(t, sb)
		customers := testutil.CreateInputTopic(d, "customers", serde.String, serde.String)
		in := testutil.CreateInputTopic(d, "orders", serde.String, serde.String)
		must(t, in.PipeInputWithTimestamp("c1", "book", 1))
		must(t, customers.PipeInputWithTimestamp("c1", "Ada", 2))
		must(t, customers.PipeInputWithTimestamp("c2", "Bob", 3))
		must(t, in.PipeInputWithTimestamp("c1", "pen", 4))
		must(t, in.PipeInputWithTimestamp("c2", "ink", 5))
		must(t, customers.PipeTombstone("c1"))
		must(t, customers.PipeValue("no key"))
		must(t, in.PipeInputWithTimestamp("c1", "cup", 6))
		check(t, readAll(t, testutil.CreateOutputTopic(d, "enriched", serde.String, serde.String)), []kvt[string, string]{
			{"c1", "book for unknown", 1}, {"c1", "pen for Ada", 4}, {"c2", "ink for Bob", 5}, {"c1", "cup for unknown", 6},
		})
		if n := d.DroppedRecords(); n != 1 {
			t.Errorf("caching %v: dropped records = %d, want 1 (the record without a key)", caching, n)
		}
	}
}

// Mistakes are errors of Build: no topic, no serdes, a Materialized naming a store its
// Supplier does not supply.
func TestDSLGlobalTableBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(sb *topology.StreamsBuilder)
		want  []string
	}{
		{"no topic", func(sb *topology.StreamsBuilder) {
			topology.GlobalTable(sb, "", procStrings, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
		}, []string{"KTABLE-SOURCE-0000000002", "no topic"}},
		{"no serdes", func(sb *topology.StreamsBuilder) {
			topology.GlobalTable(sb, "t", topology.Consumed[string, string]{}, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
		}, []string{"KTABLE-SOURCE-0000000002", "serde"}},
		{"LRU without size", func(sb *topology.StreamsBuilder) {
			topology.GlobalTable(sb, "t", procStrings, topology.Materialized[string, string]{Name: "g", StoreType: topology.StoreLRU})
		}, []string{`"g"`, "LRUSize"}},
	} {
		sb := topology.NewStreamsBuilder()
		tc.build(sb)
		_, err := sb.Build()
		if err == nil {
			t.Errorf("%s: Build succeeded", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", tc.name, err, w)
			}
		}
	}
}
