package driver_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A fresh standby (no checkpoint) on changelogs whose log start is above 0 (records deleted,
// as a compact,delete window changelog has) replays from the log start; it is not taken for a
// corrupted one and wiped.
func TestStandbyFreshAfterDeletedRecords(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(300, 11), truth)
	opts := []driver.Option{driver.NumStandbyReplicas(1), driver.Concurrency(1), driver.Logger(discardLogger())}
	d1 := start(t, c, t.TempDir(), opts...)
	eventually(t, "first instance alone", 30*time.Second, func() string { return diffCounts(storeContents(t, d1), truth) })
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topic := changelog.TopicName("wc", wordcount.StoreName)
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	os := kadm.Offsets{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 2 {
			os.AddOffset(o.Topic, o.Partition, 2, -1)
		}
	})
	res, err := adm.DeleteRecords(context.Background(), os)
	if err != nil {
		t.Fatal(err)
	}
	res.Each(func(r kadm.DeleteRecordsResponse) {
		t.Logf("delete %s-%d low %d err %v", r.Topic, r.Partition, r.LowWatermark, r.Err)
	})
	logs := &lockedBuffer{}
	d2 := start(t, c, t.TempDir(), append(opts, driver.Logger(slog.New(slog.NewTextHandler(logs, nil))))...)
	eventually(t, "standbys", 30*time.Second, func() string {
		if len(d2.LocalStandbyTasks()) == 0 {
			return "none"
		}
		return ""
	})
	eventually(t, "fresh replicas hold every count", 30*time.Second, func() string {
		got, err := staleContents(t, d2)
		if err != nil {
			return err.Error()
		}
		return diffCounts(got, truth)
	})
	if strings.Contains(logs.String(), "out of the changelog") {
		t.Errorf("a fresh standby was wiped as out of range:\n%s", logs)
	}
}

// Three instances of three workers each with standbys join and leave: no worker waits out a
// sibling's task directory (a standby it gives up is closed before new tasks open), nothing
// fails, and the survivor ends with every count.
func TestStandbyMultiWorkerChurn(t *testing.T) {
	c := newCluster(t)
	truth := map[string]int64{}
	produceLines(t, c, lines(400, 7), truth)
	logs := &lockedBuffer{}
	opts := []driver.Option{driver.NumStandbyReplicas(1), driver.Concurrency(3), driver.Logger(slog.New(slog.NewTextHandler(logs, nil)))}
	running := func(ds ...*driver.Driver) func() string {
		return func() string {
			for i, d := range ds {
				if d.State() != driver.Running {
					return fmt.Sprintf("instance %d %s", i, d.State())
				}
			}
			return ""
		}
	}
	d1 := start(t, c, t.TempDir(), opts...)
	eventually(t, "first alone", 30*time.Second, func() string { return diffCounts(storeContents(t, d1), truth) })
	d2 := start(t, c, t.TempDir(), opts...)
	eventually(t, "two running", 60*time.Second, running(d1, d2))
	d3 := start(t, c, t.TempDir(), opts...)
	eventually(t, "three running", 60*time.Second, running(d1, d2, d3))
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two left running", 60*time.Second, running(d2, d3))
	if err := d3.Close(); err != nil {
		t.Fatal(err)
	}
	produceLines(t, c, lines(100, 9), truth)
	eventually(t, "the survivor has every count", 60*time.Second, func() string { return diffCounts(storeContents(t, d2), truth) })
	if err := d2.Err(); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "still in use") {
			t.Errorf("log: %s", l)
		}
	}
}
