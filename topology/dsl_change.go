package topology

import (
	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// This file holds what travels between the nodes of a KTable: Change, a key's new value and,
// when an operation downstream needs it, its old value (Kafka Streams' Change and
// KTableImpl.enableSendingOldValues), and the forwarding of table nodes with or without a
// record cache (Kafka's TimestampedTupleForwarder).

// Change is a KTable update as table nodes forward it to each other (Kafka Streams' Change):
// the key's new value, absent when the key is deleted, and its old value, present only when
// the key had one and an operation downstream asked for old values (KTable.GroupBy, joins).
// Users meet it only when they attach Processor-API nodes to a KTable's node
// (KTable.Name()); KTable.ToStream turns it back into plain records.
type Change[V any] struct {
	New V
	Old V
	// HasNew is false for a delete (Kafka's newValue == null); HasOld is false when the key
	// had no value or old values are not sent (oldValue == null).
	HasNew bool
	HasOld bool
}

// tableState is the part of a KTable that operations added after it can change, and that
// its node's supplier reads when tasks are created, after every DSL call: whether it sends
// old values (Kafka's sendOldValues) and whether its store exists.
type tableState struct {
	sendOldValues bool
	// enable is the node's own part of Kafka's enableSendingOldValues(forceMaterialization):
	// nil when the node can always send them (it has a store), else a function reporting
	// whether it can (asking its parent, or materializing a table source when forced).
	enable func(force bool) bool
	// storeName is the node's store, "" while it has none (a table source can get one
	// later, when forced to send old values).
	storeName string
}

// enableSendingOldValues asks the table to forward old values, materializing its source
// when force is set and nothing else gives them; it reports whether the table will (Kafka's
// KTableImpl.enableSendingOldValues).
func (t *KTable[K, V]) enableSendingOldValues(force bool) bool {
	if t.st.sendOldValues {
		return true
	}
	if t.st.enable != nil && !t.st.enable(force) {
		return false
	}
	t.st.sendOldValues = true
	return true
}

// tableForwarder writes a table node's updates to its store, when it has one, and forwards
// them: at once, or, when the store has a record cache, as the cache flushes them (Kafka's
// TimestampedTupleForwarder with TimestampedCacheFlushListener). Old values are forwarded
// only when sendOld is set.
type tableForwarder[K, V any] struct {
	ctx       processor.Context[K, Change[V]]
	storeName string
	keys      serde.Serde[K]
	values    serde.Serde[V]
	store     *kv.Store[K, V] // nil when the node has no store
	cached    bool
	sendOld   bool
}

// init opens the store, if any, and registers the cache's flush listener.
func (f *tableForwarder[K, V]) init(ctx processor.Context[K, Change[V]], st *tableState) error {
	f.ctx, f.sendOld, f.storeName = ctx, st.sendOldValues, st.storeName
	if f.storeName == "" {
		return nil
	}
	s, err := processor.KeyValueStore[K, V](ctx, f.storeName)
	if err != nil {
		return err
	}
	f.store = s
	if ce, ok := kv.Find[*changelog.CachedEngine](s.Engine()); ok {
		f.cached = true
		ce.SetFlushListener(f.flushed, f.sendOld)
	}
	return nil
}

// flushed forwards an entry the cache writes to the store.
func (f *tableForwarder[K, V]) flushed(e changelog.FlushedEntry) error {
	k, err := f.keys.Deserialize(f.storeName, e.Key)
	if err != nil {
		return err
	}
	var c Change[V]
	if e.NewValue != nil {
		if c.New, err = f.values.Deserialize(f.storeName, e.NewValue); err != nil {
			return err
		}
		c.HasNew = true
	}
	if f.sendOld && e.OldValue != nil {
		if c.Old, err = f.values.Deserialize(f.storeName, e.OldValue); err != nil {
			return err
		}
		c.HasOld = true
	}
	hdr, _ := e.Context.Headers.(processor.Headers)
	r := processor.MakeRecord(k, true, c, true, e.Context.Timestamp, hdr)
	return forwardWithContext(f.ctx, e.Context, func() error { return f.ctx.Forward(r) })
}

// metadataSetter is implemented by the task engine's processor contexts (WithRecordMetadata).
type metadataSetter interface {
	WithRecordMetadata(md processor.RecordMetadata, fn func() error) error
}

// forwardWithContext runs forward with the flushed entry's record metadata as the current
// record's, as Kafka's cache flush listeners set the entry's record context.
func forwardWithContext(ctx any, rc changelog.RecordContext, forward func() error) error {
	if ms, ok := ctx.(metadataSetter); ok && rc.Topic != "" {
		return ms.WithRecordMetadata(processor.RecordMetadata{Topic: rc.Topic, Partition: rc.Partition, Offset: rc.Offset}, forward)
	}
	return forward()
}

// put writes c's new value to the store (a delete when it has none), if the node has a
// store, and forwards c unless the cache will.
func putAndForward[K, VIn, V any](f *tableForwarder[K, V], r processor.Record[K, VIn], c Change[V]) error {
	if f.store != nil {
		var err error
		if c.HasNew {
			err = f.store.Put(r.Key(), c.New)
		} else {
			_, _, err = f.store.Delete(r.Key())
		}
		if err != nil {
			return err
		}
		if f.cached {
			return nil
		}
	}
	if !f.sendOld {
		var zero V
		c.Old, c.HasOld = zero, false
	}
	return f.ctx.Forward(processor.Revalue(r, c))
}

// old returns the store's value for key, when old values are sent and the node has a store.
func (f *tableForwarder[K, V]) old(key K) (V, bool, error) {
	var zero V
	if !f.sendOld || f.store == nil {
		return zero, false, nil
	}
	return f.store.Get(key)
}

// changeToValue is KTable.ToStream's processor: the new value, or a tombstone (Kafka's
// KStreamMapValues(change -> change.newValue)).
func changeToValue[K, V any]() processor.Supplier[K, Change[V], K, V] {
	return processor.Func(func(ctx processor.Context[K, V], r processor.Record[K, Change[V]]) error {
		c := r.Value()
		if c.HasNew {
			return ctx.Forward(processor.Revalue(r, c.New))
		}
		return ctx.Forward(processor.RevalueTombstone[V](r))
	})
}
