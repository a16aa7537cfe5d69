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
