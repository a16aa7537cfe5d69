package testutil_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Records written to a topic the topology reads own their bytes, through both hops: a
// processor that keeps the values its source borrowed (serde.Bytes) from a re-piped topic,
// and reads of the captured topics, see every record's bytes intact after thousands more
// records went through the driver.
func TestRepipedAndCapturedRecordsOwnTheirBytes(t *testing.T) {
	var kept [][]byte
	b := topology.NewBuilder()
	topology.AddSource(b, "in", topology.Source[string, []byte]{Topics: []string{"in"}, Keys: serde.String, Values: serde.Bytes})
	topology.AddSink(b, "to-mid", topology.Sink[string, []byte]{Topic: "mid", Keys: serde.String, Values: serde.Bytes}, "in")
	topology.AddSource(b, "mid", topology.Source[string, []byte]{Topics: []string{"mid"}, Keys: serde.String, Values: serde.Bytes})
	topology.AddProcessor(b, "keep", processor.Func(func(ctx processor.Context[string, []byte], r processor.Record[string, []byte]) error {
		kept = append(kept, r.Value())
		return ctx.Forward(r)
	}), "mid")
	topology.AddSink(b, "to-out", topology.Sink[string, []byte]{Topic: "out", Keys: serde.String, Values: serde.Bytes}, "keep")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.Bytes)
	mid := testutil.CreateOutputTopic(d, "mid", serde.String, serde.Bytes)
	out := testutil.CreateOutputTopic(d, "out", serde.String, serde.Bytes)
	value := func(i int) []byte { return []byte(fmt.Sprintf("value %d %s", i, bytes.Repeat([]byte{'x'}, i%50))) }
	const n = 5000
	for i := range n {
		v := value(i)
		if err := in.PipeInput(fmt.Sprint(i), v); err != nil {
			t.Fatal(err)
		}
		clear(v) // the driver copied it
	}
	if len(kept) != n {
		t.Fatalf("kept %d values, want %d", len(kept), n)
	}
	for i, v := range kept {
		if !bytes.Equal(v, value(i)) {
			t.Fatalf("kept value %d = %q, want %q", i, v, value(i))
		}
	}
	for _, o := range []*testutil.TestOutputTopic[string, []byte]{mid, out} {
		for i := range n {
			r, err := o.ReadRecord()
			if err != nil {
				t.Fatal(err)
			}
			if r.Key != fmt.Sprint(i) || !bytes.Equal(r.Value, value(i)) {
				t.Fatalf("record %d = %q %q", i, r.Key, r.Value)
			}
		}
	}
}
