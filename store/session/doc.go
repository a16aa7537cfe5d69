// Package session is Tributary's session store (Kafka Streams' SessionStore,
// RocksDBSessionStore and InMemorySessionStore; the seed kstreams-clj's :session store): the
// aggregates of sessions — periods of activity of a key separated by an inactivity gap —
// keyed by the record key and the session window, kept in time segments and dropped when
// their retention has passed.
//
// # Layout
//
// A session is stored under a composite key, Kafka's SessionKeySchema layout ([KeySchema]):
//
//	key bytes | session end (8 bytes, big-endian) | session start (8 bytes, big-endian)
//
// in the segment of its end (segment id = end / segment interval). The segments are an
// internal segmented engine, one kv.Engine per segment: sorted in-memory engines
// ([InMemorySupplier]) or one RocksDB database per segment (rocksdb.SessionSupplier, under
// <task dir>/rocksdb/<name>/<name>.<segment start>). The segmented engine is itself a
// kv.Engine over the composite keys, so the changelog layer logs its writes as they are (the
// changelog's keys are Kafka's) and restoration writes them back through it.
//
// # Retention
//
// [Options] set the retention (default 1 day) and the segment interval (default
// max(retention / 2, 60 s)). Stream time, for a store, is the largest session end written
// to it. A write whose segment is older than the segment of stream time − retention is
// dropped and counted ([Store.ExpiredRecords]); a write that advances stream time drops the
// segments that have expired. Reads hide every session that ended before stream time −
// retention + 1 ([Store.MinLiveTime]) even while its segment lives. [ValidateRetention]
// checks that a retention covers the inactivity gap plus the grace period.
//
// # Operations
//
// [Store] has Kafka's operations: FindSessions (sessions of a key that end at or after a
// time and start at or before another, both inclusive) and its key-range form, FetchSession,
// Put, Remove, Fetch and FetchRange, each read with a Backward variant. Cursors carry
// serde.Windowed[K] keys with the session's Start and End (both inclusive here, as in
// Kafka's SessionWindow) and are sorted by composite key.
//
// [Merge] applies one record to a store as Kafka's KStreamSessionWindowAggregate does: it
// finds the sessions within the gap of the record, merges them into one and writes it,
// reporting what it removed, so that the seed's example holds at the store level.
//
// [Builder] builds stores for the topology's tasks (logged by default, cached on demand, with
// a compact,delete changelog whose retention.ms is the store's retention + 1 day);
// [Composite] reads the stores of several tasks as one, for interactive queries. Package
// sessiontest is the contract suite every supplier passes.
package session
