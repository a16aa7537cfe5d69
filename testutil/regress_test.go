package testutil_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// newTestDriver builds b and opens a driver on it, closed at the end of the test.
func newTestDriver(t *testing.T, b *topology.Builder) *testutil.TopologyTestDriver {
	t.Helper()
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func strSource(b *topology.Builder) {
	topology.AddSource(b, "source", topology.Source[string, string]{Topics: []string{"in"}, Keys: serde.String, Values: serde.String})
}

// A stream time near math.MaxInt64 must not make the next punctuation time overflow into the
// past (which would fire the punctuator forever): each schedule fires at most once per check,
// as Kafka's PunctuationSchedule.next is always after the current time.
func TestPunctuationNearMaxTimestamp(t *testing.T) {
	fired := 0
	b := topology.NewBuilder()
	strSource(b)
	topology.AddProcessor(b, "p", func() processor.Processor[string, string, string, string] {
		return &scheduler{interval: 10 * time.Millisecond, fn: func(int64) error { fired++; return nil }}
	}, "source")
	d := newTestDriver(t, b)
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	for _, ts := range []int64{math.MaxInt64 - 5, math.MaxInt64 - 1, math.MaxInt64} {
		if err := in.PipeInputWithTimestamp("k", "v", ts); err != nil {
			t.Fatal(err)
		}
	}
	// Fires at the first record (aligned to 0); the next time saturates at MaxInt64, which
	// the last record reaches.
	if fired != 2 {
		t.Errorf("punctuator fired %d times, want 2", fired)
	}
}

type scheduler struct {
	interval time.Duration
	fn       processor.Punctuator
}

func (s *scheduler) Init(ctx processor.Context[string, string]) error {
	_, err := ctx.Schedule(s.interval, processor.StreamTime, s.fn)
	return err
}
func (s *scheduler) Process(processor.Record[string, string]) error { return nil }
func (s *scheduler) Close() error                                   { return nil }

// Two children that each append a header to the record they were forwarded must not see each
// other's header: a record's headers are never written through by an append.
func TestHeaderAppendDoesNotLeakBetweenBranches(t *testing.T) {
	b := topology.NewBuilder()
	strSource(b)
	topology.AddProcessor(b, "fan", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		h := make(processor.Headers, 1, 4) // spare capacity, as appends leave behind
		h[0] = processor.Header{Key: "from", Value: []byte("fan")}
		return ctx.Forward(r.WithHeaders(h))
	}), "source")
	for _, branch := range []string{"a", "b"} {
		topology.AddProcessor(b, "tag-"+branch, processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
			return ctx.Forward(r.WithHeaders(append(r.Headers(), processor.Header{Key: "branch", Value: []byte(branch)})))
		}), "fan")
		topology.AddSink(b, "sink-"+branch, topology.Sink[string, string]{Topic: branch, Keys: serde.String, Values: serde.String}, "tag-"+branch)
	}
	d := newTestDriver(t, b)
	if err := testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeInput("k", "v"); err != nil {
		t.Fatal(err)
	}
	for _, branch := range []string{"a", "b"} {
		r, err := testutil.CreateOutputTopic(d, branch, serde.String, serde.String).ReadRecord()
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Headers.LastValue("branch"); string(v) != branch {
			t.Errorf("topic %s: header branch = %q, want %q", branch, v, branch)
		}
	}
}

// A sink's topic-chooser failure is the sink's error, not its parent's.
func TestTopicChooserErrorNamesTheSink(t *testing.T) {
	b := topology.NewBuilder()
	strSource(b)
	topology.AddProcessor(b, "p", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		return ctx.Forward(r)
	}), "source")
	topology.AddSink(b, "router", topology.Sink[string, string]{
		TopicChooser: func(string, string, processor.RecordMetadata) string { return "" },
		Keys:         serde.String, Values: serde.String,
	}, "p")
	d := newTestDriver(t, b)
	err := testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeInput("k", "v")
	var pe *processor.ProcessingError
	if !errors.As(err, &pe) || pe.Node != "router" || !strings.Contains(err.Error(), "empty topic") {
		t.Fatalf("error = %v; want a ProcessingError of node router about the empty topic", err)
	}
}

// A processor that forwards or schedules after its task closed gets an error, not silence.
func TestForwardAfterCloseErrors(t *testing.T) {
	var ctx processor.Context[string, string]
	b := topology.NewBuilder()
	strSource(b)
	topology.AddProcessor(b, "keeper", processor.Func(func(c processor.Context[string, string], r processor.Record[string, string]) error {
		ctx = c
		return c.Forward(r)
	}), "source")
	topology.AddSink(b, "sink", topology.Sink[string, string]{Topic: "out", Keys: serde.String, Values: serde.String}, "keeper")
	d := newTestDriver(t, b)
	if err := testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeInput("k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ctx.Forward(processor.NewRecord("k", "late", 0)); err == nil {
		t.Error("Forward after the driver closed returned nil")
	}
	if _, err := ctx.Schedule(time.Second, processor.StreamTime, func(int64) error { return nil }); err == nil {
		t.Error("Schedule after the driver closed returned nil")
	}
}

// A Kafka null key stays null: the processor sees HasKey false and the sink writes a null
// key, not the serialized zero value of the key type (8 zero bytes for Int64).
func TestNullKeyStaysNull(t *testing.T) {
	var sawKey []bool
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int64, string]{Topics: []string{"in"}, Keys: serde.Int64, Values: serde.String})
	topology.AddProcessor(b, "p", processor.Func(func(ctx processor.Context[int64, string], r processor.Record[int64, string]) error {
		sawKey = append(sawKey, r.HasKey())
		return ctx.Forward(r)
	}), "source")
	topology.AddSink(b, "sink", topology.Sink[int64, string]{Topic: "out", Keys: serde.Int64, Values: serde.String}, "p")
	d := newTestDriver(t, b)
	in := testutil.CreateInputTopic(d, "in", serde.Int64, serde.String, testutil.StartTime(time.UnixMilli(0)))
	if err := in.PipeValue("no key"); err != nil {
		t.Fatal(err)
	}
	if err := in.PipeInput(0, "zero key"); err != nil {
		t.Fatal(err)
	}
	if len(sawKey) != 2 || sawKey[0] || !sawKey[1] {
		t.Fatalf("HasKey seen by the processor = %v, want [false true]", sawKey)
	}
	out := testutil.CreateOutputTopic(d, "out", serde.Int64, serde.String)
	testutil.AssertRecords(t, out,
		testutil.TestRecord[int64, string]{NullKey: true, Value: "no key"},
		testutil.TestRecord[int64, string]{Key: 0, Value: "zero key"})
}
