package topology

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
)

// This file holds the session-windowed aggregations of a KGroupedStream (Kafka Streams'
// SessionWindows, SessionWindowedKStream, SessionWindowedKStreamImpl,
// SessionStoreMaterializer and KStreamSessionWindowAggregate).
//
// Differences from Kafka Streams:
//   - A record with no value (a tombstone) is skipped and counted in dropped-records, like a
//     record without a key. Kafka 3.9's KStreamSessionWindowAggregate skips only null keys
//     and hands null values to the aggregator; Go has no null to hand over.
//   - With EmitOnWindowClose, the close time of the last emission is kept in memory only
//     (Kafka keeps it in the committed offsets' metadata), so a restarted task emits again
//     the closed sessions its store still holds. Emission is checked on every record (Kafka
//     throttles it to once a second of wall-clock time by default).
//   - A session older than the store's retention (stream time − retention, gap + grace by
//     default) is never found again, so a record cannot merge into it. Kafka's uncached store
//     behaves so; its caching store still finds such a session while the record cache holds
//     it.
//   - Emitting on window close reads the segments of the session store that hold the closed
//     sessions (Kafka reads a time-ordered session store made for it).
//   - Count given a Materialized without a name does not burn a name of the counter, where
//     Kafka's count(Materialized) does (count() does not): as the package-level Count, a
//     zero Materialized is Kafka's count().

// SessionWindows are session windows (Kafka Streams' SessionWindows): the records of a key
// that are at most Gap apart form one session, whose window runs from its first record's
// timestamp to its last one's, both inclusive. A record arriving after stream time has passed
// a session's end + Gap + Grace can no longer join it: it is dropped (and counted in
// dropped-records) if it would have to.
//
// Make them with SessionWindowsWithNoGrace or SessionWindowsWithGrace, or as a literal; they
// are checked when the topology is built.
type SessionWindows struct {
	// Gap is the inactivity gap; at least 1 ms (Kafka: "Gap time cannot be zero or
	// negative."). It is used in whole milliseconds.
	Gap time.Duration
	// Grace is how long after a session closes (end + Gap) out-of-order records are still
	// accepted; not negative. Zero is none. It is used in whole milliseconds.
	Grace time.Duration
}

// SessionWindowsWithNoGrace returns session windows with this inactivity gap and no grace
// period (Kafka's SessionWindows.ofInactivityGapWithNoGrace).
func SessionWindowsWithNoGrace(gap time.Duration) SessionWindows {
	return SessionWindows{Gap: gap}
}

// SessionWindowsWithGrace returns session windows with this inactivity gap and grace period
// (Kafka's SessionWindows.ofInactivityGapAndGrace(inactivityGap, afterWindowEnd)).
func SessionWindowsWithGrace(gap, grace time.Duration) SessionWindows {
	return SessionWindows{Gap: gap, Grace: grace}
}

// SessionWindowedKStream is a grouped stream windowed by sessions, ready to be aggregated
// (Kafka Streams' SessionWindowedKStream). Make it with KGroupedStream.WindowedBySession;
// aggregate it with CountSessions, ReduceSessions or AggregateSessions.
type SessionWindowedKStream[K, V any] struct {
	g       *KGroupedStream[K, V]
	windows SessionWindows
	emit    EmitStrategy
}

// WindowedBySession windows the grouped stream by sessions (Kafka's
// KGroupedStream.windowedBy(SessionWindows)). It adds no node. Invalid windows (a gap below
// 1 ms, a negative grace) are reported by Build.
func (g *KGroupedStream[K, V]) WindowedBySession(w SessionWindows) *SessionWindowedKStream[K, V] {
	if w.Gap.Milliseconds() <= 0 {
		g.sb.b.fail("WindowedBySession on %q: session inactivity gap %v must be at least 1ms (Kafka: \"Gap time cannot be zero or negative.\")", g.name, w.Gap)
	}
	if w.Grace < 0 {
		g.sb.b.fail("WindowedBySession on %q: session grace period %v must not be negative (Kafka: \"Grace period must not be negative.\")", g.name, w.Grace)
	}
	return &SessionWindowedKStream[K, V]{g: g, windows: w}
}

// EmitStrategy sets when the aggregations made afterwards forward their results (Kafka's
// SessionWindowedKStream.emitStrategy): EmitOnWindowUpdate (the default) forwards every
// update of a session, and a tombstone for each session merged into another;
// EmitOnWindowClose forwards each session once, with its final aggregate, when stream time
// passes its end + gap + grace, and turns the store's record cache off, as Kafka does. It
// returns s.
func (s *SessionWindowedKStream[K, V]) EmitStrategy(e EmitStrategy) *SessionWindowedKStream[K, V] {
	if e != EmitOnWindowUpdate && e != EmitOnWindowClose {
		s.g.sb.b.fail("SessionWindowedKStream.EmitStrategy on %q: unknown EmitStrategy %d", s.g.name, e)
		return s
	}
	s.emit = e
	return s
}

// Windows returns the session windows.
func (s *SessionWindowedKStream[K, V]) Windows() SessionWindows { return s.windows }

// CountSessions counts the records of each session (Kafka's SessionWindowedKStream.count;
// node KSTREAM-AGGREGATE-%010d, session store KSTREAM-AGGREGATE-STATE-STORE-%010d unless m
// names it). The result is keyed by the session (serde.Windowed, written with
// serde.SessionWindowed) and updated as sessions grow and merge: when a record merges
// sessions, a tombstone is forwarded for each merged-away session before the merged count.
// Records without a key or value are skipped and counted in dropped-records, as are records
// too late for their session.
//
// m configures the store as for Count; its Retention (default gap + grace) must be at least
// gap + grace, StoreLRU and Supplier are not for session stores (use SessionSupplier).
func CountSessions[K, V any](s *SessionWindowedKStream[K, V], m Materialized[K, int64], named ...Named) *KTable[serde.Windowed[K], int64] {
	return sessionAggregate(s, "CountSessions", aggregatePrefix, m, serde.Int64, named, sessionFns[K, V, int64]{
		init:  func() (int64, bool) { return 0, true },
		add:   func(_ K, _ V, agg int64, _ bool) int64 { return agg + 1 },
		merge: func(_ K, a int64, _ bool, b int64) int64 { return a + b },
	})
}

// ReduceSessions combines the values of each session with reducer, the first value being the
// first aggregate (Kafka's SessionWindowedKStream.reduce; node KSTREAM-REDUCE-%010d, store
// KSTREAM-REDUCE-STATE-STORE-%010d unless m names it). When a record merges sessions, their
// aggregates are combined with reducer in store order (Kafka's merger for a reducer:
// reducer(first, second)), then the record's value. The store's value serde defaults to the
// grouped stream's. See CountSessions for the rest.
func ReduceSessions[K, V any](s *SessionWindowedKStream[K, V], reducer func(agg, value V) V, m Materialized[K, V], named ...Named) *KTable[serde.Windowed[K], V] {
	if reducer == nil {
		s.g.sb.b.fail("ReduceSessions on %q: nil reducer", s.g.name)
		reducer = func(agg, _ V) V { return agg }
	}
	return sessionAggregate(s, "ReduceSessions", reducePrefix, m, s.g.values, named, sessionFns[K, V, V]{
		init: func() (V, bool) { var zero V; return zero, false },
		add: func(_ K, v V, agg V, has bool) V {
			if !has {
				return v
			}
			return reducer(agg, v)
		},
		merge: func(_ K, a V, has bool, b V) V {
			if !has {
				return b
			}
			return reducer(a, b)
		},
	})
}

// AggregateSessions folds the values of each session into an aggregate (Kafka's
// SessionWindowedKStream.aggregate(initializer, aggregator, sessionMerger); node
// KSTREAM-AGGREGATE-%010d, store KSTREAM-AGGREGATE-STATE-STORE-%010d unless m names it).
// A record starts from initializer(), merges into it the aggregates of the sessions it joins
// (merger(key, agg, session's aggregate), in store order), then applies aggregator. m.Values
// is required. See CountSessions for the rest.
func AggregateSessions[K, V, VA any](s *SessionWindowedKStream[K, V], initializer func() VA, aggregator func(key K, value V, agg VA) VA, merger func(key K, agg1, agg2 VA) VA, m Materialized[K, VA], named ...Named) *KTable[serde.Windowed[K], VA] {
	if initializer == nil || aggregator == nil || merger == nil {
		s.g.sb.b.fail("AggregateSessions on %q: nil initializer, aggregator or session merger", s.g.name)
		return sessionAggregate(s, "AggregateSessions", aggregatePrefix, m, nil, named, sessionFns[K, V, VA]{
			init:  func() (VA, bool) { var zero VA; return zero, true },
			add:   func(_ K, _ V, agg VA, _ bool) VA { return agg },
			merge: func(_ K, a VA, _ bool, _ VA) VA { return a },
		})
	}
	return sessionAggregate(s, "AggregateSessions", aggregatePrefix, m, nil, named, sessionFns[K, V, VA]{
		init:  func() (VA, bool) { return initializer(), true },
		add:   func(k K, v V, agg VA, _ bool) VA { return aggregator(k, v, agg) },
		merge: func(k K, a VA, _ bool, b VA) VA { return merger(k, a, b) },
	})
}

// sessionFns are an aggregation's functions. has says whether agg holds an aggregate: init
// gives false for Reduce (Kafka's null reduce initializer), and it is true once a session was
// merged in.
type sessionFns[K, V, VA any] struct {
	init  func() (VA, bool)
	add   func(key K, value V, agg VA, has bool) VA
	merge func(key K, agg VA, has bool, session VA) VA
}

// sessionAggregate adds what every session aggregation adds, in Kafka's order of names: the
// store name (generated only when m gives none), the processor name, then the repartition
// topic's (SessionWindowedKStreamImpl with GroupedStreamAggregateBuilder.build).
func sessionAggregate[K, V, VA any](s *SessionWindowedKStream[K, V], op, prefix string, m Materialized[K, VA], values serde.Serde[VA], named []Named, fns sessionFns[K, V, VA]) *KTable[serde.Windowed[K], VA] {
	g := s.g
	var sup interface{ Name() string }
	if m.SessionSupplier != nil {
		sup = m.SessionSupplier
	}
	storeName, queryable, name, parent, keys, values := setupAggregation(g, op, prefix, sup, m, values, named)
	sbld := sessionStoreBuilder(g.sb, op, storeName, s.windows, s.emit, m, keys, values)
	st := &tableState{storeName: storeName}
	gap, grace := s.windows.Gap.Milliseconds(), s.windows.Grace.Milliseconds()
	emit := s.emit
	AddProcessor(g.sb.b, name, func() processor.Processor[K, V, serde.Windowed[K], Change[VA]] {
		return &sessionAggProc[K, V, VA]{st: st, storeName: storeName, gap: gap, grace: grace, emitFinal: emit == EmitOnWindowClose,
			fns: fns, keys: keys, values: values}
	}, parent)
	if sbld != nil {
		g.sb.b.AddStateStore(sbld, name)
	}
	var wkeys serde.Serde[serde.Windowed[K]]
	if keys != nil {
		wkeys = serde.SessionWindowed(keys)
	}
	// Suppress(UntilWindowCloses) waits gap + grace past a session's end (Kafka's
	// GraphGraceSearchUtil for KStreamSessionWindowAggregate).
	win := &tableWindow[serde.Windowed[K]]{graceMs: gap + grace, end: func(w serde.Windowed[K]) int64 { return w.End }}
	return &KTable[serde.Windowed[K], VA]{sb: g.sb, name: name, storeName: storeName, queryable: queryable, keys: wkeys, values: values, st: st, win: win}
}

// sessionStoreBuilder returns the builder of a session aggregation's store, or nil after
// recording an error (Kafka's SessionStoreMaterializer): retention m.Retention or gap +
// grace, which it must not be below; the session supplier m.SessionSupplier, else RocksDB
// (session.PersistentSupplier) or in-memory by m.StoreType; logging as m says; caching as m
// says except with EmitOnWindowClose, which never caches.
func sessionStoreBuilder[K, VA any](sb *StreamsBuilder, op, name string, w SessionWindows, emit EmitStrategy, m Materialized[K, VA], keys serde.Serde[K], values serde.Serde[VA]) *session.Builder[K, VA] {
	if keys == nil || values == nil {
		sb.b.fail("%s: session store %q has no key or value serde: give them in Materialized (or Grouped)", op, name)
		return nil
	}
	if m.Supplier != nil || m.WindowSupplier != nil {
		sb.b.fail("%s: session store %q: Materialized.Supplier and WindowSupplier are not session store suppliers: use SessionSupplier", op, name)
		return nil
	}
	gapGrace := w.Gap.Truncate(time.Millisecond) + w.Grace.Truncate(time.Millisecond)
	retention := m.Retention
	if retention == 0 {
		retention = gapGrace
	}
	if retention.Truncate(time.Millisecond) < gapGrace {
		sb.b.fail("%s: the retention period of the session store %s must be no smaller than the session inactivity gap plus the grace period. Got gap=[%d], grace=[%d], retention=[%d]",
			op, name, w.Gap.Milliseconds(), w.Grace.Milliseconds(), retention.Milliseconds())
		return nil
	}
	sup := m.SessionSupplier
	if sup != nil {
		if sup.Name() != name {
			sb.b.fail("%s: Materialized names the session store %q but its SessionSupplier supplies %q", op, name, sup.Name())
			return nil
		}
		if r := sup.Options().Retention; r < gapGrace {
			sb.b.fail("%s: the SessionSupplier of session store %q has retention %v, smaller than the session inactivity gap plus the grace period (%v)", op, name, r, gapGrace)
			return nil
		}
	} else {
		opts := session.Options{Retention: retention}
		var err error
		switch m.StoreType {
		case StoreInMemory:
			sup, err = session.InMemorySupplier(name, opts)
		case StoreRocksDB:
			var ok bool
			sup, ok, err = session.PersistentSupplier(name, opts)
			if !ok {
				sb.b.fail("%s: session store %q is persistent (StoreRocksDB, the default) but no persistent session engine is registered: import _ \"github.com/tributary-go/tributary/store/rocksdb\", or choose StoreInMemory", op, name)
				return nil
			}
		case StoreLRU:
			sb.b.fail("%s: session store %q: StoreLRU is a key-value store type; session stores are StoreRocksDB or StoreInMemory", op, name)
			return nil
		default:
			sb.b.fail("%s: session store %q has unknown StoreType %d", op, name, m.StoreType)
			return nil
		}
		if err != nil {
			sb.b.fail("%s: session store %q: %v", op, name, err)
			return nil
		}
	}
	b := session.NewBuilder(sup, keys, values)
	if m.LoggingDisabled {
		b.WithLoggingDisabled()
	} else if m.LogConfig != nil {
		b.WithLoggingEnabled(m.LogConfig)
	}
	if !m.CachingDisabled && emit != EmitOnWindowClose {
		b.WithCachingEnabled()
	}
	return b
}

// sessionAggProc is Kafka's KStreamSessionWindowAggregateProcessor.
type sessionAggProc[K, V, VA any] struct {
	st        *tableState
	storeName string
	gap       int64
	grace     int64
	emitFinal bool
	fns       sessionFns[K, V, VA]
	keys      serde.Serde[K]
	values    serde.Serde[VA]

	ctx     processor.Context[serde.Windowed[K], Change[VA]]
	store   *session.Store[K, VA]
	cached  bool // updates are forwarded by the cache's flush listener
	sendOld bool
	// observed is the largest timestamp the processor has seen (Kafka's observedStreamTime,
	// starting at NO_TIMESTAMP = -1); lastEmit the close time of the last emission of final
	// results (lastEmitWindowCloseTime).
	observed int64
	lastEmit int64
	merged   []cursor.KeyValue[serde.Windowed[K], VA] // reused
}

const noTimestamp = -1 // Kafka's ConsumerRecord.NO_TIMESTAMP

func (p *sessionAggProc[K, V, VA]) Init(ctx processor.Context[serde.Windowed[K], Change[VA]]) error {
	p.ctx, p.sendOld = ctx, p.st.sendOldValues
	p.observed, p.lastEmit = noTimestamp, noTimestamp
	s, err := processor.SessionStore[K, VA](ctx, p.storeName)
	if err != nil {
		return err
	}
	p.store = s
	if p.emitFinal {
		return nil
	}
	if ce, ok := kv.Find[*changelog.CachedEngine](s.Engine()); ok {
		p.cached = true
		ce.SetFlushListener(p.flushed, p.sendOld)
	}
	return nil
}

func (p *sessionAggProc[K, V, VA]) Close() error { return nil }

func (p *sessionAggProc[K, V, VA]) dropped() {
	if d, ok := p.ctx.(droppedRecorder); ok {
		d.RecordDropped()
	}
}

// Process is KStreamSessionWindowAggregateProcessor.process: merge the record into the
// sessions of its key within the gap, unless the merged session has closed.
func (p *sessionAggProc[K, V, VA]) Process(r processor.Record[K, V]) error {
	if !r.HasKey() || r.IsTombstone() {
		p.dropped() // Kafka: "Skipping record due to null key"
		return nil
	}
	key, ts := r.Key(), r.Timestamp()
	p.observed = max(p.observed, ts)
	closeTime := p.observed - p.grace - p.gap

	c, err := p.store.FindSessions(key, ts-p.gap, ts+p.gap)
	if err != nil {
		return err
	}
	merged := p.merged[:0]
	w := serde.Windowed[K]{Key: key, Start: ts, End: ts}
	agg, has := p.fns.init()
	for c.Next() {
		s := cursor.KeyValue[serde.Windowed[K], VA]{Key: c.Key(), Value: c.Value()}
		merged = append(merged, s)
		agg, has = p.fns.merge(key, agg, has, s.Value), true
		w.Start, w.End = min(w.Start, s.Key.Start), max(w.End, s.Key.End)
	}
	err = c.Close()
	p.merged = merged
	defer clear(p.merged)
	if err != nil {
		return err
	}

	if w.End < closeTime {
		p.dropped() // Kafka: "Skipping record for expired window"
	} else {
		if w.Start != ts || w.End != ts {
			for _, s := range merged {
				if err := p.store.Remove(s.Key); err != nil {
					return err
				}
				if err := p.maybeForwardUpdate(s.Key, Change[VA]{Old: s.Value, HasOld: p.sendOld}); err != nil {
					return err
				}
			}
		}
		agg = p.fns.add(key, r.Value(), agg, has)
		if err := p.store.Put(w, agg); err != nil {
			return err
		}
		if err := p.maybeForwardUpdate(w, Change[VA]{New: agg, HasNew: true}); err != nil {
			return err
		}
	}
	return p.maybeForwardFinalResults(r, closeTime)
}

// maybeForwardUpdate forwards an update with the session's end as timestamp and no headers
// (Kafka forwards a new Record), unless results are emitted on window close or the cache
// forwards them.
func (p *sessionAggProc[K, V, VA]) maybeForwardUpdate(w serde.Windowed[K], c Change[VA]) error {
	if p.emitFinal || p.cached {
		return nil
	}
	return p.ctx.Forward(processor.MakeRecord(w, true, c, true, w.End, nil))
}

// flushed forwards a session the cache writes to the store (Kafka's CachingSessionStore with
// SessionCacheFlushListener): the cache's keys are composite session keys.
func (p *sessionAggProc[K, V, VA]) flushed(e changelog.FlushedEntry) error {
	kb, start, end, ok := session.FromBinary(e.Key)
	if !ok {
		return fmt.Errorf("session store %q: cache flushed a key of %d bytes, shorter than a session key", p.storeName, len(e.Key))
	}
	k, err := p.keys.Deserialize(p.storeName, kb)
	if err != nil {
		return err
	}
	var c Change[VA]
	if e.NewValue != nil {
		if c.New, err = p.values.Deserialize(p.storeName, e.NewValue); err != nil {
			return err
		}
		c.HasNew = true
	}
	if p.sendOld && e.OldValue != nil {
		if c.Old, err = p.values.Deserialize(p.storeName, e.OldValue); err != nil {
			return err
		}
		c.HasOld = true
	}
	hdr, _ := e.Context.Headers.(processor.Headers)
	w := serde.Windowed[K]{Key: k, Start: start, End: end}
	return p.ctx.Forward(processor.MakeRecord(w, true, c, true, end, hdr))
}

// maybeForwardFinalResults is Kafka's maybeForwardFinalResult for EmitOnWindowClose: when the
// close time has advanced since the last emission, forward every session that ended in
// [max(0, last close time), close time − 1] with its final aggregate, in the order of Kafka's
// time-ordered session store (end, start, key bytes), timestamped with the session end and
// carrying the current record's headers.
func (p *sessionAggProc[K, V, VA]) maybeForwardFinalResults(r processor.Record[K, V], closeTime int64) error {
	if !p.emitFinal || (p.lastEmit != noTimestamp && p.lastEmit >= closeTime) {
		return nil
	}
	upper := closeTime - 1 // session windows are inclusive at both ends
	if upper < 0 {
		return nil
	}
	lower := max(0, p.lastEmit)
	if upper < lower {
		return nil
	}
	finals, err := p.closedSessions(lower, upper)
	if err != nil {
		return err
	}
	slices.SortFunc(finals, func(a, b finalSession[K, VA]) int {
		if c := cmp.Compare(a.kv.Key.End, b.kv.Key.End); c != 0 {
			return c
		}
		if c := cmp.Compare(a.kv.Key.Start, b.kv.Key.Start); c != 0 {
			return c
		}
		return bytes.Compare(a.kb, b.kb)
	})
	hdr := r.Headers()
	for _, f := range finals {
		if err := p.ctx.Forward(processor.MakeRecord(f.kv.Key, true, Change[VA]{New: f.kv.Value, HasNew: true}, true, f.kv.Key.End, hdr)); err != nil {
			return err
		}
	}
	p.lastEmit = closeTime
	return nil
}

// finalSession is a closed session to emit, with its serialized key for ordering.
type finalSession[K, VA any] struct {
	kb []byte
	kv cursor.KeyValue[serde.Windowed[K], VA]
}

// closedSessions returns the sessions that end in [lower, upper]. Kafka reads them from a
// time-ordered session store, whose reads keep the sessions of a live segment even when they
// are older than the retention; Tributary's session store hides those at once, and a session
// closes exactly when it expires with the default retention (gap + grace). So this reads the
// segmented engine under the store (never cached: emit on close turns the cache off) in the
// segments that hold sessions ending in [lower, upper], as Kafka does.
func (p *sessionAggProc[K, V, VA]) closedSessions(lower, upper int64) ([]finalSession[K, VA], error) {
	var finals []finalSession[K, VA]
	segs, ok := kv.Find[*segments.Store](p.store.Engine())
	if !ok {
		c, err := p.store.FindSessionsKeyRange(nil, nil, lower, upper)
		if err != nil {
			return nil, err
		}
		for c.Next() {
			if w := c.Key(); w.End <= upper {
				kb, err := p.keys.Serialize(p.storeName, w.Key)
				if err != nil {
					_ = c.Close()
					return nil, err
				}
				finals = append(finals, finalSession[K, VA]{kb: kb, kv: cursor.KeyValue[serde.Windowed[K], VA]{Key: w, Value: c.Value()}})
			}
		}
		return finals, c.Close()
	}
	c, err := segs.RangeTime(nil, nil, lower, upper, false)
	if err != nil {
		return nil, err
	}
	for c.Next() {
		kb, start, end, ok := session.FromBinary(c.Key())
		if !ok || end < lower || end > upper {
			continue
		}
		k, err := p.keys.Deserialize(p.storeName, kb)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		v, err := p.values.Deserialize(p.storeName, c.Value())
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		finals = append(finals, finalSession[K, VA]{kb: slices.Clone(kb), kv: cursor.KeyValue[serde.Windowed[K], VA]{Key: serde.Windowed[K]{Key: k, Start: start, End: end}, Value: v}})
	}
	return finals, c.Close()
}
