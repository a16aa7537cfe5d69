package window_test

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/window"
)

// The window store benchmarks run each operation on the in-memory window store beside the
// same operation on the engine underneath (kv.NewMemory, one segment's engine) over the
// same store keys ("raw"), so that store/raw measures the window layer: serdes, store-key
// encoding, segment routing, the retention filter and the typed cursor.
//
// Workload: 10,000 record keys ("user-00042"), 10 windows of one minute each (100,000
// windows, all in one segment), Int64 values; puts overwrite a window, fetches read one
// key's 10 windows.

const (
	benchKeys    = 10_000
	benchWindows = 10
	benchMinute  = 60_000
)

var benchKeyNames = func() []string {
	out := make([]string, benchKeys)
	for i := range out {
		out[i] = fmt.Sprintf("user-%05d", i)
	}
	return out
}()

// benchIndex spreads accesses over the keys and windows (the same walk for store and raw).
func benchIndex(i int) (key int, win int64) {
	j := uint64(i) * 2654435761 % (benchKeys * benchWindows)
	return int(j % benchKeys), int64(j/benchKeys) * benchMinute
}

var benchOpts = window.Options{WindowSize: time.Minute}

func benchStore(b *testing.B) *window.Store[string, int64] {
	b.Helper()
	sup, err := window.InMemorySupplier("bench", benchOpts)
	if err != nil {
		b.Fatal(err)
	}
	st, err := window.NewBuilder(sup, serde.String, serde.Int64).Build("")
	if err != nil {
		b.Fatal(err)
	}
	s := st.(*window.Store[string, int64])
	for w := int64(0); w < benchWindows; w++ {
		for _, k := range benchKeyNames {
			if err := s.Put(k, w, w*benchMinute); err != nil {
				b.Fatal(err)
			}
		}
	}
	return s
}

func benchRaw(b *testing.B) kv.Engine {
	b.Helper()
	e := kv.NewMemory("raw")
	var kb []byte
	for w := int64(0); w < benchWindows; w++ {
		for _, k := range benchKeyNames {
			kb = window.AppendStoreKey(kb[:0], []byte(k), w*benchMinute, 0)
			if err := e.Put(kb, binary.BigEndian.AppendUint64(nil, uint64(w))); err != nil {
				b.Fatal(err)
			}
		}
	}
	return e
}

func BenchmarkPut(b *testing.B) {
	b.Run("store", func(b *testing.B) {
		s := benchStore(b)
		defer s.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, w := benchIndex(i)
			if err := s.Put(benchKeyNames[k], int64(i), w); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		e := benchRaw(b)
		defer e.Close()
		var kb, vb []byte
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, w := benchIndex(i)
			kb = window.AppendStoreKey(kb[:0], []byte(benchKeyNames[k]), w, 0)
			vb = binary.BigEndian.AppendUint64(vb[:0], uint64(i))
			if err := e.Put(kb, vb); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFetch reads one key's 10 windows: Fetch(key, 0, 9 min) against a Range over the
// key's store keys on the raw engine.
func BenchmarkFetch(b *testing.B) {
	b.Run("store", func(b *testing.B) {
		s := benchStore(b)
		defer s.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, _ := benchIndex(i)
			c, err := s.Fetch(benchKeyNames[k], 0, (benchWindows-1)*benchMinute)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for c.Next() {
				n++
			}
			if err := c.Close(); err != nil || n != benchWindows {
				b.Fatalf("read %d windows: %v", n, err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		e := benchRaw(b)
		defer e.Close()
		var lo, hi []byte
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, _ := benchIndex(i)
			lo = window.AppendStoreKey(lo[:0], []byte(benchKeyNames[k]), 0, 0)
			hi = window.AppendStoreKey(hi[:0], []byte(benchKeyNames[k]), (benchWindows-1)*benchMinute, -1)
			c, err := e.Range(lo, hi, false)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for c.Next() {
				_ = binary.BigEndian.Uint64(c.Value())
				n++
			}
			if err := c.Close(); err != nil || n != benchWindows {
				b.Fatalf("read %d windows: %v", n, err)
			}
		}
	})
}

// BenchmarkDropSegment measures the put that expires a segment of n records: the segment's
// engine is closed and dropped, and the put opens the next segment (n = 0 is that fixed
// cost). Retention 1 min, segments of 1 min: records fill [0, 60 s), the put at 180 s drops
// them.
func BenchmarkDropSegment(b *testing.B) {
	for _, n := range []int{0, 1_000, 10_000, 100_000} {
		b.Run("records="+strconv.Itoa(n), func(b *testing.B) {
			sup, err := window.InMemorySupplier("drop", window.Options{WindowSize: time.Millisecond, Retention: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			var m dropMeter
			for range b.N {
				st, err := window.NewBuilder(sup, serde.Int64, serde.Int64).Build("")
				if err != nil {
					b.Fatal(err)
				}
				s := st.(*window.Store[int64, int64])
				for i := range n {
					if err := s.Put(int64(i), int64(i), int64(i)%benchMinute); err != nil {
						b.Fatal(err)
					}
				}
				if n == 0 {
					_ = s.Put(0, 0, 0) // an empty segment 0 exists
					_ = s.PutTombstone(0, 0)
				}
				m.start()
				if err := s.Put(0, 0, 3*benchMinute); err != nil {
					b.Fatal(err)
				}
				m.stop()
				if seg, _ := kv.Find[*segments.Store](s.Engine()); seg.DroppedSegments() != 1 || s.ExpiredRecords() != 0 {
					b.Fatalf("dropped %d segments, expired %d records", seg.DroppedSegments(), s.ExpiredRecords())
				}
				_ = s.Close()
			}
			m.report(b)
		})
	}
}

// dropMeter measures the drops alone: each iteration's setup (filling a segment) runs on
// the benchmark's clock, which only sizes b.N, and report replaces ns/op, B/op and
// allocs/op with the figures of the timed drops.
type dropMeter struct {
	n              int
	elapsed        time.Duration
	t0             time.Time
	ms             runtime.MemStats
	mallocs, bytes uint64
}

func (m *dropMeter) start() {
	runtime.ReadMemStats(&m.ms)
	m.mallocs -= m.ms.Mallocs
	m.bytes -= m.ms.TotalAlloc
	m.t0 = time.Now()
}

func (m *dropMeter) stop() {
	m.elapsed += time.Since(m.t0)
	runtime.ReadMemStats(&m.ms)
	m.mallocs += m.ms.Mallocs
	m.bytes += m.ms.TotalAlloc
	m.n++
}

func (m *dropMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.elapsed.Nanoseconds())/float64(m.n), "ns/op")
	b.ReportMetric(float64(m.bytes)/float64(m.n), "B/op")
	b.ReportMetric(float64(m.mallocs)/float64(m.n), "allocs/op")
}
