package kv

import (
	"github.com/tributary-go/tributary/cursor"
)

// Bytes is the cursor type that engines return: keys and values are raw bytes.
type Bytes = cursor.Cursor[[]byte, []byte]

// Entry is one write of a batch given to [Engine.Write]: a put of Value at Key, or, when
// Delete is set, a delete of Key (the changelog's tombstone). Value is ignored for a delete.
type Entry struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// Engine is a key-value store over bytes: the small interface a storage engine implements
// (in-memory, LRU, RocksDB), under the typed [Store]. Keys are ordered by bytes.Compare.
//
// Byte slices passed in are not retained (engines copy what they keep). Byte slices returned
// by Get, PutIfAbsent, Delete and by cursors must not be modified; those returned by a cursor
// are valid only until its next call to Next or Close.
//
// Every method is safe for concurrent use. After Close, every method returns an error that
// wraps store.ErrStoreClosed (Close itself returns nil again), and cursors that were open are
// invalidated.
type Engine interface {
	// Name returns the store's name.
	Name() string
	// Persistent reports whether the engine keeps its data on disk.
	Persistent() bool
	// IsOpen reports whether the engine is open.
	IsOpen() bool

	// Get returns the value of key and whether it exists.
	Get(key []byte) (value []byte, found bool, err error)
	// Put writes value at key.
	Put(key, value []byte) error
	// PutIfAbsent writes value at key only if key is absent. If key exists it returns the
	// existing value and found=true, and writes nothing.
	PutIfAbsent(key, value []byte) (existing []byte, found bool, err error)
	// Delete removes key and returns the value it had, if any.
	Delete(key []byte) (old []byte, found bool, err error)
	// Write applies a batch of puts and deletes in order. Persistent engines apply it
	// atomically (one RocksDB write batch); in-memory engines apply it under one lock.
	Write(batch []Entry) error

	// Range returns a cursor over the keys in [from, to], both inclusive, ascending or, if
	// reverse, descending. A nil bound is open (an empty non-nil slice is the empty key).
	// from > to gives an empty cursor.
	Range(from, to []byte, reverse bool) (Bytes, error)
	// PrefixScan returns an ascending cursor over the keys that start with prefix.
	PrefixScan(prefix []byte) (Bytes, error)
	// ApproximateNumEntries returns an estimate of the number of keys (exact for in-memory
	// engines).
	ApproximateNumEntries() (int64, error)

	// Flush makes the writes so far durable, where the engine is persistent.
	Flush() error
	// Close closes the engine and invalidates its open cursors. It is idempotent.
	Close() error
}

// OpenCursorCounter is implemented by engines that count their open cursors (all of
// Tributary's do); tests use it to find cursors that were never closed.
type OpenCursorCounter interface {
	OpenCursors() int
}

// OwningPutter is implemented by engines that can keep a value slice instead of copying it
// (the in-memory engines). The typed Store hands them the bytes it has just serialized.
type OwningPutter interface {
	// PutOwned is Put, except that the engine may keep value: the caller must not use or
	// modify it afterwards.
	PutOwned(key, value []byte) error
}

// EvictionNotifier is implemented by engines that evict entries on their own (the LRU engine).
// The changelog layer registers a listener to log each eviction as a delete.
type EvictionNotifier interface {
	// SetEvictionListener registers fn to be called, with the engine's lock held, for each
	// evicted entry. fn must not call back into the engine. A nil fn removes the listener.
	SetEvictionListener(fn func(key, value []byte))
}

// Wrapper is implemented by engines layered over another engine (the changelog and cache
// layers): Unwrap returns the engine underneath, so that a typed store can reach the
// capabilities of the engine at the bottom (a segmented window engine's stream time, say).
type Wrapper interface {
	Unwrap() Engine
}

// Find returns the first engine of type T in the chain that starts at e and follows
// [Wrapper.Unwrap].
func Find[T any](e Engine) (T, bool) {
	for e != nil {
		if t, ok := e.(T); ok {
			return t, true
		}
		w, ok := e.(Wrapper)
		if !ok {
			break
		}
		e = w.Unwrap()
	}
	var zero T
	return zero, false
}

// PrefixEnd returns the smallest key greater than every key that starts with prefix, or nil
// when there is none (the prefix is empty or all 0xff), meaning the range is open above.
func PrefixEnd(prefix []byte) []byte {
	end := make([]byte, len(prefix))
	copy(end, prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
