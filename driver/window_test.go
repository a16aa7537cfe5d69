package driver_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// windowCounter counts each key's records per tumbling 1-minute window (the window start is
// the timestamp rounded down to the minute, as Kafka's TimeWindows.ofSizeWithNoGrace(1 min)
// places a record).
type windowCounter struct {
	store *window.Store[string, int64]
}

func (c *windowCounter) Init(ctx processor.Context[string, string]) (err error) {
	c.store, err = processor.WindowStore[string, int64](ctx, "per-minute")
	return err
}

func (c *windowCounter) Process(r processor.Record[string, string]) error {
	start := r.Timestamp() - r.Timestamp()%60_000
	n, _, err := c.store.Get(r.Key(), start)
	if err != nil {
		return err
	}
	return c.store.Put(r.Key(), n+1, start)
}

func (c *windowCounter) Close() error { return nil }

// A Processor-API tumbling-window count in a RocksDB window store on the Kafka runtime:
// queried in process (Fetch, FetchAll) and over HTTP, its changelog compact,delete with
// retention + 1 day.
func TestWindowStoreOnKafka(t *testing.T) {
	for _, caching := range []bool{false, true} {
		t.Run(fmt.Sprintf("caching=%v", caching), func(t *testing.T) { testWindowStoreOnKafka(t, caching) })
	}
}

func testWindowStoreOnKafka(t *testing.T, caching bool) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic("views", 2, nil); err != nil {
		t.Fatal(err)
	}
	sup, err := rocksdb.WindowSupplier("per-minute", window.Options{WindowSize: time.Minute, Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b := topology.NewBuilder()
	topology.AddSource(b, "views", topology.Source[string, string]{Topics: []string{"views"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "count", func() processor.Processor[string, string, string, string] { return &windowCounter{} }, "views")
	wb := window.NewBuilder(sup, serde.String, serde.Int64)
	if caching {
		wb.WithCachingEnabled() // the record cache in front of the segments
	}
	b.AddStateStore(wb, "count")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d, err := driver.New(top, driver.ApplicationID("win"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
		driver.CommitInterval(100*time.Millisecond), driver.Concurrency(1), driver.ApplicationServer(ln.Addr().String()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	h := driver.NewQueryHandler(d)
	if err := driver.ServeWindow[string, int64](h, "per-minute", serde.String, func(s string) (string, error) { return s, nil }); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	wantAll := "[about@60000-120000=1 home@0-60000=2 home@60000-120000=1]"
	checkAll := func(d *driver.Driver) func() string {
		return func() string {
			s, err := driver.WindowStore[string, int64](d, "per-minute")
			if err != nil {
				return err.Error()
			}
			cur, err := s.FetchAll(0, 120_000)
			if err != nil {
				return err.Error()
			}
			var got []string
			for w, n := range cursor.All(cur) {
				got = append(got, fmt.Sprintf("%s@%d-%d=%d", w.Key, w.Start, w.End, n))
			}
			if fmt.Sprint(got) != wantAll {
				return fmt.Sprintf("FetchAll = %v, want %s", got, wantAll)
			}
			return ""
		}
	}

	view := func(page string, ts int64, p int32) *kgo.Record {
		return &kgo.Record{Topic: "views", Key: []byte(page), Value: []byte("v"), Timestamp: time.UnixMilli(ts), Partition: p}
	}
	// home: 2 views in minute 0, 1 in minute 1; about: 1 in minute 1.
	if err := c.Produce(context.Background(), view("home", 1_000, 0), view("home", 59_999, 0), view("home", 60_000, 0), view("about", 61_000, 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "windows", 30*time.Second, checkAll(d))
	var got []struct {
		Key   string `json:"key"`
		Start int64  `json:"start"`
		End   int64  `json:"end"`
		Value int64  `json:"value"`
	}
	if code := getJSON(t, "http://"+ln.Addr().String()+"/stores/per-minute/windows/home?from=0&to=59999", &got); code != http.StatusOK ||
		len(got) != 1 || got[0].Start != 0 || got[0].End != 60_000 || got[0].Value != 2 {
		t.Errorf("GET windows/home?from=0&to=59999 = %d %+v, want [home 0-60000 = 2]", code, got)
	}
	got = nil
	if code := getJSON(t, "http://"+ln.Addr().String()+"/stores/per-minute/windows?from=60000&to=60000", &got); code != http.StatusOK || len(got) != 2 {
		t.Errorf("GET windows?from=60000&to=60000 = %d %+v, want the two windows starting at 60000", code, got)
	}
	info := c.Kfake().TopicInfo("win-per-minute-changelog")
	if info == nil || info.Configs["cleanup.policy"] == nil || *info.Configs["cleanup.policy"] != "compact,delete" ||
		info.Configs["retention.ms"] == nil || *info.Configs["retention.ms"] != "90000000" {
		t.Errorf("changelog topic info %+v, want cleanup.policy=compact,delete and retention.ms=90000000", info)
	}

	// Another instance with an empty state directory restores the windows from the changelog
	// into its segments.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2, err := driver.New(top, driver.ApplicationID("win"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
		driver.CommitInterval(100*time.Millisecond), driver.Concurrency(1), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	eventually(t, "windows restored", 30*time.Second, checkAll(d2))
}
