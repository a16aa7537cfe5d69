// Package kv holds Tributary's key-value stores (Kafka Streams' KeyValueStore): a small
// [Engine] interface over bytes, implemented by the in-memory sorted engine ([Memory]), the
// entry-bounded [LRU] engine and the RocksDB engine (package store/rocksdb), and the typed
// [Store] that puts serdes in front of any engine.
//
// The typed store has every operation of Kafka Streams' ReadOnlyKeyValueStore and
// KeyValueStore: Get, Put, PutIfAbsent (returning the existing value), PutAll, Delete
// (returning the old value), Range and ReverseRange (both bounds inclusive; a nil bound is
// open, per KIP-763), All, ReverseAll, PrefixScan, ApproximateNumEntries, plus Name,
// Persistent, IsOpen, Flush and Close. Ranges are in serialized-key byte order.
//
// Reads return a comma-ok pair and an error: (value, found, err). A Kafka tombstone is never
// stored: deleting is [Store.Delete] (or an [Entry] with Delete set in a batch), and an empty
// value is a value.
//
// After Close, every operation returns a *store.Error wrapping store.ErrStoreClosed, cursors
// that were open are invalidated, and a second Close does nothing.
//
// Engines must pass the contract suite in package kvtest (RunEngine, RunModel).
package kv
