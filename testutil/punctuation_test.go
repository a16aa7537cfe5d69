package testutil_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// punctuator records the timestamps it is called with, and whether each equals the clock it
// follows (the task's stream time or the wall clock) at that moment.
type punctuator struct {
	at       []int64
	mismatch []string
}

// schedule returns an Init that schedules p with interval and typ.
func (p *punctuator) schedule(interval time.Duration, typ processor.PunctuationType) func(ctx processor.Context[string, string]) error {
	return func(ctx processor.Context[string, string]) error {
		_, err := ctx.Schedule(interval, typ, func(ts int64) error {
			p.at = append(p.at, ts)
			now := ctx.StreamTime()
			if typ == processor.WallClockTime {
				now = ctx.SystemTime()
			}
			if ts != now {
				p.mismatch = append(p.mismatch, strconv.FormatInt(ts, 10)+" != "+strconv.FormatInt(now, 10))
			}
			return nil
		})
		return err
	}
}

func (p *punctuator) check(t *testing.T, step string, want []int64) {
	t.Helper()
	diff(t, "punctuations after "+step, want, p.at)
	if len(p.mismatch) > 0 {
		t.Errorf("punctuation timestamps differ from the clock: %v", p.mismatch)
	}
}

// Kafka: TopologyTestDriverTest.shouldPunctuateOnStreamsTime — a STREAM_TIME punctuation
// every 10 ms, records at 42, 42, 51, 52, 61, 65, 71, 72, 95, 101, 102: the punctuations
// are at [42, 51, 61, 71, 95, 101] (aligned to 0, at the stream time that passes each
// multiple of 10, missed intervals skipped).
func TestPunctuateOnStreamTime(t *testing.T) {
	p := &punctuator{}
	d := newDriver(t, singleProcessor(t, strFns{init: p.schedule(10*time.Millisecond, processor.StreamTime)}))
	in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
	p.check(t, "creation", nil)
	var want []int64
	for _, step := range []struct {
		ts    int64
		fires bool
	}{
		{42, true}, {42, false}, {51, true}, {52, false}, {61, true}, {65, false},
		{71, true}, {72, false}, {95, true}, {101, true}, {102, false},
	} {
		if step.fires {
			want = append(want, step.ts)
		}
		ok(t, in.PipeInputWithTimestamp("key1", "value1", step.ts))
		p.check(t, "record at "+strconv.FormatInt(step.ts, 10), want)
	}
	diff(t, "all punctuations", []int64{42, 51, 61, 71, 95, 101}, p.at)
	// Wall-clock time does not drive stream-time punctuations.
	ok(t, d.AdvanceWallClockTime(time.Hour))
	p.check(t, "advancing the wall clock", []int64{42, 51, 61, 71, 95, 101})
}

// Kafka: TopologyTestDriverTest.shouldPunctuateOnWallClockTime — a WALL_CLOCK_TIME
// punctuation every 10 ms, driver started at 0: advancing by 5 → [], by 9 → [14], by 1 →
// [14], by 20 → [14, 35], by 5 → [14, 35, 40].
func TestPunctuateOnWallClockTime(t *testing.T) {
	p := &punctuator{}
	d := newDriver(t, singleProcessor(t, strFns{init: p.schedule(10*time.Millisecond, processor.WallClockTime)}), testutil.WallClockStart(time.UnixMilli(0)))
	for _, step := range []struct {
		advance time.Duration
		want    []int64
	}{
		{5 * time.Millisecond, nil},
		{9 * time.Millisecond, []int64{14}},
		{1 * time.Millisecond, []int64{14}},
		{20 * time.Millisecond, []int64{14, 35}},
		{5 * time.Millisecond, []int64{14, 35, 40}},
	} {
		ok(t, d.AdvanceWallClockTime(step.advance))
		p.check(t, "advancing by "+step.advance.String(), step.want)
	}
	if d.WallClockTime() != 40 {
		t.Errorf("WallClockTime() = %d, want 40", d.WallClockTime())
	}
	// Piping records (whatever their timestamps) does not fire wall-clock punctuations.
	in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
	ok(t, in.PipeInputWithTimestamp("k", "v", 1_000_000))
	ok(t, in.PipeInput("k", "v"))
	p.check(t, "piping records", []int64{14, 35, 40})
}

// Kafka: StreamTaskTest.shouldPunctuateOnceSystemTimeAfterGap (interval 10 ms) through the
// driver: starting at now, advancing by 100, 10, 12, 7, 1, 105, 5 ms punctuates at
// now+100, now+110, now+122, now+130, now+235, now+240 — once per advance however many
// intervals it spans, still aligned on the first punctuation.
func TestPunctuateOnceOnWallClockAfterGap(t *testing.T) {
	const now = 1_000_000
	p := &punctuator{}
	d := newDriver(t, singleProcessor(t, strFns{init: p.schedule(10*time.Millisecond, processor.WallClockTime)}), testutil.WallClockStart(time.UnixMilli(now)))
	for _, ms := range []int64{100, 10, 12, 7, 1, 105, 5} {
		ok(t, d.AdvanceWallClockTime(time.Duration(ms)*time.Millisecond))
	}
	p.check(t, "the advances", []int64{now + 100, now + 110, now + 122, now + 130, now + 235, now + 240})
}

// Kafka: PunctuationQueueTest.testPunctuationInterval — interval 100 aligned to 0, the queue
// asked at now+100, now+199, now+200, now+1001, now+1002, now+1100 with now = -100 (that is,
// at stream times 0, 99, 100, 901, 902, 1000; Kafka's first call, at -100, cannot be a
// record timestamp) has punctuated 1, 1, 2, 3, 3, 4 times: at 0, 100, 901, 1000.
func TestPunctuationInterval(t *testing.T) {
	p := &punctuator{}
	d := newDriver(t, singleProcessor(t, strFns{init: p.schedule(100*time.Millisecond, processor.StreamTime)}))
	in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
	for _, step := range []struct {
		streamTime int64
		count      int
	}{{0, 1}, {99, 1}, {100, 2}, {901, 3}, {902, 3}, {1000, 4}} {
		ok(t, in.PipeInputWithTimestamp("k", "v", step.streamTime))
		if len(p.at) != step.count {
			t.Errorf("at stream time %d: %d punctuations, want %d", step.streamTime, len(p.at), step.count)
		}
	}
	p.check(t, "all records", []int64{0, 100, 901, 1000})
}

// A late record (timestamp below stream time) neither moves stream time back nor fires a
// punctuation.
func TestLateRecordDoesNotPunctuate(t *testing.T) {
	p := &punctuator{}
	var streamTimes []int64
	d := newDriver(t, singleProcessor(t, strFns{
		init: p.schedule(10*time.Millisecond, processor.StreamTime),
		process: func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
			streamTimes = append(streamTimes, ctx.StreamTime())
			return nil
		},
	}))
	in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
	for _, ts := range []int64{25, 3, 12, 31} {
		ok(t, in.PipeInputWithTimestamp("k", "v", ts))
	}
	diff(t, "stream times", []int64{25, 25, 25, 31}, streamTimes)
	p.check(t, "records", []int64{25, 31})
}

// Cancelling a punctuation stops it: from inside the punctuator, from Process, and for
// wall-clock punctuations.
func TestPunctuationCancel(t *testing.T) {
	// Kafka: PunctuationQueueTest.testPunctuationIntervalCancelFromPunctuator — interval 100,
	// the punctuator cancels itself: one punctuation (at now+100, stream time 0 here), none
	// at now+200 (100) or later.
	t.Run("testPunctuationIntervalCancelFromPunctuator", func(t *testing.T) {
		var at []int64
		d := newDriver(t, singleProcessor(t, strFns{init: func(ctx processor.Context[string, string]) error {
			var c processor.Cancellable
			var err error
			c, err = ctx.Schedule(100*time.Millisecond, processor.StreamTime, func(ts int64) error {
				at = append(at, ts)
				c.Cancel()
				return nil
			})
			return err
		}}))
		in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
		for _, ts := range []int64{0, 100, 200, 1000} {
			ok(t, in.PipeInputWithTimestamp("k", "v", ts))
		}
		diff(t, "punctuations", []int64{0}, at)
	})

	// Kafka: StreamTaskTest.shouldRespectPunctuateCancellationStreamTime — interval 10,
	// records at 20 (punctuates at 20), 25, 30 (cancelled while processing it): the only
	// punctuation is at 20.
	t.Run("shouldRespectPunctuateCancellationStreamTime", func(t *testing.T) {
		var at []int64
		var c processor.Cancellable
		d := newDriver(t, singleProcessor(t, strFns{
			init: func(ctx processor.Context[string, string]) error {
				var err error
				c, err = ctx.Schedule(10*time.Millisecond, processor.StreamTime, func(ts int64) error {
					at = append(at, ts)
					return nil
				})
				return err
			},
			process: func(_ processor.Context[string, string], r processor.Record[string, string]) error {
				if r.Value() == "cancel" {
					c.Cancel()
					c.Cancel() // cancelling twice is harmless
				}
				return nil
			},
		}))
		in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
		ok(t, in.PipeInputWithTimestamp("k", "v", 20))
		ok(t, in.PipeInputWithTimestamp("k", "v", 25))
		ok(t, in.PipeInputWithTimestamp("k", "cancel", 30))
		ok(t, in.PipeInputWithTimestamp("k", "v", 40))
		ok(t, in.PipeInputWithTimestamp("k", "v", 45))
		diff(t, "punctuations", []int64{20}, at)
	})

	// Kafka: StreamTaskTest.shouldRespectPunctuateCancellationSystemTime — interval 10:
	// sleeping 10 punctuates at now+10; after the cancel, sleeping 10 more does not.
	t.Run("shouldRespectPunctuateCancellationSystemTime", func(t *testing.T) {
		const now = 5000
		var at []int64
		var c processor.Cancellable
		d := newDriver(t, singleProcessor(t, strFns{
			init: func(ctx processor.Context[string, string]) error {
				var err error
				c, err = ctx.Schedule(10*time.Millisecond, processor.WallClockTime, func(ts int64) error {
					at = append(at, ts)
					return nil
				})
				return err
			},
			process: func(_ processor.Context[string, string], r processor.Record[string, string]) error {
				c.Cancel()
				return nil
			},
		}), testutil.WallClockStart(time.UnixMilli(now)))
		ok(t, d.AdvanceWallClockTime(10*time.Millisecond))
		ok(t, testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String).PipeInput("k", "cancel"))
		ok(t, d.AdvanceWallClockTime(10*time.Millisecond))
		ok(t, d.AdvanceWallClockTime(time.Second))
		diff(t, "punctuations", []int64{now + 10}, at)
	})
}

// A punctuator's error comes back from the call that fired it — the pipe call for stream
// time, AdvanceWallClockTime for wall-clock time — as a *processor.ProcessingError naming the
// task and the processor that scheduled it, with no input record.
func TestPunctuatorError(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		typ  processor.PunctuationType
		fire func(d *testutil.TopologyTestDriver) error
	}{
		{processor.StreamTime, func(d *testutil.TopologyTestDriver) error {
			return testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String).PipeInputWithTimestamp("k", "v", 10)
		}},
		{processor.WallClockTime, func(d *testutil.TopologyTestDriver) error {
			return d.AdvanceWallClockTime(10 * time.Millisecond)
		}},
	} {
		t.Run(tc.typ.String(), func(t *testing.T) {
			d := newDriver(t, singleProcessor(t, strFns{init: func(ctx processor.Context[string, string]) error {
				_, err := ctx.Schedule(10*time.Millisecond, tc.typ, func(int64) error { return boom })
				return err
			}}))
			err := tc.fire(d)
			var pe *processor.ProcessingError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *processor.ProcessingError", err, err)
			}
			if !errors.Is(err, boom) {
				t.Errorf("error %v does not wrap the punctuator's", err)
			}
			if pe.Node != "processor" || pe.Task.String() != "0_0" || pe.HasInput {
				t.Errorf("error of node %q, task %s, HasInput %v; want processor, 0_0, false", pe.Node, pe.Task, pe.HasInput)
			}
			for _, s := range []string{"task 0_0", "processor processor", tc.typ.String(), "boom"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q does not contain %q", err, s)
				}
			}
		})
	}
}

// RecordMetadata is present in Process — topic, partition 0, and the offset counting from 0
// per topic — and absent (ok false) in a punctuation, stream-time or wall-clock.
func TestRecordMetadata(t *testing.T) {
	type md struct {
		processor.RecordMetadata
		OK bool
	}
	var inProcess, inPunctuation []md
	b := topology.NewBuilder()
	stringSource(b, "source", sourceTopic1, sourceTopic2)
	topology.AddProcessor(b, "processor", strFns{
		init: func(ctx processor.Context[string, string]) error {
			for _, typ := range []processor.PunctuationType{processor.StreamTime, processor.WallClockTime} {
				if _, err := ctx.Schedule(time.Millisecond, typ, func(int64) error {
					m, ok := ctx.RecordMetadata()
					inPunctuation = append(inPunctuation, md{m, ok})
					return nil
				}); err != nil {
					return err
				}
			}
			return nil
		},
		process: func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
			m, ok := ctx.RecordMetadata()
			inProcess = append(inProcess, md{m, ok})
			return nil
		},
	}.supplier(), "source")
	d := newDriver(t, build(t, b))
	in1 := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
	in2 := testutil.CreateInputTopic(d, sourceTopic2, serde.String, serde.String)
	ok(t, in1.PipeInputWithTimestamp("k", "v", 1))
	ok(t, in1.PipeInputWithTimestamp("k", "v", 2))
	ok(t, in2.PipeInputWithTimestamp("k", "v", 3))
	ok(t, in1.PipeInputWithTimestamp("k", "v", 4))
	ok(t, d.AdvanceWallClockTime(time.Second))
	diff(t, "metadata in Process", []md{
		{processor.RecordMetadata{Topic: sourceTopic1, Partition: 0, Offset: 0}, true},
		{processor.RecordMetadata{Topic: sourceTopic1, Partition: 0, Offset: 1}, true},
		{processor.RecordMetadata{Topic: sourceTopic2, Partition: 0, Offset: 0}, true},
		{processor.RecordMetadata{Topic: sourceTopic1, Partition: 0, Offset: 2}, true},
	}, inProcess)
	if len(inPunctuation) != 5 { // 4 stream-time, 1 wall-clock
		t.Errorf("%d punctuations, want 5", len(inPunctuation))
	}
	for i, m := range inPunctuation {
		if m.OK {
			t.Errorf("punctuation %d: RecordMetadata() = %+v, true; want ok false", i, m.RecordMetadata)
		}
	}
}

// Records forwarded from a punctuation reach the sink, with the timestamp and headers the
// punctuator gives them.
func TestPunctuationForwardsToSink(t *testing.T) {
	h := processor.Headers{{Key: "from", Value: []byte("punctuator")}}
	d := newDriver(t, singleProcessor(t, strFns{init: func(ctx processor.Context[string, string]) error {
		if _, err := ctx.Schedule(10*time.Millisecond, processor.StreamTime, func(ts int64) error {
			return ctx.Forward(processor.NewRecord("stream", "at-"+strconv.FormatInt(ts, 10), ts).WithHeaders(h))
		}); err != nil {
			return err
		}
		_, err := ctx.Schedule(time.Second, processor.WallClockTime, func(ts int64) error {
			return ctx.Forward(processor.NewRecord("wall", "at-"+strconv.FormatInt(ts, 10), ts))
		})
		return err
	}}), testutil.WallClockStart(time.UnixMilli(0)))
	in := testutil.CreateInputTopic(d, sourceTopic1, serde.String, serde.String)
	ok(t, in.PipeInputWithTimestamp("k", "v", 42))
	ok(t, in.PipeInputWithTimestamp("k", "v", 45))
	ok(t, d.AdvanceWallClockTime(time.Second))
	type rec = testutil.TestRecord[string, string]
	testutil.AssertRecords(t, testutil.CreateOutputTopic(d, sinkTopic1, serde.String, serde.String),
		rec{Key: "stream", Value: "at-42", Timestamp: 42, Headers: h},
		rec{Key: "wall", Value: "at-1000", Timestamp: 1000},
	)
}

// A sink's TopicChooser gets the input record's metadata in Process and the zero metadata
// in a punctuation, as its doc says.
func TestTopicChooserMetadata(t *testing.T) {
	var mds []processor.RecordMetadata
	b := topology.NewBuilder()
	stringSource(b, "source", "in")
	topology.AddProcessor(b, "processor", strFns{
		init: func(ctx processor.Context[string, string]) error {
			_, err := ctx.Schedule(time.Millisecond, processor.StreamTime, func(ts int64) error {
				return ctx.Forward(processor.NewRecord("tick", "", ts))
			})
			return err
		},
		process: func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
			return ctx.Forward(r)
		},
	}.supplier(), "source")
	topology.AddSink(b, "sink", topology.Sink[string, string]{
		TopicChooser: func(key, _ string, md processor.RecordMetadata) string {
			mds = append(mds, md)
			return "out-" + key
		},
		Keys: serde.String, Values: serde.String,
	}, "processor")
	d := newDriver(t, build(t, b))
	ok(t, testutil.CreateInputTopic(d, "in", serde.String, serde.String).PipeInputWithTimestamp("a", "v", 5))
	diff(t, "metadata given to the chooser", []processor.RecordMetadata{{Topic: "in", Offset: 0}, {}}, mds)
	diff(t, "ProducedTopicNames", []string{"out-a", "out-tick"}, d.ProducedTopicNames())
}

// Schedule needs an interval of at least 1 ms, a punctuator and a known type.
func TestScheduleValidation(t *testing.T) {
	fn := func(int64) error { return nil }
	for _, tc := range []struct {
		name     string
		interval time.Duration
		typ      processor.PunctuationType
		fn       processor.Punctuator
		wantErr  string
	}{
		{"1ms stream time", time.Millisecond, processor.StreamTime, fn, ""},
		{"1ms wall clock", time.Millisecond, processor.WallClockTime, fn, ""},
		{"zero", 0, processor.StreamTime, fn, "less than 1ms"},
		{"999µs", 999 * time.Microsecond, processor.StreamTime, fn, "less than 1ms"},
		{"negative", -time.Millisecond, processor.WallClockTime, fn, "less than 1ms"},
		{"nil punctuator", time.Second, processor.StreamTime, nil, "nil punctuator"},
		{"unknown type", time.Second, processor.PunctuationType(7), fn, "unknown punctuation type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c processor.Cancellable
			var err error
			newDriver(t, singleProcessor(t, strFns{init: func(ctx processor.Context[string, string]) error {
				c, err = ctx.Schedule(tc.interval, tc.typ, tc.fn)
				return nil
			}}))
			if tc.wantErr == "" {
				if err != nil || c == nil {
					t.Errorf("Schedule: %v, %v; want a Cancellable", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Schedule: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
