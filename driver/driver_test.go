package driver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
)

func TestNewValidatesOptions(t *testing.T) {
	top, err := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts []driver.Option
		want string
	}{
		{"no application id", nil, "ApplicationID is required"},
		{"zero concurrency", []driver.Option{driver.ApplicationID("a"), driver.Concurrency(0)}, "Concurrency 0"},
		{"bad commit interval", []driver.Option{driver.ApplicationID("a"), driver.CommitInterval(0)}, "CommitInterval"},
		{"exactly once", []driver.Option{driver.ApplicationID("a"), driver.Guarantee(driver.ExactlyOnceV2)}, "exactly_once_v2 is not supported yet"},
		{"bad endpoint", []driver.Option{driver.ApplicationID("a"), driver.ApplicationServer("nohost")}, "ApplicationServer"},
	} {
		if _, err := driver.New(top, c.opts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := driver.New(nil, driver.ApplicationID("a")); err == nil {
		t.Error("New(nil topology): no error")
	}
}

// A source topic that does not exist is a clear error at Start, naming the topic.
func TestStartMissingSourceTopic(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	top, _ := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	d, err := driver.New(top, driver.ApplicationID("missing"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "source topic "+wordcount.InputTopic) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Start = %v, want an error naming the missing source topic %s", err, wordcount.InputTopic)
	}
	if d.State() != driver.Error {
		t.Errorf("state %s, want ERROR", d.State())
	}
	if err := d.Start(context.Background()); !errors.Is(err, driver.ErrNotRunning) {
		t.Errorf("second Start = %v, want ErrNotRunning", err)
	}
	if err := d.Close(); err == nil {
		t.Error("Close after a failed Start: want the start error again")
	}
}

// An existing changelog topic with a partition count other than the task count is an error
// naming the topic and both counts.
func TestStartWrongChangelogPartitions(t *testing.T) {
	c := newCluster(t)
	topic := changelog.TopicName("wrong", wordcount.StoreName)
	if err := c.CreateTopic(topic, partitions+1, nil); err != nil {
		t.Fatal(err)
	}
	top, _ := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	d, err := driver.New(top, driver.ApplicationID("wrong"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), topic) || !strings.Contains(err.Error(), "has 5 partitions, want 4") {
		t.Fatalf("Start = %v, want an error naming %s with 5 partitions, want 4", err, topic)
	}
}

// Close before Start, twice; Run returns when its context ends and closes the driver.
func TestLifecycle(t *testing.T) {
	top, _ := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	d, err := driver.New(top, driver.ApplicationID("life"))
	if err != nil {
		t.Fatal(err)
	}
	if d.State() != driver.Created {
		t.Errorf("new driver state %s, want CREATED", d.State())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d.State() != driver.NotRunning {
		t.Errorf("state after Close %s, want NOT_RUNNING", d.State())
	}
	if err := d.Start(context.Background()); !errors.Is(err, driver.ErrNotRunning) {
		t.Errorf("Start after Close = %v, want ErrNotRunning", err)
	}

	c := newCluster(t)
	d, err = driver.New(top, driver.ApplicationID("run"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	eventually(t, "running", 20*time.Second, func() string {
		if s := d.State(); s != driver.Running {
			return s.String()
		}
		return ""
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after the context ended", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if d.State() != driver.NotRunning {
		t.Errorf("state after Run %s, want NOT_RUNNING", d.State())
	}
}
