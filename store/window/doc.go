// Package window holds Tributary's window stores (Kafka Streams' WindowStore): values kept
// per record key and window start, for windows of one size, retained for a period of stream
// time and dropped a time segment at a time.
//
//	sup, err := window.InMemorySupplier("clicks-per-minute", window.Options{WindowSize: time.Minute})
//	if err != nil { ... }
//	b := window.NewBuilder(sup, serde.String, serde.Int64)
//	st, err := b.Build(taskDir) // a *window.Store[string, int64]
//
// # Operations
//
// [Store] has every operation of Kafka Streams' WindowStore and ReadOnlyWindowStore:
// [Store.Put] (key, value, window start), [Store.PutTombstone] (Kafka's put with a null
// value), [Store.Get] (Kafka's fetch(key, time)), [Store.Fetch] over one key and a time range
// (a cursor keyed by window start, Kafka's WindowStoreIterator), [Store.FetchKeyRange],
// [Store.FetchAll] and [Store.All] (cursors keyed by serde.Windowed: key, start and end =
// start + window size), and the backward variant of each range. Time bounds are inclusive
// and apply to window starts; a nil key bound is open. [Composite] reads several stores
// (one per task) as one, for interactive queries.
//
// # Key layout
//
// Store keys are Kafka's WindowKeySchema: the serialized key, the window start as 8 bytes
// big-endian and a sequence number as 4 bytes big-endian ([ToStoreKey], [DecodeStoreKey]).
// The sequence number is 0 unless duplicates are retained; then each put takes the next one,
// (seqnum + 1) & 0x7FFFFFFF, so that puts of one key and window do not overwrite each other.
// Like Kafka's, the counter starts again at 0 when a store is reopened.
//
// For one record key, store keys sort by window start (window starts are never negative:
// Put refuses them). Across keys of different lengths they do not sort by key: the store key
// of "a" can sort after that of "a\x00" (the caveat of Kafka's OrderedBytes). Key-range
// reads therefore scan a byte range that covers every match and filter each item by its
// decoded key and window start, as Kafka's WindowKeySchema.hasNextCondition does; key-range
// cursors come in store-key byte order.
//
// # Retention and segments
//
// A supplier's engine keeps store keys in time segments of [Options.SegmentInterval]
// (segment id = window start / interval). The observed stream time is the largest window
// start put; a segment older than observed stream time − retention is dropped whole, and a
// put into it is dropped and counted ([Store.ExpiredRecords]), as in Kafka's
// AbstractRocksDBSegmentedBytesStore. Reads return no window older than observed stream
// time − retention + 1 ([Store.MinLiveTime]), so that what they see does not depend on
// where segment boundaries fall. A range over a segment that a put drops while the range
// is open ends that segment's items and goes on, as Kafka's SegmentIterator does.
//
// [Options] maps the seed's (kstreams-clj) window store options: ::retention (default one
// day, no smaller than the window size; [ValidateRetention] checks window size + grace for
// the DSL), ::interval (the window size, mandatory), ::segments (at least 2, default 2:
// interval = max(retention / (segments − 1), 60 s), the formula of Kafka's older API) and
// ::duplicate-keys? (RetainDuplicates).
//
// Deviation from DESIGN.md: DESIGN.md gives a default segment interval of
// max(retention / 2, 60 s) (Kafka's current API), which is what Segments = 3 gives; the
// seed and issue 5 ask for a default of 2 segments with the older API's formula, which makes
// the default interval max(retention, 60 s). We follow the seed; set Segments to 3 for
// Kafka's current layout.
//
// # Engines
//
// [InMemorySupplier] keeps each segment in a sorted in-memory engine (kv.Memory);
// rocksdb.WindowSupplier keeps each segment in a RocksDB database of its own. A [Builder]
// builds typed stores over either, and the runtime puts its changelog layer (changelog
// topic with cleanup.policy=compact,delete and retention.ms = retention + 1 day) and record
// cache over the segmented engine through [Builder.BuildWith], as for key-value stores.
// Restoration writes changelog records into the segmented engine, which routes each to its
// segment. (The package imports changelog, against DESIGN.md's dependency direction, for
// WindowedTopicConfig and to recognise the logging layer, which passes reads through, so
// that ranges under it still skip the segments outside their time bounds; changelog does
// not import window, so there is no cycle.)
//
// Other deviations from Kafka: [Store.PutTombstone] does not advance the stream time
// (Kafka's put(key, null) does); range cursors over the in-memory engine see writes made
// while they are open, those over RocksDB read a snapshot per segment.
package window
