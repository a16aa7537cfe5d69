package session_test

import (
	"testing"

	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session/sessiontest"
)

// The session store's operations beside the raw engine operations under them (one sorted
// in-memory engine, ready bytes); BENCHMARKS.md gives the ratios.

func BenchmarkSessionPut(b *testing.B) {
	b.Run("memory", func(b *testing.B) { sessiontest.BenchPut(b, memSupplier) })
	b.Run("segments-memory", func(b *testing.B) { sessiontest.BenchSegmentsPut(b, memSupplier) })
	b.Run("raw-memory", func(b *testing.B) { sessiontest.BenchRawPut(b, kv.NewMemory("raw")) })
}

func BenchmarkSessionFindSessions(b *testing.B) {
	for _, q := range []struct {
		name string
		q    sessiontest.Query
	}{{"head", sessiontest.HeadQuery}, {"span", sessiontest.SpanQuery}} {
		b.Run(q.name+"/memory", func(b *testing.B) { sessiontest.BenchFindSessions(b, memSupplier, q.q) })
		b.Run(q.name+"/segments-memory", func(b *testing.B) { sessiontest.BenchSegmentsRange(b, memSupplier, q.q) })
		b.Run(q.name+"/raw-memory", func(b *testing.B) { sessiontest.BenchRawRange(b, kv.NewMemory("raw"), q.q) })
	}
}

func BenchmarkSessionMerge(b *testing.B) {
	b.Run("memory", func(b *testing.B) { sessiontest.BenchMerge(b, memSupplier) })
}
