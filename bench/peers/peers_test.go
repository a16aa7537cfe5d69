// Package peers benchmarks Tributary against other Go stream processors on the same
// workload and the same in-process kfake broker, in the same run (issue 8). It is a module
// of its own so that the peers' dependencies (goka, sarama, goleveldb) never enter the main
// module's go.mod.
//
// The workload is the issue-4 count-by-key: 1,000,000 records over 1,000 keys in 8
// partitions. Each iteration is timed from the start of the processor until every record
// is processed and the processor has shut down gracefully (stores flushed, produced
// records acknowledged, offsets committed), and is then checked: the last value of every
// key in the processor's output (Tributary's changelog, goka's group table) must be the
// key's count, 1,000.
package peers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/storage"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	benchRecords    = 1_000_000
	benchKeys       = 1000
	benchPartitions = 8
	benchTopic      = "peers-input"
)

var (
	setupOnce sync.Once
	cluster   *testutil.Cluster
	setupErr  error
	appSeq    atomic.Int64
)

// gokaPartition is the partition sarama's hash partitioner, as goka configures it with its
// default hasher (FNV-1a, 32 bits), gives a key: the hash as an int32, modulo the number
// of partitions, negated if negative. The input is produced with it so that every key's
// records are in the partition of goka's group table that holds the key.
func gokaPartition(key []byte, n int32) int32 {
	h := fnv.New32a()
	h.Write(key)
	p := int32(h.Sum32()) % n
	if p < 0 {
		p = -p
	}
	return p
}

// setup starts the broker shared by every benchmark of the run and produces the input once.
func setup(b *testing.B) *testutil.Cluster {
	setupOnce.Do(func() {
		cluster, setupErr = testutil.NewCluster()
		if setupErr != nil {
			return
		}
		if setupErr = cluster.CreateTopic(benchTopic, benchPartitions, nil); setupErr != nil {
			return
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.ProducerLinger(10*time.Millisecond), kgo.MaxBufferedRecords(100_000))
		if err != nil {
			setupErr = err
			return
		}
		defer cl.Close()
		var failed atomic.Value
		keys := make([][]byte, benchKeys)
		parts := make([]int32, benchKeys)
		for i := range keys {
			keys[i] = []byte("key-" + strconv.Itoa(i))
			parts[i] = gokaPartition(keys[i], benchPartitions)
		}
		val := make([]byte, 8)
		for i := range benchRecords {
			k := i % benchKeys
			cl.Produce(context.Background(), &kgo.Record{Topic: benchTopic, Partition: parts[k], Key: keys[k], Value: val},
				func(_ *kgo.Record, err error) {
					if err != nil {
						failed.Store(err)
					}
				})
		}
		if err := cl.Flush(context.Background()); err != nil {
			setupErr = err
			return
		}
		if err, ok := failed.Load().(error); ok {
			setupErr = err
		}
	})
	if setupErr != nil {
		b.Fatal(setupErr)
	}
	return cluster
}

// checkCounts reads topic from the start to its end, checks that the last value of every
// key, decoded by decode, is the key's count, and deletes topic.
//
// Under exactly-once the topic ends with a transaction marker, which takes an offset but is
// no record: markers says so, and the last record of a partition is then the one before it.
func checkCounts(b *testing.B, c *testutil.Cluster, topic string, markers bool, decode func([]byte) (int64, error)) {
	b.Helper()
	adm, err := kadm.NewOptClient(kgo.SeedBrokers(c.Addrs()...))
	if err != nil {
		b.Fatal(err)
	}
	defer adm.Close()
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		b.Fatal(err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		end := o.Offset
		if markers {
			end--
		}
		if end > 0 {
			want[o.Partition] = end
		}
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	last := map[string]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(want) > 0 {
		f := cl.PollFetches(ctx)
		if err := f.Err0(); err != nil {
			b.Fatalf("reading %s: %v", topic, err)
		}
		f.EachRecord(func(r *kgo.Record) {
			n, err := decode(r.Value)
			if err != nil {
				b.Fatalf("%s: key %q: %v", topic, r.Key, err)
			}
			last[string(r.Key)] = n
			if r.Offset+1 >= want[r.Partition] {
				delete(want, r.Partition)
			}
		})
	}
	if len(last) != benchKeys {
		b.Fatalf("%s: %d keys, want %d", topic, len(last), benchKeys)
	}
	for k, n := range last {
		if n != benchRecords/benchKeys {
			b.Fatalf("%s: key %q counted %d, want %d", topic, k, n, benchRecords/benchKeys)
		}
	}
	// The output is deleted so that the broker (in this process, sharing its 2 cores) does
	// not hold more and more of it for the runs that follow.
	if _, err := adm.DeleteTopic(context.Background(), topic); err != nil {
		b.Fatalf("deleting %s: %v", topic, err)
	}
}

// phases logs, with BENCH_PHASES set, the time from the start to the first processed
// record, the processing time to the last record, and the shutdown.
func phases(b *testing.B, what string, t0, t1, t2 time.Time) {
	if os.Getenv("BENCH_PHASES") != "" {
		b.Logf("%s: first record %v, processing %v, shutdown %v", what, t1.Sub(t0), t2.Sub(t1), time.Since(t2))
	}
}

// counter counts records per key in its RocksDB store, as the driver's BenchmarkCountByKey.
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

func tributaryTopology(b *testing.B, caching bool) *topology.Topology {
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

// BenchmarkCountByKey runs, in each iteration, one round of the count-by-key with each
// processor, one after the other on the same broker and input, so that the load of the
// machine (2 cores, shared with the broker) weighs on all of them alike:
//
//   - Tributary's Kafka runtime, at-least-once, a RocksDB store with its changelog, 2
//     workers (the machine's cores), commit interval 1 s, with the record cache on (as a
//     DSL count has by default) and off (every update written to the store and the
//     changelog, as goka does);
//   - the same Tributary program under exactly-once (exactly_once_v2: one transaction per
//     worker per commit interval, 100 ms, read_committed), record cache on;
//   - goka v1.1.16, a processor group whose callback reads the key's count from the group
//     table, adds one and sets it (goka's LevelDB storage, the group table topic as its
//     changelog; goka's at-least-once).
//
// It reports each one's records/s over the rounds, the ratios of Tributary's to goka's (the
// project's goal: Tributary at-least-once ≥ 5× goka) and of exactly-once to at-least-once
// (goal ≥ 0.6). Run it with -benchtime=1x and
// -count=N for N rounds.
func BenchmarkCountByKey(b *testing.B) {
	c := setup(b)
	cached, uncached := tributaryTopology(b, true), tributaryTopology(b, false)
	var tc, te, tu, gk time.Duration
	b.ResetTimer()
	for range b.N {
		tc += runTributary(b, c, cached, false, driver.CommitInterval(time.Second))
		te += runTributary(b, c, cached, true, driver.Guarantee(driver.ExactlyOnceV2))
		tu += runTributary(b, c, uncached, false, driver.CommitInterval(time.Second))
		gk += runGoka(b, c)
	}
	b.StopTimer()
	rate := func(d time.Duration) float64 { return float64(benchRecords) * float64(b.N) / d.Seconds() }
	b.ReportMetric(rate(tc), "tributary-cache-rec/s")
	b.ReportMetric(rate(te), "tributary-eos-cache-rec/s")
	b.ReportMetric(rate(te)/rate(tc), "ratio-eos-alos")
	b.ReportMetric(rate(tu), "tributary-nocache-rec/s")
	b.ReportMetric(rate(gk), "goka-rec/s")
	b.ReportMetric(rate(tc)/rate(gk), "ratio-cache")
	b.ReportMetric(rate(tu)/rate(gk), "ratio-nocache")
	b.ReportMetric(0, "ns/op") // one op is the four runs: the rates above say more
}

// runTributary runs the count-by-key once with Tributary, from a new application id (a new
// consumer group reading from the start, a new changelog topic, a new state directory), and
// returns the time from Start to the return of Close after the last record is processed;
// opts add to (or override) its options.
func runTributary(b *testing.B, c *testutil.Cluster, top *topology.Topology, eos bool, opts ...driver.Option) time.Duration {
	app := fmt.Sprintf("tributary-%d", appSeq.Add(1))
	d, err := driver.New(top, append([]driver.Option{driver.ApplicationID(app), driver.BootstrapServers(c.Addrs()...),
		driver.StateDir(b.TempDir()),
		driver.Logger(slog.New(slog.DiscardHandler)), driver.Concurrency(2),
		driver.ClientOptions(kgo.FetchMaxBytes(2 << 20))}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	t0 := time.Now()
	if err := d.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	var t1 time.Time
	for d.ProcessedRecords() < benchRecords {
		if err := d.Err(); err != nil {
			b.Fatal(err)
		}
		if t1.IsZero() && d.ProcessedRecords() > 0 {
			t1 = time.Now()
		}
		time.Sleep(time.Millisecond)
	}
	t2 := time.Now()
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	phases(b, "tributary "+app, t0, t1, t2)
	checkCounts(b, c, app+"-counts-changelog", eos, func(v []byte) (int64, error) {
		if len(v) != 8 {
			return 0, fmt.Errorf("count of %d bytes", len(v))
		}
		return int64(binary.BigEndian.Uint64(v)), nil
	})
	return elapsed
}

var gokaConfigOnce sync.Once

// gokaConfig sets goka's global sarama config: goka's defaults, except that a stream is
// consumed from the oldest offset (goka's default is the newest, which would skip the
// input produced before the run). The protocol version stays goka's default, V2_0_0_0,
// which kfake serves.
func gokaConfig() {
	gokaConfigOnce.Do(func() {
		cfg := goka.DefaultConfig()
		cfg.Version = sarama.V2_0_0_0
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		goka.ReplaceGlobalConfig(cfg)
	})
}

// runGoka runs the count-by-key once with goka, from a new group (a new consumer group
// reading from the start, a new group table, a new storage directory), and returns the
// time from Run to its return after the last record is processed and the context canceled.
func runGoka(b *testing.B, c *testutil.Cluster) time.Duration {
	gokaConfig()
	// kfake is one broker: topics are created with replication factor 1 (goka's default is 2).
	tmc := goka.NewTopicManagerConfig()
	tmc.Table.Replication = 1
	tmc.Stream.Replication = 1
	group := goka.Group(fmt.Sprintf("goka-%d", appSeq.Add(1)))
	var processed atomic.Int64
	g := goka.DefineGroup(group,
		goka.Input(goka.Stream(benchTopic), new(codec.Bytes), func(ctx goka.Context, _ any) {
			var n int64
			if v := ctx.Value(); v != nil {
				n = v.(int64)
			}
			ctx.SetValue(n + 1)
			processed.Add(1)
		}),
		goka.Persist(new(codec.Int64)),
	)
	p, err := goka.NewProcessor(c.Addrs(), g,
		goka.WithStorageBuilder(storage.DefaultBuilder(b.TempDir())),
		goka.WithTopicManagerBuilder(goka.TopicManagerBuilderWithTopicManagerConfig(tmc)),
		goka.WithLogger(quietLogger{}))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	b.StartTimer()
	t0 := time.Now()
	go func() { done <- p.Run(ctx) }()
	var t1 time.Time
	for processed.Load() < benchRecords {
		select {
		case err := <-done:
			b.Fatalf("goka processor stopped early: %v", err)
		default:
		}
		if t1.IsZero() && processed.Load() > 0 {
			t1 = time.Now()
		}
		time.Sleep(time.Millisecond)
	}
	t2 := time.Now()
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	phases(b, "goka "+string(group), t0, t1, t2)
	checkCounts(b, c, string(goka.GroupTable(group)), false, func(v []byte) (int64, error) {
		return strconv.ParseInt(string(v), 10, 64)
	})
	return elapsed
}

// quietLogger drops goka's (and, through goka, sarama's) log lines.
type quietLogger struct{}

func (quietLogger) Print(...any)          {}
func (quietLogger) Println(...any)        {}
func (quietLogger) Printf(string, ...any) {}
