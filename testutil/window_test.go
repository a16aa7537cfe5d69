package testutil_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

type perMinute struct {
	store *window.Store[string, int64]
}

func (c *perMinute) Init(ctx processor.Context[string, string]) (err error) {
	c.store, err = processor.WindowStore[string, int64](ctx, "per-minute")
	return err
}

func (c *perMinute) Process(r processor.Record[string, string]) error {
	start := r.Timestamp() - r.Timestamp()%60_000
	n, _, err := c.store.Get(r.Key(), start)
	if err != nil {
		return err
	}
	return c.store.Put(r.Key(), n+1, start)
}

func (c *perMinute) Close() error { return nil }

// A Processor-API node counts per 1-minute window in an in-memory window store; the test
// reads the windows with testutil.WindowStore (Kafka's getWindowStore), backward too, and
// sees a window expire once stream time passes its retention (2 min, one-minute segments).
func TestWindowStoreGetter(t *testing.T) {
	sup, err := window.InMemorySupplier("per-minute", window.Options{WindowSize: time.Minute, Retention: 2 * time.Minute, Segments: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := topology.NewBuilder()
	topology.AddSource(b, "in", topology.Source[string, string]{Topics: []string{"views"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "count", func() processor.Processor[string, string, string, string] { return &perMinute{} }, "in")
	b.AddStateStore(window.NewBuilder(sup, serde.String, serde.Int64), "count")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "views", serde.String, serde.String)
	for _, ts := range []int64{1_000, 2_000, 61_000} {
		if err := in.PipeInputWithTimestamp("home", "v", ts); err != nil {
			t.Fatal(err)
		}
	}
	store, err := testutil.WindowStore[string, int64](d, "per-minute")
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(backward bool) string {
		var c cursor.Cursor[int64, int64]
		if backward {
			c, err = store.BackwardFetch("home", 0, 1_000_000)
		} else {
			c, err = store.Fetch("home", 0, 1_000_000)
		}
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for start, n := range cursor.All(c) {
			out = append(out, fmt.Sprintf("%d=%d", start/1000, n))
		}
		return fmt.Sprint(out)
	}
	if got, want := fetch(false), "[0=2 60=1]"; got != want {
		t.Errorf("Fetch = %s, want %s", got, want)
	}
	if got, want := fetch(true), "[60=1 0=2]"; got != want {
		t.Errorf("BackwardFetch = %s, want %s", got, want)
	}
	// Stream time 250 s: windows starting before 250 − 120 + 1 s are gone.
	if err := in.PipeInputWithTimestamp("home", "v", 250_000); err != nil {
		t.Fatal(err)
	}
	if got, want := fetch(false), "[240=1]"; got != want {
		t.Errorf("after stream time 250 s: Fetch = %s, want %s", got, want)
	}
	if _, err := testutil.SessionStore[string, int64](d, "per-minute"); err == nil {
		t.Error("SessionStore on a window store: no error")
	}
}
