package session_test

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/session"
)

type win = serde.Windowed[string]

func openMem(t testing.TB, opts session.Options) *session.Store[string, int64] {
	t.Helper()
	sup, err := session.InMemorySupplier("sessions", opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := session.NewBuilder(sup, serde.String, serde.Int64).Build("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*session.Store[string, int64])
}

// counting is Kafka's count(): Init 0, Add +1, Merge a+b.
func counting(gap, grace time.Duration) session.Aggregator[string, string, int64] {
	return session.Aggregator[string, string, int64]{
		Gap:   gap,
		Grace: grace,
		Init:  func() int64 { return 0 },
		Add:   func(_ string, _ string, agg int64) int64 { return agg + 1 },
		Merge: func(_ string, a, b int64) int64 { return a + b },
	}
}

// forwarded is what Kafka's KStreamSessionWindowAggregate forwards for a record: a
// tombstone for each removed session, then the merged session, each with the session's end
// as timestamp (a nil value is a tombstone).
type forwarded struct {
	Session win
	Value   *int64
	TS      int64
}

func forwards(r session.Result[string, int64]) []forwarded {
	if r.Dropped {
		return nil
	}
	var out []forwarded
	for _, rm := range r.Removed {
		out = append(out, forwarded{rm.Key, nil, rm.Key.End})
	}
	return append(out, forwarded{r.Session, &r.Value, r.Session.End})
}

func fwd(key string, start, end int64, v int64) forwarded {
	return forwarded{win{Key: key, Start: start, End: end}, &v, end}
}

func tomb(key string, start, end int64) forwarded {
	return forwarded{win{Key: key, Start: start, End: end}, nil, end}
}

// processor applies records to a store as Kafka's KStreamSessionWindowAggregate processor
// does, tracking stream time and collecting what it forwards.
type processor struct {
	t      *testing.T
	s      *session.Store[string, int64]
	agg    session.Aggregator[string, string, int64]
	stream int64
	out    []forwarded
}

func (p *processor) process(key string, ts int64) session.Result[string, int64] {
	p.t.Helper()
	p.stream = max(p.stream, ts)
	r, err := session.Merge(p.s, p.agg, key, "v", ts, p.stream)
	if err != nil {
		p.t.Fatalf("Merge(%q, %d): %v", key, ts, err)
	}
	p.out = append(p.out, forwards(r)...)
	return r
}

// sessions returns a function that reads a cursor (sessions(t)(s.Fetch(k))).
func sessions(t *testing.T) func(c cursor.Cursor[win, int64], err error) []cursor.KeyValue[win, int64] {
	return func(c cursor.Cursor[win, int64], err error) []cursor.KeyValue[win, int64] {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		items, err := cursor.Collect(c)
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
}

func kvw(key string, start, end, v int64) cursor.KeyValue[win, int64] {
	return cursor.KeyValue[win, int64]{Key: win{Key: key, Start: start, End: end}, Value: v}
}

// The seed's example (kstreams-clj, "Persistent session stores"): "For the same key, with an
// interval of 5 seconds, let us suppose we receive values at time 10, 12 and 20. There is a
// gap of more than 5 seconds between event 2 and 3. Hence, event 3 would be part of another
// session. Now let us suppose a 4th event arrives out of order with a timestamp of 16. Now,
// all 4 events would merge into the same session as no event is more than 5 seconds away
// from another one." DESIGN.md: find sessions in [ts−gap, ts+gap], merge with [ts, ts],
// forward a tombstone for each merged-away session, then the merged aggregate.
func TestMergeSeedExample(t *testing.T) {
	p := &processor{t: t, s: openMem(t, session.Options{}), agg: counting(5*time.Second, 0), stream: math.MinInt64}
	p.process("user", 10_000)
	p.process("user", 12_000)
	p.process("user", 20_000)
	if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("user", 10_000, 12_000, 2), kvw("user", 20_000, 20_000, 1)}, sessions(t)(p.s.Fetch("user"))); diff != "" {
		t.Fatalf("after 10 s, 12 s, 20 s: two sessions (-want +got):\n%s", diff)
	}
	late := p.process("user", 16_000)
	if late.Dropped {
		t.Fatal("the event at 16 s was dropped")
	}
	if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("user", 10_000, 20_000, 4)}, sessions(t)(p.s.Fetch("user"))); diff != "" {
		t.Fatalf("after the late event at 16 s: one session (-want +got):\n%s", diff)
	}
	want := []forwarded{
		fwd("user", 10_000, 10_000, 1), // 10 s: a new session
		tomb("user", 10_000, 10_000),   // 12 s: within 5 s of 10 s, merged
		fwd("user", 10_000, 12_000, 2),
		fwd("user", 20_000, 20_000, 1), // 20 s: 8 s after 12 s, a session of its own
		tomb("user", 10_000, 12_000),   // 16 s: within 5 s of both
		tomb("user", 20_000, 20_000),
		fwd("user", 10_000, 20_000, 4),
	}
	if diff := cmp.Diff(want, p.out); diff != "" {
		t.Errorf("forwarded records (-want +got):\n%s", diff)
	}
}

// Kafka's KStreamSessionWindowAggregateProcessorTest, over the store (GAP_MS = 5 minutes,
// retention GAP_MS × 3).
func TestMergeKafkaSessionWindowAggregate(t *testing.T) {
	const gap = int64(5 * 60 * 1000)
	newProc := func(t *testing.T) *processor {
		return &processor{t: t, s: openMem(t, session.Options{Retention: 3 * time.Duration(gap) * time.Millisecond}), agg: counting(time.Duration(gap)*time.Millisecond, 0)}
	}
	t.Run("shouldCreateSingleSessionWhenWithinGap", func(t *testing.T) {
		p := newProc(t)
		p.process("john", 0)
		p.process("john", 500)
		if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("john", 0, 500, 2)}, sessions(t)(p.s.FindSessions("john", 0, 2000))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("shouldMergeSessions", func(t *testing.T) {
		p := newProc(t)
		p.process("mel", 0)
		p.process("mel", gap+1) // beyond the gap: a second session
		if n := len(sessions(t)(p.s.FindSessions("mel", 0, 0))); n != 1 {
			t.Errorf("the first session is gone (%d)", n)
		}
		p.process("mel", gap/2) // back in time, within the gap of both
		if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("mel", 0, gap+1, 3)}, sessions(t)(p.s.FindSessions("mel", 0, gap+1))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("shouldUpdateSessionIfTheSameTime", func(t *testing.T) {
		p := newProc(t)
		p.process("mel", 0)
		r := p.process("mel", 0)
		if len(r.Removed) != 0 {
			t.Errorf("Removed = %v: the session [0, 0] is updated, not merged away", r.Removed)
		}
		if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("mel", 0, 0, 2)}, sessions(t)(p.s.FindSessions("mel", 0, 0))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("shouldHaveMultipleSessionsForSameIdWhenTimestampApartBySessionGap", func(t *testing.T) {
		p := newProc(t)
		t1, t2 := gap+1, 2*(gap+1)
		p.process("mel", 0)
		p.process("mel", t1)
		p.process("mel", t1)
		p.process("mel", t2)
		p.process("mel", t2)
		p.process("mel", t2)
		// Kafka's expectation is the cached store's flushed output: the last value of each.
		want := []cursor.KeyValue[win, int64]{kvw("mel", 0, 0, 1), kvw("mel", t1, t1, 2), kvw("mel", t2, t2, 3)}
		if diff := cmp.Diff(want, sessions(t)(p.s.Fetch("mel"))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("shouldRemoveMergedSessionsFromStateStore", func(t *testing.T) {
		p := newProc(t)
		p.process("a", 0)
		p.process("a", 100)
		if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("a", 0, 100, 2)}, sessions(t)(p.s.FindSessions("a", 0, 100))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("shouldHandleMultipleSessionsAndMerging", func(t *testing.T) {
		p := newProc(t)
		for _, k := range []string{"a", "b", "c", "d"} {
			p.process(k, 0)
		}
		p.process("d", gap/2)
		p.process("a", gap+1)
		p.process("b", gap+1)
		p.process("a", gap+1+gap/2)
		p.process("c", gap+1+gap/2)
		// Kafka's expectation (cached, so one record per session): the final sessions.
		want := []cursor.KeyValue[win, int64]{
			kvw("a", 0, 0, 1), kvw("a", gap+1, gap+1+gap/2, 2),
			kvw("b", 0, 0, 1), kvw("b", gap+1, gap+1, 1),
			kvw("c", 0, 0, 1), kvw("c", gap+1+gap/2, gap+1+gap/2, 1),
			kvw("d", 0, gap/2, 2),
		}
		if diff := cmp.Diff(want, sessions(t)(p.s.FetchRange(nil, nil))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("shouldImmediatelyForwardRemovedSessionsWhenMerging", func(t *testing.T) {
		p := newProc(t)
		p.process("a", 0)
		p.process("a", 5)
		want := []forwarded{fwd("a", 0, 0, 1), tomb("a", 0, 0), fwd("a", 0, 5, 2)}
		if diff := cmp.Diff(want, p.out); diff != "" {
			t.Error(diff)
		}
	})
}

// A record inside an existing session: Kafka forwards a tombstone for the session and then
// its update; the store overwrites it.
func TestMergeInsideSession(t *testing.T) {
	p := &processor{t: t, s: openMem(t, session.Options{}), agg: counting(10*time.Millisecond, 0)}
	p.process("k", 100)
	p.process("k", 108)
	p.out = nil
	r := p.process("k", 104)
	want := []forwarded{tomb("k", 100, 108), fwd("k", 100, 108, 3)}
	if diff := cmp.Diff(want, p.out); diff != "" {
		t.Errorf("forwarded (-want +got):\n%s", diff)
	}
	if len(r.Removed) != 1 || r.Removed[0].Value != 2 {
		t.Errorf("Removed = %v, want the session with its old count 2", r.Removed)
	}
	if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("k", 100, 108, 3)}, sessions(t)(p.s.Fetch("k"))); diff != "" {
		t.Error(diff)
	}
	// Exactly gap apart still merges (inclusive bounds): 108 + 10.
	p.process("k", 118)
	if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("k", 100, 118, 4)}, sessions(t)(p.s.Fetch("k"))); diff != "" {
		t.Error(diff)
	}
	// One ms more does not.
	p.process("k", 129)
	if got := len(sessions(t)(p.s.Fetch("k"))); got != 2 {
		t.Errorf("%d sessions, want 2", got)
	}
}

// Kafka's late-record check: a record whose merged session ends before stream time − grace −
// gap is dropped (KStreamSessionWindowAggregate, "Skipping record for expired window").
func TestMergeLateRecords(t *testing.T) {
	for _, grace := range []time.Duration{0, 5 * time.Millisecond} {
		t.Run(fmt.Sprint("grace ", grace), func(t *testing.T) {
			g := grace.Milliseconds()
			p := &processor{t: t, s: openMem(t, session.Options{}), agg: counting(10*time.Millisecond, grace)}
			p.process("dummy", 100) // stream time 100: close time 90 − grace
			r := p.process("late", 89-g)
			if !r.Dropped {
				t.Errorf("a record at %d with stream time 100: not dropped", 89-g)
			}
			if n := len(sessions(t)(p.s.Fetch("late"))); n != 0 {
				t.Errorf("a dropped record was written (%d sessions)", n)
			}
			if r := p.process("ontime", 90-g); r.Dropped {
				t.Errorf("a record at the close time %d was dropped", 90-g)
			}
			// A late record that merges into a session ending after the close time is kept:
			// the merged session's end counts.
			p.process("merge", 92)
			if r := p.process("merge", 88-g); r.Dropped || r.Session.Start != 88-g || r.Session.End != 92 {
				t.Errorf("a late record merging into a live session: %+v", r)
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	s := openMem(t, session.Options{})
	good := counting(time.Second, 0)
	for name, a := range map[string]session.Aggregator[string, string, int64]{
		"zero gap":       func() session.Aggregator[string, string, int64] { a := good; a.Gap = 0; return a }(),
		"negative grace": func() session.Aggregator[string, string, int64] { a := good; a.Grace = -1; return a }(),
		"no Init":        func() session.Aggregator[string, string, int64] { a := good; a.Init = nil; return a }(),
		"no Merge":       func() session.Aggregator[string, string, int64] { a := good; a.Merge = nil; return a }(),
	} {
		var se *store.Error
		if _, err := session.Merge(s, a, "k", "v", 10, 10); !errors.As(err, &se) || se.Op != "merge" || se.Store != "sessions" {
			t.Errorf("%s: %v, want a *store.Error with op merge", name, err)
		}
	}
	// A negative timestamp makes an invalid session (Kafka's Window refuses it).
	if _, err := session.Merge(s, good, "k", "v", -1, 0); !errors.Is(err, session.ErrInvalidSession) {
		t.Errorf("Merge at -1: %v, want ErrInvalidSession", err)
	}
	s.Close()
	if _, err := session.Merge(s, good, "k", "v", 10, 10); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Merge on a closed store: %v", err)
	}
}
