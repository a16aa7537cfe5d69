package wordcount_test

import (
	"testing"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

type kvp = cursor.KeyValue[string, int64]

// The word count through the TopologyTestDriver, with the counts in RocksDB (for real, in a
// temporary state directory) and in memory: same output either way.
func TestWordCount(t *testing.T) {
	for name, supplier := range map[string]kv.Supplier{
		"rocksdb": rocksdb.Supplier(wordcount.StoreName),
		"memory":  kv.InMemorySupplier(wordcount.StoreName),
	} {
		t.Run(name, func(t *testing.T) {
			top, err := wordcount.Topology(supplier)
			if err != nil {
				t.Fatal(err)
			}
			d, err := testutil.NewTopologyTestDriver(top)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			in := testutil.CreateInputTopic(d, wordcount.InputTopic, serde.String, serde.String)
			out := testutil.CreateOutputTopic(d, wordcount.OutputTopic, serde.String, serde.Int64)

			if err := in.PipeInput("", "Hello Kafka Streams"); err != nil {
				t.Fatal(err)
			}
			if err := in.PipeInput("", "hello go"); err != nil {
				t.Fatal(err)
			}
			testutil.AssertKeyValues(t, out,
				kvp{Key: "hello", Value: 1}, kvp{Key: "kafka", Value: 1}, kvp{Key: "streams", Value: 1},
				kvp{Key: "hello", Value: 2}, kvp{Key: "go", Value: 1})

			counts, err := testutil.KeyValueStore[string, int64](d, wordcount.StoreName)
			if err != nil {
				t.Fatal(err)
			}
			all, err := cursor.Collect(must(counts.All()))
			if err != nil {
				t.Fatal(err)
			}
			want := []kvp{{Key: "go", Value: 1}, {Key: "hello", Value: 2}, {Key: "kafka", Value: 1}, {Key: "streams", Value: 1}}
			if len(all) != len(want) {
				t.Fatalf("store holds %v, want %v", all, want)
			}
			for i := range want {
				if all[i] != want[i] {
					t.Fatalf("store holds %v, want %v", all, want)
				}
			}
			if got := d.ProducedTopicNames(); len(got) != 1 || got[0] != wordcount.OutputTopic {
				t.Errorf("ProducedTopicNames() = %v", got)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The DSL word count (Kafka's WordCountDemo) through the TopologyTestDriver, on RocksDB and in
// memory: the same counts as the Processor-API one, through its repartition topic.
func TestDSLWordCount(t *testing.T) {
	for name, st := range map[string]topology.StoreType{"rocksdb": topology.StoreRocksDB, "memory": topology.StoreInMemory} {
		t.Run(name, func(t *testing.T) {
			top, err := wordcount.DSL(st)
			if err != nil {
				t.Fatal(err)
			}
			d, err := testutil.NewTopologyTestDriver(top)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			in := testutil.CreateInputTopic(d, wordcount.InputTopic, serde.String, serde.String)
			out := testutil.CreateOutputTopic(d, wordcount.DSLOutputTopic, serde.String, serde.Int64)
			if err := in.PipeValueList([]string{"Hello Kafka Streams", "hello go"}); err != nil {
				t.Fatal(err)
			}
			testutil.AssertKeyValues(t, out,
				kvp{Key: "hello", Value: 1}, kvp{Key: "kafka", Value: 1}, kvp{Key: "streams", Value: 1},
				kvp{Key: "hello", Value: 2}, kvp{Key: "go", Value: 1})
			counts, err := testutil.KeyValueStore[string, int64](d, wordcount.DSLStoreName)
			if err != nil {
				t.Fatal(err)
			}
			if n, _, _ := counts.Get("hello"); n != 2 {
				t.Errorf("store: hello = %d, want 2", n)
			}
		})
	}
}
