package windowtest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/window"
)

// Model is the reference window store of [RunModel]: a map from (key, window start, sequence
// number) to value, with Kafka's retention applied at segment granularity (a put advances
// the observed stream time, entries of segments older than segmentId(observed − retention)
// are dropped, and a put into such a segment is dropped and counted) and reads that start
// at observed − retention + 1.
type Model struct {
	retention, interval int64
	dups                bool
	entries             map[modelKey]int64
	observed            int64
	expired             int64
	seq                 int32
}

type modelKey struct {
	k   string
	ts  int64
	seq int32
}

// NewModel returns an empty reference store.
func NewModel(opts window.Options) *Model {
	return &Model{
		retention: opts.RetentionMs(), interval: opts.SegmentIntervalMs(), dups: opts.RetainDuplicates,
		entries: map[modelKey]int64{}, observed: math.MinInt64,
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (m *Model) minLiveSegment() int64 {
	if m.observed == math.MinInt64 {
		return math.MinInt64
	}
	return floorDiv(m.observed-m.retention, m.interval)
}

// MinLiveTime is the earliest window start reads return.
func (m *Model) MinLiveTime() int64 {
	if m.observed == math.MinInt64 {
		return 0
	}
	return max(m.observed-m.retention+1, 0)
}

// Put applies a put of v for k in the window starting at ts.
func (m *Model) Put(k string, ts, v int64) {
	if m.dups {
		m.seq = (m.seq + 1) & window.MaxSeqnum
	}
	m.observed = max(m.observed, ts)
	minSeg := m.minLiveSegment()
	for mk := range m.entries {
		if floorDiv(mk.ts, m.interval) < minSeg {
			delete(m.entries, mk)
		}
	}
	if floorDiv(ts, m.interval) < minSeg {
		m.expired++
		return
	}
	m.entries[modelKey{k, ts, m.seq}] = v
}

// PutTombstone applies a tombstone put (ignored with duplicates).
func (m *Model) PutTombstone(k string, ts int64) {
	if !m.dups {
		delete(m.entries, modelKey{k, ts, 0})
	}
}

// Get is Kafka's fetch(key, time): the entry at the current sequence number.
func (m *Model) Get(k string, ts int64) (int64, bool) {
	if ts < m.MinLiveTime() {
		return 0, false
	}
	v, ok := m.entries[modelKey{k, ts, m.seq}]
	return v, ok
}

// Select returns the live entries that keep selects with window starts in [from, to], in
// store-key order (descending if reverse).
func (m *Model) Select(keep func(k string) bool, from, to int64, reverse bool) []cursor.KeyValue[serde.Windowed[string], int64] {
	from = max(from, m.MinLiveTime())
	var sel []modelKey
	for mk := range m.entries {
		if keep(mk.k) && mk.ts >= from && mk.ts <= to {
			sel = append(sel, mk)
		}
	}
	slices.SortFunc(sel, func(a, b modelKey) int {
		return bytes.Compare(window.ToStoreKey([]byte(a.k), a.ts, a.seq), window.ToStoreKey([]byte(b.k), b.ts, b.seq))
	})
	if reverse {
		slices.Reverse(sel)
	}
	var out []cursor.KeyValue[serde.Windowed[string], int64]
	for _, mk := range sel {
		out = append(out, cursor.KeyValue[serde.Windowed[string], int64]{Key: serde.Windowed[string]{Key: mk.k, Start: mk.ts}, Value: m.entries[mk]})
	}
	return out
}

// Seed returns the seed for random tests: $TRIBUTARY_SEED if set, else def.
func Seed(t testing.TB, def uint64) uint64 {
	if s := os.Getenv("TRIBUTARY_SEED"); s != "" {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			def = v
		}
	}
	t.Logf("seed %d (set TRIBUTARY_SEED to replay)", def)
	return def
}

// randomKey returns a short key over an alphabet that exercises byte order, prefixes and the
// variable-length caveat: 0x00, 0x01, 'a', 'b' and 0xff, of length 0 to 3.
func randomKey(rng *rand.Rand) string {
	const alphabet = "\x00\x01ab\xff"
	k := make([]byte, rng.IntN(4))
	for i := range k {
		k[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(k)
}

// RunModel applies ops random operations to a store over supply's engines and to a
// [Model], comparing every result, once without and once with retained duplicates: puts
// ahead of, at and behind the stream time (some into expired segments), tombstones, gets,
// single-key fetches, key ranges with open and closed bounds, FetchAll and All, each in
// both directions; ExpiredRecords and ObservedStreamTime after every put. Windows are
// 10 ms, the retention 120 s, segments 60 s; stream time advances by about 1.4 s an
// operation, so a run creates and drops about ops/40 segments.
func RunModel(t *testing.T, supply Supply, ops int) {
	for _, dups := range []bool{false, true} {
		t.Run(fmt.Sprintf("RetainDuplicates=%v", dups), func(t *testing.T) {
			runModel(t, supply, ops, dups)
		})
	}
}

func runModel(t *testing.T, supply Supply, ops int, dups bool) {
	const size = 10
	opts := window.Options{WindowSize: size * time.Millisecond, Retention: 120 * time.Second, Segments: 3, RetainDuplicates: dups}
	s := Open(t, supply, opts, serde.String, serde.Int64)
	ref := NewModel(opts)
	rng := rand.New(rand.NewPCG(Seed(t, 20261122), 5))
	now := int64(0)
	timeAround := func() int64 {
		switch r := rng.IntN(10); {
		case r < 5: // late, possibly expired
			return max(now-rng.Int64N(200_000), 0)
		case r < 6: // exactly at the retention boundary, or just inside
			return max(now-120_000+rng.Int64N(2), 0)
		default: // ahead
			return now + rng.Int64N(4_000)
		}
	}
	span := func() (int64, int64) {
		switch rng.IntN(10) {
		case 0:
			return 0, math.MaxInt64
		case 1: // from > to
			from := now - rng.Int64N(100_000)
			return from, from - 1 - rng.Int64N(1000)
		default:
			from := now - rng.Int64N(200_000)
			return from, from + rng.Int64N(150_000)
		}
	}
	bound := func() *string {
		if rng.IntN(5) == 0 {
			return nil
		}
		return new(randomKey(rng))
	}
	diff := func(i int, what string, got, want any) {
		t.Helper()
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("op %d: %s (-want +got):\n%s", i, what, d)
		}
	}
	withEnds := func(items []cursor.KeyValue[serde.Windowed[string], int64]) []cursor.KeyValue[serde.Windowed[string], int64] {
		for i := range items {
			items[i].Key.End = window.End(items[i].Key.Start, size*time.Millisecond)
		}
		return orEmpty(items)
	}
	for i := 0; i < ops; i++ {
		k := randomKey(rng)
		switch op := rng.IntN(100); {
		case op < 40:
			ts, v := timeAround(), rng.Int64N(1000)
			if err := s.Put(k, v, ts); err != nil {
				t.Fatalf("op %d Put(%q, %d, %d): %v", i, k, v, ts, err)
			}
			ref.Put(k, ts, v)
			now = max(now, ts)
			diff(i, "ExpiredRecords", s.ExpiredRecords(), ref.expired)
			diff(i, "ObservedStreamTime", s.ObservedStreamTime(), ref.observed)
		case op < 48:
			ts := timeAround()
			if err := s.PutTombstone(k, ts); err != nil {
				t.Fatalf("op %d PutTombstone: %v", i, err)
			}
			ref.PutTombstone(k, ts)
		case op < 58:
			ts := timeAround()
			if rng.IntN(2) == 0 { // a key and window that exist, when there is one
				for mk := range ref.entries {
					k, ts = mk.k, mk.ts
					break
				}
			}
			v, found, err := s.Get(k, ts)
			wv, wfound := ref.Get(k, ts)
			if err != nil || found != wfound || v != wv {
				t.Fatalf("op %d Get(%q, %d) = %d, %v, %v; want %d, %v", i, k, ts, v, found, err, wv, wfound)
			}
		case op < 70:
			from, to := span()
			reverse := rng.IntN(2) == 0
			var c cursor.Cursor[int64, int64]
			var err error
			if reverse {
				c, err = s.BackwardFetch(k, from, to)
			} else {
				c, err = s.Fetch(k, from, to)
			}
			got := orEmpty(collect(t, c, err))
			want := []startI64{}
			for _, it := range ref.Select(func(x string) bool { return x == k }, from, to, reverse) {
				want = append(want, sv(it.Key.Start, it.Value))
			}
			diff(i, fmt.Sprintf("Fetch(%q, %d, %d, reverse=%v)", k, from, to, reverse), got, want)
		case op < 84:
			from, to := bound(), bound()
			tf, tt := span()
			reverse := rng.IntN(2) == 0
			var c cursor.Cursor[serde.Windowed[string], int64]
			var err error
			if reverse {
				c, err = s.BackwardFetchKeyRange(from, to, tf, tt)
			} else {
				c, err = s.FetchKeyRange(from, to, tf, tt)
			}
			want := ref.Select(func(x string) bool { return (from == nil || x >= *from) && (to == nil || x <= *to) }, tf, tt, reverse)
			diff(i, fmt.Sprintf("FetchKeyRange(%s, %s, %d, %d, reverse=%v)", show(from), show(to), tf, tt, reverse), orEmpty(collect(t, c, err)), withEnds(want))
		case op < 92:
			tf, tt := span()
			reverse := rng.IntN(2) == 0
			var c cursor.Cursor[serde.Windowed[string], int64]
			var err error
			if reverse {
				c, err = s.BackwardFetchAll(tf, tt)
			} else {
				c, err = s.FetchAll(tf, tt)
			}
			want := ref.Select(func(string) bool { return true }, tf, tt, reverse)
			diff(i, fmt.Sprintf("FetchAll(%d, %d, reverse=%v)", tf, tt, reverse), orEmpty(collect(t, c, err)), withEnds(want))
		case op < 97:
			reverse := rng.IntN(2) == 0
			var c cursor.Cursor[serde.Windowed[string], int64]
			var err error
			if reverse {
				c, err = s.BackwardAll()
			} else {
				c, err = s.All()
			}
			want := ref.Select(func(string) bool { return true }, 0, math.MaxInt64, reverse)
			diff(i, fmt.Sprintf("All(reverse=%v)", reverse), orEmpty(collect(t, c, err)), withEnds(want))
		default:
			now += rng.Int64N(100_000) // the next puts ahead jump forward
		}
	}
}
