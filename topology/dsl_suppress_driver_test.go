package topology_test

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The suppression buffer survives a restart on the Kafka runtime: updates buffered before the
// application stops are restored from the buffer's changelog (in a fresh state directory)
// and emitted when stream time passes their limit after the restart, as Kafka restores its
// InMemoryTimeOrderedKeyValueChangeBuffer (SuppressionDurabilityIntegrationTest). "a" keeps
// the place of its first update across the restart, so it is emitted first.
func TestSuppressBufferRestoredOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, topic := range []string{"in", "out"} {
		if err := c.CreateTopic(topic, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	sb := topology.NewStreamsBuilder()
	topology.Table(sb, "in", strs, topology.Materialized[string, string]{Name: "tbl", StoreType: topology.StoreInMemory, CachingDisabled: true}).
		Suppress(topology.UntilTimeLimit(time.Hour, topology.Unbounded()).WithName("sup")).
		ToStream().To("out")
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := func(records ...*kgo.Record) *driver.Driver {
		t.Helper()
		if err := c.Produce(ctx, records...); err != nil {
			t.Fatal(err)
		}
		d, err := driver.New(top, driver.ApplicationID("suppress-restore"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
			driver.CommitInterval(100*time.Millisecond), driver.ClientOptions(kgo.FetchMaxWait(50*time.Millisecond)))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return d
	}
	at := func(k, v string, ts time.Duration) *kgo.Record {
		return &kgo.Record{Topic: "in", Key: []byte(k), Value: []byte(v), Timestamp: time.UnixMilli(ts.Milliseconds())}
	}
	d := run(at("a", "1", 0), at("b", "1", time.Minute), at("a", "2", 2*time.Minute))
	// Wait until the three updates are processed (the table's store has them), then stop.
	for {
		s, err := driver.KeyValueStore[string, string](d, "tbl")
		if err == nil {
			if v, _, _ := s.Get("a"); v == "2" {
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatal("the updates were not processed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing is emitted before the time limit.
	if recs, err := c.Consume(shortCtx(t), "out", 1); len(recs) != 0 {
		t.Fatalf("emitted before the limit: %v (%v)", recs, err)
	}
	d = run(at("c", "1", 2*time.Hour))
	defer d.Close()
	recs, err := c.Consume(ctx, "out", 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Key)+":"+string(r.Value))
	}
	check(t, got, []string{"a:2", "b:1"})
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	t.Cleanup(cancel)
	return ctx
}
