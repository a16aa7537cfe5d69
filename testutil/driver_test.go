package testutil_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Names used by Kafka's TopologyTestDriverTest.
const (
	sourceTopic1 = "source-topic-1"
	sourceTopic2 = "source-topic-2"
	sinkTopic1   = "sink-topic-1"
	sinkTopic2   = "sink-topic-2"
)

// fns is a processor made of optional functions; the supplier makes a new processor per
// task, each calling the same functions with its own context.
type fns[KIn, VIn, KOut, VOut any] struct {
	init    func(ctx processor.Context[KOut, VOut]) error
	process func(ctx processor.Context[KOut, VOut], r processor.Record[KIn, VIn]) error
	close   func() error
}

func (f fns[KIn, VIn, KOut, VOut]) supplier() processor.Supplier[KIn, VIn, KOut, VOut] {
	return func() processor.Processor[KIn, VIn, KOut, VOut] { return &fnProc[KIn, VIn, KOut, VOut]{f: f} }
}

type fnProc[KIn, VIn, KOut, VOut any] struct {
	f   fns[KIn, VIn, KOut, VOut]
	ctx processor.Context[KOut, VOut]
}

func (p *fnProc[KIn, VIn, KOut, VOut]) Init(ctx processor.Context[KOut, VOut]) error {
	p.ctx = ctx
	if p.f.init != nil {
		return p.f.init(ctx)
	}
	return nil
}

func (p *fnProc[KIn, VIn, KOut, VOut]) Process(r processor.Record[KIn, VIn]) error {
	if p.f.process != nil {
		return p.f.process(p.ctx, r)
	}
	return nil
}

func (p *fnProc[KIn, VIn, KOut, VOut]) Close() error {
	if p.f.close != nil {
		return p.f.close()
	}
	return nil
}

type strFns = fns[string, string, string, string]

// seen is what a processor saw of a record and of its context (Kafka's TTDTestRecord).
type seen[K, V any] struct {
	Key       K
	Value     V
	Tombstone bool
	Headers   processor.Headers
	Timestamp int64
	Topic     string
	Partition int32
	Offset    int64
	HasMeta   bool
	Task      string
}

// mock is Kafka's MockProcessor of TopologyTestDriverTest: it counts Init and Close,
// records what it processes, and forwards every record.
type mock[K, V any] struct {
	inits, closes int
	records       []seen[K, V]
	closeErr      error
}

func (m *mock[K, V]) supplier() processor.Supplier[K, V, K, V] {
	return fns[K, V, K, V]{
		init: func(processor.Context[K, V]) error { m.inits++; return nil },
		process: func(ctx processor.Context[K, V], r processor.Record[K, V]) error {
			m.records = append(m.records, see(ctx, r))
			return ctx.Forward(r)
		},
		close: func() error { m.closes++; return m.closeErr },
	}.supplier()
}

func see[K, V any](ctx processor.BaseContext, r processor.Record[K, V]) seen[K, V] {
	md, ok := ctx.RecordMetadata()
	return seen[K, V]{Key: r.Key(), Value: r.Value(), Tombstone: r.IsTombstone(), Headers: r.Headers(), Timestamp: r.Timestamp(),
		Topic: md.Topic, Partition: md.Partition, Offset: md.Offset, HasMeta: ok, Task: ctx.TaskID().String()}
}

func build(t *testing.T, b *topology.Builder) *topology.Topology {
	t.Helper()
	top, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return top
}

func newDriver(t *testing.T, top *topology.Topology, opts ...testutil.Option) *testutil.TopologyTestDriver {
	t.Helper()
	d, err := testutil.NewTopologyTestDriver(top, opts...)
	if err != nil {
		t.Fatalf("NewTopologyTestDriver: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func stringSource(b *topology.Builder, name string, topics ...string) {
	topology.AddSource(b, name, topology.Source[string, string]{Topics: topics, Keys: serde.String, Values: serde.String})
}

func stringSink(b *topology.Builder, name, topic string, parents ...string) {
	topology.AddSink(b, name, topology.Sink[string, string]{Topic: topic, Keys: serde.String, Values: serde.String}, parents...)
}

func bytesSource(b *topology.Builder, name string, topics ...string) {
	topology.AddSource(b, name, topology.Source[[]byte, []byte]{Topics: topics, Keys: serde.Bytes, Values: serde.Bytes})
}

func bytesSink(b *topology.Builder, name, topic string, parents ...string) {
	topology.AddSink(b, name, topology.Sink[[]byte, []byte]{Topic: topic, Keys: serde.Bytes, Values: serde.Bytes}, parents...)
}

// singleProcessor is Kafka's setupSingleProcessorTopology: "source" reads source-topic-1
// into "processor"; Tributary adds "sink" writing what the processor forwards to
// sink-topic-1.
func singleProcessor(t *testing.T, f strFns) *topology.Topology {
	t.Helper()
	b := topology.NewBuilder()
	stringSource(b, "source", sourceTopic1)
	topology.AddProcessor(b, "processor", f.supplier(), "source")
	stringSink(b, "sink", sinkTopic1, "processor")
	return build(t, b)
}

// Kafka: TopologyTestDriverTest.shouldNotRequireParameters — a driver needs no option.
// Kafka: TopologyTestDriverTest.shouldInitProcessor, shouldCloseProcessor — Init on creation,
// Close on Close; Tributary also checks each is called exactly once.
func TestProcessorInitAndCloseOnce(t *testing.T) {
	m := &mock[string, string]{}
	b := topology.NewBuilder()
	stringSource(b, "source", sourceTopic1)
	topology.AddProcessor(b, "processor", m.supplier(), "source")
	d, err := testutil.NewTopologyTestDriver(build(t, b))
	ok(t, err)
	if m.inits != 1 || m.closes != 0 {
		t.Fatalf("after creation: inits %d, closes %d; want 1, 0", m.inits, m.closes)
	}
	in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
	ok(t, in.PipeInput("k", "v"))
	ok(t, in.PipeInput("k", "w"))
	ok(t, d.Close())
	ok(t, d.Close())
	if m.inits != 1 || m.closes != 1 {
		t.Errorf("after Close twice: inits %d, closes %d; want 1, 1", m.inits, m.closes)
	}
}

// The error a processor's Close returns comes back from the driver's Close, attributed to
// the processor; a second Close returns nil and does not close again.
func TestCloseError(t *testing.T) {
	closeErr := errors.New("close failed")
	m := &mock[string, string]{closeErr: closeErr}
	b := topology.NewBuilder()
	stringSource(b, "source", sourceTopic1)
	topology.AddProcessor(b, "processor", m.supplier(), "source")
	d, err := testutil.NewTopologyTestDriver(build(t, b))
	ok(t, err)
	err = d.Close()
	if !errors.Is(err, closeErr) {
		t.Fatalf("Close() = %v, want it to wrap %v", err, closeErr)
	}
	var pe *processor.ProcessingError
	if !errors.As(err, &pe) || pe.Node != "processor" || pe.Task.String() != "0_0" {
		t.Errorf("Close() = %#v, want a *processor.ProcessingError of processor in task 0_0", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if m.closes != 1 {
		t.Errorf("processor closed %d times, want 1", m.closes)
	}
}

// Kafka: TopologyTestDriverTest.shouldThrowForUnknownTopic — piping to a topic no source
// reads (here of an empty topology, as in Kafka, and of a non-empty one) is an error that
// names the topic.
func TestUnknownTopic(t *testing.T) {
	empty := build(t, topology.NewBuilder())
	d := newDriver(t, empty)
	err := testutil.CreateInputTopic(d, "unknownTopic", serde.Bytes, serde.Bytes).PipeInput(nil, nil)
	if err == nil || !strings.Contains(err.Error(), `"unknownTopic"`) {
		t.Errorf("pipe to unknownTopic of an empty topology: %v, want an error naming it", err)
	}

	d = newDriver(t, singleProcessor(t, strFns{}))
	err = testutil.CreateInputTopic(d, "unknownTopic", serde.String, serde.String).PipeInput("k", "v")
	if err == nil || !strings.Contains(err.Error(), `"unknownTopic"`) {
		t.Errorf("pipe to unknownTopic: %v, want an error naming it", err)
	}
}

// Kafka: TopologyTestDriverTest.shouldProcessRecordForTopic — source → sink: the record comes
// out of sink-topic-1 with key1 and value1 (both empty byte arrays).
func TestProcessRecordForTopic(t *testing.T) {
	b := topology.NewBuilder()
	bytesSource(b, "source", sourceTopic1)
	bytesSink(b, "sink", sinkTopic1, "source")
	d := newDriver(t, build(t, b))
	key1, value1 := []byte{}, []byte{}
	ok(t, testutil.CreateInputTopic(d, sourceTopic1, serde.Bytes, serde.Bytes).PipeInputWithTimestamp(key1, value1, 42))
	r, err := testutil.CreateOutputTopic(d, sinkTopic1, serde.Bytes, serde.Bytes).ReadRecord()
	ok(t, err)
	if !bytes.Equal(r.Key, key1) || !bytes.Equal(r.Value, value1) || r.Tombstone {
		t.Errorf("output record %+v, want key [] value []", r)
	}
	diff(t, "ProducedTopicNames", []string{sinkTopic1}, d.ProducedTopicNames())
}

// Kafka: TopologyTestDriverTest.shouldSetRecordMetadata — the processor sees
// new TTDTestRecord(SOURCE_TOPIC_1, testRecord1, 0L): key1, value1, headers
// [("key", "value")], timestamp 42, offset 0, topic source-topic-1.
func TestSetRecordMetadata(t *testing.T) {
	m := &mock[[]byte, []byte]{}
	b := topology.NewBuilder()
	bytesSource(b, "source", sourceTopic1)
	topology.AddProcessor(b, "processor", m.supplier(), "source")
	d := newDriver(t, build(t, b))
	headers := processor.Headers{{Key: "key", Value: []byte("value")}}
	in := testutil.CreateInputTopic(d, sourceTopic1, serde.Bytes, serde.Bytes)
	ok(t, in.PipeRecord(testutil.TestRecord[[]byte, []byte]{Key: []byte{}, Value: []byte{}, Headers: headers, Timestamp: 42}))
	diff(t, "processed records", []seen[[]byte, []byte]{{
		Key: []byte{}, Value: []byte{}, Headers: headers, Timestamp: 42, Topic: sourceTopic1, Offset: 0, HasMeta: true, Task: "0_0",
	}}, m.records)
}

// Kafka: TopologyTestDriverTest.shouldSendRecordViaCorrectSourceTopic — two sources, each
// with its processor: a record piped to source-topic-1 reaches only the first, as
// (key1, value1, headers, 42, offset 0, source-topic-1); one piped to source-topic-2 only
// the second, as (key2, value2, no headers, 43, offset 0, source-topic-2).
func TestSendRecordViaCorrectSourceTopic(t *testing.T) {
	m1, m2 := &mock[[]byte, []byte]{}, &mock[[]byte, []byte]{}
	b := topology.NewBuilder()
	bytesSource(b, sourceTopic1+"-source", sourceTopic1)
	topology.AddProcessor(b, sourceTopic1+"-processor", m1.supplier(), sourceTopic1+"-source")
	bytesSource(b, sourceTopic2+"-source", sourceTopic2)
	topology.AddProcessor(b, sourceTopic2+"-processor", m2.supplier(), sourceTopic2+"-source")
	bytesSink(b, "sink-topic", sinkTopic1, sourceTopic1+"-processor", sourceTopic2+"-processor")
	d := newDriver(t, build(t, b))
	headers := processor.Headers{{Key: "key", Value: []byte("value")}}
	in1 := testutil.CreateInputTopic(d, sourceTopic1, serde.Bytes, serde.Bytes)
	in2 := testutil.CreateInputTopic(d, sourceTopic2, serde.Bytes, serde.Bytes)

	ok(t, in1.PipeRecord(testutil.TestRecord[[]byte, []byte]{Key: []byte{}, Value: []byte{}, Headers: headers, Timestamp: 42}))
	if len(m1.records) != 1 || len(m2.records) != 0 {
		t.Fatalf("after piping to %s: %d and %d records processed, want 1 and 0", sourceTopic1, len(m1.records), len(m2.records))
	}
	diff(t, "first processor", seen[[]byte, []byte]{Key: []byte{}, Value: []byte{}, Headers: headers, Timestamp: 42, Topic: sourceTopic1, HasMeta: true, Task: "0_0"}, m1.records[0])

	ok(t, in2.PipeInputWithTimestamp([]byte{}, []byte{}, 43))
	if len(m1.records) != 1 || len(m2.records) != 1 {
		t.Fatalf("after piping to %s: %d and %d records processed, want 1 and 1", sourceTopic2, len(m1.records), len(m2.records))
	}
	diff(t, "second processor", seen[[]byte, []byte]{Key: []byte{}, Value: []byte{}, Timestamp: 43, Topic: sourceTopic2, HasMeta: true, Task: "0_0"}, m2.records[0])
}

// numbersTopology reads int64 values from "numbers" and writes them to "out".
func numbersTopology(t *testing.T, m *mock[string, int64]) *topology.Topology {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[string, int64]{Topics: []string{"numbers"}, Keys: serde.String, Values: serde.Int64})
	topology.AddProcessor(b, "processor", m.supplier(), "source")
	topology.AddSink(b, "sink", topology.Sink[string, int64]{Topic: "out", Keys: serde.String, Values: serde.Int64}, "processor")
	return build(t, b)
}

// A value the source cannot deserialize (a String where the source reads Int64): with the
// default handler (LogAndFail) the pipe call returns a *processor.DeserializationError naming
// the source, topic, partition and offset; with LogAndContinue (as an option or as Kafka's
// class name in Config) the record is skipped, counted in DroppedRecords, and the next good
// record is processed at the next offset.
func TestDeserializationError(t *testing.T) {
	t.Run("LogAndFail", func(t *testing.T) {
		m := &mock[string, int64]{}
		d := newDriver(t, numbersTopology(t, m))
		ok(t, testutil.CreateInputTopic(d, "numbers", serde.String, serde.Int64).PipeInput("good", 7))
		err := testutil.CreateInputTopic(d, "numbers", serde.String, serde.String).PipeInput("k", "not a number")
		var de *processor.DeserializationError
		if !errors.As(err, &de) {
			t.Fatalf("pipe of a bad value: %v (%T), want a *processor.DeserializationError", err, err)
		}
		if de.Node != "source" || de.Topic != "numbers" || de.Partition != 0 || de.Offset != 1 {
			t.Errorf("error at node %q, %s-%d offset %d; want source, numbers-0 offset 1", de.Node, de.Topic, de.Partition, de.Offset)
		}
		if want := "deserializing record at numbers-0 offset 1 (source source): value: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("message %q, want it to start with %q", err, want)
		}
		if !errors.Is(err, serde.ErrSize) {
			t.Errorf("error %v does not wrap the serde's cause serde.ErrSize", err)
		}
		if len(m.records) != 1 || d.DroppedRecords() != 0 {
			t.Errorf("processed %d records, dropped %d; want 1, 0", len(m.records), d.DroppedRecords())
		}
	})
	for name, opt := range map[string]testutil.Option{
		"LogAndContinue option": testutil.DeserializationHandler(processor.LogAndContinue),
		"LogAndContinue config": testutil.Config(map[string]string{
			"default.deserialization.exception.handler": "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler",
		}),
	} {
		t.Run(name, func(t *testing.T) {
			m := &mock[string, int64]{}
			d := newDriver(t, numbersTopology(t, m), opt)
			ok(t, testutil.CreateInputTopic(d, "numbers", serde.String, serde.String).PipeInput("bad", "not a number"))
			if d.DroppedRecords() != 1 {
				t.Errorf("DroppedRecords() = %d, want 1", d.DroppedRecords())
			}
			ok(t, testutil.CreateInputTopic(d, "numbers", serde.String, serde.Int64).PipeInputWithTimestamp("good", 7, 5))
			diff(t, "processed", []seen[string, int64]{{Key: "good", Value: 7, Timestamp: 5, Topic: "numbers", Offset: 1, HasMeta: true, Task: "0_0"}}, m.records)
			testutil.AssertKeyValues(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int64), cursor.KeyValue[string, int64]{Key: "good", Value: 7})
			if d.DroppedRecords() != 1 {
				t.Errorf("DroppedRecords() = %d, want 1", d.DroppedRecords())
			}
		})
	}
}

// testutil.Config takes Kafka Streams property names.
func TestConfig(t *testing.T) {
	dir := t.TempDir()
	var appID string
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "processor", strFns{init: func(ctx processor.Context[string, string]) error {
		appID = ctx.ApplicationID()
		return nil
	}}.supplier(), "source")
	b.AddStateStore(kv.NewBuilder(rocksdb.Supplier("store"), serde.String, serde.String), "processor")
	top := build(t, b)

	for _, tc := range []struct {
		name    string
		props   map[string]string
		wantErr string // empty: no error
		appID   string
	}{
		{name: "empty", props: map[string]string{}, appID: "topology-test-driver"},
		{name: "application.id and state.dir", props: map[string]string{"application.id": "my-app", "state.dir": dir}, appID: "my-app"},
		{name: "LogAndFail short name", props: map[string]string{"default.deserialization.exception.handler": "LogAndFailExceptionHandler"}, appID: "topology-test-driver"},
		{name: "LogAndFail class name", props: map[string]string{"default.deserialization.exception.handler": "org.apache.kafka.streams.errors.LogAndFailExceptionHandler"}, appID: "topology-test-driver"},
		{name: "LogAndContinue short name", props: map[string]string{"default.deserialization.exception.handler": "LogAndContinueExceptionHandler"}, appID: "topology-test-driver"},
		{name: "unknown handler", props: map[string]string{"default.deserialization.exception.handler": "com.example.MyHandler"}, wantErr: `unknown default.deserialization.exception.handler "com.example.MyHandler"`},
		{name: "empty application.id", props: map[string]string{"application.id": ""}, wantErr: "empty application id"},
		{name: "unsupported key", props: map[string]string{"application.id": "x", "num.stream.threads": "2"}, wantErr: `unsupported config "num.stream.threads"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			appID = ""
			d, err := testutil.NewTopologyTestDriver(top, testutil.Config(tc.props))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			ok(t, err)
			defer d.Close()
			if appID != tc.appID {
				t.Errorf("ApplicationID() = %q, want %q", appID, tc.appID)
			}
			if tc.props["state.dir"] != "" {
				if _, err := os.Stat(filepath.Join(dir, tc.appID, "0_0", "rocksdb", "store")); err != nil {
					t.Errorf("persistent store not under state.dir: %v", err)
				}
			}
		})
	}
}

// A tombstone piped in reaches the processor as a record with IsTombstone; a sink writes it
// as a null value, read back with Tombstone set and a zero Value; ReadKeyValuesToMap treats
// it as a delete.
func TestTombstones(t *testing.T) {
	m := &mock[string, string]{}
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "processor", m.supplier(), "source")
	stringSink(b, "sink", "out", "processor")
	d := newDriver(t, build(t, b))
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String, testutil.StartTime(time.UnixMilli(100)))
	out := testutil.CreateOutputTopic(d, "out", serde.String, serde.String)

	ok(t, in.PipeInput("a", "1"))
	ok(t, in.PipeInput("b", "2"))
	ok(t, in.PipeTombstone("a"))
	ok(t, in.PipeInput("c", ""))
	if got := m.records[2]; !got.Tombstone || got.Key != "a" || got.Value != "" {
		t.Errorf("processor saw %+v, want a tombstone for a", got)
	}
	if got := m.records[3]; got.Tombstone {
		t.Errorf("an empty string value arrived as a tombstone: %+v", got)
	}
	testutil.AssertRecords(t, out,
		testutil.TestRecord[string, string]{Key: "a", Value: "1", Timestamp: 100},
		testutil.TestRecord[string, string]{Key: "b", Value: "2", Timestamp: 100},
		testutil.TestRecord[string, string]{Key: "a", Tombstone: true, Timestamp: 100},
		testutil.TestRecord[string, string]{Key: "c", Value: "", Timestamp: 100},
	)

	for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}} {
		ok(t, in.PipeInput(kv[0], kv[1]))
	}
	ok(t, in.PipeTombstone("a"))
	got, err := testutil.ReadKeyValuesToMap(out)
	ok(t, err)
	diff(t, "ReadKeyValuesToMap", map[string]string{"b": "2"}, got)
}

// A processor's own tombstone (WithTombstone) reaches the sink as a null value too.
func TestProcessorTombstoneToSink(t *testing.T) {
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "processor", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		if r.Value() == "delete" {
			return ctx.Forward(r.WithTombstone())
		}
		return ctx.Forward(r)
	}), "source")
	stringSink(b, "sink", "out", "processor")
	d := newDriver(t, build(t, b))
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	ok(t, in.PipeInputWithTimestamp("k", "v", 1))
	ok(t, in.PipeInputWithTimestamp("k", "delete", 2))
	testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String),
		testutil.TestRecord[string, string]{Key: "k", Value: "v", Timestamp: 1},
		testutil.TestRecord[string, string]{Key: "k", Tombstone: true, Timestamp: 2},
	)
}

// Kafka: TestTopicsTest.testKeyValuesToMap — map(key, value) → (value, key) over
// ["This", "is", "an", "example"] keyed 0..3 gives {This: 0, is: 1, an: 2, example: 3}.
func TestReadKeyValuesToMap(t *testing.T) {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int64, string]{Topics: []string{"input-topic-map"}, Keys: serde.Int64, Values: serde.String})
	topology.AddProcessor(b, "map", processor.Func(func(ctx processor.Context[string, int64], r processor.Record[int64, string]) error {
		return ctx.Forward(processor.NewRecord(r.Value(), r.Key(), r.Timestamp()))
	}), "source")
	topology.AddSink(b, "sink", topology.Sink[string, int64]{Topic: "output-topic-map", Keys: serde.String, Values: serde.Int64}, "map")
	d := newDriver(t, build(t, b))
	in := testutil.CreateInputTopic(d, "input-topic-map", serde.Int64, serde.String)
	ok(t, in.PipeKeyValueList([]cursor.KeyValue[int64, string]{{Key: 0, Value: "This"}, {Key: 1, Value: "is"}, {Key: 2, Value: "an"}, {Key: 3, Value: "example"}}))
	got, err := testutil.ReadKeyValuesToMap(testutil.CreateOutputTopic(d, "output-topic-map", serde.String, serde.Int64))
	ok(t, err)
	diff(t, "map", map[string]int64{"This": 0, "is": 1, "an": 2, "example": 3}, got)
}

// A FixedKeyProcessor changes the value's type and keeps the key, timestamp and headers.
func TestFixedKeyProcessor(t *testing.T) {
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddFixedKeyProcessor(b, "length", func() processor.FixedKeyProcessor[string, string, int64] {
		return &lengthProc{}
	}, "source")
	topology.AddSink(b, "sink", topology.Sink[string, int64]{Topic: "out", Keys: serde.String, Values: serde.Int64}, "length")
	d := newDriver(t, build(t, b))
	h := processor.Headers{{Key: "h", Value: []byte("1")}}
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	ok(t, in.PipeRecord(testutil.TestRecord[string, string]{Key: "hello", Value: "world!", Timestamp: 7, Headers: h}))
	ok(t, in.PipeRecord(testutil.TestRecord[string, string]{Key: "gone", Tombstone: true, Timestamp: 8}))
	testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.Int64),
		testutil.TestRecord[string, int64]{Key: "hello", Value: 6, Timestamp: 7, Headers: h},
		testutil.TestRecord[string, int64]{Key: "gone", Tombstone: true, Timestamp: 8},
	)
}

type lengthProc struct {
	ctx processor.FixedKeyContext[string, int64]
}

func (p *lengthProc) Init(ctx processor.FixedKeyContext[string, int64]) error {
	p.ctx = ctx
	return nil
}
func (p *lengthProc) Close() error { return nil }
func (p *lengthProc) Process(r processor.FixedKeyRecord[string, string]) error {
	if r.IsTombstone() {
		return p.ctx.Forward(processor.RevalueFixedTombstone[int64](r))
	}
	return p.ctx.Forward(processor.RevalueFixed(r, int64(len(r.Value()))))
}

// Kafka: TopologyTestDriverTest.shouldEnqueueLaterOutputsAfterEarlierOnes — a processor
// forwards "recurse-"+value to recursiveSink (which writes to its own input topic) and the
// record to sink, each with ForwardTo. Piping ("B", "beta") gives on output
// [("B", "beta"), ("B", "recurse-beta")].
func TestForwardToAndEnqueueLaterOutputsAfterEarlierOnes(t *testing.T) {
	b := topology.NewBuilder()
	stringSource(b, "source", "input")
	topology.AddProcessor(b, "recursiveProcessor", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		if !strings.HasPrefix(r.Value(), "recurse-") {
			if err := ctx.ForwardTo("recursiveSink", r.WithValue("recurse-"+r.Value())); err != nil {
				return err
			}
		}
		return ctx.ForwardTo("sink", r)
	}), "source")
	stringSink(b, "recursiveSink", "input", "recursiveProcessor")
	stringSink(b, "sink", "output", "recursiveProcessor")
	d := newDriver(t, build(t, b))
	ok(t, testutil.CreateInputTopic(d, "input", serde.String, serde.String).PipeInput("B", "beta"))
	testutil.AssertKeyValues(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.String),
		cursor.KeyValue[string, string]{Key: "B", Value: "beta"},
		cursor.KeyValue[string, string]{Key: "B", Value: "recurse-beta"})
}

// ForwardTo a name that is not a child is an error naming the processor and the child.
func TestForwardToUnknownChild(t *testing.T) {
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "processor", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		return ctx.ForwardTo("nobody", r)
	}), "source")
	stringSink(b, "sink", "out", "processor")
	d := newDriver(t, build(t, b))
	err := testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeInput("k", "v")
	var pe *processor.ProcessingError
	if !errors.As(err, &pe) || pe.Node != "processor" || !pe.HasInput || pe.Record.Topic != "in" {
		t.Fatalf("error %v, want a *processor.ProcessingError of processor with its input record", err)
	}
	for _, s := range []string{`"nobody"`, "not a child of processor", "[sink]"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
	if !testutil.CreateOutputTopic(d, "out", serde.String, serde.String).IsEmpty() {
		t.Error("a record reached the sink")
	}
}

// A processor asking for a store it is not connected to (a store of another processor, or
// none at all) gets an error wrapping processor.ErrNoSuchStore that names processor and store.
func TestStoreNotConnected(t *testing.T) {
	for _, storeName := range []string{"other-store", "no-such-store"} {
		t.Run(storeName, func(t *testing.T) {
			var got error
			b := topology.NewBuilder()
			stringSource(b, "source", "in")
			topology.AddProcessor(b, "owner", strFns{}.supplier(), "source")
			topology.AddProcessor(b, "thief", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
				_, got = processor.KeyValueStore[string, string](ctx, storeName)
				return nil
			}), "source")
			b.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("other-store"), serde.String, serde.String), "owner")
			d := newDriver(t, build(t, b))
			ok(t, testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeInput("k", "v"))
			if !errors.Is(got, processor.ErrNoSuchStore) {
				t.Fatalf("error %v, want it to wrap processor.ErrNoSuchStore", got)
			}
			for _, s := range []string{"processor thief", `"` + storeName + `"`} {
				if !strings.Contains(got.Error(), s) {
					t.Errorf("error %q does not contain %q", got, s)
				}
			}
		})
	}
	// The error returned from Init stops the driver's creation, attributed to the processor.
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "processor", strFns{init: func(ctx processor.Context[string, string]) error {
		_, err := processor.KeyValueStore[string, string](ctx, "missing")
		return err
	}}.supplier(), "source")
	_, err := testutil.NewTopologyTestDriver(build(t, b))
	var pe *processor.ProcessingError
	if !errors.Is(err, processor.ErrNoSuchStore) || !errors.As(err, &pe) || pe.Node != "processor" {
		t.Errorf("NewTopologyTestDriver: %v, want a ProcessingError of processor wrapping ErrNoSuchStore", err)
	}
}

// Kafka: TopologyTestDriverTest.shouldForwardRecordsFromSubtopologyToSubtopology — source-1
// (source-topic-1) → sink-1 (sink-topic-1); source-2 (sink-topic-1) → sink-2 (sink-topic-2):
// one record piped in comes out of both sink-topic-1 and sink-topic-2 with key1 and value1.
func TestForwardRecordsFromSubtopologyToSubtopology(t *testing.T) {
	b := topology.NewBuilder()
	bytesSource(b, "source-1", sourceTopic1)
	bytesSink(b, "sink-1", sinkTopic1, "source-1")
	bytesSource(b, "source-2", sinkTopic1)
	bytesSink(b, "sink-2", sinkTopic2, "source-2")
	d := newDriver(t, build(t, b))
	ok(t, testutil.CreateInputTopic(d, sourceTopic1, serde.Bytes, serde.Bytes).PipeInputWithTimestamp([]byte{}, []byte{}, 42))
	for _, topic := range []string{sinkTopic1, sinkTopic2} {
		r, err := testutil.CreateOutputTopic(d, topic, serde.Bytes, serde.Bytes).ReadRecord()
		ok(t, err)
		if !bytes.Equal(r.Key, []byte{}) || !bytes.Equal(r.Value, []byte{}) {
			t.Errorf("%s: %+v, want key1 and value1", topic, r)
		}
	}
	diff(t, "ProducedTopicNames", []string{sinkTopic1, sinkTopic2}, d.ProducedTopicNames())
}

// Two sub-topologies linked through the topic "mid": the record flows through both, and each
// sub-topology runs as its own task on partition 0, 0_0 and 1_0.
func TestSubtopologiesRunAsTasks(t *testing.T) {
	first, second := &mock[string, string]{}, &mock[string, string]{}
	b := topology.NewBuilder()
	stringSource(b, "source-1", "in")
	topology.AddProcessor(b, "first", first.supplier(), "source-1")
	stringSink(b, "to-mid", "mid", "first")
	stringSource(b, "source-2", "mid")
	topology.AddProcessor(b, "second", second.supplier(), "source-2")
	stringSink(b, "to-out", "out", "second")
	d := newDriver(t, build(t, b))
	h := processor.Headers{{Key: "trace", Value: []byte("t1")}}
	ok(t, testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeRecord(testutil.TestRecord[string, string]{Key: "k", Value: "v", Timestamp: 9, Headers: h}))
	diff(t, "first", []seen[string, string]{{Key: "k", Value: "v", Headers: h, Timestamp: 9, Topic: "in", HasMeta: true, Task: "0_0"}}, first.records)
	diff(t, "second", []seen[string, string]{{Key: "k", Value: "v", Headers: h, Timestamp: 9, Topic: "mid", HasMeta: true, Task: "1_0"}}, second.records)
	testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "mid", serde.String, serde.String),
		testutil.TestRecord[string, string]{Key: "k", Value: "v", Timestamp: 9, Headers: h})
	testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "out", serde.String, serde.String),
		testutil.TestRecord[string, string]{Key: "k", Value: "v", Timestamp: 9, Headers: h})
}

// globalPut is the processor of a global store: it writes each record into the store.
func globalPut(storeName string) processor.Supplier[string, string, struct{}, struct{}] {
	return func() processor.Processor[string, string, struct{}, struct{}] {
		var st *kv.Store[string, string]
		return &fnProc[string, string, struct{}, struct{}]{f: fns[string, string, struct{}, struct{}]{
			init: func(ctx processor.Context[struct{}, struct{}]) error {
				var err error
				st, err = processor.KeyValueStore[string, string](ctx, storeName)
				return err
			},
			process: func(_ processor.Context[struct{}, struct{}], r processor.Record[string, string]) error {
				if r.IsTombstone() {
					_, _, err := st.Delete(r.Key())
					return err
				}
				return st.Put(r.Key(), r.Value())
			},
		}}
	}
}

func addGlobalStore(b *topology.Builder, storeName, sourceName, topic, processorName string) {
	topology.AddGlobalStore(b, kv.NewBuilder(kv.InMemorySupplier(storeName), serde.String, serde.String),
		sourceName, topology.Source[string, string]{Topics: []string{topic}, Keys: serde.String, Values: serde.String},
		processorName, globalPut(storeName))
}

// Kafka: TopologyTestDriverTest.shouldPopulateGlobalStore — the global store
// "source-topic-1-globalStore" exists before any input (getKeyValueStore and
// getAllStateStores), and after piping testRecord1 to source-topic-1 it holds its key →
// value. Tributary adds a processor of another sub-topology that reads the global store.
func TestPopulateGlobalStore(t *testing.T) {
	storeName := sourceTopic1 + "-globalStore"
	b := topology.NewBuilder()
	addGlobalStore(b, storeName, sourceTopic1, sourceTopic1, sourceTopic1+"-processor")
	stringSource(b, "lookups", "lookup-topic")
	topology.AddProcessor(b, "lookup", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		st, err := processor.KeyValueStore[string, string](ctx, storeName)
		if err != nil {
			return err
		}
		v, found, err := st.Get(r.Key())
		if err != nil {
			return err
		}
		if !found {
			v = "<none>"
		}
		return ctx.Forward(r.WithValue(v))
	}), "lookups")
	stringSink(b, "sink", "lookup-results", "lookup")
	d := newDriver(t, build(t, b))

	global, err := testutil.KeyValueStore[string, string](d, storeName)
	ok(t, err)
	if d.AllStateStores()[storeName] == nil {
		t.Errorf("AllStateStores() has no %s", storeName)
	}
	lookups := testutil.CreateInputTopic(d, "lookup-topic", serde.String, serde.String)
	ok(t, lookups.PipeInput("key1", "?"))
	ok(t, testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String).PipeInput("key1", "value1"))
	v, found, err := global.Get("key1")
	ok(t, err)
	if !found || v != "value1" {
		t.Errorf("global store key1 = %q, %v; want value1", v, found)
	}
	ok(t, lookups.PipeInput("key1", "?"))
	testutil.AssertValues(t, testutil.CreateOutputTopic(d, "lookup-results", serde.String, serde.String), "<none>", "value1")
}

// Kafka: TopologyTestDriverTest.shouldReturnAllStores — a store of a processor and a global
// store: getAllStateStores() has exactly {"store", "globalStore"}, none nil.
func TestReturnAllStores(t *testing.T) {
	b := topology.NewBuilder()
	bytesSource(b, "source", sourceTopic1)
	bytesSink(b, "sink", sinkTopic1, "source")
	topology.AddProcessor(b, "processor", (&mock[[]byte, []byte]{}).supplier(), "source")
	b.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("store"), serde.Bytes, serde.Bytes), "processor")
	addGlobalStore(b, "globalStore", "sourceProcessorName", "globalTopicName", "globalProcessorName")
	d := newDriver(t, build(t, b))
	all := d.AllStateStores()
	var names []string
	for name, st := range all {
		names = append(names, name)
		if st == nil {
			t.Errorf("store %s is nil", name)
		}
	}
	slices.Sort(names)
	diff(t, "store names", []string{"globalStore", "store"}, names)
}

// Kafka: TopologyTestDriverTest.shouldApplyGlobalUpdatesCorrectlyInRecursiveTopologies — a
// processor writes each record to its own input (prefixed "recurse-"), to output and to the
// global store's topic: after piping ("A", "alpha") the global store holds
// A → "recurse-alpha", and global-topic holds [("A", "alpha"), ("A", "recurse-alpha")].
func TestApplyGlobalUpdatesCorrectlyInRecursiveTopologies(t *testing.T) {
	b := topology.NewBuilder()
	stringSource(b, "source", "input")
	addGlobalStore(b, "global-store", "globalSource", "global-topic", "globalProcessor")
	topology.AddProcessor(b, "recursiveProcessor", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		if !strings.HasPrefix(r.Value(), "recurse-") {
			if err := ctx.ForwardTo("recursiveSink", r.WithValue("recurse-"+r.Value())); err != nil {
				return err
			}
		}
		if err := ctx.ForwardTo("sink", r); err != nil {
			return err
		}
		return ctx.ForwardTo("globalSink", r)
	}), "source")
	stringSink(b, "recursiveSink", "input", "recursiveProcessor")
	stringSink(b, "sink", "output", "recursiveProcessor")
	stringSink(b, "globalSink", "global-topic", "recursiveProcessor")
	d := newDriver(t, build(t, b))
	ok(t, testutil.CreateInputTopic(d, "input", serde.String, serde.String).PipeInput("A", "alpha"))

	st, err := testutil.KeyValueStore[string, string](d, "global-store")
	ok(t, err)
	v, _, err := st.Get("A")
	ok(t, err)
	if v != "recurse-alpha" {
		t.Errorf("global store A = %q, want recurse-alpha", v)
	}
	testutil.AssertKeyValues(t, testutil.CreateOutputTopic(d, "global-topic", serde.String, serde.String),
		cursor.KeyValue[string, string]{Key: "A", Value: "alpha"},
		cursor.KeyValue[string, string]{Key: "A", Value: "recurse-alpha"})
}

// Kafka: TopologyTestDriverTest.shouldProcessFromSourcesThatMatchMultiplePattern — sources
// on patterns "source-topic-\d" and "source-topic-[A-Z]": testRecord1 piped to
// source-topic-1 reaches only the first processor as (source-topic-1, offset 0); a record
// piped to source-topic-Z only the second, as (source-topic-Z, offset 0, timestamp 43).
// Kafka: TopologyTestDriverTest.shouldProcessFromSourceThatMatchPattern — and both come out
// of the sink.
func TestPatternSources(t *testing.T) {
	p1, p2 := regexp.MustCompile(`source-topic-\d`), regexp.MustCompile(`source-topic-[A-Z]`)
	m1, m2 := &mock[[]byte, []byte]{}, &mock[[]byte, []byte]{}
	b := topology.NewBuilder()
	for i, p := range []*regexp.Regexp{p1, p2} {
		m := []*mock[[]byte, []byte]{m1, m2}[i]
		topology.AddSource(b, p.String()+"-source", topology.Source[[]byte, []byte]{Pattern: p, Keys: serde.Bytes, Values: serde.Bytes})
		topology.AddProcessor(b, p.String()+"-processor", m.supplier(), p.String()+"-source")
	}
	bytesSink(b, "sink-topic", sinkTopic1, p1.String()+"-processor", p2.String()+"-processor")
	d := newDriver(t, build(t, b))
	headers := processor.Headers{{Key: "key", Value: []byte("value")}}

	ok(t, testutil.CreateInputTopic(d, sourceTopic1, serde.Bytes, serde.Bytes).PipeRecord(testutil.TestRecord[[]byte, []byte]{Key: []byte{}, Value: []byte{}, Headers: headers, Timestamp: 42}))
	if len(m1.records) != 1 || len(m2.records) != 0 {
		t.Fatalf("processed %d and %d, want 1 and 0", len(m1.records), len(m2.records))
	}
	diff(t, "first", seen[[]byte, []byte]{Key: []byte{}, Value: []byte{}, Headers: headers, Timestamp: 42, Topic: sourceTopic1, HasMeta: true, Task: "0_0"}, m1.records[0])

	ok(t, testutil.CreateInputTopic(d, "source-topic-Z", serde.Bytes, serde.Bytes).PipeInputWithTimestamp([]byte{}, []byte{}, 43))
	if len(m1.records) != 1 || len(m2.records) != 1 {
		t.Fatalf("processed %d and %d, want 1 and 1", len(m1.records), len(m2.records))
	}
	diff(t, "second", seen[[]byte, []byte]{Key: []byte{}, Value: []byte{}, Timestamp: 43, Topic: "source-topic-Z", HasMeta: true, Task: "0_0"}, m2.records[0])

	out := testutil.CreateOutputTopic(d, sinkTopic1, serde.Bytes, serde.Bytes)
	if out.QueueSize() != 2 {
		t.Errorf("%s holds %d records, want 2", sinkTopic1, out.QueueSize())
	}
	// A topic that no pattern matches is unknown.
	if err := testutil.CreateInputTopic(d, "other-topic", serde.Bytes, serde.Bytes).PipeInput(nil, nil); err == nil {
		t.Error("piping to other-topic: no error")
	}
	// The whole name must match (Kafka: Pattern.matcher(topic).matches()): source-topic-\d
	// does not read source-topic-1-changelog.
	if err := testutil.CreateInputTopic(d, "source-topic-1-changelog", serde.Bytes, serde.Bytes).PipeInput(nil, nil); err == nil {
		t.Error("piping to source-topic-1-changelog: no error, but no pattern matches the whole name")
	}
}

// Kafka: TestTopicsTest.testWithHeaders — headers ("foo", "value"), ("bar", null) and
// ("\"A\\u00ea\\u00f1\\u00fcC\"", "value") come out as they went in, with the record's
// timestamp (4 for the second record).
func TestHeadersAndTimestamps(t *testing.T) {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int64, string]{Topics: []string{"input-topic"}, Keys: serde.Int64, Values: serde.String})
	topology.AddSink(b, "sink", topology.Sink[int64, string]{Topic: "output-topic", Keys: serde.Int64, Values: serde.String}, "source")
	start := time.UnixMilli(1559383200000)
	d := newDriver(t, build(t, b), testutil.WallClockStart(start))
	headers := processor.Headers{
		{Key: "foo", Value: []byte("value")},
		{Key: "bar", Value: nil},
		{Key: `"A\u00ea\u00f1\u00fcC"`, Value: []byte("value")},
	}
	in := testutil.CreateInputTopic(d, "input-topic", serde.Int64, serde.String)
	out := testutil.CreateOutputTopic(d, "output-topic", serde.Int64, serde.String)
	var baseTime int64 = 3
	ok(t, in.PipeRecord(testutil.TestRecord[int64, string]{Key: 1, Value: "Hello", Headers: headers, Timestamp: start.UnixMilli()}))
	baseTime++
	ok(t, in.PipeRecord(testutil.TestRecord[int64, string]{Key: 2, Value: "Kafka", Headers: headers, Timestamp: baseTime}))
	testutil.AssertRecords(t, out,
		testutil.TestRecord[int64, string]{Key: 1, Value: "Hello", Headers: headers, Timestamp: 1559383200000},
		testutil.TestRecord[int64, string]{Key: 2, Value: "Kafka", Headers: headers, Timestamp: 4},
	)
}

// Kafka: TestTopicsTest.testStartTimestamp — start 2019-06-01T10:00:00Z (1559383200000),
// no auto-advance: "Hello" and "World" at the start time, then advanceTime(2 s) and
// "Kafka" at 1559383202000.
// Kafka: TestTopicsTest.testTimestampAutoAdvance — start 1559383200000, auto-advance 2 s:
// "Hello" (no key) at 1559383200000, then (2, "Kafka") at 1559383202000.
func TestInputTopicTime(t *testing.T) {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int64, string]{Topics: []string{"input-topic"}, Keys: serde.Int64, Values: serde.String})
	topology.AddSink(b, "sink", topology.Sink[int64, string]{Topic: "output-topic", Keys: serde.Int64, Values: serde.String}, "source")
	top := build(t, b)
	base := time.Date(2019, 6, 1, 10, 0, 0, 0, time.UTC)
	type rec = testutil.TestRecord[int64, string]

	t.Run("testStartTimestamp", func(t *testing.T) {
		d := newDriver(t, top)
		in := testutil.CreateInputTopic(d, "input-topic", serde.Int64, serde.String, testutil.StartTime(base), testutil.AutoAdvance(0))
		ok(t, in.PipeInput(1, "Hello"))
		ok(t, in.PipeInput(2, "World"))
		in.AdvanceTime(2 * time.Second)
		ok(t, in.PipeInput(3, "Kafka"))
		testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "output-topic", serde.Int64, serde.String),
			rec{Key: 1, Value: "Hello", Timestamp: 1559383200000},
			rec{Key: 2, Value: "World", Timestamp: 1559383200000},
			rec{Key: 3, Value: "Kafka", Timestamp: 1559383202000})
	})
	t.Run("testTimestampAutoAdvance", func(t *testing.T) {
		d := newDriver(t, top)
		in := testutil.CreateInputTopic(d, "input-topic", serde.Int64, serde.String, testutil.StartTime(base), testutil.AutoAdvance(2*time.Second))
		ok(t, in.PipeValue("Hello"))
		ok(t, in.PipeInput(2, "Kafka"))
		// A timestamp given explicitly does not move the topic's time.
		ok(t, in.PipeInputWithTimestamp(3, "explicit", 5))
		ok(t, in.PipeTombstone(4))
		testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "output-topic", serde.Int64, serde.String),
			rec{NullKey: true, Value: "Hello", Timestamp: 1559383200000}, // a null key stays null through the sink
			rec{Key: 2, Value: "Kafka", Timestamp: 1559383202000},
			rec{Key: 3, Value: "explicit", Timestamp: 5},
			rec{Key: 4, Tombstone: true, Timestamp: 1559383204000})
	})
	t.Run("default start is the driver's wall clock", func(t *testing.T) {
		d := newDriver(t, top, testutil.WallClockStart(base))
		in := testutil.CreateInputTopic(d, "input-topic", serde.Int64, serde.String)
		ok(t, in.PipeInput(1, "x"))
		ok(t, in.PipeInput(2, "y"))
		testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "output-topic", serde.Int64, serde.String),
			rec{Key: 1, Value: "x", Timestamp: 1559383200000},
			rec{Key: 2, Value: "y", Timestamp: 1559383200000})
	})
}

// A closed driver: piping and advancing the clock return ErrClosed, a second Close returns
// nil, StateStore and reading an output topic return ErrClosed.
func TestClosedDriver(t *testing.T) {
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "processor", (&mock[string, string]{}).supplier(), "source")
	b.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("store"), serde.String, serde.String), "processor")
	stringSink(b, "sink", "out", "processor")
	d, err := testutil.NewTopologyTestDriver(build(t, b))
	ok(t, err)
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	out := testutil.CreateOutputTopic(d, "out", serde.String, serde.String)
	ok(t, in.PipeInput("k", "v"))
	ok(t, d.Close())

	if err := in.PipeInput("k", "v"); !errors.Is(err, testutil.ErrClosed) {
		t.Errorf("PipeInput after Close: %v, want ErrClosed", err)
	}
	if err := in.PipeTombstone("k"); !errors.Is(err, testutil.ErrClosed) {
		t.Errorf("PipeTombstone after Close: %v, want ErrClosed", err)
	}
	if err := d.AdvanceWallClockTime(time.Second); !errors.Is(err, testutil.ErrClosed) {
		t.Errorf("AdvanceWallClockTime after Close: %v, want ErrClosed", err)
	}
	if _, err := d.StateStore("store"); !errors.Is(err, testutil.ErrClosed) {
		t.Errorf("StateStore after Close: %v, want ErrClosed", err)
	}
	if _, err := testutil.KeyValueStore[string, string](d, "store"); !errors.Is(err, testutil.ErrClosed) {
		t.Errorf("KeyValueStore after Close: %v, want ErrClosed", err)
	}
	if _, err := out.ReadRecord(); !errors.Is(err, testutil.ErrClosed) {
		t.Errorf("ReadRecord after Close: %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
}

// Reading an empty output topic returns ErrNoRecord.
func TestReadEmptyOutputTopic(t *testing.T) {
	d := newDriver(t, singleProcessor(t, strFns{}))
	_, err := testutil.CreateOutputTopic(d, sinkTopic1, serde.String, serde.String).ReadRecord()
	if !errors.Is(err, testutil.ErrNoRecord) {
		t.Errorf("ReadRecord of an empty topic: %v, want ErrNoRecord", err)
	}
}

// storeProcessorTopology is the topology of Kafka's shouldCleanUpPersistentStateStoresOnClose:
// sourceProcessor (input-topic) → storeProcessor, which puts each record into the
// persistent store storeProcessorStore.
func storeProcessorTopology(t *testing.T) *topology.Topology {
	b := topology.NewBuilder()
	topology.AddSource(b, "sourceProcessor", topology.Source[string, int64]{Topics: []string{"input-topic"}, Keys: serde.String, Values: serde.Int64})
	topology.AddProcessor(b, "storeProcessor", func() processor.Processor[string, int64, struct{}, struct{}] {
		var st *kv.Store[string, int64]
		return &fnProc[string, int64, struct{}, struct{}]{f: fns[string, int64, struct{}, struct{}]{
			init: func(ctx processor.Context[struct{}, struct{}]) error {
				var err error
				st, err = processor.KeyValueStore[string, int64](ctx, "storeProcessorStore")
				return err
			},
			process: func(_ processor.Context[struct{}, struct{}], r processor.Record[string, int64]) error {
				return st.Put(r.Key(), r.Value())
			},
		}}
	}, "sourceProcessor")
	b.AddStateStore(kv.NewBuilder(rocksdb.Supplier("storeProcessorStore"), serde.String, serde.Int64), "storeProcessor")
	return build(t, b)
}

// Kafka: TopologyTestDriverTest.shouldCleanUpPersistentStateStoresOnClose — with
// application.id "test-TopologyTestDriver-cleanup" and a given state.dir: the first driver's
// store has no "a", then a → 1 after piping ("a", 1); a second driver on the same state.dir
// finds no "a" ("Closing the prior test driver should have cleaned up this store and value.").
func TestCleanUpPersistentStateStoresOnClose(t *testing.T) {
	top := storeProcessorTopology(t)
	stateDir := t.TempDir()
	config := testutil.Config(map[string]string{"application.id": "test-TopologyTestDriver-cleanup", "state.dir": stateDir})

	get := func(d *testutil.TopologyTestDriver) (int64, bool) {
		t.Helper()
		st, err := testutil.KeyValueStore[string, int64](d, "storeProcessorStore")
		ok(t, err)
		v, found, err := st.Get("a")
		ok(t, err)
		return v, found
	}
	d, err := testutil.NewTopologyTestDriver(top, config)
	ok(t, err)
	if v, found := get(d); found {
		t.Errorf("new store holds a → %d", v)
	}
	ok(t, testutil.CreateInputTopic(d, "input-topic", serde.String, serde.Int64).PipeInput("a", 1))
	if v, found := get(d); !found || v != 1 {
		t.Errorf("store holds a → %d (%v), want 1", v, found)
	}
	ok(t, d.Close())

	d, err = testutil.NewTopologyTestDriver(top, config)
	ok(t, err)
	if v, found := get(d); found {
		t.Errorf("Closing the prior test driver should have cleaned up this store and value: a → %d", v)
	}
	ok(t, d.Close())
	if _, err := os.Stat(stateDir); err != nil {
		t.Errorf("the given state.dir itself is gone: %v", err)
	}
}

// Without a state dir, the driver makes a temporary one, holding the persistent store at
// <dir>/<application.id>/0_0/rocksdb/<store>, and Close removes it.
func TestOwnStateDirRemovedOnClose(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	d, err := testutil.NewTopologyTestDriver(storeProcessorTopology(t), testutil.ApplicationID("my-app"))
	ok(t, err)
	dirs, err := filepath.Glob(filepath.Join(tmp, "tributary-ttd-*"))
	ok(t, err)
	if len(dirs) != 1 {
		t.Fatalf("temporary state dirs %v, want one", dirs)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "my-app", "0_0", "rocksdb", "storeProcessorStore")); err != nil {
		t.Errorf("persistent store directory: %v", err)
	}
	ok(t, testutil.CreateInputTopic(d, "input-topic", serde.String, serde.Int64).PipeInput("a", 1))
	ok(t, d.Close())
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("state dir %s after Close: %v, want it removed", dirs[0], err)
	}
}

// Kafka: TopologyTestDriverTest.shouldNotCreateStateDirectoryForStatelessTopology — with an
// in-memory store, <state.dir>/<application.id> does not exist.
// Kafka: TopologyTestDriverTest.shouldCreateStateDirectoryForStatefulTopology — with a
// persistent store it is a directory holding the task directory new TaskId(0, 0), "0_0".
func TestStateDirectory(t *testing.T) {
	for _, tc := range []struct {
		name       string
		supplier   kv.Supplier
		wantAppDir bool
	}{
		{"shouldNotCreateStateDirectoryForStatelessTopology", kv.InMemorySupplier("aggStore"), false},
		{"shouldCreateStateDirectoryForStatefulTopology", rocksdb.Supplier("aggStore"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := topology.NewBuilder()
			topology.AddSource(b, "sourceProcessor", topology.Source[string, int64]{Topics: []string{"input-topic"}, Keys: serde.String, Values: serde.Int64})
			topology.AddProcessor(b, "aggregator", processor.Func(func(ctx processor.Context[string, int64], r processor.Record[string, int64]) error {
				return ctx.Forward(r)
			}), "sourceProcessor")
			b.AddStateStore(kv.NewBuilder(tc.supplier, serde.String, serde.Int64), "aggregator")
			topology.AddSink(b, "sinkProcessor", topology.Sink[string, int64]{Topic: "result-topic", Keys: serde.String, Values: serde.Int64}, "aggregator")
			stateDir := t.TempDir()
			newDriver(t, build(t, b), testutil.StateDir(stateDir), testutil.ApplicationID("app"))
			appDir := filepath.Join(stateDir, "app")
			info, err := os.Stat(appDir)
			if !tc.wantAppDir {
				if !os.IsNotExist(err) {
					t.Errorf("app dir %s: %v, want none", appDir, err)
				}
				return
			}
			if err != nil || !info.IsDir() {
				t.Fatalf("app dir %s: %v", appDir, err)
			}
			if info, err := os.Stat(filepath.Join(appDir, "0_0")); err != nil || !info.IsDir() {
				t.Errorf("task dir 0_0: %v", err)
			}
		})
	}
}

// The processing handler (KIP-1033): by default a processor's error comes back from the pipe
// call; with LogAndContinueProcessing the record is dropped and counted, and the next ones
// are processed.
func TestProcessingHandlerOption(t *testing.T) {
	var got []string
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "picky", strFns{process: func(_ processor.Context[string, string], r processor.Record[string, string]) error {
		if r.Value() == "bad" {
			return errors.New("refusing bad")
		}
		got = append(got, r.Value())
		return nil
	}}.supplier(), "source")
	top := build(t, b)

	d := newDriver(t, top)
	err := testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeInput("k", "bad")
	var pe *processor.ProcessingError
	if !errors.As(err, &pe) || pe.Node != "picky" {
		t.Fatalf("pipe of a failing record: %v, want a ProcessingError of picky", err)
	}

	got = nil
	d = newDriver(t, top, testutil.ProcessingHandler(processor.LogAndContinueProcessing))
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	ok(t, in.PipeInput("k", "bad"))
	ok(t, in.PipeInput("k", "good"))
	diff(t, "processed", []string{"good"}, got)
	if d.DroppedRecords() != 1 {
		t.Errorf("DroppedRecords() = %d, want 1", d.DroppedRecords())
	}
}
