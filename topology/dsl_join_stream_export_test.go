package topology

// SetJoinEmitInterval sets the wall-clock interval between the emissions of unmatched records
// of left and outer stream-stream joins (Kafka's internal config
// emit.interval.ms.kstreams.outer.join.spurious.results.fix, default 1000 ms), for the tests.
// Kafka's TopologyTestDriver reads a wall clock that jumps at every read, so its tests see the
// throttle pass on every record: interval 0 reproduces them.
func SetJoinEmitInterval[K, V, VO any](sj StreamJoined[K, V, VO], ms int64) StreamJoined[K, V, VO] {
	sj.emitIntervalMs, sj.emitIntervalSet = ms, true
	return sj
}
