package engine_test

import (
	"testing"
	"unsafe"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/topology"
)

// copyingCollector is a collector that copies what it keeps (engine.CopyingCollector).
type copyingCollector struct{ collector }

func (c *copyingCollector) CopiesRecords() {}

// A sink whose serializers are serde.Viewers hands a CopyingCollector views of the key and
// value (the strings' own bytes), and any other collector fresh serializations; the bytes
// are the same, and an empty key or value is empty, not nil.
func TestSinkViewsForCopyingCollector(t *testing.T) {
	key, value := "the key", "the value"
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[string, string]{Topics: []string{"in"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(b, "processor", fns[string, string]{
		process: func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
			if r.Key() == "" {
				return ctx.Forward(r)
			}
			return ctx.Forward(r.WithKey(key).WithValue(value))
		},
	}.supplier(), "source")
	topology.AddSink(b, "sink", topology.Sink[string, string]{Topic: "out", Keys: serde.String, Values: serde.String}, "processor")
	g := graphOf(t, b)
	for _, copying := range []bool{false, true} {
		c := &copyingCollector{}
		cfg := engine.Config{Collector: &c.collector}
		if copying {
			cfg.Collector = c
		}
		task := newTask(t, g, 0, cfg)
		ok(t, task.AddRecords("in", 0, []engine.RawRecord{
			{Topic: "in", Key: []byte("k"), Value: []byte("v"), Timestamp: 1},
			{Topic: "in", Key: []byte{}, Value: []byte{}, Timestamp: 2},
		}))
		process(t, task)
		process(t, task)
		sent := c.sent
		if len(sent) != 2 || string(sent[0].Key) != key || string(sent[0].Value) != value ||
			sent[1].Key == nil || len(sent[1].Key) != 0 || sent[1].Value == nil || len(sent[1].Value) != 0 || sent[1].Tombstone {
			t.Fatalf("copying %v: sent %+v", copying, sent)
		}
		keyView := &sent[0].Key[0] == unsafe.StringData(key)
		valueView := &sent[0].Value[0] == unsafe.StringData(value)
		if keyView != copying || valueView != copying {
			t.Errorf("copying %v: key is a view %v, value is a view %v", copying, keyView, valueView)
		}
	}
}
