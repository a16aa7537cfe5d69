package topology

// This file holds what the windowed aggregations share (Kafka Streams' EmitStrategy).

// EmitStrategy says when a windowed aggregation forwards its results (Kafka's
// EmitStrategy, KIP-825).
type EmitStrategy int

const (
	// EmitOnWindowUpdate forwards every update of a window, as it happens (or as the record
	// cache flushes it): the default (Kafka's EmitStrategy.onWindowUpdate).
	EmitOnWindowUpdate EmitStrategy = iota
	// EmitOnWindowClose forwards each window once, when stream time passes its end plus the
	// grace period, with its final result (Kafka's EmitStrategy.onWindowClose).
	EmitOnWindowClose
)
