// Package segments is the time-segmented engine under the window and session stores (Kafka
// Streams' AbstractRocksDBSegmentedBytesStore with its Segments): composite keys (a record
// key followed by timestamps, see the window and session key schemas) are kept in segments,
// one kv.Engine per time interval, so that expired data is dropped a whole segment at a time.
//
// A [Store] is itself a kv.Engine over the composite keys: the changelog layer logs its
// writes and restoration replays them through it unchanged, each write routed to the segment
// of its timestamp.
package segments

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// Schema says which timestamp of a composite key places it in a segment: the window start
// for window keys, the session end for session keys.
type Schema interface {
	// SegmentTime returns the timestamp of a composite key; ok is false when the key is too
	// short to be one.
	SegmentTime(key []byte) (ts int64, ok bool)
}

// Factory opens and drops the engines of segments. Names are "<store>.<segment start>", as
// Kafka names its segments.
type Factory interface {
	// Persistent reports whether the segments keep their data on disk.
	Persistent() bool
	// Open opens the engine of the named segment, creating it if needed.
	Open(name string) (kv.Engine, error)
	// Drop deletes the data of a segment whose engine is closed.
	Drop(name string) error
	// Existing returns the names of the segments that exist already (on disk), so that a
	// persistent store reopens them.
	Existing() ([]string, error)
}

// Options configure a Store.
type Options struct {
	// Retention is how long data is kept, in ms of stream time (Kafka's retentionPeriod).
	Retention int64
	// Interval is the time span of one segment in ms (Kafka's segmentInterval).
	Interval int64
}

// ErrBadKey is returned for a composite key too short for the store's schema.
var ErrBadKey = errors.New("malformed composite key")

// Store is a kv.Engine over composite keys, kept in time segments. Writes into a segment
// older than the retention (observed stream time − retention, rounded down to a segment) are
// dropped and counted; each write that moves the observed stream time drops the segments
// that have expired. Reads see only live segments. Ranges merge the live segments' cursors.
//
// It is safe for concurrent use.
type Store struct {
	name    string
	schema  Schema
	factory Factory
	opts    Options

	mu       sync.RWMutex
	segs     map[int64]kv.Engine // by segment id (timestamp / interval)
	ids      []int64             // sorted
	observed int64               // the observed stream time: the largest segment time put
	closed   bool

	expired atomic.Int64
	dropped atomic.Int64
}

var _ kv.Engine = (*Store)(nil)

// Open opens a segmented store, reopening the segments the factory already has.
func Open(name string, schema Schema, factory Factory, opts Options) (*Store, error) {
	if opts.Interval <= 0 {
		return nil, fmt.Errorf("segments %q: interval %d ms must be positive", name, opts.Interval)
	}
	if opts.Retention < 0 {
		return nil, fmt.Errorf("segments %q: retention %d ms must not be negative", name, opts.Retention)
	}
	s := &Store{name: name, schema: schema, factory: factory, opts: opts, segs: map[int64]kv.Engine{}, observed: math.MinInt64}
	names, err := factory.Existing()
	if err != nil {
		return nil, s.fail("open", err)
	}
	for _, n := range names {
		id, ok := s.parseName(n)
		if !ok {
			continue
		}
		e, err := factory.Open(n)
		if err != nil {
			s.closeAll()
			return nil, s.fail("open", err)
		}
		s.segs[id] = e
		s.ids = append(s.ids, id)
	}
	slices.Sort(s.ids)
	return s, nil
}

func (s *Store) fail(op string, err error) error {
	return &store.Error{Store: s.name, Op: op, Err: err}
}

// SegmentName returns the name of the segment with id: "<store>.<id × interval>".
func (s *Store) SegmentName(id int64) string {
	return s.name + "." + strconv.FormatInt(id*s.opts.Interval, 10)
}

func (s *Store) parseName(n string) (int64, bool) {
	rest, ok := strings.CutPrefix(n, s.name+".")
	if !ok {
		return 0, false
	}
	start, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || start%s.opts.Interval != 0 {
		return 0, false
	}
	return start / s.opts.Interval, true
}

// segmentID is Kafka's Segments.segmentId: timestamp / interval (floored for negative
// timestamps, which valid data never has).
func (s *Store) segmentID(ts int64) int64 {
	id := ts / s.opts.Interval
	if ts < 0 && ts%s.opts.Interval != 0 {
		id--
	}
	return id
}

// minLiveSegment returns the oldest live segment id for the observed stream time.
func (s *Store) minLiveSegment() int64 {
	if s.observed == math.MinInt64 {
		return math.MinInt64
	}
	return s.segmentID(s.observed - s.opts.Retention)
}

// Name returns the store's name.
func (s *Store) Name() string { return s.name }

// Persistent reports whether the segments are on disk.
func (s *Store) Persistent() bool { return s.factory.Persistent() }

// IsOpen reports whether the store is open.
func (s *Store) IsOpen() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return !s.closed
}

// ObservedStreamTime returns the largest segment timestamp written so far, or
// math.MinInt64 before the first write.
func (s *Store) ObservedStreamTime() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.observed
}

// ExpiredRecords returns the number of writes dropped because their segment had expired
// (Kafka's expired-window-record-drop metric).
func (s *Store) ExpiredRecords() int64 { return s.expired.Load() }

// DroppedSegments returns the number of segments dropped so far.
func (s *Store) DroppedSegments() int64 { return s.dropped.Load() }

// SegmentIDs returns the ids of the live segments, oldest first.
func (s *Store) SegmentIDs() []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.ids)
}

// MinLiveTime returns the earliest timestamp reads may still return (Kafka's getActualFrom
// lower bound: observed stream time − retention + 1), or math.MinInt64 before any write.
func (s *Store) MinLiveTime() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.observed == math.MinInt64 {
		return math.MinInt64
	}
	return s.observed - s.opts.Retention + 1
}

// segmentFor returns the segment a write of key goes to, creating it, or nil when it has
// expired; it advances the observed stream time and drops expired segments. The caller holds
// s.mu for writing.
func (s *Store) segmentFor(op string, key []byte) (kv.Engine, error) {
	ts, ok := s.schema.SegmentTime(key)
	if !ok {
		return nil, s.fail(op, fmt.Errorf("%w: %d bytes", ErrBadKey, len(key)))
	}
	s.observed = max(s.observed, ts)
	id := s.segmentID(ts)
	minLive := s.minLiveSegment()
	if err := s.dropBefore(minLive); err != nil {
		return nil, err
	}
	if id < minLive {
		s.expired.Add(1)
		return nil, nil
	}
	if e, ok := s.segs[id]; ok {
		return e, nil
	}
	e, err := s.factory.Open(s.SegmentName(id))
	if err != nil {
		return nil, s.fail(op, err)
	}
	s.segs[id] = e
	i, _ := slices.BinarySearch(s.ids, id)
	s.ids = slices.Insert(s.ids, i, id)
	return e, nil
}

// dropBefore closes and drops every segment older than minLive; the caller holds s.mu.
func (s *Store) dropBefore(minLive int64) error {
	var errs []error
	for len(s.ids) > 0 && s.ids[0] < minLive {
		id := s.ids[0]
		e := s.segs[id]
		delete(s.segs, id)
		s.ids = s.ids[1:]
		if err := e.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := s.factory.Drop(s.SegmentName(id)); err != nil {
			errs = append(errs, err)
		}
		s.dropped.Add(1)
	}
	if err := errors.Join(errs...); err != nil {
		return s.fail("drop-segment", err)
	}
	return nil
}

// segmentOf returns the live segment that holds key, or nil; the caller holds s.mu.
func (s *Store) segmentOf(op string, key []byte) (kv.Engine, error) {
	ts, ok := s.schema.SegmentTime(key)
	if !ok {
		return nil, s.fail(op, fmt.Errorf("%w: %d bytes", ErrBadKey, len(key)))
	}
	return s.segs[s.segmentID(ts)], nil
}

func (s *Store) rlock(op string) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return s.fail(op, store.ErrStoreClosed)
	}
	return nil
}

func (s *Store) lock(op string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.fail(op, store.ErrStoreClosed)
	}
	return nil
}

// Get returns the value of a composite key.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	if err := s.rlock("get"); err != nil {
		return nil, false, err
	}
	defer s.mu.RUnlock()
	e, err := s.segmentOf("get", key)
	if err != nil || e == nil {
		return nil, false, err
	}
	return e.Get(key)
}

// Put writes value at a composite key; a write into an expired segment is dropped and
// counted.
func (s *Store) Put(key, value []byte) error {
	if err := s.lock("put"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	e, err := s.segmentFor("put", key)
	if err != nil || e == nil {
		return err
	}
	return e.Put(key, value)
}

// PutIfAbsent writes value at key if it is absent (from a live segment).
func (s *Store) PutIfAbsent(key, value []byte) ([]byte, bool, error) {
	if err := s.lock("put-if-absent"); err != nil {
		return nil, false, err
	}
	defer s.mu.Unlock()
	e, err := s.segmentFor("put-if-absent", key)
	if err != nil || e == nil {
		return nil, false, err
	}
	return e.PutIfAbsent(key, value)
}

// Delete removes key and returns its old value.
func (s *Store) Delete(key []byte) ([]byte, bool, error) {
	if err := s.lock("delete"); err != nil {
		return nil, false, err
	}
	defer s.mu.Unlock()
	e, err := s.segmentOf("delete", key)
	if err != nil || e == nil {
		return nil, false, err
	}
	return e.Delete(key)
}

// Write applies a batch, each entry routed to its segment (puts into expired segments are
// dropped and counted, as by Put).
func (s *Store) Write(batch []kv.Entry) error {
	if err := s.lock("write"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	// Group consecutive entries of one segment into one engine batch. The pending entries
	// are written before an entry of another segment is routed: a put that advances the
	// stream time may drop (close) the segment they are for.
	var cur kv.Engine
	var curID int64
	var pending []kv.Entry
	flush := func() error {
		if cur == nil || len(pending) == 0 {
			pending = pending[:0]
			return nil
		}
		err := cur.Write(pending)
		pending = pending[:0]
		return err
	}
	for i := range batch {
		ent := batch[i]
		if ts, ok := s.schema.SegmentTime(ent.Key); ok && cur != nil && s.segmentID(ts) != curID {
			if err := flush(); err != nil {
				return err
			}
			cur = nil
		}
		var e kv.Engine
		var err error
		if ent.Delete {
			e, err = s.segmentOf("write", ent.Key)
		} else {
			e, err = s.segmentFor("write", ent.Key)
		}
		if err != nil {
			return err
		}
		if e == nil {
			continue
		}
		if e != cur {
			if err := flush(); err != nil {
				return err
			}
			cur = e
			curID, _ = s.schema.SegmentTime(ent.Key)
			curID = s.segmentID(curID)
		}
		pending = append(pending, ent)
	}
	return flush()
}

// Range returns a cursor over the composite keys in [from, to] across the live segments,
// merged in key order (descending if reverse).
func (s *Store) Range(from, to []byte, reverse bool) (kv.Bytes, error) {
	return s.merge("range", reverse, func(e kv.Engine) (kv.Bytes, error) { return e.Range(from, to, reverse) }, math.MinInt64, math.MaxInt64)
}

// RangeTime is Range restricted to the segments that may hold timestamps in
// [timeFrom, timeTo]: a window fetch needs no other.
func (s *Store) RangeTime(from, to []byte, timeFrom, timeTo int64, reverse bool) (kv.Bytes, error) {
	return s.merge("range", reverse, func(e kv.Engine) (kv.Bytes, error) { return e.Range(from, to, reverse) }, timeFrom, timeTo)
}

// PrefixScan returns an ascending cursor over the composite keys that start with prefix.
func (s *Store) PrefixScan(prefix []byte) (kv.Bytes, error) {
	return s.merge("prefix-scan", false, func(e kv.Engine) (kv.Bytes, error) { return e.PrefixScan(prefix) }, math.MinInt64, math.MaxInt64)
}

func (s *Store) merge(op string, reverse bool, open func(kv.Engine) (kv.Bytes, error), timeFrom, timeTo int64) (kv.Bytes, error) {
	if err := s.rlock(op); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	lo, hi := s.segmentID(timeFrom), s.segmentID(timeTo)
	if timeFrom == math.MinInt64 {
		lo = math.MinInt64
	}
	if timeTo == math.MaxInt64 {
		hi = math.MaxInt64
	}
	var cs []kv.Bytes
	for _, id := range s.ids {
		if id < lo || id > hi {
			continue
		}
		c, err := open(s.segs[id])
		if err != nil {
			for _, c := range cs {
				_ = c.Close()
			}
			return nil, err
		}
		cs = append(cs, &segCursor{in: c, s: s, id: id})
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	return kv.Merge(cs, reverse), nil
}

// segCursor is the cursor of one segment in a range. When a write drops the segment while
// the cursor is open, the segment's engine closes and invalidates the cursor with
// store.ErrStoreClosed; segCursor turns that into the end of the segment's items, so that
// the range goes on with the live segments (Kafka's SegmentIterator skips segments that
// closed while it iterated). If the whole store was closed, the error stands.
type segCursor struct {
	cursor.State
	in    kv.Bytes
	s     *Store
	id    int64
	ended bool // the segment was dropped under the cursor
}

func (c *segCursor) Next() bool {
	if !c.Usable() || c.ended {
		return false
	}
	if c.in.Next() {
		return true
	}
	if err := c.in.Err(); err != nil {
		if c.droppedUnder(err) {
			c.ended = true
			return false
		}
		c.Fail(err)
	}
	return false
}

// droppedUnder reports whether err is the invalidation of a segment that was dropped.
func (c *segCursor) droppedUnder(err error) bool {
	return errors.Is(err, store.ErrStoreClosed) && c.s.wasDropped(c.id)
}

func (c *segCursor) Key() []byte {
	if c.ended || c.IsClosed() {
		return nil
	}
	return c.in.Key()
}

func (c *segCursor) Value() []byte {
	if c.ended || c.IsClosed() {
		return nil
	}
	return c.in.Value()
}

func (c *segCursor) Close() error {
	if c.MarkClosed() {
		if err := c.in.Close(); err != nil && !c.ended && !c.droppedUnder(err) {
			c.Fail(err)
		}
	}
	return c.Err()
}

// wasDropped reports whether segment id was dropped while the store stays open.
func (s *Store) wasDropped(id int64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, live := s.segs[id]
	return !s.closed && !live
}

// ApproximateNumEntries sums the segments' estimates.
func (s *Store) ApproximateNumEntries() (int64, error) {
	if err := s.rlock("approximate-num-entries"); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var n int64
	for _, id := range s.ids {
		m, err := s.segs[id].ApproximateNumEntries()
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// Flush flushes every segment.
func (s *Store) Flush() error {
	if err := s.rlock("flush"); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	var errs []error
	for _, id := range s.ids {
		errs = append(errs, s.segs[id].Flush())
	}
	return errors.Join(errs...)
}

// Close closes every segment (their cursors are invalidated). It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeAll()
}

func (s *Store) closeAll() error {
	var errs []error
	for _, id := range s.ids {
		errs = append(errs, s.segs[id].Close())
	}
	clear(s.segs)
	s.ids = nil
	return errors.Join(errs...)
}

// OpenCursors returns the open cursors of the segments that count them.
func (s *Store) OpenCursors() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, id := range s.ids {
		if c, ok := s.segs[id].(kv.OpenCursorCounter); ok {
			n += c.OpenCursors()
		}
	}
	return n
}

// MemoryFactory returns a factory of in-memory segments (kv.NewMemory engines).
func MemoryFactory() Factory { return &memFactory{} }

type memFactory struct{}

func (*memFactory) Persistent() bool                    { return false }
func (*memFactory) Open(name string) (kv.Engine, error) { return kv.NewMemory(name), nil }
func (*memFactory) Drop(string) error                   { return nil }
func (*memFactory) Existing() ([]string, error)         { return nil, nil }
