package sessiontest

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv/kvtest"
	"github.com/tributary-go/tributary/store/session"
)

// Model is a plain reference session store: a map of sessions with Kafka's retention rules
// at segment granularity (a put whose segment is older than the segment of observed − retention
// is dropped and counted; reads hide sessions that end before observed − retention + 1).
type Model struct {
	retention, interval int64
	observed            int64
	expired             int64
	m                   map[string]int64 // by composite key
}

// NewModel returns an empty reference with retention and segment interval in ms.
func NewModel(retention, interval int64) *Model {
	return &Model{retention: retention, interval: interval, observed: math.MinInt64, m: map[string]int64{}}
}

func (m *Model) segment(ts int64) int64 {
	id := ts / m.interval
	if ts < 0 && ts%m.interval != 0 {
		id--
	}
	return id
}

// Put writes a session, unless its segment has expired.
func (m *Model) Put(w serde.Windowed[string], v int64) {
	if w.End > m.observed {
		m.observed = w.End
		// Drop the expired segments' sessions (they are hidden from reads already).
		for c := range m.m {
			if _, _, end, _ := session.FromBinary([]byte(c)); m.segment(end) < m.segment(m.observed-m.retention) {
				delete(m.m, c)
			}
		}
	}
	if m.segment(w.End) < m.segment(m.observed-m.retention) {
		m.expired++
		return
	}
	m.m[string(session.ToBinary([]byte(w.Key), w.Start, w.End))] = v
}

// Remove deletes a session.
func (m *Model) Remove(w serde.Windowed[string]) {
	delete(m.m, string(session.ToBinary([]byte(w.Key), w.Start, w.End)))
}

// Expired returns the number of puts dropped.
func (m *Model) Expired() int64 { return m.expired }

func (m *Model) minLive() int64 {
	if m.observed == math.MinInt64 {
		return math.MinInt64
	}
	return m.observed - m.retention + 1
}

// FetchSession returns a live session's value.
func (m *Model) FetchSession(key string, start, end int64) (int64, bool) {
	if end < m.minLive() {
		return 0, false
	}
	v, ok := m.m[string(session.ToBinary([]byte(key), start, end))]
	return v, ok
}

// Find returns the live sessions of the keys in [from, to] (nil open) that end at or after
// earliestEnd and start at or before latestStart, in composite key order.
func (m *Model) Find(from, to *string, earliestEnd, latestStart int64, reverse bool) []kvs {
	keys := make([]string, 0, len(m.m))
	for k := range m.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	var out []kvs
	for _, c := range keys {
		kb, start, end, _ := session.FromBinary([]byte(c))
		if end < max(earliestEnd, m.minLive()) || start > latestStart {
			continue
		}
		if (from != nil && bytes.Compare(kb, []byte(*from)) < 0) || (to != nil && bytes.Compare(kb, []byte(*to)) > 0) {
			continue
		}
		out = append(out, item(string(kb), start, end, m.m[c]))
	}
	return out
}

// RunModel runs ops random operations on a store of newSupplier and on a [Model], and checks
// that every read agrees: puts (stream time mostly advancing, sometimes going back, some puts
// into expired segments), removes, FetchSession, FindSessions, FindSessionsKeyRange, Fetch and
// FetchRange in both directions, over keys of different lengths that share prefixes (so that
// their composite keys interleave), and the expired-record count.
func RunModel(t *testing.T, newSupplier NewSupplier, ops int) {
	const retention, interval = 1000, 300
	s := Open(t, newSupplier, "model", session.Options{Retention: retention * time.Millisecond, SegmentInterval: interval * time.Millisecond}, t.TempDir(), serde.String, serde.Int64)
	ref := NewModel(retention, interval)
	rng := rand.New(rand.NewPCG(kvtest.Seed(t, 20261205), 5))
	// Keys that extend others by zero bytes interleave with their composite keys' times.
	keys := []string{"", "\x00", "a", "a\x00", "a\x00\x00\x00\x00\x00\x00", "a\x00\x00\x00\x00\x00\x00\x01", "aa", "ab", "b", "ba", "b\xff"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	bound := func() *string {
		if rng.IntN(5) == 0 {
			return nil
		}
		return new(key())
	}
	var base int64
	var live []serde.Windowed[string]
	when := func() int64 { return max(0, base+rng.Int64N(1800)-1500) }
	for i := range ops {
		base += rng.Int64N(12)
		switch op := rng.IntN(100); {
		case op < 35:
			end := when()
			sw := w(key(), max(0, end-rng.Int64N(400)), end)
			v := rng.Int64N(1000)
			if err := s.Put(sw, v); err != nil {
				t.Fatalf("op %d Put(%v): %v", i, sw, err)
			}
			ref.Put(sw, v)
			live = append(live, sw)
		case op < 45:
			sw := w(key(), 10, 20)
			if len(live) > 0 && rng.IntN(4) > 0 {
				sw = live[rng.IntN(len(live))]
			}
			if err := s.Remove(sw); err != nil {
				t.Fatalf("op %d Remove(%v): %v", i, sw, err)
			}
			ref.Remove(sw)
		case op < 55:
			sw := w(key(), 10, 20)
			if len(live) > 0 && rng.IntN(4) > 0 {
				sw = live[rng.IntN(len(live))]
			}
			v, ok, err := s.FetchSession(sw.Key, sw.Start, sw.End)
			wv, wok := ref.FetchSession(sw.Key, sw.Start, sw.End)
			if err != nil || ok != wok || v != wv {
				t.Fatalf("op %d FetchSession(%v) = %d, %v, %v; want %d, %v", i, sw, v, ok, err, wv, wok)
			}
		case op < 70:
			k, e, l, back := key(), when(), when(), rng.IntN(2) == 0
			find := s.FindSessions
			if back {
				find = s.BackwardFindSessions
			}
			c, err := find(k, e, l)
			got := collect(t, "FindSessions", c, err)
			if diff := cmp.Diff(ref.Find(&k, &k, e, l, back), got); diff != "" {
				t.Fatalf("op %d FindSessions(%q, %d, %d, backward=%v) (-want +got):\n%s", i, k, e, l, back, diff)
			}
		case op < 85:
			from, to, e, l, back := bound(), bound(), when(), when(), rng.IntN(2) == 0
			find := s.FindSessionsKeyRange
			if back {
				find = s.BackwardFindSessionsKeyRange
			}
			c, err := find(from, to, e, l)
			got := collect(t, "FindSessionsKeyRange", c, err)
			if diff := cmp.Diff(ref.Find(from, to, e, l, back), got); diff != "" {
				t.Fatalf("op %d FindSessionsKeyRange(%v, %v, %d, %d, backward=%v) (-want +got):\n%s", i, from, to, e, l, back, diff)
			}
		case op < 92:
			k, back := key(), rng.IntN(2) == 0
			fetch := s.Fetch
			if back {
				fetch = s.BackwardFetch
			}
			c, err := fetch(k)
			got := collect(t, "Fetch", c, err)
			if diff := cmp.Diff(ref.Find(&k, &k, math.MinInt64, math.MaxInt64, back), got); diff != "" {
				t.Fatalf("op %d Fetch(%q, backward=%v) (-want +got):\n%s", i, k, back, diff)
			}
		default:
			from, to, back := bound(), bound(), rng.IntN(2) == 0
			fetch := s.FetchRange
			if back {
				fetch = s.BackwardFetchRange
			}
			c, err := fetch(from, to)
			got := collect(t, "FetchRange", c, err)
			if diff := cmp.Diff(ref.Find(from, to, math.MinInt64, math.MaxInt64, back), got); diff != "" {
				t.Fatalf("op %d FetchRange(%v, %v, backward=%v) (-want +got):\n%s", i, from, to, back, diff)
			}
		}
		if len(live) > 200 {
			live = live[100:]
		}
		if s.ExpiredRecords() != ref.Expired() {
			t.Fatalf("op %d: ExpiredRecords() = %d, want %d", i, s.ExpiredRecords(), ref.Expired())
		}
	}
	if ref.Expired() == 0 || s.DroppedSegments() == 0 {
		t.Errorf("the run dropped %d puts and %d segments: it does not exercise retention", ref.Expired(), s.DroppedSegments())
	}
	if n := s.OpenCursors(); n != 0 {
		t.Errorf("OpenCursors() = %d at the end", n)
	}
}
