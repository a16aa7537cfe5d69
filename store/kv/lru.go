package kv

import (
	"bytes"
	"errors"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/tributary-go/tributary/store"
)

// LRU is an in-memory key-value engine bounded by entry count (Kafka Streams' MemoryLRUCache,
// Stores.lruMap): when a put would exceed the bound, the least recently used entry is evicted
// and reported to the eviction listener, which the changelog layer uses to log a delete.
//
// Recency is kept by github.com/hashicorp/golang-lru/v2; order by the same B-tree as [Memory],
// so ranges and prefix scans work. Get, Put and PutIfAbsent count as uses; ranges do not.
type LRU struct {
	*Memory
	recency *simplelru.LRU[string, struct{}]
	onEvict func(key, value []byte)
}

// NewLRU returns an empty LRU engine named name holding at most maxEntries entries.
func NewLRU(name string, maxEntries int) (*LRU, error) {
	if maxEntries <= 0 {
		return nil, &store.Error{Store: name, Op: "open", Err: errors.New("LRU max entries must be positive")}
	}
	l := &LRU{Memory: NewMemory(name)}
	rec, err := simplelru.NewLRU[string, struct{}](maxEntries, l.evicted)
	if err != nil {
		return nil, &store.Error{Store: name, Op: "open", Err: err}
	}
	l.recency = rec
	return l, nil
}

// evicted is golang-lru's callback, called with the engine's lock held.
func (l *LRU) evicted(key string, _ struct{}) {
	e, ok := l.del(unsafe.Slice(unsafe.StringData(key), len(key)))
	if ok && l.onEvict != nil {
		l.onEvict(e.key, e.value)
	}
}

// SetEvictionListener registers fn to be called for each evicted entry; see
// [EvictionNotifier].
func (l *LRU) SetEvictionListener(fn func(key, value []byte)) {
	l.mu.Lock()
	l.onEvict = fn
	l.mu.Unlock()
}

// view returns key as a string without copying, for look-ups that do not retain it.
func view(key []byte) string { return unsafe.String(unsafe.SliceData(key), len(key)) }

// touch marks key as used, adding it to the recency list if new (which may evict another).
func (l *LRU) touch(key []byte) {
	if l.recency.Contains(view(key)) {
		l.recency.Get(view(key))
		return
	}
	l.recency.Add(string(key), struct{}{})
}

// Get returns the value of key and marks it used.
func (l *LRU) Get(key []byte) ([]byte, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, false, l.err("get", store.ErrStoreClosed)
	}
	e, ok := l.lookup(key)
	if !ok {
		return nil, false, nil
	}
	l.recency.Get(view(key))
	return e.value, true, nil
}

// Put writes value at key, evicting the least recently used entry if the engine is full.
func (l *LRU) Put(key, value []byte) error {
	return l.PutOwned(key, bytes.Clone(value))
}

// PutOwned is Put for a value the caller gives up (see [OwningPutter]).
func (l *LRU) PutOwned(key, value []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.err("put", store.ErrStoreClosed)
	}
	l.setOwned(key, value)
	l.touch(key)
	return nil
}

// PutIfAbsent writes value at key unless it exists; either way key counts as used.
func (l *LRU) PutIfAbsent(key, value []byte) ([]byte, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, false, l.err("put-if-absent", store.ErrStoreClosed)
	}
	if e, ok := l.lookup(key); ok {
		l.recency.Get(view(key))
		return e.value, true, nil
	}
	l.set(key, value)
	l.touch(key)
	return nil, false, nil
}

// Delete removes key and returns its old value. A delete is not an eviction: the listener is
// not called.
func (l *LRU) Delete(key []byte) ([]byte, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, false, l.err("delete", store.ErrStoreClosed)
	}
	e, ok := l.del(key)
	l.recency.Remove(view(key))
	return e.value, ok, nil
}

// Write applies the batch in order under one lock; puts may evict.
func (l *LRU) Write(batch []Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.err("write", store.ErrStoreClosed)
	}
	for _, e := range batch {
		if e.Delete {
			l.del(e.Key)
			l.recency.Remove(view(e.Key))
		} else {
			l.set(e.Key, e.Value)
			l.touch(e.Key)
		}
	}
	return nil
}

// Close drops the contents, without reporting them as evictions, and invalidates the open
// cursors.
func (l *LRU) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.onEvict = nil // Purge reports each entry to evicted: these are not evictions
		l.recency.Purge()
	}
	l.mu.Unlock()
	return l.Memory.Close()
}
