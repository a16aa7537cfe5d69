package driver_test

import (
	"context"
	"fmt"
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

// The failover workload: failoverKeys distinct keys over 8 partitions, so that every record
// is one store entry and one changelog record.
const (
	failoverKeys  = 400_000
	failoverTopic = "failover-input"
)

var (
	failoverOnce sync.Once
	failoverErr  error
)

func failoverSetup(b *testing.B) *testutil.Cluster {
	c := benchSetup(b)
	failoverOnce.Do(func() {
		if failoverErr = c.CreateTopic(failoverTopic, benchPartitions, nil); failoverErr != nil {
			return
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ProducerLinger(10*time.Millisecond), kgo.MaxBufferedRecords(100_000))
		if err != nil {
			failoverErr = err
			return
		}
		defer cl.Close()
		var failed atomic.Value
		val := make([]byte, 8)
		for i := range failoverKeys {
			cl.Produce(context.Background(), &kgo.Record{Topic: failoverTopic, Key: []byte("key-" + strconv.Itoa(i)), Value: val}, func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Store(err)
				}
			})
		}
		if failoverErr = cl.Flush(context.Background()); failoverErr != nil {
			return
		}
		if err, ok := failed.Load().(error); ok {
			failoverErr = err
		}
	})
	if failoverErr != nil {
		b.Fatal(failoverErr)
	}
	return c
}

func failoverTopology(b *testing.B) *topology.Topology {
	tb := topology.NewBuilder()
	topology.AddSource(tb, "In", topology.Source[string, []byte]{Topics: []string{failoverTopic}, Keys: serde.String, Values: serde.Bytes})
	topology.AddProcessor(tb, "Count", func() processor.Processor[string, []byte, string, int64] { return &counter{} }, "In")
	tb.AddStateStore(kv.NewBuilder(rocksdb.Supplier("counts"), serde.String, serde.Int64).WithCachingEnabled(), "Count")
	top, err := tb.Build()
	if err != nil {
		b.Fatal(err)
	}
	return top
}

// BenchmarkFailover times a failover: two instances (one worker each) share the count of
// 400,000 distinct keys over 8 partitions; once both run four tasks each (and, with
// standbys=1, the second holds caught-up replicas of the first's), the first crashes and the
// timer runs until the second runs all eight. With standbys=0 the second restores the dead
// instance's stores from their changelogs in full; with standbys=1 it promotes its replicas,
// which restore only the tail. restored-records/op is what the second instance restored in
// the failover.
func BenchmarkFailover(b *testing.B) {
	for _, standbys := range []int{0, 1} {
		b.Run(fmt.Sprintf("standbys=%d", standbys), func(b *testing.B) {
			c := failoverSetup(b)
			top := failoverTopology(b)
			b.ReportAllocs()
			b.ResetTimer()
			b.StopTimer()
			var restored int64
			for range b.N {
				app := fmt.Sprintf("failover-%d", benchApp.Add(1))
				opts := func(extra ...driver.Option) []driver.Option {
					return append([]driver.Option{driver.ApplicationID(app), driver.BootstrapServers(c.Addrs()...),
						driver.StateDir(b.TempDir()), driver.Logger(benchLogger()),
						// Heartbeats every 100 ms (Kafka's default is 3 s): the survivor learns of
						// the rebalance at once, so the time measured is the hand-over itself.
						driver.ClientOptions(append(benchKgoOpts(), kgo.HeartbeatInterval(100*time.Millisecond))...),
						driver.Concurrency(1), driver.CommitInterval(time.Second), driver.NumStandbyReplicas(standbys),
						driver.ProbingRebalanceInterval(5 * time.Second)}, extra...)
				}
				d1, err := driver.New(top, opts()...)
				if err != nil {
					b.Fatal(err)
				}
				if err := d1.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				for d1.ProcessedRecords() < failoverKeys {
					if d1.Err() != nil {
						b.Fatal(d1.Err())
					}
					time.Sleep(5 * time.Millisecond)
				}
				listener := &countingListener{}
				d2, err := driver.New(top, opts(driver.RestoreListener(listener))...)
				if err != nil {
					b.Fatal(err)
				}
				if err := d2.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				deadline := time.Now().Add(2 * time.Minute)
				for !failoverSettled(d1, d2, standbys) {
					if time.Now().After(deadline) {
						b.Fatalf("no stable assignment: tasks %v/%v, standbys %v/%v", d1.LocalTasks(), d2.LocalTasks(), d1.LocalStandbyTasks(), d2.LocalStandbyTasks())
					}
					time.Sleep(20 * time.Millisecond)
				}
				before := listener.restored.Load()
				b.StartTimer()
				driver.Crash(d1)
				for d2.State() != driver.Running || len(d2.LocalTasks()) != benchPartitions {
					if d2.Err() != nil {
						b.Fatal(d2.Err())
					}
					time.Sleep(time.Millisecond)
				}
				b.StopTimer()
				restored += listener.restored.Load() - before
				if err := d2.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(restored)/float64(b.N), "restored-records/op")
		})
	}
}

// failoverSettled reports whether the two instances run four tasks each and, with standbys,
// whether the second's replicas of the first's tasks have caught up.
func failoverSettled(d1, d2 *driver.Driver, standbys int) bool {
	if d1.State() != driver.Running || d2.State() != driver.Running ||
		len(d1.LocalTasks()) != benchPartitions/2 || len(d2.LocalTasks()) != benchPartitions/2 {
		return false
	}
	if standbys == 0 {
		return true
	}
	if len(d2.LocalStandbyTasks()) != benchPartitions/2 {
		return false
	}
	lags, err := d2.AllLocalStorePartitionLags(context.Background())
	if err != nil {
		return false
	}
	for _, li := range lags["counts"] {
		if li.OffsetLag > 0 {
			return false
		}
	}
	return len(lags["counts"]) == benchPartitions
}
