package kv

import (
	"bytes"
	"errors"

	"github.com/tributary-go/tributary/cursor"
)

// Composite is a read-only view over several stores with the same serdes, such as the
// instances of one store in an application's local tasks (Kafka Streams'
// CompositeReadOnlyKeyValueStore). Unlike Kafka's, its ranges are one sorted sequence: the
// stores' cursors are merged by serialized key (each key lives in one task, so there are no
// duplicates; if there were, the first store's entry would win).
type Composite[K, V any] struct {
	stores []*Store[K, V]
}

// NewComposite returns a view over stores; it needs at least one.
func NewComposite[K, V any](stores []*Store[K, V]) (*Composite[K, V], error) {
	if len(stores) == 0 {
		return nil, errors.New("composite store over no stores")
	}
	return &Composite[K, V]{stores: stores}, nil
}

// Get returns the value of key in the first store that has it.
func (c *Composite[K, V]) Get(key K) (value V, found bool, err error) {
	for _, s := range c.stores {
		if value, found, err = s.Get(key); err != nil || found {
			return value, found, err
		}
	}
	return value, false, nil
}

// ApproximateNumEntries returns the sum of the stores' estimates.
func (c *Composite[K, V]) ApproximateNumEntries() (int64, error) {
	var n int64
	for _, s := range c.stores {
		m, err := s.ApproximateNumEntries()
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// Range returns an ascending cursor over [from, to] in every store (nil bounds are open).
func (c *Composite[K, V]) Range(from, to *K) (cursor.Cursor[K, V], error) {
	return c.merge("range", false, func(s *Store[K, V], fb, tb []byte) (Bytes, error) { return s.engine.Range(fb, tb, false) }, from, to)
}

// ReverseRange returns a descending cursor over [from, to] in every store.
func (c *Composite[K, V]) ReverseRange(from, to *K) (cursor.Cursor[K, V], error) {
	return c.merge("reverse-range", true, func(s *Store[K, V], fb, tb []byte) (Bytes, error) { return s.engine.Range(fb, tb, true) }, from, to)
}

// All returns an ascending cursor over every key of every store.
func (c *Composite[K, V]) All() (cursor.Cursor[K, V], error) { return c.Range(nil, nil) }

// ReverseAll returns a descending cursor over every key of every store.
func (c *Composite[K, V]) ReverseAll() (cursor.Cursor[K, V], error) { return c.ReverseRange(nil, nil) }

// PrefixScan returns an ascending cursor over the keys of every store whose serialized form
// starts with the serialized prefix.
func (c *Composite[K, V]) PrefixScan(prefix K) (cursor.Cursor[K, V], error) {
	pb, err := c.stores[0].key("prefix-scan", prefix)
	if err != nil {
		return nil, err
	}
	return c.merge("prefix-scan", false, func(s *Store[K, V], _, _ []byte) (Bytes, error) { return s.engine.PrefixScan(pb) }, nil, nil)
}

func (c *Composite[K, V]) merge(op string, reverse bool, open func(s *Store[K, V], fb, tb []byte) (Bytes, error), from, to *K) (cursor.Cursor[K, V], error) {
	s0 := c.stores[0]
	var fb, tb []byte
	var err error
	if from != nil {
		if fb, err = s0.key(op, *from); err != nil {
			return nil, err
		}
	}
	if to != nil {
		if tb, err = s0.key(op, *to); err != nil {
			return nil, err
		}
	}
	m := &mergeCursor{reverse: reverse}
	for _, s := range c.stores {
		bc, err := open(s, fb, tb)
		if err != nil {
			_ = m.Close()
			return nil, err
		}
		m.in = append(m.in, mergeInput{c: bc})
	}
	return &typedCursor[K, V]{inner: m, s: s0, op: op}, nil
}

// Merge returns a cursor over the items of cursors, each sorted by key (descending if
// reverse), merged into one sorted sequence; of equal keys the first cursor's item is kept.
// Closing it closes them all; one failing fails it. It takes ownership of the cursors.
func Merge(cursors []Bytes, reverse bool) Bytes {
	m := &mergeCursor{reverse: reverse}
	for _, c := range cursors {
		m.in = append(m.in, mergeInput{c: c})
	}
	return m
}

// mergeCursor merges sorted byte cursors.
type mergeCursor struct {
	cursor.State
	in      []mergeInput
	reverse bool
	started bool
	cur     int
}

type mergeInput struct {
	c    Bytes
	ok   bool
	done bool
}

func (m *mergeCursor) Next() bool {
	if !m.Usable() {
		return false
	}
	if !m.started {
		m.started = true
		for i := range m.in {
			m.advance(i)
		}
	} else if m.cur >= 0 {
		m.advance(m.cur)
	}
	m.cur = -1
	if !m.Usable() {
		return false
	}
	for i := range m.in {
		if !m.in[i].ok {
			continue
		}
		if m.cur < 0 {
			m.cur = i
			continue
		}
		c := bytes.Compare(m.in[i].c.Key(), m.in[m.cur].c.Key())
		if (c < 0 && !m.reverse) || (c > 0 && m.reverse) {
			m.cur = i
		}
	}
	if m.cur < 0 {
		return false
	}
	// Skip the same key in the other inputs (the first store wins).
	for i := range m.in {
		if i != m.cur && m.in[i].ok && bytes.Equal(m.in[i].c.Key(), m.in[m.cur].c.Key()) {
			m.advance(i)
		}
	}
	return m.Usable()
}

func (m *mergeCursor) advance(i int) {
	in := &m.in[i]
	if in.done {
		in.ok = false
		return
	}
	in.ok = in.c.Next()
	if !in.ok {
		in.done = true
		if err := in.c.Err(); err != nil {
			m.Fail(err) // one input failing fails the merge
		}
	}
}

func (m *mergeCursor) Key() []byte {
	if m.cur < 0 || !m.started {
		return nil
	}
	return m.in[m.cur].c.Key()
}

func (m *mergeCursor) Value() []byte {
	if m.cur < 0 || !m.started {
		return nil
	}
	return m.in[m.cur].c.Value()
}

func (m *mergeCursor) Close() error {
	if m.MarkClosed() {
		for i := range m.in {
			if err := m.in[i].c.Close(); err != nil {
				m.Fail(err)
			}
		}
	}
	return m.Err()
}
