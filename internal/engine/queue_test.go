package engine_test

import (
	"testing"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/topology"
)

type capture struct{ values []string }

func (c *capture) Send(r engine.OutRecord) error {
	c.values = append(c.values, string(r.Value))
	return nil
}
func (c *capture) PartitionCount(string) (int, error) { return 1, nil }

// A queue that never drains (one record added, one processed, always one waiting) keeps
// its order across the compactions that stop it from growing.
func TestQueueNeverDrainingKeepsOrder(t *testing.T) {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[string, string]{Topics: []string{"in"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "p", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		return ctx.Forward(r)
	}), "source")
	topology.AddSink(b, "sink", topology.Sink[string, string]{Topic: "out", Keys: serde.String, Values: serde.String}, "p")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	g, _ := engine.GraphOf(top)
	out := &capture{}
	task, err := engine.NewTask(g, g.Subtopologies[0], 0, engine.Config{ApplicationID: "app", StateDir: t.TempDir(), Collector: out})
	if err != nil {
		t.Fatal(err)
	}
	defer task.Close()
	if err := task.Init(); err != nil {
		t.Fatal(err)
	}
	const n = 10_000
	add := func(i int) {
		v := []byte{byte('a' + i%26)}
		if err := task.AddRecords("in", 0, []engine.RawRecord{{Topic: "in", Offset: int64(i), Key: []byte("k"), Value: v, Timestamp: int64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	add(0)
	for i := 1; i < n; i++ {
		add(i)
		if ok, err := task.Process(); !ok || err != nil {
			t.Fatalf("Process at %d: %v, %v", i, ok, err)
		}
		if task.Queued() != 1 {
			t.Fatalf("queued %d, want 1", task.Queued())
		}
	}
	for ok := true; ok; {
		if ok, err = task.Process(); err != nil {
			t.Fatal(err)
		}
	}
	if len(out.values) != n {
		t.Fatalf("%d records out, want %d", len(out.values), n)
	}
	for i, v := range out.values {
		if want := string(rune('a' + i%26)); v != want {
			t.Fatalf("record %d = %q, want %q", i, v, want)
		}
	}
}
