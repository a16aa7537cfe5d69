//go:build cgo

// The RocksDB benchmark needs cgo; without it the changelog tests still build and run.

package changelog_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
)

// The 1M-record changelogs, in partitions of compacted topics of an in-process kfake
// broker, set up once per process: 1,000,000 records with 100-byte values, over 100,000
// keys (benchLog) or each of its own key (uniqueLog, as a compacted log is).
const (
	benchRecords = 1_000_000
	benchKeys    = 100_000
	benchValue   = 100
)

// changelogBench is one of the benchmarks' changelogs.
type changelogBench struct {
	topic string
	// records returns a function giving the changelog's records in order.
	records func() func() (key, value []byte)
	once    sync.Once
	err     error
	// rawRate is the best records/s of raw consumption in this run, for the restore
	// benchmarks' ratio.
	rawRate float64
}

// restoreBuffer is the restore benchmarks' RestoreBufferBytes: go test -bench Restore1M
// -args -restore-buffer=134217728.
var restoreBuffer = flag.Int64("restore-buffer", changelog.DefaultRestoreBufferBytes, "RestoreBufferBytes of the restore benchmarks")

var (
	benchOnce  sync.Once
	benchAddrs []string
	benchErr   error

	benchLog  = &changelogBench{topic: "bench-store-changelog", records: benchGenerator}
	uniqueLog = &changelogBench{topic: "bench-unique-changelog", records: uniqueGenerator}
)

// addrs returns the broker's addresses, with the changelog produced.
func (cb *changelogBench) addrs(b *testing.B) []string {
	b.Helper()
	benchOnce.Do(func() {
		// Not closed: it lives as long as the benchmark process.
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			benchErr = err
			return
		}
		benchAddrs = c.ListenAddrs()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	cb.once.Do(func() { cb.err = cb.produce() })
	if cb.err != nil {
		b.Fatal(cb.err)
	}
	return benchAddrs
}

func (cb *changelogBench) produce() error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(benchAddrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100_000))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx := context.Background()
	cfg := map[string]*string{}
	for k, v := range changelog.KeyValueTopicConfig() {
		cfg[k] = &v
	}
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, cfg, cb.topic); err != nil {
		return err
	}
	next := cb.records()
	var mu sync.Mutex
	var perr error
	for range benchRecords {
		k, v := next()
		r := &kgo.Record{Topic: cb.topic, Key: k, Value: v}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	// Read it once, so that every measured run reads a warm broker.
	return consumeRaw(benchAddrs, cb.topic)
}

// benchGenerator returns a function giving benchLog's records in order: random keys over
// benchKeys, random 100-byte values.
func benchGenerator() func() (key, value []byte) {
	rng := rand.New(rand.NewPCG(1, 1))
	return func() ([]byte, []byte) {
		v := make([]byte, benchValue)
		for j := range v {
			v[j] = byte('a' + rng.IntN(26))
		}
		return fmt.Appendf(nil, "key-%06d", rng.IntN(benchKeys)), v
	}
}

// uniqueGenerator returns a function giving uniqueLog's records in order: benchRecords
// distinct keys in random order, random 100-byte values.
func uniqueGenerator() func() (key, value []byte) {
	rng := rand.New(rand.NewPCG(2, 2))
	perm := rng.Perm(benchRecords)
	i := 0
	return func() ([]byte, []byte) {
		v := make([]byte, benchValue)
		for j := range v {
			v[j] = byte('a' + rng.IntN(26))
		}
		k := fmt.Appendf(nil, "key-%07d", perm[i])
		i++
		return k, v
	}
}

// consumeRaw reads the changelog partition to its end with plain franz-go, doing nothing
// with the records.
func consumeRaw(addrs []string, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		return err
	}
	defer cl.Close()
	for n := 0; n < benchRecords; {
		fs := cl.PollFetches(context.Background())
		if err := fs.Err0(); err != nil {
			return err
		}
		n += fs.NumRecords()
	}
	return nil
}

func reportRate(b *testing.B, records int64, d time.Duration) float64 {
	rate := float64(records) / d.Seconds()
	b.ReportMetric(rate, "records/s")
	return rate
}

// BenchmarkRawConsume1M consumes benchLog's partition with plain franz-go (the same client
// options as the restorer's) and does nothing with the records: the ceiling for
// restoration.
func BenchmarkRawConsume1M(b *testing.B) { benchRawConsume(b, benchLog) }

// BenchmarkRestore1M restores benchLog's partition into an engine that drops the writes
// (discard: the restorer alone), an in-memory engine and a RocksDB engine (Kafka Streams'
// defaults, WAL off), with deduplication (-restore-buffer, the default's by default) and
// without (-nodedup), and reports records/s and, when BenchmarkRawConsume1M ran before it in
// the same run, the ratio to raw consumption.
func BenchmarkRestore1M(b *testing.B) { benchRestore(b, benchLog) }

// BenchmarkRawConsume1MUnique is BenchmarkRawConsume1M over uniqueLog.
func BenchmarkRawConsume1MUnique(b *testing.B) { benchRawConsume(b, uniqueLog) }

// BenchmarkRestore1MUnique is BenchmarkRestore1M over uniqueLog, whose keys are all
// distinct: nothing to deduplicate.
func BenchmarkRestore1MUnique(b *testing.B) { benchRestore(b, uniqueLog) }

func benchRawConsume(b *testing.B, cb *changelogBench) {
	addrs := cb.addrs(b)
	for b.Loop() {
		// Timed from the client's creation, as a restore is (its client exists before, but
		// connects, and fetches, only when the restore starts).
		start := time.Now()
		if err := consumeRaw(addrs, cb.topic); err != nil {
			b.Fatal(err)
		}
		cb.rawRate = max(cb.rawRate, reportRate(b, benchRecords, time.Since(start)))
	}
}

func benchRestore(b *testing.B, cb *changelogBench) {
	memory := func(*testing.B) kv.Engine { return kv.NewMemory("bench") }
	rocks := func(b *testing.B) kv.Engine {
		e, err := rocksdb.Open("bench", b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	buffer := changelog.RestoreBufferBytes(*restoreBuffer)
	engines := []struct {
		name string
		open func(b *testing.B) kv.Engine
		opt  changelog.RestoreOption
	}{
		// discard writes nothing: the cost of restoration itself, without an engine's.
		{"discard", func(*testing.B) kv.Engine { return discardEngine{kv.NewMemory("bench")} }, buffer},
		{"memory", memory, buffer},
		{"rocksdb", rocks, buffer},
		// Without deduplication: every record written, in log order.
		{"memory-nodedup", memory, changelog.RestoreBufferBytes(0)},
		{"rocksdb-nodedup", rocks, changelog.RestoreBufferBytes(0)},
	}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			addrs := cb.addrs(b)
			for b.Loop() {
				b.StopTimer()
				e := eng.open(b)
				cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
				if err != nil {
					b.Fatal(err)
				}
				r := changelog.NewRestorer(cl, kadm.NewClient(cl), eng.opt)
				tp := changelog.TopicPartition{Topic: cb.topic, Partition: 0}
				b.StartTimer()
				start := time.Now()
				got, err := r.Restore(context.Background(), []changelog.RestoreTarget{{Store: "bench", TopicPartition: tp, Engine: e}})
				d := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if got[tp] != benchRecords {
					b.Fatalf("restored up to %d, want %d", got[tp], benchRecords)
				}
				if eng.name != "discard" {
					cb.check(b, e)
				}
				rate := reportRate(b, benchRecords, d)
				if cb.rawRate > 0 {
					b.ReportMetric(rate/cb.rawRate, "x-raw")
				}
				cl.Close()
				_ = e.Close()
				b.StartTimer()
			}
		})
	}
}

// check checks that e holds the last value of every key of the changelog, and nothing else.
func (cb *changelogBench) check(b *testing.B, e kv.Engine) {
	truth := map[string][]byte{}
	next := cb.records()
	for range benchRecords {
		k, v := next()
		truth[string(k)] = v
	}
	cur, err := e.Range(nil, nil, false)
	if err != nil {
		b.Fatal(err)
	}
	defer cur.Close()
	n := 0
	for cur.Next() {
		if want, ok := truth[string(cur.Key())]; !ok || string(cur.Value()) != string(want) {
			b.Fatalf("restored %q = %q; want %q (%v)", cur.Key(), cur.Value(), want, ok)
		}
		n++
	}
	if err := cur.Err(); err != nil || n != len(truth) {
		b.Fatalf("restored %d keys (%v), want %d", n, err, len(truth))
	}
}

// discardEngine is an engine whose Write does nothing.
type discardEngine struct{ *kv.Memory }

func (discardEngine) Write([]kv.Entry) error { return nil }

// BenchmarkWrite1M writes the same 1,000,000 records straight into the engines, in
// batches of DefaultRestoreBatchSize, with no broker: the ceiling of restoring into them.
func BenchmarkWrite1M(b *testing.B) {
	// The keys in order; values from a pool (the engines copy them).
	next := benchGenerator()
	keys := make([][]byte, benchRecords)
	values := make([][]byte, 1024)
	for i := range keys {
		k, v := next()
		keys[i] = k
		if i < len(values) {
			values[i] = v
		}
	}
	for _, eng := range []struct {
		name string
		open func(b *testing.B) kv.Engine
	}{
		{"memory", func(*testing.B) kv.Engine { return kv.NewMemory("bench") }},
		{"rocksdb", func(b *testing.B) kv.Engine {
			e, err := rocksdb.Open("bench", b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return e
		}},
	} {
		b.Run(eng.name, func(b *testing.B) {
			batch := make([]kv.Entry, 0, changelog.DefaultRestoreBatchSize)
			for b.Loop() {
				b.StopTimer()
				e := eng.open(b)
				b.StartTimer()
				start := time.Now()
				for i, k := range keys {
					batch = append(batch, kv.Entry{Key: k, Value: values[i%len(values)]})
					if len(batch) == cap(batch) || i == len(keys)-1 {
						if err := e.Write(batch); err != nil {
							b.Fatal(err)
						}
						batch = batch[:0]
					}
				}
				reportRate(b, benchRecords, time.Since(start))
				b.StopTimer()
				_ = e.Close()
				b.StartTimer()
			}
		})
	}
}
