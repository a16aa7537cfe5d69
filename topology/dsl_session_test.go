package topology_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of the session-windowed aggregations, transcribed from Kafka's
// KStreamSessionWindowAggregateProcessorTest and SessionWindowedKStreamImplTest
// (org.apache.kafka.streams.kstream.internals), each for both emit strategies.
//
// The processor test drives KStreamSessionWindowAggregate directly over a cached store that
// it flushes once, at the end; here the same inputs go through the TopologyTestDriver, which
// commits (flushing the cache) after every record. So with caching on, every update is
// forwarded, as with caching off; the expected lists below are the complete sequences, and
// the last update of each session is the record Kafka's test expects for it.

type sessionRec = testutil.TestRecord[serde.Windowed[string], int64]

func sess(key string, start, end, v int64) sessionRec {
	return sessionRec{Key: serde.Windowed[string]{Key: key, Start: start, End: end}, Value: v, Timestamp: end}
}

func sessTomb(key string, start, end int64) sessionRec {
	return sessionRec{Key: serde.Windowed[string]{Key: key, Start: start, End: end}, Tombstone: true, Timestamp: end}
}

// KStreamSessionWindowAggregateProcessorTest's GAP_MS.
const gapMs = int64(5 * 60 * 1000)

type sessionCase struct {
	name    string
	emit    topology.EmitStrategy
	caching bool
}

var sessionCases = []sessionCase{
	{"update/uncached", topology.EmitOnWindowUpdate, false},
	{"update/cached", topology.EmitOnWindowUpdate, true},
	{"close", topology.EmitOnWindowClose, true}, // caching is off with emit-on-close whatever m says
}

// sessionCountDriver is the processor test's setup: count (initializer 0, aggregator +1,
// merger a+b) over a persistent session store "session-store" with retention 3 × gap and
// logging off, written out to "output".
func sessionCountDriver(t *testing.T, w topology.SessionWindows, c sessionCase) (*testutil.TopologyTestDriver, *testutil.TestInputTopic[string, string], *testutil.TestOutputTopic[serde.Windowed[string], int64]) {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	ws := topology.GroupByKey(topology.Stream(sb, "input", strs)).WindowedBySession(w).EmitStrategy(c.emit)
	topology.CountSessions(ws, topology.Materialized[string, int64]{Name: "session-store", Retention: 3 * w.Gap, LoggingDisabled: true, CachingDisabled: !c.caching}).
		ToStream().To("output")
	d := newDriver(t, sb)
	return d, testutil.CreateInputTopic(d, "input", serde.String, serde.String),
		testutil.CreateOutputTopic(d, "output", serde.SessionWindowed(serde.String), serde.Int64)
}

func sessionStoreOf(t *testing.T, d *testutil.TopologyTestDriver, name string) func(key string, earliestEnd, latestStart int64) []cursor.KeyValue[serde.Windowed[string], int64] {
	st, err := testutil.SessionStore[string, int64](d, name)
	must(t, err)
	return func(key string, earliestEnd, latestStart int64) []cursor.KeyValue[serde.Windowed[string], int64] {
		t.Helper()
		c, err := st.FindSessions(key, earliestEnd, latestStart)
		must(t, err)
		got, err := cursor.Collect(c)
		must(t, err)
		return got
	}
}

func pipeAt(t *testing.T, in *testutil.TestInputTopic[string, string], key, value string, ts int64) {
	t.Helper()
	must(t, in.PipeInputWithTimestamp(key, value, ts))
}

func win(key string, start, end int64) serde.Windowed[string] {
	return serde.Windowed[string]{Key: key, Start: start, End: end}
}

// KStreamSessionWindowAggregateProcessorTest.shouldCreateSingleSessionWhenWithinGap.
func TestSessionCreateSingleSessionWhenWithinGap(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			d, in, _ := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			pipeAt(t, in, "john", "first", 0)
			pipeAt(t, in, "john", "second", 500)
			got := sessionStoreOf(t, d, "session-store")("john", 0, 2000)
			if len(got) == 0 || got[0].Value != 2 {
				t.Errorf("sessions = %v, want the first with count 2", got)
			}
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldMergeSessions.
func TestSessionMergeSessions(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			d, in, _ := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			find := sessionStoreOf(t, d, "session-store")
			pipeAt(t, in, "mel", "first", 0)
			if len(find("mel", 0, 0)) == 0 {
				t.Fatal("no session at 0")
			}
			pipeAt(t, in, "mel", "second", gapMs+1) // beyond the gap
			if len(find("mel", gapMs+1, gapMs+1)) == 0 || len(find("mel", 0, 0)) == 0 {
				t.Fatal("want the sessions at 0 and at gap+1")
			}
			pipeAt(t, in, "mel", "third", gapMs/2) // back in time: merges both
			got := find("mel", 0, gapMs+1)
			if len(got) != 1 || got[0].Value != 3 || got[0].Key != win("mel", 0, gapMs+1) {
				t.Errorf("sessions = %v, want [0, gap+1] with count 3 only", got)
			}
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldUpdateSessionIfTheSameTime.
func TestSessionUpdateSessionIfTheSameTime(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			d, in, _ := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			pipeAt(t, in, "mel", "first", 0)
			pipeAt(t, in, "mel", "second", 0)
			got := sessionStoreOf(t, d, "session-store")("mel", 0, 0)
			if len(got) != 1 || got[0].Value != 2 {
				t.Errorf("sessions = %v, want one with count 2", got)
			}
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldHaveMultipleSessionsForSameIdWhenTimestampApartBySessionGap.
// Kafka (cache flushed at the end) expects [0,0]→1, [gap+1]→2, [2gap+2]→3, or with emit on
// close [0,0]→1 and [gap+1]→2; flushed after every record, each update is forwarded.
func TestSessionMultipleSessionsForSameIDWhenTimestampApartBySessionGap(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			_, in, out := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			now := int64(0)
			pipeAt(t, in, "mel", "first", now)
			now += gapMs + 1
			pipeAt(t, in, "mel", "second", now)
			pipeAt(t, in, "mel", "second", now)
			now += gapMs + 1
			pipeAt(t, in, "mel", "third", now)
			pipeAt(t, in, "mel", "third", now)
			pipeAt(t, in, "mel", "third", now)
			if c.emit == topology.EmitOnWindowClose {
				testutil.AssertRecords(t, out, sess("mel", 0, 0, 1), sess("mel", gapMs+1, gapMs+1, 2))
				return
			}
			testutil.AssertRecords(t, out,
				sess("mel", 0, 0, 1),
				sess("mel", gapMs+1, gapMs+1, 1), sess("mel", gapMs+1, gapMs+1, 2),
				sess("mel", now, now, 1), sess("mel", now, now, 2), sess("mel", now, now, 3))
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldRemoveMergedSessionsFromStateStore.
func TestSessionRemoveMergedSessionsFromStateStore(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			d, in, _ := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			find := sessionStoreOf(t, d, "session-store")
			pipeAt(t, in, "a", "1", 0)
			if got := find("a", 0, 0); len(got) != 1 || got[0].Key != win("a", 0, 0) || got[0].Value != 1 {
				t.Fatalf("sessions = %v, want [0,0]→1", got)
			}
			pipeAt(t, in, "a", "2", 100)
			if got := find("a", 0, 100); len(got) != 1 || got[0].Key != win("a", 0, 100) || got[0].Value != 2 {
				t.Errorf("sessions = %v, want [0,100]→2 only", got)
			}
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldHandleMultipleSessionsAndMerging. Kafka
// (flushed at the end) expects a[0,0]→1, b[0,0]→1, c[0,0]→1, d[0,gap/2]→2,
// b[gap+1]→1, a[gap+1, gap+1+gap/2]→2, c[gap+1+gap/2]→1; here the sessions merged away
// come too, each as a tombstone before the merged session. With emit on close: a, b, c at
// [0,0]→1, then d[0,gap/2]→2.
func TestSessionHandleMultipleSessionsAndMerging(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			_, in, out := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			pipeAt(t, in, "a", "1", 0)
			pipeAt(t, in, "b", "1", 0)
			pipeAt(t, in, "c", "1", 0)
			pipeAt(t, in, "d", "1", 0)
			pipeAt(t, in, "d", "2", gapMs/2)
			pipeAt(t, in, "a", "2", gapMs+1)
			pipeAt(t, in, "b", "2", gapMs+1)
			pipeAt(t, in, "a", "3", gapMs+1+gapMs/2)
			pipeAt(t, in, "c", "3", gapMs+1+gapMs/2)
			if c.emit == topology.EmitOnWindowClose {
				testutil.AssertRecords(t, out, sess("a", 0, 0, 1), sess("b", 0, 0, 1), sess("c", 0, 0, 1), sess("d", 0, gapMs/2, 2))
				return
			}
			testutil.AssertRecords(t, out,
				sess("a", 0, 0, 1), sess("b", 0, 0, 1), sess("c", 0, 0, 1), sess("d", 0, 0, 1),
				sessTomb("d", 0, 0), sess("d", 0, gapMs/2, 2),
				sess("a", gapMs+1, gapMs+1, 1),
				sess("b", gapMs+1, gapMs+1, 1),
				sessTomb("a", gapMs+1, gapMs+1), sess("a", gapMs+1, gapMs+1+gapMs/2, 2),
				sess("c", gapMs+1+gapMs/2, gapMs+1+gapMs/2, 1))
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldImmediatelyForwardNewSessionWhenNonCachedStore
// and shouldImmediatelyForwardRemovedSessionsWhenMerging (emit on update, caching off).
func TestSessionImmediatelyForwardWhenNonCached(t *testing.T) {
	c := sessionCases[0]
	_, in, out := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
	pipeAt(t, in, "a", "1", 0)
	pipeAt(t, in, "b", "1", 0)
	pipeAt(t, in, "c", "1", 0)
	testutil.AssertRecords(t, out, sess("a", 0, 0, 1), sess("b", 0, 0, 1), sess("c", 0, 0, 1))

	_, in, out = sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
	pipeAt(t, in, "a", "1", 0)
	pipeAt(t, in, "a", "1", 5)
	testutil.AssertRecords(t, out, sess("a", 0, 0, 1), sessTomb("a", 0, 0), sess("a", 0, 5, 2))
}

// Where caching changes the output (not a Kafka test; Kafka's CachingSessionStore.remove is a
// put of null into the cache): a record inside an existing session merges it into a session
// with the same window. Uncached, the removed session's tombstone is forwarded before the
// update; cached, the cache keeps only the last write to that window, so only the update
// is forwarded (with the old value read from the store when old values are sent).
func TestSessionMergeIntoSameWindowCachingDiffers(t *testing.T) {
	for _, c := range sessionCases[:2] {
		t.Run(c.name, func(t *testing.T) {
			_, in, out := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			pipeAt(t, in, "a", "1", 0)
			pipeAt(t, in, "a", "2", 10)
			pipeAt(t, in, "a", "3", 5)
			want := []sessionRec{sess("a", 0, 0, 1), sessTomb("a", 0, 0), sess("a", 0, 10, 2)}
			if !c.caching {
				want = append(want, sessTomb("a", 0, 10))
			}
			testutil.AssertRecords(t, out, append(want, sess("a", 0, 10, 3))...)
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingNullKeyWithBuiltInMetrics
// (and a record without a value, which Tributary skips too).
func TestSessionSkipNullKey(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			d, in, out := sessionCountDriver(t, topology.SessionWindowsWithNoGrace(time.Duration(gapMs)*time.Millisecond), c)
			must(t, in.PipeRecord(testutil.TestRecord[string, string]{NullKey: true, Value: "1", Timestamp: 0}))
			if n := d.DroppedRecords(); n != 1 {
				t.Errorf("dropped records = %d, want 1", n)
			}
			must(t, in.PipeRecord(testutil.TestRecord[string, string]{Key: "a", Tombstone: true, Timestamp: 0}))
			if n := d.DroppedRecords(); n != 2 {
				t.Errorf("dropped records = %d, want 2", n)
			}
			testutil.AssertRecords(t, out)
		})
	}
}

// KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithZeroGrace:
// gap 10 ms, no grace; after stream time 11 a record at 0 is late ("expiration=[1]").
func TestSessionSkipLateRecordWithZeroGrace(t *testing.T) {
	d, in, out := sessionCountDriver(t, topology.SessionWindowsWithGrace(10*time.Millisecond, 0), sessionCases[0])
	pipeAt(t, in, "dummy", "dummy", 0)
	pipeAt(t, in, "OnTime1", "1", 0)
	pipeAt(t, in, "dummy", "dummy", 11)
	pipeAt(t, in, "Late1", "1", 0)
	if n := d.DroppedRecords(); n != 1 {
		t.Errorf("dropped records = %d, want 1", n)
	}
	if got := sessionStoreOf(t, d, "session-store")("Late1", 0, 100); len(got) != 0 {
		t.Errorf("late record stored: %v", got)
	}
	testutil.AssertRecords(t, out, sess("dummy", 0, 0, 1), sess("OnTime1", 0, 0, 1), sess("dummy", 11, 11, 1))
}

// KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithNonzeroGrace:
// gap 10 ms, grace 1 ms; at stream time 11 a record at 0 is still on time, at 12 it is late.
func TestSessionSkipLateRecordWithNonzeroGrace(t *testing.T) {
	d, in, out := sessionCountDriver(t, topology.SessionWindowsWithGrace(10*time.Millisecond, time.Millisecond), sessionCases[0])
	pipeAt(t, in, "dummy", "dummy", 0)
	pipeAt(t, in, "OnTime1", "1", 0)
	pipeAt(t, in, "dummy", "dummy", 11)
	pipeAt(t, in, "OnTime2", "1", 0)
	pipeAt(t, in, "dummy", "dummy", 12)
	pipeAt(t, in, "Late1", "1", 0)
	if n := d.DroppedRecords(); n != 1 {
		t.Errorf("dropped records = %d, want 1", n)
	}
	testutil.AssertRecords(t, out, sess("dummy", 0, 0, 1), sess("OnTime1", 0, 0, 1), sess("dummy", 11, 11, 1),
		sess("OnTime2", 0, 0, 1), sessTomb("dummy", 11, 11), sess("dummy", 11, 12, 2))
}

// SessionWindowedKStreamImplTest's setup and processData: gap 500 ms, no grace; ("1","1",10),
// ("1","2",15), ("1","3",600), ("2","1",600), ("2","2",599).
func sessionImplData(t *testing.T, d *testutil.TopologyTestDriver) {
	in := testutil.CreateInputTopic(d, "input", serde.String, serde.String)
	pipeAt(t, in, "1", "1", 10)
	pipeAt(t, in, "1", "2", 15)
	pipeAt(t, in, "1", "3", 600)
	pipeAt(t, in, "2", "1", 600)
	pipeAt(t, in, "2", "2", 599)
}

func sessionImplStream(sb *topology.StreamsBuilder, emit topology.EmitStrategy) *topology.SessionWindowedKStream[string, string] {
	return topology.GroupByKey(topology.Stream(sb, "input", strs), topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}).
		WindowedBySession(topology.SessionWindowsWithNoGrace(500 * time.Millisecond)).EmitStrategy(emit)
}

type strSessionRec = testutil.TestRecord[serde.Windowed[string], string]

func strSess(key string, start, end int64, v string) strSessionRec {
	return strSessionRec{Key: win(key, start, end), Value: v, Timestamp: end}
}

func strSessTomb(key string, start, end int64) strSessionRec {
	return strSessionRec{Key: win(key, start, end), Tombstone: true, Timestamp: end}
}

// SessionWindowedKStreamImplTest.shouldCountSessionWindowedWithCachingDisabled and
// WithCachingEnabled (in both, the TopologyTestDriver flushes after every record).
func TestSessionCountSessionWindowed(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			topology.CountSessions(sessionImplStream(sb, c.emit), topology.Materialized[string, int64]{CachingDisabled: !c.caching}).ToStream().To("output")
			d := newDriver(t, sb)
			sessionImplData(t, d)
			out := testutil.CreateOutputTopic(d, "output", serde.SessionWindowed(serde.String), serde.Int64)
			if c.emit == topology.EmitOnWindowClose {
				testutil.AssertRecords(t, out, sess("1", 10, 15, 2))
				return
			}
			testutil.AssertRecords(t, out,
				sess("1", 10, 10, 1), sessTomb("1", 10, 10), sess("1", 10, 15, 2),
				sess("1", 600, 600, 1),
				sess("2", 600, 600, 1), sessTomb("2", 600, 600), sess("2", 599, 600, 2))
		})
	}
}

// SessionWindowedKStreamImplTest.shouldReduceWindowed (MockReducer.STRING_ADDER).
func TestSessionReduceWindowed(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			topology.ReduceSessions(sessionImplStream(sb, c.emit), func(agg, v string) string { return agg + "+" + v },
				topology.Materialized[string, string]{CachingDisabled: !c.caching}).ToStream().To("output")
			d := newDriver(t, sb)
			sessionImplData(t, d)
			out := testutil.CreateOutputTopic(d, "output", serde.SessionWindowed(serde.String), serde.String)
			if c.emit == topology.EmitOnWindowClose {
				testutil.AssertRecords(t, out, strSess("1", 10, 15, "1+2"))
				return
			}
			testutil.AssertRecords(t, out,
				strSess("1", 10, 10, "1"), strSessTomb("1", 10, 10), strSess("1", 10, 15, "1+2"),
				strSess("1", 600, 600, "3"),
				strSess("2", 600, 600, "1"), strSessTomb("2", 600, 600), strSess("2", 599, 600, "1+2"))
		})
	}
}

// SessionWindowedKStreamImplTest.shouldAggregateSessionWindowed (MockInitializer.STRING_INIT
// "0", MockAggregator.TOSTRING_ADDER agg+"+"+value, merger agg1+"+"+agg2).
func TestSessionAggregateSessionWindowed(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			aggregateSessions(sessionImplStream(sb, c.emit), topology.Materialized[string, string]{Keys: serde.String, Values: serde.String, CachingDisabled: !c.caching}).
				ToStream().To("output")
			d := newDriver(t, sb)
			sessionImplData(t, d)
			out := testutil.CreateOutputTopic(d, "output", serde.SessionWindowed(serde.String), serde.String)
			if c.emit == topology.EmitOnWindowClose {
				testutil.AssertRecords(t, out, strSess("1", 10, 15, "0+0+1+2"))
				return
			}
			testutil.AssertRecords(t, out,
				strSess("1", 10, 10, "0+1"), strSessTomb("1", 10, 10), strSess("1", 10, 15, "0+0+1+2"),
				strSess("1", 600, 600, "0+3"),
				strSess("2", 600, 600, "0+1"), strSessTomb("2", 600, 600), strSess("2", 599, 600, "0+0+1+2"))
		})
	}
}

func aggregateSessions(s *topology.SessionWindowedKStream[string, string], m topology.Materialized[string, string]) *topology.KTable[serde.Windowed[string], string] {
	return topology.AggregateSessions(s, func() string { return "0" },
		func(_ string, v, agg string) string { return agg + "+" + v },
		func(_ string, a, b string) string { return a + "+" + b }, m)
}

// fetchAll reads the sessions of keys "1" to "2" (Kafka's store.fetch("1", "2")).
func fetchAll[V any](t *testing.T, d *testutil.TopologyTestDriver, name string) []cursor.KeyValue[serde.Windowed[string], V] {
	t.Helper()
	st, err := testutil.SessionStore[string, V](d, name)
	must(t, err)
	from, to := "1", "2"
	c, err := st.FetchRange(&from, &to)
	must(t, err)
	got, err := cursor.Collect(c)
	must(t, err)
	return got
}

// SessionWindowedKStreamImplTest.shouldMaterializeCount, shouldMaterializeReduced and
// shouldMaterializeAggregated. The store's retention is gap + grace = 500 ms, so at stream
// time 600 the session [10, 15] has expired. Kafka's test expects it with emit on update, where
// the store is cached and Kafka's caching session store still returns the expired session
// from the cache; Tributary's session store hides expired sessions in the cache too, so both
// strategies give Kafka's emit-on-close list.
func TestSessionMaterialize(t *testing.T) {
	for _, c := range sessionCases {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			s := sessionImplStream(sb, c.emit)
			count := topology.CountSessions(s, topology.Materialized[string, int64]{Name: "count-store", CachingDisabled: !c.caching})
			topology.ReduceSessions(s, func(agg, v string) string { return agg + "+" + v }, topology.Materialized[string, string]{Name: "reduced", CachingDisabled: !c.caching})
			aggregateSessions(s, topology.Materialized[string, string]{Name: "aggregated", Values: serde.String, CachingDisabled: !c.caching})
			if count.StoreName() != "count-store" || !count.Queryable() {
				t.Errorf("StoreName() = %q, Queryable() = %v", count.StoreName(), count.Queryable())
			}
			d := newDriver(t, sb)
			sessionImplData(t, d)
			if got, want := fmt.Sprint(fetchAll[int64](t, d, "count-store")), fmt.Sprint([]cursor.KeyValue[serde.Windowed[string], int64]{
				{Key: win("1", 600, 600), Value: 1}, {Key: win("2", 599, 600), Value: 2}}); got != want {
				t.Errorf("count-store = %s, want %s", got, want)
			}
			if got, want := fmt.Sprint(fetchAll[string](t, d, "reduced")), fmt.Sprint([]cursor.KeyValue[serde.Windowed[string], string]{
				{Key: win("1", 600, 600), Value: "3"}, {Key: win("2", 599, 600), Value: "1+2"}}); got != want {
				t.Errorf("reduced = %s, want %s", got, want)
			}
			if got, want := fmt.Sprint(fetchAll[string](t, d, "aggregated")), fmt.Sprint([]cursor.KeyValue[serde.Windowed[string], string]{
				{Key: win("1", 600, 600), Value: "0+3"}, {Key: win("2", 599, 600), Value: "0+0+1+2"}}); got != want {
				t.Errorf("aggregated = %s, want %s", got, want)
			}
			// SessionWindowedKStreamImplTest.shouldNotEnableCachingWithEmitFinal: the cache is
			// on by default, and off with emit on close.
			st, err := testutil.SessionStore[string, string](d, "aggregated")
			must(t, err)
			if _, cached := kv.Find[*changelog.CachedEngine](st.Engine()); cached != (c.caching && c.emit == topology.EmitOnWindowUpdate) {
				t.Errorf("store cached: %v", cached)
			}
			if !st.Persistent() {
				t.Error("the default session store is not persistent")
			}
		})
	}
}

// The session store's retention is Materialized.Retention, or gap + grace
// (SessionStoreMaterializer.retentionPeriod); StoreInMemory gives an in-memory store. A
// store keeps the sessions that end at or after stream time − retention + 1.
func TestSessionStoreRetentionAndType(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s := topology.GroupByKey(topology.Stream(sb, "input", strs)).WindowedBySession(topology.SessionWindowsWithGrace(time.Second, 2*time.Second))
	topology.CountSessions(s, topology.Materialized[string, int64]{Name: "default", StoreType: topology.StoreInMemory})
	topology.CountSessions(s, topology.Materialized[string, int64]{Name: "given", Retention: time.Hour})
	d := newDriver(t, sb)
	pipeAt(t, testutil.CreateInputTopic(d, "input", serde.String, serde.String), "k", "v", 10_000)
	for name, want := range map[string]int64{"default": 10_000 - 3_000 + 1, "given": 10_000 - 3_600_000 + 1} {
		st, err := testutil.SessionStore[string, int64](d, name)
		must(t, err)
		if st.Persistent() != (name == "given") {
			t.Errorf("%s: persistent %v", name, st.Persistent())
		}
		if got := st.MinLiveTime(); got != want {
			t.Errorf("%s: MinLiveTime() = %d, want %d", name, got, want)
		}
	}
}

// Mistakes in session windows and their Materialized are reported by Build, naming them.
func TestSessionBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(*topology.StreamsBuilder)
		want string
	}{
		{"zero gap", func(sb *topology.StreamsBuilder) {
			topology.CountSessions(topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(0)), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
		}, "gap 0s must be at least 1ms"},
		{"sub-millisecond gap", func(sb *topology.StreamsBuilder) {
			topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Microsecond))
		}, "must be at least 1ms"},
		{"negative grace", func(sb *topology.StreamsBuilder) {
			topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithGrace(time.Second, -time.Second))
		}, "grace period -1s must not be negative"},
		{"short retention", func(sb *topology.StreamsBuilder) {
			s := topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithGrace(time.Second, time.Second))
			topology.CountSessions(s, topology.Materialized[string, int64]{Name: "s", Retention: time.Second})
		}, "the retention period of the session store s must be no smaller than the session inactivity gap plus the grace period. Got gap=[1000], grace=[1000], retention=[1000]"},
		{"lru", func(sb *topology.StreamsBuilder) {
			s := topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Second))
			topology.CountSessions(s, topology.Materialized[string, int64]{Name: "s", StoreType: topology.StoreLRU, LRUSize: 3})
		}, "StoreLRU is a key-value store type"},
		{"nil reducer", func(sb *topology.StreamsBuilder) {
			s := topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Second))
			topology.ReduceSessions(s, nil, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
		}, "nil reducer"},
		{"nil merger", func(sb *topology.StreamsBuilder) {
			s := topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Second))
			topology.AggregateSessions(s, func() string { return "" }, func(_, _, a string) string { return a }, nil,
				topology.Materialized[string, string]{Values: serde.String, StoreType: topology.StoreInMemory})
		}, "nil initializer, aggregator or session merger"},
		{"no value serde", func(sb *topology.StreamsBuilder) {
			s := topology.GroupByKey(topology.Stream(sb, "in", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Second))
			topology.AggregateSessions(s, func() int { return 0 }, func(_, _ string, a int) int { return a }, func(_ string, a, b int) int { return a + b },
				topology.Materialized[string, int]{StoreType: topology.StoreInMemory})
		}, "has no key or value serde"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			tc.add(sb)
			if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// Old values (Kafka's KStreamSessionWindowAggregate.enableSendingOldValues, asked for by a
// KTable filter downstream): a merged-away session's tombstone carries its aggregate, an
// update carries none uncached (Kafka forwards Change(agg, null)) and the stored aggregate
// cached (CachingSessionStore reads it at flush). KTableFilter then drops the updates that
// are out of the filtered table before and after.
func TestSessionSendOldValuesThroughFilter(t *testing.T) {
	for _, c := range sessionCases[:2] {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			ws := topology.GroupByKey(topology.Stream(sb, "input", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Minute))
			topology.CountSessions(ws, topology.Materialized[string, int64]{StoreType: topology.StoreInMemory, CachingDisabled: !c.caching}).
				Filter(func(_ serde.Windowed[string], n int64) bool { return n >= 2 }).
				ToStream().To("output")
			d := newDriver(t, sb)
			in := testutil.CreateInputTopic(d, "input", serde.String, serde.String)
			pipeAt(t, in, "a", "1", 0) // [0,0]→1: out of the filtered table before and after
			pipeAt(t, in, "a", "2", 5) // tombstone [0,0] (old 1: dropped), [0,5]→2
			pipeAt(t, in, "a", "3", 3) // [0,5] merged into [0,5]
			want := []sessionRec{sess("a", 0, 5, 2)}
			if !c.caching {
				want = append(want, sessTomb("a", 0, 5)) // old 2 was in the filtered table
			}
			want = append(want, sess("a", 0, 5, 3))
			testutil.AssertRecords(t, testutil.CreateOutputTopic(d, "output", serde.SessionWindowed(serde.String), serde.Int64), want...)
		})
	}
}

// Materialized.SessionSupplier supplies the store (Kafka's Materialized.as(
// SessionBytesStoreSupplier)), naming it; its name must match Materialized.Name, and its
// retention cover gap + grace.
func TestSessionSupplier(t *testing.T) {
	sup, err := session.InMemorySupplier("supplied", session.Options{Retention: time.Hour})
	must(t, err)
	sb := topology.NewStreamsBuilder()
	ws := topology.GroupByKey(topology.Stream(sb, "input", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Minute))
	tbl := topology.CountSessions(ws, topology.Materialized[string, int64]{SessionSupplier: sup})
	if tbl.StoreName() != "supplied" || !tbl.Queryable() {
		t.Errorf("StoreName() = %q, Queryable() = %v", tbl.StoreName(), tbl.Queryable())
	}
	d := newDriver(t, sb)
	pipeAt(t, testutil.CreateInputTopic(d, "input", serde.String, serde.String), "k", "v", 1000)
	if got := sessionStoreOf(t, d, "supplied")("k", 0, 2000); len(got) != 1 || got[0].Value != 1 {
		t.Errorf("sessions = %v", got)
	}

	for _, tc := range []struct {
		m    topology.Materialized[string, int64]
		gap  time.Duration
		want string
	}{
		{topology.Materialized[string, int64]{Name: "other", SessionSupplier: sup}, time.Minute, `names the session store "other" but its SessionSupplier supplies "supplied"`},
		{topology.Materialized[string, int64]{SessionSupplier: sup}, 2 * time.Hour, "has retention 1h0m0s, smaller than the session inactivity gap plus the grace period (2h0m0s)"},
	} {
		sb := topology.NewStreamsBuilder()
		ws := topology.GroupByKey(topology.Stream(sb, "input", strs)).WindowedBySession(topology.SessionWindowsWithNoGrace(tc.gap))
		topology.CountSessions(ws, tc.m)
		if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build() = %v, want an error containing %q", err, tc.want)
		}
	}
}
