package topology_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The joins on the Kafka runtime (an embedded kfake broker), run by two instances of one
// application (two drivers with the same application id and their own state directories),
// with inputs of 4 partitions each: the join output equals the truth computed here.

const joinPartitions = 4

// joinBase is the timestamp of the first input record.
const joinBase = int64(1_700_000_000_000)

func newJoinCluster(t *testing.T, topics ...string) *testutil.Cluster {
	t.Helper()
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, topic := range topics {
		if err := c.CreateTopic(topic, joinPartitions, nil); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// startJoinInstances starts two instances of top and waits until both run and share the
// tasks of the join's sub-topology (so that no rebalance moves a task while records are
// processed: the runtime is at-least-once, and a move could repeat output).
func startJoinInstances(t *testing.T, c *testutil.Cluster, top *topology.Topology, appID string) (*driver.Driver, *driver.Driver) {
	t.Helper()
	var ds [2]*driver.Driver
	for i := range ds {
		d, err := driver.New(top, driver.ApplicationID(appID), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
			driver.CommitInterval(100*time.Millisecond), driver.Logger(discardJoinLogger()),
			driver.ClientOptions(kgo.FetchMaxWait(50*time.Millisecond), kgo.SessionTimeout(6*time.Second),
				kgo.RebalanceTimeout(10*time.Second), kgo.MetadataMinAge(50*time.Millisecond)))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		ds[i] = d
	}
	joinEventually(t, "both instances running with tasks", func() string {
		t1, t2 := ds[0].LocalTasks(), ds[1].LocalTasks()
		tasks := map[processor.TaskID]bool{}
		for _, id := range append(slices.Clone(t1), t2...) {
			tasks[id] = true
		}
		if ds[0].State() != driver.Running || ds[1].State() != driver.Running || len(t1) == 0 || len(t2) == 0 || len(tasks) != len(t1)+len(t2) || len(tasks) < joinPartitions {
			return fmt.Sprintf("states %s/%s, tasks %v/%v", ds[0].State(), ds[1].State(), t1, t2)
		}
		return ""
	})
	return ds[0], ds[1]
}

func discardJoinLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func joinEventually(t *testing.T, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if last = cond(); last == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not reached after 20s: %s", what, last)
}

// joinKey is the i-th key, and joinPartition its partition in every input topic (the inputs
// are co-partitioned, as a join requires).
func joinKey(i int) string      { return fmt.Sprintf("k%03d", i) }
func joinPartition(i int) int32 { return int32(i % joinPartitions) }
func joinProduce(t *testing.T, c *testutil.Cluster, recs []*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
}

// joinOutput reads topic from the start until a poll returns nothing, and returns its
// records as sorted "key=value" strings.
func joinOutput(t *testing.T, c *testutil.Cluster, topic string) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		f := cl.PollFetches(ctx)
		cancel()
		n := 0
		f.EachRecord(func(r *kgo.Record) {
			n++
			got = append(got, string(r.Key)+"="+string(r.Value))
		})
		if n == 0 {
			sort.Strings(got)
			return got
		}
	}
}

// waitJoinOutput waits until topic holds exactly want (sorted), and then that it stays so.
func waitJoinOutput(t *testing.T, c *testutil.Cluster, topic string, want []string) {
	t.Helper()
	sort.Strings(want)
	diff := func() string {
		got := joinOutput(t, c, topic)
		if slices.Equal(got, want) {
			return ""
		}
		return diffJoinOutput(got, want)
	}
	joinEventually(t, "join output", diff)
	// Nothing more comes (no duplicates after a late commit).
	time.Sleep(500 * time.Millisecond)
	if d := diff(); d != "" {
		t.Fatalf("join output changed after it was complete: %s", d)
	}
}

func diffJoinOutput(got, want []string) string {
	count := map[string]int{}
	for _, s := range got {
		count[s]++
	}
	for _, s := range want {
		count[s]--
	}
	var extra, missing []string
	for s, n := range count {
		for ; n > 0; n-- {
			extra = append(extra, s)
		}
		for ; n < 0; n++ {
			missing = append(missing, s)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 5 {
		extra = append(extra[:5], "...")
	}
	if len(missing) > 5 {
		missing = append(missing[:5], "...")
	}
	return fmt.Sprintf("%d records, want %d; extra %v, missing %v", len(got), len(want), extra, missing)
}

// A stream-stream inner join of two 4-partition topics with a 10-second window (and a grace
// of 5 minutes, so that no record expires whatever order the partitions are read in), run by
// two instances: 200 keys, each with left records at 0 s and 30 s and right records at 5 s,
// 35 s and 38 s (plus a few milliseconds per key). Each pair of records of a key at most 10 s
// apart gives one result (3 per key), and no other pair does.
func TestDSLStreamStreamJoinOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	c := newJoinCluster(t, "ssj-left", "ssj-right", "ssj-out")
	window := 10 * time.Second
	sb := topology.NewStreamsBuilder()
	left := topology.Stream(sb, "ssj-left", strs)
	right := topology.Stream(sb, "ssj-right", strs)
	topology.Join(left, right, func(v, o string) string { return v + "+" + o },
		topology.JoinWindowsOfTimeDifferenceAndGrace(window, 5*time.Minute),
		topology.StreamJoined[string, string, string]{StoreType: topology.StoreInMemory}).
		To("ssj-out", topology.Produced[string, string]{Values: serde.String})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		key, value string
		ts         int64
	}
	var lefts, rights []rec
	var recs []*kgo.Record
	for i := range 200 {
		k := joinKey(i)
		for _, s := range []int64{0, 30} {
			r := rec{k, fmt.Sprintf("L%d@%d", i, s), joinBase + s*1000 + int64(i)*7}
			lefts = append(lefts, r)
			recs = append(recs, &kgo.Record{Topic: "ssj-left", Key: []byte(r.key), Value: []byte(r.value), Timestamp: time.UnixMilli(r.ts), Partition: joinPartition(i)})
		}
		for _, s := range []int64{5, 35, 38} {
			r := rec{k, fmt.Sprintf("R%d@%d", i, s), joinBase + s*1000 + int64(i)*11}
			rights = append(rights, r)
			recs = append(recs, &kgo.Record{Topic: "ssj-right", Key: []byte(r.key), Value: []byte(r.value), Timestamp: time.UnixMilli(r.ts), Partition: joinPartition(i)})
		}
	}
	// The truth: every pair of a key at most the window apart.
	var want []string
	for _, l := range lefts {
		for _, r := range rights {
			if l.key == r.key && max(l.ts-r.ts, r.ts-l.ts) <= window.Milliseconds() {
				want = append(want, l.key+"="+l.value+"+"+r.value)
			}
		}
	}
	if len(want) != 600 {
		t.Fatalf("truth has %d results, want 600 (3 per key)", len(want))
	}
	startJoinInstances(t, c, top, "ssjoin")
	joinProduce(t, c, recs)
	waitJoinOutput(t, c, "ssj-out", want)
}

// A stream-table inner join (4-partition stream and table topics, in-memory table store),
// run by two instances: the table gets 200 keys; clicks on 250 keys (50 the table lacks) give
// one result per click on a known key; after an update of every tenth key of the table, new
// clicks see the new values.
func TestDSLStreamTableJoinOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	c := newJoinCluster(t, "stj-clicks", "stj-users", "stj-out")
	sb := topology.NewStreamsBuilder()
	clicks := topology.Stream(sb, "stj-clicks", strs)
	users := topology.Table(sb, "stj-users", strs, topology.Materialized[string, string]{Name: "stj-users-store", StoreType: topology.StoreInMemory})
	topology.JoinTable(clicks, users, func(v, u string) string { return v + "@" + u }).
		To("stj-out", topology.Produced[string, string]{Values: serde.String})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := startJoinInstances(t, c, top, "stjoin")

	table := map[string]string{}
	var recs []*kgo.Record
	for i := range 200 {
		k, v := joinKey(i), fmt.Sprintf("user%d", i)
		table[k] = v
		recs = append(recs, &kgo.Record{Topic: "stj-users", Key: []byte(k), Value: []byte(v), Timestamp: time.UnixMilli(joinBase), Partition: joinPartition(i)})
	}
	joinProduce(t, c, recs)
	waitJoinTable(t, table, d1, d2)

	var want []string
	clicksOn := func(round int) {
		recs = recs[:0]
		for i := range 250 {
			k, v := joinKey(i), fmt.Sprintf("click%d-%d", round, i)
			if u, ok := table[k]; ok {
				want = append(want, k+"="+v+"@"+u)
			}
			recs = append(recs, &kgo.Record{Topic: "stj-clicks", Key: []byte(k), Value: []byte(v), Timestamp: time.UnixMilli(joinBase + int64(round)*1000 + int64(i)), Partition: joinPartition(i)})
		}
		joinProduce(t, c, recs)
	}
	clicksOn(1)
	waitJoinOutput(t, c, "stj-out", want)

	recs = recs[:0]
	for i := 0; i < 200; i += 10 {
		k, v := joinKey(i), fmt.Sprintf("user%d-v2", i)
		table[k] = v
		recs = append(recs, &kgo.Record{Topic: "stj-users", Key: []byte(k), Value: []byte(v), Timestamp: time.UnixMilli(joinBase + 1500), Partition: joinPartition(i)})
	}
	joinProduce(t, c, recs)
	waitJoinTable(t, table, d1, d2)
	clicksOn(2)
	waitJoinOutput(t, c, "stj-out", want)
}

// waitJoinTable waits until the table's store, across both instances, holds want.
func waitJoinTable(t *testing.T, want map[string]string, ds ...*driver.Driver) {
	t.Helper()
	joinEventually(t, "table loaded", func() string {
		got := map[string]string{}
		for _, d := range ds {
			s, err := driver.KeyValueStore[string, string](d, "stj-users-store")
			if err != nil {
				return err.Error()
			}
			cur, err := s.All()
			if err != nil {
				return err.Error()
			}
			for k, v := range cursor.All(cur) {
				got[k] = v
			}
			if err := cur.Close(); err != nil {
				return err.Error()
			}
		}
		n := 0
		for k, v := range want {
			if got[k] == v {
				n++
			}
		}
		if n != len(want) || len(got) != len(want) {
			return fmt.Sprintf("%d of %d entries right, %d in the stores", n, len(want), len(got))
		}
		return ""
	})
}
