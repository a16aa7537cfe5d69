package topology

import (
	"strconv"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// This file holds the cogrouping of grouped streams (Kafka Streams' KGroupedStream.cogroup,
// CogroupedKStream, CogroupedKStreamImpl, CogroupedStreamAggregateBuilder and the windowed
// TimeWindowedCogroupedKStreamImpl, SlidingWindowedCogroupedKStreamImpl and
// SessionWindowedCogroupedKStreamImpl, KIP-150): several grouped streams with the same key
// type, each with its own aggregator, aggregated into one table over one store.
//
// As in Kafka, each grouped stream gets its own aggregation node (Kafka's KStreamAggregate,
// KStreamWindowAggregate, KStreamSlidingWindowAggregate or KStreamSessionWindowAggregate)
// named COGROUPKSTREAM-AGGREGATE-%010d (or "<Named>-cogroup-agg-<i>"), all connected to the
// shared store COGROUPKSTREAM-AGGREGATE-STATE-STORE-%010d (or Materialized.Name), and their
// updates meet in a pass-through node COGROUPKSTREAM-MERGE-%010d (or "<Named>-cogroup-merge",
// Kafka's KTablePassThrough), the table's node. A grouped stream whose key changed upstream
// reads a repartition topic first, named as an aggregation's ("<Grouped.Name>-repartition",
// else "<store>-repartition"); a cogrouped stream aggregated twice reuses the repartition
// topics of its first aggregation, as Kafka's CogroupedStreamAggregateBuilder does.
//
// Differences from Kafka Streams: the store's key serde defaults to the first grouped
// stream's key serde (Kafka's cogrouped stream has none and uses the default.key.serde);
// Tributary has no co-partitioning check of the grouped streams' topics (Kafka's
// ensureCopartitionWith); the key-value store holds plain values (see dsl_table.go), so an
// update carries the timestamp of the record that caused it.

// The name prefixes of Kafka Streams' CogroupedKStreamImpl.
const (
	cogroupAggregatePrefix = "COGROUPKSTREAM-AGGREGATE-"
	cogroupMergePrefix     = "COGROUPKSTREAM-MERGE-"
)

// CogroupedKStream is a set of grouped streams with the same key type, each with its own
// aggregator into aggregates of type VA, ready to be aggregated into one table (Kafka
// Streams' CogroupedKStream). Create it with Cogroup, add grouped streams with CogroupWith,
// and aggregate it with Aggregate, or window it with WindowedBy, WindowedBySliding or
// WindowedBySession first.
type CogroupedKStream[K, VA any] struct {
	sb    *StreamsBuilder
	parts []cogroupPart[K, VA]
	// parents holds, per grouped stream (its *KGroupedStream), the node its aggregation
	// reads once an aggregation chose it: the grouped node, or the source of its repartition
	// topic (Kafka's CogroupedStreamAggregateBuilder.parentNodes).
	parents map[any]string
}

// cogroupPart is one grouped stream of a cogroup with its aggregator.
type cogroupPart[K, VA any] interface {
	// id is the *KGroupedStream.
	id() any
	name() string
	keys() serde.Serde[K]
	// parent burns the names of a repartition topic (when the stream needs one) and returns
	// the node the aggregation reads, adding the topic unless c has one for it already.
	parent(c *CogroupedKStream[K, VA], op, storeName string) string
	addKV(sb *StreamsBuilder, name, parent string, st *tableState, initializer func() VA, keys serde.Serde[K], values serde.Serde[VA])
	addWindowed(sb *StreamsBuilder, name, parent string, fwd func() windowForwarder[K, VA], st *tableState, initializer func() VA, w TimeWindows, sliding *SlidingWindows)
	addSession(sb *StreamsBuilder, name, parent string, st *tableState, storeName string, w SessionWindows, initializer func() VA, merger func(K, VA, VA) VA, keys serde.Serde[K], values serde.Serde[VA])
}

type cogroupStream[K, V, VA any] struct {
	g   *KGroupedStream[K, V]
	agg func(K, V, VA) VA
}

func (p *cogroupStream[K, V, VA]) id() any              { return p.g }
func (p *cogroupStream[K, V, VA]) name() string         { return p.g.name }
func (p *cogroupStream[K, V, VA]) keys() serde.Serde[K] { return p.g.keys }

func (p *cogroupStream[K, V, VA]) parent(c *CogroupedKStream[K, VA], op, storeName string) string {
	g := p.g
	if !g.repartitionRequired {
		if _, ok := c.parents[g]; !ok {
			c.parents[g] = g.name
		}
		return c.parents[g]
	}
	topic, sink, filter, source := g.repartitionNames(storeName)
	if parent, ok := c.parents[g]; ok {
		return parent
	}
	parent := g.addRepartition(op, topic, sink, filter, source)
	c.parents[g] = parent
	return parent
}

func (p *cogroupStream[K, V, VA]) addKV(sb *StreamsBuilder, name, parent string, st *tableState, initializer func() VA, keys serde.Serde[K], values serde.Serde[VA]) {
	agg := p.agg
	apply := func(k K, v V, a VA, found bool) VA {
		if !found {
			a = initializer()
		}
		return agg(k, v, a)
	}
	AddProcessor(sb.b, name, func() processor.Processor[K, V, K, Change[VA]] {
		return &aggProc[K, V, VA]{st: st, apply: apply, f: tableForwarder[K, VA]{keys: keys, values: values}}
	}, parent)
}

func (p *cogroupStream[K, V, VA]) addWindowed(sb *StreamsBuilder, name, parent string, fwd func() windowForwarder[K, VA], st *tableState, initializer func() VA, w TimeWindows, sliding *SlidingWindows) {
	agg := p.agg
	wa := windowAgg[K, V, VA]{
		init: func() (VA, bool) { return initializer(), true },
		add:  func(k K, v V, a VA, _ bool) VA { return agg(k, v, a) },
	}
	if sliding != nil {
		d, grace := sliding.TimeDifference.Milliseconds(), sliding.Grace.Milliseconds()
		AddProcessor(sb.b, name, func() processor.Processor[K, V, serde.Windowed[K], Change[VA]] {
			return &slidingWindowProc[K, V, VA]{st: st, agg: wa, d: d, grace: grace, f: fwd()}
		}, parent)
		return
	}
	size, adv, grace := w.sizeMs(), w.advanceMs(), w.graceMs()
	AddProcessor(sb.b, name, func() processor.Processor[K, V, serde.Windowed[K], Change[VA]] {
		return &timeWindowProc[K, V, VA]{st: st, agg: wa, size: size, advance: adv, grace: grace, f: fwd()}
	}, parent)
}

func (p *cogroupStream[K, V, VA]) addSession(sb *StreamsBuilder, name, parent string, st *tableState, storeName string, w SessionWindows, initializer func() VA, merger func(K, VA, VA) VA, keys serde.Serde[K], values serde.Serde[VA]) {
	agg := p.agg
	fns := sessionFns[K, V, VA]{
		init:  func() (VA, bool) { return initializer(), true },
		add:   func(k K, v V, a VA, _ bool) VA { return agg(k, v, a) },
		merge: func(k K, a VA, _ bool, b VA) VA { return merger(k, a, b) },
	}
	gap, grace := w.Gap.Milliseconds(), w.Grace.Milliseconds()
	AddProcessor(sb.b, name, func() processor.Processor[K, V, serde.Windowed[K], Change[VA]] {
		return &sessionAggProc[K, V, VA]{st: st, storeName: storeName, gap: gap, grace: grace, fns: fns, keys: keys, values: values}
	}, parent)
}

// Cogroup starts a cogroup with the grouped stream g and its aggregator (Kafka's
// KGroupedStream.cogroup(aggregator)): aggregator folds each record of g into the
// aggregate of its key. It adds no node.
func Cogroup[K, V, VA any](g *KGroupedStream[K, V], aggregator func(key K, value V, agg VA) VA) *CogroupedKStream[K, VA] {
	c := &CogroupedKStream[K, VA]{sb: g.sb, parents: map[any]string{}}
	return CogroupWith(c, g, aggregator)
}

// CogroupWith adds the grouped stream g, with its aggregator, to the cogroup c and returns c
// (Kafka's CogroupedKStream.cogroup(groupedStream, aggregator); a function since V is a new
// type parameter). Adding a grouped stream already in c replaces its aggregator, as Kafka's
// map of group patterns does. It adds no node.
func CogroupWith[K, V, VA any](c *CogroupedKStream[K, VA], g *KGroupedStream[K, V], aggregator func(key K, value V, agg VA) VA) *CogroupedKStream[K, VA] {
	if g == nil {
		c.sb.b.fail("Cogroup: nil grouped stream")
		return c
	}
	if g.sb != c.sb {
		c.sb.b.fail("Cogroup: the grouped stream %q belongs to another StreamsBuilder", g.name)
		return c
	}
	if aggregator == nil {
		c.sb.b.fail("Cogroup of %q: nil aggregator", g.name)
		aggregator = func(_ K, _ V, agg VA) VA { return agg }
	}
	part := &cogroupStream[K, V, VA]{g: g, agg: aggregator}
	for i, p := range c.parts {
		if p.id() == any(g) {
			c.parts[i] = part
			return c
		}
	}
	c.parts = append(c.parts, part)
	return c
}

// setup does what every cogroup aggregation does first, in Kafka's order of names: the store
// name (m's, else the supplier's, else COGROUPKSTREAM-AGGREGATE-STATE-STORE-%010d), the
// repartition topics of the grouped streams that need one (CogroupedStreamAggregateBuilder.
// processRepartitions), then one aggregation node name per grouped stream.
func (c *CogroupedKStream[K, VA]) setup(op string, sup interface{ Name() string }, m Materialized[K, VA], named []Named) (storeName string, queryable bool, names, parents []string, keys serde.Serde[K]) {
	if len(named) > 1 {
		c.sb.b.fail("%s: more than one Named (%q)", op, named)
	}
	storeName = m.Name
	if storeName == "" && sup != nil {
		storeName = sup.Name()
	}
	queryable = storeName != ""
	if !queryable {
		storeName = c.sb.newName(cogroupAggregatePrefix + storeSuffix)
	}
	if len(c.parts) == 0 {
		c.sb.b.fail("%s: no grouped stream", op)
		return storeName, queryable, nil, nil, m.Keys
	}
	for _, p := range c.parts {
		parents = append(parents, p.parent(c, op, storeName))
	}
	for i := range c.parts {
		names = append(names, c.suffixed(named, "-cogroup-agg-"+strconv.Itoa(i), cogroupAggregatePrefix))
	}
	keys = m.Keys
	if keys == nil {
		keys = c.parts[0].keys()
	}
	return storeName, queryable, names, parents, keys
}

// suffixed is Kafka's NamedInternal.suffixWithOrElseGet: the user's name with suffix, or a
// generated one; it advances the counter either way.
func (c *CogroupedKStream[K, VA]) suffixed(named []Named, suffix, prefix string) string {
	generated := c.sb.newName(prefix)
	if len(named) > 0 && named[0] != "" {
		return string(named[0]) + suffix
	}
	return generated
}

// Aggregate aggregates the cogrouped streams into a table (Kafka's
// CogroupedKStream.aggregate(initializer[, named][, materialized])): a key's first record,
// from any of the streams, starts from initializer(), and each record is folded in by its
// stream's aggregator. The nodes are COGROUPKSTREAM-AGGREGATE-%010d per grouped stream (or
// "<named>-cogroup-agg-<i>") and COGROUPKSTREAM-MERGE-%010d (or "<named>-cogroup-merge"),
// the table's node; the store is COGROUPKSTREAM-AGGREGATE-STATE-STORE-%010d unless m names
// it. m.Values is required. Records with a null key or no value are skipped (and counted in
// dropped-records), as in Kafka.
func (c *CogroupedKStream[K, VA]) Aggregate(initializer func() VA, m Materialized[K, VA], named ...Named) *KTable[K, VA] {
	const op = "Cogroup.Aggregate"
	if initializer == nil {
		c.sb.b.fail("%s: nil initializer", op)
		initializer = func() VA { var zero VA; return zero }
	}
	storeName, queryable, names, parents, keys := c.setup(op, m.Supplier, m, named)
	values := m.Values
	st := &tableState{storeName: storeName}
	for i, p := range c.parts {
		p.addKV(c.sb, names[i], parents[i], st, initializer, keys, values)
	}
	if len(names) > 0 {
		if sbld := m.storeBuilder(c.sb, op, storeName, keys, values); sbld != nil {
			c.sb.b.AddStateStore(sbld, names...)
		}
	}
	merge := c.suffixed(named, "-cogroup-merge", cogroupMergePrefix)
	AddProcessor(c.sb.b, merge, passThrough[K, Change[VA]](), names...)
	return &KTable[K, VA]{sb: c.sb, name: merge, storeName: storeName, queryable: queryable, keys: keys, values: values, st: st}
}

// TimeWindowedCogroupedKStream is a cogrouped stream divided into time or sliding windows,
// ready to be aggregated per key and window (Kafka Streams' TimeWindowedCogroupedKStream).
// Create it with CogroupedKStream.WindowedBy or WindowedBySliding. Its aggregations forward
// every window update (Kafka's cogroups have no emit strategy).
type TimeWindowedCogroupedKStream[K, VA any] struct {
	c       *CogroupedKStream[K, VA]
	windows TimeWindows
	sliding *SlidingWindows
}

// WindowedBy divides the cogrouped stream into time windows (Kafka's
// CogroupedKStream.windowedBy(Windows)). It adds no node.
func (c *CogroupedKStream[K, VA]) WindowedBy(w TimeWindows) *TimeWindowedCogroupedKStream[K, VA] {
	if err := w.validate(); err != nil {
		c.sb.b.fail("Cogroup.WindowedBy: invalid TimeWindows: %v", err)
	}
	return &TimeWindowedCogroupedKStream[K, VA]{c: c, windows: w}
}

// WindowedBySliding divides the cogrouped stream into sliding windows (Kafka's
// CogroupedKStream.windowedBy(SlidingWindows)). It adds no node.
func (c *CogroupedKStream[K, VA]) WindowedBySliding(w SlidingWindows) *TimeWindowedCogroupedKStream[K, VA] {
	if w.TimeDifference < 0 {
		c.sb.b.fail("Cogroup.WindowedBySliding: window time difference must not be negative, got %v", w.TimeDifference)
	}
	if w.Grace < 0 {
		c.sb.b.fail("Cogroup.WindowedBySliding: window grace period must not be negative, got %v", w.Grace)
	}
	return &TimeWindowedCogroupedKStream[K, VA]{c: c, sliding: &w}
}

// Aggregate aggregates the cogrouped streams per key and window (Kafka's
// TimeWindowedCogroupedKStream.aggregate(initializer[, named][, materialized])): each window
// of a key starts from initializer(), and each record is folded into the windows that contain
// it by its stream's aggregator. Node and store names are those of
// CogroupedKStream.Aggregate; the window store is sized, retained and supplied as for
// AggregateWindowed (Materialized.Retention, WindowSupplier). The table is keyed by
// serde.Windowed[K].
func (w *TimeWindowedCogroupedKStream[K, VA]) Aggregate(initializer func() VA, m Materialized[K, VA], named ...Named) *KTable[serde.Windowed[K], VA] {
	op := "Cogroup.WindowedBy.Aggregate"
	if w.sliding != nil {
		op = "Cogroup.WindowedBySliding.Aggregate"
	}
	c := w.c
	if initializer == nil {
		c.sb.b.fail("%s: nil initializer", op)
		initializer = func() VA { var zero VA; return zero }
	}
	var sup interface{ Name() string }
	if m.WindowSupplier != nil {
		sup = m.WindowSupplier
	}
	storeName, queryable, names, parents, keys := c.setup(op, sup, m, named)
	values := m.Values
	// windowStoreBuilder reads only the builder, the windows and the emit strategy of the
	// windowed stream.
	tw := &TimeWindowedKStream[K, struct{}]{g: &KGroupedStream[K, struct{}]{sb: c.sb}, windows: w.windows, sliding: w.sliding, emit: EmitOnWindowUpdate}
	sizeMs, graceMs := tw.sizeMs(), tw.graceMs()
	st := &tableState{storeName: storeName}
	var vts serde.Serde[ValueAndTimestamp[VA]]
	if values != nil {
		vts = ValueAndTimestampSerde(values)
	}
	fwd := func() windowForwarder[K, VA] {
		return windowForwarder[K, VA]{storeName: storeName, keys: keys, values: vts, sizeMs: sizeMs, emit: EmitOnWindowUpdate, emitIntervalMs: defaultEmitIntervalMs}
	}
	for i, p := range c.parts {
		p.addWindowed(c.sb, names[i], parents[i], fwd, st, initializer, w.windows, w.sliding)
	}
	if len(names) > 0 {
		if sbld := windowStoreBuilder(tw, op, storeName, m, keys, values); sbld != nil {
			c.sb.b.AddStateStore(sbld, names...)
		}
	}
	merge := c.suffixed(named, "-cogroup-merge", cogroupMergePrefix)
	AddProcessor(c.sb.b, merge, passThrough[serde.Windowed[K], Change[VA]](), names...)
	var wkeys serde.Serde[serde.Windowed[K]]
	if keys != nil && sizeMs > 0 {
		wkeys = serde.TimeWindowed(keys, time.Duration(sizeMs)*time.Millisecond)
	}
	win := &tableWindow[serde.Windowed[K]]{graceMs: graceMs, end: func(w serde.Windowed[K]) int64 { return w.End }}
	return &KTable[serde.Windowed[K], VA]{sb: c.sb, name: merge, storeName: storeName, queryable: queryable, keys: wkeys, values: values, st: st, win: win}
}

// SessionWindowedCogroupedKStream is a cogrouped stream windowed by sessions, ready to be
// aggregated (Kafka Streams' SessionWindowedCogroupedKStream). Create it with
// CogroupedKStream.WindowedBySession. Its aggregations forward every session update.
type SessionWindowedCogroupedKStream[K, VA any] struct {
	c       *CogroupedKStream[K, VA]
	windows SessionWindows
}

// WindowedBySession windows the cogrouped stream by sessions (Kafka's
// CogroupedKStream.windowedBy(SessionWindows)). It adds no node.
func (c *CogroupedKStream[K, VA]) WindowedBySession(w SessionWindows) *SessionWindowedCogroupedKStream[K, VA] {
	if w.Gap.Milliseconds() <= 0 {
		c.sb.b.fail("Cogroup.WindowedBySession: session inactivity gap %v must be at least 1ms (Kafka: \"Gap time cannot be zero or negative.\")", w.Gap)
	}
	if w.Grace < 0 {
		c.sb.b.fail("Cogroup.WindowedBySession: session grace period %v must not be negative (Kafka: \"Grace period must not be negative.\")", w.Grace)
	}
	return &SessionWindowedCogroupedKStream[K, VA]{c: c, windows: w}
}

// Aggregate aggregates the cogrouped streams per key and session (Kafka's
// SessionWindowedCogroupedKStream.aggregate(initializer, sessionMerger[, named][,
// materialized])): a record starts from initializer(), merges into it the aggregates of the
// sessions it joins (merger(key, agg, session's aggregate)), then is folded in by its
// stream's aggregator. Node and store names are those of CogroupedKStream.Aggregate; the
// session store is retained and supplied as for AggregateSessions. The table is keyed by
// serde.Windowed[K].
func (s *SessionWindowedCogroupedKStream[K, VA]) Aggregate(initializer func() VA, merger func(key K, agg1, agg2 VA) VA, m Materialized[K, VA], named ...Named) *KTable[serde.Windowed[K], VA] {
	const op = "Cogroup.WindowedBySession.Aggregate"
	c := s.c
	if initializer == nil || merger == nil {
		c.sb.b.fail("%s: nil initializer or session merger", op)
		initializer = func() VA { var zero VA; return zero }
		merger = func(_ K, a, _ VA) VA { return a }
	}
	var sup interface{ Name() string }
	if m.SessionSupplier != nil {
		sup = m.SessionSupplier
	}
	storeName, queryable, names, parents, keys := c.setup(op, sup, m, named)
	values := m.Values
	st := &tableState{storeName: storeName}
	for i, p := range c.parts {
		p.addSession(c.sb, names[i], parents[i], st, storeName, s.windows, initializer, merger, keys, values)
	}
	if len(names) > 0 {
		if sbld := sessionStoreBuilder(c.sb, op, storeName, s.windows, EmitOnWindowUpdate, m, keys, values); sbld != nil {
			c.sb.b.AddStateStore(sbld, names...)
		}
	}
	merge := c.suffixed(named, "-cogroup-merge", cogroupMergePrefix)
	AddProcessor(c.sb.b, merge, passThrough[serde.Windowed[K], Change[VA]](), names...)
	var wkeys serde.Serde[serde.Windowed[K]]
	if keys != nil {
		wkeys = serde.SessionWindowed(keys)
	}
	gap, grace := s.windows.Gap.Milliseconds(), s.windows.Grace.Milliseconds()
	win := &tableWindow[serde.Windowed[K]]{graceMs: gap + grace, end: func(w serde.Windowed[K]) int64 { return w.End }}
	return &KTable[serde.Windowed[K], VA]{sb: c.sb, name: merge, storeName: storeName, queryable: queryable, keys: wkeys, values: values, st: st, win: win}
}
