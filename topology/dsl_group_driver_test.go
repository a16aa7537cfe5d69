package topology_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The DSL word count on the Kafka runtime (an embedded kfake broker), with the defaults that
// the TopologyTestDriver does not exercise: the repartition topic created by the driver as
// "<application.id>-counts-store-repartition", and a cached store (Materialized's default)
// whose updates are forwarded by the cache's flush listener on commit. The last count of
// each word on the output topic and the store both equal the truth.
func TestDSLWordCountOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, topic := range []string{"lines", "counts"} {
		if err := c.CreateTopic(topic, 3, nil); err != nil {
			t.Fatal(err)
		}
	}
	sb := topology.NewStreamsBuilder()
	words := topology.FlatMapValues(topology.Stream(sb, "lines", strs), strings.Fields)
	topology.Count(topology.GroupBy(words, func(_, w string) string { return w }, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}),
		topology.Materialized[string, int64]{Name: "counts-store", StoreType: topology.StoreInMemory}).
		ToStream().To("counts", topology.Produced[string, int64]{Values: serde.Int64})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	truth := map[string]int64{}
	var recs []*kgo.Record
	vocabulary := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	for i := range 300 {
		var line []string
		for j := range 1 + i%4 {
			w := vocabulary[(i*3+j)%len(vocabulary)]
			line = append(line, w)
			truth[w]++
		}
		recs = append(recs, &kgo.Record{Topic: "lines", Value: []byte(strings.Join(line, " ")), Partition: int32(i % 3)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	d, err := driver.New(top, driver.ApplicationID("dslwc"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
		driver.CommitInterval(100*time.Millisecond), driver.ClientOptions(kgo.FetchMaxWait(50*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	deadline := time.Now().Add(30 * time.Second)
	var got, stored map[string]int64
	for time.Now().Before(deadline) {
		var n int
		got, n = lastCounts(t, c)
		stored = storeCounts(t, d)
		if maps.Equal(got, truth) && maps.Equal(stored, truth) {
			// Without the cache each word would give one update; with it, updates to a word
			// between two commits are one.
			if words := len(recs) * 5 / 2; n >= words {
				t.Errorf("%d updates for %d words: the cache deduplicated none", n, words)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("output %v\nstore %v\nwant %v", got, stored, truth)
}

// lastCounts returns the last count of each word on the output topic, and the number of
// records read.
func lastCounts(t *testing.T, c *testutil.Cluster) (map[string]int64, int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics("counts"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]int64{}
	total := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		f := cl.PollFetches(ctx)
		cancel()
		n := 0
		f.EachRecord(func(r *kgo.Record) {
			n++
			got[string(r.Key)] = int64(binary.BigEndian.Uint64(r.Value))
		})
		total += n
		if n == 0 {
			return got, total
		}
	}
}

func storeCounts(t *testing.T, d *driver.Driver) map[string]int64 {
	t.Helper()
	s, err := driver.KeyValueStore[string, int64](d, "counts-store")
	if err != nil {
		return map[string]int64{"error": 0, fmt.Sprint(err): 0}
	}
	cur, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for k, v := range cursor.All(cur) {
		out[k] = v
	}
	if err := cur.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}
