package window

import (
	"bytes"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// codec turns typed keys and values into bytes and back, for a store and for a composite
// over stores.
type codec[K, V any] struct {
	name   string // the store's name, in errors
	topic  string // the topic given to the serdes
	keys   serde.Serde[K]
	values serde.Serde[V]
	view   serde.Viewer[K] // keys as a Viewer, or nil
	sizeMs int64
}

func newCodec[K, V any](name, topic string, keys serde.Serde[K], values serde.Serde[V], sizeMs int64) codec[K, V] {
	c := codec[K, V]{name: name, topic: topic, keys: keys, values: values, sizeMs: sizeMs}
	c.view, _ = keys.(serde.Viewer[K])
	return c
}

func (c *codec[K, V]) fail(op string, err error) error {
	return &store.Error{Store: c.name, Op: op, Err: err}
}

// rawKey serializes a record key; the bytes may be a view of k (store keys copy them).
func (c *codec[K, V]) rawKey(op string, k K) ([]byte, error) {
	var b []byte
	var err error
	if c.view != nil {
		b, err = c.view.View(c.topic, k)
	} else {
		b, err = c.keys.Serialize(c.topic, k)
	}
	if err != nil {
		return nil, c.fail(op, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func (c *codec[K, V]) value(op string, b []byte) (V, error) {
	v, err := c.values.Deserialize(c.topic, b)
	if err != nil {
		return v, c.fail(op, err)
	}
	return v, nil
}

// rangeQuery serializes the key bounds of a key-range read.
func (c *codec[K, V]) rangeQuery(op string, fromKey, toKey *K, timeFrom, timeTo int64, reverse bool) (query, error) {
	q := query{op: op, timeFrom: timeFrom, timeTo: timeTo, reverse: reverse}
	var err error
	if fromKey != nil {
		if q.fromKey, err = c.rawKey(op, *fromKey); err != nil {
			return q, err
		}
	}
	if toKey != nil {
		if q.toKey, err = c.rawKey(op, *toKey); err != nil {
			return q, err
		}
	}
	return q, nil
}

// filterCursor passes on the items of a byte-range cursor over store keys that match a
// query: the record key (equal to the fetched key, or within the key range) and the window
// start (within [from, q.timeTo]), as Kafka's WindowKeySchema.hasNextCondition. A store key
// too short to decode fails the cursor with ErrMalformedKey.
type filterCursor struct {
	in   kv.Bytes
	q    query
	from int64
	name string
	err  error
}

func (c *filterCursor) Next() bool {
	if c.err != nil {
		return false
	}
	for c.in.Next() {
		k, ts, _, err := DecodeStoreKey(c.in.Key())
		if err != nil {
			c.err = &store.Error{Store: c.name, Op: c.q.op, Err: err}
			return false
		}
		if ts < c.from || ts > c.q.timeTo {
			continue
		}
		if c.q.single {
			if !bytes.Equal(k, c.q.key) {
				continue
			}
		} else if (c.q.fromKey != nil && bytes.Compare(k, c.q.fromKey) < 0) || (c.q.toKey != nil && bytes.Compare(k, c.q.toKey) > 0) {
			continue
		}
		return true
	}
	return false
}

func (c *filterCursor) Key() []byte {
	if c.err != nil {
		return nil
	}
	return c.in.Key()
}

func (c *filterCursor) Value() []byte {
	if c.err != nil {
		return nil
	}
	return c.in.Value()
}

func (c *filterCursor) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.in.Err()
}

func (c *filterCursor) Close() error {
	err := c.in.Close()
	if c.err != nil {
		return c.err
	}
	return err
}

// startCursor is the typed cursor of a single-key fetch: keys are window starts (Kafka's
// WindowStoreIterator).
type startCursor[K, V any] struct {
	in     kv.Bytes
	filter filterCursor // in, when it reads one store
	codec  *codec[K, V]
	op     string
	start  int64
	v      V
	err    error
}

func (c *startCursor[K, V]) Next() bool {
	var zv V
	c.start, c.v = 0, zv
	if c.err != nil || !c.in.Next() {
		return false
	}
	_, ts, _, err := DecodeStoreKey(c.in.Key())
	if err != nil {
		c.err = c.codec.fail(c.op, err)
		return false
	}
	v, err := c.codec.values.Deserialize(c.codec.topic, c.in.Value())
	if err != nil {
		c.err = c.codec.fail(c.op, err)
		return false
	}
	c.start, c.v = ts, v
	return true
}

func (c *startCursor[K, V]) Key() int64 { return c.start }
func (c *startCursor[K, V]) Value() V   { return c.v }

func (c *startCursor[K, V]) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.in.Err()
}

func (c *startCursor[K, V]) Close() error {
	var zv V
	c.start, c.v = 0, zv
	err := c.in.Close()
	if c.err != nil {
		return c.err
	}
	return err
}

// windowedCursor is the typed cursor of key-range reads: keys carry their window.
type windowedCursor[K, V any] struct {
	in     kv.Bytes
	filter filterCursor // in, when it reads one store
	codec  *codec[K, V]
	op     string
	k      serde.Windowed[K]
	v      V
	err    error
}

func (c *windowedCursor[K, V]) Next() bool {
	var zk serde.Windowed[K]
	var zv V
	c.k, c.v = zk, zv
	if c.err != nil || !c.in.Next() {
		return false
	}
	kb, ts, _, err := DecodeStoreKey(c.in.Key())
	if err != nil {
		c.err = c.codec.fail(c.op, err)
		return false
	}
	k, err := c.codec.keys.Deserialize(c.codec.topic, kb)
	if err != nil {
		c.err = c.codec.fail(c.op, err)
		return false
	}
	v, err := c.codec.values.Deserialize(c.codec.topic, c.in.Value())
	if err != nil {
		c.err = c.codec.fail(c.op, err)
		return false
	}
	c.k = serde.Windowed[K]{Key: k, Start: ts, End: endMs(ts, c.codec.sizeMs)}
	c.v = v
	return true
}

func (c *windowedCursor[K, V]) Key() serde.Windowed[K] { return c.k }
func (c *windowedCursor[K, V]) Value() V               { return c.v }

func (c *windowedCursor[K, V]) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.in.Err()
}

func (c *windowedCursor[K, V]) Close() error {
	var zk serde.Windowed[K]
	var zv V
	c.k, c.v = zk, zv
	err := c.in.Close()
	if c.err != nil {
		return c.err
	}
	return err
}
