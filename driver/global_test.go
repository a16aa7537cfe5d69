package driver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Global stores on the Kafka runtime (Kafka Streams' GlobalStreamThread): every instance
// holds the whole global table, bootstrapped before its tasks process, kept up to date, and
// restored from its checkpoint on restart.

const (
	globalProducts   = "products" // the global table's topic, 3 partitions
	globalOrders     = "orders"   // the stream, 4 partitions
	globalEnriched   = "enriched"
	globalPartitions = 3
)

var strs = topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}

// globalJoinTopology joins orders ("qty,product") with the global table of products.
func globalJoinTopology(t *testing.T) *topology.Topology {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	products := topology.GlobalTable(sb, globalProducts, strs, topology.Materialized[string, string]{Name: "products-store"})
	orders := topology.Stream(sb, globalOrders, strs)
	topology.LeftJoinGlobal(orders, products,
		func(_ string, order string) string { _, p, _ := strings.Cut(order, ","); return p },
		func(order, name string, found bool) string {
			if !found {
				name = "?"
			}
			return order + "=" + name
		},
	).To(globalEnriched, topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func newGlobalCluster(t *testing.T) *testutil.Cluster {
	t.Helper()
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for topic, n := range map[string]int32{globalProducts: globalPartitions, globalOrders: partitions, globalEnriched: partitions} {
		if err := c.CreateTopic(topic, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func produce(t *testing.T, c *testutil.Cluster, topic string, kvs ...string) {
	t.Helper()
	var recs []*kgo.Record
	for i := 0; i+1 < len(kvs); i += 2 {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(kvs[i]), Value: []byte(kvs[i+1]), Partition: int32(len(recs) % globalPartitions)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
}

func startGlobal(t *testing.T, c *testutil.Cluster, top *topology.Topology, dir string, opts ...driver.Option) *driver.Driver {
	t.Helper()
	all := append([]driver.Option{
		driver.ApplicationID("global-app"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(dir),
		driver.CommitInterval(100 * time.Millisecond), driver.Concurrency(1),
		driver.ClientOptions(kgo.FetchMaxWait(50*time.Millisecond), kgo.SessionTimeout(6*time.Second), kgo.RebalanceTimeout(10*time.Second), kgo.MetadataMinAge(50*time.Millisecond)),
	}, opts...)
	d, err := driver.New(top, all...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// globalContents reads a driver's global store through interactive queries.
func globalContents(t *testing.T, d *driver.Driver, store string) map[string]string {
	t.Helper()
	s, err := driver.KeyValueStore[string, string](d, store)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range cursor.All(c) {
		got[k] = v
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// readEnriched reads the output topic until it has n records, sorted.
func readEnriched(t *testing.T, c *testutil.Cluster, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs, err := c.Consume(ctx, globalEnriched, n)
	if err != nil {
		t.Fatalf("reading %d records of %s: %v", n, globalEnriched, err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Key)+":"+string(r.Value))
	}
	sort.Strings(out)
	return out
}

// Two instances each load the whole global topic (every partition) before Start returns,
// so before any task processes; a stream joined with the global table gives the right
// output; updates to the global topic after the start reach both instances.
func TestGlobalTableTwoInstances(t *testing.T) {
	c := newGlobalCluster(t)
	var products []string
	want := map[string]string{}
	for i := range 9 {
		k, v := fmt.Sprint("p", i), fmt.Sprint("product-", i)
		products = append(products, k, v)
		want[k] = v
	}
	produce(t, c, globalProducts, products...)
	top := globalJoinTopology(t)
	d1 := startGlobal(t, c, top, t.TempDir())
	d2 := startGlobal(t, c, top, t.TempDir())
	for i, d := range []*driver.Driver{d1, d2} {
		if got := globalContents(t, d, "products-store"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("instance %d after Start: global store %v, want %v", i+1, got, want)
		}
	}
	produce(t, c, globalOrders, "o1", "2,p1", "o2", "3,p5", "o3", "1,p8", "o4", "7,none")
	check := func(got []string, want ...string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
	}
	check(readEnriched(t, c, 4), "o1:2,p1=product-1", "o2:3,p5=product-5", "o3:1,p8=product-8", "o4:7,none=?")

	// An update and a new product after the start: both instances see them.
	produce(t, c, globalProducts, "p1", "pencil", "p42", "eraser")
	eventually(t, "the global updates on both instances", 20*time.Second, func() string {
		for i, d := range []*driver.Driver{d1, d2} {
			got := globalContents(t, d, "products-store")
			if got["p1"] != "pencil" || got["p42"] != "eraser" {
				return fmt.Sprintf("instance %d: p1=%q p42=%q", i+1, got["p1"], got["p42"])
			}
		}
		return ""
	})
	produce(t, c, globalOrders, "o5", "1,p1", "o6", "4,p42")
	got := readEnriched(t, c, 6)
	check(got, "o1:2,p1=product-1", "o2:3,p5=product-5", "o3:1,p8=product-8", "o4:7,none=?", "o5:1,p1=pencil", "o6:4,p42=eraser")
}

// countingGlobal is a topology with a low-level global store (persistent) whose processor
// counts the records it applies.
func countingGlobal(t *testing.T, applied *atomic.Int64) *topology.Topology {
	t.Helper()
	b := topology.NewBuilder()
	sb := kv.NewBuilder(rocksdb.Supplier("counted"), serde.String, serde.String)
	topology.AddGlobalStore(b, sb, "global-source", topology.Source[string, string]{Topics: []string{globalProducts}, Keys: serde.String, Values: serde.String}, "global-processor",
		processor.Func(func(ctx processor.Context[struct{}, struct{}], r processor.Record[string, string]) error {
			st, err := processor.KeyValueStore[string, string](ctx, "counted")
			if err != nil {
				return err
			}
			applied.Add(1)
			return st.Put(r.Key(), r.Value())
		}))
	topology.AddSource(b, "orders-source", topology.Source[string, string]{Topics: []string{globalOrders}, Keys: serde.String, Values: serde.String})
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// A restart with a persistent global store reads only what was written since its
// checkpoint, <state.dir>/<application.id>/global/.checkpoint (the next offset of each
// partition, Kafka's layout).
func TestGlobalStoreRestoresTheTail(t *testing.T) {
	c := newGlobalCluster(t)
	dir := t.TempDir()
	var first []string
	for i := range 12 {
		first = append(first, fmt.Sprint("k", i), fmt.Sprint("v", i))
	}
	produce(t, c, globalProducts, first...)
	var applied atomic.Int64
	d := startGlobal(t, c, countingGlobal(t, &applied), dir)
	if n := applied.Load(); n != 12 {
		t.Errorf("bootstrap applied %d records, want 12", n)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	cp, err := changelog.ReadCheckpoint(filepath.Join(dir, "global-app", "global", changelog.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(globalPartitions) {
		if off := cp[changelog.TopicPartition{Topic: globalProducts, Partition: p}]; off != 4 {
			t.Errorf("checkpoint of partition %d: %d, want 4 (%v)", p, off, cp)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "global-app", "global")); err != nil {
		t.Fatal(err)
	}

	produce(t, c, globalProducts, "k0", "new", "k99", "v99", "k5", "newer")
	applied.Store(0)
	d = startGlobal(t, c, countingGlobal(t, &applied), dir)
	if n := applied.Load(); n != 3 {
		t.Errorf("restart applied %d records, want the 3 of the tail", n)
	}
	got := globalContents(t, d, "counted")
	if len(got) != 13 || got["k0"] != "new" || got["k5"] != "newer" || got["k99"] != "v99" || got["k7"] != "v7" {
		t.Errorf("store after restart: %v", got)
	}
}

// A global topic that does not exist fails Start, naming it.
func TestGlobalTopicMissing(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.CreateTopic(globalOrders, 2, nil); err != nil {
		t.Fatal(err)
	}
	d, err := driver.New(globalJoinTopology(t), driver.ApplicationID("global-missing"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "topic products of global store products-store does not exist") {
		t.Errorf("Start error %v", err)
	}
}
