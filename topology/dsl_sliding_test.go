package topology_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of the windowed aggregations over SlidingWindows, transcribed from Kafka's
// KStreamSlidingWindowAggregateTest (org.apache.kafka.streams.kstream.internals): each case
// is run with the emit strategy on window update and on window close, caching on and off
// (Kafka also varies the store's iteration order, forward or reverse; Tributary's stores all
// iterate both ways and the aggregation uses the reverse one, as Kafka does when it can).
//
// Kafka's tests use, on window update, an in-memory store from a supplier ("Reverse",
// window size 10 ms, retention 50 s or 500 ms) where the case says supplier, else a store
// named "topic-Canonized"; on window close a RocksDB store "store-name" with the default
// retention. Their outputs are compared as Kafka compares them: either a map from window
// start to the set of (value, timestamp) forwarded for it (gatherOutput), printed
// "start:value@timestamp", or the records sorted by key and window start, printed
// "[key@start/end] value@timestamp".

type slidingCase struct {
	name                       string
	d, graceUpdate, graceClose int64
	reduce, supplier, sorted   bool
	supplierRetention          int64
	input                      []kvt[string, string]
	update, close              []string
}

// gatherOutput is Kafka's gatherOutput: window start → set of value@timestamp, in order.
func gatherOutput(recs []kvt[serde.Windowed[string], string]) []string {
	sets := map[int64][]string{}
	for _, r := range recs {
		v := fmt.Sprintf("%s@%d", r.Value, r.Ts)
		if !slices.Contains(sets[r.Key.Start], v) {
			sets[r.Key.Start] = append(sets[r.Key.Start], v)
		}
	}
	var out []string
	for _, start := range slices.Sorted(func(yield func(int64) bool) {
		for s := range sets {
			if !yield(s) {
				return
			}
		}
	}) {
		vs := sets[start]
		slices.Sort(vs)
		for _, v := range vs {
			out = append(out, fmt.Sprintf("%d:%s", start, v))
		}
	}
	return out
}

// sortedOutput is Kafka's actual.sort(comparator): by key, then window start (stable).
func sortedOutput(recs []kvt[serde.Windowed[string], string]) []string {
	slices.SortStableFunc(recs, func(a, b kvt[serde.Windowed[string], string]) int {
		if c := strings.Compare(a.Key.Key, b.Key.Key); c != 0 {
			return c
		}
		return int(a.Key.Start - b.Key.Start)
	})
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%s %s@%d", wk(r.Key), r.Value, r.Ts))
	}
	return out
}

func TestDSLSlidingWindowConformance(t *testing.T) {
	for _, sc := range slidingCases {
		for _, c := range windowCases {
			t.Run(sc.name+"/"+c.String(), func(t *testing.T) {
				final := c.emit == topology.EmitOnWindowClose
				grace, want := sc.graceUpdate, sc.update
				if final {
					grace, want = sc.graceClose, sc.close
				}
				d := time.Duration(sc.d) * time.Millisecond
				sb := topology.NewStreamsBuilder()
				w := grouped(sb).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(d, time.Duration(grace)*time.Millisecond)).EmitStrategy(c.emit)
				topology.SetWindowEmitInterval(w, 0)
				m := topology.Materialized[string, string]{Name: "topic-Canonized", Values: serde.String, CachingDisabled: !c.caching}
				switch {
				case final && sc.supplier:
					m.Name = "store-name"
				case sc.supplier:
					sup, err := window.InMemorySupplier("Reverse", window.Options{WindowSize: d, Retention: time.Duration(sc.supplierRetention) * time.Millisecond})
					must(t, err)
					m.Name, m.WindowSupplier = "", sup
				}
				var table *topology.KTable[serde.Windowed[string], string]
				if sc.reduce {
					table = topology.ReduceWindowed(w, func(agg, v string) string { return agg + "+" + v }, m)
				} else {
					table = topology.AggregateWindowed(w, stringInit, toStringAdder, m)
				}
				table.ToStream().To("out")
				drv := newDriver(t, sb)
				pipeAll(t, testutil.CreateInputTopic(drv, "topic", serde.String, serde.String), sc.input...)
				recs := readAll(t, testutil.CreateOutputTopic(drv, "out", serde.TimeWindowed(serde.String, d), serde.String))
				var got []string
				if sc.sorted {
					got = sortedOutput(recs)
				} else {
					got = gatherOutput(recs)
				}
				if !slices.Equal(got, want) {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			})
		}
	}
}

// KStreamSlidingWindowAggregateTest.shouldLogAndMeterWhenSkippingNullKey, and a record
// without a value: both skipped and counted in dropped-records ("Skipping record due to null
// key or value").
func TestDSLSlidingSkipsNullKeyOrValue(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			w := grouped(sb).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(10*time.Millisecond, 100*time.Millisecond)).EmitStrategy(c.emit)
			topology.AggregateWindowed(w, stringInit, toStringAdder,
				topology.Materialized[string, string]{Name: "topic1-Canonized", Values: serde.String, CachingDisabled: !c.caching}).ToStream().To("out")
			d := newDriver(t, sb)
			in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
			must(t, in.PipeValue("1"))
			must(t, in.PipeTombstone("k"))
			if n := d.DroppedRecords(); n != 2 {
				t.Errorf("DroppedRecords() = %d, want 2", n)
			}
			check(t, readWindowed(t, d, "out", 10*time.Millisecond, serde.String), nil)
		})
	}
}

// KStreamSlidingWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindowByGrace: time
// difference 10 ms, grace 90 ms; at stream time 200 the left windows of the records at
// 100..105 and 15 are closed (close time 110): 7 dropped records.
func TestDSLSlidingSkipsExpiredWindowByGrace(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.String(), func(t *testing.T) {
			final := c.emit == topology.EmitOnWindowClose
			sb := topology.NewStreamsBuilder()
			w := grouped(sb).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(10*time.Millisecond, 90*time.Millisecond)).EmitStrategy(c.emit)
			topology.SetWindowEmitInterval(w, 0)
			m := topology.Materialized[string, string]{Name: "store-name", Values: serde.String, CachingDisabled: !c.caching}
			if !final {
				sup, err := window.InMemorySupplier("Reverse", window.Options{WindowSize: 10 * time.Millisecond, Retention: 50 * time.Second})
				must(t, err)
				m.Name, m.WindowSupplier = "", sup
			}
			topology.AggregateWindowed(w, stringInit, toStringAdder, m).ToStream().To("output")
			d := newDriver(t, sb)
			pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String),
				kvt[string, string]{"k", "100", 200}, kvt[string, string]{"k", "0", 100}, kvt[string, string]{"k", "1", 101}, kvt[string, string]{"k", "2", 102},
				kvt[string, string]{"k", "3", 103}, kvt[string, string]{"k", "4", 104}, kvt[string, string]{"k", "5", 105}, kvt[string, string]{"k", "6", 15},
				kvt[string, string]{"k", "101", 300}, kvt[string, string]{"k", "102", 400})
			if n := d.DroppedRecords(); n != 7 {
				t.Errorf("DroppedRecords() = %d, want 7", n)
			}
			got := readWindowed(t, d, "output", 10*time.Millisecond, serde.String)
			if final {
				check(t, got, []kvt[string, string]{{"[k@190/200]", "0+100", 200}, {"[k@290/300]", "0+101", 300}})
				return
			}
			check(t, got, []kvt[string, string]{{"[k@190/200]", "0+100", 200}, {"[k@290/300]", "0+101", 300}, {"[k@390/400]", "0+102", 400}})
		})
	}
}

// SlidingWindowsTest: a negative time difference or grace is rejected (Kafka throws from the
// constructor; Tributary reports it from Build), and so is a zero time difference (Kafka
// accepts it; the window store needs a positive size). SlidingWindowStoreMaterializer: the
// retention must cover 2 × time difference + grace.
func TestDSLSlidingBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    topology.SlidingWindows
		m    topology.Materialized[string, int64]
		want string
	}{
		{"negative difference", topology.SlidingWindowsOfTimeDifferenceWithNoGrace(-time.Second), topology.Materialized[string, int64]{}, "time difference must not be negative"},
		{"negative grace", topology.SlidingWindowsOfTimeDifferenceAndGrace(time.Second, -time.Second), topology.Materialized[string, int64]{}, "grace period must not be negative"},
		{"zero difference", topology.SlidingWindowsOfTimeDifferenceWithNoGrace(0), topology.Materialized[string, int64]{}, "time difference of at least 1ms"},
		{"retention", topology.SlidingWindowsOfTimeDifferenceAndGrace(time.Second, time.Second), topology.Materialized[string, int64]{Retention: 2 * time.Second},
			"must be no smaller than 2 * time difference plus the grace period: got size=[1000], grace=[1000], retention=[2000]"},
	} {
		sb := topology.NewStreamsBuilder()
		topology.CountWindowed(grouped(sb).WindowedBySliding(tc.w), tc.m)
		_, err := sb.Build()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Build() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

var slidingCases = []slidingCase{
	// KStreamSlidingWindowAggregateTest.testAggregateSmallInput
	{name: "testAggregateSmallInput", d: 10, graceUpdate: 5, graceClose: 5, reduce: false, supplier: true, sorted: false, supplierRetention: 50000,
		input:  []kvt[string, string]{{"A", "1", 10}, {"A", "2", 10}, {"A", "3", 14}, {"A", "4", 15}, {"A", "5", 20}, {"A", "6", 22}, {"A", "7", 30}},
		update: []string{"0:0+1+2@10", "0:0+1@10", "4:0+1+2+3@14", "5:0+1+2+3+4@15", "10:0+1+2+3+4+5@20", "11:0+3+4+5@20", "11:0+3+4@15", "11:0+3@14", "12:0+3+4+5+6@22", "15:0+4+5+6@22", "15:0+4+5@20", "15:0+4@15", "16:0+5+6@22", "16:0+5@20", "20:0+5+6+7@30", "21:0+6+7@30", "21:0+6@22", "23:0+7@30"},
		close:  []string{"0:0+1+2@10", "4:0+1+2+3@14", "5:0+1+2+3+4@15", "10:0+1+2+3+4+5@20", "11:0+3+4+5@20", "12:0+3+4+5+6@22"}},
	// KStreamSlidingWindowAggregateTest.testReduceSmallInput
	{name: "testReduceSmallInput", d: 10, graceUpdate: 5, graceClose: 5, reduce: true, supplier: true, sorted: false, supplierRetention: 50000,
		input:  []kvt[string, string]{{"A", "1", 10}, {"A", "2", 14}, {"A", "3", 15}, {"A", "4", 22}, {"A", "5", 26}, {"A", "6", 30}},
		update: []string{"0:1@10", "4:1+2@14", "5:1+2+3@15", "11:2+3@15", "11:2@14", "12:2+3+4@22", "15:3+4@22", "15:3@15", "16:4+5@26", "16:4@22", "20:4+5+6@30", "23:5+6@30", "23:5@26", "27:6@30"},
		close:  []string{"0:1@10", "4:1+2@14", "5:1+2+3@15", "11:2+3@15", "12:2+3+4@22"}},
	// KStreamSlidingWindowAggregateTest.testAggregateLargeInput
	{name: "testAggregateLargeInput", d: 10, graceUpdate: 50, graceClose: 10, reduce: false, supplier: true, sorted: true, supplierRetention: 50000,
		input:  []kvt[string, string]{{"A", "1", 10}, {"A", "2", 20}, {"A", "3", 22}, {"A", "4", 15}, {"B", "1", 12}, {"B", "2", 13}, {"B", "3", 18}, {"B", "4", 19}, {"B", "5", 25}, {"B", "6", 14}, {"C", "1", 11}, {"C", "2", 15}, {"C", "3", 16}, {"C", "4", 21}, {"C", "5", 23}, {"D", "4", 11}, {"D", "2", 12}, {"D", "3", 29}, {"D", "5", 16}},
		update: []string{"[A@0/10] 0+1@10", "[A@5/15] 0+1+4@15", "[A@10/20] 0+1+2@20", "[A@10/20] 0+1+2+4@20", "[A@11/21] 0+2@20", "[A@11/21] 0+2+4@20", "[A@12/22] 0+2+3@22", "[A@12/22] 0+2+3+4@22", "[A@16/26] 0+2+3@22", "[A@21/31] 0+3@22", "[B@2/12] 0+1@12", "[B@3/13] 0+1+2@13", "[B@4/14] 0+1+2+6@14", "[B@8/18] 0+1+2+3@18", "[B@8/18] 0+1+2+3+6@18", "[B@9/19] 0+1+2+3+4@19", "[B@9/19] 0+1+2+3+4+6@19", "[B@13/23] 0+2@13", "[B@13/23] 0+2+3@18", "[B@13/23] 0+2+3+4@19", "[B@13/23] 0+2+3+4+6@19", "[B@14/24] 0+3@18", "[B@14/24] 0+3+4@19", "[B@14/24] 0+3+4+6@19", "[B@15/25] 0+3+4+5@25", "[B@19/29] 0+4@19", "[B@19/29] 0+4+5@25", "[B@20/30] 0+5@25", "[C@1/11] 0+1@11", "[C@5/15] 0+1+2@15", "[C@6/16] 0+1+2+3@16", "[C@11/21] 0+1+2+3+4@21", "[C@12/22] 0+2@15", "[C@12/22] 0+2+3@16", "[C@12/22] 0+2+3+4@21", "[C@13/23] 0+2+3+4+5@23", "[C@16/26] 0+3@16", "[C@16/26] 0+3+4@21", "[C@16/26] 0+3+4+5@23", "[C@17/27] 0+4@21", "[C@17/27] 0+4+5@23", "[C@22/32] 0+5@23", "[D@1/11] 0+4@11", "[D@2/12] 0+4+2@12", "[D@6/16] 0+4+2+5@16", "[D@12/22] 0+2@12", "[D@12/22] 0+2+5@16", "[D@13/23] 0+5@16", "[D@19/29] 0+3@29"},
		close:  []string{"[A@0/10] 0+1@10", "[A@5/15] 0+1+4@15", "[B@2/12] 0+1@12", "[B@3/13] 0+1+2@13", "[B@8/18] 0+1+2+3+6@18", "[C@5/15] 0+2@15", "[C@6/16] 0+2+3@16"}},
	// KStreamSlidingWindowAggregateTest.testEarlyRecordsSmallInput
	{name: "testEarlyRecordsSmallInput", d: 50, graceUpdate: 0, graceClose: 0, reduce: false, supplier: false, sorted: false, supplierRetention: 50000,
		input:  []kvt[string, string]{{"A", "1", 0}, {"A", "2", 5}, {"A", "3", 6}, {"A", "4", 3}, {"A", "5", 13}, {"A", "6", 10}, {"A", "7", 70}},
		update: []string{"0:0+1+2+3+4+5+6@13", "0:0+1+2+3+4+5@13", "0:0+1+2+3+4@6", "0:0+1+2+3@6", "0:0+1+2@5", "0:0+1@0", "1:0+2+3+4+5+6@13", "1:0+2+3+4+5@13", "1:0+2+3+4@6", "1:0+2+3@6", "1:0+2@5", "4:0+2+3+5+6@13", "4:0+2+3+5@13", "4:0+2+3@6", "6:0+3+5+6@13", "6:0+3+5@13", "6:0+3@6", "7:0+5+6@13", "7:0+5@13", "11:0+5@13", "20:0+7@70"},
		close:  []string{"0:0+1+2+3+4+5+6@13", "1:0+2+3+4+5+6@13", "4:0+2+3+5+6@13", "6:0+3+5+6@13", "7:0+5+6@13", "11:0+5@13"}},
	// KStreamSlidingWindowAggregateTest.testEarlyRecordsRepeatedInput
	{name: "testEarlyRecordsRepeatedInput", d: 5, graceUpdate: 0, graceClose: 0, reduce: false, supplier: false, sorted: false, supplierRetention: 50000,
		input:  []kvt[string, string]{{"A", "1", 0}, {"A", "2", 2}, {"A", "3", 4}, {"A", "4", 0}, {"A", "5", 2}, {"A", "6", 2}, {"A", "7", 0}, {"A", "8", 7}},
		update: []string{"0:0+1+2+3+4+5+6+7@4", "0:0+1+2+3+4+5+6@4", "0:0+1+2+3+4+5@4", "0:0+1+2+3+4@4", "0:0+1+2+3@4", "0:0+1+2@2", "0:0+1@0", "1:0+2+3+5+6@4", "1:0+2+3+5@4", "1:0+2+3@4", "1:0+2@2", "2:0+2+3+5+6+8@7", "3:0+3+8@7", "3:0+3@4", "5:0+8@7"},
		close:  []string{"0:0+1+2+3+4+5+6+7@4", "1:0+2+3+5+6@4"}},
	// KStreamSlidingWindowAggregateTest.testEarlyRecordsLargeInput
	{name: "testEarlyRecordsLargeInput", d: 10, graceUpdate: 50, graceClose: 1, reduce: false, supplier: true, sorted: true, supplierRetention: 50000,
		input:  []kvt[string, string]{{"E", "1", 0}, {"E", "3", 5}, {"E", "4", 6}, {"E", "2", 3}, {"E", "6", 13}, {"E", "5", 10}, {"E", "7", 4}, {"E", "8", 2}, {"E", "9", 15}},
		update: []string{"[E@0/10] 0+1@0", "[E@0/10] 0+1+3@5", "[E@0/10] 0+1+3+4@6", "[E@0/10] 0+1+3+4+2@6", "[E@0/10] 0+1+3+4+2+5@10", "[E@0/10] 0+1+3+4+2+5+7@10", "[E@0/10] 0+1+3+4+2+5+7+8@10", "[E@1/11] 0+3@5", "[E@1/11] 0+3+4@6", "[E@1/11] 0+3+4+2@6", "[E@1/11] 0+3+4+2+5@10", "[E@1/11] 0+3+4+2+5+7@10", "[E@1/11] 0+3+4+2+5+7+8@10", "[E@3/13] 0+3+4+2+6@13", "[E@3/13] 0+3+4+2+6+5@13", "[E@3/13] 0+3+4+2+6+5+7@13", "[E@4/14] 0+3+4@6", "[E@4/14] 0+3+4+6@13", "[E@4/14] 0+3+4+6+5@13", "[E@4/14] 0+3+4+6+5+7@13", "[E@5/15] 0+3+4+6+5@13", "[E@5/15] 0+3+4+6+5+9@15", "[E@6/16] 0+4@6", "[E@6/16] 0+4+6@13", "[E@6/16] 0+4+6+5@13", "[E@6/16] 0+4+6+5+9@15", "[E@7/17] 0+6@13", "[E@7/17] 0+6+5@13", "[E@7/17] 0+6+5+9@15", "[E@11/21] 0+6@13", "[E@11/21] 0+6+9@15", "[E@14/24] 0+9@15"},
		close:  []string{"[E@0/10] 0+1+3+4+2@6", "[E@1/11] 0+3+4+2@6", "[E@3/13] 0+3+4+2+6+5+7@13"}},
	// KStreamSlidingWindowAggregateTest.testEarlyNoGracePeriodSmallInput
	{name: "testEarlyNoGracePeriodSmallInput", d: 50, graceUpdate: 0, graceClose: 0, reduce: false, supplier: false, sorted: false, supplierRetention: 50000,
		input:  []kvt[string, string]{{"A", "1", 0}, {"A", "2", 5}, {"A", "3", 6}, {"A", "4", 3}, {"A", "5", 13}, {"A", "6", 10}, {"A", "6", 70}},
		update: []string{"0:0+1+2+3+4+5+6@13", "0:0+1+2+3+4+5@13", "0:0+1+2+3+4@6", "0:0+1+2+3@6", "0:0+1+2@5", "0:0+1@0", "1:0+2+3+4+5+6@13", "1:0+2+3+4+5@13", "1:0+2+3+4@6", "1:0+2+3@6", "1:0+2@5", "4:0+2+3+5+6@13", "4:0+2+3+5@13", "4:0+2+3@6", "6:0+3+5+6@13", "6:0+3+5@13", "6:0+3@6", "7:0+5+6@13", "7:0+5@13", "11:0+5@13", "20:0+6@70"},
		close:  []string{"0:0+1+2+3+4+5+6@13", "1:0+2+3+4+5+6@13", "4:0+2+3+5+6@13", "6:0+3+5+6@13", "7:0+5+6@13", "11:0+5@13"}},
	// KStreamSlidingWindowAggregateTest.testNoGracePeriodSmallInput
	{name: "testNoGracePeriodSmallInput", d: 50, graceUpdate: 0, graceClose: 0, reduce: false, supplier: false, sorted: false, supplierRetention: 50000,
		input:  []kvt[string, string]{{"A", "1", 100}, {"A", "2", 105}, {"A", "3", 106}, {"A", "4", 103}, {"A", "5", 113}, {"A", "6", 110}},
		update: []string{"50:0+1@100", "55:0+1+2@105", "56:0+1+2+3+4@106", "56:0+1+2+3@106", "63:0+1+2+3+4+5+6@113", "63:0+1+2+3+4+5@113", "101:0+2+3+4+5+6@113", "101:0+2+3+4+5@113", "101:0+2+3+4@106", "101:0+2+3@106", "101:0+2@105", "104:0+2+3+5+6@113", "104:0+2+3+5@113", "104:0+2+3@106", "106:0+3+5+6@113", "106:0+3+5@113", "106:0+3@106", "107:0+5+6@113", "107:0+5@113", "111:0+5@113"},
		close:  []string{"50:0+1@100", "55:0+1+2@105", "56:0+1+2+3+4@106"}},
	// KStreamSlidingWindowAggregateTest.testEarlyNoGracePeriodLargeInput
	{name: "testEarlyNoGracePeriodLargeInput", d: 10, graceUpdate: 0, graceClose: 0, reduce: false, supplier: true, sorted: true, supplierRetention: 500,
		input:  []kvt[string, string]{{"E", "1", 0}, {"E", "3", 5}, {"E", "4", 6}, {"E", "2", 3}, {"E", "6", 13}, {"E", "5", 10}, {"E", "7", 4}, {"E", "8", 2}, {"E", "9", 15}},
		update: []string{"[E@0/10] 0+1@0", "[E@0/10] 0+1+3@5", "[E@0/10] 0+1+3+4@6", "[E@0/10] 0+1+3+4+2@6", "[E@1/11] 0+3@5", "[E@1/11] 0+3+4@6", "[E@1/11] 0+3+4+2@6", "[E@3/13] 0+3+4+2+6@13", "[E@3/13] 0+3+4+2+6+5@13", "[E@3/13] 0+3+4+2+6+5+7@13", "[E@4/14] 0+3+4@6", "[E@4/14] 0+3+4+6@13", "[E@4/14] 0+3+4+6+5@13", "[E@4/14] 0+3+4+6+5+7@13", "[E@5/15] 0+3+4+6+5@13", "[E@5/15] 0+3+4+6+5+9@15", "[E@6/16] 0+4@6", "[E@6/16] 0+4+6@13", "[E@6/16] 0+4+6+5@13", "[E@6/16] 0+4+6+5+9@15", "[E@7/17] 0+6@13", "[E@7/17] 0+6+5@13", "[E@7/17] 0+6+5+9@15", "[E@11/21] 0+6@13", "[E@11/21] 0+6+9@15", "[E@14/24] 0+9@15"},
		close:  []string{"[E@0/10] 0+1+3+4+2@6", "[E@1/11] 0+3+4+2@6", "[E@3/13] 0+3+4+2+6+5+7@13", "[E@4/14] 0+3+4+6+5+7@13"}},
	// KStreamSlidingWindowAggregateTest.testNoGracePeriodLargeInput
	{name: "testNoGracePeriodLargeInput", d: 10, graceUpdate: 0, graceClose: 0, reduce: false, supplier: true, sorted: true, supplierRetention: 500,
		input:  []kvt[string, string]{{"E", "1", 100}, {"E", "3", 105}, {"E", "4", 106}, {"E", "2", 103}, {"E", "6", 113}, {"E", "5", 110}, {"E", "7", 104}, {"E", "8", 102}, {"E", "9", 115}},
		update: []string{"[E@90/100] 0+1@100", "[E@95/105] 0+1+3@105", "[E@96/106] 0+1+3+4@106", "[E@96/106] 0+1+3+4+2@106", "[E@101/111] 0+3@105", "[E@101/111] 0+3+4@106", "[E@101/111] 0+3+4+2@106", "[E@103/113] 0+3+4+2+6@113", "[E@103/113] 0+3+4+2+6+5@113", "[E@103/113] 0+3+4+2+6+5+7@113", "[E@104/114] 0+3+4@106", "[E@104/114] 0+3+4+6@113", "[E@104/114] 0+3+4+6+5@113", "[E@104/114] 0+3+4+6+5+7@113", "[E@105/115] 0+3+4+6+5@113", "[E@105/115] 0+3+4+6+5+9@115", "[E@106/116] 0+4@106", "[E@106/116] 0+4+6@113", "[E@106/116] 0+4+6+5@113", "[E@106/116] 0+4+6+5+9@115", "[E@107/117] 0+6@113", "[E@107/117] 0+6+5@113", "[E@107/117] 0+6+5+9@115", "[E@111/121] 0+6@113", "[E@111/121] 0+6+9@115", "[E@114/124] 0+9@115"},
		close:  []string{"[E@90/100] 0+1@100", "[E@95/105] 0+1+3@105", "[E@96/106] 0+1+3+4+2@106", "[E@101/111] 0+3+4+2@106", "[E@103/113] 0+3+4+2+6+5+7@113", "[E@104/114] 0+3+4+6+5+7@113"}},
}

// KGroupedStreamImplTest.shouldCountSlidingWindows and
// shouldCountSlidingWindowsWithInternalStoreName: time difference 500 ms, grace 2 s; the
// updates sorted by key and window start.
func TestDSLSlidingCount(t *testing.T) {
	for _, name := range []string{"aggregate-by-key-windowed", ""} {
		for _, caching := range []bool{true, false} {
			sb := topology.NewStreamsBuilder()
			w := grouped(sb).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(500*time.Millisecond, 2*time.Second))
			topology.CountWindowed(w, topology.Materialized[string, int64]{Name: name, CachingDisabled: !caching}).ToStream().To("out")
			d := newDriver(t, sb)
			pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String), []kvt[string, string]{{"1", "A", 500}, {"1", "A", 999}, {"1", "A", 600}, {"2", "B", 500}, {"2", "B", 600}, {"2", "B", 700}, {"3", "C", 501}, {"1", "A", 1000}, {"1", "A", 1000}, {"2", "B", 1000}, {"2", "B", 1000}, {"3", "C", 600}}...)
			var recs []kvt[serde.Windowed[string], string]
			for _, r := range readAll(t, testutil.CreateOutputTopic(d, "out", serde.TimeWindowed(serde.String, 500*time.Millisecond), serde.Int64)) {
				recs = append(recs, kvt[serde.Windowed[string], string]{r.Key, fmt.Sprint(r.Value), r.Ts})
			}
			if got, want := sortedOutput(recs), []string{"[1@0/500] 1@500", "[1@100/600] 2@600", "[1@499/999] 2@999", "[1@499/999] 3@999", "[1@500/1000] 4@1000", "[1@500/1000] 5@1000", "[1@501/1001] 1@999", "[1@501/1001] 2@999", "[1@501/1001] 3@1000", "[1@501/1001] 4@1000", "[1@601/1101] 1@999", "[1@601/1101] 2@1000", "[1@601/1101] 3@1000", "[1@1000/1500] 1@1000", "[1@1000/1500] 2@1000", "[2@0/500] 1@500", "[2@100/600] 2@600", "[2@200/700] 3@700", "[2@500/1000] 4@1000", "[2@500/1000] 5@1000", "[2@501/1001] 1@600", "[2@501/1001] 2@700", "[2@501/1001] 3@1000", "[2@501/1001] 4@1000", "[2@601/1101] 1@700", "[2@601/1101] 2@1000", "[2@601/1101] 3@1000", "[2@701/1201] 1@1000", "[2@701/1201] 2@1000", "[3@1/501] 1@501", "[3@100/600] 2@600", "[3@502/1002] 1@600"}; !slices.Equal(got, want) {
				t.Errorf("store %q, caching %v:\ngot  %q\nwant %q", name, caching, got, want)
			}
		}
	}
}

// SlidingWindowedKStreamImplTest's processData, on sliding windows of 100 ms with 1 s of grace.
func slidingWindowedData(t *testing.T, d *testutil.TopologyTestDriver) {
	pipeAll(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String),
		kvt[string, string]{"1", "1", 100}, kvt[string, string]{"1", "2", 150}, kvt[string, string]{"1", "3", 500},
		kvt[string, string]{"2", "10", 200}, kvt[string, string]{"2", "20", 150})
}

func sliding100(sb *topology.StreamsBuilder) *topology.TimeWindowedKStream[string, string] {
	return grouped(sb).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(100*time.Millisecond, time.Second))
}

// lastPerKey is Kafka's lastValueAndTimestampPerKey, printed "[key@start/end]=value@ts" in
// the order of the windowed keys.
func lastPerKey[V any](recs []kvt[serde.Windowed[string], V]) string {
	last := map[serde.Windowed[string]]kvt[serde.Windowed[string], V]{}
	for _, r := range recs {
		last[r.Key] = r
	}
	keys := make([]serde.Windowed[string], 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b serde.Windowed[string]) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return int(a.Start - b.Start)
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v@%d", wk(k), last[k].Value, last[k].Ts))
	}
	return strings.Join(parts, " ")
}

// SlidingWindowedKStreamImplTest.shouldCountSlidingWindows, shouldReduceSlidingWindows and
// shouldAggregateSlidingWindows: the last update of each window.
func TestDSLSlidingWindowedCountReduceAggregate(t *testing.T) {
	for _, caching := range []bool{true, false} {
		sb := topology.NewStreamsBuilder()
		topology.CountWindowed(sliding100(sb), topology.Materialized[string, int64]{CachingDisabled: !caching}).ToStream().To("out")
		d := newDriver(t, sb)
		slidingWindowedData(t, d)
		got := lastPerKey(readAll(t, testutil.CreateOutputTopic(d, "out", serde.TimeWindowed(serde.String, 100*time.Millisecond), serde.Int64)))
		if want := "[1@0/100]=1@100 [1@50/150]=2@150 [1@101/201]=1@150 [1@400/500]=1@500 [2@50/150]=1@150 [2@100/200]=2@200 [2@151/251]=1@200"; got != want {
			t.Errorf("count, caching %v:\ngot  %s\nwant %s", caching, got, want)
		}

		sb = topology.NewStreamsBuilder()
		topology.ReduceWindowed(sliding100(sb), func(agg, v string) string { return agg + "+" + v }, topology.Materialized[string, string]{CachingDisabled: !caching}).ToStream().To("out")
		d = newDriver(t, sb)
		slidingWindowedData(t, d)
		got = lastPerKey(readAll(t, testutil.CreateOutputTopic(d, "out", serde.TimeWindowed(serde.String, 100*time.Millisecond), serde.String)))
		if want := "[1@0/100]=1@100 [1@50/150]=1+2@150 [1@101/201]=2@150 [1@400/500]=3@500 [2@50/150]=20@150 [2@100/200]=10+20@200 [2@151/251]=10@200"; got != want {
			t.Errorf("reduce, caching %v:\ngot  %s\nwant %s", caching, got, want)
		}

		sb = topology.NewStreamsBuilder()
		topology.AggregateWindowed(sliding100(sb), stringInit, toStringAdder, topology.Materialized[string, string]{Keys: serde.String, Values: serde.String, CachingDisabled: !caching}).ToStream().To("out")
		d = newDriver(t, sb)
		slidingWindowedData(t, d)
		got = lastPerKey(readAll(t, testutil.CreateOutputTopic(d, "out", serde.TimeWindowed(serde.String, 100*time.Millisecond), serde.String)))
		if want := "[1@0/100]=0+1@100 [1@50/150]=0+1+2@150 [1@101/201]=0+2@150 [1@400/500]=0+3@500 [2@50/150]=0+20@150 [2@100/200]=0+10+20@200 [2@151/251]=0+10@200"; got != want {
			t.Errorf("aggregate, caching %v:\ngot  %s\nwant %s", caching, got, want)
		}
	}
}

// SlidingWindowedKStreamImplTest.shouldMaterializeCount, shouldMaterializeReduced and
// shouldMaterializeAggregated: the windows of keys 1 to 2 in the store, with the largest
// timestamp of each (Kafka's getTimestampedWindowStore).
func TestDSLSlidingWindowedMaterialize(t *testing.T) {
	for _, caching := range []bool{true, false} {
		sb := topology.NewStreamsBuilder()
		topology.CountWindowed(sliding100(sb), topology.Materialized[string, int64]{Name: "count-store", Keys: serde.String, Values: serde.Int64, CachingDisabled: !caching})
		d := newDriver(t, sb)
		slidingWindowedData(t, d)
		if got, want := windowStoreContents[int64](t, d, "count-store"),
			"[1@0/100]=1@100 [1@50/150]=2@150 [1@101/201]=1@150 [1@400/500]=1@500 [2@50/150]=1@150 [2@100/200]=2@200 [2@151/251]=1@200"; got != want {
			t.Errorf("count-store, caching %v:\ngot  %s\nwant %s", caching, got, want)
		}

		sb = topology.NewStreamsBuilder()
		topology.ReduceWindowed(sliding100(sb), func(agg, v string) string { return agg + "+" + v },
			topology.Materialized[string, string]{Name: "reduced", Keys: serde.String, Values: serde.String, CachingDisabled: !caching})
		d = newDriver(t, sb)
		slidingWindowedData(t, d)
		if got, want := windowStoreContents[string](t, d, "reduced"),
			"[1@0/100]=1@100 [1@50/150]=1+2@150 [1@101/201]=2@150 [1@400/500]=3@500 [2@50/150]=20@150 [2@100/200]=10+20@200 [2@151/251]=10@200"; got != want {
			t.Errorf("reduced, caching %v:\ngot  %s\nwant %s", caching, got, want)
		}

		sb = topology.NewStreamsBuilder()
		topology.AggregateWindowed(sliding100(sb), stringInit, toStringAdder,
			topology.Materialized[string, string]{Name: "aggregated", Keys: serde.String, Values: serde.String, CachingDisabled: !caching})
		d = newDriver(t, sb)
		slidingWindowedData(t, d)
		if got, want := windowStoreContents[string](t, d, "aggregated"),
			"[1@0/100]=0+1@100 [1@50/150]=0+1+2@150 [1@101/201]=0+2@150 [1@400/500]=0+3@500 [2@50/150]=0+20@150 [2@100/200]=0+10+20@200 [2@151/251]=0+10@200"; got != want {
			t.Errorf("aggregated, caching %v:\ngot  %s\nwant %s", caching, got, want)
		}
	}
}
