package rocksdb

import (
	"encoding/binary"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/linxGnu/grocksdb"
	"github.com/tributary-go/tributary/store/kv"
)

// Each benchmark runs the engine beside the same work done with grocksdb directly ("raw"),
// on the same database handle with the same options, so that the ratio engine/raw measures
// only this package's layer (locks, error wrapping, cursor bookkeeping).

const (
	benchKeys      = 1_000_000
	benchBatch     = 10_000
	benchValueSize = 100
)

var benchValue = func() []byte {
	v := make([]byte, benchValueSize)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}()

// benchKey returns the 8-byte big-endian key of index i: preloaded keys are the even
// numbers, so odd ones miss.
func benchKey(buf []byte, i uint64) []byte {
	return binary.BigEndian.AppendUint64(buf[:0], i)
}

// benchIndex spreads the benchmark's accesses over the keys (a fixed pseudo-random walk, the
// same for engine and raw).
func benchIndex(i int) uint64 {
	return uint64(i) * 2654435761 % benchKeys
}

var fixture struct {
	once sync.Once
	dir  string
	e    *Engine
	err  error
}

// preloaded returns a store holding benchKeys keys (flushed and compacted), shared by the
// read benchmarks and removed by TestMain.
func preloaded(b *testing.B) *Engine {
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp("", "tributary-rocksdb-bench-")
		if fixture.err != nil {
			return
		}
		fixture.e, fixture.err = Open("bench", fixture.dir)
		if fixture.err != nil {
			return
		}
		batch := make([]kv.Entry, benchBatch)
		for start := 0; start < benchKeys; start += benchBatch {
			for j := range batch {
				batch[j] = kv.Entry{Key: benchKey(nil, uint64(start+j)*2), Value: benchValue}
			}
			if fixture.err = fixture.e.Write(batch); fixture.err != nil {
				return
			}
		}
		if fixture.err = fixture.e.Flush(); fixture.err != nil {
			return
		}
		fixture.e.db.CompactRange(grocksdb.Range{})
		syscall.Sync() // no write-back of the preload during the benchmarks
		// Warm the block cache to its steady state, so that the sub-benchmark that runs
		// first does not pay for filling it.
		key := make([]byte, 0, 8)
		for i := range benchKeys / 2 {
			key = benchKey(key, benchIndex(i+benchKeys)*2)
			if _, _, fixture.err = fixture.e.Get(key); fixture.err != nil {
				return
			}
		}
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.e
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.e != nil {
		_ = fixture.e.Close()
	}
	if fixture.dir != "" {
		_ = os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

func BenchmarkGetHit(b *testing.B) {
	e := preloaded(b)
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		key := make([]byte, 0, 8)
		for i := 0; b.Loop(); i++ {
			key = benchKey(key, benchIndex(i)*2)
			v, found, err := e.Get(key)
			if err != nil || !found || len(v) != benchValueSize {
				b.Fatalf("Get(%x) = %d bytes, %v, %v", key, len(v), found, err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		ro := grocksdb.NewDefaultReadOptions()
		defer ro.Destroy()
		key := make([]byte, 0, 8)
		for i := 0; b.Loop(); i++ {
			key = benchKey(key, benchIndex(i)*2)
			v, err := e.db.GetBytes(ro, key)
			if err != nil || v == nil || len(v) != benchValueSize {
				b.Fatalf("GetBytes(%x) = %d bytes, %v", key, len(v), err)
			}
		}
	})
}

func BenchmarkGetMiss(b *testing.B) {
	e := preloaded(b)
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		key := make([]byte, 0, 8)
		for i := 0; b.Loop(); i++ {
			key = benchKey(key, benchIndex(i)*2+1)
			_, found, err := e.Get(key)
			if err != nil || found {
				b.Fatalf("Get(%x) = %v, %v", key, found, err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		ro := grocksdb.NewDefaultReadOptions()
		defer ro.Destroy()
		key := make([]byte, 0, 8)
		for i := 0; b.Loop(); i++ {
			key = benchKey(key, benchIndex(i)*2+1)
			v, err := e.db.GetBytes(ro, key)
			if err != nil || v != nil {
				b.Fatalf("GetBytes(%x) = %d bytes, %v", key, len(v), err)
			}
		}
	})
}

// BenchmarkRange100 reads 100 consecutive keys from a random position, touching every key
// and value.
func BenchmarkRange100(b *testing.B) {
	e := preloaded(b)
	const n = 100
	start := func(i int) uint64 { return benchIndex(i) % (benchKeys - n) * 2 }
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		from, to := make([]byte, 0, 8), make([]byte, 0, 8)
		for i := 0; b.Loop(); i++ {
			s := start(i)
			from, to = benchKey(from, s), benchKey(to, s+2*(n-1))
			c, err := e.Range(from, to, false)
			if err != nil {
				b.Fatal(err)
			}
			count, size := 0, 0
			for c.Next() {
				count++
				size += len(c.Key()) + len(c.Value())
			}
			if err := c.Close(); err != nil || count != n || size != n*(8+benchValueSize) {
				b.Fatalf("Range: %d items, %d bytes, %v", count, size, err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		from, to := make([]byte, 0, 8), make([]byte, 0, 9)
		for i := 0; b.Loop(); i++ {
			s := start(i)
			from, to = benchKey(from, s), append(benchKey(to, s+2*(n-1)), 0)
			ro := grocksdb.NewDefaultReadOptions()
			ro.SetIterateLowerBound(from)
			ro.SetIterateUpperBound(to)
			it := e.db.NewIterator(ro)
			count, size := 0, 0
			for it.SeekToFirst(); it.Valid(); it.Next() {
				count++
				size += len(it.Key().Data()) + len(it.Value().Data())
			}
			err := it.Err()
			it.Close()
			ro.Destroy()
			if err != nil || count != n || size != n*(8+benchValueSize) {
				b.Fatalf("iterator: %d items, %d bytes, %v", count, size, err)
			}
		}
	})
}

// BenchmarkPut comes last: the hundreds of MiB it writes would slow the reads of the
// benchmarks that follow while the kernel writes them back.
func BenchmarkPut(b *testing.B) {
	e, err := Open("bench-put", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = e.Close()
		syscall.Sync() // write back what the puts wrote before anything else runs
	}()
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		key := make([]byte, 0, 9)
		for i := 0; b.Loop(); i++ {
			key = binary.BigEndian.AppendUint64(append(key[:0], 1), uint64(i))
			if err := e.Put(key, benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		wo := grocksdb.NewDefaultWriteOptions()
		wo.DisableWAL(true)
		defer wo.Destroy()
		key := make([]byte, 0, 9)
		for i := 0; b.Loop(); i++ {
			key = binary.BigEndian.AppendUint64(append(key[:0], 2), uint64(i))
			if err := e.db.Put(wo, key, benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
}
