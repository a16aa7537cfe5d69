package driver_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestNewValidatesOptions(t *testing.T) {
	top, err := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts []driver.Option
		want string
	}{
		{"no application id", nil, "ApplicationID is required"},
		{"zero concurrency", []driver.Option{driver.ApplicationID("a"), driver.Concurrency(0)}, "Concurrency 0"},
		{"bad commit interval", []driver.Option{driver.ApplicationID("a"), driver.CommitInterval(0)}, "CommitInterval"},
		{"unknown guarantee", []driver.Option{driver.ApplicationID("a"), driver.Guarantee(driver.ProcessingGuarantee(7))}, "ProcessingGuarantee(7) is not supported"},
		{"bad endpoint", []driver.Option{driver.ApplicationID("a"), driver.ApplicationServer("nohost")}, "ApplicationServer"},
	} {
		if _, err := driver.New(top, c.opts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := driver.New(nil, driver.ApplicationID("a")); err == nil {
		t.Error("New(nil topology): no error")
	}
}

// A source topic that does not exist is a clear error at Start, naming the topic.
func TestStartMissingSourceTopic(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	top, _ := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	d, err := driver.New(top, driver.ApplicationID("missing"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "source topic "+wordcount.InputTopic) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Start = %v, want an error naming the missing source topic %s", err, wordcount.InputTopic)
	}
	if d.State() != driver.Error {
		t.Errorf("state %s, want ERROR", d.State())
	}
	if err := d.Start(context.Background()); !errors.Is(err, driver.ErrNotRunning) {
		t.Errorf("second Start = %v, want ErrNotRunning", err)
	}
	if err := d.Close(); err == nil {
		t.Error("Close after a failed Start: want the start error again")
	}
}

// An existing changelog topic with a partition count other than the task count is an error
// naming the topic and both counts.
func TestStartWrongChangelogPartitions(t *testing.T) {
	c := newCluster(t)
	topic := changelog.TopicName("wrong", wordcount.StoreName)
	if err := c.CreateTopic(topic, partitions+1, nil); err != nil {
		t.Fatal(err)
	}
	top, _ := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	d, err := driver.New(top, driver.ApplicationID("wrong"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), topic) || !strings.Contains(err.Error(), "has 5 partitions, want 4") {
		t.Fatalf("Start = %v, want an error naming %s with 5 partitions, want 4", err, topic)
	}
}

// Close before Start, twice; Run returns when its context ends and closes the driver.
func TestLifecycle(t *testing.T) {
	top, _ := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	d, err := driver.New(top, driver.ApplicationID("life"))
	if err != nil {
		t.Fatal(err)
	}
	if d.State() != driver.Created {
		t.Errorf("new driver state %s, want CREATED", d.State())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d.State() != driver.NotRunning {
		t.Errorf("state after Close %s, want NOT_RUNNING", d.State())
	}
	if err := d.Start(context.Background()); !errors.Is(err, driver.ErrNotRunning) {
		t.Errorf("Start after Close = %v, want ErrNotRunning", err)
	}

	c := newCluster(t)
	d, err = driver.New(top, driver.ApplicationID("run"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	eventually(t, "running", 20*time.Second, func() string {
		if s := d.State(); s != driver.Running {
			return s.String()
		}
		return ""
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after the context ended", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if d.State() != driver.NotRunning {
		t.Errorf("state after Run %s, want NOT_RUNNING", d.State())
	}
}

// seenCounter counts every record's key in an unlogged RocksDB store, next to a logged store
// nothing writes.
type seenCounter struct {
	seen *kv.Store[string, int64]
}

func (s *seenCounter) Init(ctx processor.Context[string, string]) (err error) {
	s.seen, err = processor.KeyValueStore[string, int64](ctx, "seen")
	return err
}

func (s *seenCounter) Process(r processor.Record[string, string]) error {
	n, _, err := s.seen.Get(r.Value())
	if err != nil {
		return err
	}
	return s.seen.Put(r.Value(), n+1)
}

func (s *seenCounter) Close() error { return nil }

// A persistent store with logging off is its own only copy: a restart keeps it, even though
// the task's logged store has nothing to checkpoint (only logged stores are ever wiped).
func TestUnloggedPersistentStoreSurvivesRestart(t *testing.T) {
	c := newCluster(t)
	b := topology.NewBuilder()
	topology.AddSource(b, "in", topology.Source[string, string]{Topics: []string{wordcount.InputTopic}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "count", func() processor.Processor[string, string, string, string] { return &seenCounter{} }, "in")
	b.AddStateStore(kv.NewBuilder(rocksdb.Supplier("seen"), serde.String, serde.Int64).WithLoggingDisabled(), "count")
	b.AddStateStore(kv.NewBuilder(rocksdb.Supplier("idle"), serde.String, serde.Int64), "count")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(lines []string) map[string]int64 {
		var recs []*kgo.Record
		for _, l := range lines {
			recs = append(recs, &kgo.Record{Topic: wordcount.InputTopic, Value: []byte(l)}) // all to partition 0: one task
		}
		if err := c.Produce(context.Background(), recs...); err != nil {
			t.Fatal(err)
		}
		d, err := driver.New(top, driver.ApplicationID("unlogged"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(dir),
			driver.CommitInterval(100*time.Millisecond), driver.Concurrency(1), driver.Logger(discardLogger()))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		var got map[string]int64
		eventually(t, "counted", 30*time.Second, func() string {
			if d.ProcessedRecords() < int64(len(lines)) {
				return fmt.Sprintf("processed %d", d.ProcessedRecords())
			}
			got = map[string]int64{}
			s, err := driver.KeyValueStore[string, int64](d, "seen")
			if err != nil {
				return err.Error()
			}
			cur, err := s.All()
			if err != nil {
				return err.Error()
			}
			for k, v := range cursor.All(cur) {
				got[k] = v
			}
			return ""
		})
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	run([]string{"a", "b", "a"})
	got := run([]string{"a"})
	if want := map[string]int64{"a": 3, "b": 1}; !maps.Equal(got, want) {
		t.Errorf("after a restart the unlogged store holds %v, want %v", got, want)
	}
}

// Close while Start is still checking topics returns promptly (nothing keeps running).
func TestCloseDuringStart(t *testing.T) {
	c := newCluster(t)
	top, _ := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	d, err := driver.New(top, driver.ApplicationID("racy"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() { started <- d.Start(context.Background()) }()
	closed := make(chan error, 1)
	go func() { closed <- d.Close() }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close during Start did not return")
	}
	<-started
	select {
	case <-d.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("workers still running after Close")
	}
}
