package topology

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/window"
)

// This file holds the stream-stream joins of the DSL (Kafka Streams' KStream.join, leftJoin
// and outerJoin with a KStream: KStreamImpl.doJoin, KStreamImplJoin, KStreamJoinWindow,
// KStreamKStreamJoin with its LeftSide and RightSide, JoinWindows and StreamJoined).
//
// A join adds five nodes, named as Kafka names them and in Kafka's order of the name counter:
//
//	KSTREAM-WINDOWED-%010d  (each side: writes its records to its window store)
//	KSTREAM-WINDOWED-%010d
//	KSTREAM-JOINTHIS-%010d  (left side; KSTREAM-OUTERTHIS- for an outer join)
//	KSTREAM-JOINOTHER-%010d (right side; KSTREAM-OUTEROTHER- for a left or outer join)
//	KSTREAM-MERGE-%010d     (the joined stream)
//
// With StreamJoined.Name = n they are n-this-windowed, n-other-windowed, n-this-join
// (n-outer-this-join), n-other-join (n-outer-other-join) and n-merge. The window stores are
// "<this/other join node's generated name>-store", or with StreamJoined.StoreName = s
// "s-this-join-store" and "s-other-join-store" ("-outer-this-join-store",
// "-outer-other-join-store" as the node names), or the suppliers' names. Left and outer joins
// also keep the records that found no match yet in a shared key-value store,
// KSTREAM-OUTERSHARED-%010d-store (the number of the JOINTHIS/OUTERTHIS node), or
// "s-left-shared-join-store" / "s-outer-shared-join-store" (s being the this-supplier's name,
// else StoreName).
//
// Semantics (Kafka 3.9, KIP-633): a record of one side joins the records of the other side
// with the same key whose timestamps are at most Before earlier and at most After later (for
// the right side the other way round); the result has the larger timestamp. In left and
// outer joins, a record that found no match is emitted with the other side missing only once
// its window has closed (stream time past its timestamp + After (left) or + Before (right) +
// Grace), when a later record advances stream time; a record that finds its match later is
// not emitted alone (no spurious results). Records without a key or without a value are
// dropped and counted in dropped-records, except that left and outer joins forward a record
// of an outer side with a value but no key at once, joined with nothing (KIP-962).
//
// Differences from Kafka Streams: co-partitioning of the two inputs is checked only by Build,
// for inputs reading repartition topics of fixed partition counts (dsl_join_copartition.go);
// other input topics must have the same partition count, unchecked; a zero-size
// JoinWindows (time difference 0) gets window stores of size 1 ms, as ours need a positive
// size; the wall-clock throttle of the emission of unmatched records
// (emit.interval.ms.kstreams.outer.join.spurious.results.fix) is fixed at Kafka's default,
// 1000 ms: a test driver whose wall clock does not move sees unmatched records emitted at most
// once (advance it with AdvanceWallClockTime).

// The name prefixes of Kafka's KStreamImpl for stream-stream joins.
const (
	joinThisPrefix    = "KSTREAM-JOINTHIS-"
	joinOtherPrefix   = "KSTREAM-JOINOTHER-"
	outerThisPrefix   = "KSTREAM-OUTERTHIS-"
	outerOtherPrefix  = "KSTREAM-OUTEROTHER-"
	windowedPrefix    = "KSTREAM-WINDOWED-"
	outerSharedPrefix = "KSTREAM-OUTERSHARED-"
)

// defaultJoinEmitIntervalMs is Kafka's emit.interval.ms.kstreams.outer.join.spurious.results.fix.
const defaultJoinEmitIntervalMs = 1000

// JoinWindows are the windows of a stream-stream join (Kafka Streams' JoinWindows): a record
// with timestamp t of the left stream joins the records of the right stream with the same key
// and a timestamp in [t − Before, t + After]. Grace is how long after a window's end
// out-of-order records are still joined (Kafka's afterWindowEnd); it also delays the
// emission of unmatched records of left and outer joins.
//
// Build the value with JoinWindowsOfTimeDifferenceWithNoGrace or
// JoinWindowsOfTimeDifferenceAndGrace, then WithBefore / WithAfter for asymmetric windows, as
// in Kafka, or as a literal. Durations are truncated to milliseconds. Before + After must not
// be negative and Grace must not be negative (an error of Build).
type JoinWindows struct {
	Before time.Duration
	After  time.Duration
	Grace  time.Duration
}

// JoinWindowsOfTimeDifferenceWithNoGrace returns windows joining records at most
// timeDifference apart, with no grace period (Kafka's
// JoinWindows.ofTimeDifferenceWithNoGrace).
func JoinWindowsOfTimeDifferenceWithNoGrace(timeDifference time.Duration) JoinWindows {
	return JoinWindows{Before: timeDifference, After: timeDifference}
}

// JoinWindowsOfTimeDifferenceAndGrace returns windows joining records at most timeDifference
// apart, accepting out-of-order records until afterWindowEnd past a window's end (Kafka's
// JoinWindows.ofTimeDifferenceAndGrace).
func JoinWindowsOfTimeDifferenceAndGrace(timeDifference, afterWindowEnd time.Duration) JoinWindows {
	return JoinWindows{Before: timeDifference, After: timeDifference, Grace: afterWindowEnd}
}

// WithBefore returns the windows with a left record joining right records at most
// timeDifference earlier (Kafka's JoinWindows.before).
func (w JoinWindows) WithBefore(timeDifference time.Duration) JoinWindows {
	w.Before = timeDifference
	return w
}

// WithAfter returns the windows with a left record joining right records at most
// timeDifference later (Kafka's JoinWindows.after).
func (w JoinWindows) WithAfter(timeDifference time.Duration) JoinWindows {
	w.After = timeDifference
	return w
}

func (w JoinWindows) beforeMs() int64 { return w.Before.Milliseconds() }
func (w JoinWindows) afterMs() int64  { return w.After.Milliseconds() }
func (w JoinWindows) graceMs() int64  { return w.Grace.Milliseconds() }

// SizeMs returns the size of the windows, Before + After, in milliseconds (Kafka's
// JoinWindows.size).
func (w JoinWindows) SizeMs() int64 { return w.beforeMs() + w.afterMs() }

func (w JoinWindows) validate() error {
	var errs []error
	if w.SizeMs() < 0 {
		errs = append(errs, fmt.Errorf("window interval (ie, before+after) must not be negative, got before %v, after %v", w.Before, w.After))
	}
	if w.Grace < 0 {
		errs = append(errs, fmt.Errorf("grace period must not be negative, got %v", w.Grace))
	}
	return errors.Join(errs...)
}

// StreamJoined configures a stream-stream join (Kafka Streams' StreamJoined): the serdes of
// its stores (and of the repartition topics), the stores' names, suppliers and type, their
// changelogs, and the names of the join's nodes.
type StreamJoined[K, V, VO any] struct {
	// Keys, Values and OtherValues are the serdes of the key, the left stream's values and
	// the right stream's values; default: the streams' serdes, which must then be known.
	Keys        serde.Serde[K]
	Values      serde.Serde[V]
	OtherValues serde.Serde[VO]
	// Name names the join's nodes (Kafka's StreamJoined.withName): see the file comment;
	// also the repartition topics "<Name>-left-repartition" and "<Name>-right-repartition".
	Name string
	// StoreName is the base name of the stores (Kafka's withStoreName):
	// "<StoreName>-this-join-store", "<StoreName>-other-join-store" and so on.
	StoreName string
	// ThisStoreSupplier and OtherStoreSupplier supply the window stores of the left and right
	// side (Kafka's withThisStoreSupplier, withOtherStoreSupplier). They must retain
	// duplicates, have window size Before + After and retention Before + After + Grace.
	ThisStoreSupplier  window.Supplier
	OtherStoreSupplier window.Supplier
	// StoreType chooses the stores not given by a supplier: StoreRocksDB (the default) or
	// StoreInMemory (Kafka's withDslStoreSuppliers). The shared store of left and outer joins
	// is in memory when ThisStoreSupplier is not persistent, as in Kafka.
	StoreType StoreType
	// LoggingDisabled turns off the stores' changelogs (Kafka's withLoggingDisabled);
	// LogConfig configures their topics (withLoggingEnabled). The window stores' changelogs
	// are cleanup.policy=delete, as in Kafka.
	LoggingDisabled bool
	LogConfig       map[string]string

	// emitIntervalMs overrides defaultJoinEmitIntervalMs when emitIntervalSet (tests).
	emitIntervalMs  int64
	emitIntervalSet bool
}

// Join joins the records of left and right with the same key and timestamps close enough
// (Kafka's KStream.join(KStream, ValueJoiner, JoinWindows, StreamJoined)): each pair gives
// joiner(leftValue, rightValue), with the larger of the two timestamps. See the file comment
// for the nodes, stores and semantics. The result has the StreamJoined key serde and no value
// serde, as in Kafka. If either stream's key changed upstream, it is first written to a
// repartition topic "<node>-repartition" ("<Name>-left-repartition" /
// "<Name>-right-repartition" when named), as Kafka does; a later join of the same stream
// without a Name reads the topic of its previous join, as in Kafka.
func Join[K, V, VO, VR any](left *KStream[K, V], right *KStream[K, VO], joiner func(value V, other VO) VR, w JoinWindows, sj ...StreamJoined[K, V, VO]) *KStream[K, VR] {
	var fn func(K, V, bool, VO, bool) VR
	if joiner != nil {
		fn = func(_ K, v V, _ bool, o VO, _ bool) VR { return joiner(v, o) }
	}
	return streamJoin(left, right, "Join", fn, w, sj, false, false)
}

// JoinWithKey is Join whose joiner also reads the key (Kafka's ValueJoinerWithKey).
func JoinWithKey[K, V, VO, VR any](left *KStream[K, V], right *KStream[K, VO], joiner func(key K, value V, other VO) VR, w JoinWindows, sj ...StreamJoined[K, V, VO]) *KStream[K, VR] {
	var fn func(K, V, bool, VO, bool) VR
	if joiner != nil {
		fn = func(k K, v V, _ bool, o VO, _ bool) VR { return joiner(k, v, o) }
	}
	return streamJoin(left, right, "JoinWithKey", fn, w, sj, false, false)
}

// LeftJoin is Join that also emits each left record that joined no right record (Kafka's
// KStream.leftJoin(KStream, …)): joiner then gets hasOther false and VO's zero value (Kafka
// passes null), once the record's window has closed. A left record with a value but no key
// is forwarded at once, joined with nothing, without a key (KIP-962).
func LeftJoin[K, V, VO, VR any](left *KStream[K, V], right *KStream[K, VO], joiner func(value V, other VO, hasOther bool) VR, w JoinWindows, sj ...StreamJoined[K, V, VO]) *KStream[K, VR] {
	var fn func(K, V, bool, VO, bool) VR
	if joiner != nil {
		fn = func(_ K, v V, _ bool, o VO, hasO bool) VR { return joiner(v, o, hasO) }
	}
	return streamJoin(left, right, "LeftJoin", fn, w, sj, true, false)
}

// OuterJoin is Join that also emits the records of either side that joined no record of the
// other (Kafka's KStream.outerJoin(KStream, …)): joiner then gets hasValue or hasOther false
// and the zero value for the missing side (Kafka passes null), once the record's window has
// closed. A record of either side with a value but no key is forwarded at once, joined with
// nothing, without a key (KIP-962).
func OuterJoin[K, V, VO, VR any](left *KStream[K, V], right *KStream[K, VO], joiner func(value V, hasValue bool, other VO, hasOther bool) VR, w JoinWindows, sj ...StreamJoined[K, V, VO]) *KStream[K, VR] {
	var fn func(K, V, bool, VO, bool) VR
	if joiner != nil {
		fn = func(_ K, v V, hasV bool, o VO, hasO bool) VR { return joiner(v, hasV, o, hasO) }
	}
	return streamJoin(left, right, "OuterJoin", fn, w, sj, true, true)
}

// streamJoin is Kafka's KStreamImpl.doJoin and KStreamImplJoin.join: leftOuter emits
// unmatched left records, rightOuter unmatched right records.
func streamJoin[K, V, VO, VR any](left *KStream[K, V], right *KStream[K, VO], op string, joiner func(K, V, bool, VO, bool) VR, w JoinWindows, sjs []StreamJoined[K, V, VO], leftOuter, rightOuter bool) *KStream[K, VR] {
	sb := left.sb
	var sj StreamJoined[K, V, VO]
	if len(sjs) > 1 {
		sb.b.fail("%s: more than one StreamJoined", op)
	}
	if len(sjs) > 0 {
		sj = sjs[0]
	}
	ok := true
	switch {
	case right == nil:
		sb.b.fail("%s on %q: nil other stream", op, left.name)
		return &KStream[K, VR]{sb: sb, name: left.name}
	case right.sb != sb:
		sb.b.fail("%s on %q: the streams come from different StreamsBuilders", op, left.name)
		return &KStream[K, VR]{sb: sb, name: left.name}
	}
	if joiner == nil {
		sb.b.fail("%s on %q: nil joiner", op, left.name)
		ok = false
	}
	if err := w.validate(); err != nil {
		sb.b.fail("%s on %q: invalid JoinWindows: %v", op, left.name, err)
		ok = false
	}
	if sj.Keys == nil {
		sj.Keys = left.keys
		if sj.Keys == nil {
			sj.Keys = right.keys
		}
	}
	if sj.Values == nil {
		sj.Values = left.values
	}
	if sj.OtherValues == nil {
		sj.OtherValues = right.values
	}

	// KStreamImpl.doJoin: repartition the re-keyed inputs.
	leftName, rightName := left.name, right.name
	if left.repartitionRequired {
		prefix := left.name
		if sj.Name != "" {
			prefix = sj.Name + "-left"
		}
		leftName = repartitionForStreamJoin(sb, op, left.name, prefix, sj.Keys, sj.Values)
	}
	if right.repartitionRequired {
		prefix := right.name
		if sj.Name != "" {
			prefix = sj.Name + "-right"
		}
		rightName = repartitionForStreamJoin(sb, op, right.name, prefix, sj.Keys, sj.OtherValues)
	}

	// KStreamImplJoin.join: names in Kafka's order.
	named := func(suffix, prefix string) string {
		gen := sb.newName(prefix)
		if sj.Name != "" {
			return sj.Name + suffix
		}
		return gen
	}
	thisSuffix, otherSuffix := "-this-join", "-other-join"
	thisPrefix, otherPrefix := joinThisPrefix, joinOtherPrefix
	if rightOuter {
		thisSuffix, thisPrefix = "-outer-this-join", outerThisPrefix
	}
	if leftOuter {
		otherSuffix, otherPrefix = "-outer-other-join", outerOtherPrefix
	}
	thisWindowedName := named("-this-windowed", windowedPrefix)
	otherWindowedName := named("-other-windowed", windowedPrefix)
	thisGenerated, otherGenerated := sb.newName(thisPrefix), sb.newName(otherPrefix)
	thisJoinName, otherJoinName := thisGenerated, otherGenerated
	if sj.Name != "" {
		thisJoinName, otherJoinName = sj.Name+thisSuffix, sj.Name+otherSuffix
	}
	mergeName := named("-merge", mergePrefix)
	out := &KStream[K, VR]{sb: sb, name: mergeName, keys: sj.Keys}

	if sj.ThisStoreSupplier != nil && sj.OtherStoreSupplier != nil && sj.ThisStoreSupplier.Name() == sj.OtherStoreSupplier.Name() {
		sb.b.fail("%s %q: both store suppliers have the same name %q: they must provide unique names", op, mergeName, sj.ThisStoreSupplier.Name())
		ok = false
	}
	if sj.Keys == nil || sj.Values == nil || sj.OtherValues == nil {
		sb.b.fail("%s %q: no key or value serde for the join stores: the streams have none (Map, FlatMap, SelectKey, the value mappers, Process and Merge drop them, as in Kafka Streams); give them in StreamJoined", op, mergeName)
		ok = false
	}
	if !ok {
		return out
	}
	thisStoreName, otherStoreName := thisGenerated+"-store", otherGenerated+"-store"
	if sj.StoreName != "" {
		thisStoreName, otherStoreName = sj.StoreName+thisSuffix+"-store", sj.StoreName+otherSuffix+"-store"
	}
	thisStore := joinWindowStore(sb, op, thisStoreName, sj.ThisStoreSupplier, w, &sj, sj.Keys, sj.Values)
	otherStore := joinWindowStore(sb, op, otherStoreName, sj.OtherStoreSupplier, w, &sj, sj.Keys, sj.OtherValues)
	if thisStore == nil || otherStore == nil {
		return out
	}
	thisStoreName, otherStoreName = thisStore.Name(), otherStore.Name()

	var outerStore *kv.Builder[joinSideKey[K], []leftOrRight[V, VO]]
	outerStoreName := ""
	if leftOuter {
		base, suffix := "", "-left-shared-join"
		if rightOuter {
			suffix = "-outer-shared-join"
		}
		switch {
		case sj.ThisStoreSupplier != nil && sj.ThisStoreSupplier.Name() != "":
			base = sj.ThisStoreSupplier.Name() + suffix
		case sj.StoreName != "":
			base = sj.StoreName + suffix
		default:
			base = outerSharedPrefix + thisGenerated[len(thisPrefix):]
		}
		outerStoreName = base + "-store"
		outerStore = joinOuterStore(sb, op, outerStoreName, &sj)
		if outerStore == nil {
			return out
		}
	}

	AddProcessor(sb.b, thisWindowedName, func() processor.Processor[K, V, K, V] {
		return &joinWindowProc[K, V]{storeName: thisStoreName}
	}, leftName)
	AddProcessor(sb.b, otherWindowedName, func() processor.Processor[K, VO, K, VO] {
		return &joinWindowProc[K, VO]{storeName: otherStoreName}
	}, rightName)

	trackers := &joinTimeTrackers{m: map[processor.TaskID]*joinTimeTracker{}}
	interval := int64(defaultJoinEmitIntervalMs)
	if sj.emitIntervalSet {
		interval = sj.emitIntervalMs
	}
	common := joinCommon{
		windowsBeforeMs: w.beforeMs(), windowsAfterMs: w.afterMs(), graceMs: w.graceMs(),
		outerStoreName: outerStoreName, trackers: trackers, emitIntervalMs: interval,
	}
	AddProcessor(sb.b, thisJoinName, func() processor.Processor[K, V, K, VR] {
		c := common
		c.otherStoreName, c.joinBeforeMs, c.joinAfterMs, c.outer = otherStoreName, w.beforeMs(), w.afterMs(), leftOuter
		return &joinSideProc[K, V, VO, V, VO, VR]{
			joinCommon: c,
			join:       joiner,
			makeKey:    func(k K, ts int64) joinSideKey[K] { return joinSideKey[K]{Timestamp: ts, Left: true, Key: k} },
			otherKey:   func(k K, ts int64) joinSideKey[K] { return joinSideKey[K]{Timestamp: ts, Left: false, Key: k} },
			makeValue:  func(v V) leftOrRight[V, VO] { return leftOrRight[V, VO]{IsLeft: true, Left: v} },
			split: func(l leftOrRight[V, VO]) (V, bool, VO, bool) {
				return l.Left, l.IsLeft, l.Right, !l.IsLeft
			},
		}
	}, thisWindowedName)
	AddProcessor(sb.b, otherJoinName, func() processor.Processor[K, VO, K, VR] {
		c := common
		c.otherStoreName, c.joinBeforeMs, c.joinAfterMs, c.outer = thisStoreName, w.afterMs(), w.beforeMs(), rightOuter
		return &joinSideProc[K, VO, V, V, VO, VR]{
			joinCommon: c,
			join:       func(k K, o VO, hasO bool, v V, hasV bool) VR { return joiner(k, v, hasV, o, hasO) },
			makeKey:    func(k K, ts int64) joinSideKey[K] { return joinSideKey[K]{Timestamp: ts, Left: false, Key: k} },
			otherKey:   func(k K, ts int64) joinSideKey[K] { return joinSideKey[K]{Timestamp: ts, Left: true, Key: k} },
			makeValue:  func(o VO) leftOrRight[V, VO] { return leftOrRight[V, VO]{IsLeft: false, Right: o} },
			split: func(l leftOrRight[V, VO]) (VO, bool, V, bool) {
				return l.Right, !l.IsLeft, l.Left, l.IsLeft
			},
		}
	}, otherWindowedName)
	AddProcessor(sb.b, mergeName, passThrough[K, VR](), thisJoinName, otherJoinName)
	sb.recordJoin(op, mergeName, leftName, rightName)
	// StreamStreamJoinNode: the this-store is connected to its windowed node and the other
	// join node, the other-store likewise, the shared store to both join nodes.
	sb.b.AddStateStore(thisStore, thisWindowedName, otherJoinName)
	sb.b.AddStateStore(otherStore, otherWindowedName, thisJoinName)
	if outerStore != nil {
		sb.b.AddStateStore(outerStore, thisJoinName, otherJoinName)
	}
	return out
}

// repartitionForStreamJoin writes a re-keyed join input to the topic "<prefix>-repartition" and
// returns the node reading it back (Kafka's KStreamImpl.repartitionForJoin and
// createRepartitionedSource): it burns three names of the counter, as Kafka does.
func repartitionForStreamJoin[K, V any](sb *StreamsBuilder, op, parent, prefix string, keys serde.Serde[K], values serde.Serde[V]) string {
	topic := prefix
	if len(topic) < len(repartitionSuffix) || topic[len(topic)-len(repartitionSuffix):] != repartitionSuffix {
		topic += repartitionSuffix
	}
	sink, filter, source := sb.newName(sinkPrefix), sb.newName(filterPrefix), sb.newName(sourcePrefix)
	if !generatedName.MatchString(prefix) {
		sink, filter, source = topic+"-sink", topic+"-filter", topic+"-source"
	}
	if prev, ok := sb.joinRepartitions[parent]; ok && prefix == parent {
		// Kafka reuses the stream's repartition node when the join is not named (the names
		// above are burned all the same).
		return prev
	}
	if keys == nil || values == nil {
		sb.b.fail("%s: the stream %q must be repartitioned (its key changed) and has no key or value serde: give them in StreamJoined", op, parent)
		return source
	}
	if sb.joinRepartitions == nil {
		sb.joinRepartitions = map[string]string{}
	}
	sb.joinRepartitions[parent] = source
	AddFixedKeyProcessor(sb.b, filter, func() processor.FixedKeyProcessor[K, V, V] {
		return &passFilter[K, V]{}
	}, parent)
	AddSink(sb.b, sink, Sink[K, V]{Topic: topic, Keys: keys, Values: values}, filter)
	AddSource(sb.b, source, Source[K, V]{Topics: []string{topic}, Keys: keys, Values: values})
	sb.b.addInternalTopic(topic, engine.InternalTopic{})
	return source
}

// joinWindowStore returns the builder of one side's window store (Kafka's
// StreamJoinedStoreFactory, or joinWindowStoreBuilderFromSupplier with assertWindowSettings),
// or nil after recording an error.
func joinWindowStore[K, V, VL, VO any](sb *StreamsBuilder, op, name string, sup window.Supplier, w JoinWindows, sj *StreamJoined[K, VL, VO], keys serde.Serde[K], values serde.Serde[V]) *window.Builder[K, V] {
	size, retention := w.SizeMs(), w.SizeMs()+w.graceMs()
	if sup != nil {
		o := sup.Options()
		if !o.RetainDuplicates {
			sb.b.fail("%s: the store supplier %q must set RetainDuplicates, found false", op, sup.Name())
			return nil
		}
		if o.RetentionMs() != retention || o.WindowSizeMs() != max(size, 1) {
			sb.b.fail("%s: window settings mismatch: the store supplier %q has window size %dms and retention %dms, the JoinWindows need %dms and %dms", op, sup.Name(), o.WindowSizeMs(), o.RetentionMs(), size, retention)
			return nil
		}
	} else {
		opts := window.Options{
			// Our window stores need a positive size; a zero-size join window keeps 1 ms.
			WindowSize:       time.Duration(max(size, 1)) * time.Millisecond,
			Retention:        time.Duration(max(retention, 1)) * time.Millisecond,
			Segments:         3,
			RetainDuplicates: true,
		}
		var err error
		switch sj.StoreType {
		case StoreInMemory:
			sup, err = window.InMemorySupplier(name, opts)
		case StoreRocksDB:
			var ok bool
			sup, ok, err = window.PersistentSupplier(name, opts)
			if !ok {
				sb.b.fail("%s: store %q is persistent (StoreRocksDB, the default) but no persistent window engine is registered: import _ \"github.com/tributary-go/tributary/store/rocksdb\", or choose StoreInMemory", op, name)
				return nil
			}
		default:
			sb.b.fail("%s: window store %q: StoreType %d is not available for join stores (use StoreRocksDB or StoreInMemory)", op, name, sj.StoreType)
			return nil
		}
		if err != nil {
			sb.b.fail("%s: window store %q: %v", op, name, err)
			return nil
		}
	}
	b := window.NewBuilder(sup, keys, values)
	if sj.LoggingDisabled {
		b.WithLoggingDisabled()
	} else {
		cfg := maps.Clone(sj.LogConfig)
		if cfg == nil {
			cfg = map[string]string{}
		}
		// Kafka: the stores retain duplicates, so their changelogs must not be compacted.
		cfg["cleanup.policy"] = "delete"
		b.WithLoggingEnabled(cfg)
	}
	return b
}

// joinOuterStore returns the builder of the shared store of left and outer joins (Kafka's
// OuterStreamJoinStoreFactory: a ListValueStore keyed by TimestampedKeyAndJoinSide), or nil
// after recording an error.
func joinOuterStore[K, V, VO any](sb *StreamsBuilder, op, name string, sj *StreamJoined[K, V, VO]) *kv.Builder[joinSideKey[K], []leftOrRight[V, VO]] {
	var sup kv.Supplier
	inMemory := sj.StoreType == StoreInMemory
	if sj.ThisStoreSupplier != nil {
		inMemory = !sj.ThisStoreSupplier.Persistent()
	}
	if inMemory {
		sup = kv.InMemorySupplier(name)
	} else {
		var ok bool
		if sup, ok = kv.PersistentSupplier(name); !ok {
			sb.b.fail("%s: store %q is persistent (StoreRocksDB, the default) but no persistent engine is registered: import _ \"github.com/tributary-go/tributary/store/rocksdb\", or choose StoreInMemory", op, name)
			return nil
		}
	}
	b := kv.NewBuilder(sup, joinSideKeySerde[K]{keys: sj.Keys}, leftOrRightListSerde[V, VO]{left: sj.Values, right: sj.OtherValues})
	if sj.LoggingDisabled {
		b.WithLoggingDisabled()
	} else if sj.LogConfig != nil {
		b.WithLoggingEnabled(sj.LogConfig)
	}
	return b
}

// joinSideKey is Kafka's TimestampedKeyAndJoinSide: the key of the shared store, ordered by
// timestamp, then side (right first), then key bytes.
type joinSideKey[K any] struct {
	Timestamp int64
	Left      bool
	Key       K
}

// joinSideKeySerde is Kafka's TimestampedKeyAndJoinSideSerde: the timestamp on 8 bytes
// big-endian, a byte 1 for the left side or 0 for the right, then the key's bytes.
type joinSideKeySerde[K any] struct{ keys serde.Serde[K] }

func (s joinSideKeySerde[K]) Serialize(topic string, k joinSideKey[K]) ([]byte, error) {
	kb, err := s.keys.Serialize(topic, k.Key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 9, 9+len(kb))
	binary.BigEndian.PutUint64(out, uint64(k.Timestamp))
	if k.Left {
		out[8] = 1
	}
	return append(out, kb...), nil
}

func (s joinSideKeySerde[K]) Deserialize(topic string, b []byte) (joinSideKey[K], error) {
	if len(b) < 9 {
		return joinSideKey[K]{}, fmt.Errorf("stream-stream join shared store: deserialize %q: key of %d bytes, want at least 9 (timestamp, side, key)", topic, len(b))
	}
	k, err := s.keys.Deserialize(topic, b[9:])
	if err != nil {
		return joinSideKey[K]{}, err
	}
	return joinSideKey[K]{Timestamp: int64(binary.BigEndian.Uint64(b)), Left: b[8] == 1, Key: k}, nil
}

// leftOrRight is Kafka's LeftOrRightValue: the value of an unmatched record of one side.
type leftOrRight[V, VO any] struct {
	IsLeft bool
	Left   V
	Right  VO
}

// leftOrRightListSerde serializes the values of one key of the shared store (Kafka's
// ListValueStore of LeftOrRightValue): for each value, its length on 4 bytes big-endian, then
// a byte 1 for a left value or 0 for a right one and the value's bytes.
type leftOrRightListSerde[V, VO any] struct {
	left  serde.Serde[V]
	right serde.Serde[VO]
}

func (s leftOrRightListSerde[V, VO]) Serialize(topic string, l []leftOrRight[V, VO]) ([]byte, error) {
	var out []byte
	for _, e := range l {
		var vb []byte
		var err error
		flag := byte(0)
		if e.IsLeft {
			flag = 1
			vb, err = s.left.Serialize(topic, e.Left)
		} else {
			vb, err = s.right.Serialize(topic, e.Right)
		}
		if err != nil {
			return nil, err
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(vb)+1))
		out = append(out, flag)
		out = append(out, vb...)
	}
	return out, nil
}

func (s leftOrRightListSerde[V, VO]) Deserialize(topic string, b []byte) ([]leftOrRight[V, VO], error) {
	var out []leftOrRight[V, VO]
	for len(b) > 0 {
		if len(b) < 5 {
			return nil, fmt.Errorf("stream-stream join shared store: deserialize %q: truncated value list", topic)
		}
		n := int(binary.BigEndian.Uint32(b))
		if n < 1 || len(b) < 4+n {
			return nil, fmt.Errorf("stream-stream join shared store: deserialize %q: bad value length %d", topic, n)
		}
		e, vb := leftOrRight[V, VO]{IsLeft: b[4] == 1}, b[5:4+n]
		var err error
		if e.IsLeft {
			e.Left, err = s.left.Deserialize(topic, vb)
		} else {
			e.Right, err = s.right.Deserialize(topic, vb)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		b = b[4+n:]
	}
	return out, nil
}

// joinWindowProc is the KSTREAM-WINDOWED node (Kafka's KStreamJoinWindow): it forwards every
// record and keeps those with a key and a value in its side's window store.
type joinWindowProc[K, V any] struct {
	storeName string
	ctx       processor.Context[K, V]
	store     *window.Store[K, V]
}

func (p *joinWindowProc[K, V]) Init(ctx processor.Context[K, V]) error {
	p.ctx = ctx
	s, err := processor.WindowStore[K, V](ctx, p.storeName)
	p.store = s
	return err
}

func (p *joinWindowProc[K, V]) Close() error { return nil }

func (p *joinWindowProc[K, V]) Process(r processor.Record[K, V]) error {
	if err := p.ctx.Forward(r); err != nil {
		return err
	}
	if r.HasKey() && !r.IsTombstone() {
		// Every record starts a new window; the store is used for its retention.
		return p.store.Put(r.Key(), r.Value(), r.Timestamp())
	}
	return nil
}

// joinTimeTracker is Kafka's KStreamImplJoin.TimeTracker: the stream time of both sides of a
// join in a task, the smallest timestamp in the shared store, and the emission throttle.
type joinTimeTracker struct {
	streamTime     int64
	minTime        int64
	nextTimeToEmit int64
}

// joinTimeTrackers is Kafka's TimeTrackerSupplier: one tracker per task, shared by the two
// join nodes of the task.
type joinTimeTrackers struct {
	mu sync.Mutex
	m  map[processor.TaskID]*joinTimeTracker
}

func (t *joinTimeTrackers) get(id processor.TaskID) *joinTimeTracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr, ok := t.m[id]
	if !ok {
		tr = &joinTimeTracker{streamTime: noTimestamp, minTime: maxInt64}
		t.m[id] = tr
	}
	return tr
}

func (t *joinTimeTrackers) remove(id processor.TaskID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
}

const maxInt64 = int64(^uint64(0) >> 1)

// joinCommon are the settings of one join node (Kafka's KStreamKStreamJoin fields).
type joinCommon struct {
	otherStoreName  string
	outerStoreName  string
	joinBeforeMs    int64 // this side's look-back into the other store
	joinAfterMs     int64 // this side's look-ahead
	windowsBeforeMs int64
	windowsAfterMs  int64
	graceMs         int64
	outer           bool
	trackers        *joinTimeTrackers
	emitIntervalMs  int64
}

// joinSideProc is a JOINTHIS or JOINOTHER node (Kafka's KStreamKStreamJoinProcessor, in its
// LeftSide and RightSide forms): VT is this side's value type, VOt the other's; VL and VR
// are the left and right value types of the shared store.
type joinSideProc[K, VT, VOt, VL, VR, VOut any] struct {
	joinCommon
	join      func(key K, this VT, hasThis bool, other VOt, hasOther bool) VOut
	makeKey   func(K, int64) joinSideKey[K]
	otherKey  func(K, int64) joinSideKey[K]
	makeValue func(VT) leftOrRight[VL, VR]
	split     func(leftOrRight[VL, VR]) (VT, bool, VOt, bool)

	ctx        processor.Context[K, VOut]
	otherStore *window.Store[K, VOt]
	outerStore *kv.Store[joinSideKey[K], []leftOrRight[VL, VR]]
	tracker    *joinTimeTracker
	taskID     processor.TaskID
	toDelete   []joinSideKey[K]
}

func (p *joinSideProc[K, VT, VOt, VL, VR, VOut]) Init(ctx processor.Context[K, VOut]) error {
	p.ctx = ctx
	s, err := processor.WindowStore[K, VOt](ctx, p.otherStoreName)
	if err != nil {
		return err
	}
	p.otherStore = s
	if p.outerStoreName != "" {
		o, err := processor.KeyValueStore[joinSideKey[K], []leftOrRight[VL, VR]](ctx, p.outerStoreName)
		if err != nil {
			return err
		}
		p.outerStore = o
	}
	p.taskID = ctx.TaskID()
	p.tracker = p.trackers.get(p.taskID)
	return nil
}

func (p *joinSideProc[K, VT, VOt, VL, VR, VOut]) Close() error {
	p.trackers.remove(p.taskID)
	return nil
}

func (p *joinSideProc[K, VT, VOt, VL, VR, VOut]) dropped() {
	if d, ok := p.ctx.(droppedRecorder); ok {
		d.RecordDropped()
	}
}

func (p *joinSideProc[K, VT, VOt, VL, VR, VOut]) Process(r processor.Record[K, VT]) error {
	ts := r.Timestamp()
	p.tracker.streamTime = max(p.tracker.streamTime, ts)
	var zero VOt
	if p.outer && !r.HasKey() && !r.IsTombstone() {
		// KIP-962: an outer side's record without a key is joined with nothing at once.
		return p.ctx.Forward(processor.Revalue(r, p.join(r.Key(), r.Value(), true, zero, false)))
	}
	if !r.HasKey() || r.IsTombstone() {
		// Kafka: "Skipping record due to null key or value", counted in dropped-records.
		p.dropped()
		return nil
	}
	if ts == p.tracker.streamTime && p.outerStore != nil {
		if err := p.emitNonJoined(r); err != nil {
			return err
		}
	}
	key := r.Key()
	from, to := max(0, ts-p.joinBeforeMs), max(0, ts+p.joinAfterMs)
	cur, err := p.otherStore.Fetch(key, from, to)
	if err != nil {
		return err
	}
	found := false
	for cur.Next() {
		found = true
		otherTs := cur.Key()
		if p.outerStore != nil {
			// Kafka's putIfAbsent(otherKey, null): the other record has joined, it is no
			// longer a candidate to emit alone.
			if _, _, err := p.outerStore.Delete(p.otherKey(key, otherTs)); err != nil {
				cur.Close()
				return err
			}
		}
		out := processor.Revalue(r, p.join(key, r.Value(), true, cur.Value(), true)).WithTimestamp(max(ts, otherTs))
		if err := p.ctx.Forward(out); err != nil {
			cur.Close()
			return err
		}
	}
	if err := cur.Close(); err != nil {
		return err
	}
	if !p.outer || found {
		return nil
	}
	if p.outerStore == nil || to < p.tracker.streamTime {
		// Out of order: the window is already closed, emit it now.
		return p.ctx.Forward(processor.Revalue(r, p.join(key, r.Value(), true, zero, false)))
	}
	p.tracker.minTime = min(p.tracker.minTime, ts)
	k := p.makeKey(key, ts)
	list, _, err := p.outerStore.Get(k)
	if err != nil {
		return err
	}
	return p.outerStore.Put(k, append(list, p.makeValue(r.Value())))
}

// emitNonJoined emits the unmatched records of the shared store whose windows have closed
// (Kafka's emitNonJoinedOuterRecords), in the store's order, and deletes them.
func (p *joinSideProc[K, VT, VOt, VL, VR, VOut]) emitNonJoined(r processor.Record[K, VT]) error {
	t := p.tracker
	// With an empty store minTime is the largest int64 and the sum wraps around, as in Kafka
	// (Java longs wrap too): the first record then passes and starts the throttle.
	if t.minTime+p.joinAfterMs+p.graceMs >= t.streamTime {
		return nil
	}
	now := p.ctx.SystemTime()
	if now < t.nextTimeToEmit {
		return nil
	}
	t.nextTimeToEmit = now + p.emitIntervalMs
	t.minTime = maxInt64
	cur, err := p.outerStore.All()
	if err != nil {
		return err
	}
	del := p.toDelete[:0]
	leftOpen, rightOpen := false, false
	for cur.Next() {
		k := cur.Key()
		t.minTime = k.Timestamp
		if leftOpen && rightOpen {
			break
		}
		lookBack := p.windowsBeforeMs
		if k.Left {
			lookBack = p.windowsAfterMs
		}
		if t.minTime+lookBack+p.graceMs >= t.streamTime {
			if k.Left {
				leftOpen = true
			} else {
				rightOpen = true
			}
			continue
		}
		for _, v := range cur.Value() {
			this, hasThis, other, hasOther := p.split(v)
			out := processor.MakeRecord(k.Key, true, p.join(k.Key, this, hasThis, other, hasOther), true, k.Timestamp, r.Headers())
			if err := p.ctx.Forward(out); err != nil {
				cur.Close()
				return err
			}
		}
		del = append(del, k)
	}
	if err := cur.Close(); err != nil {
		return err
	}
	for _, k := range del {
		if _, _, err := p.outerStore.Delete(k); err != nil {
			return err
		}
	}
	clear(del)
	p.toDelete = del[:0]
	return nil
}
