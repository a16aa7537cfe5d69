//go:build cgo

// The RocksDB benchmark needs cgo; without it the changelog tests still build and run.

package changelog_test

import (
	"context"
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

// The 1M-record changelog: 1,000,000 records over 100,000 keys with 100-byte values, in
// one partition of a compacted topic of an in-process kfake broker, set up once per process.
const (
	benchRecords = 1_000_000
	benchKeys    = 100_000
	benchValue   = 100
	benchTopic   = "bench-store-changelog"
)

var (
	benchOnce  sync.Once
	benchAddrs []string
	benchErr   error
	// rawRate is the best records/s of BenchmarkRawConsume1M in this run, for the
	// restore benchmarks' ratio.
	rawRate float64
)

func benchChangelog(b *testing.B) []string {
	b.Helper()
	benchOnce.Do(func() {
		// Not closed: it lives as long as the benchmark process.
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			benchErr = err
			return
		}
		benchAddrs = c.ListenAddrs()
		cl, err := kgo.NewClient(kgo.SeedBrokers(benchAddrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100_000))
		if err != nil {
			benchErr = err
			return
		}
		defer cl.Close()
		ctx := context.Background()
		cfg := map[string]*string{}
		for k, v := range changelog.KeyValueTopicConfig() {
			cfg[k] = &v
		}
		if _, benchErr = kadm.NewClient(cl).CreateTopic(ctx, 1, 1, cfg, benchTopic); benchErr != nil {
			return
		}
		next := benchGenerator()
		var mu sync.Mutex
		for range benchRecords {
			k, v := next()
			r := &kgo.Record{Topic: benchTopic, Key: k, Value: v}
			cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
				if err != nil {
					mu.Lock()
					benchErr = err
					mu.Unlock()
				}
			})
		}
		if err := cl.Flush(ctx); err != nil {
			benchErr = err
			return
		}
		// Read it once, so that every measured run reads a warm broker.
		benchErr = consumeRaw(benchAddrs)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchAddrs
}

// benchGenerator returns a function giving the benchmark's records in order: random keys
// over benchKeys, random 100-byte values.
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

// consumeRaw reads the changelog partition to its end with plain franz-go, doing nothing
// with the records.
func consumeRaw(addrs []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{benchTopic: {0: kgo.NewOffset().AtStart()}}))
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

// BenchmarkRawConsume1M consumes the changelog partition with plain franz-go (the same
// client options as the restorer's) and does nothing with the records: the ceiling for
// restoration.
func BenchmarkRawConsume1M(b *testing.B) {
	addrs := benchChangelog(b)
	for b.Loop() {
		// Timed from the client's creation, as a restore is (its client exists before, but
		// connects, and fetches, only when the restore starts).
		start := time.Now()
		if err := consumeRaw(addrs); err != nil {
			b.Fatal(err)
		}
		rawRate = max(rawRate, reportRate(b, benchRecords, time.Since(start)))
	}
}

// BenchmarkRestore1M restores the changelog partition into an in-memory engine and into a
// RocksDB engine (Kafka Streams' defaults, WAL off), and reports records/s and, when
// BenchmarkRawConsume1M ran before it in the same run, the ratio to raw consumption.
func BenchmarkRestore1M(b *testing.B) {
	engines := []struct {
		name string
		open func(b *testing.B) kv.Engine
	}{
		// discard writes nothing: the cost of restoration itself, without an engine's.
		{"discard", func(*testing.B) kv.Engine { return discardEngine{kv.NewMemory("bench")} }},
		{"memory", func(*testing.B) kv.Engine { return kv.NewMemory("bench") }},
		{"rocksdb", func(b *testing.B) kv.Engine {
			e, err := rocksdb.Open("bench", b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return e
		}},
	}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			addrs := benchChangelog(b)
			for b.Loop() {
				b.StopTimer()
				e := eng.open(b)
				cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
				if err != nil {
					b.Fatal(err)
				}
				r := changelog.NewRestorer(cl, kadm.NewClient(cl))
				tp := changelog.TopicPartition{Topic: benchTopic, Partition: 0}
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
					checkBenchTruth(b, e)
				}
				rate := reportRate(b, benchRecords, d)
				if rawRate > 0 {
					b.ReportMetric(rate/rawRate, "x-raw")
				}
				cl.Close()
				_ = e.Close()
				b.StartTimer()
			}
		})
	}
}

var (
	truthOnce  sync.Once
	benchTruth map[string][]byte
)

// checkBenchTruth checks that e holds the last value of every key of the changelog.
func checkBenchTruth(b *testing.B, e kv.Engine) {
	truthOnce.Do(func() {
		benchTruth = map[string][]byte{}
		next := benchGenerator()
		for range benchRecords {
			k, v := next()
			benchTruth[string(k)] = v
		}
	})
	n := 0
	for k, want := range benchTruth {
		got, ok, err := e.Get([]byte(k))
		if err != nil || !ok || string(got) != string(want) {
			b.Fatalf("restored %q = %q, %v, %v; want %q", k, got, ok, err, want)
		}
		n++
	}
	if c, err := e.ApproximateNumEntries(); err != nil || (!e.Persistent() && c != int64(n)) {
		b.Fatalf("restored %d keys (%v), want %d", c, err, n)
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
