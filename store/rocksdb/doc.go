// Package rocksdb is Tributary's persistent key-value engine: each store is one RocksDB
// database in its own directory, used through grocksdb (cgo; RocksDB 7.8, grocksdb v1.7.15).
// [Engine] implements kv.Engine, so it goes under the typed kv.Store like the in-memory
// engines, and adds what the changelog layer needs from a persistent store: persisted
// offsets, checkpoints and Destroy. Importing this package is what brings in cgo and
// librocksdb; programs that use only in-memory stores do not need it.
//
//	e, err := rocksdb.Open("counts", filepath.Join(stateDir, "counts"))
//	if err != nil { ... }
//	defer e.Close()
//	store := kv.New(e, serde.String, serde.Int64)
//
// # Defaults
//
// Without options a store is configured as Kafka Streams' RocksDBStore configures its own:
// a 50 MiB LRU block cache per store, 4 KiB blocks, a full bloom filter of 10 bits per key
// with optimize_filters_for_hits, 16 MiB write buffers of which at most 3 are kept,
// universal compaction, no compression, IncreaseParallelism(max(cores, 2)), the info log at
// error level, create_if_missing, the write-ahead log disabled on every write and flushes
// that wait for completion. The options that Faust's RocksDBOptions exposes are here too:
// [MaxOpenFiles], [WriteBufferSize], [MaxWriteBufferNumber], [TargetFileSizeBase],
// [BlockCacheSize] and [BloomFilterBits], plus [BlockSize]. Each option's documentation
// gives its default and the setting it mirrors. [ConfigSetter] is the escape hatch, like
// Kafka Streams' rocksdb.config.setter: it receives grocksdb's options after Tributary has
// set its own. [OpenRetries] waits for a lock held by a store that is still closing
// elsewhere (Quix Streams' open_max_retries, open_retry_backoff).
//
// # Why the WAL is off
//
// As in Kafka Streams, a store's durability is its changelog topic, not RocksDB's
// write-ahead log: after a crash the store is restored from the changelog, starting at the
// offset persisted in the store. Writing the WAL as well would double every write for
// nothing. The price is that writes live only in memory until a flush: [Engine.Flush] and
// [Engine.Close] flush (Close always does, so a graceful close loses nothing), as does
// [Engine.Checkpoint]. The database uses RocksDB's atomic flush, so that the data and the
// offsets on disk always belong together.
//
// # Persisted offsets
//
// Like Faust's persisted_offset, a store records the changelog offset its data reaches:
// [Engine.SetOffset] and [Engine.Offset] per changelog topic-partition, and
// [Engine.WriteWithOffset], which applies a batch of changelog records and their offset in
// one atomic write batch. The offsets live in a column family of their own,
// "tributary.offsets", so Range, PrefixScan and ApproximateNumEntries never see them. Open
// creates the column family in databases that lack it.
//
// # Read-only stores
//
// [OpenReadOnly] opens an existing store with RocksDB's OpenForReadOnly (Faust's read_only
// table option): it takes no lock, so several processes can read a store while one writes
// it. A read-only store sees what was flushed when it opened. Its writes return
// store.ErrReadOnly.
//
// # Checkpoints
//
// [Engine.Checkpoint] writes a consistent copy of a store (data and offsets) to a new
// directory with RocksDB's Checkpoint: SST files are hard-linked, so it is cheap. [Restore]
// replaces a closed store's directory with a copy of a checkpoint, and [Destroy] deletes a
// closed store ([Engine.Destroy] closes it first). Restore and Destroy refuse a store that is
// open, here or in another process, with ErrLocked.
//
// # Bounding memory
//
// Each store has its own block cache and memtables, so memory grows with the number of
// stores (KAFKA-8215). [NewMemoryBudget] creates one LRU cache that every store opened with
// [SharedMemory] shares, with index and filter blocks charged to it, which bounds the memory
// of reads across stores. RocksDB 7.8's C API (and so grocksdb v1.7.15) has no write buffer
// manager, so memtables cannot be charged to the shared cache: they stay bounded per store
// by WriteBufferSize × MaxWriteBufferNumber. Lower those for many small stores.
//
// # Cursors, errors and concurrency
//
// Cursors follow package cursor's contract. A cursor reads a snapshot of the store taken
// when it was opened; its Key and Value are views of RocksDB's memory, valid until the next
// Next or Close (the kv.Engine rule): copy what you keep. Closing the store invalidates its
// open cursors and frees their iterators before the database.
//
// Every error is a *store.Error naming the store and the operation. Failures of RocksDB or
// the file system carry a [*DBError] naming the directory, classified with [ErrLocked] (the
// directory is held by another process or Engine) or [ErrCorrupt] (RocksDB reported
// corruption), and keeping RocksDB's own message. Nothing panics on nil or empty keys and
// values, or on use after Close.
//
// Every method is safe for concurrent use. Reads and writes run in parallel (RocksDB is
// thread-safe); writes are serialized with each other so that PutIfAbsent and Delete,
// which read then write, are atomic.
package rocksdb
