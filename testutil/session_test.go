package testutil_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

type sessionize struct {
	store *session.Store[string, int64]
}

func (s *sessionize) Init(ctx processor.Context[string, string]) (err error) {
	s.store, err = processor.SessionStore[string, int64](ctx, "sessions")
	return err
}

func (s *sessionize) Process(r processor.Record[string, string]) error {
	_, err := session.Merge(s.store, session.Aggregator[string, string, int64]{
		Gap:   5 * time.Second,
		Init:  func() int64 { return 0 },
		Add:   func(_ string, _ string, n int64) int64 { return n + 1 },
		Merge: func(_ string, a, b int64) int64 { return a + b },
	}, r.Key(), r.Value(), r.Timestamp(), r.Timestamp())
	return err
}

func (s *sessionize) Close() error { return nil }

// A Processor-API node keeps sessions in a session store under the TopologyTestDriver, and
// the test reads them back with testutil.SessionStore: the kstreams-clj example (gap 5 s,
// events at 10, 12, 20 s, then a late one at 16 s).
func TestSessionStoreGetter(t *testing.T) {
	sup, err := session.InMemorySupplier("sessions", session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := topology.NewBuilder()
	topology.AddSource(b, "in", topology.Source[string, string]{Topics: []string{"events"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "sessionize", func() processor.Processor[string, string, string, string] { return &sessionize{} }, "in")
	b.AddStateStore(session.NewBuilder(sup, serde.String, serde.Int64), "sessionize")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "events", serde.String, serde.String)
	store, err := testutil.SessionStore[string, int64](d, "sessions")
	if err != nil {
		t.Fatal(err)
	}
	sessions := func() string {
		c, err := store.Fetch("k")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for w, n := range cursor.All(c) {
			out = append(out, fmt.Sprintf("[%d,%d]=%d", w.Start/1000, w.End/1000, n))
		}
		return fmt.Sprint(out)
	}
	for _, ts := range []int64{10_000, 12_000, 20_000} {
		if err := in.PipeInputWithTimestamp("k", "e", ts); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := sessions(), "[[10,12]=2 [20,20]=1]"; got != want {
		t.Errorf("after 10, 12, 20: %s, want %s", got, want)
	}
	if err := in.PipeInputWithTimestamp("k", "e", 16_000); err != nil {
		t.Fatal(err)
	}
	if got, want := sessions(), "[[10,20]=4]"; got != want {
		t.Errorf("after the late 16: %s, want %s", got, want)
	}
	if _, err := testutil.KeyValueStore[string, int64](d, "sessions"); err == nil {
		t.Error("KeyValueStore on a session store: no error")
	}
}
