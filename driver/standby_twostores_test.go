package driver_test

import (
	"context"
	"log/slog"
	"maps"
	"path/filepath"
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
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

type twoCounter struct {
	a, b *kv.Store[string, int64]
}

func (c *twoCounter) Init(ctx processor.Context[string, int64]) error {
	var err error
	if c.a, err = processor.KeyValueStore[string, int64](ctx, "A"); err != nil {
		return err
	}
	c.b, err = processor.KeyValueStore[string, int64](ctx, "B")
	return err
}

func (c *twoCounter) Process(r processor.Record[string, string]) error {
	for _, s := range []*kv.Store[string, int64]{c.a, c.b} {
		n, _, err := s.Get(r.Key())
		if err != nil {
			return err
		}
		if err := s.Put(r.Key(), n+1); err != nil {
			return err
		}
	}
	return nil
}
func (c *twoCounter) Close() error { return nil }

func twoStores(t *testing.T) *topology.Topology {
	b := topology.NewBuilder()
	topology.AddSource(b, "Lines", topology.Source[string, string]{Topics: []string{wordcount.InputTopic}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "Split", func() processor.Processor[string, string, string, string] { return &splitter2{} }, "Lines")
	topology.AddSink(b, "Words", topology.Sink[string, string]{Topic: wordcount.WordsTopic, Keys: serde.String, Values: serde.String}, "Split")
	topology.AddSource(b, "WordsSource", topology.Source[string, string]{Topics: []string{wordcount.WordsTopic}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "Count", func() processor.Processor[string, string, string, int64] { return &twoCounter{} }, "WordsSource")
	b.AddStateStore(kv.NewBuilder(rocksdb.Supplier("A"), serde.String, serde.Int64), "Count")
	b.AddStateStore(kv.NewBuilder(rocksdb.Supplier("B"), serde.String, serde.Int64), "Count")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

type splitter2 struct {
	ctx processor.Context[string, string]
}

func (s *splitter2) Init(ctx processor.Context[string, string]) error { s.ctx = ctx; return nil }
func (s *splitter2) Process(r processor.Record[string, string]) error {
	for _, w := range strings.Fields(strings.ToLower(r.Value())) {
		if err := s.ctx.Forward(processor.NewRecord(w, w, r.Timestamp())); err != nil {
			return err
		}
	}
	return nil
}
func (s *splitter2) Close() error { return nil }

func startTop(t *testing.T, addrs []string, dir string, top *topology.Topology, opts ...driver.Option) *driver.Driver {
	all := append([]driver.Option{
		driver.ApplicationID("wc"), driver.BootstrapServers(addrs...), driver.StateDir(dir),
		driver.CommitInterval(100 * time.Millisecond), driver.Concurrency(1), driver.NumStandbyReplicas(1),
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

func readStore(d *driver.Driver, name string, stale bool) map[string]int64 {
	var opts []driver.StoreQueryOption
	if stale {
		opts = append(opts, driver.StaleStores())
	}
	s, err := driver.KeyValueStore[string, int64](d, name, opts...)
	if err != nil {
		return nil
	}
	c, err := s.All()
	if err != nil {
		return nil
	}
	out := map[string]int64{}
	for k, v := range cursor.All(c) {
		out[k] = v
	}
	c.Close()
	return out
}

// A standby task with two stores, one of whose checkpoints is out of range: the whole task is
// wiped and replayed, and the records of the other store fetched in the same poll are not
// applied to the wiped task (they would move its position past records never replayed).
func TestStandbyPartialReset(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(300, 11), truth)
	top := twoStores(t)
	d1 := startTop(t, c.Addrs(), t.TempDir(), top, driver.Logger(discardLogger()))
	eventually(t, "d1", 30*time.Second, func() string { return diffCounts(readStore(d1, "A", false), truth) })
	dir2 := t.TempDir()
	d2 := startTop(t, c.Addrs(), dir2, top, driver.Logger(discardLogger()))
	eventually(t, "d2 standbys", 60*time.Second, func() string {
		if len(d2.LocalStandbyTasks()) == 0 {
			return "none"
		}
		return diffCounts(readStore(d2, "A", true), truth)
	})
	sb := d2.LocalStandbyTasks()
	d2.Close()
	bTopic := changelog.TopicName("wc", "B")
	for _, id := range sb {
		path := filepath.Join(dir2, "wc", id.String(), changelog.CheckpointFile)
		cp, err := changelog.ReadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s cp %v", id, cp)
		for tp := range cp {
			if tp.Topic == bTopic {
				cp[tp] = 999_999
			}
		}
		changelog.WriteCheckpoint(path, cp)
	}
	tail := make([]string, 200)
	for i := range tail {
		tail[i] = "alpha beta"
	}
	produceLines(t, c, tail, truth)
	eventually(t, "d1 again", 30*time.Second, func() string { return diffCounts(readStore(d1, "A", false), truth) })
	logs := &lockedBuffer{}
	d2 = startTop(t, c.Addrs(), dir2, top, driver.Logger(slog.New(slog.NewTextHandler(logs, nil))))
	deadline := time.Now().Add(30 * time.Second)
	var got map[string]int64
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		if len(d2.LocalStandbyTasks()) == 0 {
			continue
		}
		got = readStore(d2, "A", true)
		if maps.Equal(got, truth) {
			break
		}
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "range") {
			t.Log(l)
		}
	}
	if !maps.Equal(got, truth) {
		t.Errorf("standby A after the partial reset: %s", diffCounts(got, truth))
	}
}
