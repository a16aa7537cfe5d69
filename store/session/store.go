package session

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// ErrInvalidSession is returned by writes of a session whose end is before its start or
// whose start is negative (Kafka's SessionWindow and Window refuse both).
var ErrInvalidSession = errors.New("invalid session window")

// ErrNotSegmented is returned by [New] for an engine that has no segmented engine under it.
var ErrNotSegmented = errors.New("engine is not a segmented session engine")

// Store is a typed session store (Kafka Streams' SessionStore and ReadOnlySessionStore): the
// aggregates of sessions, keyed by a record key and the session's window [Start, End] (both
// inclusive, as Kafka's SessionWindow), kept in segments by session end and dropped when they
// expire.
//
// Its engine is the segmented engine a [Supplier] opens, possibly under the changelog and
// cache layers of the runtime; writes go through the layers, as do reads when a cache is
// among them.
//
// # Reads
//
// Reads return sessions in the order of their composite keys ([KeySchema]): by record key
// bytes, then session end, then session start (ascending, or descending for the Backward
// variants), merged across segments. (Kafka's RocksDB store returns a key range segment by
// segment; the tests of Kafka compare sets, and one sorted order is easier to use.) For keys
// of different lengths the composite order is the order of Kafka's store: "a" sessions with
// small timestamps before "aa" ones.
//
// Reads never return an expired session: one whose end is before [Store.MinLiveTime]
// (observed stream time − retention + 1), as Kafka's AbstractRocksDBSegmentedBytesStore
// hides them, although its segment may not have been dropped yet.
//
// Cursors follow package cursor's contract; closing the store invalidates them. A put that
// advances stream time may drop an expired segment under an open cursor: the cursor then
// ends that segment's items quietly and goes on with the live ones, as Kafka's
// SegmentIterator skips closed segments.
//
// A Store is safe for concurrent use. Every error it returns is a *store.Error naming the
// store and the operation ("put", "find-sessions", ...).
type Store[K, AGG any] struct {
	engine kv.Engine       // the top of the chain: writes go here
	read   kv.Engine       // the engine reads go to: segs when only logging is above it
	segs   *segments.Store // the segmented engine at the bottom
	keys   serde.Serde[K]
	view   serde.Viewer[K]                // keys as a serde.Viewer, or nil: query keys need no copy
	wkeys  serde.Serde[serde.Windowed[K]] // serde.SessionWindowed(keys): composite keys in one allocation
	values serde.Serde[AGG]
	topic  string
	name   string
	// bound is at least every session end the engine may hold beyond the segments' observed
	// stream time: the ends put through the store (a cache may hold them) and, for a store
	// reopened on disk, the end of its newest segment. See maxEnd.
	bound atomic.Int64
}

var _ store.StateStore = (*Store[int, int])(nil)

// Option configures a [Store].
type Option func(*options)

type options struct {
	topic string
}

// SerdeTopic sets the topic name passed to the serdes. Kafka Streams passes the store's
// changelog topic; the default is the store's name.
func SerdeTopic(topic string) Option {
	return func(o *options) { o.topic = topic }
}

// New returns a typed session store over engine, which must be a segmented engine opened by
// a [Supplier] or a layer over one (a chain of kv.Wrapper ending at it, found with kv.Find);
// otherwise it returns an error wrapping [ErrNotSegmented].
func New[K, AGG any](engine kv.Engine, keys serde.Serde[K], values serde.Serde[AGG], opts ...Option) (*Store[K, AGG], error) {
	segs, ok := kv.Find[*segments.Store](engine)
	if !ok {
		return nil, &store.Error{Store: engine.Name(), Op: "open", Err: ErrNotSegmented}
	}
	o := options{topic: engine.Name()}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Store[K, AGG]{
		engine: engine,
		read:   readEngine(engine, segs),
		segs:   segs,
		keys:   keys,
		wkeys:  serde.SessionWindowed(keys),
		values: values,
		topic:  o.topic,
		name:   engine.Name(),
	}
	s.view, _ = keys.(serde.Viewer[K])
	s.bound.Store(reopenedBound(segs))
	return s, nil
}

// reopenedBound returns the last timestamp of the newest segment segs holds (reopened from
// disk), or math.MinInt64 when it holds none: a bound on the session ends in them, whose
// stream time the segments do not know until the next write.
func reopenedBound(segs *segments.Store) int64 {
	ids := segs.SegmentIDs()
	if len(ids) == 0 {
		return math.MinInt64
	}
	// SegmentName is "<store>.<id × interval>": the start of the next segment.
	next, ok := strings.CutPrefix(segs.SegmentName(ids[len(ids)-1]+1), segs.Name()+".")
	start, err := strconv.ParseInt(next, 10, 64)
	if !ok || err != nil || start <= 0 {
		return math.MaxInt64
	}
	return start - 1
}

// maxEnd returns a bound on the session ends the store holds: the segments' observed stream
// time (which restoration advances) or the bound of puts and reopened segments, whichever
// is larger.
func (s *Store[K, AGG]) maxEnd() int64 {
	return max(s.segs.ObservedStreamTime(), s.bound.Load())
}

// raise records a session end put through the store.
func (s *Store[K, AGG]) raise(end int64) {
	for {
		b := s.bound.Load()
		if end <= b || s.bound.CompareAndSwap(b, end) {
			return
		}
	}
}

// readEngine returns the engine that reads go to: the segmented engine itself when every
// layer above it only logs writes (so reads can skip the segments outside their time range),
// else the top of the chain (a cache must see reads).
func readEngine(top kv.Engine, segs *segments.Store) kv.Engine {
	for e := top; e != kv.Engine(segs); {
		l, ok := e.(*changelog.LoggedEngine)
		if !ok {
			return top
		}
		e = l.Unwrap()
	}
	return segs
}

// fail returns err as a *store.Error naming the store and op. An engine's *store.Error is
// relabelled with op, keeping its cause.
func (s *Store[K, AGG]) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		if se.Store == s.name && se.Op == op {
			return se
		}
		err = se.Err
	}
	return &store.Error{Store: s.name, Op: op, Err: err}
}

// Engine returns the engine under the store (the top of its chain of layers).
func (s *Store[K, AGG]) Engine() kv.Engine { return s.engine }

// Name returns the store's name.
func (s *Store[K, AGG]) Name() string { return s.name }

// Persistent reports whether the store keeps its data on disk.
func (s *Store[K, AGG]) Persistent() bool { return s.engine.Persistent() }

// IsOpen reports whether the store is open.
func (s *Store[K, AGG]) IsOpen() bool { return s.engine.IsOpen() }

// Flush makes the writes so far durable, where the store is persistent (and flushes the
// cache layer, if any).
func (s *Store[K, AGG]) Flush() error { return s.fail("flush", s.engine.Flush()) }

// Close closes the store and invalidates its open cursors. It is idempotent.
func (s *Store[K, AGG]) Close() error { return s.fail("close", s.engine.Close()) }

// OpenCursors returns the number of open cursors on the store's engines.
func (s *Store[K, AGG]) OpenCursors() int {
	if c, ok := s.engine.(kv.OpenCursorCounter); ok {
		return c.OpenCursors()
	}
	return s.segs.OpenCursors()
}

// ObservedStreamTime returns the largest session end written to the segments so far, or
// math.MinInt64 before the first write (Kafka's observedStreamTime of the segmented store).
func (s *Store[K, AGG]) ObservedStreamTime() int64 { return s.segs.ObservedStreamTime() }

// MinLiveTime returns the earliest session end that reads still return: observed stream
// time − retention + 1, or math.MinInt64 before the first write.
func (s *Store[K, AGG]) MinLiveTime() int64 { return s.segs.MinLiveTime() }

// ExpiredRecords returns the number of writes dropped because their segment had expired
// (Kafka's dropped-records metric, "Skipping record for expired segment").
func (s *Store[K, AGG]) ExpiredRecords() int64 { return s.segs.ExpiredRecords() }

// DroppedSegments returns the number of expired segments dropped so far.
func (s *Store[K, AGG]) DroppedSegments() int64 { return s.segs.DroppedSegments() }

// ApproximateNumEntries returns an estimate of the number of sessions held, expired ones
// whose segment is still live included.
func (s *Store[K, AGG]) ApproximateNumEntries() (int64, error) {
	n, err := s.engine.ApproximateNumEntries()
	return n, s.fail("approximate-num-entries", err)
}

// keyBytes serializes a record key (an empty slice, never nil), or views it when the serde
// can: the bytes are only read.
func (s *Store[K, AGG]) keyBytes(op string, k K) ([]byte, error) {
	var b []byte
	var err error
	if s.view != nil {
		b, err = s.view.View(s.topic, k)
	} else {
		b, err = s.keys.Serialize(s.topic, k)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func (s *Store[K, AGG]) composite(op string, w serde.Windowed[K]) ([]byte, error) {
	if w.End < w.Start || w.Start < 0 {
		return nil, s.fail(op, fmt.Errorf("%w: [%d, %d]", ErrInvalidSession, w.Start, w.End))
	}
	// serde.SessionWindowed has KeySchema's layout.
	b, err := s.wkeys.Serialize(s.topic, w)
	if err != nil {
		return nil, s.fail(op, err)
	}
	return b, nil
}

// Put writes the aggregate of a session (Kafka's SessionStore.put). A session whose segment
// has expired is dropped and counted ([Store.ExpiredRecords]); a session end greater than
// the observed stream time advances it, which may drop expired segments. A negative start or
// an end before the start is an error wrapping [ErrInvalidSession].
func (s *Store[K, AGG]) Put(session serde.Windowed[K], agg AGG) error {
	kb, err := s.composite("put", session)
	if err != nil {
		return err
	}
	vb, err := s.values.Serialize(s.topic, agg)
	if err != nil {
		return s.fail("put", err)
	}
	s.raise(session.End) // before the write, so that a reader that sees it sees the bound
	return s.fail("put", s.engine.Put(kb, vb))
}

// Remove deletes a session (Kafka's SessionStore.remove). Removing a session that does not
// exist is not an error; an invalid window is ([ErrInvalidSession]).
func (s *Store[K, AGG]) Remove(session serde.Windowed[K]) error {
	kb, err := s.composite("remove", session)
	if err != nil {
		return err
	}
	_, _, err = s.engine.Delete(kb)
	return s.fail("remove", err)
}

// FetchSession returns the aggregate of the session of key with exactly this start and end
// (Kafka's SessionStore.fetchSession), and whether there is one. An expired session is not
// found, nor is an invalid window.
func (s *Store[K, AGG]) FetchSession(key K, start, end int64) (agg AGG, found bool, err error) {
	const op = "fetch-session"
	if end < start || start < 0 || end < s.segs.MinLiveTime() {
		if !s.engine.IsOpen() {
			return agg, false, s.fail(op, store.ErrStoreClosed)
		}
		return agg, false, nil
	}
	kb, err := s.composite(op, serde.Windowed[K]{Key: key, Start: start, End: end})
	if err != nil {
		return agg, false, err
	}
	vb, ok, err := s.engine.Get(kb)
	if err != nil || !ok {
		return agg, false, s.fail(op, err)
	}
	agg, err = s.values.Deserialize(s.topic, vb)
	if err != nil {
		return agg, false, s.fail(op, err)
	}
	return agg, true, nil
}

// FindSessions returns an ascending cursor over the sessions of key that end at or after
// earliestSessionEnd and start at or before latestSessionStart, both inclusive (Kafka's
// SessionStore.findSessions): the sessions that overlap [earliestSessionEnd,
// latestSessionStart] when earliestSessionEnd <= latestSessionStart. Merging a record at ts
// into sessions with inactivity gap g looks for FindSessions(key, ts−g, ts+g).
func (s *Store[K, AGG]) FindSessions(key K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findKey("find-sessions", key, earliestSessionEnd, latestSessionStart, false)
}

// BackwardFindSessions is FindSessions in descending order (Kafka's backwardFindSessions).
func (s *Store[K, AGG]) BackwardFindSessions(key K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findKey("backward-find-sessions", key, earliestSessionEnd, latestSessionStart, true)
}

// FindSessionsKeyRange is FindSessions for every key from fromKey to toKey, both inclusive,
// in serialized-key byte order (Kafka's findSessions(keyFrom, keyTo, …)). A nil bound is
// open (KIP-763); fromKey greater than toKey gives an empty cursor.
func (s *Store[K, AGG]) FindSessionsKeyRange(fromKey, toKey *K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findRange("find-sessions", fromKey, toKey, earliestSessionEnd, latestSessionStart, false)
}

// BackwardFindSessionsKeyRange is FindSessionsKeyRange in descending order.
func (s *Store[K, AGG]) BackwardFindSessionsKeyRange(fromKey, toKey *K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findRange("backward-find-sessions", fromKey, toKey, earliestSessionEnd, latestSessionStart, true)
}

// Fetch returns an ascending cursor over every live session of key (Kafka's
// ReadOnlySessionStore.fetch(key)).
func (s *Store[K, AGG]) Fetch(key K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findKey("fetch", key, math.MinInt64, math.MaxInt64, false)
}

// BackwardFetch is Fetch in descending order (Kafka's backwardFetch(key)).
func (s *Store[K, AGG]) BackwardFetch(key K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findKey("backward-fetch", key, math.MinInt64, math.MaxInt64, true)
}

// FetchRange returns an ascending cursor over every live session of the keys from fromKey to
// toKey, both inclusive, nil bounds open (Kafka's fetch(keyFrom, keyTo)):
// FetchRange(nil, nil) returns every session.
func (s *Store[K, AGG]) FetchRange(fromKey, toKey *K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findRange("fetch", fromKey, toKey, math.MinInt64, math.MaxInt64, false)
}

// BackwardFetchRange is FetchRange in descending order (Kafka's backwardFetch(keyFrom,
// keyTo)).
func (s *Store[K, AGG]) BackwardFetchRange(fromKey, toKey *K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return s.findRange("backward-fetch", fromKey, toKey, math.MinInt64, math.MaxInt64, true)
}

func (s *Store[K, AGG]) findKey(op string, key K, earliestEnd, latestStart int64, reverse bool) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	kb, err := s.keyBytes(op, key)
	if err != nil {
		return nil, err
	}
	q := query{from: kb, to: kb, exact: true, earliestEnd: earliestEnd, latestStart: latestStart}
	c, err := s.scan(op, &q, reverse)
	if err != nil {
		return nil, err
	}
	return &typedCursor[K, AGG]{inner: c, s: s, op: op, q: q, filter: true}, nil
}

func (s *Store[K, AGG]) findRange(op string, from, to *K, earliestEnd, latestStart int64, reverse bool) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	q, err := s.rangeQuery(op, from, to, earliestEnd, latestStart)
	if err != nil {
		return nil, err
	}
	if q.empty() {
		if !s.engine.IsOpen() {
			return nil, s.fail(op, store.ErrStoreClosed)
		}
		return cursor.Empty[serde.Windowed[K], AGG](), nil
	}
	c, err := s.scan(op, &q, reverse)
	if err != nil {
		return nil, err
	}
	return &typedCursor[K, AGG]{inner: c, s: s, op: op, q: q, filter: true}, nil
}

func (s *Store[K, AGG]) rangeQuery(op string, from, to *K, earliestEnd, latestStart int64) (query, error) {
	q := query{earliestEnd: earliestEnd, latestStart: latestStart}
	var err error
	if from != nil {
		if q.from, err = s.keyBytes(op, *from); err != nil {
			return q, err
		}
	}
	if to != nil {
		if q.to, err = s.keyBytes(op, *to); err != nil {
			return q, err
		}
	}
	return q, nil
}

// query is a search over composite keys: record keys in [from, to] (nil bounds open; exact
// when from and to are the one key searched), sessions with end >= earliestEnd and start <=
// latestStart (Kafka's hasNextCondition).
type query struct {
	from, to    []byte
	exact       bool
	earliestEnd int64
	latestStart int64
}

func (q query) empty() bool {
	return q.from != nil && q.to != nil && bytes.Compare(q.from, q.to) > 0
}

// match reports whether a composite key is in the query.
func (q *query) match(composite []byte) bool {
	k, start, end, ok := FromBinary(composite)
	if !ok || end < q.earliestEnd || start > q.latestStart {
		return false
	}
	if q.exact {
		return bytes.Equal(k, q.from)
	}
	return (q.from == nil || bytes.Compare(k, q.from) >= 0) && (q.to == nil || bytes.Compare(k, q.to) <= 0)
}

// rawFind opens a filtered byte cursor for q over the live segments.
func (s *Store[K, AGG]) rawFind(op string, q query, reverse bool) (kv.Bytes, error) {
	c, err := s.scan(op, &q, reverse)
	if err != nil {
		return nil, err
	}
	return &filterCursor{inner: c, q: q}, nil
}

// scan opens an unfiltered byte cursor over the composite keys q may match, in the live
// segments that may hold them; it raises q.earliestEnd to the store's MinLiveTime.
func (s *Store[K, AGG]) scan(op string, q *query, reverse bool) (kv.Bytes, error) {
	q.earliestEnd = max(q.earliestEnd, s.segs.MinLiveTime())
	maxEnd := s.maxEnd()
	var lo, hi []byte
	switch {
	case q.exact:
		lo, hi = keyBounds(q.from, q.earliestEnd, maxEnd, q.latestStart)
	case q.to != nil:
		var sfx [SuffixSize]byte
		lo, hi = q.from, rangeUpper(q.to, appendMaxSuffix(sfx[:0], maxEnd, q.latestStart))
	default:
		lo = q.from
	}
	var c kv.Bytes
	var err error
	if seg, ok := s.read.(*segments.Store); ok {
		// Kafka's SessionKeySchema.segmentsToSearch: a session ending at or after
		// earliestEnd lives in its segment or a later one.
		c, err = seg.RangeTime(lo, hi, q.earliestEnd, math.MaxInt64, reverse)
	} else {
		c, err = s.read.Range(lo, hi, reverse)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return c, nil
}

// filterCursor passes the items of inner that match q.
type filterCursor struct {
	inner kv.Bytes
	q     query
}

func (c *filterCursor) Next() bool {
	for c.inner.Next() {
		if c.q.match(c.inner.Key()) {
			return true
		}
	}
	return false
}

func (c *filterCursor) Key() []byte   { return c.inner.Key() }
func (c *filterCursor) Value() []byte { return c.inner.Value() }
func (c *filterCursor) Err() error    { return c.inner.Err() }
func (c *filterCursor) Close() error  { return c.inner.Close() }

func (s *Store[K, AGG]) typed(op string, c kv.Bytes) cursor.Cursor[serde.Windowed[K], AGG] {
	return &typedCursor[K, AGG]{inner: c, s: s, op: op}
}

// typedCursor decodes the composite keys and values of a byte cursor, keeping those that
// match q if filter is set (one cursor instead of a filterCursor under it).
type typedCursor[K, AGG any] struct {
	inner  kv.Bytes
	s      *Store[K, AGG]
	op     string
	q      query
	filter bool
	k      serde.Windowed[K]
	v      AGG
	err    error
}

func (c *typedCursor[K, AGG]) Next() bool {
	var zk serde.Windowed[K]
	var zv AGG
	c.k, c.v = zk, zv
	if c.err != nil {
		return false
	}
	for {
		if !c.inner.Next() {
			return false
		}
		if !c.filter || c.q.match(c.inner.Key()) {
			break
		}
	}
	kb, start, end, ok := FromBinary(c.inner.Key())
	if !ok {
		c.err = c.s.fail(c.op, fmt.Errorf("%w: %d bytes", segments.ErrBadKey, len(c.inner.Key())))
		return false
	}
	k, err := c.s.keys.Deserialize(c.s.topic, kb)
	if err != nil {
		c.err = c.s.fail(c.op, err)
		return false
	}
	v, err := c.s.values.Deserialize(c.s.topic, c.inner.Value())
	if err != nil {
		c.err = c.s.fail(c.op, err)
		return false
	}
	c.k, c.v = serde.Windowed[K]{Key: k, Start: start, End: end}, v
	return true
}

func (c *typedCursor[K, AGG]) Key() serde.Windowed[K] { return c.k }
func (c *typedCursor[K, AGG]) Value() AGG             { return c.v }

func (c *typedCursor[K, AGG]) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.s.fail(c.op, c.inner.Err())
}

func (c *typedCursor[K, AGG]) Close() error {
	var zk serde.Windowed[K]
	var zv AGG
	c.k, c.v = zk, zv
	err := c.inner.Close()
	if c.err != nil {
		return c.err
	}
	return c.s.fail(c.op, err)
}
