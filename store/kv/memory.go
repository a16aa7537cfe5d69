package kv

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/tidwall/btree"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store"
)

// entry is one key-value pair. The engine owns both byte slices and never modifies their
// bytes: a put of an existing key replaces the value slice (under the write lock), so slices
// handed out read-only stay valid.
type entry struct {
	key, value []byte
}

func lessEntry(a, b *entry) bool { return bytes.Compare(a.key, b.key) < 0 }

// Memory is the in-memory sorted key-value engine (Kafka Streams' InMemoryKeyValueStore), on
// a B-tree (github.com/tidwall/btree) for order, with a hash index beside it for point reads
// and for overwriting an existing key without walking the tree. It is not persistent: its
// contents are rebuilt from the changelog when a task starts.
//
// Its cursors are weakly consistent: a cursor does not hold a snapshot; it continues after the
// last key it returned, seeing writes made since it was opened. It never returns a key twice
// and never goes backwards.
type Memory struct {
	name string

	mu      sync.RWMutex
	tree    *btree.BTreeG[*entry]
	index   map[string]*entry // keyed by an unsafe string view of entry.key
	version uint64            // incremented by every mutation, so cursors know to re-seek
	closed  bool
	cursors cursor.Tracker
}

// NewMemory returns an empty in-memory engine named name.
func NewMemory(name string) *Memory {
	return &Memory{
		name:  name,
		tree:  btree.NewBTreeGOptions(lessEntry, btree.Options{NoLocks: true}),
		index: map[string]*entry{},
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
	if e, ok := m.index[string(key)]; ok {
		return e.value, true, nil
	}
	return nil, false, nil
}

// newEntry copies key and value into one allocation.
func newEntry(key, value []byte) *entry {
	buf := make([]byte, len(key)+len(value))
	n := copy(buf, key)
	copy(buf[n:], value)
	return &entry{key: buf[:n:n], value: buf[n:]}
}

func (m *Memory) lookup(key []byte) (*entry, bool) {
	e, ok := m.index[string(key)]
	return e, ok
}

func (m *Memory) set(key, value []byte) {
	m.setOwned(key, append(make([]byte, 0, len(value)), value...))
}

// setOwned writes value, which the engine may keep (the caller gives it up), at key.
func (m *Memory) setOwned(key, value []byte) {
	m.version++
	if e, ok := m.index[string(key)]; ok {
		e.value = value
		return
	}
	e := newEntry(key, value)
	m.tree.Set(e)
	m.index[view(e.key)] = e
}

func (m *Memory) del(key []byte) (entry, bool) {
	e, ok := m.index[string(key)]
	if !ok {
		return entry{}, false
	}
	delete(m.index, string(key))
	m.tree.Delete(e)
	m.version++
	return *e, true
}

// Put writes value at key.
func (m *Memory) Put(key, value []byte) error {
	return m.PutOwned(key, bytes.Clone(value))
}

// PutOwned is Put for a value the caller gives up: the engine keeps the slice instead of
// copying it, and the caller must not use it afterwards. The typed Store uses it for the
// bytes it has just serialized (see [OwningPutter]).
func (m *Memory) PutOwned(key, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return m.err("put", store.ErrStoreClosed)
	}
	m.setOwned(key, value)
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
	if e, ok := m.lookup(key); ok {
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
	c := &memCursor{m: m, r: newReader(m, from, to, toExclusive, reverse)}
	if from != nil && to != nil {
		if cmp := bytes.Compare(from, to); cmp > 0 || (cmp == 0 && toExclusive) {
			// Empty, but counted and invalidated like any other cursor.
			c.r.started, c.r.done = true, true
		}
	}
	m.cursors.Add(c)
	return c, nil
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
	m.index = map[string]*entry{}
	return nil
}

// memCursor is the handle a range returns. The work is done by a memReader taken from a
// pool, so that a range allocates only this small handle: ranges run per record in window and
// session stores, and garbage there makes the collector scan the whole store again.
//
// Closing the engine sets invalid (the only field another goroutine writes); the cursor's own
// goroutine notices it and stores the error, so State needs no lock.
type memCursor struct {
	cursor.State
	m       *Memory
	r       *memReader // nil once closed
	has     bool       // r.buf[r.pos-1] is the current item
	invalid atomic.Bool
}

// memReader walks the tree between optional bounds. It holds no lock between calls: it reads
// ahead a few items at a time under the engine's read lock (16, then 64), which the cursor
// then serves without locking. It remembers the engine's version, and when a write happened
// since its last read-ahead it seeks again after the last key it read.
type memReader struct {
	it          btree.IterG[*entry]
	bounds      []byte // backing array of from and to, reused
	from, to    []byte
	toExclusive bool
	reverse     bool
	started     bool
	done        bool // the tree holds nothing more in range
	version     uint64
	last        []byte // the last key read ahead
	buf         []entry
	pos         int
	big         []entry // the second, larger read-ahead buffer, kept across uses
	probe       entry   // the search key of seeks: a field, so seeking does not allocate
	inline      [16]entry
}

var readers = sync.Pool{New: func() any { return new(memReader) }}

func newReader(m *Memory, from, to []byte, toExclusive, reverse bool) *memReader {
	r := readers.Get().(*memReader)
	if r.bounds == nil {
		r.bounds = make([]byte, 0, 32) // non-nil, so that an empty bound stays a bound
	}
	r.bounds = append(r.bounds[:0], from...)
	r.bounds = append(r.bounds, to...)
	r.from, r.to = nil, nil
	if from != nil {
		r.from = r.bounds[:len(from):len(from)]
	}
	if to != nil {
		r.to = r.bounds[len(from):]
	}
	r.toExclusive, r.reverse = toExclusive, reverse
	r.started, r.done, r.version, r.last = false, false, 0, nil
	r.buf, r.pos = nil, 0
	r.it.Init(m.tree, false) // reuses the stack the pooled iterator grew
	return r
}

// seekKey returns the reader's probe entry holding key k.
func (r *memReader) seekKey(k []byte) *entry {
	r.probe.key = k
	return &r.probe
}

// release clears the reader (dropping its references into the tree) and pools it.
func (r *memReader) release() {
	r.it.Release()
	clear(r.inline[:])
	clear(r.big[:cap(r.big)])
	r.buf, r.last, r.from, r.to, r.probe = nil, nil, nil, nil, entry{}
	readers.Put(r)
}

func (c *memCursor) Next() bool {
	c.has = false
	if c.invalid.Load() {
		c.Fail(c.m.err("cursor", store.ErrStoreClosed))
	}
	if !c.Usable() {
		return false
	}
	r := c.r
	if r.pos == len(r.buf) && (r.done || !c.fill()) {
		return false
	}
	r.pos++
	c.has = true
	return true
}

// fill reads the next items ahead under the read lock and reports whether it read any.
func (c *memCursor) fill() bool {
	c.m.mu.RLock()
	defer c.m.mu.RUnlock()
	if c.invalid.Load() { // closed between the check in Next and the lock
		c.Fail(c.m.err("cursor", store.ErrStoreClosed))
		return false
	}
	r := c.r
	switch {
	case r.buf == nil:
		r.buf = r.inline[:0]
	case cap(r.buf) == len(r.inline):
		if r.big == nil {
			r.big = make([]entry, 0, 64)
		}
		r.buf = r.big
	}
	n := 0
	for buf := r.buf[:cap(r.buf)]; n < len(buf); n++ {
		if !r.step(c.m.version, &buf[n]) {
			r.done = true
			break
		}
	}
	r.buf, r.pos = r.buf[:n], 0
	if n > 0 {
		r.last = r.buf[n-1].key
	}
	return n > 0
}

// step moves the iterator to the next item in range; the engine's read lock is held and
// version is the engine's.
func (r *memReader) step(version uint64, out *entry) bool {
	var ok bool
	switch {
	case !r.started:
		r.started = true
		if r.reverse {
			ok = r.seekLE(r.to, r.toExclusive)
		} else if r.from == nil {
			ok = r.it.First()
		} else {
			ok = r.it.Seek(r.seekKey(r.from))
		}
	case r.version != version:
		if r.reverse {
			ok = r.seekLE(r.last, true)
		} else if ok = r.it.Seek(r.seekKey(r.last)); ok && bytes.Equal(r.it.Item().key, r.last) {
			ok = r.it.Next()
		}
	case r.reverse:
		ok = r.it.Prev()
	default:
		ok = r.it.Next()
	}
	r.version = version
	if !ok {
		return false
	}
	*out = *r.it.Item() // a copy, taken under the read lock: a put may replace e.value
	if r.reverse {
		return r.from == nil || bytes.Compare(out.key, r.from) >= 0
	} else if r.to != nil {
		cmp := bytes.Compare(out.key, r.to)
		return cmp < 0 || (cmp == 0 && !r.toExclusive)
	}
	return true
}

// seekLE positions the iterator on the greatest key <= k (< k if exclusive); a nil k means
// the last key.
func (r *memReader) seekLE(k []byte, exclusive bool) bool {
	if k == nil {
		return r.it.Last()
	}
	if !r.it.Seek(r.seekKey(k)) {
		return r.it.Last()
	}
	cmp := bytes.Compare(r.it.Item().key, k)
	if cmp > 0 || (cmp == 0 && exclusive) {
		return r.it.Prev()
	}
	return true
}

func (c *memCursor) Key() []byte {
	if !c.has {
		return nil
	}
	return c.r.buf[c.r.pos-1].key
}

func (c *memCursor) Value() []byte {
	if !c.has {
		return nil
	}
	return c.r.buf[c.r.pos-1].value
}

// Err returns the cursor's error, including the engine's closing.
func (c *memCursor) Err() error {
	if c.invalid.Load() {
		c.Fail(c.m.err("cursor", store.ErrStoreClosed))
	}
	return c.State.Err()
}

func (c *memCursor) Close() error {
	err := c.Err()
	if c.MarkClosed() {
		c.has = false
		c.m.mu.RLock()
		c.m.cursors.Remove(c) // before the reader goes: Close of the engine must not see it
		c.r.release()
		c.r = nil
		c.m.mu.RUnlock()
	}
	return err
}

// Invalidate is called by Close of the engine, with its write lock held.
func (c *memCursor) Invalidate(error) {
	c.invalid.Store(true)
	if c.r != nil {
		c.r.it.Release()
	}
}
