package topology

import (
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// This file holds the table sources and the stateless KTable operations (Kafka Streams'
// StreamsBuilder.table with KTableSource, KStream.toTable, KTableImpl.filter, filterNot and
// mapValues with KTableFilter and KTableMapValues).
//
// A KTable's records are its updates: a record with a value sets the key, a tombstone
// deletes it. Table nodes forward Change pairs to each other (see dsl_change.go), the old
// value only when a downstream operation asks for it (sendOldValues).
//
// Materialization follows Kafka: a table source or ToTable is backed by a store only when
// Materialized names it (Kafka's KTableSource.materialized(): queryableName != null) or an
// operation downstream needs its old values (KTable.GroupBy), a Filter or MapValues only
// when given a Materialized with a name. Unnamed, the generated
// store name still advances the name counter, where Kafka generates it, so that the node
// names are Kafka's. Difference from Kafka: the stores hold plain values, not
// ValueAndTimestamp.

// The name prefixes of Kafka Streams' KTableImpl, KStreamImpl.toTable and
// StreamsBuilder.table.
const (
	tableSourcePrefix    = "KTABLE-SOURCE-"
	tableFilterPrefix    = "KTABLE-FILTER-"
	tableMapValuesPrefix = "KTABLE-MAPVALUES-"
	toTablePrefix        = "KSTREAM-TOTABLE-"
	tableSourceSuffix    = "-source"
)

// Table returns the table of the records of topic: each record sets its key, a tombstone
// deletes it (Kafka's StreamsBuilder.table). It adds two nodes, as Kafka does: a source
// KSTREAM-SOURCE-%010d reading topic and a processor KTABLE-SOURCE-%010d (named
// c.Name+"-source" and c.Name when Consumed names them); before them it generates the store name
// "<topic>-STATE-STORE-%010d" (Kafka's MaterializedInternal with the prefix "<topic>-").
//
// The table is materialized, and queryable under m.Name, only when m names the store; its
// serdes default to Consumed's. Every update is forwarded, even one that does not change the
// value (Kafka's emit-on-change, KIP-557, is disabled in Kafka Streams until KAFKA-12508).
// Records with a null key are dropped (Kafka's "Skipping record due to null key").
func Table[K, V any](sb *StreamsBuilder, topic string, c Consumed[K, V], m Materialized[K, V]) *KTable[K, V] {
	storeName, queryable := tableStoreName(sb, m, topic+"-")
	// Kafka's InternalStreamsBuilder.table: the source is "<name>-source", the table node
	// "<name>", each burning its index all the same.
	srcName := sb.newName(sourcePrefix)
	name := sb.newName(tableSourcePrefix)
	if c.Name != "" {
		srcName, name = c.Name+tableSourceSuffix, c.Name
	}
	if topic == "" {
		sb.b.fail("Table %q: no topic", name)
	}
	if c.Keys == nil || c.Values == nil {
		sb.b.fail("Table %q: Consumed needs Keys and Values serdes", name)
		return &KTable[K, V]{sb: sb, name: name, storeName: storeName, queryable: queryable, keys: c.Keys, values: c.Values, st: &tableState{}}
	}
	AddSource(sb.b, srcName, Source[K, V]{Topics: []string{topic}, Keys: c.Keys, Values: c.Values, Timestamps: c.Timestamps, OffsetReset: c.OffsetReset})
	return addTableSource(sb, "Table", name, srcName, storeName, queryable, m, c.Keys, c.Values)
}

// ToTable returns the table of the stream's records: each sets its key, a tombstone deletes
// it (Kafka's KStream.toTable; node KSTREAM-TOTABLE-%010d, then the store name
// KSTREAM-TOTABLE-STATE-STORE-%010d). If the key changed upstream (Map, FlatMap, SelectKey),
// the records first go through a repartition topic "<node name>-repartition", as in Kafka.
// The table is materialized, and queryable under m.Name, only when m names the store; m's
// serdes default to the stream's. Records with a null key are dropped.
func ToTable[K, V any](s *KStream[K, V], m Materialized[K, V], named ...Named) *KTable[K, V] {
	name := s.sb.nameOr("ToTable", named, toTablePrefix)
	storeName, queryable := tableStoreName(s.sb, m, toTablePrefix)
	keys, values := s.keys, s.values
	if m.Keys != nil {
		keys = m.Keys
	}
	if m.Values != nil {
		values = m.Values
	}
	parent := s.name
	if s.repartitionRequired && (keys == nil || values == nil) {
		s.sb.b.fail("ToTable %q: the stream must be repartitioned (its key changed) and has no key or value serde: give them in Materialized", name)
	} else if s.repartitionRequired {
		g := &KGroupedStream[K, V]{sb: s.sb, name: s.name, keys: keys, values: values, repartitionRequired: true}
		parent = g.parentFor("ToTable", name)
	}
	return addTableSource(s.sb, "ToTable", name, parent, storeName, queryable, m, keys, values)
}

// tableStoreName returns m's store name, or generates "<prefix>STATE-STORE-%010d" (Kafka's
// MaterializedInternal), and whether the user named it.
func tableStoreName[K, V any](sb *StreamsBuilder, m Materialized[K, V], prefix string) (string, bool) {
	name := m.Name
	if name == "" && m.Supplier != nil {
		name = m.Supplier.Name()
	}
	if name != "" {
		return name, true
	}
	return sb.newName(prefix + storeSuffix), false
}

func addTableSource[K, V any](sb *StreamsBuilder, op, name, parent, storeName string, queryable bool, m Materialized[K, V], keys serde.Serde[K], values serde.Serde[V]) *KTable[K, V] {
	st := &tableState{}
	t := &KTable[K, V]{sb: sb, name: name, storeName: storeName, queryable: queryable, keys: keys, values: values, st: st}
	// The store's serdes are m's, else the table's (Kafka's StreamsBuilder.table gives the
	// Materialized the Consumed's serdes it lacks).
	storeKeys, storeValues := keys, values
	if m.Keys != nil {
		storeKeys = m.Keys
	}
	if m.Values != nil {
		storeValues = m.Values
	}
	// materialize adds the store (Kafka's KTableSource.materialize): at once when m names
	// it, else when an operation downstream forces old values (KTable.GroupBy, joins).
	materialize := func() bool {
		sbld := m.storeBuilder(sb, op, storeName, storeKeys, storeValues)
		if sbld == nil {
			return false
		}
		sb.b.AddStateStore(sbld, name)
		st.storeName = storeName
		return true
	}
	if queryable && !materialize() {
		return t
	}
	// A join reads the source through its store, materializing it (Kafka's
	// KTableImpl.valueGetterSupplier with KTableSource.materialize).
	t.view = func() (tableView[K, V], bool) {
		if st.storeName == "" && !materialize() {
			return tableView[K, V]{}, false
		}
		return storeView[K, V](st.storeName)()
	}
	st.enable = func(force bool) bool {
		if st.storeName != "" {
			return true
		}
		return force && materialize()
	}
	AddProcessor(sb.b, name, func() processor.Processor[K, V, K, Change[V]] {
		return &tableSourceProc[K, V]{st: st, f: tableForwarder[K, V]{keys: storeKeys, values: storeValues}}
	}, parent)
	return t
}

// Filter returns the table of the updates for which pred returns true (Kafka's
// KTable.filter; node KTABLE-FILTER-%010d, not materialized). An update for which pred
// returns false becomes a tombstone for its key, so that the key leaves the filtered table,
// as in Kafka's KTableFilter; a tombstone stays a tombstone, pred not being called.
func (t *KTable[K, V]) Filter(pred func(key K, value V) bool, named ...Named) *KTable[K, V] {
	return t.filter("Filter", pred, false, nil, named)
}

// FilterNot is Filter with pred negated (Kafka's KTable.filterNot; node KTABLE-FILTER-%010d
// too): updates for which pred returns true become tombstones.
func (t *KTable[K, V]) FilterNot(pred func(key K, value V) bool, named ...Named) *KTable[K, V] {
	return t.filter("FilterNot", pred, true, nil, named)
}

// FilterMaterialized is Filter with a Materialized (Kafka's KTable.filter(predicate,
// [named,] materialized)): the store name is generated first
// (KTABLE-FILTER-STATE-STORE-%010d) unless m names it, then the node; the result is
// materialized, and queryable under m.Name, only when m names the store (Kafka does not
// materialize an unnamed one). m's serdes default to the table's.
func (t *KTable[K, V]) FilterMaterialized(pred func(key K, value V) bool, m Materialized[K, V], named ...Named) *KTable[K, V] {
	return t.filter("Filter", pred, false, &m, named)
}

// FilterNotMaterialized is FilterNot with a Materialized, as FilterMaterialized.
func (t *KTable[K, V]) FilterNotMaterialized(pred func(key K, value V) bool, m Materialized[K, V], named ...Named) *KTable[K, V] {
	return t.filter("FilterNot", pred, true, &m, named)
}

func (t *KTable[K, V]) filter(op string, pred func(K, V) bool, not bool, m *Materialized[K, V], named []Named) *KTable[K, V] {
	if pred == nil {
		t.sb.b.fail("%s on %q: nil predicate", op, t.name)
		pred = func(K, V) bool { return true }
	}
	out := tableOp(t, op, tableFilterPrefix, m, t.values, named, func(k K, v V) (V, bool) {
		if pred(k, v) != not {
			return v, true
		}
		var zero V
		return zero, false
	}, true)
	// Kafka's KTableFilter asks a parent that can send old values without materializing
	// anything to send them, "to avoid sending unnecessary tombstones".
	if t.enableSendingOldValues(false) {
		out.st.sendOldValues = true
	}
	return out
}

// MapTableValues returns the table of fn's results for the table's values (Kafka's
// KTable.mapValues; node KTABLE-MAPVALUES-%010d, not materialized). A tombstone stays a
// tombstone, fn not being called (Kafka's KTableMapValues maps only non-null values). The
// result has no value serde: give one to ToStream's To in a Produced. It is named
// MapTableValues because Go has no overloading (MapValues maps a KStream).
func MapTableValues[K, V, VR any](t *KTable[K, V], fn func(value V) VR, named ...Named) *KTable[K, VR] {
	if fn == nil {
		t.sb.b.fail("MapTableValues on %q: nil mapper", t.name)
		return mapTableValues[K, V, VR](t, nil, nil, named)
	}
	return mapTableValues(t, func(_ K, v V) VR { return fn(v) }, nil, named)
}

// MapTableValuesWithKey is MapTableValues with a mapper that reads the key too (Kafka's
// mapValues with a ValueMapperWithKey).
func MapTableValuesWithKey[K, V, VR any](t *KTable[K, V], fn func(key K, value V) VR, named ...Named) *KTable[K, VR] {
	if fn == nil {
		t.sb.b.fail("MapTableValuesWithKey on %q: nil mapper", t.name)
	}
	return mapTableValues(t, fn, nil, named)
}

// MapTableValuesMaterialized is MapTableValuesWithKey with a Materialized (Kafka's
// KTable.mapValues(mapper, [named,] materialized)): the store name is generated first
// (KTABLE-MAPVALUES-STATE-STORE-%010d) unless m names it, then the node; the result is
// materialized, and queryable under m.Name, only when m names the store, which then needs
// m.Values. The result's value serde is m.Values.
func MapTableValuesMaterialized[K, V, VR any](t *KTable[K, V], fn func(key K, value V) VR, m Materialized[K, VR], named ...Named) *KTable[K, VR] {
	if fn == nil {
		t.sb.b.fail("MapTableValuesMaterialized on %q: nil mapper", t.name)
	}
	return mapTableValues(t, fn, &m, named)
}

func mapTableValues[K, V, VR any](t *KTable[K, V], fn func(K, V) VR, m *Materialized[K, VR], named []Named) *KTable[K, VR] {
	if fn == nil {
		fn = func(K, V) VR { var zero VR; return zero }
	}
	return tableOp(t, "MapTableValues", tableMapValuesPrefix, m, nil, named, func(k K, v V) (VR, bool) {
		return fn(k, v), true
	}, false)
}

// tableOp adds a stateless table operation in Kafka's order of names: the store name (when
// a Materialized is given and names none), then the node. compute maps a value (ok false:
// the key leaves the table); it is applied to old values too when they are sent and the node
// has no store of its own (Kafka's KTableFilter and KTableMapValues).
func tableOp[K, V, VR any](t *KTable[K, V], op, prefix string, m *Materialized[K, VR], values serde.Serde[VR], named []Named, compute func(K, V) (VR, bool), dropUnchangedNulls bool) *KTable[K, VR] {
	storeName, queryable := "", false
	keys := t.keys
	if m != nil {
		storeName, queryable = tableStoreName(t.sb, *m, prefix)
		if m.Keys != nil {
			keys = m.Keys
		}
		if m.Values != nil {
			values = m.Values
		}
	}
	name := t.sb.nameOr(op, named, prefix)
	st := &tableState{}
	out := &KTable[K, VR]{sb: t.sb, name: name, keys: keys, values: values, st: st, win: t.win}
	if queryable {
		out.storeName, out.queryable = storeName, true
		sbld := m.storeBuilder(t.sb, op, storeName, keys, values)
		if sbld == nil {
			return out
		}
		st.storeName = storeName
		out.view = storeView[K, VR](storeName)
		defer t.sb.b.AddStateStore(sbld, name)
	} else {
		// Unmaterialized, the table is read by computing from its parent's getter (Kafka's
		// KTableFilter.view and KTableMapValues.view).
		if t.view != nil {
			out.view = computedView(t.view, compute)
		}
		// Without a store, old values come from the parent's (Kafka's
		// KTableFilter/KTableMapValues.enableSendingOldValues).
		st.enable = t.enableSendingOldValues
	}
	AddProcessor(t.sb.b, name, func() processor.Processor[K, Change[V], K, Change[VR]] {
		return &tableOpProc[K, V, VR]{st: st, compute: compute, dropUnchangedNulls: dropUnchangedNulls,
			f: tableForwarder[K, VR]{keys: keys, values: values}}
	}, t.name)
	return out
}

// tableSourceProc is a table source (Kafka's KTableSource): it skips records without a key,
// and turns each record into a Change, reading the old value from its store when it has one.
type tableSourceProc[K, V any] struct {
	st *tableState
	f  tableForwarder[K, V]
}

func (p *tableSourceProc[K, V]) Init(ctx processor.Context[K, Change[V]]) error {
	return p.f.init(ctx, p.st)
}

func (p *tableSourceProc[K, V]) Close() error { return nil }

func (p *tableSourceProc[K, V]) Process(r processor.Record[K, V]) error {
	if !r.HasKey() {
		// Kafka's KTableSource: "Skipping record due to null key", counted in dropped-records.
		if d, ok := p.f.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	c := Change[V]{New: r.Value(), HasNew: !r.IsTombstone()}
	var err error
	if c.Old, c.HasOld, err = p.f.old(r.Key()); err != nil {
		return err
	}
	return putAndForward(&p.f, r, c)
}

// tableOpProc is a Filter or MapValues of a table (Kafka's KTableFilter and
// KTableMapValues processors).
type tableOpProc[K, V, VR any] struct {
	st      *tableState
	compute func(K, V) (VR, bool)
	// dropUnchangedNulls is KTableFilter's: with old values sent, an update that is absent
	// from the filtered table before and after is not forwarded.
	dropUnchangedNulls bool
	f                  tableForwarder[K, VR]
}

func (p *tableOpProc[K, V, VR]) Init(ctx processor.Context[K, Change[VR]]) error {
	return p.f.init(ctx, p.st)
}

func (p *tableOpProc[K, V, VR]) Close() error { return nil }

func (p *tableOpProc[K, V, VR]) Process(r processor.Record[K, Change[V]]) error {
	in := r.Value()
	var c Change[VR]
	if in.HasNew {
		c.New, c.HasNew = p.compute(r.Key(), in.New)
	}
	if p.f.sendOld {
		if p.f.store != nil {
			var err error
			if c.Old, c.HasOld, err = p.f.store.Get(r.Key()); err != nil {
				return err
			}
		} else if in.HasOld {
			c.Old, c.HasOld = p.compute(r.Key(), in.Old)
		}
		if p.dropUnchangedNulls && !c.HasOld && !c.HasNew {
			return nil // Kafka's KTableFilter: "unnecessary to forward here"
		}
	}
	return putAndForward(&p.f, r, c)
}
