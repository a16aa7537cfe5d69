package changelog

import (
	"bytes"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tidwall/btree"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// CacheEntryOverhead is the number of bytes an entry of the record cache is charged beyond
// its key and value: its bookkeeping (the entry itself with its record context and list
// links, its slot in the hash index and in the sorted tree, allocation rounding), as measured
// on amd64 (about 220 bytes a cached entry, at 200,000 entries). An entry costs
// len(key) + len(value) + CacheEntryOverhead bytes of the [Cache] budget; a deleted key (a
// cached tombstone) costs len(key) + CacheEntryOverhead. Headers and topic names carried in
// the record context are shared with the records and not charged.
const CacheEntryOverhead = 224

// Cache is the record cache's byte budget, shared by the cached stores of one worker (Kafka
// Streams' ThreadCache: cache.max.bytes.buffering, default 10 MiB, split across the stream
// threads). Each [CachedEngine] is one named cache within it (Kafka's NamedCache); when a
// write takes the total over the budget, the store that was written evicts its own least
// recently used entries until the total fits again or that store's cache is empty (Kafka's
// ThreadCache.maybeEvict of the written namespace).
//
// A budget of zero or less turns caching off in effect: every write is flushed to the
// underlying store (and handed to the flush listener) as soon as it is made, as in Kafka with
// cache.max.bytes.buffering=0.
//
// The counters and SizeBytes may be read from any goroutine. Resize is meant to be called by
// the worker's goroutine that owns the stores (it may flush them, calling their listeners).
type Cache struct {
	maxBytes  atomic.Int64
	sizeBytes atomic.Int64
	hits      atomic.Int64
	misses    atomic.Int64
	evictions atomic.Int64
	flushes   atomic.Int64

	mu      sync.Mutex
	engines []*CachedEngine // open engines, in the order they were created (for Resize)
}

// NewCache returns a cache with a budget of maxBytes; zero or less means no caching.
func NewCache(maxBytes int64) *Cache {
	c := &Cache{}
	c.maxBytes.Store(maxBytes)
	return c
}

// MaxBytes returns the budget.
func (c *Cache) MaxBytes() int64 { return c.maxBytes.Load() }

// SizeBytes returns the bytes that the open cached stores' entries are charged, in total.
func (c *Cache) SizeBytes() int64 { return c.sizeBytes.Load() }

// Hits returns the number of Get calls that the cache answered (a cached delete included).
func (c *Cache) Hits() int64 { return c.hits.Load() }

// Misses returns the number of Get calls that went to the underlying stores.
func (c *Cache) Misses() int64 { return c.misses.Load() }

// Evictions returns the number of entries evicted to keep within the budget.
func (c *Cache) Evictions() int64 { return c.evictions.Load() }

// Flushes returns the number of flushes that wrote dirty entries to an underlying store,
// whether asked for (Flush) or forced by an eviction.
func (c *Cache) Flushes() int64 { return c.flushes.Load() }

// Resize sets the budget to maxBytes (Kafka's ThreadCache.resize, used when the number of
// stream threads changes). When the budget shrinks below the current size, it evicts entries
// from the stores in turn, one from each, until the total fits; evicting a dirty entry
// flushes that store's dirty entries first. Resize cannot return an error: a store whose
// eviction fails (its underlying store or its flush listener returned an error) is skipped,
// and its next Flush returns the error.
func (c *Cache) Resize(maxBytes int64) {
	old := c.maxBytes.Swap(maxBytes)
	if maxBytes >= old {
		return
	}
	c.mu.Lock()
	engines := slices.Clone(c.engines)
	c.mu.Unlock()
	for c.sizeBytes.Load() > c.maxBytes.Load() {
		progress := false
		for _, e := range engines {
			if c.sizeBytes.Load() <= c.maxBytes.Load() {
				return
			}
			if e.evictOne() {
				progress = true
			}
		}
		if !progress {
			return
		}
	}
}

func (c *Cache) register(e *CachedEngine) {
	c.mu.Lock()
	c.engines = append(c.engines, e)
	c.mu.Unlock()
}

func (c *Cache) unregister(e *CachedEngine) {
	c.mu.Lock()
	if i := slices.Index(c.engines, e); i >= 0 {
		c.engines = slices.Delete(c.engines, i, i+1)
	}
	c.mu.Unlock()
}

// FlushedEntry is what a cached store hands its flush listener for each dirty key it flushes
// (Kafka's ThreadCache.DirtyEntry as CachingKeyValueStore forwards it). The slices belong to
// the store: the listener must not modify them, and copies what it keeps.
type FlushedEntry struct {
	Key []byte
	// NewValue is the value written; nil means the key was deleted. A put of an empty value
	// gives a non-nil empty slice.
	NewValue []byte
	// OldValue is the value in the underlying store before this flush, or nil if the key
	// was absent there. It is set only when the listener was registered with sendOldValues.
	OldValue []byte
	// Context is the record context of the last write to the key.
	Context RecordContext
}

// node is one entry of a store's cache. key and value are never modified once set (a write
// replaces the value slice), so they can be handed out without copying.
type node struct {
	key   []byte
	value []byte // nil for a tombstone
	tomb  bool   // the entry is a delete
	dirty bool   // written since the last flush
	gone  bool   // removed from the cache
	size  int64
	ctx   RecordContext

	prev, next   *node // LRU list: head is the most recently used
	dprev, dnext *node // dirty list: in the order of each key's last write
}

func lessNode(a, b *node) bool { return bytes.Compare(a.key, b.key) < 0 }

// keyString returns a string sharing b's bytes; b must never be modified.
func keyString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// ownedValue returns a copy of v that is never nil (nil is reserved for tombstones).
func ownedValue(v []byte) []byte {
	return append(make([]byte, 0, len(v)), v...)
}

// CachedEngine is the record cache in front of a key-value engine (Kafka Streams'
// CachingKeyValueStore over a NamedCache of the worker's ThreadCache). In the runtime the
// inner engine is the changelog-logging engine over RocksDB or memory, so what the cache
// holds back is neither in the store nor in the changelog until it is flushed.
//
// Writes (Put, PutOwned, PutIfAbsent, Delete, Write) go into the cache as dirty entries,
// each with the record context returned by the [ContextFunc] at the time of the write; a
// delete is a dirty tombstone. Repeated writes to a key between flushes are deduplicated: the
// flush writes only the last value, with the last context. Get reads the cache first (a cached
// tombstone reads as absent), then the inner engine; what Get reads from the inner engine is
// not put into the cache, so that a read never evicts, flushes or calls the listener (Kafka
// caches such a read only on the stream thread, which Go cannot tell apart; a read from an
// interactive query must not flush). PutIfAbsent and Delete see the value through the cache.
//
// Range and PrefixScan merge the cache's entries in range with the inner engine's cursor
// (Kafka's MergedSortedCacheKeyValueBytesStoreIterator): on equal keys the cache wins, and
// cached tombstones hide the inner keys. The cache's side is a snapshot of its entries in
// range taken when the cursor opens (the keys and values are shared, not copied, since they
// are never modified); the inner side is as consistent as the inner engine's cursors. The
// cursor never repeats a key and never goes backwards.
//
// Flush writes the dirty entries to the inner engine as one Write batch, in the order of each
// key's last write (Kafka's NamedCache keeps its dirty keys in arrival order, moving a key to
// the end when it is written again), hands them to the flush listener, and then flushes the
// inner engine. An eviction of a dirty entry first flushes all the store's dirty entries the
// same way, without flushing the inner engine.
//
// Close does not flush: the runtime flushes before it closes a store, and closing without a
// flush drops the dirty entries, as Kafka does when it closes a task dirty. The engine
// releases its bytes from the Cache budget and closes the inner engine.
//
// Every method is safe for concurrent use, as [kv.Engine] requires: interactive queries read
// beside the worker's writes. One plain mutex guards the cache's state, held for the
// in-memory work and, in writes and flushes, for the inner engine's calls they need; a Get
// that misses the cache reads the inner engine without it. (A sync.RWMutex would not help: a
// hit moves the entry in the LRU list, which is a write, and a read-write mutex's write lock
// costs the worker's path four atomic operations instead of two.) Cursors hold no lock
// between calls.
//
// The flush listener is called without the engine's lock, on the goroutine that caused the
// flush, so it may call back into the engine (a downstream processor may read the store); a
// flush caused from inside the listener is delivered at once, nested, as in Kafka. With one
// writing goroutine (the runtime's worker) the listener sees the entries in flush order; when
// several goroutines write, their listener calls may interleave.
type CachedEngine struct {
	inner kv.Engine
	cache *Cache
	ctx   ContextFunc

	mu        sync.Mutex
	closed    bool
	index     map[string]*node // keyed by keyString(node.key)
	tree      *btree.BTreeG[*node]
	head      *node // most recently used
	tail      *node // least recently used: the next to evict
	dirtyHead *node
	dirtyTail *node
	bytes     int64 // what this store's entries are charged
	listener  func(FlushedEntry) error
	sendOld   bool
	deferred  error      // an eviction failure during Cache.Resize, returned by Flush
	batch     []kv.Entry // reused by flushes
	cursors   cursor.Tracker
}

var (
	_ kv.Engine            = (*CachedEngine)(nil)
	_ kv.OwningPutter      = (*CachedEngine)(nil)
	_ kv.OpenCursorCounter = (*CachedEngine)(nil)
)

// NewCachedEngine returns the record cache in front of inner, charging its entries to cache.
// ctx returns the context of the record being processed, recorded with each write; nil means
// a zero context. A nil cache means a private cache with no budget (no caching).
func NewCachedEngine(inner kv.Engine, cache *Cache, ctx ContextFunc) *CachedEngine {
	if cache == nil {
		cache = NewCache(0)
	}
	e := &CachedEngine{
		inner: inner,
		cache: cache,
		ctx:   ctx,
		index: map[string]*node{},
		tree:  btree.NewBTreeGOptions(lessNode, btree.Options{NoLocks: true}),
	}
	cache.register(e)
	return e
}

// SetFlushListener registers fn to be called for each entry that a flush writes to the inner
// engine (Kafka's CachingKeyValueStore.setFlushListener; the DSL forwards the entries
// downstream). With sendOldValues, each entry carries the inner engine's value from before
// the flush. As in Kafka, when a listener is set, a cached delete of a key that the inner
// engine does not hold is dropped at flush: it is neither written nor handed to fn.
//
// fn is called after the entries are written to the inner engine, without the engine's lock.
// If fn returns an error, the flush stops calling it and returns the error (naming the
// store); the entries are already written and clean. A nil fn removes the listener.
func (e *CachedEngine) SetFlushListener(fn func(FlushedEntry) error, sendOldValues bool) {
	e.mu.Lock()
	e.listener, e.sendOld = fn, sendOldValues
	e.mu.Unlock()
}

// Name returns the inner engine's name.
func (e *CachedEngine) Name() string { return e.inner.Name() }

// Unwrap returns the engine under the cache (kv.Wrapper).
func (e *CachedEngine) Unwrap() kv.Engine { return e.inner }

// Persistent reports whether the inner engine is persistent.
func (e *CachedEngine) Persistent() bool { return e.inner.Persistent() }

// IsOpen reports whether the engine and the inner engine are open.
func (e *CachedEngine) IsOpen() bool {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	return !closed && e.inner.IsOpen()
}

// OpenCursors returns the number of this engine's cursors not yet closed.
func (e *CachedEngine) OpenCursors() int { return e.cursors.Open() }

func (e *CachedEngine) err(op string, err error) error {
	return &store.Error{Store: e.inner.Name(), Op: op, Err: err}
}

func (e *CachedEngine) context() RecordContext {
	if e.ctx == nil {
		return RecordContext{}
	}
	return e.ctx()
}

// Get returns the value of key as seen through the cache. On a miss it reads the inner engine
// after releasing the lock: the cache drops an entry only once the inner engine holds what
// it held, so the inner engine then has that key's latest flushed state or a newer one.
func (e *CachedEngine) Get(key []byte) ([]byte, bool, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, false, e.err("get", store.ErrStoreClosed)
	}
	if n, ok := e.index[string(key)]; ok {
		e.touch(n)
		value, tomb := n.value, n.tomb
		e.mu.Unlock()
		e.cache.hits.Add(1)
		if tomb {
			return nil, false, nil
		}
		return value, true, nil
	}
	e.mu.Unlock()
	e.cache.misses.Add(1)
	return e.inner.Get(key)
}

// Put writes value at key into the cache.
func (e *CachedEngine) Put(key, value []byte) error {
	return e.PutOwned(key, ownedValue(value))
}

// PutOwned is Put of a value the caller gives up (see [kv.OwningPutter]): the cache keeps the
// slice instead of copying it.
func (e *CachedEngine) PutOwned(key, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	ctx := e.context()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return e.err("put", store.ErrStoreClosed)
	}
	e.set(key, value, ctx)
	p := pending{op: "evict"}
	err := e.maybeEvict(&p)
	e.mu.Unlock()
	return e.finish(&p, err)
}

// PutIfAbsent writes value at key unless the key exists (in the cache or, when the cache does
// not hold it, in the inner engine), in which case it returns the existing value.
func (e *CachedEngine) PutIfAbsent(key, value []byte) ([]byte, bool, error) {
	ctx := e.context()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, false, e.err("put-if-absent", store.ErrStoreClosed)
	}
	existing, found, err := e.lookup(key)
	if err != nil || found {
		e.mu.Unlock()
		return existing, found, err
	}
	e.set(key, ownedValue(value), ctx)
	p := pending{op: "evict"}
	err = e.maybeEvict(&p)
	e.mu.Unlock()
	return nil, false, e.finish(&p, err)
}

// Delete writes a tombstone for key into the cache and returns the value the key had, as seen
// through the cache. Like Kafka's CachingKeyValueStore, it caches the tombstone even when the
// key is absent.
func (e *CachedEngine) Delete(key []byte) ([]byte, bool, error) {
	ctx := e.context()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, false, e.err("delete", store.ErrStoreClosed)
	}
	old, found, err := e.lookup(key)
	if err != nil {
		e.mu.Unlock()
		return nil, false, err
	}
	e.set(key, nil, ctx)
	p := pending{op: "evict"}
	err = e.maybeEvict(&p)
	e.mu.Unlock()
	return old, found, e.finish(&p, err)
}

// Write applies the batch to the cache in order, each entry a write of its own (Kafka's
// CachingKeyValueStore.putAll puts one by one): the budget is checked after each, so that
// with no budget every entry is flushed on its own. If an eviction fails, the entries after
// it are not applied.
func (e *CachedEngine) Write(batch []kv.Entry) error {
	ctx := e.context()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return e.err("write", store.ErrStoreClosed)
	}
	p := pending{op: "evict"}
	var err error
	for _, en := range batch {
		if en.Delete {
			e.set(en.Key, nil, ctx)
		} else {
			e.set(en.Key, ownedValue(en.Value), ctx)
		}
		if err = e.maybeEvict(&p); err != nil {
			break
		}
	}
	e.mu.Unlock()
	return e.finish(&p, err)
}

// lookup returns the value of key through the cache, with the lock held.
func (e *CachedEngine) lookup(key []byte) ([]byte, bool, error) {
	if n, ok := e.index[string(key)]; ok {
		e.touch(n)
		if n.tomb {
			return nil, false, nil
		}
		return n.value, true, nil
	}
	v, found, err := e.inner.Get(key)
	if found && v == nil {
		v = []byte{}
	}
	return v, found, err
}

// set writes a dirty entry (a tombstone when value is nil) with the lock held: the
// entry becomes the most recently used and the last in flush order.
func (e *CachedEngine) set(key, value []byte, ctx RecordContext) {
	n, ok := e.index[string(key)]
	if ok {
		delta := int64(len(value) - len(n.value))
		n.value, n.tomb, n.ctx = value, value == nil, ctx
		n.size += delta
		e.charge(delta)
		e.touch(n)
	} else {
		n = &node{
			key:   append(make([]byte, 0, len(key)), key...),
			value: value,
			tomb:  value == nil,
			ctx:   ctx,
			size:  int64(len(key)+len(value)) + CacheEntryOverhead,
		}
		e.index[keyString(n.key)] = n
		e.tree.Set(n)
		e.pushHead(n)
		e.charge(n.size)
	}
	if n.dirty {
		e.unlinkDirty(n)
	}
	n.dirty = true
	n.dprev = e.dirtyTail
	if e.dirtyTail != nil {
		e.dirtyTail.dnext = n
	} else {
		e.dirtyHead = n
	}
	e.dirtyTail = n
}

func (e *CachedEngine) charge(delta int64) {
	e.bytes += delta
	e.cache.sizeBytes.Add(delta)
}

func (e *CachedEngine) unlinkDirty(n *node) {
	if n.dprev != nil {
		n.dprev.dnext = n.dnext
	} else {
		e.dirtyHead = n.dnext
	}
	if n.dnext != nil {
		n.dnext.dprev = n.dprev
	} else {
		e.dirtyTail = n.dprev
	}
	n.dprev, n.dnext = nil, nil
}

// touch makes n the most recently used entry, with the lock held.
func (e *CachedEngine) touch(n *node) {
	if e.head == n {
		return
	}
	e.unlinkLRU(n)
	e.pushHead(n)
}

func (e *CachedEngine) pushHead(n *node) {
	n.prev, n.next = nil, e.head
	if e.head != nil {
		e.head.prev = n
	}
	e.head = n
	if e.tail == nil {
		e.tail = n
	}
}

func (e *CachedEngine) unlinkLRU(n *node) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		e.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		e.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

// remove drops n from the cache, with the lock held. n must be clean.
func (e *CachedEngine) remove(n *node) {
	e.unlinkLRU(n)
	delete(e.index, keyString(n.key))
	e.tree.Delete(n)
	e.charge(-n.size)
	n.gone = true
}

// pending collects the entries a flush wrote, to be handed to the listener once the lock is
// released.
type pending struct {
	op      string // "flush" or "evict", for errors
	fn      func(FlushedEntry) error
	entries []FlushedEntry
}

// finish calls the listener for the entries flushed under the lock, and returns err if it is
// set, else the listener's first error.
func (e *CachedEngine) finish(p *pending, err error) error {
	if p.fn != nil {
		for _, en := range p.entries {
			if lerr := p.fn(en); lerr != nil {
				if err == nil {
					err = e.err(p.op, lerr)
				}
				break
			}
		}
	}
	return err
}

// maybeEvict evicts this store's least recently used entries while the shared cache is over
// its budget and this store has entries (Kafka's ThreadCache.maybeEvict), with the write lock
// held.
func (e *CachedEngine) maybeEvict(p *pending) error {
	for e.tail != nil && e.cache.sizeBytes.Load() > e.cache.maxBytes.Load() {
		if err := e.evictEldest(p); err != nil {
			return err
		}
	}
	return nil
}

// evictEldest evicts the least recently used entry, flushing the dirty entries first if it is
// dirty (Kafka's NamedCache.evict), with the lock held and e.tail set.
func (e *CachedEngine) evictEldest(p *pending) error {
	n := e.tail
	if n.dirty {
		if err := e.flushDirty(p); err != nil {
			return err
		}
	}
	if !n.gone { // a flushed tombstone is gone already
		e.remove(n)
	}
	e.cache.evictions.Add(1)
	return nil
}

// evictOne evicts one entry for Cache.Resize and reports whether it did.
func (e *CachedEngine) evictOne() bool {
	e.mu.Lock()
	if e.closed || e.tail == nil || e.deferred != nil {
		e.mu.Unlock()
		return false
	}
	p := pending{op: "evict"}
	err := e.evictEldest(&p)
	e.mu.Unlock()
	if err = e.finish(&p, err); err != nil {
		e.mu.Lock()
		if e.deferred == nil {
			e.deferred = err
		}
		e.mu.Unlock()
	}
	return err == nil
}

// flushDirty writes the dirty entries to the inner engine as one batch, in order, and marks
// them clean, with the lock held; the entries for the listener go to p. Cached
// tombstones are dropped from the cache once written (Kafka's NamedCache.flush). On an error
// nothing changes: the entries stay dirty.
func (e *CachedEngine) flushDirty(p *pending) error {
	if e.dirtyHead == nil {
		return nil
	}
	fn, sendOld := e.listener, e.sendOld
	start := len(p.entries)
	batch := e.batch[:0]
	for n := e.dirtyHead; n != nil; n = n.dnext {
		var old []byte
		if fn != nil && (n.tomb || sendOld) {
			// Kafka's CachingKeyValueStore.putAndMaybeForward reads the old value when it
			// sends old values or when the new one is a delete: a delete of a key the store
			// does not hold is neither written nor forwarded.
			v, found, err := e.inner.Get(n.key)
			if err != nil {
				p.entries = p.entries[:start]
				clear(batch)
				return err
			}
			if n.tomb && !found {
				continue
			}
			if found && v == nil {
				v = []byte{}
			}
			if sendOld {
				old = v
			}
		}
		batch = append(batch, kv.Entry{Key: n.key, Value: n.value, Delete: n.tomb})
		if fn != nil {
			p.entries = append(p.entries, FlushedEntry{Key: n.key, NewValue: n.value, OldValue: old, Context: n.ctx})
		}
	}
	var err error
	if len(batch) > 0 {
		err = e.inner.Write(batch)
	}
	clear(batch)
	e.batch = batch[:0]
	if err != nil {
		p.entries = p.entries[:start]
		return err
	}
	for n := e.dirtyHead; n != nil; {
		next := n.dnext
		n.dirty, n.dprev, n.dnext = false, nil, nil
		if n.tomb {
			e.remove(n)
		}
		n = next
	}
	e.dirtyHead, e.dirtyTail = nil, nil
	p.fn = fn
	e.cache.flushes.Add(1)
	return nil
}

// Flush writes the dirty entries to the inner engine as one batch, calls the flush listener
// for each, and flushes the inner engine. It returns the first error: the inner engine's, the
// listener's (naming the store), or one kept from an eviction during Cache.Resize.
func (e *CachedEngine) Flush() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return e.err("flush", store.ErrStoreClosed)
	}
	p := pending{op: "flush"}
	err := e.flushDirty(&p)
	deferred := e.deferred
	e.deferred = nil
	e.mu.Unlock()
	if err = e.finish(&p, err); err != nil {
		return err
	}
	if err = e.inner.Flush(); err != nil {
		return err
	}
	return deferred
}

// ApproximateNumEntries returns the number of keys as seen through the cache: exact over a
// non-persistent inner engine (the inner count corrected by a lookup of each dirty key);
// over a persistent one, the inner engine's estimate, as Kafka's CachingKeyValueStore.
func (e *CachedEngine) ApproximateNumEntries() (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0, e.err("approximate-num-entries", store.ErrStoreClosed)
	}
	n, err := e.inner.ApproximateNumEntries()
	if err != nil || e.inner.Persistent() {
		return n, err
	}
	for d := e.dirtyHead; d != nil; d = d.dnext {
		_, found, err := e.inner.Get(d.key)
		if err != nil {
			return 0, err
		}
		switch {
		case d.tomb && found:
			n--
		case !d.tomb && !found:
			n++
		}
	}
	return n, nil
}

// Close drops the cache's entries without flushing them (the runtime flushes first; see
// [CachedEngine]), releases their bytes from the Cache budget, invalidates the open cursors
// and closes the inner engine. It is idempotent: a second call returns nil.
func (e *CachedEngine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.cache.sizeBytes.Add(-e.bytes)
	e.bytes = 0
	e.index, e.tree = nil, nil
	e.head, e.tail, e.dirtyHead, e.dirtyTail = nil, nil, nil, nil
	e.batch, e.deferred, e.listener = nil, nil, nil
	e.cursors.InvalidateAll(e.err("cursor", store.ErrStoreClosed))
	e.mu.Unlock()
	e.cache.unregister(e)
	return e.inner.Close()
}

// Range returns a cursor over [from, to] merging the cache with the inner engine; see
// [kv.Engine.Range] and [CachedEngine].
func (e *CachedEngine) Range(from, to []byte, reverse bool) (kv.Bytes, error) {
	return e.newCursor("range", from, to, false, reverse)
}

// PrefixScan returns an ascending cursor over the keys that start with prefix, merging the
// cache with the inner engine.
func (e *CachedEngine) PrefixScan(prefix []byte) (kv.Bytes, error) {
	if prefix == nil {
		prefix = []byte{}
	}
	return e.newCursor("prefix-scan", prefix, kv.PrefixEnd(prefix), true, false)
}

func (e *CachedEngine) newCursor(op string, from, to []byte, prefix, reverse bool) (kv.Bytes, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, e.err(op, store.ErrStoreClosed)
	}
	var inner kv.Bytes
	var err error
	if prefix {
		inner, err = e.inner.PrefixScan(from)
	} else {
		inner, err = e.inner.Range(from, to, reverse)
	}
	if err != nil {
		return nil, err
	}
	c := &cachedCursor{e: e, inner: inner, reverse: reverse, items: e.snapshot(from, to, prefix, reverse)}
	e.cursors.Add(c)
	return c, nil
}

// cacheItem is a cursor's copy of a cache entry.
type cacheItem struct {
	key, value []byte
	tomb       bool
}

// snapshot returns the cache's entries in [from, to] (to exclusive if toExclusive; nil bounds
// open) in cursor order, with the lock held.
func (e *CachedEngine) snapshot(from, to []byte, toExclusive, reverse bool) []cacheItem {
	if e.tree.Len() == 0 {
		return nil
	}
	var items []cacheItem
	iter := func(n *node) bool {
		if to != nil {
			if c := bytes.Compare(n.key, to); c > 0 || (c == 0 && toExclusive) {
				return false
			}
		}
		items = append(items, cacheItem{key: n.key, value: n.value, tomb: n.tomb})
		return true
	}
	if from == nil {
		e.tree.Scan(iter)
	} else {
		e.tree.Ascend(&node{key: from}, iter)
	}
	if reverse {
		slices.Reverse(items)
	}
	return items
}

// cachedCursor merges a snapshot of the cache's entries with the inner engine's cursor
// (Kafka's MergedSortedCacheKeyValueBytesStoreIterator). Closing the engine sets invalid (the
// only field another goroutine writes).
type cachedCursor struct {
	cursor.State
	e         *CachedEngine
	inner     kv.Bytes
	items     []cacheItem
	pos       int // the next cache item
	reverse   bool
	innerHas  bool // inner is on an item not yet merged
	innerDone bool
	has       bool
	key       []byte
	value     []byte
	invalid   atomic.Bool
}

func (c *cachedCursor) Next() bool {
	c.has, c.key, c.value = false, nil, nil
	if c.invalid.Load() {
		c.Fail(c.e.err("cursor", store.ErrStoreClosed))
	}
	if !c.Usable() {
		return false
	}
	for {
		if !c.innerHas && !c.innerDone {
			if c.inner.Next() {
				c.innerHas = true
			} else {
				c.innerDone = true
				if err := c.inner.Err(); err != nil {
					c.Fail(err)
					return false
				}
			}
		}
		if c.pos == len(c.items) {
			if !c.innerHas {
				return false
			}
			c.takeInner()
			return true
		}
		it := &c.items[c.pos]
		cmp := -1 // the cache item comes first when the inner cursor is done
		if c.innerHas {
			cmp = bytes.Compare(it.key, c.inner.Key())
			if c.reverse {
				cmp = -cmp
			}
		}
		if cmp > 0 {
			c.takeInner()
			return true
		}
		c.pos++
		if cmp == 0 {
			c.innerHas = false // the cache's entry replaces the inner one
		}
		if it.tomb {
			continue
		}
		c.has, c.key, c.value = true, it.key, it.value
		return true
	}
}

func (c *cachedCursor) takeInner() {
	c.has, c.key, c.value = true, c.inner.Key(), c.inner.Value()
	c.innerHas = false
}

func (c *cachedCursor) Key() []byte   { return c.key }
func (c *cachedCursor) Value() []byte { return c.value }

// Err returns the cursor's error, including the engine's closing.
func (c *cachedCursor) Err() error {
	if c.invalid.Load() {
		c.Fail(c.e.err("cursor", store.ErrStoreClosed))
	}
	return c.State.Err()
}

func (c *cachedCursor) Close() error {
	err := c.Err()
	if c.MarkClosed() {
		c.has, c.key, c.value, c.items = false, nil, nil, nil
		if ierr := c.inner.Close(); err == nil {
			c.Fail(ierr)
		}
		c.e.cursors.Remove(c)
	}
	return c.State.Err()
}

// Invalidate is called by Close of the engine, with its lock held.
func (c *cachedCursor) Invalidate(error) { c.invalid.Store(true) }
