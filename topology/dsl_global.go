package topology

import (
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// This file holds the global tables (Kafka Streams' StreamsBuilder.globalTable,
// InternalStreamsBuilder.globalTable with a global TableSourceNode and KTableSource): a
// table every instance holds whole, fed from its topic by a global store.

// The name prefix of Kafka Streams' KTableImpl.SOURCE_NAME and the suffix Kafka gives a
// global table's source when Consumed names the table (InternalStreamsBuilder's
// TABLE_SOURCE_SUFFIX).
const (
	globalTableSourcePrefix = "KTABLE-SOURCE-"
	globalSourceSuffix      = "-source"
)

// GlobalKTable is a table that every instance of the application holds whole, read from all
// the partitions of its topic (Kafka Streams' GlobalKTable). It is backed by a global store:
// any processor of the topology can read it through its context without naming it
// (processor.KeyValueStore with StoreName), and the TopologyTestDriver exposes it under
// StoreName. Streams join it with JoinGlobal and LeftJoinGlobal.
type GlobalKTable[K, V any] struct {
	sb        *StreamsBuilder
	name      string
	storeName string
	queryable bool
	keys      serde.Serde[K]
	values    serde.Serde[V]
}

// Name returns the name of the processor that writes the table's store (KTABLE-SOURCE-%010d,
// or Consumed.Name).
func (t *GlobalKTable[K, V]) Name() string { return t.name }

// StoreName returns the name of the table's store: Materialized.Name, or the generated
// "<topic>-STATE-STORE-%010d". A global table is always materialized, so the store exists
// under this name either way.
func (t *GlobalKTable[K, V]) StoreName() string { return t.storeName }

// QueryableStoreName returns Materialized.Name, or "" when the store name was generated
// (Kafka's GlobalKTable.queryableStoreName, null then).
func (t *GlobalKTable[K, V]) QueryableStoreName() string {
	if t.queryable {
		return t.storeName
	}
	return ""
}

// GlobalTable returns the global table of the records of topic: each record sets its key, a
// tombstone deletes it, a record with a null key is dropped (Kafka's
// StreamsBuilder.globalTable). It adds a global store with two nodes, named as Kafka names
// them: before them the store name "<topic>-STATE-STORE-%010d" unless m names the store,
// then a source KSTREAM-SOURCE-%010d and a processor KTABLE-SOURCE-%010d (named
// c.Name+"-source" and c.Name when Consumed names them; the counter advances all the same).
//
// The table is always materialized, in the store m describes (RocksDB by default, or
// in-memory or LRU), with logging disabled whatever m says: the topic is the store's
// changelog, as in Kafka. The store's serdes are Consumed's (Kafka uses them over
// Materialized's); when Consumed gives none, Materialized's are used for both. Consumed's
// OffsetReset is ignored: a global store is always read from the start, as in Kafka.
//
// Both the TopologyTestDriver and the Kafka runtime (package driver) run global stores.
func GlobalTable[K, V any](sb *StreamsBuilder, topic string, c Consumed[K, V], m Materialized[K, V]) *GlobalKTable[K, V] {
	storeName, queryable := m.Name, true
	if storeName == "" && m.Supplier != nil {
		storeName = m.Supplier.Name()
	}
	if storeName == "" {
		storeName, queryable = sb.newName(topic+"-"+storeSuffix), false
	}
	srcName := sb.newName(sourcePrefix)
	if c.Name != "" {
		srcName = c.Name + globalSourceSuffix
	}
	name := sb.nameOr("GlobalTable", []Named{Named(c.Name)}, globalTableSourcePrefix)
	keys, values := c.Keys, c.Values
	if keys == nil {
		keys = m.Keys
	}
	if values == nil {
		values = m.Values
	}
	t := &GlobalKTable[K, V]{sb: sb, name: name, storeName: storeName, queryable: queryable, keys: keys, values: values}
	if topic == "" {
		sb.b.fail("GlobalTable %q: no topic", name)
		return t
	}
	if keys == nil || values == nil {
		sb.b.fail("GlobalTable %q: no key or value serde: give them in Consumed (or Materialized)", name)
		return t
	}
	m.Keys, m.Values = keys, values
	m.LoggingDisabled = true
	sbld := m.storeBuilder(sb, "GlobalTable", storeName, keys, values)
	if sbld == nil {
		return t
	}
	AddGlobalStore(sb.b, sbld, srcName, Source[K, V]{Topics: []string{topic}, Keys: keys, Values: values, Timestamps: c.Timestamps}, name,
		func() processor.Processor[K, V, struct{}, struct{}] {
			return &globalTableProc[K, V]{storeName: storeName}
		})
	return t
}

// globalTableProc is Kafka's KTableSource in a global store: it writes each update into the
// store (a tombstone deletes the key) and forwards nothing, a global processor having no
// children.
type globalTableProc[K, V any] struct {
	ctx       processor.Context[struct{}, struct{}]
	storeName string
	store     *kv.Store[K, V]
}

func (p *globalTableProc[K, V]) Init(ctx processor.Context[struct{}, struct{}]) error {
	p.ctx = ctx
	st, err := processor.KeyValueStore[K, V](ctx, p.storeName)
	if err != nil {
		return err
	}
	p.store = st
	return nil
}

func (p *globalTableProc[K, V]) Close() error { return nil }

func (p *globalTableProc[K, V]) Process(r processor.Record[K, V]) error {
	if !r.HasKey() {
		// Kafka's KTableSource: "Skipping record due to null key", counted in dropped-records.
		if d, ok := p.ctx.(interface{ RecordDropped() }); ok {
			d.RecordDropped()
		}
		return nil
	}
	if r.IsTombstone() {
		_, _, err := p.store.Delete(r.Key())
		return err
	}
	return p.store.Put(r.Key(), r.Value())
}
