package driver_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// readTopic reads topic from the start with the given isolation level and returns its
// records in order (per partition).
func readTopic(t *testing.T, c *testutil.Cluster, topic string, committed bool) []*kgo.Record {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50 * time.Millisecond)}
	if committed {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		f := cl.PollFetches(ctx)
		cancel()
		n := 0
		f.EachRecord(func(r *kgo.Record) {
			n++
			out = append(out, r)
		})
		if n == 0 {
			return out
		}
	}
}

// committedCounts is the last count per word in the output topic, read with read_committed.
func committedCounts(t *testing.T, c *testutil.Cluster) map[string]int64 {
	got := map[string]int64{}
	for _, r := range readTopic(t, c, wordcount.OutputTopic, true) {
		got[string(r.Key)] = int64(binary.BigEndian.Uint64(r.Value))
	}
	return got
}

// The word count under exactly_once_v2: the committed output and the store equal the truth.
func TestEOSWordCount(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(500, 1), truth)
	d := start(t, c, t.TempDir(), driver.Guarantee(driver.ExactlyOnceV2))
	eventually(t, "committed output", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	eventually(t, "store", 10*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
	produceLines(t, c, lines(300, 2), truth)
	eventually(t, "committed output, second batch", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Every count the output holds is one a run could commit: counts per word only grow by
	// one at a time within a partition of the output, with no repeats from a retry.
	seen := map[string]int64{}
	for _, r := range readTopic(t, c, wordcount.OutputTopic, true) {
		n := int64(binary.BigEndian.Uint64(r.Value))
		if n <= seen[string(r.Key)] {
			t.Fatalf("word %q: count %d after %d in the committed output", r.Key, n, seen[string(r.Key)])
		}
		seen[string(r.Key)] = n
	}
}

// A crash (no commit, no abort, no checkpoint) with records processed but not committed,
// then a restart on the same state directory: the dirty stores are wiped and restored from
// the committed changelog, the open transaction is fenced and aborted, and the counts are
// exact — nothing processed before the crash is counted twice.
func TestEOSCrashRestart(t *testing.T) {
	c := newCluster(t)
	dir := t.TempDir()
	truth := map[string]int64{}
	produceLines(t, c, lines(400, 1), truth)
	d := start(t, c, dir, driver.Guarantee(driver.ExactlyOnceV2), driver.CommitInterval(time.Hour))
	// With an hour's commit interval nothing commits while running: wait until the
	// records are processed, then crash.
	eventually(t, "processing", 30*time.Second, func() string {
		if d.ProcessedRecords() < 400 {
			return "not yet"
		}
		return ""
	})
	driver.Crash(d)
	if got := committedCounts(t, c); len(got) != 0 {
		t.Fatalf("committed output after a crash before any commit: %v", got)
	}
	d = start(t, c, dir, driver.Guarantee(driver.ExactlyOnceV2))
	eventually(t, "committed output after restart", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	eventually(t, "store after restart", 10*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })

	// A second crash after commits and with more records in flight.
	produceLines(t, c, lines(300, 2), truth)
	eventually(t, "committed output, second batch", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = start(t, c, dir, driver.Guarantee(driver.ExactlyOnceV2), driver.CommitInterval(time.Hour))
	produceLines(t, c, lines(200, 3), truth)
	eventually(t, "processing before the second crash", 30*time.Second, func() string {
		if d.ProcessedRecords() < 200 {
			return "not yet"
		}
		return ""
	})
	driver.Crash(d)
	d = start(t, c, dir, driver.Guarantee(driver.ExactlyOnceV2))
	eventually(t, "committed output after the second restart", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	eventually(t, "store after the second restart", 10*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
}

// failer forwards its records, failing on the value "boom".
type failer struct {
	ctx processor.Context[string, string]
}

func (f *failer) Init(ctx processor.Context[string, string]) error { f.ctx = ctx; return nil }
func (f *failer) Process(r processor.Record[string, string]) error {
	if r.Value() == "boom" {
		time.Sleep(200 * time.Millisecond) // the records forwarded before reach the broker
		return errBoom
	}
	return f.ctx.Forward(r)
}
func (f *failer) Close() error { return nil }

type boomError struct{}

func (boomError) Error() string { return "boom" }

var errBoom error = boomError{}

// A processing failure under exactly_once_v2 aborts the open transaction: the records
// forwarded before the failure in the same transaction are never visible to read_committed
// consumers.
func TestEOSAbortedTransactionInvisible(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, topic := range []string{"eos-in", "eos-out"} {
		if err := c.CreateTopic(topic, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	tb := topology.NewBuilder()
	topology.AddSource(tb, "In", topology.Source[string, string]{Topics: []string{"eos-in"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(tb, "Fail", func() processor.Processor[string, string, string, string] { return &failer{} }, "In")
	topology.AddSink(tb, "Out", topology.Sink[string, string]{Topic: "eos-out", Keys: serde.String, Values: serde.String}, "Fail")
	top, err := tb.Build()
	if err != nil {
		t.Fatal(err)
	}
	produce := func(vals ...string) {
		recs := make([]*kgo.Record, len(vals))
		for i, v := range vals {
			recs[i] = &kgo.Record{Topic: "eos-in", Key: []byte("k"), Value: []byte(v)}
		}
		if err := c.Produce(context.Background(), recs...); err != nil {
			t.Fatal(err)
		}
	}
	d, err := driver.New(top, driver.ApplicationID("eos-abort"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
		driver.Guarantee(driver.ExactlyOnceV2), driver.Concurrency(1), driver.Logger(discardLogger()),
		driver.ClientOptions(kgo.FetchMaxWait(50*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	produce("a", "b", "c")
	eventually(t, "first records committed", 30*time.Second, func() string {
		if n := len(readTopic(t, c, "eos-out", true)); n != 3 {
			return strings.Repeat("x", n)
		}
		return ""
	})
	// One fetch: the forwarded records join the open transaction, then "boom" fails it.
	produce("d", "e", "f", "boom")
	select {
	case <-d.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("driver did not stop after the processing error")
	}
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("driver error %v, want the processing error", err)
	}
	var got []string
	for _, r := range readTopic(t, c, "eos-out", true) {
		got = append(got, string(r.Value))
	}
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("read_committed output %v, want [a b c]", got)
	}
	// The aborted records were written (read_uncommitted sees them): only the abort hides them.
	if n := len(readTopic(t, c, "eos-out", false)); n != 6 {
		t.Errorf("read_uncommitted sees %d records, want 6 (3 committed, 3 aborted)", n)
	}
}

// A transaction that cannot commit because the group says the member's generation is gone
// (TxnOffsetCommit fails with ILLEGAL_GENERATION, as after a rebalance the member missed, or
// with the producer's epoch fenced on EndTxn) is aborted, the worker's tasks are closed dirty,
// wiped and restored, and the worker rejoins: the committed counts stay exact.
func TestEOSFencedCommit(t *testing.T) {
	for _, f := range []struct {
		name string
		key  kmsg.Key
		err  *kerr.Error
	}{
		{"TxnOffsetCommit ILLEGAL_GENERATION", kmsg.TxnOffsetCommit, kerr.IllegalGeneration},
		{"TxnOffsetCommit UNKNOWN_MEMBER_ID", kmsg.TxnOffsetCommit, kerr.UnknownMemberID},
		{"EndTxn INVALID_PRODUCER_EPOCH", kmsg.EndTxn, kerr.InvalidProducerEpoch},
		{"EndTxn PRODUCER_FENCED", kmsg.EndTxn, kerr.ProducerFenced},
	} {
		t.Run(f.name, func(t *testing.T) {
			c := newCluster(t)
			truth := map[string]int64{}
			produceLines(t, c, lines(300, 1), truth)
			l := &countingListener{}
			d := start(t, c, t.TempDir(), driver.Guarantee(driver.ExactlyOnceV2), driver.Logger(discardLogger()), driver.RestoreListener(l))
			eventually(t, "committed output", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
			before := l.restored.Load()
			h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{f.key}, Err: f.err, Count: 2})
			produceLines(t, c, lines(300, 2), truth)
			eventually(t, "committed output after the fenced commits", 30*time.Second, func() string {
				return diffCounts(committedCounts(t, c), truth)
			})
			eventually(t, "store", 30*time.Second, func() string { return diffCounts(storeContents(t, d), truth) })
			if h.Hits() == 0 {
				t.Errorf("the fault never fired")
			}
			if l.restored.Load() == before {
				t.Errorf("no changelog record restored after the fenced commits: the dirty tasks were not wiped and restored")
			}
			if err := d.Err(); err != nil {
				t.Errorf("driver failed: %v", err)
			}
		})
	}
}

// Rebalances under exactly_once_v2: a second instance joins while records flow (the first
// commits its open transaction when its tasks are revoked), then the first leaves; the
// committed output's counts are exact and never repeat or go back (no record counted twice).
func TestEOSTwoInstances(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(300, 4), truth)
	d1 := start(t, c, t.TempDir(), driver.Guarantee(driver.ExactlyOnceV2), driver.Logger(discardLogger()))
	eventually(t, "first instance alone", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			produceLines(t, c, lines(50, 10+i), truth)
			time.Sleep(30 * time.Millisecond)
		}
	}()
	d2 := start(t, c, t.TempDir(), driver.Guarantee(driver.ExactlyOnceV2), driver.Logger(discardLogger()))
	<-done
	eventually(t, "both instances running", 30*time.Second, func() string {
		if d1.State() != driver.Running || d2.State() != driver.Running || len(d1.LocalTasks()) == 0 || len(d2.LocalTasks()) == 0 {
			return fmt.Sprintf("states %s/%s, tasks %v/%v", d1.State(), d2.State(), d1.LocalTasks(), d2.LocalTasks())
		}
		return ""
	})
	produceLines(t, c, lines(100, 20), truth)
	eventually(t, "both instances", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	produceLines(t, c, lines(200, 30), truth)
	eventually(t, "second instance alone", 30*time.Second, func() string { return diffCounts(committedCounts(t, c), truth) })
	eventually(t, "store", 30*time.Second, func() string { return diffCounts(storeContents(t, d2), truth) })
	seen := map[string]int64{}
	for _, r := range readTopic(t, c, wordcount.OutputTopic, true) {
		n := int64(binary.BigEndian.Uint64(r.Value))
		if n <= seen[string(r.Key)] {
			t.Fatalf("word %q: count %d after %d in the committed output", r.Key, n, seen[string(r.Key)])
		}
		seen[string(r.Key)] = n
	}
}
