package changelog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/store/kv"
)

// broker is an in-process kfake cluster with a producer and an admin client.
type broker struct {
	c     *kfake.Cluster
	prod  *kgo.Client
	admin *kadm.Client
}

func newBroker(t testing.TB, opts ...kfake.Opt) *broker {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	return &broker{c: c, prod: prod, admin: kadm.NewClient(prod)}
}

// topic creates a compacted changelog topic.
func (br *broker) topic(t testing.TB, name string, partitions int32) {
	t.Helper()
	cfg := map[string]*string{}
	for k, v := range changelog.KeyValueTopicConfig() {
		cfg[k] = &v
	}
	resp, err := br.admin.CreateTopic(context.Background(), partitions, 1, cfg, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
}

// produce writes records to topic-partition, in ProduceSync calls of at most chunk records
// (so in several batches, which compaction needs).
func (br *broker) produce(t testing.TB, topic string, partition int32, chunk int, recs []kv.Entry) {
	t.Helper()
	for len(recs) > 0 {
		n := min(chunk, len(recs))
		krs := make([]*kgo.Record, n)
		for i, e := range recs[:n] {
			r := &kgo.Record{Topic: topic, Partition: partition, Key: e.Key, Value: e.Value}
			if e.Delete {
				r.Value = nil
			} else if r.Value == nil {
				r.Value = []byte{}
			}
			krs[i] = r
		}
		if err := br.prod.ProduceSync(context.Background(), krs...).FirstErr(); err != nil {
			t.Fatalf("producing: %v", err)
		}
		recs = recs[n:]
	}
}

// restorer returns a Restorer on a new client of the cluster.
func (br *broker) restorer(t testing.TB, opts ...changelog.RestoreOption) *changelog.Restorer {
	t.Helper()
	return br.restorerWith(t, nil, opts...)
}

func (br *broker) restorerWith(t testing.TB, kopts []kgo.Opt, opts ...changelog.RestoreOption) *changelog.Restorer {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(br.c.ListenAddrs()...)}, kopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return changelog.NewRestorer(cl, kadm.NewClient(cl), opts...)
}

// changelogRecords returns n random writes over keys keys: puts (some of empty values) and
// tombstones.
func changelogRecords(rng *rand.Rand, n, keys int) []kv.Entry {
	out := make([]kv.Entry, n)
	for i := range out {
		k := fmt.Appendf(nil, "key-%05d", rng.IntN(keys))
		switch r := rng.IntN(10); {
		case r == 0:
			out[i] = kv.Entry{Key: k, Delete: true}
		case r == 1:
			out[i] = kv.Entry{Key: k, Value: []byte{}}
		default:
			out[i] = kv.Entry{Key: k, Value: fmt.Appendf(nil, "value-%d", i)}
		}
	}
	return out
}

// truth is the last value per key, deletes applied: the records applied in order. Records
// without a key (a nil Key) are skipped, as Restore skips them.
func truth(recs []kv.Entry) map[string]string {
	m := map[string]string{}
	for _, e := range recs {
		if e.Key == nil {
			continue
		}
		if e.Delete {
			delete(m, string(e.Key))
		} else {
			m[string(e.Key)] = string(e.Value)
		}
	}
	return m
}

// listenerLog records the listener's calls.
type listenerLog struct {
	mu      sync.Mutex
	starts  map[string][2]int64
	batches map[string][][2]int64 // batch end offset, count
	ends    map[string]int64
	order   []string
}

func newListenerLog() *listenerLog {
	return &listenerLog{starts: map[string][2]int64{}, batches: map[string][][2]int64{}, ends: map[string]int64{}}
}

func (l *listenerLog) OnRestoreStart(tp changelog.TopicPartition, store string, start, end int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.starts[store] = [2]int64{start, end}
	l.order = append(l.order, "start "+store)
}

func (l *listenerLog) OnBatchRestored(tp changelog.TopicPartition, store string, batchEnd, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batches[store] = append(l.batches[store], [2]int64{batchEnd, n})
}

func (l *listenerLog) OnRestoreEnd(tp changelog.TopicPartition, store string, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ends[store] = total
	l.order = append(l.order, "end "+store)
}

const ctopic = "app-store-changelog"

func TestRestoreFromTheStart(t *testing.T) {
	br := newBroker(t)
	br.topic(t, ctopic, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	recs := changelogRecords(rng, 3000, 200)
	br.produce(t, ctopic, 1, 500, recs)
	br.produce(t, ctopic, 0, 500, changelogRecords(rng, 100, 10)) // another task's partition

	for _, tc := range []struct {
		name     string
		buffer   int64
		maxBatch int64
	}{
		// The default: one window, written in batches of 128 keys, told as one batch of
		// the 3000 records.
		{"dedup", changelog.DefaultRestoreBufferBytes, 3000},
		// Windows of about 60 records.
		{"small-windows", 16 << 10, 3000},
		// No deduplication: batches of 128 records, in log order.
		{"direct", 0, 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ll := newListenerLog()
			rec := &recordingEngine{Engine: kv.NewMemory("store")}
			r := br.restorer(t, changelog.BatchSize(128), changelog.Listener(ll), changelog.RestoreBufferBytes(tc.buffer))
			tp := changelog.TopicPartition{Topic: ctopic, Partition: 1}
			got, err := r.Restore(context.Background(), []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: rec}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[changelog.TopicPartition]int64{tp: 3000}, got); diff != "" {
				t.Errorf("next offsets (-want +got):\n%s", diff)
			}
			// Empty values come back present and empty, tombstones as deletes.
			if diff := cmp.Diff(truth(recs), contents(t, rec)); diff != "" {
				t.Errorf("restored store (-truth +got):\n%s", diff)
			}
			checkListener(t, ll, "store", 0, 3000, 3000, tc.maxBatch)
			rec.checkBatches(t, 128, tc.buffer > 0)
			if n := rec.entries(); tc.buffer > 0 && n >= 3000 || tc.buffer == 0 && n != 3000 {
				t.Errorf("%d entries written for 3000 records", n)
			}
		})
	}
}

// recordingEngine records the keys of the batches written to it.
type recordingEngine struct {
	kv.Engine
	mu      sync.Mutex
	batches [][]string
}

func (r *recordingEngine) Write(batch []kv.Entry) error {
	keys := make([]string, len(batch))
	for i, e := range batch {
		keys[i] = string(e.Key)
	}
	r.mu.Lock()
	r.batches = append(r.batches, keys)
	r.mu.Unlock()
	return r.Engine.Write(batch)
}

// entries returns the number of entries written.
func (r *recordingEngine) entries() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.batches {
		n += len(b)
	}
	return n
}

// checkBatches checks that no batch was empty or bigger than size and, if sorted, that each
// batch's keys increase (a window writes each key once, in order).
func (r *recordingEngine) checkBatches(t *testing.T, size int, sorted bool) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, b := range r.batches {
		if len(b) == 0 || len(b) > size {
			t.Errorf("batch %d has %d entries, want 1..%d", i, len(b), size)
		}
		for j := 1; sorted && j < len(b); j++ {
			if b[j-1] >= b[j] {
				t.Errorf("batch %d: key %q after %q: want increasing keys", i, b[j], b[j-1])
				break
			}
		}
	}
}

// checkListener checks what Kafka's StateRestoreListener would be told: start with the
// start and end offsets, batches of 1..maxBatch records whose counts add up to the total
// and whose end offsets increase up to the last record, and the end with the total.
func checkListener(t *testing.T, ll *listenerLog, store string, start, end, total int64, maxBatch int64) {
	t.Helper()
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if got := ll.starts[store]; got != [2]int64{start, end} {
		t.Errorf("OnRestoreStart(%s) offsets = %v, want [%d %d]", store, got, start, end)
	}
	var sum int64
	prev := start - 1
	for _, bt := range ll.batches[store] {
		if bt[0] <= prev || bt[0] >= end || bt[1] <= 0 || bt[1] > maxBatch || bt[1] > bt[0]-prev {
			t.Errorf("OnBatchRestored(%s) = %v after %d, want increasing offsets below %d and 1..%d records, no more than the offsets since the last batch", store, bt, prev, end, maxBatch)
		}
		prev = bt[0]
		sum += bt[1]
	}
	if sum != total {
		t.Errorf("OnBatchRestored(%s) counts add up to %d, want %d", store, sum, total)
	}
	if got, ok := ll.ends[store]; !ok || got != total {
		t.Errorf("OnRestoreEnd(%s) total = %d (called: %v), want %d", store, got, ok, total)
	}
}

// TestRestoreFromCheckpoint: from a checkpointed offset only the tail is restored, over
// what the store holds (Kafka's StoreChangelogReader seeks to the checkpoint).
func TestRestoreFromCheckpoint(t *testing.T) {
	br := newBroker(t)
	br.topic(t, ctopic, 1)
	rng := rand.New(rand.NewPCG(3, 4))
	recs := changelogRecords(rng, 2000, 300)
	br.produce(t, ctopic, 0, 333, recs)

	mem := kv.NewMemory("store")
	tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
	ll := newListenerLog()
	got, err := br.restorer(t, changelog.Listener(ll)).Restore(context.Background(),
		[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem, From: 1500}})
	if err != nil {
		t.Fatal(err)
	}
	if got[tp] != 2000 {
		t.Errorf("next offset = %d, want 2000", got[tp])
	}
	if diff := cmp.Diff(truth(recs[1500:]), contents(t, mem)); diff != "" {
		t.Errorf("restored store (-tail +got):\n%s", diff)
	}
	checkListener(t, ll, "store", 1500, 2000, 500, changelog.DefaultRestoreBatchSize)

	// Restoring again from the returned offset restores nothing.
	got, err = br.restorer(t).Restore(context.Background(),
		[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem, From: got[tp]}})
	if err != nil || got[tp] != 2000 {
		t.Errorf("second restore = %v, %v", got, err)
	}
}

func TestRestoreEmptyChangelog(t *testing.T) {
	br := newBroker(t)
	br.topic(t, ctopic, 1)
	tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
	ll := newListenerLog()
	mem := kv.NewMemory("store")
	got, err := br.restorer(t, changelog.Listener(ll)).Restore(context.Background(),
		[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[changelog.TopicPartition]int64{tp: 0}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n, _ := mem.ApproximateNumEntries(); n != 0 {
		t.Errorf("store has %d entries", n)
	}
	checkListener(t, ll, "store", 0, 0, 0, 1)

	got, err = br.restorer(t).Restore(context.Background(), nil)
	if err != nil || len(got) != 0 {
		t.Errorf("Restore(no targets) = %v, %v", got, err)
	}
}

// TestRestoreSeveralStores restores three stores at once, one with nothing to restore, and
// checks the listener's calls for each.
func TestRestoreSeveralStores(t *testing.T) {
	br := newBroker(t)
	br.topic(t, "app-a-changelog", 3)
	br.topic(t, "app-b-changelog", 3)
	rng := rand.New(rand.NewPCG(5, 6))
	ra := changelogRecords(rng, 1234, 50)
	rb := changelogRecords(rng, 4321, 700)
	br.produce(t, "app-a-changelog", 2, 100, ra)
	br.produce(t, "app-b-changelog", 2, 1000, rb)

	ll := newListenerLog()
	a, bs, c := kv.NewMemory("a"), kv.NewMemory("b"), kv.NewMemory("c")
	tpa := changelog.TopicPartition{Topic: "app-a-changelog", Partition: 2}
	tpb := changelog.TopicPartition{Topic: "app-b-changelog", Partition: 2}
	tpc := changelog.TopicPartition{Topic: "app-b-changelog", Partition: 0}
	got, err := br.restorer(t, changelog.Listener(ll), changelog.BatchSize(300)).Restore(context.Background(), []changelog.RestoreTarget{
		{Store: "a", TopicPartition: tpa, Engine: a},
		{Store: "b", TopicPartition: tpb, Engine: bs},
		{Store: "c", TopicPartition: tpc, Engine: c},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[changelog.TopicPartition]int64{tpa: 1234, tpb: 4321, tpc: 0}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(truth(ra), contents(t, a)); diff != "" {
		t.Errorf("store a (-truth +got):\n%s", diff)
	}
	if diff := cmp.Diff(truth(rb), contents(t, bs)); diff != "" {
		t.Errorf("store b (-truth +got):\n%s", diff)
	}
	checkListener(t, ll, "a", 0, 1234, 1234, 1234)
	checkListener(t, ll, "b", 0, 4321, 4321, 4321)
	checkListener(t, ll, "c", 0, 0, 0, 1)

	// The stores share the budget: with a small one, the largest window is written when
	// they hold half of it, whichever store filled it.
	ll = newListenerLog()
	a, bs = kv.NewMemory("a"), kv.NewMemory("b")
	got, err = br.restorer(t, changelog.Listener(ll), changelog.BatchSize(7), changelog.RestoreBufferBytes(20<<10)).Restore(context.Background(),
		[]changelog.RestoreTarget{{Store: "a", TopicPartition: tpa, Engine: a}, {Store: "b", TopicPartition: tpb, Engine: bs}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[changelog.TopicPartition]int64{tpa: 1234, tpb: 4321}, got); diff != "" {
		t.Errorf("small budget: (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(truth(ra), contents(t, a)); diff != "" {
		t.Errorf("small budget: store a (-truth +got):\n%s", diff)
	}
	if diff := cmp.Diff(truth(rb), contents(t, bs)); diff != "" {
		t.Errorf("small budget: store b (-truth +got):\n%s", diff)
	}
	checkListener(t, ll, "a", 0, 1234, 1234, 1234)
	checkListener(t, ll, "b", 0, 4321, 4321, 4321)
	if n := len(ll.batches["a"]) + len(ll.batches["b"]); n < 10 {
		t.Errorf("%d windows written with a small budget, want more", n)
	}
}

// TestRestoreCompactedChangelog: after compaction the partition has offset gaps (superseded
// records and old tombstones are gone, as Kafka's log cleaner removes them); restoration
// still ends at the end offset with the right contents, also from a checkpoint that falls
// in a gap.
func TestRestoreCompactedChangelog(t *testing.T) {
	br := newBroker(t)
	br.topic(t, ctopic, 1)
	// Tombstones older than delete.retention.ms are removed by compaction: make them old.
	if _, err := br.admin.AlterTopicConfigs(context.Background(), []kadm.AlterConfig{{Name: "delete.retention.ms", Value: ptr("0")}}, ctopic); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	recs := changelogRecords(rng, 5000, 100) // many duplicates
	br.produce(t, ctopic, 0, 250, recs)
	br.c.Compact()

	tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
	starts, err := br.admin.ListStartOffsets(context.Background(), ctopic)
	if err != nil {
		t.Fatal(err)
	}
	so, _ := starts.Lookup(ctopic, 0)
	t.Logf("log start offset after compaction: %d", so.Offset)

	// Count the surviving records: fewer than written, so there are gaps.
	raw := consumeAll(t, br, tp)
	if len(raw) >= len(recs) {
		t.Fatalf("compaction left %d of %d records: no gaps to test", len(raw), len(recs))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, buffer := range []int64{changelog.DefaultRestoreBufferBytes, 4 << 10, 0} {
		ll := newListenerLog()
		mem := kv.NewMemory("store")
		got, err := br.restorer(t, changelog.Listener(ll), changelog.BatchSize(64), changelog.RestoreBufferBytes(buffer)).Restore(ctx,
			[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem}})
		if err != nil {
			t.Fatal(err)
		}
		if got[tp] != 5000 {
			t.Errorf("buffer %d: next offset = %d, want 5000", buffer, got[tp])
		}
		if diff := cmp.Diff(truth(recs), contents(t, mem)); diff != "" {
			t.Errorf("buffer %d: restored store (-truth +got):\n%s", buffer, diff)
		}
		maxBatch := int64(len(raw))
		if buffer == 0 {
			maxBatch = 64
		}
		checkListener(t, ll, "store", so.Offset, 5000, int64(len(raw)), maxBatch)
	}

	// From a checkpoint in a gap: the next surviving record comes first.
	var gap int64 = -1
	for i := 1; i < len(raw); i++ {
		if raw[i].Offset > raw[i-1].Offset+1 {
			gap = raw[i-1].Offset + 1
			break
		}
	}
	if gap < 0 {
		t.Fatal("no gap found")
	}
	var tail []kv.Entry
	for _, r := range raw {
		if r.Offset >= gap {
			tail = append(tail, kv.Entry{Key: r.Key, Value: r.Value, Delete: r.Value == nil})
		}
	}
	mem2 := kv.NewMemory("store")
	got, err := br.restorer(t, changelog.RestoreBufferBytes(2<<10)).Restore(ctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem2, From: gap}})
	if err != nil || got[tp] != 5000 {
		t.Fatalf("restore from %d = %v, %v", gap, got, err)
	}
	if diff := cmp.Diff(truth(tail), contents(t, mem2)); diff != "" {
		t.Errorf("restored tail (-truth +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

// consumeAll reads a partition from its start to its end with plain franz-go.
func consumeAll(t *testing.T, br *broker, tp changelog.TopicPartition) []*kgo.Record {
	t.Helper()
	ends, err := br.admin.ListEndOffsets(context.Background(), tp.Topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(tp.Topic, tp.Partition)
	cl, err := kgo.NewClient(kgo.SeedBrokers(br.c.ListenAddrs()...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{tp.Topic: {tp.Partition: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*kgo.Record
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consuming: %v", err)
		}
		for _, r := range fs.Records() {
			out = append(out, r)
			if r.Offset == end.Offset-1 { // the last batch survives compaction
				return out
			}
		}
	}
}

// TestRestoreTransactionalChangelog: under exactly-once, Kafka Streams writes changelogs in
// transactions, so the partition ends with a commit marker that no consumer sees (and an
// aborted transaction's records are skipped by a read_committed restore consumer): the end
// offset is never reached by a record, and Restore must still end.
func TestRestoreTransactionalChangelog(t *testing.T) {
	br := newBroker(t)
	br.topic(t, ctopic, 1)
	txp, err := kgo.NewClient(kgo.SeedBrokers(br.c.ListenAddrs()...), kgo.TransactionalID("app-0_0"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer txp.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rng := rand.New(rand.NewPCG(9, 10))
	var committed, all []kv.Entry
	txn := func(recs []kv.Entry, commit bool) {
		t.Helper()
		if err := txp.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, e := range recs {
			r := &kgo.Record{Topic: ctopic, Partition: 0, Key: e.Key, Value: e.Value}
			if e.Delete {
				r.Value = nil
			}
			if err := txp.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := txp.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
		if commit {
			committed = append(committed, recs...)
		}
		all = append(all, recs...)
	}
	txn(changelogRecords(rng, 300, 40), true)
	txn(changelogRecords(rng, 50, 40), false)
	txn(changelogRecords(rng, 200, 40), true)

	for _, tc := range []struct {
		name   string
		kopts  []kgo.Opt
		expect []kv.Entry
	}{
		{"read_committed", []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())}, committed},
		// A read_uncommitted client sees the aborted records too (Kafka Streams restores
		// with read_committed under exactly-once, as the first case does).
		{"read_uncommitted", nil, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := kv.NewMemory("store")
			tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
			began := time.Now()
			got, err := br.restorerWith(t, tc.kopts).Restore(ctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem}})
			if err != nil {
				t.Fatal(err)
			}
			// The end is found by looking at the log, not by waiting for the consumer's
			// long poll (FetchMaxWait, 5 s) to come back empty.
			if d := time.Since(began); d > 2*time.Second {
				t.Errorf("restore took %v", d)
			}
			ends, _ := br.admin.ListEndOffsets(ctx, ctopic)
			end, _ := ends.Lookup(ctopic, 0)
			if got[tp] != end.Offset { // no transaction is open: the LSO is the end
				t.Errorf("next offset = %d, want the end offset %d", got[tp], end.Offset)
			}
			if diff := cmp.Diff(truth(tc.expect), contents(t, mem)); diff != "" {
				t.Errorf("restored store (-committed +got):\n%s", diff)
			}
		})
	}

	// An open transaction (a zombie's, or one in flight) ends a read_committed restore at
	// the last stable offset: its records are not restored.
	if err := txp.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := txp.ProduceSync(ctx, &kgo.Record{Topic: ctopic, Partition: 0, Key: []byte("open"), Value: []byte("txn")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	defer txp.EndTransaction(ctx, kgo.TryAbort)
	mem := kv.NewMemory("store")
	tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
	lsos, _ := br.admin.ListCommittedOffsets(ctx, ctopic)
	lso, _ := lsos.Lookup(ctopic, 0)
	got, err := br.restorerWith(t, []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())}).Restore(ctx,
		[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem}})
	if err != nil {
		t.Fatal(err)
	}
	if got[tp] != lso.Offset {
		t.Errorf("next offset with an open transaction = %d, want the last stable offset %d", got[tp], lso.Offset)
	}
	if diff := cmp.Diff(truth(committed), contents(t, mem)); diff != "" {
		t.Errorf("restored store (-committed +got):\n%s", diff)
	}
}

// failingEngine fails its nth Write.
type failingEngine struct {
	kv.Engine
	n   int
	err error
}

func (f *failingEngine) Write(batch []kv.Entry) error {
	if f.n--; f.n == 0 {
		return f.err
	}
	return f.Engine.Write(batch)
}

func TestRestoreErrors(t *testing.T) {
	br := newBroker(t)
	br.topic(t, ctopic, 1)
	recs := changelogRecords(rand.New(rand.NewPCG(1, 1)), 1000, 100)
	br.produce(t, ctopic, 0, 100, recs)
	tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
	ctx := context.Background()

	checkErr := func(t *testing.T, err error, store, topic string, partition int32, target error) {
		t.Helper()
		var re *changelog.RestoreError
		if !errors.As(err, &re) || re.Store != store || re.Topic != topic || re.Partition != partition {
			t.Fatalf("error = %v; want a *RestoreError naming store %s, %s partition %d", err, store, topic, partition)
		}
		if target != nil && !errors.Is(err, target) {
			t.Errorf("error = %v; want it to wrap %v", err, target)
		}
		if !strings.Contains(err.Error(), store) || !strings.Contains(err.Error(), topic) {
			t.Errorf("error text %q does not name the store and topic", err)
		}
	}

	t.Run("EngineWrite", func(t *testing.T) {
		boom := errors.New("disk full")
		mem := kv.NewMemory("store")
		got, err := br.restorer(t, changelog.BatchSize(100), changelog.RestoreBufferBytes(0)).Restore(ctx,
			[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: &failingEngine{Engine: mem, n: 3, err: boom}}})
		checkErr(t, err, "store", ctopic, 0, boom)
		// Two batches were written: the offsets say how far the engine got.
		if got[tp] != 200 {
			t.Errorf("offsets after the failure = %v, want 200", got)
		}
	})
	t.Run("EngineWriteDedup", func(t *testing.T) {
		// Windows of about 30 records, in batches of up to 4 keys: the failing write is in
		// the middle of a window, and the offsets are those of the windows written whole.
		for n := 1; n <= 12; n++ {
			boom := errors.New("disk full")
			mem := kv.NewMemory("store")
			ll := newListenerLog()
			got, err := br.restorer(t, changelog.BatchSize(4), changelog.RestoreBufferBytes(8<<10), changelog.Listener(ll)).Restore(ctx,
				[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: &failingEngine{Engine: mem, n: n, err: boom}}})
			checkErr(t, err, "store", ctopic, 0, boom)
			want := int64(0)
			if bs := ll.batches["store"]; len(bs) > 0 {
				want = bs[len(bs)-1][0] + 1
			}
			if got[tp] != want || want >= 1000 {
				t.Errorf("write %d failing: offsets after the failure = %v, want %d, after the last window told to the listener", n, got, want)
			}
			if _, ended := ll.ends["store"]; ended {
				t.Errorf("write %d failing: OnRestoreEnd called", n)
			}
			// Restoring on from there, over what was written of the failed window, gives
			// the whole log's state.
			if _, err := br.restorer(t, changelog.RestoreBufferBytes(8<<10)).Restore(ctx,
				[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem, From: got[tp]}}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(truth(recs), contents(t, mem)); diff != "" {
				t.Errorf("write %d failing: restored on (-truth +got):\n%s", n, diff)
			}
		}
	})
	t.Run("FromBeyondEnd", func(t *testing.T) {
		_, err := br.restorer(t).Restore(ctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: kv.NewMemory("s"), From: 1001}})
		checkErr(t, err, "store", ctopic, 0, changelog.ErrOffsetOutOfRange)
	})
	t.Run("UnknownPartition", func(t *testing.T) {
		_, err := br.restorer(t).Restore(ctx, []changelog.RestoreTarget{{Store: "other", TopicPartition: changelog.TopicPartition{Topic: ctopic, Partition: 7}, Engine: kv.NewMemory("s")}})
		checkErr(t, err, "other", ctopic, 7, nil)
	})
	t.Run("UnknownTopic", func(t *testing.T) {
		_, err := br.restorer(t).Restore(ctx, []changelog.RestoreTarget{{Store: "other", TopicPartition: changelog.TopicPartition{Topic: "nope", Partition: 0}, Engine: kv.NewMemory("s")}})
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("error = %v, want one naming the topic", err)
		}
	})
	t.Run("DuplicateTarget", func(t *testing.T) {
		_, err := br.restorer(t).Restore(ctx, []changelog.RestoreTarget{
			{Store: "a", TopicPartition: tp, Engine: kv.NewMemory("a")},
			{Store: "b", TopicPartition: tp, Engine: kv.NewMemory("b")},
		})
		checkErr(t, err, "b", ctopic, 0, nil)
	})
	t.Run("GroupClient", func(t *testing.T) {
		r := br.restorerWith(t, []kgo.Opt{kgo.ConsumerGroup("g"), kgo.ConsumeTopics("x")})
		if _, err := r.Restore(ctx, []changelog.RestoreTarget{{Store: "a", TopicPartition: tp, Engine: kv.NewMemory("a")}}); err == nil || !strings.Contains(err.Error(), `group "g"`) {
			t.Errorf("Restore with a group client: %v, want an error naming the group", err)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		mem := kv.NewMemory("store")
		eng := &cancelingEngine{Engine: mem, cancel: cancel}
		got, err := br.restorer(t, changelog.BatchSize(100), changelog.RestoreBufferBytes(0)).Restore(cctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: eng}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if got[tp] < 100 || got[tp] >= 1000 {
			t.Errorf("offsets after cancel = %v, want the batches written", got)
		}

		// With deduplication, the window being written when ctx is done counts if it was
		// written whole (one batch here).
		cctx, cancel = context.WithCancel(ctx)
		defer cancel()
		mem = kv.NewMemory("store")
		eng = &cancelingEngine{Engine: mem, cancel: cancel}
		ll := newListenerLog()
		got, err = br.restorer(t, changelog.BatchSize(100), changelog.RestoreBufferBytes(8<<10), changelog.Listener(ll)).Restore(cctx,
			[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: eng}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if bs := ll.batches["store"]; len(bs) != 1 || got[tp] != bs[0][0]+1 || got[tp] >= 1000 {
			t.Errorf("offsets after cancel = %v, batches told %v: want the first window's", got, bs)
		}
		if _, err := br.restorer(t).Restore(ctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem, From: got[tp]}}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(truth(recs), contents(t, mem)); diff != "" {
			t.Errorf("restored on after cancel (-truth +got):\n%s", diff)
		}
		// The client is usable again: the partition was removed from consumption.
		r := br.restorer(t)
		if _, err := r.Restore(ctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: kv.NewMemory("s")}}); err != nil {
			t.Errorf("restore after a cancelled one: %v", err)
		}
	})
}

// cancelingEngine cancels the restoration's context on its first write.
type cancelingEngine struct {
	kv.Engine
	cancel context.CancelFunc
}

func (c *cancelingEngine) Write(batch []kv.Entry) error {
	c.cancel()
	return c.Engine.Write(batch)
}

// TestRestoreReuseClient restores twice with one Restorer (the partitions are removed from
// the client's consumption at the end of each Restore) and logs its progress.
func TestRestoreReuseClient(t *testing.T) {
	br := newBroker(t)
	br.topic(t, ctopic, 1)
	rng := rand.New(rand.NewPCG(11, 12))
	first := changelogRecords(rng, 700, 90)
	br.produce(t, ctopic, 0, 100, first)
	var logs bytes.Buffer
	r := br.restorer(t, changelog.Logger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		changelog.ProgressInterval(0))
	tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
	mem := kv.NewMemory("store")
	got, err := r.Restore(context.Background(), []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem}})
	if err != nil || got[tp] != 700 {
		t.Fatalf("first restore = %v, %v", got, err)
	}
	second := changelogRecords(rng, 300, 90)
	br.produce(t, ctopic, 0, 100, second)
	got, err = r.Restore(context.Background(), []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem, From: got[tp]}})
	if err != nil || got[tp] != 1000 {
		t.Fatalf("second restore = %v, %v", got, err)
	}
	if diff := cmp.Diff(truth(append(first, second...)), contents(t, mem)); diff != "" {
		t.Errorf("restored store (-truth +got):\n%s", diff)
	}
	for _, want := range []string{"restoring stores", "restored stores", "store=store", "records=300"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

// TestRestoreDedupEdgeCases restores a changelog of the cases that deduplication must get
// right, with windows of every size from one record to the whole log, and without: puts
// after deletes and deletes after puts of a key, in a window and across windows; deletes of
// keys never written; empty values; records without a key; the empty key; keys that the
// 8-byte sort prefixes do not tell apart (one a prefix of another, zero bytes, a long
// shared part); and keys that shrink the window's common prefix as they come.
func TestRestoreDedupEdgeCases(t *testing.T) {
	put := func(k, v string) kv.Entry { return kv.Entry{Key: []byte(k), Value: []byte(v)} }
	del := func(k string) kv.Entry { return kv.Entry{Key: []byte(k), Delete: true} }
	keyless := kv.Entry{Value: []byte("no key")}
	recs := []kv.Entry{
		put("user:0001", "a"), del("user:0001"), put("user:0001", "b"), // put after a delete
		put("user:0002", "a"), put("user:0002", "b"), del("user:0002"), // delete after puts
		del("user:0003"),                                                  // never written
		put("user:0004", ""), put("user:0005", "x"), put("user:0005", ""), // empty values
		keyless,
		put("user:0006", "a"), keyless, put("user:0006", "b"),
		put("user:00000000000000a", "long-a"), put("user:00000000000000b", "long-b"),
		put("user:00000000000000", "long-prefix"), put("user:00000000000000\x00", "zero"),
		put("user:00000000000000a", "long-a2"),
		put("user:", "short"), put("user:\x00", "short-zero"), put("user:\x00\x00", "short-zero-zero"),
		put("user:\xff\xff\xff\xff\xff\xff\xff\xff\xff", "ff"),
		put("", "empty key"), // the common prefix shrinks to nothing
		put("user:0001", "c"), del("user:0004"), put("user:0002", "back"),
		put("a", "1"), put("a\x00", "2"), put("a\x00\x00\x00\x00\x00\x00\x00\x00", "3"), put("a", "4"),
		del(""), put("", "empty key again"),
		put("user:0006", "c"), del("user:0006"),
		keyless,
	}
	// Then the same again, shuffled, so that every key's writes are spread over windows.
	rng := rand.New(rand.NewPCG(21, 22))
	more := slices.Clone(recs)
	rng.Shuffle(len(more), func(i, j int) { more[i], more[j] = more[j], more[i] })
	recs = append(recs, more...)
	keyed := int64(0)
	for _, e := range recs {
		if e.Key != nil {
			keyed++
		}
	}

	br := newBroker(t)
	br.topic(t, ctopic, 1)
	br.produce(t, ctopic, 0, 7, recs)
	tp := changelog.TopicPartition{Topic: ctopic, Partition: 0}
	end := int64(len(recs))
	want := truth(recs)
	if _, ok := want[""]; !ok {
		t.Fatal("the test wants the empty key in the final state")
	}
	for _, buffer := range []int64{1, 2 * (1 + 96), 300, 1000, 3000, changelog.DefaultRestoreBufferBytes, 0} {
		for _, batch := range []int{1, 3, 1000} {
			ll := newListenerLog()
			rec := &recordingEngine{Engine: kv.NewMemory("store")}
			got, err := br.restorer(t, changelog.RestoreBufferBytes(buffer), changelog.BatchSize(batch), changelog.Listener(ll)).Restore(
				context.Background(), []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: rec}})
			if err != nil {
				t.Fatal(err)
			}
			if got[tp] != end {
				t.Errorf("buffer %d, batch %d: next offset %d, want %d", buffer, batch, got[tp], end)
			}
			if diff := cmp.Diff(want, contents(t, rec)); diff != "" {
				t.Errorf("buffer %d, batch %d: restored store (-truth +got):\n%s", buffer, batch, diff)
			}
			maxBatch := keyed
			if buffer == 0 {
				maxBatch = int64(batch)
			}
			checkListener(t, ll, "store", 0, end, keyed, maxBatch)
			rec.checkBatches(t, batch, buffer > 0)
			if buffer == 1 && len(ll.batches["store"]) != int(keyed) {
				// Windows of one record: a batch per record with a key, at its offset.
				t.Errorf("buffer 1: %d batches told, want one per record with a key (%d)", len(ll.batches["store"]), keyed)
			}
		}
	}
}

// TestRestoreDedupModel restores random changelogs shaped to take the deduplication's
// every way (few hot keys, which turn the hash table on, then distinct keys, which turn it
// off; keys of many lengths and shared prefixes), with window sizes from tiny to the whole
// log, two stores sharing the budget, also from a middle offset over the state at that
// offset, and checks the stores against applying the records in order.
func TestRestoreDedupModel(t *testing.T) {
	type shape struct {
		name string
		gen  func(rng *rand.Rand) []kv.Entry
	}
	// key returns key i: of varied lengths and prefixes, with zero and 0xff bytes, and
	// always the same bytes.
	key := func(i int) []byte {
		prefixes := []string{"", "k", "user:", "user:00000000", "user:00000000:session:"}
		r := rand.New(rand.NewPCG(uint64(i), 7))
		k := []byte(prefixes[r.IntN(len(prefixes))])
		for range r.IntN(14) {
			k = append(k, "\x00ab\xff"[r.IntN(4)])
		}
		return fmt.Appendf(k, "%d", i)
	}
	value := func(rng *rand.Rand, i int) kv.Entry {
		switch rng.IntN(10) {
		case 0:
			return kv.Entry{Delete: true}
		case 1:
			return kv.Entry{Value: []byte{}}
		}
		return kv.Entry{Value: fmt.Appendf(nil, "v%d", i)}
	}
	over := func(n int, pick func(rng *rand.Rand, i int) int) func(rng *rand.Rand) []kv.Entry {
		return func(rng *rand.Rand) []kv.Entry {
			out := make([]kv.Entry, n)
			for i := range out {
				e := value(rng, i)
				e.Key = key(pick(rng, i))
				out[i] = e
			}
			return out
		}
	}
	shapes := []shape{
		// 12,000 records over 40 keys: windows of thousands of records with few distinct
		// keys turn the hash table on.
		{"hot", over(12000, func(rng *rand.Rand, _ int) int { return rng.IntN(40) })},
		// Distinct keys, then hot ones, then distinct again: the way of deduplicating
		// changes back and forth.
		{"mixed", over(20000, func(rng *rand.Rand, i int) int {
			if i < 6000 || i >= 16000 {
				return 1000 + i
			}
			return rng.IntN(30)
		})},
		// Anything between.
		{"random", func(rng *rand.Rand) []kv.Entry {
			keys := 1 + rng.IntN(3000)
			return over(3000+rng.IntN(4000), func(rng *rand.Rand, _ int) int { return rng.IntN(keys) })(rng)
		}},
	}
	br := newBroker(t)
	br.topic(t, ctopic, 2)
	rng := rand.New(rand.NewPCG(31, 32))
	logs := make([][]kv.Entry, 2)
	for p := range logs {
		for _, sh := range shapes {
			logs[p] = append(logs[p], sh.gen(rng)...)
		}
		br.produce(t, ctopic, int32(p), 500, logs[p])
	}
	tps := []changelog.TopicPartition{{Topic: ctopic, Partition: 0}, {Topic: ctopic, Partition: 1}}
	ctx := context.Background()
	for _, buffer := range []int64{500, 20 << 10, 1 << 20, 3 << 20, 64 << 20} {
		ll := newListenerLog()
		stores := []*recordingEngine{{Engine: kv.NewMemory("s0")}, {Engine: kv.NewMemory("s1")}}
		targets := []changelog.RestoreTarget{
			{Store: "s0", TopicPartition: tps[0], Engine: stores[0]},
			{Store: "s1", TopicPartition: tps[1], Engine: stores[1]},
		}
		batch := 1 + rng.IntN(2000)
		// Small fetches, so that the writer writes while Restore polls.
		small := []kgo.Opt{kgo.FetchMaxBytes(64 << 10), kgo.FetchMaxPartitionBytes(32 << 10)}
		got, err := br.restorerWith(t, small, changelog.RestoreBufferBytes(buffer), changelog.BatchSize(batch), changelog.Listener(ll)).Restore(ctx, targets)
		if err != nil {
			t.Fatal(err)
		}
		for p, s := range stores {
			end := int64(len(logs[p]))
			if got[tps[p]] != end {
				t.Errorf("buffer %d: store %d: next offset %d, want %d", buffer, p, got[tps[p]], end)
			}
			if diff := cmp.Diff(truth(logs[p]), contents(t, s)); diff != "" {
				t.Errorf("buffer %d: store %d (-truth +got):\n%s", buffer, p, diff)
			}
			checkListener(t, ll, fmt.Sprintf("s%d", p), 0, end, end, end)
			s.checkBatches(t, batch, true)
		}

		// From a middle offset, over the state there.
		p := rng.IntN(2)
		mid := rng.IntN(len(logs[p]))
		mem := kv.NewMemory("mid")
		for k, v := range truth(logs[p][:mid]) {
			if err := mem.Put([]byte(k), []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		ll = newListenerLog()
		got, err = br.restorer(t, changelog.RestoreBufferBytes(buffer), changelog.Listener(ll)).Restore(ctx,
			[]changelog.RestoreTarget{{Store: "mid", TopicPartition: tps[p], Engine: mem, From: int64(mid)}})
		if err != nil {
			t.Fatal(err)
		}
		end := int64(len(logs[p]))
		if got[tps[p]] != end {
			t.Errorf("buffer %d: from %d: next offset %d, want %d", buffer, mid, got[tps[p]], end)
		}
		if diff := cmp.Diff(truth(logs[p]), contents(t, mem)); diff != "" {
			t.Errorf("buffer %d: from %d (-truth +got):\n%s", buffer, mid, diff)
		}
		checkListener(t, ll, "mid", int64(mid), end, end-int64(mid), end)
	}
}
