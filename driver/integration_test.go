package driver_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const partitions = 4

// newCluster starts an embedded broker with the word count's topics.
func newCluster(t *testing.T) *testutil.Cluster {
	t.Helper()
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, topic := range []string{wordcount.InputTopic, wordcount.WordsTopic, wordcount.OutputTopic} {
		if err := c.CreateTopic(topic, partitions, nil); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// produceLines writes lines to the input topic (null keys, spread over partitions) and
// returns the word counts they add to truth.
func produceLines(t *testing.T, c *testutil.Cluster, lines []string, truth map[string]int64) {
	t.Helper()
	recs := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = &kgo.Record{Topic: wordcount.InputTopic, Value: []byte(l), Partition: int32(i % partitions)}
		for _, w := range strings.Fields(strings.ToLower(l)) {
			truth[w]++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
}

func lines(n, seed int) []string {
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := 0; j < 1+(i+seed)%5; j++ {
			fmt.Fprintf(&b, "%s ", words[(i*7+j*3+seed)%len(words)])
		}
		out[i] = b.String()
	}
	return out
}

func start(t *testing.T, c *testutil.Cluster, dir string, opts ...driver.Option) *driver.Driver {
	t.Helper()
	return startWith(t, c, dir, rocksdb.Supplier(wordcount.StoreName), opts...)
}

// startWith is start with the word count's store from supplier.
func startWith(t *testing.T, c *testutil.Cluster, dir string, supplier kv.Supplier, opts ...driver.Option) *driver.Driver {
	t.Helper()
	top, err := wordcount.Partitioned(supplier)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]driver.Option{
		driver.ApplicationID("wc"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(dir),
		driver.CommitInterval(100 * time.Millisecond), driver.Concurrency(2),
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

// latestOutput reads the output topic from the start and returns the last count per word.
func latestOutput(t *testing.T, c *testutil.Cluster) map[string]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics(wordcount.OutputTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]int64{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		f := cl.PollFetches(ctx)
		cancel()
		n := 0
		f.EachRecord(func(r *kgo.Record) {
			n++
			got[string(r.Key)] = int64(binary.BigEndian.Uint64(r.Value))
		})
		if n == 0 {
			return got
		}
	}
}

// storeContents reads the whole store through interactive queries.
func storeContents(t *testing.T, ds ...*driver.Driver) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, d := range ds {
		s, err := driver.KeyValueStore[string, int64](d, wordcount.StoreName)
		if errors.Is(err, driver.ErrStoreNotAvailable) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.All()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range cursor.All(c) {
			if _, dup := got[k]; dup {
				t.Errorf("key %q in two instances' stores", k)
			}
			got[k] = v
		}
		if err := c.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// eventually polls cond until it returns "" or the deadline passes.
func eventually(t *testing.T, what string, timeout time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if last = cond(); last == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not reached after %v: %s", what, timeout, last)
}

func diffCounts(got, want map[string]int64) string {
	if maps.Equal(got, want) {
		return ""
	}
	return fmt.Sprintf("got %v, want %v", got, want)
}

// An end-to-end word count over two sub-topologies, two workers and a RocksDB store with its
// changelog: the output topic's last count per word and the store both equal the truth.
func TestWordCountEndToEnd(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(500, 1), truth)
	var states []string
	var smu sync.Mutex
	d := start(t, c, t.TempDir(), driver.OnStateChange(func(n, o driver.State) {
		smu.Lock()
		states = append(states, n.String())
		smu.Unlock()
	}))
	eventually(t, "output", 30*time.Second, func() string { return diffCounts(latestOutput(t, c), truth) })
	eventually(t, "store", 10*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
	eventually(t, "state RUNNING", 30*time.Second, func() string {
		if s := d.State(); s != driver.Running {
			return s.String()
		}
		return ""
	})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	smu.Lock()
	defer smu.Unlock()
	if got := strings.Join(states, ","); !strings.HasPrefix(got, "REBALANCING,RUNNING") || !strings.HasSuffix(got, "PENDING_SHUTDOWN,NOT_RUNNING") {
		t.Errorf("state changes %s, want REBALANCING,RUNNING,...,PENDING_SHUTDOWN,NOT_RUNNING", got)
	}
	if _, err := driver.KeyValueStore[string, int64](d, wordcount.StoreName); !errors.Is(err, driver.ErrStoreNotAvailable) {
		t.Errorf("query after Close: %v, want ErrStoreNotAvailable", err)
	}
}

// countingListener counts restored records per store.
type countingListener struct {
	restored atomic.Int64
	starts   atomic.Int64
	ends     atomic.Int64
}

func (l *countingListener) OnRestoreStart(changelog.TopicPartition, string, int64, int64) {
	l.starts.Add(1)
}
func (l *countingListener) OnBatchRestored(changelog.TopicPartition, string, int64, int64) {}
func (l *countingListener) OnRestoreEnd(_ changelog.TopicPartition, _ string, total int64) {
	l.ends.Add(1)
	l.restored.Add(total)
}

// Restarts: with the state directory kept only the changelog's tail after the checkpoint is
// restored; with it deleted, or with a corrupt checkpoint, everything is; all three give the
// same store.
func TestRestartRestoration(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	dirA, dirB := t.TempDir(), t.TempDir()

	produceLines(t, c, lines(300, 2), truth)
	d := start(t, c, dirA)
	eventually(t, "first run", 30*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// A second run elsewhere moves the changelog on past dirA's checkpoint.
	produceLines(t, c, lines(200, 3), truth)
	d = start(t, c, dirB)
	eventually(t, "second run", 30*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	changelogRecords := countRecords(t, c, changelog.TopicName("wc", wordcount.StoreName))

	run := func(name, dir string, opts ...driver.Option) int64 {
		l := &countingListener{}
		d := start(t, c, dir, append(opts, driver.RestoreListener(l))...)
		eventually(t, name, 30*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		return l.restored.Load()
	}
	tail := run("restart with state kept", dirA)
	if tail <= 0 || tail >= changelogRecords {
		t.Errorf("restart with the state dir kept restored %d records, want only the tail (0 < n < %d)", tail, changelogRecords)
	}
	if err := os.RemoveAll(dirA); err != nil {
		t.Fatal(err)
	}
	if full := run("restart with state deleted", dirA, driver.RestoreBufferBytes(0)); full != changelogRecords {
		t.Errorf("restart with the state dir deleted restored %d records, want all %d", full, changelogRecords)
	}
	// Corrupt every checkpoint file.
	files, _ := filepath.Glob(filepath.Join(dirA, "wc", "*", changelog.CheckpointFile))
	if len(files) == 0 {
		t.Fatal("no checkpoint files written")
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("garbage\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if full := run("restart with corrupt checkpoints", dirA); full != changelogRecords {
		t.Errorf("restart with corrupt checkpoints restored %d records, want all %d", full, changelogRecords)
	}

	// A checkpoint before the changelog's log start (records deleted after it was written):
	// Kafka's restore consumer would hit OffsetOutOfRange and mark the task corrupted; the
	// task is wiped and restored from what the changelog still holds.
	produceLines(t, c, lines(100, 7), truth)
	d = start(t, c, dirB)
	eventually(t, "third run", 30*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	topic := changelog.TopicName("wc", wordcount.StoreName)
	var kept int64
	for p := range int32(partitions) {
		info := c.Kfake().PartitionInfo(topic, p)
		if err := c.Kfake().DeleteRecords(topic, p, info.HighWatermark); err != nil {
			t.Fatal(err)
		}
	}
	l := &countingListener{}
	d = start(t, c, dirA, driver.RestoreListener(l))
	eventually(t, "running after a checkpoint out of range", 30*time.Second, func() string {
		if s := d.State(); s != driver.Running {
			return fmt.Sprintf("state %s, err %v", s, d.Err())
		}
		return ""
	})
	if got := l.restored.Load(); got != kept {
		t.Errorf("restored %d records from the emptied changelog, want %d", got, kept)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func countRecords(t *testing.T, c *testutil.Cluster, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var n int64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		f := cl.PollFetches(ctx)
		cancel()
		got := f.NumRecords()
		if got == 0 {
			return n
		}
		n += int64(got)
	}
}

// sumTopology sums int64 values per key: its input can hold poison (values that are not
// 8 bytes).
func sumTopology(t *testing.T) *topology.Topology {
	b := topology.NewBuilder()
	topology.AddSource(b, "In", topology.Source[string, int64]{Topics: []string{"numbers"}, Keys: serde.String, Values: serde.Int64})
	topology.AddProcessor(b, "Sum", func() processor.Processor[string, int64, string, int64] {
		return &summer{}
	}, "In")
	b.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("sums"), serde.String, serde.Int64), "Sum")
	topology.AddSink(b, "Out", topology.Sink[string, int64]{Topic: "sums", Keys: serde.String, Values: serde.Int64}, "Sum")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

type summer struct {
	ctx  processor.Context[string, int64]
	sums *kv.Store[string, int64]
}

func (s *summer) Init(ctx processor.Context[string, int64]) (err error) {
	s.ctx = ctx
	s.sums, err = processor.KeyValueStore[string, int64](ctx, "sums")
	return err
}

func (s *summer) Process(r processor.Record[string, int64]) error {
	n, _, err := s.sums.Get(r.Key())
	if err != nil {
		return err
	}
	if err := s.sums.Put(r.Key(), n+r.Value()); err != nil {
		return err
	}
	return s.ctx.Forward(processor.NewRecord(r.Key(), n+r.Value(), r.Timestamp()))
}

func (s *summer) Close() error { return nil }

// produceNumbers writes good records (value 1) and, every 10th, a poison value of 3 bytes.
func produceNumbers(t *testing.T, c *testutil.Cluster, n int) (good map[string]int64, poison int) {
	good = map[string]int64{}
	var recs []*kgo.Record
	for i := range n {
		k := fmt.Sprintf("k%d", i%5)
		if i%10 == 9 {
			recs = append(recs, &kgo.Record{Topic: "numbers", Key: []byte(k), Value: []byte{1, 2, 3}, Partition: int32(i % 5 % 2)})
			poison++
			continue
		}
		recs = append(recs, &kgo.Record{Topic: "numbers", Key: []byte(k), Value: binary.BigEndian.AppendUint64(nil, 1), Partition: int32(i % 5 % 2)})
		good[k]++
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	return good, poison
}

func numbersCluster(t *testing.T) *testutil.Cluster {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, topic := range []string{"numbers", "sums", "dlq"} {
		if err := c.CreateTopic(topic, 2, nil); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func startSum(t *testing.T, c *testutil.Cluster, opts ...driver.Option) *driver.Driver {
	all := append([]driver.Option{
		driver.ApplicationID("sum"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
		driver.CommitInterval(100 * time.Millisecond), driver.Concurrency(1),
		driver.ClientOptions(kgo.FetchMaxWait(50 * time.Millisecond)),
	}, opts...)
	d, err := driver.New(sumTopology(t), all...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func sums(t *testing.T, d *driver.Driver) map[string]int64 {
	got := map[string]int64{}
	s, err := driver.KeyValueStore[string, int64](d, "sums")
	if err != nil {
		return got
	}
	c, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range cursor.All(c) {
		got[k] = v
	}
	return got
}

// Poison records with log-and-continue are skipped and counted; everything else is summed;
// with a dead-letter topic each one arrives there unchanged with headers saying what failed
// and where (KIP-1034).
func TestPoisonContinueAndDeadLetter(t *testing.T) {
	c := numbersCluster(t)
	good, poison := produceNumbers(t, c, 100)
	d := startSum(t, c, driver.DeserializationHandler(processor.LogAndContinue), driver.DeadLetterTopic("dlq"))
	eventually(t, "sums", 30*time.Second, func() string { return diffCounts(sums(t, d), good) })
	eventually(t, "dropped", 10*time.Second, func() string {
		if n := d.DroppedRecords(); n != int64(poison) {
			return fmt.Sprintf("dropped %d, want %d", n, poison)
		}
		return ""
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dead, err := c.Consume(ctx, "dlq", poison)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range dead {
		h := map[string]string{}
		for _, hd := range r.Headers {
			h[hd.Key] = string(hd.Value)
		}
		if string(r.Value) != "\x01\x02\x03" || h[driver.HeaderErrorTopic] != "numbers" || h[driver.HeaderErrorPartition] == "" ||
			h[driver.HeaderErrorOffset] == "" || !strings.Contains(h[driver.HeaderErrorMessage], "Int64") {
			t.Errorf("dead letter %q headers %v: want the poison value and headers naming numbers, its partition, offset and the serde", r.Value, h)
		}
	}
}

// With log-and-fail (the default) the application stops in ERROR with an error naming the
// topic, partition and offset of the poison record.
func TestPoisonFail(t *testing.T) {
	c := numbersCluster(t)
	produceNumbers(t, c, 20)
	d := startSum(t, c)
	select {
	case <-d.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("driver did not stop on a poison record")
	}
	err := d.Err()
	var de *processor.DeserializationError
	if !errors.As(err, &de) || de.Topic != "numbers" || de.Offset < 0 {
		t.Fatalf("Err() = %v, want a DeserializationError naming topic numbers, partition and offset", err)
	}
	if !strings.Contains(err.Error(), "numbers-") || !strings.Contains(err.Error(), "offset") {
		t.Errorf("error text %q does not name topic-partition and offset", err)
	}
	if d.State() != driver.Error {
		t.Errorf("state %s, want ERROR", d.State())
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// serveQueries starts an HTTP server for d's interactive queries on ln.
func serveQueries(t *testing.T, d *driver.Driver, ln net.Listener) {
	t.Helper()
	h := driver.NewQueryHandler(d)
	if err := driver.Serve[string, int64](h, wordcount.StoreName, serde.String, func(s string) (string, error) { return s, nil }); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// Two instances in one process: when the second joins, tasks move to it and their stores
// are restored from the changelog; the counts stay right, and each instance's HTTP handler
// answers for every key, forwarding to the other instance when the key lives there.
func TestTwoInstances(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(300, 4), truth)
	ln1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d1 := start(t, c, t.TempDir(), driver.ApplicationServer(ln1.Addr().String()), driver.Logger(discardLogger()))
	serveQueries(t, d1, ln1)
	eventually(t, "first instance alone", 30*time.Second, func() string { return diffCounts(storeContents(t, d1), truth) })

	restored := &countingListener{}
	d2 := start(t, c, t.TempDir(), driver.ApplicationServer(ln2.Addr().String()), driver.RestoreListener(restored), driver.Logger(discardLogger()))
	serveQueries(t, d2, ln2)
	produceLines(t, c, lines(200, 5), truth)
	eventually(t, "both instances running", 30*time.Second, func() string {
		if d1.State() != driver.Running || d2.State() != driver.Running || len(d1.LocalTasks()) == 0 || len(d2.LocalTasks()) == 0 {
			return fmt.Sprintf("states %s/%s, tasks %v/%v", d1.State(), d2.State(), d1.LocalTasks(), d2.LocalTasks())
		}
		return ""
	})
	eventually(t, "counts across both", 30*time.Second, func() string { return diffCounts(storeContents(t, d1, d2), truth) })
	eventually(t, "output", 30*time.Second, func() string { return diffCounts(latestOutput(t, c), truth) })
	if restored.restored.Load() == 0 {
		t.Errorf("the second instance restored no changelog records; want the moved tasks' state restored")
	}
	if md := d1.AllMetadata(); len(md) != 2 {
		t.Errorf("AllMetadata() = %v, want 2 hosts", md)
	}

	// Every key through each instance's HTTP handler; some are forwarded.
	forwarded := 0
	for _, base := range []string{"http://" + ln1.Addr().String(), "http://" + ln2.Addr().String()} {
		for w, n := range truth {
			var got struct {
				Key   string `json:"key"`
				Value int64  `json:"value"`
			}
			if code := getJSON(t, base+"/stores/Counts/keys/"+w, &got); code != http.StatusOK || got.Key != w || got.Value != n {
				t.Errorf("GET %s/stores/Counts/keys/%s = %d %+v, want 200 %s=%d", base, w, code, got, w, n)
			}
			md, err := driver.QueryMetadataForKey(d1, wordcount.StoreName, w, serde.String)
			if err != nil {
				t.Fatal(err)
			}
			if md.ActiveHost.String() != strings.TrimPrefix(base, "http://") {
				forwarded++
			}
		}
		var all []struct {
			Key   string `json:"key"`
			Value int64  `json:"value"`
		}
		if code := getJSON(t, base+"/stores/Counts/all", &all); code != http.StatusOK {
			t.Fatalf("GET /all: %d", code)
		}
		got := map[string]int64{}
		for i, e := range all {
			got[e.Key] = e.Value
			if i > 0 && all[i-1].Key >= e.Key {
				t.Errorf("GET %s/all not sorted at %d: %q after %q", base, i, e.Key, all[i-1].Key)
			}
		}
		if d := diffCounts(got, truth); d != "" {
			t.Errorf("GET %s/stores/Counts/all: %s", base, d)
		}
	}
	if forwarded == 0 {
		t.Errorf("no key lookup was forwarded: every key on one instance?")
	}
	var missing map[string]string
	if code := getJSON(t, "http://"+ln1.Addr().String()+"/stores/Counts/keys/nope", &missing); code != http.StatusNotFound {
		t.Errorf("GET an absent key = %d, want 404", code)
	}
}

// A produce fault injected on the output topic (a retriable NOT_LEADER_OR_FOLLOWER, several
// times) is retried by the client: no output is lost and the application keeps running.
func TestProduceFaultRetried(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: wordcount.OutputTopic, Err: kerr.NotLeaderForPartition, Count: 5})
	produceLines(t, c, lines(200, 6), truth)
	d := start(t, c, t.TempDir(), driver.Logger(discardLogger()))
	eventually(t, "output despite faults", 30*time.Second, func() string { return diffCounts(latestOutput(t, c), truth) })
	if h.Hits() == 0 {
		t.Errorf("the fault never fired")
	}
	if err := d.Err(); err != nil {
		t.Errorf("driver failed: %v", err)
	}
}
