// Package store holds what Tributary's state stores share: the errors every store returns.
// The stores themselves live in the sub-packages kv (key-value), window and session, with the
// RocksDB engine in rocksdb.
package store

import (
	"errors"
	"fmt"
)

var (
	// ErrStoreClosed is returned by every operation on a closed store, and stored by the
	// cursors that were open when it closed.
	ErrStoreClosed = errors.New("store is closed")
	// ErrReadOnly is returned by writes to a store opened read-only.
	ErrReadOnly = errors.New("store is read-only")
)

// Error is the error a store returns: it names the store and the operation, and wraps the
// cause (a sentinel such as ErrStoreClosed, a *serde.Error, or an engine's error).
type Error struct {
	Store string // the store's name
	Op    string // the operation: "get", "put", "range", "open", ...
	Err   error  // the cause
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("store %q: %s: %v", e.Store, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// StateStore is what the task engine needs of every store, whatever its kind (Kafka Streams'
// StateStore): its name, whether it is persistent, and its lifecycle. kv.Store, and later the
// window and session stores, implement it.
type StateStore interface {
	Name() string
	Persistent() bool
	IsOpen() bool
	Flush() error
	Close() error
}

// Builder builds a store for one task (Kafka Streams' StoreBuilder). A topology holds
// builders; each task builds its own store instance when it starts.
type Builder interface {
	// Name returns the name of the stores it builds.
	Name() string
	// Persistent reports whether the stores keep their data on disk.
	Persistent() bool
	// Build opens a new store. dir is a directory for the task's persistent stores
	// (<state.dir>/<application.id>/<task id>); in-memory stores ignore it.
	Build(dir string) (StateStore, error)
}

// Logged is implemented by builders whose stores can be backed up to a changelog topic and
// fronted by the record cache (Kafka Streams' StoreBuilder.withLoggingEnabled and
// withCachingEnabled). The runtime reads it when it opens a task's stores; the
// TopologyTestDriver honours caching too.
type Logged interface {
	// LoggingEnabled reports whether writes are logged to the store's changelog topic
	// (default true, as in Kafka Streams).
	LoggingEnabled() bool
	// LogConfig returns the extra topic configs for the changelog topic (nil for none).
	LogConfig() map[string]string
	// CachingEnabled reports whether writes go through the record cache (default false
	// for Processor-API stores, as in Kafka Streams; the DSL turns it on).
	CachingEnabled() bool
}

// ChangelogConfigured is implemented by builders whose changelog topic needs other configs
// than a key-value store's (cleanup.policy=compact): window and session stores return
// compact,delete with their retention + 1 day (changelog.WindowedTopicConfig) plus the
// LogConfig overrides. The runtime creates the changelog topic with exactly these configs.
type ChangelogConfigured interface {
	ChangelogTopicConfig() map[string]string
}
