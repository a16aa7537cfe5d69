package topology

import (
	"strings"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// This file holds the joins that read a KTable: stream-table joins (Kafka Streams'
// KStream.join/leftJoin(KTable) with KStreamKTableJoin) and table-table joins (KTable.join,
// leftJoin and outerJoin with KTableKTableInnerJoin, KTableKTableLeftJoin,
// KTableKTableRightJoin, KTableKTableOuterJoin and KTableKTableJoinMerger), and the value
// getters they read the other side through (Kafka's KTableValueGetterSupplier).
//
// A join node reads the other table's store(s) directly, so it is connected to them and ends
// up in the same sub-topology as the table, as in Kafka. A table source is materialized when
// a join asks for its getter (Kafka's KTableSource.materialize); a Filter or MapTableValues
// without a store computes its values from its parent's getter (KTableFilter.view,
// KTableMapValues.view); an aggregation, or a join materialized by a Materialized, reads its
// store. Other tables (windowed and session aggregations, suppressions) cannot be joined yet:
// Build reports it.
//
// Differences from Kafka Streams: the stores hold plain values, not ValueAndTimestamp, so a
// table-table join's update carries the timestamp of the update that caused it, where Kafka
// forwards the larger of that and the other side's stored timestamp; and Kafka's null is
// represented by a found flag next to the value given to the joiner.

// The name prefixes of Kafka Streams' KStreamImpl and KTableImpl joins.
const (
	streamJoinTablePrefix     = "KSTREAM-JOIN-"
	streamLeftJoinTablePrefix = "KSTREAM-LEFTJOIN-"
	tableMergePrefix          = "KTABLE-MERGE-"
	tableJoinThisPrefix       = "KTABLE-JOINTHIS-"
	tableJoinOtherPrefix      = "KTABLE-JOINOTHER-"
	joinThisSuffix            = "-join-this"
	joinOtherSuffix           = "-join-other"
)

// tableView is a table's value getter (Kafka's KTableValueGetterSupplier): the stores a
// reader must be connected to, and, per task, a function returning a key's value and whether
// the table has one.
type tableView[K, V any] struct {
	stores []string
	open   func(ctx processor.BaseContext) (func(K) (V, bool, error), error)
}

// storeView is the getter of a table backed by the store named name (Kafka's
// KTableSourceValueGetterSupplier / KTableMaterializedValueGetterSupplier).
func storeView[K, V any](name string) func() (tableView[K, V], bool) {
	return func() (tableView[K, V], bool) {
		return tableView[K, V]{stores: []string{name}, open: func(ctx processor.BaseContext) (func(K) (V, bool, error), error) {
			s, err := processor.KeyValueStore[K, V](ctx, name)
			if err != nil {
				return nil, err
			}
			return s.Get, nil
		}}, true
	}
}

// computedView is the getter of a stateless table operation: compute applied to the parent's
// values (ok false: the key is absent from the result).
func computedView[K, V, VR any](parent func() (tableView[K, V], bool), compute func(K, V) (VR, bool)) func() (tableView[K, VR], bool) {
	return func() (tableView[K, VR], bool) {
		pv, ok := parent()
		if !ok {
			return tableView[K, VR]{}, false
		}
		return tableView[K, VR]{stores: pv.stores, open: func(ctx processor.BaseContext) (func(K) (VR, bool, error), error) {
			get, err := pv.open(ctx)
			if err != nil {
				return nil, err
			}
			return func(k K) (VR, bool, error) {
				var zero VR
				v, found, err := get(k)
				if err != nil || !found {
					return zero, false, err
				}
				r, ok := compute(k, v)
				return r, ok, nil
			}, nil
		}}, true
	}
}

// viewOf returns t's getter, or records a Build error naming op.
func viewOf[K, V any](t *KTable[K, V], op string) (tableView[K, V], bool) {
	if t.view == nil {
		t.sb.b.fail("%s: join of table %q not supported yet (only table sources, ToTable, Filter, MapTableValues, key-value aggregations and table-table joins can be joined)", op, t.name)
		return tableView[K, V]{}, false
	}
	return t.view()
}

// Joined configures a stream-table join (Kafka's Joined): Name names the join node (and the
// repartition topic "<Name>-repartition" when the stream's key changed); Keys and Values
// are the stream's serdes for that topic, Keys also the result's key serde; OtherValues is
// the table's value serde (unused: the table's store has its own serdes).
type Joined[K, V, VO any] struct {
	Name        string
	Keys        serde.Serde[K]
	Values      serde.Serde[V]
	OtherValues serde.Serde[VO]
}

// JoinTable joins each record of the stream with the table's value for its key (Kafka's
// KStream.join(KTable, ValueJoiner, [Joined])): a record whose key the table lacks is
// dropped, as is a record with a null key or a tombstone (counted in dropped-records). The
// join node is KSTREAM-JOIN-%010d (Joined.Name when given) and is connected to the table's
// store, a table source being materialized for it. Only stream records trigger the join;
// table updates only change what later stream records see. If the stream's key changed
// (Map, SelectKey, ...), it first goes through a repartition topic "<Joined.Name or the
// stream's node name>-repartition", as in Kafka. The result has the stream's key serde (or
// Joined.Keys) and no value serde.
func JoinTable[K, V, VT, VR any](s *KStream[K, V], t *KTable[K, VT], joiner func(value V, tableValue VT) VR, j ...Joined[K, V, VT]) *KStream[K, VR] {
	var jn func(K, V, VT, bool) VR
	if joiner != nil {
		jn = func(_ K, v V, vt VT, _ bool) VR { return joiner(v, vt) }
	}
	return streamTableJoin(s, t, "JoinTable", false, jn, j)
}

// LeftJoinTable is JoinTable keeping the records whose key the table lacks: joiner gets
// found false and VT's zero value then (Kafka's KStream.leftJoin(KTable) passes null; node
// KSTREAM-LEFTJOIN-%010d). A record without a key is joined with found false too, as
// Kafka 3.9 does (KIP-962); a tombstone is dropped and counted.
func LeftJoinTable[K, V, VT, VR any](s *KStream[K, V], t *KTable[K, VT], joiner func(value V, tableValue VT, found bool) VR, j ...Joined[K, V, VT]) *KStream[K, VR] {
	var jn func(K, V, VT, bool) VR
	if joiner != nil {
		jn = func(_ K, v V, vt VT, found bool) VR { return joiner(v, vt, found) }
	}
	return streamTableJoin(s, t, "LeftJoinTable", true, jn, j)
}

func streamTableJoin[K, V, VT, VR any](s *KStream[K, V], t *KTable[K, VT], op string, left bool, joiner func(K, V, VT, bool) VR, j []Joined[K, V, VT]) *KStream[K, VR] {
	var cfg Joined[K, V, VT]
	if len(j) > 1 {
		s.sb.b.fail("%s: more than one Joined", op)
	}
	if len(j) > 0 {
		cfg = j[0]
	}
	if joiner == nil {
		s.sb.b.fail("%s on %q: nil joiner", op, s.name)
		joiner = func(K, V, VT, bool) VR { var zero VR; return zero }
	}
	keys, values := s.keys, s.values
	if cfg.Keys != nil {
		keys = cfg.Keys
	}
	if cfg.Values != nil {
		values = cfg.Values
	}
	parent := s.name
	if s.repartitionRequired {
		// Kafka's KStreamImpl.repartitionForJoin: the topic is named after Joined's name, else
		// the stream's node.
		prefix := cfg.Name
		if prefix == "" {
			prefix = s.name
		}
		parent = repartitionForJoin(s, op, prefix, keys, values, left)
	}
	prefix := streamJoinTablePrefix
	if left {
		prefix = streamLeftJoinTablePrefix
	}
	name := s.sb.nameOr(op, []Named{Named(cfg.Name)}, prefix)
	out := &KStream[K, VR]{sb: s.sb, name: name, keys: keys}
	if t == nil {
		s.sb.b.fail("%s %q: nil table", op, name)
		return out
	}
	view, ok := viewOf(t, op)
	if !ok {
		return out
	}
	AddProcessor(s.sb.b, name, func() processor.Processor[K, V, K, VR] {
		return &streamTableJoinProc[K, V, VT, VR]{view: view, left: left, joiner: joiner}
	}, parent)
	s.sb.b.ConnectProcessorAndStateStores(append([]string{name}, view.stores...)...)
	s.sb.recordJoin(op, name, parent, t.name)
	return out
}

// repartitionForJoin writes the stream to the repartition topic "<prefix>-repartition" and
// returns the source reading it (Kafka's KStreamImpl.repartitionForJoin with
// createRepartitionedSource): it burns three names (sink, filter, source, in that order), used
// when prefix is generated, else the nodes are "<topic>-sink", "-filter" and "-source". The
// filter of an inner join drops the records without a key and counts them (Kafka's passes
// them and the join drops and counts them: the count is the same); a left join's passes
// them, as Kafka 3.9's left join keeps them (KIP-962). Difference from Kafka: a stream joined
// twice writes a repartition topic per join, where Kafka reuses the first one when prefix is
// the stream's generated name.
func repartitionForJoin[K, V any](s *KStream[K, V], op, prefix string, keys serde.Serde[K], values serde.Serde[V], left bool) string {
	topic := prefix
	if !strings.HasSuffix(topic, repartitionSuffix) {
		topic += repartitionSuffix
	}
	sink, filter, source := s.sb.newName(sinkPrefix), s.sb.newName(filterPrefix), s.sb.newName(sourcePrefix)
	if !generatedName.MatchString(prefix) {
		sink, filter, source = topic+"-sink", topic+"-filter", topic+"-source"
	}
	if keys == nil || values == nil {
		s.sb.b.fail("%s: the stream %q must be repartitioned (its key changed) and has no key or value serde: give them in Joined", op, s.name)
		return s.name
	}
	AddFixedKeyProcessor(s.sb.b, filter, func() processor.FixedKeyProcessor[K, V, V] {
		if left {
			return &passFilter[K, V]{}
		}
		return &nullKeyFilter[K, V]{}
	}, s.name)
	AddSink(s.sb.b, sink, Sink[K, V]{Topic: topic, Keys: keys, Values: values}, filter)
	AddSource(s.sb.b, source, Source[K, V]{Topics: []string{topic}, Keys: keys, Values: values})
	s.sb.b.addInternalTopic(topic, engine.InternalTopic{})
	return source
}

// streamTableJoinProc is Kafka's KStreamKTableJoinProcessor (without the grace period of
// versioned tables).
type streamTableJoinProc[K, V, VT, VR any] struct {
	view   tableView[K, VT]
	get    func(K) (VT, bool, error)
	left   bool
	joiner func(K, V, VT, bool) VR
	ctx    processor.Context[K, VR]
}

func (p *streamTableJoinProc[K, V, VT, VR]) Init(ctx processor.Context[K, VR]) error {
	p.ctx = ctx
	var err error
	p.get, err = p.view.open(ctx)
	return err
}

func (p *streamTableJoinProc[K, V, VT, VR]) Close() error { return nil }

func (p *streamTableJoinProc[K, V, VT, VR]) Process(r processor.Record[K, V]) error {
	var vt VT
	var found bool
	switch {
	case r.IsTombstone() || (!r.HasKey() && !p.left):
		// Kafka: "Skipping record due to null join key or value", counted in dropped-records.
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	case r.HasKey():
		var err error
		if vt, found, err = p.get(r.Key()); err != nil {
			return err
		}
		if !found && !p.left {
			return nil
		}
	}
	return p.ctx.Forward(processor.Revalue(r, p.joiner(r.Key(), r.Value(), vt, found)))
}

// The kinds of table-table join processors (Kafka's KTableKTableInnerJoin, LeftJoin,
// RightJoin and OuterJoin).
const (
	joinInner = iota
	joinLeft
	joinRight // the right side of a left join
	joinOuter
)

// JoinTables is the inner join of two tables on their keys (Kafka's KTable.join(KTable,
// ValueJoiner, [Named])): the result has joiner's value for each key both tables have, and
// follows the updates of both. It adds, in Kafka's order of names, the merge node
// KTABLE-MERGE-%010d whose updates the result carries, then KTABLE-JOINTHIS-%010d reading t
// and connected to o's store(s), and KTABLE-JOINOTHER-%010d reading o and connected to t's
// (named "<named>", "<named>-join-this" and "<named>-join-other" when named); table sources
// are materialized for them. The result is not materialized; it has t's key serde and no
// value serde.
func JoinTables[K, V, VO, VR any](t *KTable[K, V], o *KTable[K, VO], joiner func(value V, otherValue VO) VR, named ...Named) *KTable[K, VR] {
	return tableTableJoin(t, o, "JoinTables", joinInner, innerJoiner(joiner), nil, named)
}

// JoinTablesMaterialized is JoinTables with a Materialized (Kafka's KTable.join(...,
// Materialized)): the store name (KTABLE-MERGE-STATE-STORE-%010d unless m names it) comes
// before the node names, and the merge node writes the result to the store, which is
// queryable when m names it. m.Values is needed.
func JoinTablesMaterialized[K, V, VO, VR any](t *KTable[K, V], o *KTable[K, VO], joiner func(value V, otherValue VO) VR, m Materialized[K, VR], named ...Named) *KTable[K, VR] {
	return tableTableJoin(t, o, "JoinTablesMaterialized", joinInner, innerJoiner(joiner), &m, named)
}

// LeftJoinTables is the left join of two tables (Kafka's KTable.leftJoin(KTable, ...)): the
// result has a value for each key of t, joiner getting found false and VO's zero value when
// o lacks the key (Kafka passes null). t sends old values (materializing a source), as in
// Kafka, so that deleting a key of t deletes it from the result. Names are JoinTables'.
func LeftJoinTables[K, V, VO, VR any](t *KTable[K, V], o *KTable[K, VO], joiner func(value V, otherValue VO, found bool) VR, named ...Named) *KTable[K, VR] {
	return tableTableJoin(t, o, "LeftJoinTables", joinLeft, leftJoiner(joiner), nil, named)
}

// LeftJoinTablesMaterialized is LeftJoinTables with a Materialized, as JoinTablesMaterialized.
func LeftJoinTablesMaterialized[K, V, VO, VR any](t *KTable[K, V], o *KTable[K, VO], joiner func(value V, otherValue VO, found bool) VR, m Materialized[K, VR], named ...Named) *KTable[K, VR] {
	return tableTableJoin(t, o, "LeftJoinTablesMaterialized", joinLeft, leftJoiner(joiner), &m, named)
}

// OuterJoinTables is the outer join of two tables (Kafka's KTable.outerJoin): the result
// has a value for each key of either table, joiner getting hasValue or hasOther false (and
// the zero value) for the side that lacks it (Kafka passes null). Both tables send old
// values. Names are JoinTables'.
func OuterJoinTables[K, V, VO, VR any](t *KTable[K, V], o *KTable[K, VO], joiner func(value V, hasValue bool, otherValue VO, hasOther bool) VR, named ...Named) *KTable[K, VR] {
	return tableTableJoin(t, o, "OuterJoinTables", joinOuter, joiner, nil, named)
}

// OuterJoinTablesMaterialized is OuterJoinTables with a Materialized, as
// JoinTablesMaterialized.
func OuterJoinTablesMaterialized[K, V, VO, VR any](t *KTable[K, V], o *KTable[K, VO], joiner func(value V, hasValue bool, otherValue VO, hasOther bool) VR, m Materialized[K, VR], named ...Named) *KTable[K, VR] {
	return tableTableJoin(t, o, "OuterJoinTablesMaterialized", joinOuter, joiner, &m, named)
}

func innerJoiner[V, VO, VR any](j func(V, VO) VR) func(V, bool, VO, bool) VR {
	if j == nil {
		return nil
	}
	return func(v V, _ bool, vo VO, _ bool) VR { return j(v, vo) }
}

func leftJoiner[V, VO, VR any](j func(V, VO, bool) VR) func(V, bool, VO, bool) VR {
	if j == nil {
		return nil
	}
	return func(v V, _ bool, vo VO, found bool) VR { return j(v, vo, found) }
}

func tableTableJoin[K, V, VO, VR any](t *KTable[K, V], o *KTable[K, VO], op string, kind int, joiner func(V, bool, VO, bool) VR, m *Materialized[K, VR], named []Named) *KTable[K, VR] {
	sb := t.sb
	storeName, queryable := "", false
	keys := t.keys
	var values serde.Serde[VR]
	if m != nil {
		// Kafka's MaterializedInternal(materialized, builder, MERGE_NAME).
		storeName, queryable = tableStoreName(sb, *m, tableMergePrefix)
		if m.Keys != nil {
			keys = m.Keys
		}
		values = m.Values
	}
	mergeName := sb.nameOr(op, named, tableMergePrefix)
	st := &tableState{}
	out := &KTable[K, VR]{sb: sb, name: mergeName, keys: keys, values: values, st: st}
	if o == nil {
		sb.b.fail("%s %q: nil other table", op, mergeName)
		return out
	}
	if joiner == nil {
		sb.b.fail("%s %q: nil joiner", op, mergeName)
		joiner = func(V, bool, VO, bool) VR { var zero VR; return zero }
	}
	if kind == joinLeft || kind == joinOuter {
		t.enableSendingOldValues(true)
	}
	if kind == joinOuter {
		o.enableSendingOldValues(true)
	}
	thisName, otherName := sb.newName(tableJoinThisPrefix), sb.newName(tableJoinOtherPrefix)
	if len(named) > 0 && named[0] != "" {
		thisName, otherName = string(named[0])+joinThisSuffix, string(named[0])+joinOtherSuffix
	}
	tv, ok1 := viewOf(t, op)
	ov, ok2 := viewOf(o, op)
	if !ok1 || !ok2 {
		return out
	}
	otherKind := kind
	if kind == joinLeft {
		otherKind = joinRight
	}
	// The merge node asks both sides for old values (Kafka's
	// KTableKTableJoinMerger.enableSendingOldValues): the join nodes compute them then.
	st.enable = func(bool) bool {
		t.enableSendingOldValues(true)
		o.enableSendingOldValues(true)
		return true
	}
	AddProcessor(sb.b, thisName, func() processor.Processor[K, Change[V], K, Change[VR]] {
		return &tableJoinProc[K, V, VO, VR]{st: st, kind: kind, view: ov, joiner: joiner}
	}, t.name)
	AddProcessor(sb.b, otherName, func() processor.Processor[K, Change[VO], K, Change[VR]] {
		return &tableJoinProc[K, VO, V, VR]{st: st, kind: otherKind, view: tv,
			joiner: func(vo VO, hasO bool, v V, hasV bool) VR { return joiner(v, hasV, vo, hasO) }}
	}, o.name)
	sb.recordJoin(op, mergeName, t.name, o.name)
	var sbld *kv.Builder[K, VR]
	if m != nil {
		if sbld = m.storeBuilder(sb, op, storeName, keys, values); sbld == nil {
			return out
		}
		st.storeName = storeName
		out.storeName, out.queryable = storeName, queryable
		out.view = storeView[K, VR](storeName)
	} else {
		out.view = joinedView(t.view, o.view, kind, joiner)
	}
	AddProcessor(sb.b, mergeName, func() processor.Processor[K, Change[VR], K, Change[VR]] {
		return &tableMergeProc[K, VR]{st: st, f: tableForwarder[K, VR]{keys: keys, values: values}}
	}, thisName, otherName)
	sb.b.ConnectProcessorAndStateStores(append([]string{thisName}, ov.stores...)...)
	sb.b.ConnectProcessorAndStateStores(append([]string{otherName}, tv.stores...)...)
	if sbld != nil {
		sb.b.AddStateStore(sbld, mergeName)
	}
	return out
}

// joinedView is the getter of an unmaterialized table-table join (Kafka's
// KTableKTableInnerJoinValueGetter and its left and outer variants).
func joinedView[K, V, VO, VR any](tv func() (tableView[K, V], bool), ov func() (tableView[K, VO], bool), kind int, joiner func(V, bool, VO, bool) VR) func() (tableView[K, VR], bool) {
	return func() (tableView[K, VR], bool) {
		a, ok1 := tv()
		b, ok2 := ov()
		if !ok1 || !ok2 {
			return tableView[K, VR]{}, false
		}
		stores := append(append([]string(nil), a.stores...), b.stores...)
		return tableView[K, VR]{stores: stores, open: func(ctx processor.BaseContext) (func(K) (VR, bool, error), error) {
			ga, err := a.open(ctx)
			if err != nil {
				return nil, err
			}
			gb, err := b.open(ctx)
			if err != nil {
				return nil, err
			}
			return func(k K) (VR, bool, error) {
				var zero VR
				v, hasV, err := ga(k)
				if err != nil {
					return zero, false, err
				}
				if !hasV && kind != joinOuter {
					return zero, false, nil
				}
				vo, hasO, err := gb(k)
				if err != nil {
					return zero, false, err
				}
				if (kind == joinInner && !hasO) || (!hasV && !hasO) {
					return zero, false, nil
				}
				return joiner(v, hasV, vo, hasO), true, nil
			}, nil
		}}, true
	}
}

// tableJoinProc is one side of a table-table join: it joins each update of its table with
// the other table's value for the key (Kafka's KTableKTable{Inner,Left,Right,Outer}Join
// processors). Old values are joined only when the merge node sends them.
type tableJoinProc[K, V1, V2, VR any] struct {
	st     *tableState
	kind   int
	view   tableView[K, V2]
	get    func(K) (V2, bool, error)
	joiner func(V1, bool, V2, bool) VR
	send   bool
	ctx    processor.Context[K, Change[VR]]
}

func (p *tableJoinProc[K, V1, V2, VR]) Init(ctx processor.Context[K, Change[VR]]) error {
	p.ctx, p.send = ctx, p.st.sendOldValues
	var err error
	p.get, err = p.view.open(ctx)
	return err
}

func (p *tableJoinProc[K, V1, V2, VR]) Close() error { return nil }

func (p *tableJoinProc[K, V1, V2, VR]) Process(r processor.Record[K, Change[V1]]) error {
	if !r.HasKey() {
		// Kafka: "Skipping record due to null key", counted in dropped-records.
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	in := r.Value()
	v2, has2, err := p.get(r.Key())
	if err != nil {
		return err
	}
	var c Change[VR]
	switch p.kind {
	case joinInner:
		if !has2 {
			return nil
		}
		if in.HasNew {
			c.New, c.HasNew = p.joiner(in.New, true, v2, true), true
		}
		if p.send && in.HasOld {
			c.Old, c.HasOld = p.joiner(in.Old, true, v2, true), true
		}
	case joinLeft:
		if !has2 && !in.HasNew && !in.HasOld {
			return nil
		}
		if in.HasNew {
			c.New, c.HasNew = p.joiner(in.New, true, v2, has2), true
		}
		if p.send && in.HasOld {
			c.Old, c.HasOld = p.joiner(in.Old, true, v2, has2), true
		}
	case joinRight:
		// The other side of a left join: the left value must exist; the result is the left
		// join of it with this side's value, present or not.
		if !has2 {
			return nil
		}
		c.New, c.HasNew = p.joiner(in.New, in.HasNew, v2, true), true
		if p.send {
			c.Old, c.HasOld = p.joiner(in.Old, in.HasOld, v2, true), true
		}
	case joinOuter:
		if !has2 && !in.HasNew && !in.HasOld {
			return nil
		}
		if has2 || in.HasNew {
			c.New, c.HasNew = p.joiner(in.New, in.HasNew, v2, has2), true
		}
		if p.send && (has2 || in.HasOld) {
			c.Old, c.HasOld = p.joiner(in.Old, in.HasOld, v2, has2), true
		}
	}
	return p.ctx.Forward(processor.Revalue(r, c))
}

// tableMergeProc is Kafka's KTableKTableJoinMerger: it forwards the updates of both join
// nodes, writing them to the store when the join is materialized, and drops old values
// unless they are asked for.
type tableMergeProc[K, V any] struct {
	st *tableState
	f  tableForwarder[K, V]
}

func (p *tableMergeProc[K, V]) Init(ctx processor.Context[K, Change[V]]) error {
	return p.f.init(ctx, p.st)
}

func (p *tableMergeProc[K, V]) Close() error { return nil }

func (p *tableMergeProc[K, V]) Process(r processor.Record[K, Change[V]]) error {
	return putAndForward(&p.f, r, r.Value())
}
