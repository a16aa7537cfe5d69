package window

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// ErrNegativeWindowStart is returned (wrapped) by a put with a window start below zero:
// windows start at 0 or later (Kafka's windows are epoch-aligned from 0 and record
// timestamps are never negative), and the store's byte order relies on it.
var ErrNegativeWindowStart = errors.New("window start must not be negative")

// Store is a typed window store (Kafka Streams' WindowStore): values of windows of one size,
// each at a record key and a window start, kept for the retention period of stream time.
// Keys and values go through serdes to a kv.Engine over store keys (see [ToStoreKey]),
// normally the segmented engine of a [Supplier], possibly under the runtime's changelog and
// cache layers.
//
// Time bounds are inclusive, on window starts, in milliseconds. Reads never return a window
// that started before the store's minimum live time, observed stream time − retention + 1
// (Kafka's getActualFrom), even if its segment is not dropped yet. Cursors over one key
// (Fetch) are in window-start order; cursors over key ranges (FetchKeyRange, FetchAll, All)
// are in store-key byte order (the serialized key, then the window start): one sorted
// sequence across segments, where Kafka returns segment after segment.
//
// A Store is safe for concurrent use when its engine is (all of Tributary's are). Every
// error it returns is a *store.Error naming the store and the operation.
type Store[K, V any] struct {
	engine kv.Engine
	// seg is the segmented engine under engine (for stream time and retention), or nil.
	seg *segments.Store
	// direct is seg when reads through engine reach it unchanged (no cache layer between),
	// so that ranges may skip the segments outside their time bounds; else nil.
	direct *segments.Store
	codec  codec[K, V]
	opts   Options
	// owning is the engine as an OwningPutter when the value serde's output can be handed
	// over, else nil.
	owning kv.OwningPutter

	mu     sync.Mutex // guards seqnum
	seqnum int32
}

var _ store.StateStore = (*Store[int, int])(nil)

// StoreOption configures a [Store].
type StoreOption func(*storeOptions)

type storeOptions struct {
	topic string
}

// SerdeTopic sets the topic name passed to the serdes. Kafka Streams passes the store's
// changelog topic; the default is the store's name.
func SerdeTopic(topic string) StoreOption {
	return func(o *storeOptions) { o.topic = topic }
}

// New returns a typed window store over engine, whose store keys have the layout of
// [ToStoreKey]: normally the engine a [Supplier] opened with the same opts, possibly
// wrapped. If engine is or wraps (kv.Wrapper) a segmented engine, the store reads its
// stream time and retention from it; otherwise nothing expires. New validates opts.
func New[K, V any](engine kv.Engine, keys serde.Serde[K], values serde.Serde[V], opts Options, sopts ...StoreOption) (*Store[K, V], error) {
	if err := opts.Validate(); err != nil {
		return nil, &store.Error{Store: engine.Name(), Op: "open", Err: err}
	}
	o := storeOptions{topic: engine.Name()}
	for _, so := range sopts {
		so(&o)
	}
	s := &Store[K, V]{engine: engine, opts: opts.WithDefaults()}
	s.codec = newCodec(engine.Name(), o.topic, keys, values, opts.WindowSizeMs())
	s.seg, _ = kv.Find[*segments.Store](engine)
	s.direct = directSegments(engine)
	if op, ok := engine.(kv.OwningPutter); ok && serde.SerializesFresh[V](values) {
		s.owning = op
	}
	return s, nil
}

// directSegments returns the segmented engine under e when every layer above it passes
// reads through unchanged (changelog logging does; the record cache does not), else nil.
func directSegments(e kv.Engine) *segments.Store {
	for {
		switch x := e.(type) {
		case *segments.Store:
			return x
		case *changelog.LoggedEngine:
			e = x.Unwrap()
		default:
			return nil
		}
	}
}

func (s *Store[K, V]) fail(op string, err error) error { return s.codec.fail(op, err) }

// Engine returns the engine under the store.
func (s *Store[K, V]) Engine() kv.Engine { return s.engine }

// Options returns the store's options, with the defaults applied.
func (s *Store[K, V]) Options() Options { return s.opts }

// WindowSize returns the size of the store's windows.
func (s *Store[K, V]) WindowSize() time.Duration { return s.opts.WindowSize }

// Name returns the store's name.
func (s *Store[K, V]) Name() string { return s.engine.Name() }

// Persistent reports whether the engine keeps its data on disk.
func (s *Store[K, V]) Persistent() bool { return s.engine.Persistent() }

// IsOpen reports whether the store is open.
func (s *Store[K, V]) IsOpen() bool { return s.engine.IsOpen() }

// Flush makes the writes so far durable, where the engine is persistent.
func (s *Store[K, V]) Flush() error { return s.engine.Flush() }

// Close closes the store and invalidates its open cursors. It is idempotent.
func (s *Store[K, V]) Close() error { return s.engine.Close() }

// ObservedStreamTime returns the largest window start written to the segmented engine (its
// stream time), or math.MinInt64 before the first write or when the engine is not
// segmented. Writes held in a record cache count once they are flushed to the engine.
func (s *Store[K, V]) ObservedStreamTime() int64 {
	if s.seg == nil {
		return math.MinInt64
	}
	return s.seg.ObservedStreamTime()
}

// ExpiredRecords returns the number of puts dropped because their window's segment had
// expired (Kafka's dropped-records metric of window stores), or 0 when the engine is not
// segmented.
func (s *Store[K, V]) ExpiredRecords() int64 {
	if s.seg == nil {
		return 0
	}
	return s.seg.ExpiredRecords()
}

// MinLiveTime returns the earliest window start reads may return: observed stream time −
// retention + 1 (Kafka's getActualFrom), or 0 before the first write or when the engine is
// not segmented.
func (s *Store[K, V]) MinLiveTime() int64 {
	if s.seg == nil {
		return 0
	}
	return max(s.seg.MinLiveTime(), 0)
}

// keyBufs holds buffers for the store keys of single-window operations: engines copy the
// keys they keep (the kv.Engine rule), so a key's buffer is reused once the call returns.
var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}

func getKeyBuf() *[]byte { return keyBufs.Get().(*[]byte) }

func putKeyBuf(bp *[]byte, used []byte) {
	if cap(used) <= 1<<12 {
		*bp = used[:0]
		keyBufs.Put(bp)
	}
}

// nextSeqnum returns the sequence number of a put: 0, or with retained duplicates the next
// of (seqnum + 1) & 0x7FFFFFFF (Kafka's maybeUpdateSeqnumForDups).
func (s *Store[K, V]) nextSeqnum() int32 {
	if !s.opts.RetainDuplicates {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seqnum = (s.seqnum + 1) & MaxSeqnum
	return s.seqnum
}

func (s *Store[K, V]) currentSeqnum() int32 {
	if !s.opts.RetainDuplicates {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seqnum
}

// Put writes value for key in the window that starts at windowStart (Kafka's
// WindowStore.put(key, value, windowStartTimestamp)). It replaces the value of that window
// unless duplicates are retained, in which case every put is kept. A put into a window whose
// segment has expired is dropped and counted ([Store.ExpiredRecords]); a put past the
// observed stream time advances it and drops the segments that expire.
func (s *Store[K, V]) Put(key K, value V, windowStart int64) error {
	if windowStart < 0 {
		return s.fail("put", fmt.Errorf("%w: %d", ErrNegativeWindowStart, windowStart))
	}
	kb, err := s.codec.rawKey("put", key)
	if err != nil {
		return err
	}
	vb, err := s.codec.values.Serialize(s.codec.topic, value)
	if err != nil {
		return s.fail("put", err)
	}
	bp := getKeyBuf()
	sk := AppendStoreKey((*bp)[:0], kb, windowStart, s.nextSeqnum())
	if s.owning != nil && vb != nil {
		err = s.owning.PutOwned(sk, vb)
	} else {
		err = s.engine.Put(sk, vb)
	}
	putKeyBuf(bp, sk)
	return err
}

// PutTombstone removes the value of key in the window that starts at windowStart: Kafka's
// put(key, null, windowStartTimestamp), which the changelog records as a tombstone. In a
// store that retains duplicates it does nothing, as in Kafka (each put has its own key, so
// there is nothing to overwrite). Unlike Kafka's, it does not advance the stream time.
func (s *Store[K, V]) PutTombstone(key K, windowStart int64) error {
	if s.opts.RetainDuplicates {
		if !s.engine.IsOpen() {
			return s.fail("put-tombstone", store.ErrStoreClosed)
		}
		return nil
	}
	if windowStart < 0 {
		return s.fail("put-tombstone", fmt.Errorf("%w: %d", ErrNegativeWindowStart, windowStart))
	}
	kb, err := s.codec.rawKey("put-tombstone", key)
	if err != nil {
		return err
	}
	bp := getKeyBuf()
	sk := AppendStoreKey((*bp)[:0], kb, windowStart, 0)
	_, _, err = s.engine.Delete(sk)
	putKeyBuf(bp, sk)
	return err
}

// Get returns the value of key in the window that starts at windowStart, and whether there
// is one (Kafka's WindowStore.fetch(key, windowStartTimestamp)). A window older than the
// minimum live time is not found. With retained duplicates it looks up the latest put's
// sequence number, as Kafka's RocksDBWindowStore does: it finds the value only if the
// store's last put was at this key and window (use [Store.Fetch] to read duplicates).
func (s *Store[K, V]) Get(key K, windowStart int64) (value V, found bool, err error) {
	kb, err := s.codec.rawKey("get", key)
	if err != nil {
		return value, false, err
	}
	if windowStart < 0 || windowStart < s.MinLiveTime() {
		if !s.engine.IsOpen() {
			return value, false, s.fail("get", store.ErrStoreClosed)
		}
		return value, false, nil
	}
	bp := getKeyBuf()
	sk := AppendStoreKey((*bp)[:0], kb, windowStart, s.currentSeqnum())
	vb, ok, err := s.engine.Get(sk)
	putKeyBuf(bp, sk)
	if err != nil || !ok {
		return value, false, err
	}
	value, err = s.codec.value("get", vb)
	return value, err == nil, err
}

// Fetch returns a cursor over the windows of key that start in [timeFrom, timeTo], in
// window-start order (Kafka's WindowStore.fetch(key, timeFrom, timeTo), a
// WindowStoreIterator): each item's key is the window start, its value the window's value.
// With retained duplicates, the puts of one window come in put order.
func (s *Store[K, V]) Fetch(key K, timeFrom, timeTo int64) (cursor.Cursor[int64, V], error) {
	return s.fetch("fetch", key, timeFrom, timeTo, false)
}

// BackwardFetch is Fetch in reverse order, latest window first (Kafka's backwardFetch).
func (s *Store[K, V]) BackwardFetch(key K, timeFrom, timeTo int64) (cursor.Cursor[int64, V], error) {
	return s.fetch("backward-fetch", key, timeFrom, timeTo, true)
}

func (s *Store[K, V]) fetch(op string, key K, timeFrom, timeTo int64, reverse bool) (cursor.Cursor[int64, V], error) {
	kb, err := s.codec.rawKey(op, key)
	if err != nil {
		return nil, err
	}
	tc := &startCursor[K, V]{codec: &s.codec, op: op}
	c, err := s.rangeBytes(query{op: op, single: true, key: kb, timeFrom: timeFrom, timeTo: timeTo, reverse: reverse}, &tc.filter)
	if err != nil {
		return nil, err
	}
	tc.in = c
	return tc, nil
}

// FetchKeyRange returns a cursor over the windows of the keys in [fromKey, toKey] (in
// serialized-key byte order; a nil bound is open) that start in [timeFrom, timeTo], in
// store-key order (Kafka's WindowStore.fetch(keyFrom, keyTo, timeFrom, timeTo)). Each item's
// key carries the window: Start, and End = Start + window size. fromKey above toKey gives
// an empty cursor.
func (s *Store[K, V]) FetchKeyRange(fromKey, toKey *K, timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return s.fetchRange("fetch-key-range", fromKey, toKey, timeFrom, timeTo, false)
}

// BackwardFetchKeyRange is FetchKeyRange in reverse order (Kafka's backwardFetch(keyFrom,
// keyTo, timeFrom, timeTo)).
func (s *Store[K, V]) BackwardFetchKeyRange(fromKey, toKey *K, timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return s.fetchRange("backward-fetch-key-range", fromKey, toKey, timeFrom, timeTo, true)
}

// FetchAll returns a cursor over the windows of every key that start in [timeFrom, timeTo],
// in store-key order (Kafka's WindowStore.fetchAll).
func (s *Store[K, V]) FetchAll(timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return s.fetchRange("fetch-all", nil, nil, timeFrom, timeTo, false)
}

// BackwardFetchAll is FetchAll in reverse order (Kafka's backwardFetchAll).
func (s *Store[K, V]) BackwardFetchAll(timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return s.fetchRange("backward-fetch-all", nil, nil, timeFrom, timeTo, true)
}

// All returns a cursor over every live window of every key, in store-key order (Kafka's
// WindowStore.all).
func (s *Store[K, V]) All() (cursor.Cursor[serde.Windowed[K], V], error) {
	return s.fetchRange("all", nil, nil, 0, math.MaxInt64, false)
}

// BackwardAll is All in reverse order (Kafka's backwardAll).
func (s *Store[K, V]) BackwardAll() (cursor.Cursor[serde.Windowed[K], V], error) {
	return s.fetchRange("backward-all", nil, nil, 0, math.MaxInt64, true)
}

func (s *Store[K, V]) fetchRange(op string, fromKey, toKey *K, timeFrom, timeTo int64, reverse bool) (cursor.Cursor[serde.Windowed[K], V], error) {
	q, err := s.codec.rangeQuery(op, fromKey, toKey, timeFrom, timeTo, reverse)
	if err != nil {
		return nil, err
	}
	tc := &windowedCursor[K, V]{codec: &s.codec, op: op}
	c, err := s.rangeBytes(q, &tc.filter)
	if err != nil {
		return nil, err
	}
	tc.in = c
	return tc, nil
}

// query is one range read over store keys.
type query struct {
	op      string
	single  bool   // one record key: key
	key     []byte // the record key of a single-key fetch
	fromKey []byte // the bounds of a key range; nil is open
	toKey   []byte
	// timeFrom and timeTo bound the window starts, both inclusive.
	timeFrom, timeTo int64
	reverse          bool
}

// rangeBytes opens a cursor over the store keys and values that q selects: a byte range
// that covers them, filtered by record key and window start. The filtering cursor is fc
// (the typed cursors embed theirs, to save an allocation), or an empty cursor when the
// bounds select nothing.
func (s *Store[K, V]) rangeBytes(q query, fc *filterCursor) (kv.Bytes, error) {
	if !s.engine.IsOpen() {
		return nil, s.fail(q.op, store.ErrStoreClosed)
	}
	from := max(q.timeFrom, s.MinLiveTime()) // MinLiveTime is never negative
	if q.timeTo < from {
		return cursor.Empty[[]byte, []byte](), nil
	}
	// The record keys may be views of the caller's keys (serde.Viewer): the cursor keeps
	// copies (the byte bounds are fresh, so their prefixes serve).
	var lo, hi []byte
	if q.single {
		lo, hi = fixedKeyBounds(q.key, from, q.timeTo)
		q.key = lo[:len(q.key):len(q.key)]
	} else {
		if q.fromKey != nil && q.toKey != nil && bytes.Compare(q.fromKey, q.toKey) > 0 {
			return cursor.Empty[[]byte, []byte](), nil
		}
		lo, hi = rangeLower(q.fromKey), rangeUpper(q.toKey, q.timeTo)
		if q.fromKey != nil {
			q.fromKey = lo[:len(q.fromKey):len(q.fromKey)]
		}
		q.toKey = bytes.Clone(q.toKey)
	}
	var c kv.Bytes
	var err error
	if s.direct != nil {
		c, err = s.direct.RangeTime(lo, hi, from, q.timeTo, q.reverse)
	} else {
		c, err = s.engine.Range(lo, hi, q.reverse)
	}
	if err != nil {
		return nil, err
	}
	*fc = filterCursor{in: c, q: q, from: from, name: s.codec.name}
	return fc, nil
}
