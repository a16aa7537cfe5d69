package window

import (
	"errors"
	"fmt"
	"math"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// Composite is a read-only view over several window stores with the same serdes and window
// size, such as the instances of one store in an application's local tasks (Kafka Streams'
// CompositeReadOnlyWindowStore), for interactive queries. Unlike Kafka's, its cursors are
// one sorted sequence: the stores' cursors are merged by store key (each key lives in one
// task, so there are no duplicates; if there were, the first store's item would win), so
// Fetch is in window-start order and the key ranges in store-key order, as one store's.
type Composite[K, V any] struct {
	stores []*Store[K, V]
}

// NewComposite returns a view over stores; it needs at least one, and they must have the
// same window size.
func NewComposite[K, V any](stores []*Store[K, V]) (*Composite[K, V], error) {
	if len(stores) == 0 {
		return nil, errors.New("window: composite store over no stores")
	}
	for _, s := range stores[1:] {
		if s.codec.sizeMs != stores[0].codec.sizeMs {
			return nil, fmt.Errorf("window: composite store over stores of window sizes %v (%s) and %v (%s)",
				stores[0].opts.WindowSize, stores[0].Name(), s.opts.WindowSize, s.Name())
		}
	}
	return &Composite[K, V]{stores: stores}, nil
}

// Get returns the value of key in the window that starts at windowStart in the first store
// that has it (Kafka's CompositeReadOnlyWindowStore.fetch(key, time)).
func (c *Composite[K, V]) Get(key K, windowStart int64) (value V, found bool, err error) {
	for _, s := range c.stores {
		if value, found, err = s.Get(key, windowStart); err != nil || found {
			return value, found, err
		}
	}
	return value, false, nil
}

// Fetch returns a cursor over the windows of key that start in [timeFrom, timeTo] in every
// store, in window-start order.
func (c *Composite[K, V]) Fetch(key K, timeFrom, timeTo int64) (cursor.Cursor[int64, V], error) {
	return c.fetch("fetch", key, timeFrom, timeTo, false)
}

// BackwardFetch is Fetch in reverse order.
func (c *Composite[K, V]) BackwardFetch(key K, timeFrom, timeTo int64) (cursor.Cursor[int64, V], error) {
	return c.fetch("backward-fetch", key, timeFrom, timeTo, true)
}

// FetchKeyRange returns a cursor over the windows of the keys in [fromKey, toKey] (nil bounds
// are open) that start in [timeFrom, timeTo] in every store, in store-key order.
func (c *Composite[K, V]) FetchKeyRange(fromKey, toKey *K, timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return c.fetchRange("fetch-key-range", fromKey, toKey, timeFrom, timeTo, false)
}

// BackwardFetchKeyRange is FetchKeyRange in reverse order.
func (c *Composite[K, V]) BackwardFetchKeyRange(fromKey, toKey *K, timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return c.fetchRange("backward-fetch-key-range", fromKey, toKey, timeFrom, timeTo, true)
}

// FetchAll returns a cursor over the windows of every key that start in [timeFrom, timeTo]
// in every store, in store-key order.
func (c *Composite[K, V]) FetchAll(timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return c.fetchRange("fetch-all", nil, nil, timeFrom, timeTo, false)
}

// BackwardFetchAll is FetchAll in reverse order.
func (c *Composite[K, V]) BackwardFetchAll(timeFrom, timeTo int64) (cursor.Cursor[serde.Windowed[K], V], error) {
	return c.fetchRange("backward-fetch-all", nil, nil, timeFrom, timeTo, true)
}

// All returns a cursor over every live window of every store, in store-key order.
func (c *Composite[K, V]) All() (cursor.Cursor[serde.Windowed[K], V], error) {
	return c.fetchRange("all", nil, nil, 0, math.MaxInt64, false)
}

// BackwardAll is All in reverse order.
func (c *Composite[K, V]) BackwardAll() (cursor.Cursor[serde.Windowed[K], V], error) {
	return c.fetchRange("backward-all", nil, nil, 0, math.MaxInt64, true)
}

func (c *Composite[K, V]) fetch(op string, key K, timeFrom, timeTo int64, reverse bool) (cursor.Cursor[int64, V], error) {
	s0 := c.stores[0]
	kb, err := s0.codec.rawKey(op, key)
	if err != nil {
		return nil, err
	}
	m, err := c.merge(query{op: op, single: true, key: kb, timeFrom: timeFrom, timeTo: timeTo, reverse: reverse})
	if err != nil {
		return nil, err
	}
	return &startCursor[K, V]{in: m, codec: &s0.codec, op: op}, nil
}

func (c *Composite[K, V]) fetchRange(op string, fromKey, toKey *K, timeFrom, timeTo int64, reverse bool) (cursor.Cursor[serde.Windowed[K], V], error) {
	s0 := c.stores[0]
	q, err := s0.codec.rangeQuery(op, fromKey, toKey, timeFrom, timeTo, reverse)
	if err != nil {
		return nil, err
	}
	m, err := c.merge(q)
	if err != nil {
		return nil, err
	}
	return &windowedCursor[K, V]{in: m, codec: &s0.codec, op: op}, nil
}

// merge opens q on every store and merges the filtered store-key cursors.
func (c *Composite[K, V]) merge(q query) (kv.Bytes, error) {
	cs := make([]kv.Bytes, 0, len(c.stores))
	for _, s := range c.stores {
		bc, err := s.rangeBytes(q, new(filterCursor))
		if err != nil {
			for _, bc := range cs {
				_ = bc.Close()
			}
			return nil, err
		}
		cs = append(cs, bc)
	}
	if len(cs) == 1 {
		return cs[0], nil
	}
	return kv.Merge(cs, q.reverse), nil
}
