package topology

// SetWindowEmitInterval sets the wall-clock interval between EmitOnWindowClose's range
// fetches (Kafka's internal config __emit.interval.ms.kstreams.windowed.aggregation__,
// default 1000 ms), for the tests. Kafka's TopologyTestDriver reads a wall clock that jumps
// at every read (its MockTime auto-ticks), so its tests see the throttle pass on every
// record: interval 0 reproduces them.
func SetWindowEmitInterval[K, V any](w *TimeWindowedKStream[K, V], ms int64) {
	w.emitIntervalMs = ms
}
