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
//
// # Where it differs from Kafka Streams
//
//   - Results come in one sorted order, composite key order, across segments and across the
//     stores of a [Composite]. Kafka's RocksDB store returns a key range segment by segment,
//     and its composite store task by task.
//   - The in-memory store is segmented like the RocksDB one, so both drop and count expired
//     writes a segment at a time (Kafka's InMemorySessionStore expires sessions one by one);
//     reads hide expired sessions the same way in both.
//   - Scan bounds are tighter than Kafka's. Kafka bounds a key range above by the upper
//     key's first byte (and the bytes after it up to the first one below 0x7f) followed by
//     Long.MAX_VALUE, so that a range over ASCII keys scans every key with the same first
//     byte; Tributary bounds it by the largest session end the store can hold, which keeps
//     the whole key in the bound with realistic timestamps, and it accepts the empty key. Results are the same; the model test checks them on keys that extend
//     others by zero bytes.
//   - Sessions with a negative start are refused on write, as Kafka's Window constructor
//     refuses them; reads of such windows find nothing.
//   - The package imports changelog for its topic configs (changelog.WindowedTopicConfig),
//     and recognises the changelog's logging layer so that reads skip it and go to the
//     segments that can hold their time range; changelog must not import it back.
package session
