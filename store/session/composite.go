package session

import (
	"errors"
	"math"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// Composite is a read-only view over several session stores with the same serdes, such as
// the instances of one store in an application's local tasks, for interactive queries (Kafka
// Streams' CompositeReadOnlySessionStore). Unlike Kafka's, its cursors are one sorted
// sequence: the stores' cursors are merged by composite key (kv.Merge), each store filtering
// its own expired sessions. A session lives in one task; if two stores had the same one, the
// first store's would win.
type Composite[K, AGG any] struct {
	stores []*Store[K, AGG]
}

// NewComposite returns a view over stores; it needs at least one.
func NewComposite[K, AGG any](stores []*Store[K, AGG]) (*Composite[K, AGG], error) {
	if len(stores) == 0 {
		return nil, errors.New("composite session store over no stores")
	}
	return &Composite[K, AGG]{stores: stores}, nil
}

// FetchSession returns the aggregate of the session [start, end] of key from the first store
// that has it.
func (c *Composite[K, AGG]) FetchSession(key K, start, end int64) (agg AGG, found bool, err error) {
	for _, s := range c.stores {
		if agg, found, err = s.FetchSession(key, start, end); err != nil || found {
			return agg, found, err
		}
	}
	return agg, false, nil
}

// FindSessions returns an ascending cursor over the sessions of key in every store that end
// at or after earliestSessionEnd and start at or before latestSessionStart.
func (c *Composite[K, AGG]) FindSessions(key K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("find-sessions", &key, &key, true, earliestSessionEnd, latestSessionStart, false)
}

// BackwardFindSessions is FindSessions in descending order.
func (c *Composite[K, AGG]) BackwardFindSessions(key K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("backward-find-sessions", &key, &key, true, earliestSessionEnd, latestSessionStart, true)
}

// FindSessionsKeyRange is FindSessions for the keys from fromKey to toKey (nil bounds open):
// FindSessionsKeyRange(nil, nil, from, to) is every session of every key in a time range.
func (c *Composite[K, AGG]) FindSessionsKeyRange(fromKey, toKey *K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("find-sessions", fromKey, toKey, false, earliestSessionEnd, latestSessionStart, false)
}

// BackwardFindSessionsKeyRange is FindSessionsKeyRange in descending order.
func (c *Composite[K, AGG]) BackwardFindSessionsKeyRange(fromKey, toKey *K, earliestSessionEnd, latestSessionStart int64) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("backward-find-sessions", fromKey, toKey, false, earliestSessionEnd, latestSessionStart, true)
}

// Fetch returns an ascending cursor over every session of key in every store.
func (c *Composite[K, AGG]) Fetch(key K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("fetch", &key, &key, true, math.MinInt64, math.MaxInt64, false)
}

// BackwardFetch is Fetch in descending order.
func (c *Composite[K, AGG]) BackwardFetch(key K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("backward-fetch", &key, &key, true, math.MinInt64, math.MaxInt64, true)
}

// FetchRange returns an ascending cursor over every session of the keys from fromKey to
// toKey in every store (nil bounds open).
func (c *Composite[K, AGG]) FetchRange(fromKey, toKey *K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("fetch", fromKey, toKey, false, math.MinInt64, math.MaxInt64, false)
}

// BackwardFetchRange is FetchRange in descending order.
func (c *Composite[K, AGG]) BackwardFetchRange(fromKey, toKey *K) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	return c.find("backward-fetch", fromKey, toKey, false, math.MinInt64, math.MaxInt64, true)
}

func (c *Composite[K, AGG]) find(op string, from, to *K, exact bool, earliestEnd, latestStart int64, reverse bool) (cursor.Cursor[serde.Windowed[K], AGG], error) {
	s0 := c.stores[0]
	q, err := s0.rangeQuery(op, from, to, earliestEnd, latestStart)
	if err != nil {
		return nil, err
	}
	q.exact = exact
	if q.empty() {
		return cursor.Empty[serde.Windowed[K], AGG](), nil
	}
	cs := make([]kv.Bytes, 0, len(c.stores))
	for _, s := range c.stores {
		bc, err := s.rawFind(op, q, reverse)
		if err != nil {
			for _, o := range cs {
				_ = o.Close()
			}
			return nil, err
		}
		cs = append(cs, bc)
	}
	return s0.typed(op, kv.Merge(cs, reverse)), nil
}
