package topology

import (
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/store/window"
)

// This file holds the aggregations of a KGroupedStream (Kafka Streams' KGroupedStreamImpl
// with KStreamAggregate and KStreamReduce), Materialized, and the minimal KTable they return.
//
// Differences from Kafka Streams, for now: the stores hold plain values, where Kafka's DSL
// uses timestamped stores (ValueAndTimestamp); so an update carries the timestamp of the
// record that caused it, where Kafka forwards the larger of that and the stored aggregate's
// timestamp. Records skipped for a null key or value are counted in dropped-records, as
// Kafka does.

// StoreType is the engine of a DSL store (Kafka's Materialized.StoreType, plus LRU).
type StoreType int

const (
	// StoreRocksDB is a persistent RocksDB store (the default, as in Kafka Streams). It needs
	// a persistent supplier registered with RegisterPersistentKeyValueStore, so that a
	// program with in-memory stores only does not need cgo.
	StoreRocksDB StoreType = iota
	// StoreInMemory is an in-memory sorted store (Kafka's Stores.inMemoryKeyValueStore).
	StoreInMemory
	// StoreLRU is an in-memory store bounded to Materialized.LRUSize entries (Kafka's
	// Stores.lruMap).
	StoreLRU
)

// RegisterPersistentKeyValueStore sets the supplier of the DSL's persistent key-value stores
// (StoreRocksDB). Importing store/rocksdb registers RocksDB already (kv.RegisterPersistent,
// the database/sql idiom), so programs need this only for another persistent engine; a nil
// fn unregisters.
func RegisterPersistentKeyValueStore(fn func(name string) kv.Supplier) { kv.RegisterPersistent(fn) }

// Materialized configures the store of an aggregation or table (Kafka's Materialized). The
// zero value is Kafka's default: a generated name, RocksDB, caching and logging on.
type Materialized[K, V any] struct {
	// Name names the store, making the table queryable under it (and its changelog topic
	// "<application.id>-<Name>-changelog"); default: a generated
	// "<OPERATION>-STATE-STORE-%010d" name such as KSTREAM-AGGREGATE-STATE-STORE-0000000003.
	Name string
	// StoreType is the engine; default StoreRocksDB. Supplier, when set, overrides it
	// (Kafka's Materialized.as(KeyValueBytesStoreSupplier)); its name must then be Name or
	// Name must be empty.
	StoreType StoreType
	// LRUSize is the entry bound of a StoreLRU store.
	LRUSize  int
	Supplier kv.Supplier
	// Keys and Values are the store's serdes; default: the grouped stream's key serde, and
	// for values int64 (Count) or the grouped stream's value serde (Reduce). Aggregate needs
	// Values.
	Keys   serde.Serde[K]
	Values serde.Serde[V]
	// CachingDisabled turns the record cache off; by default DSL stores are cached, as in
	// Kafka Streams: updates to a key are deduplicated between commits and forwarded when the
	// cache flushes. The TopologyTestDriver commits (and so flushes) after every record, so
	// there caching on and off give the same output.
	CachingDisabled bool
	// LoggingDisabled turns the changelog off (on by default); LogConfig adds topic configs
	// to the changelog's defaults.
	LoggingDisabled bool
	LogConfig       map[string]string
	// Retention is how long a windowed aggregation's store keeps windows (Kafka's
	// Materialized.withRetention); default and minimum: the window size plus the grace
	// period (sliding windows: twice the time difference plus the grace period; sessions:
	// the gap plus the grace period), as Kafka 3.9's store materializers compute it.
	Retention time.Duration
	// WindowSupplier and SessionSupplier are Supplier for windowed and session
	// aggregations (Kafka's Materialized.as(WindowBytesStoreSupplier) and
	// as(SessionBytesStoreSupplier)).
	WindowSupplier  window.Supplier
	SessionSupplier session.Supplier
}

// storeBuilder returns the kv.Builder of the store named name, or nil after recording an
// error.
func (m Materialized[K, V]) storeBuilder(sb *StreamsBuilder, op, name string, keys serde.Serde[K], values serde.Serde[V]) *kv.Builder[K, V] {
	if m.Keys != nil {
		keys = m.Keys
	}
	if m.Values != nil {
		values = m.Values
	}
	if keys == nil || values == nil {
		sb.b.fail("%s: store %q has no key or value serde: give them in Materialized (or Grouped)", op, name)
		return nil
	}
	sup := m.Supplier
	if sup != nil && sup.Name() != name {
		sb.b.fail("%s: Materialized names the store %q but its Supplier supplies %q", op, name, sup.Name())
		return nil
	}
	if sup == nil {
		switch m.StoreType {
		case StoreInMemory:
			sup = kv.InMemorySupplier(name)
		case StoreLRU:
			if m.LRUSize <= 0 {
				sb.b.fail("%s: LRU store %q needs a positive LRUSize (got %d)", op, name, m.LRUSize)
				return nil
			}
			sup = kv.LRUSupplier(name, m.LRUSize)
		case StoreRocksDB:
			var ok bool
			if sup, ok = kv.PersistentSupplier(name); !ok {
				sb.b.fail("%s: store %q is persistent (StoreRocksDB, the default) but no persistent engine is registered: import _ \"github.com/tributary-go/tributary/store/rocksdb\" (or call topology.RegisterPersistentKeyValueStore), or choose StoreInMemory", op, name)
				return nil
			}
		default:
			sb.b.fail("%s: store %q has unknown StoreType %d", op, name, m.StoreType)
			return nil
		}
	}
	b := kv.NewBuilder(sup, keys, values)
	if m.LoggingDisabled {
		b.WithLoggingDisabled()
	} else if m.LogConfig != nil {
		b.WithLoggingEnabled(m.LogConfig)
	}
	if !m.CachingDisabled {
		b.WithCachingEnabled()
	}
	return b
}

// The name prefixes of Kafka Streams' KGroupedStreamImpl and KTableImpl.
const (
	aggregatePrefix = "KSTREAM-AGGREGATE-"
	reducePrefix    = "KSTREAM-REDUCE-"
	toStreamPrefix  = "KTABLE-TOSTREAM-"
	storeSuffix     = "STATE-STORE-"
)

// KTable is a changelog stream: for each key, its latest value (Kafka Streams' KTable). An
// update is a Record[K, V]; a tombstone deletes the key. A KTable made by an aggregation is
// backed by its store, queryable under StoreName (testutil.KeyValueStore,
// driver.KeyValueStore) when Materialized gave it a name.
type KTable[K, V any] struct {
	sb        *StreamsBuilder
	name      string
	storeName string
	queryable bool
	keys      serde.Serde[K]
	values    serde.Serde[V]
	st        *tableState
	// win is set when the keys are windows (windowed aggregations and the tables derived
	// from them with the same keys): Suppress(UntilWindowCloses) reads it.
	win *tableWindow[K]
	// view gives the table's value getter (Kafka's KTableImpl.valueGetterSupplier), which
	// joins read the table through; nil when the table cannot be read that way yet. Calling
	// it may materialize a table source (Kafka's KTableSource.materialize).
	view func() (tableView[K, V], bool)
}

// Name returns the name of the node whose updates the table carries.
func (t *KTable[K, V]) Name() string { return t.name }

// StoreName returns the name of the table's store: Materialized.Name, or the generated name
// (Kafka's queryableStoreName returns null then; the store exists under that name all the
// same).
func (t *KTable[K, V]) StoreName() string { return t.storeName }

// Queryable reports whether Materialized named the store (Kafka's queryableStoreName != null).
func (t *KTable[K, V]) Queryable() bool { return t.queryable }

// ToStream returns the stream of the table's updates (Kafka's KTable.toStream; node
// KTABLE-TOSTREAM-%010d): a tombstone stays a tombstone. The stream keeps the table's serdes.
func (t *KTable[K, V]) ToStream(named ...Named) *KStream[K, V] {
	name := t.sb.nameOr("ToStream", named, toStreamPrefix)
	AddProcessor(t.sb.b, name, changeToValue[K, V](), t.name)
	return &KStream[K, V]{sb: t.sb, name: name, keys: t.keys, values: t.values}
}

// Count counts the records of each key (Kafka's KGroupedStream.count; node
// KSTREAM-AGGREGATE-%010d, store KSTREAM-AGGREGATE-STATE-STORE-%010d unless m names it).
// Records with a null key or no value are skipped, as in Kafka.
func Count[K, V any](g *KGroupedStream[K, V], m Materialized[K, int64], named ...Named) *KTable[K, int64] {
	return aggregate(g, "Count", aggregatePrefix, m, serde.Int64, named, func(_ K, _ V, agg int64, found bool) int64 {
		if !found {
			return 1
		}
		return agg + 1
	})
}

// Reduce combines the values of each key with reducer, the first value being the first
// aggregate (Kafka's KGroupedStream.reduce; node KSTREAM-REDUCE-%010d, store
// KSTREAM-REDUCE-STATE-STORE-%010d unless m names it). Records with a null key or no value
// are skipped.
func Reduce[K, V any](g *KGroupedStream[K, V], reducer func(agg, value V) V, m Materialized[K, V], named ...Named) *KTable[K, V] {
	if reducer == nil {
		g.sb.b.fail("Reduce on %q: nil reducer", g.name)
		reducer = func(agg, _ V) V { return agg }
	}
	return aggregate(g, "Reduce", reducePrefix, m, g.values, named, func(_ K, v V, agg V, found bool) V {
		if !found {
			return v
		}
		return reducer(agg, v)
	})
}

// Aggregate folds the values of each key into an aggregate: initializer gives the first one,
// aggregator the next from each record (Kafka's KGroupedStream.aggregate; node
// KSTREAM-AGGREGATE-%010d, store KSTREAM-AGGREGATE-STATE-STORE-%010d unless m names it).
// m.Values is required. Records with a null key or no value are skipped.
func Aggregate[K, V, VA any](g *KGroupedStream[K, V], initializer func() VA, aggregator func(key K, value V, agg VA) VA, m Materialized[K, VA], named ...Named) *KTable[K, VA] {
	if initializer == nil || aggregator == nil {
		g.sb.b.fail("Aggregate on %q: nil initializer or aggregator", g.name)
		return aggregate(g, "Aggregate", aggregatePrefix, m, nil, named, func(_ K, _ V, agg VA, _ bool) VA { return agg })
	}
	return aggregate(g, "Aggregate", aggregatePrefix, m, nil, named, func(k K, v V, agg VA, found bool) VA {
		if !found {
			agg = initializer()
		}
		return aggregator(k, v, agg)
	})
}

// setupAggregation does what every aggregation of a grouped stream does first, in Kafka's
// order of names: the store name (m's, else the supplier's, else generated), the processor
// name, then the repartition topic's (GroupedStreamAggregateBuilder.build); it returns them
// with the parent the processor reads and the store's serdes (m's, else the grouping's key
// serde and values).
func setupAggregation[K, V, VA any](g *KGroupedStream[K, V], op, prefix string, sup interface{ Name() string }, m Materialized[K, VA], values serde.Serde[VA], named []Named) (storeName string, queryable bool, name, parent string, keys serde.Serde[K], vals serde.Serde[VA]) {
	storeName = m.Name
	if storeName == "" && sup != nil {
		storeName = sup.Name()
	}
	queryable = storeName != ""
	if !queryable {
		storeName = g.sb.newName(prefix + storeSuffix)
	}
	name = g.sb.nameOr(op, named, prefix)
	parent = g.parentFor(op, storeName)
	keys, vals = g.keys, values
	if m.Keys != nil {
		keys = m.Keys
	}
	if m.Values != nil {
		vals = m.Values
	}
	return storeName, queryable, name, parent, keys, vals
}

// aggregate adds what every aggregation adds, in Kafka's order of names: the store name
// (generated only when m gives none), the processor name, then the repartition topic's.
func aggregate[K, V, VA any](g *KGroupedStream[K, V], op, prefix string, m Materialized[K, VA], values serde.Serde[VA], named []Named, apply func(K, V, VA, bool) VA) *KTable[K, VA] {
	storeName, queryable, name, parent, keys, values := setupAggregation(g, op, prefix, m.Supplier, m, values, named)
	sbld := m.storeBuilder(g.sb, op, storeName, keys, values)
	st := &tableState{storeName: storeName}
	AddProcessor(g.sb.b, name, func() processor.Processor[K, V, K, Change[VA]] {
		return &aggProc[K, V, VA]{st: st, apply: apply, f: tableForwarder[K, VA]{keys: keys, values: values}}
	}, parent)
	if sbld != nil {
		g.sb.b.AddStateStore(sbld, name)
	}
	return &KTable[K, VA]{sb: g.sb, name: name, storeName: storeName, queryable: queryable, keys: keys, values: values, st: st, view: storeView[K, VA](storeName)}
}

// aggProc is Kafka's KStreamAggregateProcessor and KStreamReduceProcessor: read the key's
// aggregate, apply the record, write it back, and forward the new aggregate (with the old
// one when old values are sent) — at once, or, when the store is cached, as the cache
// flushes it (Kafka's TimestampedCacheFlushListener).
type aggProc[K, V, VA any] struct {
	st    *tableState
	apply func(K, V, VA, bool) VA
	f     tableForwarder[K, VA]
}

func (p *aggProc[K, V, VA]) Init(ctx processor.Context[K, Change[VA]]) error {
	return p.f.init(ctx, p.st)
}

func (p *aggProc[K, V, VA]) Close() error { return nil }

// droppedRecorder is implemented by the task engine's processor contexts: DSL processors
// count the records they skip in the task's dropped-records metric.
type droppedRecorder interface{ RecordDropped() }

func (p *aggProc[K, V, VA]) Process(r processor.Record[K, V]) error {
	if !r.HasKey() || r.IsTombstone() {
		// Kafka skips them and counts them in dropped-records (KStreamAggregate: "Skipping
		// record due to null key or value").
		if d, ok := p.f.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	agg, found, err := p.f.store.Get(r.Key())
	if err != nil {
		return err
	}
	return putAndForward(&p.f, r, Change[VA]{New: p.apply(r.Key(), r.Value(), agg, found), HasNew: true, Old: agg, HasOld: found})
}
