package rocksdb

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/store/session/sessiontest"
)

func sessionTestSupplier(_ testing.TB, name string, opts session.Options) (session.Supplier, error) {
	return SessionSupplier(name, opts)
}

func TestSessionContract(t *testing.T) {
	sessiontest.Run(t, sessionTestSupplier)
}

func TestSessionModel(t *testing.T) {
	sessiontest.RunModel(t, sessionTestSupplier, 3_000)
}

// The segments of a session store are RocksDB databases in <task dir>/rocksdb/<name>/<name>.<segment
// start> (Kafka's segment names); an expired segment's directory is deleted.
func TestSessionSegmentDirectories(t *testing.T) {
	dir := t.TempDir()
	sup, err := SessionSupplier("clicks", session.Options{Retention: 2 * time.Second, SegmentInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !sup.Persistent() || sup.Name() != "clicks" {
		t.Errorf("Persistent() %v, Name() %q", sup.Persistent(), sup.Name())
	}
	st, err := session.NewBuilder(sup, serde.String, serde.Int64).Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*session.Store[string, int64])
	defer s.Close()
	segs := func() []string {
		entries, err := os.ReadDir(filepath.Join(dir, "rocksdb", "clicks"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		slices.Sort(names)
		return names
	}
	for _, end := range []int64{500, 1500, 2500} {
		if err := s.Put(serde.Windowed[string]{Key: "k", Start: 0, End: end}, end); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := segs(), []string{"clicks.0", "clicks.1000", "clicks.2000"}; !slices.Equal(got, want) {
		t.Errorf("segment directories %v, want %v", got, want)
	}
	// Stream time 4200: the oldest live segment is segmentId(2200) = 2.
	if err := s.Put(serde.Windowed[string]{Key: "k", Start: 4200, End: 4200}, 1); err != nil {
		t.Fatal(err)
	}
	if got, want := segs(), []string{"clicks.2000", "clicks.4000"}; !slices.Equal(got, want) {
		t.Errorf("segment directories after expiry %v, want %v", got, want)
	}
	if s.DroppedSegments() != 2 {
		t.Errorf("DroppedSegments() = %d, want 2", s.DroppedSegments())
	}
	if _, err := SessionSupplier("bad", session.Options{Segments: 1}); err == nil {
		t.Error("SessionSupplier with 1 segment: no error")
	}
}

// The session store's operations on RocksDB segments beside the raw engine operations under
// them (one RocksDB engine, ready bytes); BENCHMARKS.md gives the ratios.

func BenchmarkSessionPut(b *testing.B) {
	b.Run("rocksdb", func(b *testing.B) { sessiontest.BenchPut(b, sessionTestSupplier) })
	b.Run("segments-rocksdb", func(b *testing.B) { sessiontest.BenchSegmentsPut(b, sessionTestSupplier) })
	b.Run("raw-rocksdb", func(b *testing.B) { sessiontest.BenchRawPut(b, sessionBenchEngine(b)) })
}

func BenchmarkSessionFindSessions(b *testing.B) {
	for _, q := range []struct {
		name string
		q    sessiontest.Query
	}{{"head", sessiontest.HeadQuery}, {"span", sessiontest.SpanQuery}} {
		b.Run(q.name+"/rocksdb", func(b *testing.B) { sessiontest.BenchFindSessions(b, sessionTestSupplier, q.q) })
		b.Run(q.name+"/segments-rocksdb", func(b *testing.B) { sessiontest.BenchSegmentsRange(b, sessionTestSupplier, q.q) })
		b.Run(q.name+"/raw-rocksdb", func(b *testing.B) { sessiontest.BenchRawRange(b, sessionBenchEngine(b), q.q) })
	}
}

func BenchmarkSessionMerge(b *testing.B) {
	b.Run("rocksdb", func(b *testing.B) { sessiontest.BenchMerge(b, sessionTestSupplier) })
}

func sessionBenchEngine(b *testing.B) *Engine {
	e, err := Open("raw", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return e
}
