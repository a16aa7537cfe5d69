package kv

import (
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
)

// KeyValue is a key-value pair (Kafka Streams' KeyValue).
type KeyValue[K, V any] = cursor.KeyValue[K, V]

// Store is a typed key-value store (Kafka Streams' KeyValueStore): keys and values go through
// serdes to an [Engine]. Ranges are in serialized-key byte order, as in Kafka Streams: with
// [serde.Int64] keys, for example, negative numbers sort after positive ones.
//
// A Store is safe for concurrent use when its engine is (all of Tributary's are). Every error
// it returns is a *store.Error naming the store and the operation.
type Store[K, V any] struct {
	engine Engine
	keys   serde.Serde[K]
	values serde.Serde[V]
	topic  string
	// owning is the engine as an OwningPutter when the value serde's output can be handed
	// over (serde.SerializesFresh), else nil.
	owning OwningPutter
	// view is the key serde as a serde.Viewer, or nil: engines copy what they keep, so a
	// key's bytes need not be copied to be looked up or written.
	view serde.Viewer[K]
}

// Option configures a [Store].
type Option func(*options)

type options struct {
	topic string
}

// SerdeTopic sets the topic name passed to the serdes. Kafka Streams passes the store's
// changelog topic; the default is the store's name.
func SerdeTopic(topic string) Option {
	return func(o *options) { o.topic = topic }
}

// New returns a typed store over engine.
func New[K, V any](engine Engine, keys serde.Serde[K], values serde.Serde[V], opts ...Option) *Store[K, V] {
	o := options{topic: engine.Name()}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Store[K, V]{engine: engine, keys: keys, values: values, topic: o.topic}
	s.view, _ = keys.(serde.Viewer[K])
	if op, ok := engine.(OwningPutter); ok && serde.SerializesFresh[V](values) {
		s.owning = op
	}
	return s
}

func (s *Store[K, V]) fail(op string, err error) error {
	return &store.Error{Store: s.engine.Name(), Op: op, Err: err}
}

// Engine returns the engine under the store.
func (s *Store[K, V]) Engine() Engine { return s.engine }

// Name returns the store's name.
func (s *Store[K, V]) Name() string { return s.engine.Name() }

// Persistent reports whether the engine keeps its data on disk.
func (s *Store[K, V]) Persistent() bool { return s.engine.Persistent() }

// IsOpen reports whether the store is open.
func (s *Store[K, V]) IsOpen() bool { return s.engine.IsOpen() }

// Flush makes the writes so far durable, where the engine is persistent.
func (s *Store[K, V]) Flush() error { return s.engine.Flush() }

// Close closes the store and invalidates its open cursors. It is idempotent.
func (s *Store[K, V]) Close() error { return s.engine.Close() }

// ApproximateNumEntries returns an estimate of the number of keys.
func (s *Store[K, V]) ApproximateNumEntries() (int64, error) {
	return s.engine.ApproximateNumEntries()
}

func (s *Store[K, V]) key(op string, k K) ([]byte, error) {
	var b []byte
	var err error
	if s.view != nil {
		b, err = s.view.View(s.topic, k)
	} else {
		b, err = s.keys.Serialize(s.topic, k)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	if b == nil {
		b = []byte{} // nil means an open bound to the engine
	}
	return b, nil
}

func (s *Store[K, V]) value(op string, b []byte) (V, error) {
	v, err := s.values.Deserialize(s.topic, b)
	if err != nil {
		return v, s.fail(op, err)
	}
	return v, nil
}

// Get returns the value of key and whether it exists.
func (s *Store[K, V]) Get(key K) (value V, found bool, err error) {
	kb, err := s.key("get", key)
	if err != nil {
		return value, false, err
	}
	vb, ok, err := s.engine.Get(kb)
	if err != nil || !ok {
		return value, false, err
	}
	value, err = s.value("get", vb)
	return value, err == nil, err
}

// Put writes value at key.
func (s *Store[K, V]) Put(key K, value V) error {
	kb, err := s.key("put", key)
	if err != nil {
		return err
	}
	vb, err := s.values.Serialize(s.topic, value)
	if err != nil {
		return s.fail("put", err)
	}
	if s.owning != nil && vb != nil {
		return s.owning.PutOwned(kb, vb)
	}
	return s.engine.Put(kb, vb)
}

// PutIfAbsent writes value at key only if key is absent. If key exists it writes nothing and
// returns the existing value with found=true (Kafka Streams' putIfAbsent).
func (s *Store[K, V]) PutIfAbsent(key K, value V) (existing V, found bool, err error) {
	kb, err := s.key("put-if-absent", key)
	if err != nil {
		return existing, false, err
	}
	vb, err := s.values.Serialize(s.topic, value)
	if err != nil {
		return existing, false, s.fail("put-if-absent", err)
	}
	old, found, err := s.engine.PutIfAbsent(kb, vb)
	if err != nil || !found {
		return existing, false, err
	}
	existing, err = s.value("put-if-absent", old)
	return existing, true, err
}

// PutAll writes every entry, in order, as one batch (atomic on persistent engines).
func (s *Store[K, V]) PutAll(entries []KeyValue[K, V]) error {
	batch := make([]Entry, len(entries))
	for i, e := range entries {
		kb, err := s.key("put-all", e.Key)
		if err != nil {
			return err
		}
		vb, err := s.values.Serialize(s.topic, e.Value)
		if err != nil {
			return s.fail("put-all", err)
		}
		batch[i] = Entry{Key: kb, Value: vb}
	}
	return s.engine.Write(batch)
}

// Delete removes key and returns the value it had, if any.
func (s *Store[K, V]) Delete(key K) (old V, found bool, err error) {
	kb, err := s.key("delete", key)
	if err != nil {
		return old, false, err
	}
	ob, found, err := s.engine.Delete(kb)
	if err != nil || !found {
		return old, false, err
	}
	old, err = s.value("delete", ob)
	return old, true, err
}

// Range returns an ascending cursor over the keys from from to to, both inclusive, in
// serialized-key byte order. A nil bound is open (KIP-763): Range(nil, nil) is All. If from is
// greater than to the cursor is empty. Go 1.26 lets you write bounds inline: Range(new("a"), nil).
func (s *Store[K, V]) Range(from, to *K) (cursor.Cursor[K, V], error) {
	return s.rangeCursor("range", from, to, false)
}

// ReverseRange is Range in descending key order.
func (s *Store[K, V]) ReverseRange(from, to *K) (cursor.Cursor[K, V], error) {
	return s.rangeCursor("reverse-range", from, to, true)
}

// All returns an ascending cursor over every key.
func (s *Store[K, V]) All() (cursor.Cursor[K, V], error) {
	return s.rangeCursor("all", nil, nil, false)
}

// ReverseAll returns a descending cursor over every key.
func (s *Store[K, V]) ReverseAll() (cursor.Cursor[K, V], error) {
	return s.rangeCursor("reverse-all", nil, nil, true)
}

func (s *Store[K, V]) rangeCursor(op string, from, to *K, reverse bool) (cursor.Cursor[K, V], error) {
	var fb, tb []byte
	var err error
	if from != nil {
		if fb, err = s.key(op, *from); err != nil {
			return nil, err
		}
	}
	if to != nil {
		if tb, err = s.key(op, *to); err != nil {
			return nil, err
		}
	}
	c, err := s.engine.Range(fb, tb, reverse)
	if err != nil {
		return nil, err
	}
	return &typedCursor[K, V]{inner: c, s: s, op: op}, nil
}

// PrefixScan returns an ascending cursor over the keys whose serialized form starts with the
// serialized prefix (Kafka Streams' prefixScan with the store's own key serializer). To scan
// with a prefix of another type, use [PrefixScanWith].
func (s *Store[K, V]) PrefixScan(prefix K) (cursor.Cursor[K, V], error) {
	return PrefixScanWith(s, prefix, s.keys)
}

// PrefixScanWith returns an ascending cursor over the keys of s whose serialized form starts
// with prefix serialized by ser (Kafka Streams' prefixScan(prefix, prefixKeySerializer)).
func PrefixScanWith[K, V, P any](s *Store[K, V], prefix P, ser serde.Serializer[P]) (cursor.Cursor[K, V], error) {
	pb, err := ser.Serialize(s.topic, prefix)
	if err != nil {
		return nil, s.fail("prefix-scan", err)
	}
	c, err := s.engine.PrefixScan(pb)
	if err != nil {
		return nil, err
	}
	return &typedCursor[K, V]{inner: c, s: s, op: "prefix-scan"}, nil
}

// typedCursor deserializes the engine cursor's items.
type typedCursor[K, V any] struct {
	inner Bytes
	s     *Store[K, V]
	op    string
	k     K
	v     V
	err   error
}

func (c *typedCursor[K, V]) Next() bool {
	var zk K
	var zv V
	c.k, c.v = zk, zv
	if c.err != nil || !c.inner.Next() {
		return false
	}
	k, err := c.s.keys.Deserialize(c.s.topic, c.inner.Key())
	if err != nil {
		c.err = c.s.fail(c.op, err)
		return false
	}
	v, err := c.s.values.Deserialize(c.s.topic, c.inner.Value())
	if err != nil {
		c.err = c.s.fail(c.op, err)
		return false
	}
	c.k, c.v = k, v
	return true
}

func (c *typedCursor[K, V]) Key() K   { return c.k }
func (c *typedCursor[K, V]) Value() V { return c.v }

func (c *typedCursor[K, V]) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.inner.Err()
}

func (c *typedCursor[K, V]) Close() error {
	var zk K
	var zv V
	c.k, c.v = zk, zv
	err := c.inner.Close()
	if c.err != nil {
		return c.err
	}
	return err
}
