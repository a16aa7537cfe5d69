package kv

import (
	"bytes"
	"sync"

	"github.com/tidwall/btree"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store"
)

// entry is one key-value pair of the sorted tree. Both slices are owned by the tree and never
// modified after insertion (a put replaces the entry), so they can be handed out read-only.
type entry struct {
	key, value []byte
}

func lessEntry(a, b entry) bool { return bytes.Compare(a.key, b.key) < 0 }

// Memory is the in-memory sorted key-value engine (Kafka Streams' InMemoryKeyValueStore), on
// a B-tree (github.com/tidwall/btree). It is not persistent: its contents are rebuilt from the
// changelog when a task starts.
//
// Its cursors are weakly consistent: a cursor does not hold a snapshot; it continues after the
// last key it returned, seeing writes made since it was opened. It never returns a key twice
// and never goes backwards.
type Memory struct {
	name string

	mu      sync.RWMutex
	tree    *btree.BTreeG[entry]
	version uint64 // incremented by every mutation, so cursors know to re-seek
	closed  bool
	cursors cursor.Tracker
}

// NewMemory returns an empty in-memory engine named name.
func NewMemory(name string) *Memory {
	return &Memory{
		name: name,
		tree: btree.NewBTreeGOptions(lessEntry, btree.Options{NoLocks: true}),
	}
}

func (m *Memory) err(op string, err error) error {
	return &store.Error{Store: m.name, Op: op, Err: err}
}

// Name returns the store's name.
func (m *Memory) Name() string { return m.name }

// Persistent returns false.
func (m *Memory) Persistent() bool { return false }

// IsOpen reports whether the engine is open.
func (m *Memory) IsOpen() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return !m.closed
}

// OpenCursors returns the number of cursors not yet closed.
func (m *Memory) OpenCursors() int { return m.cursors.Open() }

// Get returns the value of key. The returned slice must not be modified.
func (m *Memory) Get(key []byte) ([]byte, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, false, m.err("get", store.ErrStoreClosed)
	}
	e, ok := m.tree.Get(entry{key: key})
	return e.value, ok, nil
}

// newEntry copies key and value into one allocation.
func newEntry(key, value []byte) entry {
	buf := make([]byte, len(key)+len(value))
	n := copy(buf, key)
	copy(buf[n:], value)
	return entry{key: buf[:n:n], value: buf[n:]}
}

func (m *Memory) set(key, value []byte) {
	m.tree.Set(newEntry(key, value))
	m.version++
}

func (m *Memory) del(key []byte) (entry, bool) {
	e, ok := m.tree.Delete(entry{key: key})
	if ok {
		m.version++
	}
	return e, ok
}

// Put writes value at key.
func (m *Memory) Put(key, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return m.err("put", store.ErrStoreClosed)
	}
	m.set(key, value)
	return nil
}

// PutIfAbsent writes value at key unless key exists, in which case it returns the existing
// value.
func (m *Memory) PutIfAbsent(key, value []byte) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false, m.err("put-if-absent", store.ErrStoreClosed)
	}
	if e, ok := m.tree.Get(entry{key: key}); ok {
		return e.value, true, nil
	}
	m.set(key, value)
	return nil, false, nil
}

// Delete removes key and returns its old value.
func (m *Memory) Delete(key []byte) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false, m.err("delete", store.ErrStoreClosed)
	}
	e, ok := m.del(key)
	return e.value, ok, nil
}

// Write applies the batch in order under one lock.
func (m *Memory) Write(batch []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return m.err("write", store.ErrStoreClosed)
	}
	for _, e := range batch {
		if e.Delete {
			m.del(e.Key)
		} else {
			m.set(e.Key, e.Value)
		}
	}
	return nil
}

// Range returns a cursor over [from, to]; see [Engine.Range].
func (m *Memory) Range(from, to []byte, reverse bool) (Bytes, error) {
	return m.newCursor("range", from, to, false, reverse)
}

// PrefixScan returns an ascending cursor over the keys starting with prefix.
func (m *Memory) PrefixScan(prefix []byte) (Bytes, error) {
	if prefix == nil {
		prefix = []byte{}
	}
	return m.newCursor("prefix-scan", prefix, PrefixEnd(prefix), true, false)
}

func (m *Memory) newCursor(op string, from, to []byte, toExclusive, reverse bool) (Bytes, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, m.err(op, store.ErrStoreClosed)
	}
	if from != nil && to != nil {
		if c := bytes.Compare(from, to); c > 0 || (c == 0 && toExclusive) {
			return cursor.Empty[[]byte, []byte](), nil
		}
	}
	c := &memCursor{m: m, from: clone(from), to: clone(to), toExclusive: toExclusive, reverse: reverse}
	c.it = m.tree.Iter()
	m.cursors.Add(c)
	return c, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// ApproximateNumEntries returns the exact number of keys.
func (m *Memory) ApproximateNumEntries() (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return 0, m.err("approximate-num-entries", store.ErrStoreClosed)
	}
	return int64(m.tree.Len()), nil
}

// Flush does nothing but check that the engine is open: there is nothing to make durable.
func (m *Memory) Flush() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return m.err("flush", store.ErrStoreClosed)
	}
	return nil
}

// Close drops the contents and invalidates the open cursors. It is idempotent.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	m.cursors.InvalidateAll(m.err("cursor", store.ErrStoreClosed))
	m.tree = btree.NewBTreeGOptions(lessEntry, btree.Options{NoLocks: true})
	return nil
}

// memCursor walks the tree between optional bounds. It holds no lock between calls: it
// remembers the engine's version, and when a write happened since its last step it seeks
// again from the last key it returned.
type memCursor struct {
	cursor.State
	m           *Memory
	it          btree.IterG[entry]
	from, to    []byte
	toExclusive bool
	reverse     bool
	started     bool
	done        bool
	version     uint64
	cur         entry
	has         bool
}

func (c *memCursor) Next() bool {
	c.m.mu.RLock()
	defer c.m.mu.RUnlock()
	if !c.Usable() || c.done {
		c.has = false
		return false
	}
	var ok bool
	switch {
	case !c.started:
		c.started = true
		if c.reverse {
			ok = c.seekLE(c.to, c.toExclusive)
		} else if c.from == nil {
			ok = c.it.First()
		} else {
			ok = c.it.Seek(entry{key: c.from})
		}
	case c.version != c.m.version:
		if c.reverse {
			ok = c.seekLE(c.cur.key, true)
		} else if ok = c.it.Seek(c.cur); ok && bytes.Equal(c.it.Item().key, c.cur.key) {
			ok = c.it.Next()
		}
	case c.reverse:
		ok = c.it.Prev()
	default:
		ok = c.it.Next()
	}
	c.version = c.m.version
	if ok {
		k := c.it.Item().key
		if c.reverse {
			ok = c.from == nil || bytes.Compare(k, c.from) >= 0
		} else if c.to != nil {
			cmp := bytes.Compare(k, c.to)
			ok = cmp < 0 || (cmp == 0 && !c.toExclusive)
		}
	}
	if !ok {
		c.done, c.has = true, false
		c.cur = entry{}
		return false
	}
	c.cur, c.has = c.it.Item(), true
	return true
}

// seekLE positions the iterator on the greatest key <= k (< k if exclusive); a nil k means
// the last key.
func (c *memCursor) seekLE(k []byte, exclusive bool) bool {
	if k == nil {
		return c.it.Last()
	}
	if !c.it.Seek(entry{key: k}) {
		return c.it.Last()
	}
	cmp := bytes.Compare(c.it.Item().key, k)
	if cmp > 0 || (cmp == 0 && exclusive) {
		return c.it.Prev()
	}
	return true
}

func (c *memCursor) Key() []byte {
	if !c.has {
		return nil
	}
	return c.cur.key
}

func (c *memCursor) Value() []byte {
	if !c.has {
		return nil
	}
	return c.cur.value
}

// Err returns the cursor's error; it locks because closing the engine may store one.
func (c *memCursor) Err() error {
	c.m.mu.RLock()
	defer c.m.mu.RUnlock()
	return c.State.Err()
}

func (c *memCursor) Close() error {
	c.m.mu.RLock()
	defer c.m.mu.RUnlock()
	if c.MarkClosed() {
		c.has = false
		c.cur = entry{}
		c.it.Release()
		c.m.cursors.Remove(c)
	}
	return c.State.Err()
}

// Invalidate is called by Close of the engine, with its write lock held.
func (c *memCursor) Invalidate(err error) {
	c.Fail(err)
	c.has = false
	c.cur = entry{}
	c.it.Release()
}
