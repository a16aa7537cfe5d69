package testutil_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-go/tributary/testutil"
)

func newCluster(t *testing.T, opts ...testutil.ClusterOption) *testutil.Cluster {
	t.Helper()
	c, err := testutil.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// rec is a record in a comparable form.
type rec struct {
	Partition int32
	Offset    int64
	Key       string
	Value     string
	Null      bool
	Headers   map[string]string
	Timestamp int64
}

func simple(rs []*kgo.Record) []rec {
	out := make([]rec, 0, len(rs))
	for _, r := range rs {
		h := map[string]string{}
		for _, hd := range r.Headers {
			h[hd.Key] = string(hd.Value)
		}
		out = append(out, rec{r.Partition, r.Offset, string(r.Key), string(r.Value), r.Value == nil, h, r.Timestamp.UnixMilli()})
	}
	sortRecs(out)
	return out
}

// sortRecs sorts by partition, then offset.
func sortRecs(rs []rec) {
	slices.SortFunc(rs, func(a, b rec) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
}

func TestClusterProduceConsume(t *testing.T) {
	c := newCluster(t)
	if len(c.Addrs()) != 1 {
		t.Fatalf("Addrs() = %v, want one broker", c.Addrs())
	}
	if err := c.CreateTopic("in", 3, nil); err != nil {
		t.Fatal(err)
	}
	ts := time.UnixMilli(1_700_000_000_123)
	var recs []*kgo.Record
	var want []rec
	for i := range 30 {
		p := int32(i % 3)
		r := &kgo.Record{Topic: "in", Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i),
			Headers: []kgo.RecordHeader{{Key: "n", Value: fmt.Appendf(nil, "%d", i)}, {Key: "src", Value: []byte("test")}}, Timestamp: ts.Add(time.Duration(i) * time.Millisecond)}
		if i == 7 {
			r.Value = nil // a tombstone stays null
		}
		recs = append(recs, r)
		want = append(want, rec{p, int64(i / 3), string(r.Key), string(r.Value), r.Value == nil,
			map[string]string{"n": fmt.Sprint(i), "src": "test"}, r.Timestamp.UnixMilli()})
	}
	sortRecs(want)
	ctx := timeout(t, 20*time.Second)
	if err := c.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	got, err := c.Consume(ctx, "in", 30)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(simple(recs), want); diff != "" {
		t.Fatalf("test bug: want differs from what was produced:\n%s", diff)
	}
	if diff := cmp.Diff(want, simple(got)); diff != "" {
		t.Errorf("consumed (-produced +got):\n%s", diff)
	}
	// Consume reads from the start each time.
	again, err := c.Consume(ctx, "in", 30)
	if err != nil || len(again) != 30 {
		t.Errorf("second Consume = %d records, %v", len(again), err)
	}
}

func TestClusterConsumeDeadline(t *testing.T) {
	c := newCluster(t)
	if err := c.CreateTopic("few", 2, nil); err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t, 10*time.Second)
	if err := c.Produce(ctx, &kgo.Record{Topic: "few", Partition: 1, Value: []byte("only")}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	got, err := c.Consume(short, "few", 2)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Consume of more records than there are: %v, want a deadline error", err)
	}
	if len(got) != 1 || string(got[0].Value) != "only" {
		t.Errorf("Consume returned %v, want the one record read", simple(got))
	}
	if got, err := c.Consume(ctx, "few", 0); err != nil || len(got) != 0 {
		t.Errorf("Consume(0) = %v, %v", got, err)
	}
}

func TestClusterCreateTopic(t *testing.T) {
	c := newCluster(t, testutil.ClusterDefaultPartitions(4))
	if err := c.CreateTopic("app-store-changelog", 2, map[string]string{"cleanup.policy": "compact", "retention.ms": "-1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic("dflt", 0, nil); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := timeout(t, 10*time.Second)
	details, err := adm.ListTopics(ctx, "app-store-changelog", "dflt")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(details["app-store-changelog"].Partitions); n != 2 {
		t.Errorf("app-store-changelog has %d partitions, want 2", n)
	}
	if n := len(details["dflt"].Partitions); n != 4 {
		t.Errorf("dflt has %d partitions, want the default 4", n)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "app-store-changelog")
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	for _, rc := range rcs {
		for _, kv := range rc.Configs {
			if kv.Value != nil {
				cfg[kv.Key] = *kv.Value
			}
		}
	}
	if cfg["cleanup.policy"] != "compact" || cfg["retention.ms"] != "-1" {
		t.Errorf("topic configs cleanup.policy=%q retention.ms=%q", cfg["cleanup.policy"], cfg["retention.ms"])
	}
	if err := c.CreateTopic("dflt", 1, nil); !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Errorf("creating an existing topic: %v, want TopicAlreadyExists", err)
	}
}

func TestClusterAutoCreateTopics(t *testing.T) {
	c := newCluster(t, testutil.ClusterAutoCreateTopics(), testutil.ClusterDefaultPartitions(2))
	ctx := timeout(t, 10*time.Second)
	if err := c.Produce(ctx, &kgo.Record{Topic: "auto", Partition: 1, Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Consume(ctx, "auto", 1)
	if err != nil || len(got) != 1 || got[0].Partition != 1 {
		t.Errorf("Consume = %v, %v", simple(got), err)
	}
}

func TestClusterBrokersAndPorts(t *testing.T) {
	c := newCluster(t, testutil.ClusterBrokers(3))
	if len(c.Addrs()) != 3 {
		t.Errorf("Addrs() = %v, want 3 brokers", c.Addrs())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c2, err := testutil.NewCluster(testutil.ClusterPorts(port))
	if err != nil {
		t.Skipf("port %d taken again meanwhile: %v", port, err)
	}
	defer c2.Close()
	if want := []string{fmt.Sprintf("127.0.0.1:%d", port)}; !slices.Equal(c2.Addrs(), want) {
		t.Errorf("Addrs() = %v, want %v", c2.Addrs(), want)
	}
}

// TestClusterDataDir: a cluster started again on its data directory has its topics and
// records back.
func TestClusterDataDir(t *testing.T) {
	dir := t.TempDir()
	ctx := timeout(t, 20*time.Second)
	c, err := testutil.NewCluster(testutil.ClusterDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic("kept", 1, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Produce(ctx, &kgo.Record{Topic: "kept", Key: []byte("k"), Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2 := newCluster(t, testutil.ClusterDataDir(dir))
	got, err := c2.Consume(ctx, "kept", 1)
	if err != nil || len(got) != 1 || string(got[0].Value) != "v" {
		t.Errorf("after a restart: %v, %v", simple(got), err)
	}
}

// TestClusterKfake uses the kfake cluster for what the helpers do not do: compaction.
func TestClusterKfake(t *testing.T) {
	c := newCluster(t)
	if err := c.CreateTopic("compacted", 1, map[string]string{"cleanup.policy": "compact", "retention.ms": "-1"}); err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t, 10*time.Second)
	for i := range 3 { // three batches, each with one record per key
		if err := c.Produce(ctx, &kgo.Record{Topic: "compacted", Key: []byte("a"), Value: fmt.Appendf(nil, "%d", i)},
			&kgo.Record{Topic: "compacted", Key: []byte("b"), Value: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c.Kfake().Compact()
	// The first batch is superseded by the second; the last batch (the active segment)
	// is never cleaned, so the second stays.
	got, err := c.Consume(ctx, "compacted", 4)
	if err != nil {
		t.Fatal(err)
	}
	var offsets []int64
	for _, r := range simple(got) {
		offsets = append(offsets, r.Offset)
	}
	if !slices.Equal(offsets, []int64{2, 3, 4, 5}) {
		t.Errorf("offsets after Compact = %v, want [2 3 4 5]", offsets)
	}
}

func TestClusterCloseTwice(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic("t", 1, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	if err := c.CreateTopic("t2", 1, nil); err == nil {
		t.Error("CreateTopic after Close succeeded")
	}
	if err := c.Produce(context.Background(), &kgo.Record{Topic: "t"}); err == nil {
		t.Error("Produce after Close succeeded")
	}
	if _, err := c.Consume(context.Background(), "t", 1); err == nil {
		t.Error("Consume after Close succeeded")
	}
}

// An embedded broker: create a topic, produce to it with headers, read it back.
func ExampleNewCluster() {
	cluster, err := testutil.NewCluster()
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	if err := cluster.CreateTopic("greetings", 2, nil); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = cluster.Produce(ctx,
		&kgo.Record{Topic: "greetings", Partition: 0, Key: []byte("en"), Value: []byte("hello"),
			Headers: []kgo.RecordHeader{{Key: "lang", Value: []byte("English")}}},
		&kgo.Record{Topic: "greetings", Partition: 0, Key: []byte("fr"), Value: []byte("bonjour"),
			Headers: []kgo.RecordHeader{{Key: "lang", Value: []byte("French")}}},
	)
	if err != nil {
		panic(err)
	}
	// Any Kafka client (or a Tributary driver) can use cluster.Addrs() as bootstrap servers.
	recs, err := cluster.Consume(ctx, "greetings", 2)
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Printf("%s-%d@%d %s=%s (%s)\n", r.Topic, r.Partition, r.Offset, r.Key, r.Value, r.Headers[0].Value)
	}
	// Output:
	// greetings-0@0 en=hello (English)
	// greetings-0@1 fr=bonjour (French)
}
