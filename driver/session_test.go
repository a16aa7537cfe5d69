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
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// sessionCounter counts each key's events per session (gap 5 s) with session.Merge.
type sessionCounter struct {
	store *session.Store[string, int64]
	agg   session.Aggregator[string, string, int64]
}

func (s *sessionCounter) Init(ctx processor.Context[string, string]) (err error) {
	s.store, err = processor.SessionStore[string, int64](ctx, "sessions")
	s.agg = session.Aggregator[string, string, int64]{
		Gap:   5 * time.Second,
		Init:  func() int64 { return 0 },
		Add:   func(_ string, _ string, n int64) int64 { return n + 1 },
		Merge: func(_ string, a, b int64) int64 { return a + b },
	}
	return err
}

func (s *sessionCounter) Process(r processor.Record[string, string]) error {
	_, err := session.Merge(s.store, s.agg, r.Key(), r.Value(), r.Timestamp(), r.Timestamp())
	return err
}

func (s *sessionCounter) Close() error { return nil }

func sessionTopology(t *testing.T) *topology.Topology {
	t.Helper()
	sup, err := rocksdb.SessionSupplier("sessions", session.Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b := topology.NewBuilder()
	topology.AddSource(b, "clicks", topology.Source[string, string]{Topics: []string{"clicks"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "sessionize", func() processor.Processor[string, string, string, string] { return &sessionCounter{} }, "clicks")
	b.AddStateStore(session.NewBuilder(sup, serde.String, serde.Int64), "sessionize")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// The kstreams-clj example through the Kafka runtime: with a gap of 5 s, clicks at 10, 12 and
// 20 s make two sessions, and a late click at 16 s merges them into one [10 s, 20 s] of 4
// clicks; the store is a RocksDB session store with its compact,delete changelog, queried in
// process and over HTTP.
func TestSessionStoreOnKafka(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic("clicks", 2, nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d, err := driver.New(sessionTopology(t), driver.ApplicationID("sess"), driver.BootstrapServers(c.Addrs()...),
		driver.StateDir(t.TempDir()), driver.CommitInterval(100*time.Millisecond), driver.Concurrency(1),
		driver.ApplicationServer(ln.Addr().String()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	h := driver.NewQueryHandler(d)
	if err := driver.ServeSession[string, int64](h, "sessions", serde.String, func(s string) (string, error) { return s, nil }); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	click := func(ts int64) *kgo.Record {
		return &kgo.Record{Topic: "clicks", Key: []byte("alice"), Value: []byte("click"), Timestamp: time.UnixMilli(ts), Partition: 0}
	}
	if err := c.Produce(context.Background(), click(10_000), click(12_000), click(20_000)); err != nil {
		t.Fatal(err)
	}
	type sess struct{ start, end, n int64 }
	read := func() ([]sess, error) {
		s, err := driver.SessionStore[string, int64](d, "sessions")
		if err != nil {
			return nil, err
		}
		cur, err := s.Fetch("alice")
		if err != nil {
			return nil, err
		}
		var out []sess
		for w, n := range cursor.All(cur) {
			out = append(out, sess{w.Start, w.End, n})
		}
		return out, cur.Err()
	}
	wantSessions := func(want ...sess) func() string {
		return func() string {
			got, err := read()
			if err != nil {
				return err.Error()
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Sprintf("sessions %v, want %v", got, want)
			}
			return ""
		}
	}
	eventually(t, "two sessions", 30*time.Second, wantSessions(sess{10_000, 12_000, 2}, sess{20_000, 20_000, 1}))
	if err := c.Produce(context.Background(), click(16_000)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "merged", 30*time.Second, wantSessions(sess{10_000, 20_000, 4}))

	var got []struct {
		Key   string `json:"key"`
		Start int64  `json:"start"`
		End   int64  `json:"end"`
		Value int64  `json:"value"`
	}
	if code := getJSON(t, "http://"+ln.Addr().String()+"/stores/sessions/sessions/alice?from=0&to=30000", &got); code != http.StatusOK ||
		len(got) != 1 || got[0].Start != 10_000 || got[0].End != 20_000 || got[0].Value != 4 {
		t.Errorf("GET /stores/sessions/sessions/alice = %d %+v, want one session [10000, 20000] of 4", code, got)
	}
	// The changelog is compact,delete with retention + 1 day (Kafka's
	// WindowedChangelogTopicConfig): 1 h + 24 h = 90000000 ms.
	info := c.Kfake().TopicInfo("sess-sessions-changelog")
	if info == nil || info.Configs["cleanup.policy"] == nil || *info.Configs["cleanup.policy"] != "compact,delete" ||
		info.Configs["retention.ms"] == nil || *info.Configs["retention.ms"] != "90000000" {
		t.Errorf("changelog topic info %+v, want cleanup.policy=compact,delete and retention.ms=90000000", info)
	}
	var notKV map[string]string
	if code := getJSON(t, "http://"+ln.Addr().String()+"/stores/sessions/keys/alice", &notKV); code != http.StatusNotFound {
		t.Errorf("key-value route on a session store = %d, want 404", code)
	}
}
