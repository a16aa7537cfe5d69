// Package cursor defines the closeable cursor that every Tributary store returns from its range
// operations, adapters to Go's iterators and slices, and the bookkeeping that stores share to
// count open cursors and to invalidate them when the store closes.
//
// # The contract
//
// A Cursor follows database/sql's Rows flow with pebble's rules:
//
//   - A new cursor is positioned before its first item: call Next before Key or Value.
//   - Next advances and reports whether there is an item. It returns false at the end of the
//     items or on an error; Err tells the two apart.
//   - Key and Value return the current item. Before the first Next, after Next returned false,
//     and after Close they return zero values.
//   - Close releases the cursor's resources. It is idempotent and returns the error the cursor
//     stored (nil if none). It is not necessary to read a cursor to its end before closing it,
//     but every cursor must be closed: a store counts its open cursors.
//   - Using a cursor after Close is an error, not a crash: Next returns false and Err returns
//     [ErrClosed].
//   - Closing the store that a cursor reads invalidates the cursor: Next returns false and Err
//     returns the store's closed error (store.ErrStoreClosed for Tributary's stores).
//   - Ranges are in serialized-key byte order (bytes.Compare), as in Kafka Streams.
//
// A cursor is not safe for concurrent use by several goroutines; the store it reads is.
//
// The adapters [All] and [Collect] cover the common loops:
//
//	c, err := store.Range(new("a"), new("m"))
//	if err != nil { ... }
//	for k, v := range cursor.All(c) {
//		fmt.Println(k, v)
//	}
//	if err := c.Err(); err != nil { ... }
package cursor

import (
	"errors"
	"iter"
)

// Cursor iterates over key-value pairs in key order (or reverse key order). See the package
// documentation for the rules every implementation follows.
type Cursor[K, V any] interface {
	// Next advances to the next item and reports whether there is one. It returns false at
	// the end of the items, on an error, after Close and after the store was closed; Err
	// tells which.
	Next() bool
	// Key returns the key of the current item.
	Key() K
	// Value returns the value of the current item.
	Value() V
	// Err returns the error that stopped the cursor, or nil if it is not stopped by an error.
	Err() error
	// Close releases the cursor. It is idempotent and returns the error stored by the cursor.
	Close() error
}

// KeyValue is one key-value pair (Kafka Streams' KeyValue).
type KeyValue[K, V any] struct {
	Key   K
	Value V
}

// ErrClosed is stored by a cursor that is used after Close.
var ErrClosed = errors.New("cursor: used after Close")

// All returns an iterator over the cursor's remaining items, for use with range-over-func.
// The cursor is closed when the loop ends, whether it ran to the end or stopped early.
//
// The iterator cannot report errors: after the loop, check c.Err() (or the return value of
// c.Close(), which is the same error) to tell the end of the items from a failure.
func All[K, V any](c Cursor[K, V]) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		defer c.Close()
		for c.Next() {
			if !yield(c.Key(), c.Value()) {
				return
			}
		}
	}
}

// Collect reads the cursor's remaining items into a slice and closes the cursor. It returns
// the items read and the cursor's error, if any.
func Collect[K, V any](c Cursor[K, V]) ([]KeyValue[K, V], error) {
	var out []KeyValue[K, V]
	for c.Next() {
		out = append(out, KeyValue[K, V]{Key: c.Key(), Value: c.Value()})
	}
	err := c.Err()
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return out, err
}

// Empty returns a cursor with no items, as a store returns for a range whose lower bound is
// greater than its upper bound (Kafka Streams returns an empty iterator there too).
func Empty[K, V any]() Cursor[K, V] {
	return &sliceCursor[K, V]{}
}

// FromSlice returns a cursor over a copy-free view of items, in the order given.
func FromSlice[K, V any](items []KeyValue[K, V]) Cursor[K, V] {
	return &sliceCursor[K, V]{items: items}
}

type sliceCursor[K, V any] struct {
	items []KeyValue[K, V]
	pos   int
	State
}

func (c *sliceCursor[K, V]) Next() bool {
	if !c.Usable() {
		return false
	}
	if c.pos >= len(c.items) {
		c.pos = len(c.items) + 1
		return false
	}
	c.pos++
	return true
}

func (c *sliceCursor[K, V]) Key() (k K) {
	if c.pos < 1 || c.pos > len(c.items) || c.IsClosed() {
		return k
	}
	return c.items[c.pos-1].Key
}

func (c *sliceCursor[K, V]) Value() (v V) {
	if c.pos < 1 || c.pos > len(c.items) || c.IsClosed() {
		return v
	}
	return c.items[c.pos-1].Value
}

func (c *sliceCursor[K, V]) Close() error {
	c.MarkClosed()
	return c.Err()
}
