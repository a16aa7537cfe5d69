package rocksdb

import (
	"sync/atomic"

	"github.com/linxGnu/grocksdb"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store/kv"
)

// dbCursor is the cursor of Range and PrefixScan: a RocksDB iterator over the default
// column family, bounded by the read options' iterate bounds, stepped with one cgo call per
// item. Next copies the item into buffers the cursor reuses, while it holds the engine's
// read lock, so Key and Value never point into native memory that a concurrent Close could
// free; they are valid until the next Next or Close.
type dbCursor struct {
	cursor.State
	e       *Engine
	reverse bool
	started bool
	done    bool
	k, v    []byte // the current item: kbuf and vbuf, or nil
	kbuf    []byte
	vbuf    []byte

	// Native resources; guarded by e.mu (Next and Close hold it for reading, Invalidate
	// runs under it held for writing).
	it     *grocksdb.Iterator
	ro     *grocksdb.ReadOptions
	bounds []byte // the bounds RocksDB reads, in C memory (a leaked cursor must not pin Go memory)

	// gone is set by Invalidate when the store closes; goneErr is written before it.
	gone    atomic.Bool
	goneErr error
}

var _ kv.Bytes = (*dbCursor)(nil)

// newCursor returns a cursor over the keys from lo (inclusive; nil for the first key) to hi
// (inclusive if hiInclusive, else exclusive; nil for the last key). An empty cursor holds
// no native resources but is counted like the others.
func (e *Engine) newCursor(op string, lo, hi []byte, hiInclusive, reverse, empty bool) (kv.Bytes, error) {
	if err := e.rlock(op, false); err != nil {
		return nil, err
	}
	defer e.mu.RUnlock()
	c := &dbCursor{e: e, reverse: reverse, done: empty}
	if !empty {
		// Copy the bounds (callers may reuse their slices) into one buffer in C memory,
		// because RocksDB keeps pointers to them for the iterator's life.
		n := len(lo) + len(hi)
		if hi != nil && hiInclusive {
			n++
		}
		var lower, upper []byte
		if n > 0 {
			c.bounds = cAlloc(n)
			c.bounds = append(c.bounds, lo...)
			lower = c.bounds[:len(lo):len(lo)]
			if hi != nil {
				c.bounds = append(c.bounds, hi...)
				if hiInclusive {
					// RocksDB's upper bound is exclusive; hi+0x00 is the next key after hi.
					c.bounds = append(c.bounds, 0)
				}
				upper = c.bounds[len(lo):]
			}
		}
		c.ro = grocksdb.NewDefaultReadOptions()
		if len(lower) > 0 {
			c.ro.SetIterateLowerBound(lower)
		}
		if upper != nil {
			c.ro.SetIterateUpperBound(upper)
		}
		c.it = e.db.NewIterator(c.ro)
	}
	e.cursors.Add(c)
	return c, nil
}

// Next advances to the next item.
func (c *dbCursor) Next() bool {
	if !c.Usable() {
		c.k, c.v = nil, nil
		return false
	}
	if c.gone.Load() {
		c.Fail(c.goneErr)
		c.k, c.v, c.done = nil, nil, true
		return false
	}
	if c.done {
		return false
	}
	c.e.mu.RLock()
	if c.gone.Load() {
		c.e.mu.RUnlock()
		c.Fail(c.goneErr)
		c.k, c.v, c.done = nil, nil, true
		return false
	}
	op := stepNext
	switch {
	case !c.started && c.reverse:
		op = stepLast
	case !c.started:
		op = stepFirst
	case c.reverse:
		op = stepPrev
	}
	c.started = true
	k, v, ok := iterStep(c.it, op)
	if ok {
		c.kbuf = append(c.kbuf[:0], k...)
		c.vbuf = append(c.vbuf[:0], v...)
		c.k, c.v = c.kbuf, c.vbuf
	} else {
		c.Fail(c.iterErr())
		c.k, c.v, c.done = nil, nil, true
	}
	c.e.mu.RUnlock()
	return ok
}

// iterErr returns the iterator's error, wrapped; the caller holds e.mu.
func (c *dbCursor) iterErr() error {
	if err := c.it.Err(); err != nil {
		return c.e.fail("next", err)
	}
	return nil
}

// Key returns the current key, a buffer of the cursor's valid until the next Next or Close.
// It is a copy in Go memory, so it stays readable even if the store closes concurrently
// (the next Next then reports the closed store).
func (c *dbCursor) Key() []byte { return c.k }

// Value returns the current value, a buffer of the cursor's valid until the next Next or
// Close; like Key, it is a copy that a concurrent store Close does not tear.
func (c *dbCursor) Value() []byte { return c.v }

// Err returns the error that stopped the cursor: its own, or the store's closed error if
// the store closed while the cursor was open.
func (c *dbCursor) Err() error {
	if err := c.State.Err(); err != nil {
		return err
	}
	if c.gone.Load() {
		return c.goneErr
	}
	return nil
}

// Close releases the iterator. It is idempotent and returns the cursor's error.
func (c *dbCursor) Close() error {
	if c.MarkClosed() {
		c.k, c.v = nil, nil
		c.e.mu.RLock()
		if c.gone.Load() {
			c.Fail(c.goneErr) // the store closed first: keep saying so
		} else {
			c.release()
			c.e.cursors.Remove(c)
		}
		c.e.mu.RUnlock()
	}
	return c.Err()
}

// Invalidate releases the iterator when the store closes; the store holds e.mu for writing.
func (c *dbCursor) Invalidate(err error) {
	c.release()
	c.goneErr = err
	c.gone.Store(true)
}

// release frees the native resources; the caller holds e.mu.
func (c *dbCursor) release() {
	if c.it != nil {
		c.it.Close()
		c.it = nil
	}
	if c.ro != nil {
		c.ro.Destroy()
		c.ro = nil
	}
	if c.bounds != nil {
		cFree(c.bounds)
		c.bounds = nil
	}
}
