package topology

import "github.com/tributary-go/tributary/serde"

// Test-only access for the external tests of Suppress (package topology_test cannot be
// internal: testutil imports topology).

// LowLevelForTest returns the StreamsBuilder's low-level Builder.
func LowLevelForTest(sb *StreamsBuilder) *Builder { return sb.b }

// TableOverNodeForTest returns a KTable whose updates are the Change records of node, which
// sends old values; end, when not nil, makes it a windowed table closed graceMs after each
// window's end.
func TableOverNodeForTest[K, V any](sb *StreamsBuilder, node string, keys Serde[K], values Serde[V], graceMs int64, end func(K) int64) *KTable[K, V] {
	t := &KTable[K, V]{sb: sb, name: node, keys: keys, values: values, st: &tableState{sendOldValues: true}}
	if end != nil {
		t.win = &tableWindow[K]{graceMs: graceMs, end: end}
	}
	return t
}

// Serde is serde.Serde, for the signature above.
type Serde[T any] = serde.Serde[T]
