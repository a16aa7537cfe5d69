package driver_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
)

// staleContents reads the whole word-count store of one instance, standbys included
// (StaleStores).
func staleContents(t *testing.T, d *driver.Driver, opts ...driver.StoreQueryOption) (map[string]int64, error) {
	t.Helper()
	s, err := driver.KeyValueStore[string, int64](d, wordcount.StoreName, append([]driver.StoreQueryOption{driver.StaleStores()}, opts...)...)
	if err != nil {
		return nil, err
	}
	c, err := s.All()
	if err != nil {
		return nil, err
	}
	got := map[string]int64{}
	for k, v := range cursor.All(c) {
		got[k] = v
	}
	return got, c.Err()
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// Standby replicas (num.standby.replicas=1) on two instances: every stateful task is active on
// one instance and a standby on the other, which keeps replaying its changelog, so each
// instance can answer for every key with StaleStores (KIP-535); KeyQueryMetadata names the
// standby host; the lags reach 0. When the first instance leaves, the second promotes its
// standbys and restores only the changelogs' tails, not the whole state.
func TestStandbyReplicas(t *testing.T) {
	for _, g := range []driver.ProcessingGuarantee{driver.AtLeastOnce, driver.ExactlyOnceV2} {
		t.Run(g.String(), func(t *testing.T) { testStandbyReplicas(t, g, rocksdb.Supplier(wordcount.StoreName)) })
	}
	// An in-memory store's standby replays its changelog from the start when it opens, and a
	// promoted one restores from its in-memory position.
	t.Run("in-memory", func(t *testing.T) {
		testStandbyReplicas(t, driver.AtLeastOnce, kv.InMemorySupplier(wordcount.StoreName))
	})
}

func testStandbyReplicas(t *testing.T, g driver.ProcessingGuarantee, supplier kv.Supplier) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(400, 7), truth)
	ln1, ln2 := listen(t), listen(t)
	opts := []driver.Option{driver.NumStandbyReplicas(1), driver.Concurrency(1), driver.Guarantee(g), driver.Logger(discardLogger())}
	d1 := startWith(t, c, t.TempDir(), supplier, append(opts, driver.ApplicationServer(ln1.Addr().String()))...)
	serveQueries(t, d1, ln1)
	eventually(t, "first instance alone", 30*time.Second, func() string { return diffCounts(storeContents(t, d1), truth) })
	if sb := d1.LocalStandbyTasks(); len(sb) != 0 {
		t.Errorf("a lone instance holds standbys %v; want none (no other instance to put them on)", sb)
	}

	restored := &countingListener{}
	d2 := startWith(t, c, t.TempDir(), supplier, append(opts, driver.ApplicationServer(ln2.Addr().String()), driver.RestoreListener(restored))...)
	serveQueries(t, d2, ln2)
	produceLines(t, c, lines(200, 8), truth)
	eventually(t, "both instances running with standbys", 60*time.Second, func() string {
		if d1.State() != driver.Running || d2.State() != driver.Running || len(d1.LocalStandbyTasks()) == 0 || len(d2.LocalStandbyTasks()) == 0 {
			return fmt.Sprintf("states %s/%s, tasks %v/%v, standbys %v/%v", d1.State(), d2.State(), d1.LocalTasks(), d2.LocalTasks(), d1.LocalStandbyTasks(), d2.LocalStandbyTasks())
		}
		return ""
	})
	// The count sub-topology (1) has four tasks; each is active on one instance and a standby
	// on the other. The stateless sub-topology (0) has no standbys.
	for _, d := range []*driver.Driver{d1, d2} {
		for _, id := range d.LocalStandbyTasks() {
			if id.Subtopology != 1 {
				t.Errorf("standby %s of the stateless sub-topology", id)
			}
			if slices.Contains(d.LocalTasks(), id) {
				t.Errorf("task %s both active and standby on one instance", id)
			}
		}
	}
	eventually(t, "every instance answers for every key from its actives and standbys", 30*time.Second, func() string {
		for i, d := range []*driver.Driver{d1, d2} {
			got, err := staleContents(t, d)
			if err != nil {
				return err.Error()
			}
			if diff := diffCounts(got, truth); diff != "" {
				return fmt.Sprintf("instance %d: %s", i+1, diff)
			}
		}
		return ""
	})
	// Over HTTP, stale=true answers every key from the second instance's own replicas.
	for w, n := range truth {
		var got struct {
			Key   string `json:"key"`
			Value int64  `json:"value"`
		}
		if code := getJSON(t, "http://"+ln2.Addr().String()+"/stores/Counts/keys/"+w+"?stale=true", &got); code != http.StatusOK || got.Value != n {
			t.Errorf("GET keys/%s?stale=true = %d %+v, want %d", w, code, got, n)
		}
	}
	// Without StaleStores the two instances together hold every key once.
	if diff := diffCounts(storeContents(t, d1, d2), truth); diff != "" {
		t.Errorf("active stores: %s", diff)
	}
	// KeyQueryMetadata: the active host and the other instance as the standby host.
	for w := range truth {
		md, err := driver.QueryMetadataForKey(d1, wordcount.StoreName, w, serde.String)
		if err != nil {
			t.Fatal(err)
		}
		if md.ActiveHost == (driver.HostInfo{}) || len(md.StandbyHosts) != 1 || md.StandbyHosts[0] == md.ActiveHost {
			t.Errorf("QueryMetadataForKey(%q) = %+v, want an active host and the other one as standby", w, md)
		}
	}
	for _, md := range d1.AllMetadata() {
		if len(md.StandbyTasks) == 0 || !slices.Equal(md.StandbyStateStoreNames, []string{wordcount.StoreName}) {
			t.Errorf("AllMetadata: %+v, want standby tasks of store %s", md, wordcount.StoreName)
		}
	}
	// A partition held as a standby only: readable with StaleStores, not without.
	sb := d2.LocalStandbyTasks()[0]
	if _, err := driver.KeyValueStore[string, int64](d2, wordcount.StoreName, driver.Partition(sb.Partition)); !errors.Is(err, driver.ErrStoreNotAvailable) {
		t.Errorf("query of standby-only partition %d without StaleStores: err = %v, want ErrStoreNotAvailable", sb.Partition, err)
	}
	if _, err := staleContents(t, d2, driver.Partition(sb.Partition)); err != nil {
		t.Errorf("query of standby partition %d with StaleStores: %v", sb.Partition, err)
	}
	// Lags (KIP-535): every partition of the store, active or standby, caught up.
	var changelogRecords int64
	markerLag := int64(0)
	if g == driver.ExactlyOnceV2 {
		markerLag = 1
	}
	eventually(t, "lags reach 0", 30*time.Second, func() string {
		changelogRecords = 0
		for i, d := range []*driver.Driver{d1, d2} {
			lags, err := d.AllLocalStorePartitionLags(context.Background())
			if err != nil {
				return err.Error()
			}
			parts := lags[wordcount.StoreName]
			if len(parts) != partitions {
				return fmt.Sprintf("instance %d: lags %v, want all %d partitions", i+1, lags, partitions)
			}
			for p, li := range parts {
				// Under exactly-once a caught-up replica stands before the changelog's last
				// commit marker: a read_committed consumer never sees it as a record.
				if li.OffsetLag > markerLag || li.CurrentOffsetPosition+li.OffsetLag != li.EndOffsetPosition {
					return fmt.Sprintf("instance %d partition %d: %+v", i+1, p, li)
				}
				if i == 1 {
					changelogRecords += li.EndOffsetPosition
				}
			}
		}
		return ""
	})

	// Failover: d1 leaves; d2 promotes its standbys, restoring only what they had not replayed.
	before := restored.restored.Load()
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "second instance takes every task", 60*time.Second, func() string {
		if d2.State() != driver.Running || len(d2.LocalTasks()) != 2*partitions {
			return fmt.Sprintf("state %s, tasks %v, standbys %v", d2.State(), d2.LocalTasks(), d2.LocalStandbyTasks())
		}
		return ""
	})
	tail := restored.restored.Load() - before
	t.Logf("failover restored %d changelog records of %d", tail, changelogRecords)
	if changelogRecords == 0 || tail*10 > changelogRecords {
		t.Errorf("failover restored %d changelog records of %d: want only the tail (under 10%%)", tail, changelogRecords)
	}
	produceLines(t, c, lines(100, 9), truth)
	eventually(t, "counts after failover", 30*time.Second, func() string { return diffCounts(storeContents(t, d2), truth) })
	eventually(t, "output after failover", 30*time.Second, func() string { return diffCounts(latestOutput(t, c), truth) })

	// Closed: no replica is left to read, stale or not.
	if err := d2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := staleContents(t, d2); !errors.Is(err, driver.ErrStoreNotAvailable) {
		t.Errorf("stale query after Close: err = %v, want ErrStoreNotAvailable", err)
	}
	if n := len(d2.LocalStandbyTasks()); n != 0 {
		t.Errorf("%d standbys after Close", n)
	}
}

// The standby settings are validated by New.
func TestStandbyOptionsValidated(t *testing.T) {
	top, err := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opt  driver.Option
		want string
	}{
		{driver.NumStandbyReplicas(-1), "NumStandbyReplicas -1: must not be negative"},
		{driver.AcceptableRecoveryLag(-5), "AcceptableRecoveryLag -5: must not be negative"},
		{driver.MaxWarmupReplicas(0), "MaxWarmupReplicas 0: must be at least 1"},
		{driver.ProbingRebalanceInterval(time.Millisecond), "ProbingRebalanceInterval 1ms: must be at least 1s"},
	} {
		_, err := driver.New(top, driver.ApplicationID("v"), driver.StateDir(t.TempDir()), tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New with %s: err = %v", tc.want, err)
		}
	}
}

// Warmup replicas (KIP-441): a second instance joins a first that holds all the state. With
// AcceptableRecoveryLag(10) the newcomer is far behind on every stateful task, so the assignor
// keeps those tasks on the first instance and gives the second a warmup replica (one at a
// time, MaxWarmupReplicas(1)); once a warmup has caught up, the second instance triggers a
// probing rebalance and takes the task, restoring only the tail. In the end the stateful tasks
// are balanced, two each, and the newcomer restored almost nothing from the changelogs.
func TestWarmupReplicas(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(600, 3), truth)
	opts := []driver.Option{driver.Concurrency(1), driver.AcceptableRecoveryLag(10), driver.MaxWarmupReplicas(1),
		driver.ProbingRebalanceInterval(time.Minute), driver.Logger(discardLogger())}
	d1 := start(t, c, t.TempDir(), opts...)
	eventually(t, "first instance alone", 30*time.Second, func() string { return diffCounts(storeContents(t, d1), truth) })

	restored := &countingListener{}
	d2 := start(t, c, t.TempDir(), append(opts, driver.RestoreListener(restored))...)
	stateful := func(ids []processor.TaskID) (n int) {
		for _, id := range ids {
			if id.Subtopology == 1 {
				n++
			}
		}
		return n
	}
	sawWarmup := false
	eventually(t, "stateful tasks balanced through warmups", 60*time.Second, func() string {
		if sb := d2.LocalStandbyTasks(); len(sb) > 0 {
			sawWarmup = true
			if len(sb) > 1 {
				t.Errorf("second instance holds %d warmups at once, want at most 1 (MaxWarmupReplicas)", len(sb))
			}
		}
		a1, a2 := d1.LocalTasks(), d2.LocalTasks()
		if d1.State() != driver.Running || d2.State() != driver.Running || stateful(a1) != 2 || stateful(a2) != 2 {
			return fmt.Sprintf("states %s/%s, tasks %v/%v, warmups %v", d1.State(), d2.State(), a1, a2, d2.LocalStandbyTasks())
		}
		return ""
	})
	if !sawWarmup {
		t.Errorf("the second instance never held a warmup replica")
	}
	lags, err := d2.AllLocalStorePartitionLags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var moved int64
	for _, li := range lags[wordcount.StoreName] {
		moved += li.EndOffsetPosition
	}
	t.Logf("the second instance restored %d changelog records for tasks holding %d", restored.restored.Load(), moved)
	if moved == 0 || restored.restored.Load()*10 > moved {
		t.Errorf("the second instance restored %d changelog records for stores of %d: want only tails (under 10%%)", restored.restored.Load(), moved)
	}
	produceLines(t, c, lines(100, 4), truth)
	eventually(t, "counts", 30*time.Second, func() string { return diffCounts(storeContents(t, d1, d2), truth) })
}

// lockedBuffer is an io.Writer safe for the loggers of several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A standby whose checkpoint points past its changelog's end (as after the topic was
// recreated) cannot replay from there: as Kafka treats a corrupted task, it is wiped and
// replayed from the start, and its replica then holds every count again.
func TestStandbyCorruptCheckpoint(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(300, 11), truth)
	opts := []driver.Option{driver.NumStandbyReplicas(1), driver.Concurrency(1), driver.Logger(discardLogger())}
	d1 := start(t, c, t.TempDir(), opts...)
	eventually(t, "first instance alone", 30*time.Second, func() string { return diffCounts(storeContents(t, d1), truth) })
	dir2 := t.TempDir()
	d2 := start(t, c, dir2, opts...)
	eventually(t, "second instance's replicas caught up", 60*time.Second, func() string {
		if len(d2.LocalStandbyTasks()) == 0 {
			return "no standbys yet"
		}
		got, err := staleContents(t, d2)
		if err != nil {
			return err.Error()
		}
		return diffCounts(got, truth)
	})
	standbys := d2.LocalStandbyTasks()
	if err := d2.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range standbys {
		path := filepath.Join(dir2, "wc", id.String(), changelog.CheckpointFile)
		cp, err := changelog.ReadCheckpoint(path)
		if err != nil || len(cp) == 0 {
			t.Fatalf("standby %s checkpoint %s: %v %v", id, path, cp, err)
		}
		for tp := range cp {
			cp[tp] = 999_999
		}
		if err := changelog.WriteCheckpoint(path, cp); err != nil {
			t.Fatal(err)
		}
	}
	produceLines(t, c, lines(100, 12), truth)
	logs := &lockedBuffer{}
	d2 = start(t, c, dir2, append(opts, driver.Logger(slog.New(slog.NewTextHandler(logs, nil))))...)
	eventually(t, "replicas replayed again after the wipe", 60*time.Second, func() string {
		if len(d2.LocalStandbyTasks()) == 0 {
			return "no standbys yet"
		}
		got, err := staleContents(t, d2)
		if err != nil {
			return err.Error()
		}
		return diffCounts(got, truth)
	})
	if !strings.Contains(logs.String(), "out of the changelog's range") {
		t.Errorf("no wipe logged; logs:\n%s", logs)
	}
}
