package topology_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of the windowed aggregations over TimeWindows, transcribed from Kafka's
// KStreamWindowAggregateTest and TimeWindowedKStreamImplTest
// (org.apache.kafka.streams.kstream.internals), each parameterized as in Kafka by the emit
// strategy (on window update, on window close) and caching (on, off). Where Kafka's test
// captures the records with a mock processor, these write them to an output topic and read
// them back with their timestamps; windowed keys print as Kafka's Windowed.toString,
// "[key@start/end]".
//
// Kafka's TopologyTestDriver reads a wall clock that jumps at every read, so the throttle of
// EmitOnWindowClose (one range fetch per second of wall-clock time) never holds in its tests;
// SetWindowEmitInterval(w, 0) reproduces that here, and TestDSLWindowEmitWithLargeInterval
// moves Tributary's mock wall clock instead.

type windowCase struct {
	emit    topology.EmitStrategy
	caching bool
}

func (c windowCase) String() string {
	e := "update"
	if c.emit == topology.EmitOnWindowClose {
		e = "close"
	}
	return fmt.Sprintf("%s/caching=%v", e, c.caching)
}

// windowCases are Kafka's getEmitStrategy parameters.
var windowCases = []windowCase{
	{topology.EmitOnWindowUpdate, true}, {topology.EmitOnWindowUpdate, false},
	{topology.EmitOnWindowClose, true}, {topology.EmitOnWindowClose, false},
}

// wk prints a windowed key as Kafka's Windowed.toString.
func wk[K any](w serde.Windowed[K]) string { return fmt.Sprintf("[%v@%d/%d]", w.Key, w.Start, w.End) }

// readWindowed reads topic with windowed keys of size and returns the records with their
// keys printed by wk.
func readWindowed[V any](t *testing.T, d *testutil.TopologyTestDriver, topic string, size time.Duration, values serde.Deserializer[V]) []kvt[string, V] {
	t.Helper()
	var out []kvt[string, V]
	for _, r := range readAll(t, testutil.CreateOutputTopic(d, topic, serde.TimeWindowed(serde.String, size), values)) {
		out = append(out, kvt[string, V]{wk(r.Key), r.Value, r.Ts})
	}
	return out
}

func pipeAll(t *testing.T, in *testutil.TestInputTopic[string, string], recs ...kvt[string, string]) {
	t.Helper()
	for _, r := range recs {
		must(t, in.PipeInputWithTimestamp(r.Key, r.Value, r.Ts))
	}
}

// Kafka's MockInitializer.STRING_INIT and MockAggregator.TOSTRING_ADDER.
func stringInit() string                           { return "0" }
func toStringAdder(_ string, v, agg string) string { return agg + "+" + v }

// Kafka's MockAggregator.toStringInstance("+") with initializer "".
func emptyInit() string { return "" }

// windowedStrings is groupByKey(Grouped.with(String, String)).windowedBy(w).emitStrategy(e)
// on topic "topic", with the emit interval of Kafka's TopologyTestDriver tests.
func windowedStrings(sb *topology.StreamsBuilder, w topology.TimeWindows, e topology.EmitStrategy) *topology.TimeWindowedKStream[string, string] {
	ws := grouped(sb).WindowedBy(w).EmitStrategy(e)
	topology.SetWindowEmitInterval(ws, 0)
	return ws
}

// KStreamWindowAggregateTest.testAggBasic: hopping windows of 10 ms advancing by 5 ms, grace
// 100 ms; out-of-order records update their windows with the larger timestamp. On window
// close nothing is emitted: no window closes within the grace period.
func TestDSLWindowAggBasic(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			w := windowedStrings(sb, topology.TimeWindowsOfSizeAndGrace(10*time.Millisecond, 100*time.Millisecond).AdvanceBy(5*time.Millisecond), c.emit)
			topology.AggregateWindowed(w, stringInit, toStringAdder,
				topology.Materialized[string, string]{Name: "topic1-Canonized", Values: serde.String, CachingDisabled: !c.caching}).ToStream().To("out")
			d := newDriver(t, sb)
			pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String),
				kvt[string, string]{"A", "1", 0}, kvt[string, string]{"B", "2", 1}, kvt[string, string]{"C", "3", 2}, kvt[string, string]{"D", "4", 3}, kvt[string, string]{"A", "1", 4},
				kvt[string, string]{"A", "1", 5}, kvt[string, string]{"B", "2", 6}, kvt[string, string]{"D", "4", 7}, kvt[string, string]{"B", "2", 8}, kvt[string, string]{"C", "3", 9},
				kvt[string, string]{"A", "1", 10}, kvt[string, string]{"B", "2", 11}, kvt[string, string]{"D", "4", 12}, kvt[string, string]{"B", "2", 13}, kvt[string, string]{"C", "3", 14},
				kvt[string, string]{"B", "1", 3}, kvt[string, string]{"B", "2", 2}, kvt[string, string]{"B", "3", 9})
			got := readWindowed(t, d, "out", 10*time.Millisecond, serde.String)
			if c.emit == topology.EmitOnWindowClose {
				check(t, got, nil)
				return
			}
			check(t, got, []kvt[string, string]{
				{"[A@0/10]", "0+1", 0}, {"[B@0/10]", "0+2", 1}, {"[C@0/10]", "0+3", 2}, {"[D@0/10]", "0+4", 3}, {"[A@0/10]", "0+1+1", 4},
				{"[A@0/10]", "0+1+1+1", 5}, {"[A@5/15]", "0+1", 5}, {"[B@0/10]", "0+2+2", 6}, {"[B@5/15]", "0+2", 6},
				{"[D@0/10]", "0+4+4", 7}, {"[D@5/15]", "0+4", 7}, {"[B@0/10]", "0+2+2+2", 8}, {"[B@5/15]", "0+2+2", 8},
				{"[C@0/10]", "0+3+3", 9}, {"[C@5/15]", "0+3", 9}, {"[A@5/15]", "0+1+1", 10}, {"[A@10/20]", "0+1", 10},
				{"[B@5/15]", "0+2+2+2", 11}, {"[B@10/20]", "0+2", 11}, {"[D@5/15]", "0+4+4", 12}, {"[D@10/20]", "0+4", 12},
				{"[B@5/15]", "0+2+2+2+2", 13}, {"[B@10/20]", "0+2+2", 13}, {"[C@5/15]", "0+3+3", 14}, {"[C@10/20]", "0+3", 14},
				{"[B@0/10]", "0+2+2+2+1", 8}, {"[B@0/10]", "0+2+2+2+1+2", 8}, {"[B@0/10]", "0+2+2+2+1+2+3", 9}, {"[B@5/15]", "0+2+2+2+2+3", 13},
			})
		})
	}
}

// KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingNullKey: a record without a key is
// skipped and counted in dropped-records.
func TestDSLWindowSkipsNullKey(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			w := windowedStrings(sb, topology.TimeWindowsOfSizeWithNoGrace(10*time.Millisecond).AdvanceBy(5*time.Millisecond), c.emit)
			topology.AggregateWindowed(w, stringInit, toStringAdder,
				topology.Materialized[string, string]{Name: "topic1-Canonicalized", Values: serde.String, CachingDisabled: !c.caching}).ToStream().To("out")
			d := newDriver(t, sb)
			must(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String).PipeValue("1"))
			if n := d.DroppedRecords(); n != 1 {
				t.Errorf("DroppedRecords() = %d, want 1", n)
			}
			check(t, readWindowed(t, d, "out", 10*time.Millisecond, serde.String), nil)
		})
	}
}

// KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindow: windows of 10 ms
// advancing by 5 ms, grace 90 ms, retention 100 ms; at stream time 100 the records at 0..6
// are late for every window ([0,10) closes at 10 = stream time − grace), 7 dropped records.
// On window close, [5,15) is emitted when stream time reaches 105 (close time 15).
func TestDSLWindowSkipsExpiredWindow(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			w := windowedStrings(sb, topology.TimeWindowsOfSizeAndGrace(10*time.Millisecond, 90*time.Millisecond).AdvanceBy(5*time.Millisecond), c.emit)
			table := topology.AggregateWindowed(w, emptyInit, toStringAdder,
				topology.Materialized[string, string]{Name: "topic1-Canonicalized", Values: serde.String, CachingDisabled: !c.caching,
					LoggingDisabled: true, Retention: 100 * time.Millisecond})
			topology.Map(table.ToStream(), func(k serde.Windowed[string], v string) topology.KeyValue[string, string] {
				return topology.Pair(wk(k), v)
			}).To("output", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
			d := newDriver(t, sb)
			pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String),
				kvt[string, string]{"k", "100", 100}, kvt[string, string]{"k", "0", 0}, kvt[string, string]{"k", "1", 1}, kvt[string, string]{"k", "2", 2},
				kvt[string, string]{"k", "3", 3}, kvt[string, string]{"k", "4", 4}, kvt[string, string]{"k", "5", 5}, kvt[string, string]{"k", "6", 6},
				kvt[string, string]{"k", "105", 105}, kvt[string, string]{"k", "106", 106})
			if n := d.DroppedRecords(); n != 7 {
				t.Errorf("DroppedRecords() = %d, want 7", n)
			}
			got := readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.String))
			if c.emit == topology.EmitOnWindowClose {
				check(t, got, []kvt[string, string]{{"[k@5/15]", "+5+6", 6}})
				return
			}
			check(t, got, []kvt[string, string]{
				{"[k@95/105]", "+100", 100}, {"[k@100/110]", "+100", 100}, {"[k@5/15]", "+5", 5}, {"[k@5/15]", "+5+6", 6},
				{"[k@100/110]", "+100+105", 105}, {"[k@105/115]", "+105", 105}, {"[k@100/110]", "+100+105+106", 106}, {"[k@105/115]", "+105+106", 106},
			})
		})
	}
}

// KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindowByGrace: tumbling
// windows of 10 ms, grace 90 ms; at stream time 200 the window [100,110) is closed (110 <=
// 200 − 90), so the 7 records after the first are dropped.
func TestDSLWindowSkipsExpiredWindowByGrace(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			w := windowedStrings(sb, topology.TimeWindowsOfSizeAndGrace(10*time.Millisecond, 90*time.Millisecond).AdvanceBy(10*time.Millisecond), c.emit)
			table := topology.AggregateWindowed(w, emptyInit, toStringAdder,
				topology.Materialized[string, string]{Name: "topic1-Canonicalized", Values: serde.String, CachingDisabled: !c.caching, LoggingDisabled: true})
			topology.Map(table.ToStream(), func(k serde.Windowed[string], v string) topology.KeyValue[string, string] {
				return topology.Pair(wk(k), v)
			}).To("output", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
			d := newDriver(t, sb)
			pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String),
				kvt[string, string]{"k", "100", 200}, kvt[string, string]{"k", "0", 100}, kvt[string, string]{"k", "1", 101}, kvt[string, string]{"k", "2", 102},
				kvt[string, string]{"k", "3", 103}, kvt[string, string]{"k", "4", 104}, kvt[string, string]{"k", "5", 105}, kvt[string, string]{"k", "6", 6})
			if n := d.DroppedRecords(); n != 7 {
				t.Errorf("DroppedRecords() = %d, want 7", n)
			}
			got := readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.String))
			if c.emit == topology.EmitOnWindowClose {
				check(t, got, nil) // Kafka's test does not check; nothing closes after 200
				return
			}
			check(t, got, []kvt[string, string]{{"[k@200/210]", "+100", 200}})
		})
	}
}

// emitProgram is the processor of KStreamWindowAggregateTest's emit tests (windows of 10 ms
// advancing by 5 ms, grace 5 ms, STRING_INIT and TOSTRING_ADDER) in a topology, with the
// given emit interval and the test's store (retention one day, logging off); it returns
// the driver and the input topic.
func emitProgram(t *testing.T, c windowCase, intervalMs int64) (*testutil.TopologyTestDriver, *testutil.TestInputTopic[string, string]) {
	sb := topology.NewStreamsBuilder()
	w := grouped(sb).WindowedBy(topology.TimeWindowsOfSizeAndGrace(10*time.Millisecond, 5*time.Millisecond).AdvanceBy(5 * time.Millisecond)).EmitStrategy(c.emit)
	topology.SetWindowEmitInterval(w, intervalMs)
	topology.AggregateWindowed(w, stringInit, toStringAdder,
		topology.Materialized[string, string]{Name: "dummy-store-name", Values: serde.String, CachingDisabled: !c.caching,
			LoggingDisabled: true, Retention: 24 * time.Hour}).ToStream().To("out")
	d := newDriver(t, sb)
	return d, testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
}

// KStreamWindowAggregateTest.shouldNotEmitFinalIfNotProgressEnough: on window close, a record
// that does not advance the close time past a new window's end emits nothing.
func TestDSLWindowNotEmitFinalIfNotProgressEnough(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			d, in := emitProgram(t, c, 0)
			out := func() []kvt[string, string] { return readWindowed(t, d, "out", 10*time.Millisecond, serde.String) }
			final := c.emit == topology.EmitOnWindowClose
			pipeAll(t, in, kvt[string, string]{"A", "1", 0}, kvt[string, string]{"B", "2", 5}, kvt[string, string]{"C", "3", 15})
			if final {
				check(t, out(), []kvt[string, string]{{"[A@0/10]", "0+1", 0}, {"[B@0/10]", "0+2", 5}})
			} else {
				check(t, out(), []kvt[string, string]{{"[A@0/10]", "0+1", 0}, {"[B@0/10]", "0+2", 5}, {"[B@5/15]", "0+2", 5}, {"[C@10/20]", "0+3", 15}, {"[C@15/25]", "0+3", 15}})
			}
			pipeAll(t, in, kvt[string, string]{"D", "4", 15})
			if final {
				check(t, out(), nil) // stream time does not progress
			} else {
				check(t, out(), []kvt[string, string]{{"[D@10/20]", "0+4", 15}, {"[D@15/25]", "0+4", 15}})
			}
			pipeAll(t, in, kvt[string, string]{"E", "5", 19})
			if final {
				check(t, out(), nil) // not enough to close a new window
			} else {
				check(t, out(), []kvt[string, string]{{"[E@10/20]", "0+5", 19}, {"[E@15/25]", "0+5", 19}})
			}
		})
	}
}

// KStreamWindowAggregateTest.shouldEmitWithInterval0.
func TestDSLWindowEmitWithInterval0(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			d, in := emitProgram(t, c, 0)
			pipeAll(t, in, kvt[string, string]{"A", "1", 0}, kvt[string, string]{"A", "1", 5}, kvt[string, string]{"B", "2", 10}, kvt[string, string]{"C", "3", 15}, kvt[string, string]{"D", "4", 20})
			got := readWindowed(t, d, "out", 10*time.Millisecond, serde.String)
			if c.emit == topology.EmitOnWindowClose {
				check(t, got, []kvt[string, string]{{"[A@0/10]", "0+1+1", 5}, {"[A@5/15]", "0+1", 5}, {"[B@5/15]", "0+2", 10}})
				return
			}
			check(t, got, []kvt[string, string]{
				{"[A@0/10]", "0+1", 0}, {"[A@0/10]", "0+1+1", 5}, {"[A@5/15]", "0+1", 5}, {"[B@5/15]", "0+2", 10}, {"[B@10/20]", "0+2", 10},
				{"[C@10/20]", "0+3", 15}, {"[C@15/25]", "0+3", 15}, {"[D@15/25]", "0+4", 20}, {"[D@20/30]", "0+4", 20},
			})
		})
	}
}

// KStreamWindowAggregateTest.shouldEmitWithLargeInterval: with the default emit interval of
// one second, closed windows are emitted only once the wall clock has moved on.
func TestDSLWindowEmitWithLargeInterval(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			d, in := emitProgram(t, c, 1000)
			out := func() []kvt[string, string] { return readWindowed(t, d, "out", 10*time.Millisecond, serde.String) }
			final := c.emit == topology.EmitOnWindowClose
			pipeAll(t, in, kvt[string, string]{"A", "1", 0}, kvt[string, string]{"A", "1", 5}, kvt[string, string]{"B", "2", 10}, kvt[string, string]{"C", "3", 15})
			if final {
				check(t, out(), nil)
			} else {
				check(t, out(), []kvt[string, string]{{"[A@0/10]", "0+1", 0}, {"[A@0/10]", "0+1+1", 5}, {"[A@5/15]", "0+1", 5},
					{"[B@5/15]", "0+2", 10}, {"[B@10/20]", "0+2", 10}, {"[C@10/20]", "0+3", 15}, {"[C@15/25]", "0+3", 15}})
			}
			must(t, d.AdvanceWallClockTime(10*time.Second)) // Kafka: setSystemTimeMs(10000)
			pipeAll(t, in, kvt[string, string]{"D", "4", 20})
			if final {
				check(t, out(), []kvt[string, string]{{"[A@0/10]", "0+1+1", 5}, {"[A@5/15]", "0+1", 5}, {"[B@5/15]", "0+2", 10}})
			} else {
				check(t, out(), []kvt[string, string]{{"[D@15/25]", "0+4", 20}, {"[D@20/30]", "0+4", 20}})
			}
			must(t, d.AdvanceWallClockTime(100*time.Millisecond)) // Kafka: setSystemTimeMs(10100)
			pipeAll(t, in, kvt[string, string]{"E", "5", 40})
			if final {
				check(t, out(), nil)
			} else {
				check(t, out(), []kvt[string, string]{{"[E@35/45]", "0+5", 40}, {"[E@40/50]", "0+5", 40}})
			}
		})
	}
}

// TimeWindowedKStreamImplTest's processData, on tumbling windows of 500 ms without grace.
func timeWindowedData(t *testing.T, d *testutil.TopologyTestDriver) {
	pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String),
		kvt[string, string]{"1", "1", 10}, kvt[string, string]{"1", "2", 15}, kvt[string, string]{"1", "3", 500},
		kvt[string, string]{"2", "10", 550}, kvt[string, string]{"2", "20", 500}, kvt[string, string]{"2", "30", 1000})
}

func timeWindowed500(sb *topology.StreamsBuilder, e topology.EmitStrategy) *topology.TimeWindowedKStream[string, string] {
	return windowedStrings(sb, topology.TimeWindowsOfSizeWithNoGrace(500*time.Millisecond), e)
}

// TimeWindowedKStreamImplTest.shouldCountWindowed, shouldReduceWindowed and
// shouldAggregateWindowed.
func TestDSLWindowedCountReduceAggregate(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			final := c.emit == topology.EmitOnWindowClose
			// count(): Kafka's default Materialized (caching on) whatever the parameter.
			sb := topology.NewStreamsBuilder()
			topology.CountWindowed(timeWindowed500(sb, c.emit), topology.Materialized[string, int64]{}).ToStream().To("out")
			d := newDriver(t, sb)
			timeWindowedData(t, d)
			got := readWindowed(t, d, "out", 500*time.Millisecond, serde.Int64)
			if final {
				check(t, got, []kvt[string, int64]{{"[1@0/500]", 2, 15}, {"[1@500/1000]", 1, 500}, {"[2@500/1000]", 2, 550}})
			} else {
				check(t, got, []kvt[string, int64]{{"[1@0/500]", 1, 10}, {"[1@0/500]", 2, 15}, {"[1@500/1000]", 1, 500},
					{"[2@500/1000]", 1, 550}, {"[2@500/1000]", 2, 550}, {"[2@1000/1500]", 1, 1000}})
			}

			sb = topology.NewStreamsBuilder()
			topology.ReduceWindowed(timeWindowed500(sb, c.emit), func(agg, v string) string { return agg + "+" + v }, topology.Materialized[string, string]{}).ToStream().To("out")
			d = newDriver(t, sb)
			timeWindowedData(t, d)
			gotS := readWindowed(t, d, "out", 500*time.Millisecond, serde.String)
			if final {
				check(t, gotS, []kvt[string, string]{{"[1@0/500]", "1+2", 15}, {"[1@500/1000]", "3", 500}, {"[2@500/1000]", "10+20", 550}})
			} else {
				check(t, gotS, []kvt[string, string]{{"[1@0/500]", "1", 10}, {"[1@0/500]", "1+2", 15}, {"[1@500/1000]", "3", 500},
					{"[2@500/1000]", "10", 550}, {"[2@500/1000]", "10+20", 550}, {"[2@1000/1500]", "30", 1000}})
			}

			sb = topology.NewStreamsBuilder()
			topology.AggregateWindowed(timeWindowed500(sb, c.emit), stringInit, toStringAdder,
				topology.Materialized[string, string]{Keys: serde.String, Values: serde.String, CachingDisabled: !c.caching}).ToStream().To("out")
			d = newDriver(t, sb)
			timeWindowedData(t, d)
			gotS = readWindowed(t, d, "out", 500*time.Millisecond, serde.String)
			if final {
				check(t, gotS, []kvt[string, string]{{"[1@0/500]", "0+1+2", 15}, {"[1@500/1000]", "0+3", 500}, {"[2@500/1000]", "0+10+20", 550}})
			} else {
				check(t, gotS, []kvt[string, string]{{"[1@0/500]", "0+1", 10}, {"[1@0/500]", "0+1+2", 15}, {"[1@500/1000]", "0+3", 500},
					{"[2@500/1000]", "0+10", 550}, {"[2@500/1000]", "0+10+20", 550}, {"[2@1000/1500]", "0+30", 1000}})
			}
		})
	}
}

// windowStoreContents returns the windows of keys "1" to "2" starting in [0, 1000] in the
// store, printed as "[key@start/end]=value@timestamp".
func windowStoreContents[V any](t *testing.T, d *testutil.TopologyTestDriver, name string) string {
	t.Helper()
	st, err := testutil.WindowStore[string, topology.ValueAndTimestamp[V]](d, name)
	must(t, err)
	from, to := "1", "2"
	cur, err := st.FetchKeyRange(&from, &to, 0, 1000)
	must(t, err)
	var parts []string
	for cur.Next() {
		parts = append(parts, fmt.Sprintf("%s=%v@%d", wk(cur.Key()), cur.Value().Value, cur.Value().Timestamp))
	}
	must(t, cur.Close())
	return strings.Join(parts, " ")
}

// TimeWindowedKStreamImplTest.shouldMaterializeCount, shouldMaterializeReduced and
// shouldMaterializeAggregated: the store is queryable under its name, its windows hold the
// aggregate and the largest timestamp (Kafka's getTimestampedWindowStore). Without a cache,
// reads return the windows retention keeps: retention is size + grace = 500 ms, and at stream
// time 1000 (the largest window start) only [1000,1500) is live; on window close the store is
// Kafka's time-ordered one, which keeps the windows starting at stream time − retention too.
// Kafka's cache returns expired windows as well, until it evicts them; Tributary's record
// cache, flushed after every record by the driver, applies the retention of the store (a
// difference of cache implementations, not of the aggregation).
func TestDSLWindowedMaterialize(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			final := c.emit == topology.EmitOnWindowClose
			live := "[2@1000/1500]=%s@1000"
			if final {
				live = "[1@500/1000]=%s@500 [2@500/1000]=%s@550 [2@1000/1500]=%s@1000"
			}
			sb := topology.NewStreamsBuilder()
			topology.CountWindowed(timeWindowed500(sb, c.emit), topology.Materialized[string, int64]{Name: "count-store", Keys: serde.String, Values: serde.Int64, CachingDisabled: !c.caching})
			d := newDriver(t, sb)
			timeWindowedData(t, d)
			want := fmt.Sprintf(live, "1")
			if final {
				want = fmt.Sprintf(live, "1", "2", "1")
			}
			if got := windowStoreContents[int64](t, d, "count-store"); got != want {
				t.Errorf("count-store: got %s, want %s", got, want)
			}
			st, err := testutil.WindowStore[string, topology.ValueAndTimestamp[int64]](d, "count-store")
			must(t, err)
			if _, ok := kv.Find[*changelog.CachedEngine](st.Engine()); ok != c.caching {
				t.Errorf("store has a record cache: %v, want %v", ok, c.caching)
			}

			// shouldMaterializeReduced has no emit strategy: on window update.
			sb = topology.NewStreamsBuilder()
			topology.ReduceWindowed(timeWindowed500(sb, topology.EmitOnWindowUpdate), func(agg, v string) string { return agg + "+" + v },
				topology.Materialized[string, string]{Name: "reduced", Keys: serde.String, Values: serde.String, CachingDisabled: !c.caching})
			d = newDriver(t, sb)
			timeWindowedData(t, d)
			if got, want := windowStoreContents[string](t, d, "reduced"), "[2@1000/1500]=30@1000"; got != want {
				t.Errorf("reduced: got %s, want %s", got, want)
			}

			sb = topology.NewStreamsBuilder()
			topology.AggregateWindowed(timeWindowed500(sb, topology.EmitOnWindowUpdate), stringInit, toStringAdder,
				topology.Materialized[string, string]{Name: "aggregated", Keys: serde.String, Values: serde.String, CachingDisabled: !c.caching})
			d = newDriver(t, sb)
			timeWindowedData(t, d)
			if got, want := windowStoreContents[string](t, d, "aggregated"), "[2@1000/1500]=0+30@1000"; got != want {
				t.Errorf("aggregated: got %s, want %s", got, want)
			}
		})
	}
}

// Kafka's TimeWindows constructors reject a non-positive size, an advance that is not in
// (0, size] and a negative grace (TimeWindowsTest); the window store's retention must cover
// size + grace (TimeWindowedKStreamImplTest / WindowStoreMaterializer). Tributary reports
// them from Build.
func TestDSLWindowedBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    topology.TimeWindows
		m    topology.Materialized[string, int64]
		want string
	}{
		{"zero size", topology.TimeWindowsOfSizeWithNoGrace(0), topology.Materialized[string, int64]{}, "window size must be at least 1ms"},
		{"advance zero", topology.TimeWindowsOfSizeWithNoGrace(time.Second).AdvanceBy(0), topology.Materialized[string, int64]{}, "window advance must be more than zero"},
		{"advance too large", topology.TimeWindowsOfSizeWithNoGrace(time.Second).AdvanceBy(2 * time.Second), topology.Materialized[string, int64]{}, "no more than the window size 1000ms"},
		{"negative grace", topology.TimeWindowsOfSizeAndGrace(time.Second, -time.Second), topology.Materialized[string, int64]{}, "grace period must not be negative"},
		{"retention", topology.TimeWindowsOfSizeAndGrace(time.Second, time.Second), topology.Materialized[string, int64]{Retention: time.Second},
			"must be no smaller than its window size plus the grace period: got size=[1000], grace=[1000], retention=[1000]"},
		{"lru", topology.TimeWindowsOfSizeWithNoGrace(time.Second), topology.Materialized[string, int64]{StoreType: topology.StoreLRU}, "not available for window stores"},
	} {
		sb := topology.NewStreamsBuilder()
		topology.CountWindowed(grouped(sb).WindowedBy(tc.w), tc.m)
		_, err := sb.Build()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Build() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TimeWindows.windowsFor (TimeWindowsTest.shouldComputeWindowsForHoppingWindows,
// ...ForBarelyOverlappingHoppingWindows and ...ForTumblingWindows): the windows of a timestamp, epoch-aligned.
func TestDSLTimeWindowsWindowStarts(t *testing.T) {
	hopping := topology.TimeWindowsOfSizeWithNoGrace(12 * time.Millisecond).AdvanceBy(5 * time.Millisecond)
	check(t, hopping.WindowStarts(21), []int64{10, 15, 20})
	tumbling := topology.TimeWindowsOfSizeWithNoGrace(12 * time.Millisecond)
	check(t, tumbling.WindowStarts(21), []int64{12})
	check(t, hopping.WindowStarts(3), []int64{0})
	barely := topology.TimeWindowsOfSizeWithNoGrace(6 * time.Millisecond).AdvanceBy(5 * time.Millisecond)
	check(t, barely.WindowStarts(7), []int64{5})
}

// KGroupedStreamImplTest.shouldCountWindowed and shouldCountWindowedWithInternalStoreName:
// tumbling windows of 500 ms, grace 100 ms.
func TestDSLWindowedCountGrace(t *testing.T) {
	for _, name := range []string{"aggregate-by-key-windowed", ""} {
		for _, caching := range []bool{true, false} {
			sb := topology.NewStreamsBuilder()
			w := grouped(sb).WindowedBy(topology.TimeWindowsOfSizeAndGrace(500*time.Millisecond, 100*time.Millisecond))
			topology.CountWindowed(w, topology.Materialized[string, int64]{Name: name, CachingDisabled: !caching}).ToStream().To("out")
			d := newDriver(t, sb)
			pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String), []kvt[string, string]{{"1", "A", 0}, {"1", "A", 499}, {"1", "A", 100}, {"2", "B", 0}, {"2", "B", 100}, {"2", "B", 200}, {"3", "C", 1}, {"1", "A", 500}, {"1", "A", 500}, {"2", "B", 500}, {"2", "B", 500}, {"3", "B", 100}}...)
			var got []string
			for _, r := range readWindowed(t, d, "out", 500*time.Millisecond, serde.Int64) {
				got = append(got, fmt.Sprintf("%s %d@%d", r.Key, r.Value, r.Ts))
			}
			if want := []string{"[1@0/500] 1@0", "[1@0/500] 2@499", "[1@0/500] 3@499", "[2@0/500] 1@0", "[2@0/500] 2@100", "[2@0/500] 3@200", "[3@0/500] 1@1", "[1@500/1000] 1@500", "[1@500/1000] 2@500", "[2@500/1000] 1@500", "[2@500/1000] 2@500", "[3@0/500] 2@100"}; !slices.Equal(got, want) {
				t.Errorf("store %q, caching %v:\ngot  %q\nwant %q", name, caching, got, want)
			}
		}
	}
}

// Kafka's KStreamWindowAggregate skips records with a null key only: a record without a
// value is aggregated, the functions getting V's zero value (Kafka passes null), so Count
// counts it. (Sliding windows skip it: TestDSLSlidingSkipsNullKeyOrValue.)
func TestDSLWindowCountsTombstones(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.CountWindowed(grouped(sb).WindowedBy(topology.TimeWindowsOfSizeWithNoGrace(10*time.Millisecond)),
		topology.Materialized[string, int64]{StoreType: topology.StoreInMemory}).ToStream().To("out")
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
	must(t, in.PipeInputWithTimestamp("k", "v", 1))
	must(t, in.PipeRecord(testutil.TestRecord[string, string]{Key: "k", Tombstone: true, Timestamp: 2}))
	check(t, readWindowed(t, d, "out", 10*time.Millisecond, serde.Int64), []kvt[string, int64]{{"[k@0/10]", 1, 1}, {"[k@0/10]", 2, 2}})
	if n := d.DroppedRecords(); n != 0 {
		t.Errorf("DroppedRecords() = %d, want 0", n)
	}
}
