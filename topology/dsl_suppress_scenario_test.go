package topology_test

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// The tests here are Kafka's SuppressScenarioTest, one per method of the same name, with
// the expected records written out as Kafka's KeyValueTimestamp lists.

// valueCountsProgram is the scenario tests' table of value counts (a table grouped by value,
// counted), suppressed with s to "output-suppressed" and raw to "output-raw".
func valueCountsProgram(t *testing.T, s topology.Suppressed) (*testutil.TestInputTopic[string, string], func(topic string) []string) {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	table := topology.Table(sb, "input", strs, topology.Materialized[string, string]{StoreType: topology.StoreInMemory, CachingDisabled: true, LoggingDisabled: true})
	counts := topology.GroupTableBy(table, func(k, v string) topology.KeyValue[string, string] { return topology.Pair(v, k) },
		topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}).
		Count(topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
	out := topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64}
	counts.Suppress(s).ToStream().To("output-suppressed", out)
	counts.ToStream().To("output-raw", out)
	d := newDriver(t, sb)
	return testutil.CreateInputTopic(d, "input", serde.String, serde.String), drainer(t, d)
}

func drainer(t *testing.T, d *testutil.TopologyTestDriver) func(topic string) []string {
	return func(topic string) []string {
		t.Helper()
		recs, err := testutil.CreateOutputTopic(d, topic, serde.String, serde.Int64).ReadRecordsToList()
		must(t, err)
		out := []string{}
		for _, r := range recs {
			v := fmt.Sprint(r.Value)
			if r.Tombstone {
				v = "null"
			}
			out = append(out, fmt.Sprintf("%s:%s@%d", r.Key, v, r.Timestamp))
		}
		return out
	}
}

func TestSuppressScenarioShouldImmediatelyEmitEventsWithZeroEmitAfter(t *testing.T) {
	in, drain := valueCountsProgram(t, topology.UntilTimeLimit(0, topology.Unbounded()))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 0))
	must(t, in.PipeInputWithTimestamp("k1", "v2", 1))
	must(t, in.PipeInputWithTimestamp("k2", "v1", 2))
	check(t, drain("output-raw"), []string{"v1:1@0", "v1:0@1", "v2:1@1", "v1:1@2"})
	check(t, drain("output-suppressed"), []string{"v1:1@0", "v1:0@1", "v2:1@1", "v1:1@2"})
	must(t, in.PipeInputWithTimestamp("x", "x", 3))
	check(t, drain("output-raw"), []string{"x:1@3"})
	check(t, drain("output-suppressed"), []string{"x:1@3"})
	must(t, in.PipeInputWithTimestamp("x", "y", 4))
	check(t, drain("output-raw"), []string{"x:0@4", "y:1@4"})
	check(t, drain("output-suppressed"), []string{"x:0@4", "y:1@4"})
}

func TestSuppressScenarioShouldSuppressIntermediateEventsWithTimeLimit(t *testing.T) {
	in, drain := valueCountsProgram(t, topology.UntilTimeLimit(2*time.Millisecond, topology.Unbounded()))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 0))
	must(t, in.PipeInputWithTimestamp("k1", "v2", 1))
	must(t, in.PipeInputWithTimestamp("k2", "v1", 2))
	check(t, drain("output-raw"), []string{"v1:1@0", "v1:0@1", "v2:1@1", "v1:1@2"})
	check(t, drain("output-suppressed"), []string{"v1:1@2"})
	// A "tick" record just advances stream time: now 3, v2's time to go.
	must(t, in.PipeInputWithTimestamp("tick", "tick", 3))
	check(t, drain("output-raw"), []string{"tick:1@3"})
	check(t, drain("output-suppressed"), []string{"v2:1@1"})
	must(t, in.PipeInputWithTimestamp("tick", "tock", 4))
	check(t, drain("output-raw"), []string{"tick:0@4", "tock:1@4"})
	// tick is still buffered: first inserted at 3, and it is only 4.
	check(t, drain("output-suppressed"), []string{})
}

func TestSuppressScenarioShouldSuppressIntermediateEventsWithRecordLimit(t *testing.T) {
	in, drain := valueCountsProgram(t, topology.UntilTimeLimit(time.Duration(1<<62), topology.MaxRecords(1).EmitEarlyWhenFull()))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 0))
	must(t, in.PipeInputWithTimestamp("k1", "v2", 1))
	must(t, in.PipeInputWithTimestamp("k2", "v1", 2))
	check(t, drain("output-raw"), []string{"v1:1@0", "v1:0@1", "v2:1@1", "v1:1@2"})
	// Consecutive updates of v1 are suppressed into the latter; the last update waits for
	// another key.
	check(t, drain("output-suppressed"), []string{"v1:0@1", "v2:1@1"})
	must(t, in.PipeInputWithTimestamp("x", "x", 3))
	check(t, drain("output-raw"), []string{"x:1@3"})
	check(t, drain("output-suppressed"), []string{"v1:1@2"})
}

// Kafka's comment: "this is a bit brittle, but I happen to know that the entries are a
// little over 100 bytes in size" — Tributary counts the same parts (key, values, record
// context with the topic name), so two entries overflow 200 bytes here too.
func TestSuppressScenarioShouldSuppressIntermediateEventsWithBytesLimit(t *testing.T) {
	in, drain := valueCountsProgram(t, topology.UntilTimeLimit(time.Duration(1<<62), topology.MaxBytes(200).EmitEarlyWhenFull()))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 0))
	must(t, in.PipeInputWithTimestamp("k1", "v2", 1))
	must(t, in.PipeInputWithTimestamp("k2", "v1", 2))
	check(t, drain("output-raw"), []string{"v1:1@0", "v1:0@1", "v2:1@1", "v1:1@2"})
	check(t, drain("output-suppressed"), []string{"v1:0@1", "v2:1@1"})
	must(t, in.PipeInputWithTimestamp("x", "x", 3))
	check(t, drain("output-raw"), []string{"x:1@3"})
	check(t, drain("output-suppressed"), []string{"v1:1@2"})
}

// javaWindowed prints a windowed key as Kafka's Windowed.toString: [key@start/end]. The
// scenarios map with KStream.map, which passes tombstones on as Kafka's mapper returning a
// null value does; Tributary's Map cannot return a tombstone, so SelectKey does it.
func javaWindowed(s *topology.KStream[serde.Windowed[string], int64]) *topology.KStream[string, int64] {
	return topology.SelectKey(s, func(k serde.Windowed[string], _ int64) string {
		return fmt.Sprintf("[%s@%d/%d]", k.Key, k.Start, k.End)
	})
}

func TestSuppressScenarioShouldSupportFinalResultsForSessionWindows(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	g := topology.GroupBy(topology.Stream(sb, "input", strs), func(k, _ string) string { return k }, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String})
	counts := topology.CountSessions(g.WindowedBySession(topology.SessionWindowsWithNoGrace(5*time.Millisecond)),
		topology.Materialized[string, int64]{Name: "counts", StoreType: topology.StoreInMemory, CachingDisabled: true})
	out := topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64}
	javaWindowed(counts.Suppress(topology.UntilWindowCloses(topology.Unbounded())).ToStream()).To("output-suppressed", out)
	javaWindowed(counts.ToStream()).To("output-raw", out)
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "input", serde.String, serde.String)
	must(t, in.PipeInputWithTimestamp("k1", "v1", 0))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 5))
	// Disordered records are admitted until stream time passes the window's end + grace.
	must(t, in.PipeInputWithTimestamp("k1", "v1", 1))
	// Any record of the partition advances stream time.
	must(t, in.PipeInputWithTimestamp("k2", "v1", 11))
	// Late for the first window: dropped from all streams.
	must(t, in.PipeInputWithTimestamp("k1", "v1", 5))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 30))
	drain := drainer(t, d)
	check(t, drain("output-raw"), []string{"[k1@0/0]:1@0", "[k1@0/0]:null@0", "[k1@0/5]:2@5", "[k1@0/5]:null@5", "[k1@0/5]:3@5", "[k2@11/11]:1@11", "[k1@30/30]:1@30"})
	check(t, drain("output-suppressed"), []string{"[k1@0/5]:3@5", "[k2@11/11]:1@11"})
}

func TestSuppressScenarioShouldWorkBeforeGroupBy(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	suppressed := topology.Table(sb, "topic", strs, topology.Materialized[string, string]{StoreType: topology.StoreInMemory}).
		Suppress(topology.UntilTimeLimit(10*time.Millisecond, topology.Unbounded()))
	topology.GroupTableBy(suppressed, topology.Pair[string, string], topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}).
		Count(topology.Materialized[string, int64]{StoreType: topology.StoreInMemory}).
		ToStream().To("output", topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "topic", serde.String, serde.String)
	must(t, in.PipeInputWithTimestamp("A", "a", 0))
	must(t, in.PipeInputWithTimestamp("tick", "tick", 10))
	check(t, drainer(t, d)("output"), []string{"A:1@0"})
}

// windowedCountsProgram is the final-results scenario of time or sliding windows: a count per
// key in windows w, suppressed until they close to "output-suppressed", raw to "output-raw".
func windowedCountsProgram(t *testing.T, window func(g *topology.KGroupedStream[string, string]) *topology.TimeWindowedKStream[string, string]) (*testutil.TestInputTopic[string, string], func(string) []string) {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	g := topology.GroupBy(topology.Stream(sb, "input", strs), func(k, _ string) string { return k }, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String})
	counts := topology.CountWindowed(window(g), topology.Materialized[string, int64]{Name: "counts", StoreType: topology.StoreInMemory, CachingDisabled: true})
	out := topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64}
	javaWindowed(counts.Suppress(topology.UntilWindowCloses(topology.Unbounded())).ToStream()).To("output-suppressed", out)
	javaWindowed(counts.ToStream()).To("output-raw", out)
	d := newDriver(t, sb)
	return testutil.CreateInputTopic(d, "input", serde.String, serde.String), drainer(t, d)
}

func TestSuppressScenarioShouldSupportFinalResultsForTimeWindows(t *testing.T) {
	in, drain := windowedCountsProgram(t, func(g *topology.KGroupedStream[string, string]) *topology.TimeWindowedKStream[string, string] {
		return g.WindowedBy(topology.TimeWindowsOfSizeAndGrace(2*time.Millisecond, time.Millisecond))
	})
	for _, ts := range []int64{0, 1, 2, 1, 0, 5} {
		must(t, in.PipeInputWithTimestamp("k1", "v1", ts))
	}
	// Out of the grace period: dropped.
	must(t, in.PipeInputWithTimestamp("k1", "v1", 0))
	check(t, drain("output-raw"), []string{"[k1@0/2]:1@0", "[k1@0/2]:2@1", "[k1@2/4]:1@2", "[k1@0/2]:3@1", "[k1@0/2]:4@1", "[k1@4/6]:1@5"})
	check(t, drain("output-suppressed"), []string{"[k1@0/2]:4@1", "[k1@2/4]:1@2"})
}

func TestSuppressScenarioShouldSupportFinalResultsForTimeWindowsWithLargeJump(t *testing.T) {
	in, drain := windowedCountsProgram(t, func(g *topology.KGroupedStream[string, string]) *topology.TimeWindowedKStream[string, string] {
		return g.WindowedBy(topology.TimeWindowsOfSizeAndGrace(2*time.Millisecond, 2*time.Millisecond))
	})
	for _, ts := range []int64{0, 1, 2, 0, 3, 0, 4} {
		must(t, in.PipeInputWithTimestamp("k1", "v1", ts))
	}
	// Dropped: the previous record advanced stream time and closed the window.
	must(t, in.PipeInputWithTimestamp("k1", "v1", 0))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 30))
	check(t, drain("output-raw"), []string{"[k1@0/2]:1@0", "[k1@0/2]:2@1", "[k1@2/4]:1@2", "[k1@0/2]:3@1", "[k1@2/4]:2@3", "[k1@0/2]:4@1", "[k1@4/6]:1@4", "[k1@30/32]:1@30"})
	check(t, drain("output-suppressed"), []string{"[k1@0/2]:4@1", "[k1@2/4]:2@3", "[k1@4/6]:1@4"})
}

func TestSuppressScenarioShouldSupportFinalResultsForSlidingWindows(t *testing.T) {
	in, drain := windowedCountsProgram(t, func(g *topology.KGroupedStream[string, string]) *topology.TimeWindowedKStream[string, string] {
		return g.WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(5*time.Millisecond, 15*time.Millisecond))
	})
	for _, ts := range []int64{10, 11, 10, 13, 10, 24} {
		must(t, in.PipeInputWithTimestamp("k1", "v1", ts))
	}
	// Dropped: the previous record advanced stream time and closed the window.
	must(t, in.PipeInputWithTimestamp("k1", "v1", 5))
	must(t, in.PipeInputWithTimestamp("k1", "v1", 7))
	// Advances stream time and flushes the windows.
	must(t, in.PipeInputWithTimestamp("k1", "v1", 90))
	raw := drain("output-raw")
	// Kafka sorts the raw output by key, then timestamp (a stable sort).
	slices.SortStableFunc(raw, func(a, b string) int {
		ka, ta, _ := strings.Cut(a, ":")
		kb, tb, _ := strings.Cut(b, ":")
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return cmp.Compare(tsOf(ta), tsOf(tb))
	})
	check(t, raw, []string{
		"[k1@11/16]:1@11", "[k1@11/16]:2@13", "[k1@12/17]:1@13", "[k1@19/24]:1@24",
		"[k1@5/10]:1@10", "[k1@5/10]:2@10", "[k1@5/10]:3@10", "[k1@5/10]:4@10", "[k1@5/10]:5@10",
		"[k1@6/11]:2@11", "[k1@6/11]:3@11", "[k1@6/11]:4@11", "[k1@6/11]:5@11",
		"[k1@8/13]:4@13", "[k1@8/13]:5@13", "[k1@85/90]:1@90"})
	check(t, drain("output-suppressed"), []string{"[k1@5/10]:5@10", "[k1@6/11]:5@11", "[k1@8/13]:5@13", "[k1@11/16]:2@13", "[k1@12/17]:1@13", "[k1@19/24]:1@24"})
}

func tsOf(s string) int64 {
	_, ts, _ := strings.Cut(s, "@")
	n, _ := strconv.ParseInt(ts, 10, 64)
	return n
}
