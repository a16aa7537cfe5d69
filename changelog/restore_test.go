package changelog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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

// truth is the last value per key, deletes applied.
func truth(recs []kv.Entry) map[string]string {
	m := map[string]string{}
	for _, e := range recs {
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

	ll := newListenerLog()
	r := br.restorer(t, changelog.BatchSize(128), changelog.Listener(ll))
	mem := kv.NewMemory("store")
	tp := changelog.TopicPartition{Topic: ctopic, Partition: 1}
	got, err := r.Restore(context.Background(), []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[changelog.TopicPartition]int64{tp: 3000}, got); diff != "" {
		t.Errorf("next offsets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(truth(recs), contents(t, mem)); diff != "" {
		t.Errorf("restored store (-truth +got):\n%s", diff)
	}
	// Empty values come back present and empty, tombstones as deletes.
	checkListener(t, ll, "store", 0, 3000, 3000, 128)
}

// checkListener checks what Kafka's StateRestoreListener would be told: start with the
// start and end offsets, batches whose counts add up to the total and whose end offsets
// increase up to the last record, and the end with the total.
func checkListener(t *testing.T, ll *listenerLog, store string, start, end, total int64, batchSize int64) {
	t.Helper()
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if got := ll.starts[store]; got != [2]int64{start, end} {
		t.Errorf("OnRestoreStart(%s) offsets = %v, want [%d %d]", store, got, start, end)
	}
	var sum int64
	prev := int64(-1)
	for _, bt := range ll.batches[store] {
		if bt[0] <= prev || bt[0] >= end || bt[1] <= 0 || bt[1] > batchSize {
			t.Errorf("OnBatchRestored(%s) = %v after %d, want increasing offsets below %d and 1..%d records", store, bt, prev, end, batchSize)
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
	checkListener(t, ll, "a", 0, 1234, 1234, 300)
	checkListener(t, ll, "b", 0, 4321, 4321, 300)
	checkListener(t, ll, "c", 0, 0, 0, 1)
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
	ll := newListenerLog()
	mem := kv.NewMemory("store")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := br.restorer(t, changelog.Listener(ll), changelog.BatchSize(64)).Restore(ctx,
		[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem}})
	if err != nil {
		t.Fatal(err)
	}
	if got[tp] != 5000 {
		t.Errorf("next offset = %d, want 5000", got[tp])
	}
	if diff := cmp.Diff(truth(recs), contents(t, mem)); diff != "" {
		t.Errorf("restored store (-truth +got):\n%s", diff)
	}
	checkListener(t, ll, "store", so.Offset, 5000, int64(len(raw)), 64)

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
	got, err = br.restorer(t).Restore(ctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: mem2, From: gap}})
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
	br.produce(t, ctopic, 0, 100, changelogRecords(rand.New(rand.NewPCG(1, 1)), 1000, 100))
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
		got, err := br.restorer(t, changelog.BatchSize(100)).Restore(ctx,
			[]changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: &failingEngine{Engine: mem, n: 3, err: boom}}})
		checkErr(t, err, "store", ctopic, 0, boom)
		// Two batches were written: the offsets say how far the engine got.
		if got[tp] != 200 {
			t.Errorf("offsets after the failure = %v, want 200", got)
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
		got, err := br.restorer(t, changelog.BatchSize(100)).Restore(cctx, []changelog.RestoreTarget{{Store: "store", TopicPartition: tp, Engine: eng}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if got[tp] < 100 || got[tp] >= 1000 {
			t.Errorf("offsets after cancel = %v, want the batches written", got)
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
