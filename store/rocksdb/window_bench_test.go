package rocksdb

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/linxGnu/grocksdb"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/window"
)

// The window benchmarks run each operation on the RocksDB window store beside the same
// operation on a RocksDB engine opened with the same (default) options over the same store
// keys ("raw"), so that store/raw measures the window layer: serdes, store-key encoding,
// segment routing, the retention filter and the typed cursor. The workload is
// store/window's: 10,000 record keys, 10 windows of one minute each (100,000 windows, all in
// one segment), Int64 values; puts overwrite a window, fetches read one key's 10 windows.

const (
	wbKeys    = 10_000
	wbWindows = 10
	wbMinute  = 60_000
)

var wbKeyNames = func() []string {
	out := make([]string, wbKeys)
	for i := range out {
		out[i] = fmt.Sprintf("user-%05d", i)
	}
	return out
}()

func wbIndex(i int) (key int, win int64) {
	j := uint64(i) * 2654435761 % (wbKeys * wbWindows)
	return int(j % wbKeys), int64(j/wbKeys) * wbMinute
}

func wbStore(b *testing.B) *window.Store[string, int64] {
	b.Helper()
	sup, err := WindowSupplier("bench", window.Options{WindowSize: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	st, err := window.NewBuilder(sup, serde.String, serde.Int64).Build(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	s := st.(*window.Store[string, int64])
	for w := int64(0); w < wbWindows; w++ {
		for _, k := range wbKeyNames {
			if err := s.Put(k, w, w*wbMinute); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	return s
}

func wbRaw(b *testing.B) *Engine {
	b.Helper()
	e, err := Open("raw", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var kb []byte
	for w := int64(0); w < wbWindows; w++ {
		for _, k := range wbKeyNames {
			kb = window.AppendStoreKey(kb[:0], []byte(k), w*wbMinute, 0)
			if err := e.Put(kb, binary.BigEndian.AppendUint64(nil, uint64(w))); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := e.Flush(); err != nil {
		b.Fatal(err)
	}
	return e
}

func BenchmarkWindowPut(b *testing.B) {
	b.Run("store", func(b *testing.B) {
		s := wbStore(b)
		defer s.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, w := wbIndex(i)
			if err := s.Put(wbKeyNames[k], int64(i), w); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		e := wbRaw(b)
		defer e.Close()
		var kb, vb []byte
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, w := wbIndex(i)
			kb = window.AppendStoreKey(kb[:0], []byte(wbKeyNames[k]), w, 0)
			vb = binary.BigEndian.AppendUint64(vb[:0], uint64(i))
			if err := e.Put(kb, vb); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkWindowFetch(b *testing.B) {
	b.Run("store", func(b *testing.B) {
		s := wbStore(b)
		defer s.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, _ := wbIndex(i)
			c, err := s.Fetch(wbKeyNames[k], 0, (wbWindows-1)*wbMinute)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for c.Next() {
				n++
			}
			if err := c.Close(); err != nil || n != wbWindows {
				b.Fatalf("read %d windows: %v", n, err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		e := wbRaw(b)
		defer e.Close()
		var lo, hi []byte
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k, _ := wbIndex(i)
			lo = window.AppendStoreKey(lo[:0], []byte(wbKeyNames[k]), 0, 0)
			hi = window.AppendStoreKey(hi[:0], []byte(wbKeyNames[k]), (wbWindows-1)*wbMinute, -1)
			c, err := e.Range(lo, hi, false)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for c.Next() {
				_ = binary.BigEndian.Uint64(c.Value())
				n++
			}
			if err := c.Close(); err != nil || n != wbWindows {
				b.Fatalf("read %d windows: %v", n, err)
			}
		}
	})
}

// BenchmarkWindowDropSegment measures dropping a segment of n records (ns/op, B/op and
// allocs/op are those of the drop alone, not of filling the segment).
//
//   - store: the put that expires the segment (retention 1 min, segments of 1 min; the
//     records fill [0, 60 s), the store is flushed, as commits will have done long before a
//     segment expires, and the put at 180 s drops them): the segment's database is closed
//     and destroyed; the put also opens the next segment's database, the fixed cost that
//     n = 0 shows.
//   - segment-alone: the drop itself, a segment database of n records closed and
//     destroyed, without the open of the next segment: flushed beforehand, or not (then
//     Close writes the memtable to an SST file first, only for Destroy to delete it).
//   - one-db-delete-range: the alternative layout, every segment in one database under
//     segment-prefixed keys: the segment's records (and as many live ones in the next
//     segment) are deleted with DeleteRange, then compacted away (CompactRange over the
//     segment), which is what reclaims their space.
func BenchmarkWindowDropSegment(b *testing.B) {
	for _, n := range []int{0, 1_000, 10_000, 100_000} {
		b.Run("store/records="+strconv.Itoa(n), func(b *testing.B) {
			sup, err := WindowSupplier("drop", window.Options{WindowSize: time.Millisecond, Retention: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			var m dropMeter
			for range b.N {
				st, err := window.NewBuilder(sup, serde.Int64, serde.Int64).Build(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				s := st.(*window.Store[int64, int64])
				for i := range n {
					if err := s.Put(int64(i), int64(i), int64(i)%wbMinute); err != nil {
						b.Fatal(err)
					}
				}
				if n == 0 {
					_ = s.Put(0, 0, 0) // an empty segment 0 exists
					_ = s.PutTombstone(0, 0)
				}
				if err := s.Flush(); err != nil { // as the commits since the segment filled have
					b.Fatal(err)
				}
				m.start()
				if err := s.Put(0, 0, 3*wbMinute); err != nil {
					b.Fatal(err)
				}
				m.stop()
				if seg, _ := kv.Find[*segments.Store](s.Engine()); seg.DroppedSegments() != 1 {
					b.Fatalf("dropped %d segments", seg.DroppedSegments())
				}
				_ = s.Close()
			}
			m.report(b)
		})
	}
	for _, v := range []struct {
		name    string
		n       int
		flushed bool
	}{{"flushed", 0, true}, {"flushed", 1_000, true}, {"flushed", 10_000, true}, {"flushed", 100_000, true}, {"unflushed", 100_000, false}} {
		n := v.n
		b.Run("segment-alone/"+v.name+"/records="+strconv.Itoa(n), func(b *testing.B) {
			var m dropMeter
			for range b.N {
				f := &segmentFactory{dir: b.TempDir()}
				e, err := f.Open("drop.0")
				if err != nil {
					b.Fatal(err)
				}
				batch := make([]kv.Entry, 0, n)
				for i := range n {
					k := window.AppendStoreKey(nil, binary.BigEndian.AppendUint64(nil, uint64(i)), int64(i)%wbMinute, 0)
					batch = append(batch, kv.Entry{Key: k, Value: binary.BigEndian.AppendUint64(nil, uint64(i))})
				}
				if err := e.Write(batch); err != nil {
					b.Fatal(err)
				}
				if v.flushed {
					if err := e.Flush(); err != nil {
						b.Fatal(err)
					}
				}
				m.start()
				if err := e.Close(); err != nil {
					b.Fatal(err)
				}
				if err := f.Drop("drop.0"); err != nil {
					b.Fatal(err)
				}
				m.stop()
			}
			m.report(b)
		})
	}
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run("one-db-delete-range/records="+strconv.Itoa(n), func(b *testing.B) {
			var m dropMeter
			for range b.N {
				e, err := Open("drop", b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				batch := make([]kv.Entry, 0, 2*n)
				for seg := range uint64(2) {
					for i := range n {
						k := binary.BigEndian.AppendUint64(nil, seg)
						k = window.AppendStoreKey(k, binary.BigEndian.AppendUint64(nil, uint64(i)), int64(i)%wbMinute+int64(seg)*wbMinute, 0)
						batch = append(batch, kv.Entry{Key: k, Value: binary.BigEndian.AppendUint64(nil, uint64(i))})
					}
				}
				if err := e.Write(batch); err != nil {
					b.Fatal(err)
				}
				if err := e.Flush(); err != nil {
					b.Fatal(err)
				}
				lo, hi := binary.BigEndian.AppendUint64(nil, 0), binary.BigEndian.AppendUint64(nil, 1)
				m.start()
				if err := e.db.DeleteRangeCF(e.wo, e.data, lo, hi); err != nil {
					b.Fatal(err)
				}
				e.db.CompactRangeCF(e.data, grocksdb.Range{Start: lo, Limit: hi})
				m.stop()
				_ = e.Close()
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
