package sessiontest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
)

// The benchmark workload: benchKeys keys, each with benchSessions sessions of 1 s spread over
// three 1-minute segments (retention 3 minutes), as a session aggregation leaves them.
const (
	benchKeys     = 1000
	benchSessions = 10
	benchSpacing  = 18_000 // ms between a key's sessions: 0 … 162 s
	benchLength   = 1_000
)

// Query is a FindSessions time range of the benchmarks.
type Query struct{ EarliestEnd, LatestStart int64 }

var (
	// HeadQuery looks for sessions near the head of the stream, as a merge does: it finds
	// each key's last session (162 s – 163 s), in the newest segment only.
	HeadQuery = Query{155_000, 165_000}
	// SpanQuery finds each key's session at 108 s and, as Kafka's store, scans the key's
	// later ones: sessions ending at or after 100 s live in two segments.
	SpanQuery = Query{100_000, 120_000}
)

// BenchOptions are the store options of the benchmarks: a 3-minute retention in 1-minute
// segments.
var BenchOptions = session.Options{Retention: 3 * time.Minute, SegmentInterval: time.Minute}

var benchKeyNames = func() []string {
	names := make([]string, benchKeys)
	for i := range names {
		names[i] = fmt.Sprintf("user-%05d", i)
	}
	return names
}()

func benchKey(i int) string { return benchKeyNames[i%benchKeys] }

// benchStore opens a store of ns's supplier in a temporary directory and fills it with the
// workload's sessions.
func benchStore(b *testing.B, ns NewSupplier, fill bool) *session.Store[string, int64] {
	b.Helper()
	sup, err := ns(b, "bench", BenchOptions)
	if err != nil {
		b.Fatal(err)
	}
	st, err := session.NewBuilder(sup, serde.String, serde.Int64).Build(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	s := st.(*session.Store[string, int64])
	b.Cleanup(func() { s.Close() })
	if fill {
		for k := range benchKeys {
			for j := range int64(benchSessions) {
				if err := s.Put(win{Key: benchKey(k), Start: j * benchSpacing, End: j*benchSpacing + benchLength}, j); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	return s
}

// rawFill writes the workload's composite keys and values into e directly.
func rawFill(b *testing.B, e kv.Engine) {
	b.Helper()
	for k := range benchKeys {
		for j := range int64(benchSessions) {
			v, _ := serde.Int64.Serialize("", j)
			if err := e.Put(session.ToBinary([]byte(benchKey(k)), j*benchSpacing, j*benchSpacing+benchLength), v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// putWindow is the i-th put of the put benchmarks: a session of key i, within the live
// segments (no put is dropped), 60,000 distinct sessions in a cycle.
func putWindow(i int) win {
	t := int64(100_000 + i%60_000)
	return win{Key: benchKey(i), Start: t, End: t + 100}
}

// BenchPut measures Store.Put of the workload's sessions (key, window and value serialized,
// routed to a segment).
func BenchPut(b *testing.B, ns NewSupplier) {
	s := benchStore(b, ns, false)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Put(putWindow(i), int64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchRawPut measures the engine operation under BenchPut: Put of ready composite keys and
// values into e, one engine without segments.
func BenchRawPut(b *testing.B, e kv.Engine) {
	b.Cleanup(func() { e.Close() })
	keys := make([][]byte, 60_000)
	for i := range keys {
		w := putWindow(i)
		keys[i] = session.ToBinary([]byte(w.Key), w.Start, w.End)
	}
	v, _ := serde.Int64.Serialize("", 42)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := e.Put(keys[i%len(keys)], v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchSegmentsPut measures the segmented engine under BenchPut: Put of ready composite keys
// and values into the supplier's segmented engine (routing to a segment, stream time).
func BenchSegmentsPut(b *testing.B, ns NewSupplier) {
	sup, err := ns(b, "bench", BenchOptions)
	if err != nil {
		b.Fatal(err)
	}
	e, err := sup.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	BenchRawPut(b, e)
}

// BenchSegmentsRange measures the segmented engine under BenchFindSessions: RangeTime over the
// same bounds as BenchRawRange, in the live segments that may hold sessions ending at or
// after q.EarliestEnd.
func BenchSegmentsRange(b *testing.B, ns NewSupplier, q Query) {
	sup, err := ns(b, "bench", BenchOptions)
	if err != nil {
		b.Fatal(err)
	}
	e, err := sup.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	benchRange(b, e, q, func(lo, hi []byte) (kv.Bytes, error) { return e.RangeTime(lo, hi, q.EarliestEnd, math.MaxInt64, false) })
}

// BenchFindSessions measures Store.FindSessions(key, q.EarliestEnd, q.LatestStart) read to
// the end (one session found for each key).
func BenchFindSessions(b *testing.B, ns NewSupplier, q Query) {
	s := benchStore(b, ns, true)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := range b.N {
		c, err := s.FindSessions(benchKey(i), q.EarliestEnd, q.LatestStart)
		if err != nil {
			b.Fatal(err)
		}
		for c.Next() {
			n++
		}
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
	if n != b.N {
		b.Fatalf("found %d sessions in %d searches, want one each", n, b.N)
	}
}

// BenchRawRange measures the engine operation under BenchFindSessions: a Range over the
// composite keys the search scans (the key's sessions ending at or after q.EarliestEnd),
// with ready bounds, in e filled with the same data, without decoding or filtering.
func BenchRawRange(b *testing.B, e kv.Engine, q Query) {
	benchRange(b, e, q, func(lo, hi []byte) (kv.Bytes, error) { return e.Range(lo, hi, false) })
}

func benchRange(b *testing.B, e kv.Engine, q Query, rng func(lo, hi []byte) (kv.Bytes, error)) {
	b.Cleanup(func() { e.Close() })
	rawFill(b, e)
	maxEnd := int64((benchSessions-1)*benchSpacing + benchLength)
	type bounds struct{ lo, hi []byte }
	bs := make([]bounds, benchKeys)
	for k := range bs {
		key := []byte(benchKey(k))
		bs[k] = bounds{session.ToBinary(key, 0, q.EarliestEnd), session.ToBinary(key, min(q.LatestStart, maxEnd), maxEnd)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c, err := rng(bs[i%benchKeys].lo, bs[i%benchKeys].hi)
		if err != nil {
			b.Fatal(err)
		}
		for c.Next() {
		}
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchMerge measures session.Merge of a stream of events (1000 keys, one event a
// millisecond, a 5 s gap: each event extends its key's current session): a FindSessions, a
// Remove and a Put.
func BenchMerge(b *testing.B, ns NewSupplier) {
	s := benchStore(b, ns, false)
	count := session.Aggregator[string, string, int64]{
		Gap:   5 * time.Second,
		Init:  func() int64 { return 0 },
		Add:   func(_, _ string, n int64) int64 { return n + 1 },
		Merge: func(_ string, a, c int64) int64 { return a + c },
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ts := int64(i)
		if _, err := session.Merge(s, count, benchKey(i), "", ts, ts); err != nil {
			b.Fatal(err)
		}
	}
}
