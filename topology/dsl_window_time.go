package topology

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/window"
)

// This file holds the windowed aggregations of a KGroupedStream over time windows (Kafka
// Streams' TimeWindows, TimeWindowedKStream, TimeWindowedKStreamImpl, KStreamWindowAggregate
// and WindowStoreMaterializer), and what they share with the sliding windows of
// dsl_sliding.go: the windowed stream, the window store, the timestamped aggregates and the
// forwarding of window updates (Kafka's TimestampedTupleForwarder over a CachingWindowStore).
//
// Differences from Kafka Streams: the window store holds ValueAndTimestamp values (Kafka's
// TimestampedWindowStore), so the store is queried as a window.Store[K,
// ValueAndTimestamp[VA]] (testutil.WindowStore), where Kafka also offers a plain-value
// facade. EmitOnWindowClose keeps its last emitted window-close time in memory only (Kafka
// also commits it with the offsets, so a restarted task does not emit closed windows twice).

// TimeWindows are fixed-size windows of Size, epoch-aligned, that start every Advance:
// tumbling windows when Advance is zero (or equal to Size), hopping windows otherwise (Kafka
// Streams' TimeWindows). A window [start, start+Size) holds the records whose timestamp is in
// it; a record belongs to every window that contains it. Grace is how long after a window's
// end it still accepts out-of-order records (Kafka's grace period, afterWindowEnd): a window
// closes when stream time reaches its end plus Grace, and later records for it are dropped.
//
// Build the value with TimeWindowsOfSizeWithNoGrace or TimeWindowsOfSizeAndGrace, and
// AdvanceBy for hopping windows, as in Kafka, or as a literal. Durations are truncated to
// milliseconds. Invalid windows (Size under 1 ms, Advance negative or larger than Size,
// negative Grace) are an error of Build.
type TimeWindows struct {
	Size    time.Duration
	Advance time.Duration
	Grace   time.Duration
}

// TimeWindowsOfSizeWithNoGrace returns tumbling windows of size with no grace period (Kafka's
// TimeWindows.ofSizeWithNoGrace): a window closes as soon as stream time reaches its end.
func TimeWindowsOfSizeWithNoGrace(size time.Duration) TimeWindows {
	return TimeWindows{Size: size}
}

// TimeWindowsOfSizeAndGrace returns tumbling windows of size that accept out-of-order records
// until afterWindowEnd past their end (Kafka's TimeWindows.ofSizeAndGrace).
func TimeWindowsOfSizeAndGrace(size, afterWindowEnd time.Duration) TimeWindows {
	return TimeWindows{Size: size, Grace: afterWindowEnd}
}

// AdvanceBy returns the windows with a new window starting every advance: hopping windows
// when advance is smaller than the size (Kafka's TimeWindows.advanceBy). advance must be
// positive and at most the size.
func (w TimeWindows) AdvanceBy(advance time.Duration) TimeWindows {
	w.Advance = advance
	if advance == 0 {
		// Kafka rejects advanceBy(0); keep it distinct from "tumbling" for validate.
		w.Advance = -1
	}
	return w
}

func (w TimeWindows) sizeMs() int64  { return w.Size.Milliseconds() }
func (w TimeWindows) graceMs() int64 { return w.Grace.Milliseconds() }
func (w TimeWindows) advanceMs() int64 {
	if w.Advance == 0 {
		return w.sizeMs()
	}
	return w.Advance.Milliseconds()
}

// validate checks the windows as Kafka's TimeWindows constructor does.
func (w TimeWindows) validate() error {
	size, adv := w.sizeMs(), w.advanceMs()
	var errs []error
	if size <= 0 {
		errs = append(errs, fmt.Errorf("window size must be at least 1ms, got %v", w.Size))
	} else if adv <= 0 || adv > size {
		errs = append(errs, fmt.Errorf("window advance must be more than zero and no more than the window size %dms, got %dms", size, adv))
	}
	if w.Grace < 0 {
		errs = append(errs, fmt.Errorf("grace period must not be negative, got %v", w.Grace))
	}
	return errors.Join(errs...)
}

// firstWindowStart returns the start of the first window that contains ts (Kafka's
// TimeWindows.windowsFor): the windows are those starting there and every advance after, up
// to ts.
func firstWindowStart(ts, size, advance int64) int64 {
	return (max(0, ts-size+advance) / advance) * advance
}

// WindowStarts returns the starts of the windows that contain the timestamp ts, in
// ascending order (Kafka's TimeWindows.windowsFor); each window ends at start + Size.
func (w TimeWindows) WindowStarts(ts int64) []int64 {
	size, adv := w.sizeMs(), w.advanceMs()
	if size <= 0 || adv <= 0 || adv > size {
		return nil
	}
	var starts []int64
	for s := firstWindowStart(ts, size, adv); s <= ts; s += adv {
		starts = append(starts, s)
	}
	return starts
}

// TimeWindowedKStream is a grouped stream divided into windows, ready to be aggregated per
// key and window (Kafka Streams' TimeWindowedKStream, for both TimeWindows and
// SlidingWindows). Create it with KGroupedStream.WindowedBy or WindowedBySliding; aggregate
// it with CountWindowed, ReduceWindowed and AggregateWindowed, which return a KTable keyed by
// serde.Windowed[K].
type TimeWindowedKStream[K, V any] struct {
	g       *KGroupedStream[K, V]
	windows TimeWindows
	sliding *SlidingWindows // set for sliding windows
	emit    EmitStrategy
	// emitIntervalMs throttles EmitOnWindowClose's range fetches, in wall-clock time
	// (Kafka's internal config __emit.interval.ms.kstreams.windowed.aggregation__, 1000).
	emitIntervalMs int64
}

// defaultEmitIntervalMs is Kafka's default emit interval of windowed aggregations.
const defaultEmitIntervalMs = 1000

// WindowedBy divides the grouped stream into time windows (Kafka's
// KGroupedStream.windowedBy(TimeWindows)). It adds no node.
func (g *KGroupedStream[K, V]) WindowedBy(w TimeWindows) *TimeWindowedKStream[K, V] {
	if err := w.validate(); err != nil {
		g.sb.b.fail("WindowedBy on %q: invalid TimeWindows: %v", g.name, err)
	}
	return &TimeWindowedKStream[K, V]{g: g, windows: w, emitIntervalMs: defaultEmitIntervalMs}
}

// EmitStrategy sets when the aggregations forward their results (Kafka's
// TimeWindowedKStream.emitStrategy): EmitOnWindowUpdate (the default) or EmitOnWindowClose.
// It returns w.
func (w *TimeWindowedKStream[K, V]) EmitStrategy(e EmitStrategy) *TimeWindowedKStream[K, V] {
	if e != EmitOnWindowUpdate && e != EmitOnWindowClose {
		w.g.sb.b.fail("EmitStrategy on %q: unknown strategy %d", w.g.name, e)
		return w
	}
	w.emit = e
	return w
}

// sizeMs returns the size of the store's windows: the windows' size, or the sliding
// windows' time difference.
func (w *TimeWindowedKStream[K, V]) sizeMs() int64 {
	if w.sliding != nil {
		return w.sliding.TimeDifference.Milliseconds()
	}
	return w.windows.sizeMs()
}

func (w *TimeWindowedKStream[K, V]) graceMs() int64 {
	if w.sliding != nil {
		return w.sliding.Grace.Milliseconds()
	}
	return w.windows.graceMs()
}

// CountWindowed counts the records of each key in each window (Kafka's
// TimeWindowedKStream.count; node KSTREAM-AGGREGATE-%010d, window store
// KSTREAM-AGGREGATE-STATE-STORE-%010d unless m names it). Records with a null key are
// skipped (for sliding windows also those without a value), as in Kafka.
func CountWindowed[K, V any](w *TimeWindowedKStream[K, V], m Materialized[K, int64], named ...Named) *KTable[serde.Windowed[K], int64] {
	return windowedAggregate(w, "CountWindowed", aggregatePrefix, m, serde.Int64, named, windowAgg[K, V, int64]{
		init: func() (int64, bool) { return 0, true },
		add:  func(_ K, _ V, agg int64, _ bool) int64 { return agg + 1 },
	})
}

// ReduceWindowed combines the values of each key in each window with reducer, the first
// value being the first aggregate (Kafka's TimeWindowedKStream.reduce; node
// KSTREAM-REDUCE-%010d, store KSTREAM-REDUCE-STATE-STORE-%010d unless m names it).
func ReduceWindowed[K, V any](w *TimeWindowedKStream[K, V], reducer func(agg, value V) V, m Materialized[K, V], named ...Named) *KTable[serde.Windowed[K], V] {
	if reducer == nil {
		w.g.sb.b.fail("ReduceWindowed on %q: nil reducer", w.g.name)
		reducer = func(agg, _ V) V { return agg }
	}
	return windowedAggregate(w, "ReduceWindowed", reducePrefix, m, w.g.values, named, windowAgg[K, V, V]{
		// Kafka's reduce initializer is null: the first value is the aggregate.
		init: func() (V, bool) { var zero V; return zero, false },
		add: func(_ K, v V, agg V, found bool) V {
			if !found {
				return v
			}
			return reducer(agg, v)
		},
	})
}

// AggregateWindowed folds the values of each key in each window into an aggregate:
// initializer gives a window's first one, aggregator the next from each record (Kafka's
// TimeWindowedKStream.aggregate; node KSTREAM-AGGREGATE-%010d, store
// KSTREAM-AGGREGATE-STATE-STORE-%010d unless m names it). m.Values is required.
func AggregateWindowed[K, V, VA any](w *TimeWindowedKStream[K, V], initializer func() VA, aggregator func(key K, value V, agg VA) VA, m Materialized[K, VA], named ...Named) *KTable[serde.Windowed[K], VA] {
	if initializer == nil || aggregator == nil {
		w.g.sb.b.fail("AggregateWindowed on %q: nil initializer or aggregator", w.g.name)
		initializer = func() VA { var zero VA; return zero }
		aggregator = func(_ K, _ V, agg VA) VA { return agg }
	}
	return windowedAggregate(w, "AggregateWindowed", aggregatePrefix, m, nil, named, windowAgg[K, V, VA]{
		init: func() (VA, bool) { return initializer(), true },
		add:  func(k K, v V, agg VA, _ bool) VA { return aggregator(k, v, agg) },
	})
}

// windowAgg is Kafka's initializer and aggregator pair; init's false is a null aggregate
// (Reduce's initializer), add's bool says whether agg is one.
type windowAgg[K, V, VA any] struct {
	init func() (VA, bool)
	add  func(key K, value V, agg VA, found bool) VA
}

// windowedAggregate adds a windowed aggregation in Kafka's order of names: the store name
// (generated only when m gives none), the processor name, then the repartition topic's.
func windowedAggregate[K, V, VA any](w *TimeWindowedKStream[K, V], op, prefix string, m Materialized[K, VA], values serde.Serde[VA], named []Named, agg windowAgg[K, V, VA]) *KTable[serde.Windowed[K], VA] {
	g := w.g
	var sup interface{ Name() string }
	if m.WindowSupplier != nil {
		sup = m.WindowSupplier
	}
	storeName, queryable, name, parent, keys, values := setupAggregation(g, op, prefix, sup, m, values, named)
	sbld := windowStoreBuilder(w, op, storeName, m, keys, values)
	st := &tableState{storeName: storeName}
	sizeMs, graceMs, emit, interval := w.sizeMs(), w.graceMs(), w.emit, w.emitIntervalMs
	var vts serde.Serde[ValueAndTimestamp[VA]]
	if values != nil {
		vts = ValueAndTimestampSerde(values)
	}
	fwd := func() windowForwarder[K, VA] {
		return windowForwarder[K, VA]{storeName: storeName, keys: keys, values: vts, sizeMs: sizeMs, emit: emit, emitIntervalMs: interval}
	}
	if w.sliding != nil {
		AddProcessor(g.sb.b, name, func() processor.Processor[K, V, serde.Windowed[K], Change[VA]] {
			return &slidingWindowProc[K, V, VA]{st: st, agg: agg, d: sizeMs, grace: graceMs, f: fwd()}
		}, parent)
	} else {
		adv := w.windows.advanceMs()
		AddProcessor(g.sb.b, name, func() processor.Processor[K, V, serde.Windowed[K], Change[VA]] {
			return &timeWindowProc[K, V, VA]{st: st, agg: agg, size: sizeMs, advance: adv, grace: graceMs, f: fwd()}
		}, parent)
	}
	if sbld != nil {
		g.sb.b.AddStateStore(sbld, name)
	}
	var wkeys serde.Serde[serde.Windowed[K]]
	if keys != nil && sizeMs > 0 {
		// Kafka's FullTimeWindowedSerde(keySerde, windowSize).
		wkeys = serde.TimeWindowed(keys, time.Duration(sizeMs)*time.Millisecond)
	}
	// Suppress(UntilWindowCloses) waits the grace period past a window's end (Kafka's
	// GraphGraceSearchUtil for KStreamWindowAggregate and KStreamSlidingWindowAggregate).
	win := &tableWindow[serde.Windowed[K]]{graceMs: graceMs, end: func(w serde.Windowed[K]) int64 { return w.End }}
	return &KTable[serde.Windowed[K], VA]{sb: g.sb, name: name, storeName: storeName, queryable: queryable, keys: wkeys, values: values, st: st, win: win}
}

// windowStoreBuilder returns the builder of a windowed aggregation's store, or nil after
// recording an error (Kafka's WindowStoreMaterializer and SlidingWindowStoreMaterializer):
// window size = the windows' size (sliding: the time difference); retention =
// Materialized.Retention, else size + grace (sliding: 2 × time difference + grace), which it
// must cover; RocksDB unless StoreInMemory or a WindowSupplier; caching and logging as
// Materialized says, except that sliding windows emitting on window close are not cached.
func windowStoreBuilder[K, V, VA any](w *TimeWindowedKStream[K, V], op, name string, m Materialized[K, VA], keys serde.Serde[K], values serde.Serde[VA]) *window.Builder[K, ValueAndTimestamp[VA]] {
	b := w.g.sb.b
	if keys == nil || values == nil {
		b.fail("%s: store %q has no key or value serde: give them in Materialized (or Grouped)", op, name)
		return nil
	}
	size, grace := w.sizeMs(), w.graceMs()
	if size <= 0 {
		if w.sliding != nil {
			b.fail("%s: store %q: sliding windows need a time difference of at least 1ms (got %v): the window store needs a positive window size", op, name, w.sliding.TimeDifference)
		}
		return nil // TimeWindows errors are recorded by WindowedBy
	}
	minRetention, what := size+grace, "its window size plus the grace period"
	if w.sliding != nil {
		minRetention, what = 2*size+grace, "2 * time difference plus the grace period"
	}
	retention := minRetention
	if m.Retention != 0 {
		retention = m.Retention.Milliseconds()
	}
	if minRetention > retention {
		b.fail("%s: the retention period of the window store %q must be no smaller than %s: got size=[%d], grace=[%d], retention=[%d] (ms)", op, name, what, size, grace, retention)
		return nil
	}
	if m.Supplier != nil || m.SessionSupplier != nil {
		b.fail("%s: store %q is a window store: give its supplier as Materialized.WindowSupplier", op, name)
		return nil
	}
	storeRetention := retention
	if w.emit == EmitOnWindowClose {
		// Kafka's default store for EmitOnWindowClose is time-ordered
		// (RocksDbIndexedTimeOrderedWindowBytesStoreSupplier), whose reads keep the windows
		// starting at stream time − retention, one millisecond more than other window
		// stores: a window that closes exactly then is still emitted.
		storeRetention++
	}
	opts := window.Options{
		WindowSize: time.Duration(size) * time.Millisecond,
		Retention:  time.Duration(storeRetention) * time.Millisecond,
		// Segments = 3 gives Kafka's segment interval, max(retention / 2, 60 s).
		Segments: 3,
	}
	sup := m.WindowSupplier
	if sup != nil {
		if sup.Name() != name {
			b.fail("%s: Materialized names the store %q but its WindowSupplier supplies %q", op, name, sup.Name())
			return nil
		}
		if got := sup.Options().WindowSize.Milliseconds(); got != size {
			b.fail("%s: the WindowSupplier of store %q has window size %dms, the windows need %dms", op, name, got, size)
			return nil
		}
	} else {
		var err error
		switch m.StoreType {
		case StoreInMemory:
			sup, err = window.InMemorySupplier(name, opts)
		case StoreRocksDB:
			var ok bool
			sup, ok, err = window.PersistentSupplier(name, opts)
			if !ok {
				b.fail("%s: store %q is persistent (StoreRocksDB, the default) but no persistent window engine is registered: import _ \"github.com/tributary-go/tributary/store/rocksdb\", or choose StoreInMemory", op, name)
				return nil
			}
		default:
			b.fail("%s: window store %q: StoreType %d is not available for window stores (use StoreRocksDB or StoreInMemory)", op, name, m.StoreType)
			return nil
		}
		if err != nil {
			b.fail("%s: window store %q: %v", op, name, err)
			return nil
		}
	}
	sb := window.NewBuilder(sup, keys, ValueAndTimestampSerde(values))
	if m.LoggingDisabled {
		sb.WithLoggingDisabled()
	} else if m.LogConfig != nil {
		sb.WithLoggingEnabled(m.LogConfig)
	}
	if !m.CachingDisabled && (w.sliding == nil || w.emit != EmitOnWindowClose) {
		sb.WithCachingEnabled()
	}
	return sb
}

// ValueAndTimestamp is an aggregate with its timestamp, the largest timestamp of the records
// it aggregates: what the window stores of windowed aggregations hold (Kafka Streams'
// ValueAndTimestamp in a TimestampedWindowStore). Query such a store with
// testutil.WindowStore[K, topology.ValueAndTimestamp[VA]].
type ValueAndTimestamp[V any] struct {
	Value     V
	Timestamp int64
}

// ValueAndTimestampSerde returns the serde of ValueAndTimestamp values, byte-compatible with
// Kafka's ValueAndTimestampSerde: the timestamp as 8 bytes big-endian, then the value's bytes.
func ValueAndTimestampSerde[V any](values serde.Serde[V]) serde.Serde[ValueAndTimestamp[V]] {
	return vtSerde[V]{values: values}
}

type vtSerde[V any] struct{ values serde.Serde[V] }

func (s vtSerde[V]) Serialize(topic string, v ValueAndTimestamp[V]) ([]byte, error) {
	b, err := s.values.Serialize(topic, v.Value)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8, 8+len(b))
	binary.BigEndian.PutUint64(out, uint64(v.Timestamp))
	return append(out, b...), nil
}

func (s vtSerde[V]) Deserialize(topic string, b []byte) (ValueAndTimestamp[V], error) {
	if len(b) < 8 {
		return ValueAndTimestamp[V]{}, fmt.Errorf("ValueAndTimestamp: deserialize %q: %d bytes, want at least 8 (timestamp then value)", topic, len(b))
	}
	v, err := s.values.Deserialize(topic, b[8:])
	if err != nil {
		return ValueAndTimestamp[V]{}, err
	}
	return ValueAndTimestamp[V]{Value: v, Timestamp: int64(binary.BigEndian.Uint64(b))}, nil
}

// windowForwarder is what the windowed aggregation processors share (Kafka's
// AbstractKStreamTimeWindowAggregateProcessor with its TimestampedTupleForwarder): the
// window store, the forwarding of updates (at once, or as the record cache flushes them,
// Kafka's TimestampedCacheFlushListener over a CachingWindowStore), the dropped-records
// count, stream time, and the emission of closed windows for EmitOnWindowClose.
type windowForwarder[K, VA any] struct {
	ctx       processor.Context[serde.Windowed[K], Change[VA]]
	storeName string
	keys      serde.Serde[K]
	values    serde.Serde[ValueAndTimestamp[VA]]
	store     *window.Store[K, ValueAndTimestamp[VA]]
	sizeMs    int64
	cached    bool
	sendOld   bool
	emit      EmitStrategy

	observedStreamTime int64
	// EmitOnWindowClose: the last window-close time emitted up to and the wall-clock time of
	// the next range fetch (Kafka's lastEmitWindowCloseTime and TimeTracker).
	lastEmitCloseTime int64
	nextTimeToEmit    int64
	emitIntervalMs    int64
	emitBuf           []emitted[K, VA]
}

func (f *windowForwarder[K, VA]) init(ctx processor.Context[serde.Windowed[K], Change[VA]], st *tableState) error {
	f.ctx, f.sendOld = ctx, st.sendOldValues
	f.observedStreamTime, f.lastEmitCloseTime = noTimestamp, noTimestamp
	s, err := processor.WindowStore[K, ValueAndTimestamp[VA]](ctx, f.storeName)
	if err != nil {
		return err
	}
	f.store = s
	if f.emit == EmitOnWindowClose {
		return nil // forwarded at once, when windows close
	}
	if ce, ok := kv.Find[*changelog.CachedEngine](s.Engine()); ok {
		f.cached = true
		ce.SetFlushListener(f.flushed, f.sendOld)
	}
	return nil
}

// dropped counts a skipped record in the task's dropped-records metric.
func (f *windowForwarder[K, VA]) dropped() {
	if d, ok := f.ctx.(droppedRecorder); ok {
		d.RecordDropped()
	}
}

// flushed forwards a window the cache writes to the store: the store key is the record key,
// the window start and a sequence number (window.DecodeStoreKey).
func (f *windowForwarder[K, VA]) flushed(e changelog.FlushedEntry) error {
	kb, start, _, err := window.DecodeStoreKey(e.Key)
	if err != nil {
		return fmt.Errorf("window store %q: %w", f.storeName, err)
	}
	k, err := f.keys.Deserialize(f.storeName, kb)
	if err != nil {
		return err
	}
	var c Change[VA]
	ts := e.Context.Timestamp
	if e.NewValue != nil {
		v, err := f.values.Deserialize(f.storeName, e.NewValue)
		if err != nil {
			return err
		}
		c.New, c.HasNew, ts = v.Value, true, v.Timestamp
	}
	if f.sendOld && e.OldValue != nil {
		v, err := f.values.Deserialize(f.storeName, e.OldValue)
		if err != nil {
			return err
		}
		c.Old, c.HasOld = v.Value, true
	}
	hdr, _ := e.Context.Headers.(processor.Headers)
	wk := serde.Windowed[K]{Key: k, Start: start, End: window.End(start, time.Duration(f.sizeMs)*time.Millisecond)}
	return f.ctx.Forward(processor.MakeRecord(wk, true, c, true, ts, hdr))
}

// put writes a window's new aggregate and forwards the update, unless the strategy is
// EmitOnWindowClose or the cache will forward it (Kafka's maybeForwardUpdate).
func (f *windowForwarder[K, VA]) put(hdr processor.Headers, key K, start, end int64, old VA, hasOld bool, agg VA, ts int64) error {
	if err := f.store.Put(key, ValueAndTimestamp[VA]{Value: agg, Timestamp: ts}, start); err != nil {
		return err
	}
	return f.forwardUpdate(hdr, key, start, end, old, hasOld, agg, ts)
}

func (f *windowForwarder[K, VA]) forwardUpdate(hdr processor.Headers, key K, start, end int64, old VA, hasOld bool, agg VA, ts int64) error {
	if f.emit == EmitOnWindowClose || f.cached {
		return nil
	}
	c := Change[VA]{New: agg, HasNew: true}
	if f.sendOld && hasOld {
		c.Old, c.HasOld = old, true
	}
	return f.ctx.Forward(processor.MakeRecord(serde.Windowed[K]{Key: key, Start: start, End: end}, true, c, true, ts, hdr))
}

// emitted is a closed window about to be emitted.
type emitted[K, VA any] struct {
	key   serde.Windowed[K]
	raw   []byte
	value ValueAndTimestamp[VA]
}

// maybeEmitFinal emits the windows that closed since the last emission, for
// EmitOnWindowClose, at most once per emit interval of wall-clock time (Kafka's
// maybeForwardFinalResult and fetchAndEmit). lower and upper bound the window starts to
// emit (inclusive), given by the caller's window kind; rangeFetch vetoes the fetch when no
// new window closed.
func (f *windowForwarder[K, VA]) maybeEmitFinal(hdr processor.Headers, closeTime int64, bounds func(closeTime int64) (lower, upper int64, fetch bool)) error {
	if f.emit != EmitOnWindowClose {
		return nil
	}
	now := f.ctx.SystemTime()
	if now < f.nextTimeToEmit {
		return nil
	}
	f.nextTimeToEmit = now + f.emitIntervalMs
	if f.lastEmitCloseTime != noTimestamp && f.lastEmitCloseTime >= closeTime {
		return nil
	}
	lower, upper, fetch := bounds(closeTime)
	if upper < 0 || !fetch {
		return nil
	}
	cur, err := f.store.FetchAll(lower, upper)
	if err != nil {
		return err
	}
	buf := f.emitBuf[:0]
	for cur.Next() {
		raw, err := f.keys.Serialize(f.storeName, cur.Key().Key)
		if err != nil {
			cur.Close()
			return err
		}
		buf = append(buf, emitted[K, VA]{key: cur.Key(), raw: raw, value: cur.Value()})
	}
	if err := cur.Close(); err != nil {
		return err
	}
	// Kafka emits in the time-ordered store's order: window start, then key bytes.
	slices.SortStableFunc(buf, func(a, b emitted[K, VA]) int {
		if a.key.Start != b.key.Start {
			if a.key.Start < b.key.Start {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.raw, b.raw)
	})
	for i := range buf {
		e := &buf[i]
		if err := f.ctx.Forward(processor.MakeRecord(e.key, true, Change[VA]{New: e.value.Value, HasNew: true}, true, e.value.Timestamp, hdr)); err != nil {
			return err
		}
	}
	clear(buf)
	f.emitBuf = buf[:0]
	f.lastEmitCloseTime = closeTime
	return nil
}

// timeWindowProc is Kafka's KStreamWindowAggregateProcessor: each record updates every window
// that contains it and is not closed (window end > stream time − grace).
type timeWindowProc[K, V, VA any] struct {
	st                   *tableState
	agg                  windowAgg[K, V, VA]
	size, advance, grace int64
	f                    windowForwarder[K, VA]
}

func (p *timeWindowProc[K, V, VA]) Init(ctx processor.Context[serde.Windowed[K], Change[VA]]) error {
	return p.f.init(ctx, p.st)
}

func (p *timeWindowProc[K, V, VA]) Close() error { return nil }

func (p *timeWindowProc[K, V, VA]) Process(r processor.Record[K, V]) error {
	if !r.HasKey() {
		// Kafka: "Skipping record due to null key", counted in dropped-records. A record
		// without a value is aggregated (the functions get V's zero value), as in Kafka.
		p.f.dropped()
		return nil
	}
	ts, key := r.Timestamp(), r.Key()
	p.f.observedStreamTime = max(p.f.observedStreamTime, ts)
	closeTime := p.f.observedStreamTime - p.grace
	hdr := r.Headers()
	for start := firstWindowStart(ts, p.size, p.advance); start <= ts; start += p.advance {
		end := start + p.size
		if end <= closeTime {
			// Kafka: "Skipping record for expired window", counted in dropped-records.
			p.f.dropped()
			continue
		}
		stored, found, err := p.f.store.Get(key, start)
		if err != nil {
			return err
		}
		var old VA
		var hasOld bool
		newTs := ts
		if found {
			old, hasOld, newTs = stored.Value, true, max(ts, stored.Timestamp)
		} else {
			old, hasOld = p.agg.init()
		}
		if err := p.f.put(hdr, key, start, end, old, hasOld, p.agg.add(key, r.Value(), old, hasOld), newTs); err != nil {
			return err
		}
	}
	return p.f.maybeEmitFinal(hdr, closeTime, p.emitBounds)
}

// emitBounds are KStreamWindowAggregate's emitRangeLowerBound, emitRangeUpperBound and
// shouldRangeFetch: the windows that ended since the last emission.
func (p *timeWindowProc[K, V, VA]) emitBounds(closeTime int64) (lower, upper int64, fetch bool) {
	upper = closeTime - p.size
	last := p.f.lastEmitCloseTime
	if last == noTimestamp {
		return 0, upper, true
	}
	lower = max(0, last-p.size) + 1
	// No fetch when the windows containing upper are those containing lower − 1: no new
	// window closed.
	sameFirst := firstWindowStart(upper, p.size, p.advance) == firstWindowStart(lower-1, p.size, p.advance)
	sameLast := upper/p.advance == (lower-1)/p.advance
	return lower, upper, !(sameFirst && sameLast)
}
