package topology

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// This file holds the grouping of a KTable and its aggregations (Kafka Streams'
// KTableImpl.groupBy with KTableRepartitionMap, KGroupedTableImpl with
// GroupedTableOperationRepartitionNode, KTableAggregate and KTableReduce), and the serde of
// the Change values its repartition topic carries (Kafka's ChangedSerializer and
// ChangedDeserializer, with a wire format of our own).
//
// A table's update to a key moves that key's value from one group to another: the select
// node maps the old value and the new one to their groups, and the aggregation subtracts the
// old value from its group's aggregate before adding the new value to its group's. For the
// old values, GroupTableBy makes the table send them (KTableImpl.enableSendingOldValues(true)),
// materializing a table source if needed.
//
// Differences from Kafka Streams: the stores hold plain values (not ValueAndTimestamp), so an
// aggregate's update carries the timestamp of the record that caused it, where Kafka forwards
// the larger of that and the stored aggregate's timestamp; and a selector cannot return a
// null key or value (Go has none), so every selected pair is forwarded, where Kafka skips a
// pair whose key or value is null.

// The name prefixes of Kafka Streams' KTableImpl.groupBy and KGroupedTableImpl.
const (
	tableSelectPrefix    = "KTABLE-SELECT-"
	tableAggregatePrefix = "KTABLE-AGGREGATE-"
	tableReducePrefix    = "KTABLE-REDUCE-"
)

// KGroupedTable is a table re-grouped by a new key, ready to be aggregated (Kafka Streams'
// KGroupedTable): Count, Reduce and Aggregate turn it into a KTable whose aggregates follow
// the updates of the grouped table, adding new values and subtracting old ones. Create it
// with GroupTableBy.
type KGroupedTable[K, V any] struct {
	sb   *StreamsBuilder
	name string // the select node
	// keys and values are Grouped's serdes, else the table's when the types are the same
	// (nil when unknown).
	keys   serde.Serde[K]
	values serde.Serde[V]
	// userName is Grouped.Name ("" when not given).
	userName string
	// repartitionSource is the source reading the user-named repartition topic, once an
	// aggregation created it: later aggregations reuse it, as Kafka's KGroupedTableImpl
	// reuses its repartitionGraphNode when Grouped names the topic.
	repartitionSource string
	// sel is shared with the select node's processors: the topic its key serde is given when
	// it compares selected keys.
	sel *tableSelectState
}

// tableSelectState is what the select node's supplier reads when tasks are created: the
// first repartition topic (an aggregation sets it after the node is added).
type tableSelectState struct {
	topic string
}

// GroupTableBy re-groups the table by the key-value pair selector returns for each of its
// values (Kafka's KTable.groupBy; named GroupTableBy because Go has no overloading and
// GroupBy groups a KStream). It adds a node KTABLE-SELECT-%010d (named Grouped.Name when
// given, as in Kafka) and makes the table send old values, materializing a table source
// that has no store (Kafka calls enableSendingOldValues(true)); the aggregation then reads
// the selected pairs through a repartition topic.
//
// For each update the select node forwards, as Kafka 3.9's KTableRepartitionMap does: when
// the old and new values select the same key, one Change with both selected values; else a
// Change with the old selected value only (a subtraction) to the old key, then one with the
// new selected value only (an addition) to the new key. A tombstone forwards the
// subtraction only. Keys are compared by their bytes under Grouped.Keys.
//
// Grouped's serdes write the repartition topic and default the stores' serdes; when absent
// they default to the table's if the selected types are the table's. Grouped.Name names the
// select node and the repartition topic "<Name>-repartition" (which later aggregations of
// the grouped table then share); the topic's sink and source are named by the
// aggregation's Named ("<named>-sink", "<named>-source") or generated, as in Kafka's
// KGroupedTableImpl.doAggregate, and no null-key filter precedes the sink. An update without a
// key is a processing error, as in Kafka ("Record key for the grouping KTable should not be
// null"); table nodes never forward one.
func GroupTableBy[K, V, KR, VR any](t *KTable[K, V], selector func(key K, value V) KeyValue[KR, VR], g ...Grouped[KR, VR]) *KGroupedTable[KR, VR] {
	cfg := oneGrouped(t.sb, "GroupTableBy", g)
	name := t.sb.nameOr("GroupTableBy", []Named{Named(cfg.Name)}, tableSelectPrefix)
	if selector == nil {
		t.sb.b.fail("GroupTableBy on %q: nil selector", t.name)
		selector = func(K, V) KeyValue[KR, VR] { return KeyValue[KR, VR]{} }
	}
	gt := &KGroupedTable[KR, VR]{sb: t.sb, name: name, keys: cfg.Keys, values: cfg.Values, userName: cfg.Name, sel: &tableSelectState{}}
	if gt.keys == nil {
		gt.keys, _ = any(t.keys).(serde.Serde[KR])
	}
	if gt.values == nil {
		gt.values, _ = any(t.values).(serde.Serde[VR])
	}
	keys, sel := gt.keys, gt.sel
	AddProcessor(t.sb.b, name, func() processor.Processor[K, Change[V], KR, Change[VR]] {
		return &tableSelectProc[K, V, KR, VR]{name: name, selector: selector, keys: keys, sel: sel}
	}, t.name)
	t.enableSendingOldValues(true)
	return gt
}

// Name returns the name of the select node whose records the grouped table carries.
func (g *KGroupedTable[K, V]) Name() string { return g.name }

// tableSelectProc is Kafka's KTableRepartitionMap processor.
type tableSelectProc[K, V, KR, VR any] struct {
	name     string
	selector func(K, V) KeyValue[KR, VR]
	keys     serde.Serde[KR]
	sel      *tableSelectState
	ctx      processor.Context[KR, Change[VR]]
}

func (p *tableSelectProc[K, V, KR, VR]) Init(ctx processor.Context[KR, Change[VR]]) error {
	p.ctx = ctx
	return nil
}

func (p *tableSelectProc[K, V, KR, VR]) Close() error { return nil }

func (p *tableSelectProc[K, V, KR, VR]) Process(r processor.Record[K, Change[V]]) error {
	if !r.HasKey() {
		return fmt.Errorf("%s: record key for the grouping KTable should not be null (Kafka's KTableRepartitionMap)", p.name)
	}
	in := r.Value()
	var oldPair, newPair KeyValue[KR, VR]
	if in.HasOld {
		oldPair = p.selector(r.Key(), in.Old)
	}
	if in.HasNew {
		newPair = p.selector(r.Key(), in.New)
	}
	if in.HasOld && in.HasNew {
		same, err := p.sameKey(oldPair.Key, newPair.Key)
		if err != nil {
			return err
		}
		if same {
			return p.ctx.Forward(processor.Revalue(processor.Rekey(r, oldPair.Key),
				Change[VR]{New: newPair.Value, HasNew: true, Old: oldPair.Value, HasOld: true}))
		}
	}
	// The subtraction first, "to be consistent with reduce and aggregate".
	if in.HasOld {
		if err := p.ctx.Forward(processor.Revalue(processor.Rekey(r, oldPair.Key), Change[VR]{Old: oldPair.Value, HasOld: true})); err != nil {
			return err
		}
	}
	if in.HasNew {
		return p.ctx.Forward(processor.Revalue(processor.Rekey(r, newPair.Key), Change[VR]{New: newPair.Value, HasNew: true}))
	}
	return nil
}

// sameKey compares two selected keys by their serialized bytes (Kafka compares them with
// equals; Go's type parameters give no equality for any type).
func (p *tableSelectProc[K, V, KR, VR]) sameKey(a, b KR) (bool, error) {
	if p.keys == nil {
		return false, nil
	}
	ab, err := p.keys.Serialize(p.sel.topic, a)
	if err != nil {
		return false, err
	}
	// Copy: a serde may reuse its buffer.
	ab = append([]byte(nil), ab...)
	bb, err := p.keys.Serialize(p.sel.topic, b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ab, bb), nil
}

// Count counts the values of each group (Kafka's KGroupedTable.count): an update adds one to
// its new group's count and subtracts one from its old group's. It adds, in Kafka's order of
// names, the store name KTABLE-AGGREGATE-STATE-STORE-%010d (unless m names it), the
// repartition sink KSTREAM-SINK-%010d and source KSTREAM-SOURCE-%010d (named
// "<named>-sink" and "<named>-source" when named), and the node KTABLE-AGGREGATE-%010d. m's
// serdes default to the grouped keys' and int64. A count that falls to zero stays in the
// table, as in Kafka.
func (g *KGroupedTable[K, V]) Count(m Materialized[K, int64], named ...Named) *KTable[K, int64] {
	return tableAggregate(g, "Count", tableAggregatePrefix, m, serde.Int64, named,
		func(_ K, _ V, agg int64, found bool) int64 {
			if !found {
				return 1
			}
			return agg + 1
		},
		func(_ K, _ V, agg int64) int64 { return agg - 1 })
}

// Reduce combines the values of each group (Kafka's KGroupedTable.reduce): adder adds a new
// value to the group's aggregate, the first value being the first aggregate, and subtractor
// removes an old value from it. Names are as Count's, the node being KTABLE-REDUCE-%010d
// (its store keeps Kafka's KTABLE-AGGREGATE-STATE-STORE-%010d). m's serdes default to the
// grouped table's.
func (g *KGroupedTable[K, V]) Reduce(adder, subtractor func(agg, value V) V, m Materialized[K, V], named ...Named) *KTable[K, V] {
	if adder == nil || subtractor == nil {
		g.sb.b.fail("Reduce on %q: nil adder or subtractor", g.name)
		adder = func(agg, _ V) V { return agg }
		subtractor = adder
	}
	return tableAggregate(g, "Reduce", tableReducePrefix, m, g.values, named,
		func(_ K, v V, agg V, found bool) V {
			if !found {
				return v
			}
			return adder(agg, v)
		},
		func(_ K, v V, agg V) V { return subtractor(agg, v) })
}

// AggregateTable folds the values of each group into an aggregate (Kafka's
// KGroupedTable.aggregate; a function, as Go methods have no type parameters): initializer
// gives a group's first aggregate, adder adds a new value to it, subtractor removes an old
// one. Names are as Count's. m.Values is required.
func AggregateTable[K, V, VA any](g *KGroupedTable[K, V], initializer func() VA, adder, subtractor func(key K, value V, agg VA) VA, m Materialized[K, VA], named ...Named) *KTable[K, VA] {
	if initializer == nil || adder == nil || subtractor == nil {
		g.sb.b.fail("AggregateTable on %q: nil initializer, adder or subtractor", g.name)
		keep := func(_ K, _ V, agg VA) VA { return agg }
		return tableAggregate(g, "AggregateTable", tableAggregatePrefix, m, nil, named,
			func(_ K, _ V, agg VA, _ bool) VA { return agg }, keep)
	}
	return tableAggregate(g, "AggregateTable", tableAggregatePrefix, m, nil, named,
		func(k K, v V, agg VA, found bool) VA {
			if !found {
				agg = initializer()
			}
			return adder(k, v, agg)
		}, subtractor)
}

// tableAggregate is Kafka's KGroupedTableImpl.doAggregate: the store name, the repartition
// sink's and source's names, then the node's, and the repartition topic
// "<Grouped.Name or store name>-repartition" between the select node and the aggregation
// (no null-key filter, unlike a KStream grouping).
func tableAggregate[K, V, VA any](g *KGroupedTable[K, V], op, prefix string, m Materialized[K, VA], values serde.Serde[VA], named []Named,
	add func(K, V, VA, bool) VA, remove func(K, V, VA) VA) *KTable[K, VA] {
	// Kafka's MaterializedInternal generates the store name with AGGREGATE_NAME for
	// reduce too.
	storeName, queryable := tableStoreName(g.sb, m, tableAggregatePrefix)
	if len(named) > 1 {
		g.sb.b.fail("%s: more than one Named (%q)", op, named)
	}
	var n Named
	if len(named) > 0 {
		n = named[0]
	}
	sink, source := g.sb.newName(sinkPrefix), g.sb.newName(sourcePrefix)
	if n != "" {
		sink, source = string(n)+"-sink", string(n)+"-source"
	}
	name := g.sb.nameOr(op, named, prefix)
	topicPrefix := g.userName
	if topicPrefix == "" {
		topicPrefix = storeName
	}
	topic := topicPrefix + repartitionSuffix
	keys := g.keys
	if m.Keys != nil {
		keys = m.Keys
	}
	if m.Values != nil {
		values = m.Values
	}
	out := &KTable[K, VA]{sb: g.sb, name: name, storeName: storeName, queryable: queryable, keys: keys, values: values, st: &tableState{storeName: storeName}, view: storeView[K, VA](storeName)}
	parent := g.repartitionSource
	if g.userName == "" || parent == "" {
		if g.keys == nil || g.values == nil {
			g.sb.b.fail("%s: the grouped table %q has no key or value serde for its repartition topic: give them in Grouped", op, g.name)
			return out
		}
		cs := changeSerde[V]{inner: g.values}
		AddSink(g.sb.b, sink, Sink[K, Change[V]]{Topic: topic, Keys: g.keys, Values: cs}, g.name)
		AddSource(g.sb.b, source, Source[K, Change[V]]{Topics: []string{topic}, Keys: g.keys, Values: cs})
		g.sb.b.addInternalTopic(topic, engine.InternalTopic{})
		if g.sel.topic == "" {
			g.sel.topic = topic
		}
		parent = source
		if g.userName != "" {
			g.repartitionSource = source
		}
	}
	sbld := m.storeBuilder(g.sb, op, storeName, keys, values)
	st := out.st
	AddProcessor(g.sb.b, name, func() processor.Processor[K, Change[V], K, Change[VA]] {
		return &tableAggProc[K, V, VA]{name: name, st: st, add: add, remove: remove, f: tableForwarder[K, VA]{keys: keys, values: values}}
	}, parent)
	if sbld != nil {
		g.sb.b.AddStateStore(sbld, name)
	}
	return out
}

// tableAggProc is Kafka's KTableAggregate and KTableReduce processors: subtract the old
// value from the key's aggregate, if both exist, then add the new value, if any; store the
// result and forward it with the previous aggregate as the old value.
type tableAggProc[K, V, VA any] struct {
	name   string
	st     *tableState
	add    func(K, V, VA, bool) VA
	remove func(K, V, VA) VA
	f      tableForwarder[K, VA]
}

func (p *tableAggProc[K, V, VA]) Init(ctx processor.Context[K, Change[VA]]) error {
	return p.f.init(ctx, p.st)
}

func (p *tableAggProc[K, V, VA]) Close() error { return nil }

func (p *tableAggProc[K, V, VA]) Process(r processor.Record[K, Change[V]]) error {
	if !r.HasKey() {
		return fmt.Errorf("%s: record key for KTable aggregate operator with state %s should not be null (Kafka's KTableAggregate)", p.name, p.st.storeName)
	}
	in := r.Value()
	oldAgg, found, err := p.f.store.Get(r.Key())
	if err != nil {
		return err
	}
	agg, has := oldAgg, found
	if in.HasOld && found {
		agg = p.remove(r.Key(), in.Old, agg)
	}
	if in.HasNew {
		agg, has = p.add(r.Key(), in.New, agg, has), true
	}
	return putAndForward(&p.f, r, Change[VA]{New: agg, HasNew: has, Old: oldAgg, HasOld: found})
}

// changeSerde writes and reads the Change values of a KGroupedTable's repartition topic
// (Kafka's ChangedSerializer and ChangedDeserializer, whose format it does not share). The
// format is a flag byte, bit 0 for a new value and bit 1 for an old value, then:
//
//	flag 1: the new value's bytes
//	flag 2: the old value's bytes
//	flag 3: the new value's length (unsigned varint, minimal), its bytes, the old value's bytes
//
// A Change with neither value is an error, as in Kafka ("Both old and new values are null
// in ChangeSerializer").
type changeSerde[V any] struct {
	inner serde.Serde[V]
}

const (
	changeHasNew = 1 << iota
	changeHasOld
)

var errEmptyChange = errors.New("a Change with neither a new nor an old value")

func (s changeSerde[V]) Serialize(topic string, c Change[V]) ([]byte, error) {
	var newB, oldB []byte
	var err error
	if c.HasNew {
		if newB, err = s.inner.Serialize(topic, c.New); err != nil {
			return nil, err
		}
	}
	if c.HasOld {
		if oldB, err = s.inner.Serialize(topic, c.Old); err != nil {
			return nil, err
		}
	}
	switch {
	case c.HasNew && c.HasOld:
		out := make([]byte, 0, 1+binary.MaxVarintLen64+len(newB)+len(oldB))
		out = append(out, changeHasNew|changeHasOld)
		out = binary.AppendUvarint(out, uint64(len(newB)))
		out = append(out, newB...)
		return append(out, oldB...), nil
	case c.HasNew:
		return append([]byte{changeHasNew}, newB...), nil
	case c.HasOld:
		return append([]byte{changeHasOld}, oldB...), nil
	}
	return nil, &serde.Error{Serde: "Change", Topic: topic, Op: "serialize", Err: fmt.Errorf("%w: %w", serde.ErrInvalid, errEmptyChange)}
}

func (s changeSerde[V]) Deserialize(topic string, b []byte) (Change[V], error) {
	var c Change[V]
	bad := func(format string, args ...any) (Change[V], error) {
		return Change[V]{}, &serde.Error{Serde: "Change", Topic: topic, Op: "deserialize", Err: fmt.Errorf("%w: "+format, append([]any{serde.ErrInvalid}, args...)...)}
	}
	if len(b) == 0 {
		return bad("no flag byte")
	}
	flag, rest := b[0], b[1:]
	var newB, oldB []byte
	switch flag {
	case changeHasNew:
		newB = rest
	case changeHasOld:
		oldB = rest
	case changeHasNew | changeHasOld:
		n, w := binary.Uvarint(rest)
		if w <= 0 || w != uvarintLen(n) {
			return bad("bad length of the new value")
		}
		rest = rest[w:]
		if n > uint64(len(rest)) {
			return bad("the new value's length %d exceeds the %d bytes left", n, len(rest))
		}
		newB, oldB = rest[:n], rest[n:]
	default:
		return bad("unknown flag byte %#x", flag)
	}
	var err error
	if flag&changeHasNew != 0 {
		if c.New, err = s.inner.Deserialize(topic, newB); err != nil {
			return Change[V]{}, err
		}
		c.HasNew = true
	}
	if flag&changeHasOld != 0 {
		if c.Old, err = s.inner.Deserialize(topic, oldB); err != nil {
			return Change[V]{}, err
		}
		c.HasOld = true
	}
	return c, nil
}

// uvarintLen is the length of x's minimal unsigned varint.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
