package engine_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/topology"
)

// --- helpers ---

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fns is a processor made of optional functions.
type fns[K, V any] struct {
	init    func(ctx processor.Context[K, V]) error
	process func(ctx processor.Context[K, V], r processor.Record[K, V]) error
	close   func() error
}

func (f fns[K, V]) supplier() processor.Supplier[K, V, K, V] {
	return func() processor.Processor[K, V, K, V] { return &fnProc[K, V]{f: f} }
}

type fnProc[K, V any] struct {
	f   fns[K, V]
	ctx processor.Context[K, V]
}

func (p *fnProc[K, V]) Init(ctx processor.Context[K, V]) error {
	p.ctx = ctx
	if p.f.init != nil {
		return p.f.init(ctx)
	}
	return nil
}

func (p *fnProc[K, V]) Process(r processor.Record[K, V]) error {
	if p.f.process != nil {
		return p.f.process(p.ctx, r)
	}
	return nil
}

func (p *fnProc[K, V]) Close() error {
	if p.f.close != nil {
		return p.f.close()
	}
	return nil
}

// collector keeps what sinks send.
type collector struct{ sent []engine.OutRecord }

func (c *collector) Send(r engine.OutRecord) error      { c.sent = append(c.sent, r); return nil }
func (c *collector) PartitionCount(string) (int, error) { return 1, nil }

// fakeStore counts Flush and Close.
type fakeStore struct {
	name       string
	persistent bool
	dir        string
	flushes    int
	closes     int
	flushErr   error
}

func (s *fakeStore) Name() string     { return s.name }
func (s *fakeStore) Persistent() bool { return s.persistent }
func (s *fakeStore) IsOpen() bool     { return s.closes == 0 }
func (s *fakeStore) Flush() error     { s.flushes++; return s.flushErr }
func (s *fakeStore) Close() error     { s.closes++; return nil }

// fakeBuilder builds fakeStores and remembers them.
type fakeBuilder struct {
	name       string
	persistent bool
	flushErr   error
	built      []*fakeStore
}

func (b *fakeBuilder) Name() string     { return b.name }
func (b *fakeBuilder) Persistent() bool { return b.persistent }
func (b *fakeBuilder) Build(dir string) (store.StateStore, error) {
	s := &fakeStore{name: b.name, persistent: b.persistent, dir: dir, flushErr: b.flushErr}
	b.built = append(b.built, s)
	return s, nil
}

func int32Raw(t *testing.T, topic string, partition int32, offset, ts int64, value int32) engine.RawRecord {
	t.Helper()
	k, err := serde.Int32.Serialize(topic, 1)
	ok(t, err)
	v, err := serde.Int32.Serialize(topic, value)
	ok(t, err)
	return engine.RawRecord{Topic: topic, Partition: partition, Offset: offset, Key: k, Value: v, Timestamp: ts}
}

// withOffsetAsTimestamp is Kafka's getConsumerRecordWithOffsetAsTimestamp: the record at
// offset o has timestamp o.
func withOffsetAsTimestamp(t *testing.T, topic string, partition int32, offset int64, value int32) engine.RawRecord {
	return int32Raw(t, topic, partition, offset, offset, value)
}

// seen is one record a processor processed, with where it came from.
type seen struct {
	Topic      string
	Offset     int64
	Timestamp  int64
	Value      int32
	StreamTime int64
}

// twoTopics builds one sub-topology: source1 reads topic1, source2 reads topic2, both feed
// "processor", which records what it sees and may schedule punctuations.
func twoTopics(t *testing.T, topic1, topic2 string, got *[]seen, init func(ctx processor.Context[int32, int32]) error) *engine.Graph {
	t.Helper()
	b := topology.NewBuilder()
	topology.AddSource(b, "source1", topology.Source[int32, int32]{Topics: []string{topic1}, Keys: serde.Int32, Values: serde.Int32})
	topology.AddSource(b, "source2", topology.Source[int32, int32]{Topics: []string{topic2}, Keys: serde.Int32, Values: serde.Int32})
	topology.AddProcessor(b, "processor", fns[int32, int32]{
		init: init,
		process: func(ctx processor.Context[int32, int32], r processor.Record[int32, int32]) error {
			md, _ := ctx.RecordMetadata()
			*got = append(*got, seen{Topic: md.Topic, Offset: md.Offset, Timestamp: r.Timestamp(), Value: r.Value(), StreamTime: ctx.StreamTime()})
			return nil
		},
	}.supplier(), "source1", "source2")
	return graphOf(t, b)
}

func graphOf(t *testing.T, b *topology.Builder) *engine.Graph {
	t.Helper()
	top, err := b.Build()
	ok(t, err)
	g, found := engine.GraphOf(top)
	if !found || g == nil {
		t.Fatal("engine.GraphOf found no graph")
	}
	return g
}

func newTask(t *testing.T, g *engine.Graph, partition int32, cfg engine.Config) *engine.Task {
	t.Helper()
	if cfg.Collector == nil {
		cfg.Collector = &collector{}
	}
	task, err := engine.NewTask(g, g.Subtopologies[0], partition, cfg)
	ok(t, err)
	t.Cleanup(func() { task.Close() })
	ok(t, task.Init())
	return task
}

func process(t *testing.T, task *engine.Task) {
	t.Helper()
	processed, err := task.Process()
	ok(t, err)
	if !processed {
		t.Fatal("Process() found no record")
	}
}

// --- record order and stream time ---

// Kafka: StreamTaskTest.shouldProcessInOrder — topic1 partition 1 gets records at offsets
// (= timestamps) 10, 20, 30 with values 101, 102, 103, topic2 partition 1 at 25, 35, 45 with
// 201, 202, 203. Each process() takes the lowest head timestamp: the values come out as
// 101, 102, 201, 103, 202, 203 with 5, 4, 3, 2, 1, 0 records left buffered.
func TestProcessInOrder(t *testing.T) {
	var got []seen
	task := newTask(t, twoTopics(t, "topic1", "topic2", &got, nil), 1, engine.Config{})
	if task.ID().String() != "0_1" {
		t.Errorf("task id %s, want 0_1", task.ID())
	}
	ok(t, task.AddRecords("topic1", 1, []engine.RawRecord{
		withOffsetAsTimestamp(t, "topic1", 1, 10, 101),
		withOffsetAsTimestamp(t, "topic1", 1, 20, 102),
		withOffsetAsTimestamp(t, "topic1", 1, 30, 103),
	}))
	ok(t, task.AddRecords("topic2", 1, []engine.RawRecord{
		withOffsetAsTimestamp(t, "topic2", 1, 25, 201),
		withOffsetAsTimestamp(t, "topic2", 1, 35, 202),
		withOffsetAsTimestamp(t, "topic2", 1, 45, 203),
	}))
	if task.Queued() != 6 {
		t.Fatalf("Queued() = %d, want 6", task.Queued())
	}
	wantValues := []int32{101, 102, 201, 103, 202, 203}
	for i := range wantValues {
		process(t, task)
		if task.Queued() != 5-i {
			t.Errorf("after process %d: Queued() = %d, want %d", i+1, task.Queued(), 5-i)
		}
	}
	var values []int32
	for _, s := range got {
		values = append(values, s.Value)
	}
	diff(t, "values in processing order", wantValues, values)
	if processed, err := task.Process(); processed || err != nil {
		t.Errorf("Process() on empty queues = %v, %v; want false, nil", processed, err)
	}
	if task.ProcessedRecords() != 6 {
		t.Errorf("ProcessedRecords() = %d, want 6", task.ProcessedRecords())
	}
}

// Kafka: PartitionGroupTest.testTimeTracking — partition 1 gets timestamps [1, 3, 5],
// partition 2 [2, 4, 6] (here: topic-1 and topic-2 of one task, offsets as in Kafka's
// MockTimestampExtractor, offset = timestamp). Stream time is -1 before any record; the
// first two records are 1 (p1, st 1) and 2 (p2, st 2). Then p1 gets [2, 4] more: the
// records come out as 3 (p1, st 3), 4 (p2, st 4), 5 (p1, st 5), 2 (p1, st 5), 4 (p1, st 5),
// 6 (p2, st 6) — the lowest head timestamp first, stream time the maximum seen, never
// going back for a late record.
func TestTimeTracking(t *testing.T) {
	var got []seen
	task := newTask(t, twoTopics(t, "topic-1", "topic-2", &got, nil), 0, engine.Config{})
	add := func(topic string, ts ...int64) {
		var raws []engine.RawRecord
		for _, x := range ts {
			raws = append(raws, withOffsetAsTimestamp(t, topic, 0, x, 10))
		}
		ok(t, task.AddRecords(topic, 0, raws))
	}
	type step struct {
		Topic      string
		Timestamp  int64
		StreamTime int64
		Queued     int
	}
	var steps []step
	next := func() {
		process(t, task)
		last := got[len(got)-1]
		if last.StreamTime != task.StreamTime() {
			t.Errorf("the processor saw stream time %d, the task has %d", last.StreamTime, task.StreamTime())
		}
		steps = append(steps, step{last.Topic, last.Timestamp, task.StreamTime(), task.Queued()})
	}

	add("topic-1", 1, 3, 5)
	add("topic-2", 2, 4, 6)
	if task.Queued() != 6 || task.StreamTime() != -1 {
		t.Fatalf("Queued() = %d, StreamTime() = %d; want 6, -1", task.Queued(), task.StreamTime())
	}
	next()
	next()
	diff(t, "first batch", []step{{"topic-1", 1, 1, 5}, {"topic-2", 2, 2, 4}}, steps)

	steps = nil
	add("topic-1", 2, 4)
	if task.Queued() != 6 || task.StreamTime() != 2 {
		t.Fatalf("after adding: Queued() = %d, StreamTime() = %d; want 6, 2 (adding does not change stream time)", task.Queued(), task.StreamTime())
	}
	for range 6 {
		next()
	}
	diff(t, "second batch", []step{
		{"topic-1", 3, 3, 5},
		{"topic-2", 4, 4, 4},
		{"topic-1", 5, 5, 3},
		{"topic-1", 2, 5, 2},
		{"topic-1", 4, 5, 1},
		{"topic-2", 6, 6, 0},
	}, steps)
}

// Kafka: PartitionGroupTest.shouldChooseNextRecordBasedOnHeadTimestamp — p1 gets [1, 5, 3];
// the first two records are 1 and 5; then p2 gets [2, 4, 6]: next comes 2 (p2), then 3 from
// p1, even though p1 has already seen 5.
func TestChooseNextRecordBasedOnHeadTimestamp(t *testing.T) {
	var got []seen
	task := newTask(t, twoTopics(t, "topic-1", "topic-2", &got, nil), 0, engine.Config{})
	ok(t, task.AddRecords("topic-1", 0, []engine.RawRecord{
		withOffsetAsTimestamp(t, "topic-1", 0, 1, 0), withOffsetAsTimestamp(t, "topic-1", 0, 5, 0), withOffsetAsTimestamp(t, "topic-1", 0, 3, 0),
	}))
	if task.StreamTime() != -1 {
		t.Errorf("StreamTime() = %d, want -1", task.StreamTime())
	}
	process(t, task)
	process(t, task)
	ok(t, task.AddRecords("topic-2", 0, []engine.RawRecord{
		withOffsetAsTimestamp(t, "topic-2", 0, 2, 0), withOffsetAsTimestamp(t, "topic-2", 0, 4, 0), withOffsetAsTimestamp(t, "topic-2", 0, 6, 0),
	}))
	process(t, task)
	process(t, task)
	var ts []int64
	for _, s := range got {
		ts = append(ts, s.Timestamp)
	}
	diff(t, "timestamps in processing order", []int64{1, 5, 2, 3}, ts)
	diff(t, "topics in processing order", []string{"topic-1", "topic-1", "topic-2", "topic-1"}, []string{got[0].Topic, got[1].Topic, got[2].Topic, got[3].Topic})
}

// Records the source cannot deserialize go to the handler: nil (LogAndFail) returns the
// *processor.DeserializationError from AddRecords; a Continue handler drops and counts them.
func TestDeserializationHandler(t *testing.T) {
	bad := engine.RawRecord{Topic: "topic-1", Offset: 7, Key: []byte{0, 0, 0, 1}, Value: []byte("xyz"), Timestamp: 1}
	t.Run("default", func(t *testing.T) {
		task := newTask(t, twoTopics(t, "topic-1", "topic-2", new([]seen), nil), 0, engine.Config{})
		err := task.AddRecords("topic-1", 0, []engine.RawRecord{bad})
		var de *processor.DeserializationError
		if !errors.As(err, &de) || de.Node != "source1" || de.Topic != "topic-1" || de.Offset != 7 {
			t.Fatalf("AddRecords: %v, want a DeserializationError of source1 at topic-1 offset 7", err)
		}
	})
	t.Run("continue", func(t *testing.T) {
		var handled []*processor.DeserializationError
		var got []seen
		task := newTask(t, twoTopics(t, "topic-1", "topic-2", &got, nil), 0, engine.Config{
			OnDeserializationError: func(err *processor.DeserializationError) processor.HandlerResponse {
				handled = append(handled, err)
				return processor.Continue
			},
		})
		ok(t, task.AddRecords("topic-1", 0, []engine.RawRecord{bad, int32Raw(t, "topic-1", 0, 8, 2, 42)}))
		if len(handled) != 1 || task.DroppedRecords() != 1 || task.Queued() != 1 {
			t.Fatalf("handled %d, dropped %d, queued %d; want 1, 1, 1", len(handled), task.DroppedRecords(), task.Queued())
		}
		process(t, task)
		diff(t, "processed", []seen{{Topic: "topic-1", Offset: 8, Timestamp: 2, Value: 42, StreamTime: 2}}, got)
	})
	t.Run("negative timestamp", func(t *testing.T) {
		task := newTask(t, twoTopics(t, "topic-1", "topic-2", new([]seen), nil), 0, engine.Config{})
		err := task.AddRecords("topic-1", 0, []engine.RawRecord{int32Raw(t, "topic-1", 0, 0, -5, 1)})
		var de *processor.DeserializationError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "negative") {
			t.Errorf("AddRecords of a record at -5: %v, want a DeserializationError about the negative timestamp", err)
		}
	})
}

// A topic no source reads is an error; a topic a pattern source matches gets a queue.
func TestAddRecordsTopics(t *testing.T) {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int32, int32]{Pattern: regexp.MustCompile(`^in-\d+$`), Keys: serde.Int32, Values: serde.Int32})
	var topics []string
	topology.AddProcessor(b, "processor", fns[int32, int32]{process: func(ctx processor.Context[int32, int32], r processor.Record[int32, int32]) error {
		md, _ := ctx.RecordMetadata()
		topics = append(topics, md.Topic)
		return nil
	}}.supplier(), "source")
	task := newTask(t, graphOf(t, b), 0, engine.Config{})
	if err := task.AddRecords("other", 0, []engine.RawRecord{int32Raw(t, "other", 0, 0, 1, 1)}); err == nil || !strings.Contains(err.Error(), "other") {
		t.Errorf("AddRecords(other): %v, want an error naming the topic", err)
	}
	ok(t, task.AddRecords("in-2", 0, []engine.RawRecord{int32Raw(t, "in-2", 0, 0, 2, 1)}))
	ok(t, task.AddRecords("in-1", 0, []engine.RawRecord{int32Raw(t, "in-1", 0, 0, 1, 1)}))
	process(t, task)
	process(t, task)
	diff(t, "topics", []string{"in-1", "in-2"}, topics)
}

// --- punctuation ---

// streamTimeEvery10 schedules a stream-time punctuation every 10 ms that records its
// timestamps (Kafka's MockProcessorNode(10L) of StreamTaskTest).
func streamTimeEvery10(at *[]int64, c *processor.Cancellable) func(ctx processor.Context[int32, int32]) error {
	return func(ctx processor.Context[int32, int32]) error {
		cc, err := ctx.Schedule(10*time.Millisecond, processor.StreamTime, func(ts int64) error {
			*at = append(*at, ts)
			return nil
		})
		if c != nil {
			*c = cc
		}
		return err
	}
}

// Kafka: StreamTaskTest.shouldPunctuateOnceStreamTimeAfterGap — interval 10; partition1
// gets 20, 142, 155, 160, partition2 25, 145, 159, 161. Before any record nothing fires;
// after each process(), maybePunctuateStreamTime() fires at stream times 20, 142 (once after
// the 100 ms gap), 155 and 160 (aligned at 0) and not at 25, 145, 159, 161: the
// punctuations are at 20, 142, 155, 160.
func TestPunctuateOnceStreamTimeAfterGap(t *testing.T) {
	var got []seen
	var at []int64
	task := newTask(t, twoTopics(t, "topic1", "topic2", &got, streamTimeEvery10(&at, nil)), 1, engine.Config{})
	var raws1, raws2 []engine.RawRecord
	for _, o := range []int64{20, 142, 155, 160} {
		raws1 = append(raws1, withOffsetAsTimestamp(t, "topic1", 1, o, 0))
	}
	for _, o := range []int64{25, 145, 159, 161} {
		raws2 = append(raws2, withOffsetAsTimestamp(t, "topic2", 1, o, 0))
	}
	ok(t, task.AddRecords("topic1", 1, raws1))
	ok(t, task.AddRecords("topic2", 1, raws2))

	fired, err := task.MaybePunctuateStreamTime()
	ok(t, err)
	if fired {
		t.Error("punctuated at stream time -1")
	}
	for _, step := range []struct {
		streamTime int64
		fires      bool
	}{{20, true}, {25, false}, {142, true}, {145, false}, {155, true}, {159, false}, {160, true}, {161, false}} {
		process(t, task)
		if task.StreamTime() != step.streamTime {
			t.Errorf("StreamTime() = %d, want %d", task.StreamTime(), step.streamTime)
		}
		fired, err := task.MaybePunctuateStreamTime()
		ok(t, err)
		if fired != step.fires {
			t.Errorf("at stream time %d: MaybePunctuateStreamTime() = %v, want %v", step.streamTime, fired, step.fires)
		}
	}
	diff(t, "punctuations", []int64{20, 142, 155, 160}, at)
}

// Kafka: StreamTaskTest.shouldRespectPunctuateCancellationStreamTime — partition1 20, 30,
// 40, partition2 25, 35, 45: punctuates at 20, not at 25; at 30 the schedule is cancelled
// and nothing more fires: the punctuations are [20].
func TestRespectPunctuateCancellationStreamTime(t *testing.T) {
	var got []seen
	var at []int64
	var c processor.Cancellable
	task := newTask(t, twoTopics(t, "topic1", "topic2", &got, streamTimeEvery10(&at, &c)), 1, engine.Config{})
	ok(t, task.AddRecords("topic1", 1, []engine.RawRecord{
		withOffsetAsTimestamp(t, "topic1", 1, 20, 0), withOffsetAsTimestamp(t, "topic1", 1, 30, 0), withOffsetAsTimestamp(t, "topic1", 1, 40, 0),
	}))
	ok(t, task.AddRecords("topic2", 1, []engine.RawRecord{
		withOffsetAsTimestamp(t, "topic2", 1, 25, 0), withOffsetAsTimestamp(t, "topic2", 1, 35, 0), withOffsetAsTimestamp(t, "topic2", 1, 45, 0),
	}))
	for _, step := range []struct {
		streamTime int64
		cancel     bool
		fires      bool
	}{{20, false, true}, {25, false, false}, {30, true, false}, {35, false, false}, {40, false, false}, {45, false, false}} {
		process(t, task)
		if step.cancel {
			c.Cancel()
		}
		fired, err := task.MaybePunctuateStreamTime()
		ok(t, err)
		if fired != step.fires || task.StreamTime() != step.streamTime {
			t.Errorf("stream time %d, fired %v; want %d, %v", task.StreamTime(), fired, step.streamTime, step.fires)
		}
	}
	diff(t, "punctuations", []int64{20}, at)
}

// wallClockTask is a task whose processor schedules a wall-clock punctuation every 10 ms at
// Init (Kafka's MockProcessorNode(10L, WALL_CLOCK_TIME)), on a mock clock starting at now.
func wallClockTask(t *testing.T, now int64) (task *engine.Task, clock *int64, at *[]int64, c *processor.Cancellable) {
	clock, at, c = new(int64), new([]int64), new(processor.Cancellable)
	*clock = now
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int32, int32]{Topics: []string{"topic1"}, Keys: serde.Int32, Values: serde.Int32})
	topology.AddProcessor(b, "processor", fns[int32, int32]{init: func(ctx processor.Context[int32, int32]) error {
		var err error
		*c, err = ctx.Schedule(10*time.Millisecond, processor.WallClockTime, func(ts int64) error {
			*at = append(*at, ts)
			if ts != ctx.SystemTime() {
				t.Errorf("punctuated at %d, SystemTime() = %d", ts, ctx.SystemTime())
			}
			return nil
		})
		return err
	}}.supplier(), "source")
	task = newTask(t, graphOf(t, b), 0, engine.Config{Clock: func() int64 { return *clock }})
	return task, clock, at, c
}

// Kafka: StreamTaskTest.shouldPunctuateSystemTimeWhenIntervalElapsed,
// shouldNotPunctuateSystemTimeWhenIntervalNotElapsed, shouldPunctuateOnceSystemTimeAfterGap
// and shouldRespectPunctuateCancellationSystemTime — interval 10 ms on a mock clock starting
// at now; "sleep" advances the clock, then maybePunctuateSystemTime() is called (sometimes
// twice). Expected punctuations, literally from Kafka:
//   - elapsed: sleep 10 ✓, 10 ✓, 9 ✗, 1 ✓, 20 ✓ then ✗ → now+10, now+20, now+30, now+50
//   - not elapsed: ✗, sleep 9 ✗ → none
//   - after gap: sleep 100 ✓ then ✗, 10 ✓, 12 ✓, 7 ✗, 1 ✓, 105 ✓ then ✗, 5 ✓ then ✗ →
//     now+100, now+110, now+122, now+130, now+235, now+240
//   - cancellation: sleep 10 ✓, cancel, sleep 10 ✗ → now+10
func TestPunctuateSystemTime(t *testing.T) {
	const now = 1_700_000_000_000
	type call struct {
		sleep  int64 // ms, before the call
		fires  bool
		cancel bool // cancel after the call
	}
	for _, tc := range []struct {
		name  string
		calls []call
		want  []int64
	}{
		{"shouldPunctuateSystemTimeWhenIntervalElapsed",
			[]call{{10, true, false}, {10, true, false}, {9, false, false}, {1, true, false}, {20, true, false}, {0, false, false}},
			[]int64{now + 10, now + 20, now + 30, now + 50}},
		{"shouldNotPunctuateSystemTimeWhenIntervalNotElapsed",
			[]call{{0, false, false}, {9, false, false}},
			nil},
		{"shouldPunctuateOnceSystemTimeAfterGap",
			[]call{{100, true, false}, {0, false, false}, {10, true, false}, {12, true, false}, {7, false, false}, {1, true, false}, {105, true, false}, {0, false, false}, {5, true, false}, {0, false, false}},
			[]int64{now + 100, now + 110, now + 122, now + 130, now + 235, now + 240}},
		{"shouldRespectPunctuateCancellationSystemTime",
			[]call{{10, true, true}, {10, false, false}},
			[]int64{now + 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task, clock, at, c := wallClockTask(t, now)
			for i, call := range tc.calls {
				*clock += call.sleep
				fired, err := task.MaybePunctuateSystemTime()
				ok(t, err)
				if fired != call.fires {
					t.Errorf("call %d (clock now+%d): fired %v, want %v", i, *clock-now, fired, call.fires)
				}
				if call.cancel {
					(*c).Cancel()
				}
			}
			diff(t, "punctuations", tc.want, *at)
			// Stream time does not drive wall-clock punctuations.
			ok(t, task.AddRecords("topic1", 0, []engine.RawRecord{int32Raw(t, "topic1", 0, 0, now*2, 1)}))
			process(t, task)
			fired, err := task.MaybePunctuateStreamTime()
			ok(t, err)
			if fired {
				t.Error("a stream-time call fired a wall-clock punctuation")
			}
		})
	}
}

// Two schedules due at once fire in order of due time (then of scheduling); a punctuator's
// error is a *processor.ProcessingError naming the task and the node, with no input record.
func TestPunctuationOrderAndError(t *testing.T) {
	var order []string
	boom := errors.New("boom")
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int32, int32]{Topics: []string{"t"}, Keys: serde.Int32, Values: serde.Int32})
	topology.AddProcessor(b, "processor", fns[int32, int32]{init: func(ctx processor.Context[int32, int32]) error {
		for _, s := range []struct {
			name     string
			interval time.Duration
		}{{"a-30", 30 * time.Millisecond}, {"b-20", 20 * time.Millisecond}, {"c-20", 20 * time.Millisecond}} {
			if _, err := ctx.Schedule(s.interval, processor.StreamTime, func(ts int64) error {
				order = append(order, s.name)
				if s.name == "c-20" && ts >= 20 {
					return boom
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	}}.supplier(), "source")
	task := newTask(t, graphOf(t, b), 2, engine.Config{})
	ok(t, task.AddRecords("t", 2, []engine.RawRecord{int32Raw(t, "t", 2, 0, 0, 1), int32Raw(t, "t", 2, 1, 25, 1)}))
	process(t, task)
	_, err := task.MaybePunctuateStreamTime()
	ok(t, err)
	diff(t, "order at 0", []string{"a-30", "b-20", "c-20"}, order)
	order = nil
	process(t, task)
	_, err = task.MaybePunctuateStreamTime()
	diff(t, "order at 25", []string{"b-20", "c-20"}, order)
	var pe *processor.ProcessingError
	if !errors.As(err, &pe) || !errors.Is(err, boom) || pe.Node != "processor" || pe.Task.String() != "0_2" || pe.HasInput {
		t.Errorf("error %v, want a ProcessingError of processor in task 0_2 with no input, wrapping boom", err)
	}
}

// --- commit, close, state directory ---

// Commit flushes every store of the task, then calls OnCommit with the task, and clears
// CommitRequested; a flush error is returned and OnCommit is not called.
func TestCommit(t *testing.T) {
	build := func(fb1, fb2 *fakeBuilder) *engine.Graph {
		b := topology.NewBuilder()
		topology.AddSource(b, "source", topology.Source[int32, int32]{Topics: []string{"t"}, Keys: serde.Int32, Values: serde.Int32})
		topology.AddProcessor(b, "processor", fns[int32, int32]{process: func(ctx processor.Context[int32, int32], r processor.Record[int32, int32]) error {
			ctx.Commit()
			return nil
		}}.supplier(), "source")
		b.AddStateStore(fb1, "processor")
		b.AddStateStore(fb2, "processor")
		return graphOf(t, b)
	}
	t.Run("flush then OnCommit", func(t *testing.T) {
		fb1, fb2 := &fakeBuilder{name: "s1"}, &fakeBuilder{name: "s2"}
		var committed []*engine.Task
		var flushesAtCommit []int
		task := newTask(t, build(fb1, fb2), 0, engine.Config{OnCommit: func(task *engine.Task) error {
			committed = append(committed, task)
			flushesAtCommit = append(flushesAtCommit, fb1.built[0].flushes, fb2.built[0].flushes)
			return nil
		}})
		diff(t, "StoreNames", []string{"s1", "s2"}, task.StoreNames())
		if task.CommitRequested() {
			t.Error("CommitRequested before any record")
		}
		ok(t, task.AddRecords("t", 0, []engine.RawRecord{int32Raw(t, "t", 0, 0, 1, 1)}))
		process(t, task)
		if !task.CommitRequested() {
			t.Error("ctx.Commit() did not request a commit")
		}
		ok(t, task.Commit())
		if task.CommitRequested() {
			t.Error("CommitRequested after Commit")
		}
		if len(committed) != 1 || committed[0] != task {
			t.Errorf("OnCommit called with %v, want once with the task", committed)
		}
		diff(t, "flushes seen by OnCommit", []int{1, 1}, flushesAtCommit)
		ok(t, task.Commit())
		if fb1.built[0].flushes != 2 || fb2.built[0].flushes != 2 || len(committed) != 2 {
			t.Errorf("after two commits: %d and %d flushes, %d OnCommit calls; want 2, 2, 2", fb1.built[0].flushes, fb2.built[0].flushes, len(committed))
		}
	})
	t.Run("flush error", func(t *testing.T) {
		flushErr := errors.New("disk full")
		fb1, fb2 := &fakeBuilder{name: "s1", flushErr: flushErr}, &fakeBuilder{name: "s2"}
		called := false
		task := newTask(t, build(fb1, fb2), 0, engine.Config{OnCommit: func(*engine.Task) error { called = true; return nil }})
		err := task.Commit()
		if !errors.Is(err, flushErr) || !strings.Contains(err.Error(), "task 0_0") {
			t.Errorf("Commit() = %v, want the flush error with the task", err)
		}
		if called {
			t.Error("OnCommit called after a failed flush")
		}
		if fb2.built[0].flushes != 1 {
			t.Errorf("the other store flushed %d times, want 1", fb2.built[0].flushes)
		}
	})
	t.Run("OnCommit error", func(t *testing.T) {
		hookErr := errors.New("commit offsets failed")
		task := newTask(t, build(&fakeBuilder{name: "s1"}, &fakeBuilder{name: "s2"}), 0, engine.Config{OnCommit: func(*engine.Task) error { return hookErr }})
		if err := task.Commit(); !errors.Is(err, hookErr) {
			t.Errorf("Commit() = %v, want %v", err, hookErr)
		}
	})
}

// Kafka: StreamTaskTest.closeShouldBeIdempotent — Close twice closes processors and stores
// once; the second Close returns nil. A processor's Close error comes back from Close,
// attributed to it; a task closed before Init closes its stores but no processor.
func TestCloseIsIdempotent(t *testing.T) {
	closeErr := errors.New("close failed")
	var inits, closes int
	fb := &fakeBuilder{name: "store"}
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[int32, int32]{Topics: []string{"t"}, Keys: serde.Int32, Values: serde.Int32})
	topology.AddProcessor(b, "processor", fns[int32, int32]{
		init:  func(processor.Context[int32, int32]) error { inits++; return nil },
		close: func() error { closes++; return closeErr },
	}.supplier(), "source")
	b.AddStateStore(fb, "processor")
	g := graphOf(t, b)

	task, err := engine.NewTask(g, g.Subtopologies[0], 0, engine.Config{Collector: &collector{}})
	ok(t, err)
	ok(t, task.Init())
	ok(t, task.Init())
	if inits != 1 {
		t.Errorf("Init twice initialized the processor %d times, want 1", inits)
	}
	err = task.Close()
	var pe *processor.ProcessingError
	if !errors.Is(err, closeErr) || !errors.As(err, &pe) || pe.Node != "processor" {
		t.Errorf("Close() = %v, want the processor's error attributed to it", err)
	}
	if err := task.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if closes != 1 || fb.built[0].closes != 1 {
		t.Errorf("processor closed %d times, store %d times; want 1, 1", closes, fb.built[0].closes)
	}

	closes = 0
	task, err = engine.NewTask(g, g.Subtopologies[0], 0, engine.Config{Collector: &collector{}})
	ok(t, err)
	ok(t, task.Close())
	if closes != 0 || fb.built[1].closes != 1 {
		t.Errorf("closed before Init: processor closed %d times, store %d times; want 0, 1", closes, fb.built[1].closes)
	}
}

// A task with a persistent store creates <state dir>/<application id>/<task id> and builds
// its stores there; a task with only in-memory stores creates nothing.
func TestStateDirectory(t *testing.T) {
	for _, persistent := range []bool{true, false} {
		stateDir := t.TempDir()
		fb := &fakeBuilder{name: "store", persistent: persistent}
		b := topology.NewBuilder()
		topology.AddSource(b, "source", topology.Source[int32, int32]{Topics: []string{"t"}, Keys: serde.Int32, Values: serde.Int32})
		topology.AddProcessor(b, "processor", fns[int32, int32]{}.supplier(), "source")
		b.AddStateStore(fb, "processor")
		newTask(t, graphOf(t, b), 3, engine.Config{ApplicationID: "app", StateDir: stateDir})
		taskDir := filepath.Join(stateDir, "app", "0_3")
		if !persistent {
			if fb.built[0].dir != "" {
				t.Errorf("in-memory store built with dir %q, want none", fb.built[0].dir)
			}
			if _, err := os.Stat(filepath.Join(stateDir, "app")); !os.IsNotExist(err) {
				t.Errorf("in-memory only: app dir: %v, want none", err)
			}
			continue
		}
		if fb.built[0].dir != taskDir {
			t.Errorf("persistent store built in %q, want %q", fb.built[0].dir, taskDir)
		}
		if info, err := os.Stat(taskDir); err != nil || !info.IsDir() {
			t.Errorf("task dir %s: %v", taskDir, err)
		}
	}
}

// Sinks send OutRecords: topic, partition -1 (left to the producer), serialized key and
// value, timestamp, headers; a tombstone has Tombstone set and no value.
func TestSinkOutRecords(t *testing.T) {
	col := &collector{}
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[string, string]{Topics: []string{"in"}, Keys: serde.String, Values: serde.String})
	topology.AddSink(b, "sink", topology.Sink[string, string]{Topic: "out", Keys: serde.String, Values: serde.String}, "source")
	task := newTask(t, graphOf(t, b), 0, engine.Config{Collector: col})
	h := processor.Headers{{Key: "h", Value: []byte("v")}}
	ok(t, task.AddRecords("in", 0, []engine.RawRecord{
		{Topic: "in", Offset: 0, Key: []byte("k"), Value: []byte("v"), Timestamp: 5, Headers: h},
		{Topic: "in", Offset: 1, Key: []byte("k"), Value: nil, Timestamp: 6},
	}))
	process(t, task)
	process(t, task)
	diff(t, "sent", []engine.OutRecord{
		{Topic: "out", Partition: -1, Key: []byte("k"), Value: []byte("v"), Timestamp: 5, Headers: h},
		{Topic: "out", Partition: -1, Key: []byte("k"), Tombstone: true, Timestamp: 6},
	}, col.sent)
}

// A processor's error goes to the processing handler (KIP-1033, Kafka's
// ProcessingExceptionHandler): with none, Process returns the *processor.ProcessingError;
// Continue drops the record, counts it in dropped-records and processing goes on; errors from
// punctuators go to the same handler.
func TestProcessingHandler(t *testing.T) {
	build := func(got *[]int32) *engine.Graph {
		b := topology.NewBuilder()
		topology.AddSource(b, "source", topology.Source[int32, int32]{Topics: []string{"in"}, Keys: serde.Int32, Values: serde.Int32})
		topology.AddProcessor(b, "picky", fns[int32, int32]{
			init: func(ctx processor.Context[int32, int32]) error {
				_, err := ctx.Schedule(10*time.Millisecond, processor.StreamTime, func(int64) error { return errors.New("punctuator failed") })
				return err
			},
			process: func(ctx processor.Context[int32, int32], r processor.Record[int32, int32]) error {
				if r.Value() < 0 {
					return fmt.Errorf("negative value %d", r.Value())
				}
				*got = append(*got, r.Value())
				return nil
			},
		}.supplier(), "source")
		return graphOf(t, b)
	}
	raws := []engine.RawRecord{int32Raw(t, "in", 0, 0, 1, 1), int32Raw(t, "in", 0, 1, 2, -1), int32Raw(t, "in", 0, 2, 3, 3)}

	t.Run("default fails", func(t *testing.T) {
		task := newTask(t, build(new([]int32)), 0, engine.Config{})
		ok(t, task.AddRecords("in", 0, raws))
		var err error
		for err == nil {
			var more bool
			if more, err = task.Process(); !more {
				break
			}
		}
		var pe *processor.ProcessingError
		if !errors.As(err, &pe) || pe.Node != "picky" || pe.Record.Offset != 1 || !strings.Contains(err.Error(), "negative value -1") {
			t.Fatalf("Process: %v, want a ProcessingError of picky at offset 1", err)
		}
	})
	t.Run("continue", func(t *testing.T) {
		var handled []*processor.ProcessingError
		var got []int32
		task := newTask(t, build(&got), 0, engine.Config{OnProcessingError: func(err *processor.ProcessingError) processor.HandlerResponse {
			handled = append(handled, err)
			return processor.Continue
		}})
		ok(t, task.AddRecords("in", 0, raws))
		for range raws {
			process(t, task)
		}
		if _, err := task.MaybePunctuateStreamTime(); err != nil {
			t.Fatalf("punctuation error not handled: %v", err)
		}
		diff(t, "processed values", []int32{1, 3}, got)
		if len(handled) != 2 || handled[0].Record.Offset != 1 || handled[1].HasInput {
			t.Fatalf("handled %v, want the record at offset 1 then the punctuation", handled)
		}
		if task.DroppedRecords() != 2 {
			t.Errorf("dropped %d, want 2", task.DroppedRecords())
		}
	})
}

// ForApplication renames internal topics "<app>-<name>" in sources, sinks, sub-topologies and
// Internal (Kafka's decorateTopic), leaves other topics alone, and does not change the graph
// it copies.
func TestGraphForApplication(t *testing.T) {
	b := topology.NewBuilder()
	topology.AddSource(b, "in", topology.Source[int32, int32]{Topics: []string{"input"}, Keys: serde.Int32, Values: serde.Int32})
	topology.AddSink(b, "to-rep", topology.Sink[int32, int32]{Topic: "x-repartition", Keys: serde.Int32, Values: serde.Int32}, "in")
	topology.AddSource(b, "from-rep", topology.Source[int32, int32]{Topics: []string{"x-repartition"}, Keys: serde.Int32, Values: serde.Int32})
	topology.AddSink(b, "out", topology.Sink[int32, int32]{Topic: "output", Keys: serde.Int32, Values: serde.Int32}, "from-rep")
	g := graphOf(t, b)
	if g.ForApplication("app") != g {
		t.Error("a graph without internal topics should be returned as is")
	}
	g.Internal = map[string]engine.InternalTopic{"x-repartition": {Partitions: 3}}
	r := g.ForApplication("app")
	if got := r.ByName["to-rep"].Topic; got != "app-x-repartition" {
		t.Errorf("sink topic %q, want app-x-repartition", got)
	}
	if got := r.ByName["from-rep"].Topics; len(got) != 1 || got[0] != "app-x-repartition" {
		t.Errorf("source topics %v, want [app-x-repartition]", got)
	}
	if got := r.ByName["out"].Topic; got != "output" {
		t.Errorf("external sink topic renamed to %q", got)
	}
	if _, ok := r.Internal["app-x-repartition"]; !ok || r.Internal["app-x-repartition"].Partitions != 3 {
		t.Errorf("Internal = %v", r.Internal)
	}
	if g.ByName["to-rep"].Topic != "x-repartition" || g.Subtopologies[1].SourceTopics[0] != "x-repartition" {
		t.Error("ForApplication changed the original graph")
	}
	if r.Subtopologies[1].SourceTopics[0] != "app-x-repartition" || r.Subtopologies[1].Nodes[0] != r.ByName[r.Subtopologies[1].Nodes[0].Name] {
		t.Errorf("sub-topology not renamed or not pointing at the copied specs: %v", r.Subtopologies[1].SourceTopics)
	}
}
