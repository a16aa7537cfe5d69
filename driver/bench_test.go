package driver_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The issue-4 workload: 1M records over 1,000 keys in 8 partitions, on an in-process kfake
// broker shared by the benchmarks of one run (so that the count-by-key and the raw consume
// read the same topic on the same broker).
const (
	benchRecords    = 1_000_000
	benchKeys       = 1000
	benchPartitions = 8
	benchTopic      = "bench-input"
)

var (
	benchOnce    sync.Once
	benchCluster *testutil.Cluster
	benchErr     error
)

func benchSetup(b *testing.B) *testutil.Cluster {
	benchOnce.Do(func() {
		benchCluster, benchErr = testutil.NewCluster()
		if benchErr != nil {
			return
		}
		if benchErr = benchCluster.CreateTopic(benchTopic, benchPartitions, nil); benchErr != nil {
			return
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(benchCluster.Addrs()...), kgo.ProducerLinger(10*time.Millisecond),
			kgo.MaxBufferedRecords(100_000))
		if err != nil {
			benchErr = err
			return
		}
		defer cl.Close()
		var failed atomic.Value
		val := make([]byte, 8)
		for i := range benchRecords {
			k := strconv.Itoa(i % benchKeys)
			cl.Produce(context.Background(), &kgo.Record{Topic: benchTopic, Key: []byte("key-" + k), Value: val}, func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Store(err)
				}
			})
		}
		if err := cl.Flush(context.Background()); err != nil {
			benchErr = err
			return
		}
		if err, ok := failed.Load().(error); ok {
			benchErr = err
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchCluster
}

// counter counts records per key in its store; the store's changelog is its output.
type counter struct {
	counts *kv.Store[string, int64]
}

func (c *counter) Init(ctx processor.Context[string, int64]) (err error) {
	c.counts, err = processor.KeyValueStore[string, int64](ctx, "counts")
	return err
}

func (c *counter) Process(r processor.Record[string, []byte]) error {
	n, _, err := c.counts.Get(r.Key())
	if err != nil {
		return err
	}
	return c.counts.Put(r.Key(), n+1)
}

func (c *counter) Close() error { return nil }

func countTopology(b *testing.B, caching bool) *topology.Topology {
	tb := topology.NewBuilder()
	topology.AddSource(tb, "In", topology.Source[string, []byte]{Topics: []string{benchTopic}, Keys: serde.String, Values: serde.Bytes})
	topology.AddProcessor(tb, "Count", func() processor.Processor[string, []byte, string, int64] { return &counter{} }, "In")
	sb := kv.NewBuilder(rocksdb.Supplier("counts"), serde.String, serde.Int64)
	if caching {
		sb.WithCachingEnabled()
	}
	tb.AddStateStore(sb, "Count")
	top, err := tb.Build()
	if err != nil {
		b.Fatal(err)
	}
	return top
}

var benchApp atomic.Int64

// BenchmarkCountByKey runs the count-by-key over the 1M records with the Kafka runtime
// (at-least-once, RocksDB, changelog), from a fresh consumer group each iteration, until
// every record is processed and committed. Compare its records/s with
// BenchmarkRawConsume's.
func BenchmarkCountByKey(b *testing.B) {
	benchCountByKey(b, driver.CommitInterval(time.Second))
}

// BenchmarkCountByKeyEOS is BenchmarkCountByKey under exactly_once_v2 with its default
// commit interval (100 ms, one transaction per worker per interval); the "commit=1s"
// variants use BenchmarkCountByKey's interval. Its records/s over BenchmarkCountByKey's is
// the EOS/ALOS ratio.
func BenchmarkCountByKeyEOS(b *testing.B) {
	b.Run("commit=100ms", func(b *testing.B) { benchCountByKey(b, driver.Guarantee(driver.ExactlyOnceV2)) })
	b.Run("commit=1s", func(b *testing.B) {
		benchCountByKey(b, driver.Guarantee(driver.ExactlyOnceV2), driver.CommitInterval(time.Second))
	})
}

func benchCountByKey(b *testing.B, extra ...driver.Option) {
	for _, caching := range []bool{true, false} {
		b.Run(fmt.Sprintf("cache=%v", caching), func(b *testing.B) {
			c := benchSetup(b)
			top := countTopology(b, caching)
			b.ReportAllocs()
			b.ResetTimer()
			var steady time.Duration
			var steadyN int64
			for range b.N {
				app := fmt.Sprintf("bench-%d", benchApp.Add(1))
				d, err := driver.New(top, append([]driver.Option{driver.ApplicationID(app), driver.BootstrapServers(c.Addrs()...),
					driver.StateDir(b.TempDir()), driver.Logger(benchLogger()), driver.ClientOptions(benchKgoOpts()...),
					driver.Concurrency(benchConcurrency())}, extra...)...)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := d.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				for d.ProcessedRecords() == 0 {
					time.Sleep(time.Millisecond)
				}
				t2 := time.Now()
				first := d.ProcessedRecords()
				for d.ProcessedRecords() < benchRecords {
					if d.Err() != nil {
						b.Fatal(d.Err())
					}
					time.Sleep(time.Millisecond)
				}
				t3 := time.Now()
				steady += t3.Sub(t2)
				steadyN += benchRecords - first
				if err := d.Close(); err != nil {
					b.Fatal(err)
				}
				if os.Getenv("BENCH_PHASES") != "" {
					b.Logf("start %v, first record %v, processing %v, close %v", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), time.Since(t3))
				}
			}
			b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			// steady-records/s leaves out the start (topic checks, group join, store opening,
			// the first fetch) and the final commit: the processing rate once records flow.
			b.ReportMetric(float64(steadyN)/steady.Seconds(), "steady-records/s")
		})
	}
}

// BenchmarkRawConsume is the baseline: a plain franz-go consumer reading the same 1M
// records, doing nothing with them.
func BenchmarkRawConsume(b *testing.B) {
	c := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics(benchTopic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for n < benchRecords {
			f := cl.PollFetches(context.Background())
			if err := f.Err0(); err != nil {
				b.Fatal(err)
			}
			n += f.NumRecords()
		}
		cl.Close()
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func benchLogger() *slog.Logger {
	if os.Getenv("BENCH_PHASES") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return discardLogger()
}

func benchKgoOpts() []kgo.Opt {
	opts := []kgo.Opt{kgo.FetchMaxBytes(2 << 20)}
	if os.Getenv("BENCH_KGO") != "" {
		return []kgo.Opt{kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, func() string { return time.Now().Format("05.000 ") }))}
	}
	return opts
}

// benchConcurrency is the number of workers: BENCH_WORKERS, default 2 (the machine's cores).
func benchConcurrency() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_WORKERS")); err == nil && n > 0 {
		return n
	}
	return 2
}
