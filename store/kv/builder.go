package kv

import (
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
)

// Supplier opens engines of one kind under one store name (Kafka Streams'
// KeyValueBytesStoreSupplier). [InMemorySupplier] and [LRUSupplier] are here;
// rocksdb.Supplier is the persistent one.
type Supplier interface {
	// Name returns the store name.
	Name() string
	// Persistent reports whether the engines keep their data on disk.
	Persistent() bool
	// Open opens a new engine; dir is the task's directory for persistent stores.
	Open(dir string) (Engine, error)
}

// InMemorySupplier supplies in-memory sorted engines (Kafka's Stores.inMemoryKeyValueStore).
func InMemorySupplier(name string) Supplier { return memSupplier{name} }

type memSupplier struct{ name string }

func (s memSupplier) Name() string                { return s.name }
func (s memSupplier) Persistent() bool            { return false }
func (s memSupplier) Open(string) (Engine, error) { return NewMemory(s.name), nil }

// LRUSupplier supplies LRU engines holding at most maxEntries entries (Kafka's
// Stores.lruMap).
func LRUSupplier(name string, maxEntries int) Supplier { return lruSupplier{name, maxEntries} }

type lruSupplier struct {
	name string
	max  int
}

func (s lruSupplier) Name() string                { return s.name }
func (s lruSupplier) Persistent() bool            { return false }
func (s lruSupplier) Open(string) (Engine, error) { return NewLRU(s.name, s.max) }

// Builder builds typed key-value stores over a supplier's engines (Kafka Streams'
// Stores.keyValueStoreBuilder). It implements store.Builder.
type Builder[K, V any] struct {
	supplier Supplier
	keys     serde.Serde[K]
	values   serde.Serde[V]
	opts     []Option
}

// NewBuilder returns a builder of stores over supplier's engines with these serdes.
func NewBuilder[K, V any](supplier Supplier, keys serde.Serde[K], values serde.Serde[V], opts ...Option) *Builder[K, V] {
	return &Builder[K, V]{supplier: supplier, keys: keys, values: values, opts: opts}
}

// Name returns the store name.
func (b *Builder[K, V]) Name() string { return b.supplier.Name() }

// Persistent reports whether the stores keep their data on disk.
func (b *Builder[K, V]) Persistent() bool { return b.supplier.Persistent() }

// Build opens a new store; it returns a *Store[K, V].
func (b *Builder[K, V]) Build(dir string) (store.StateStore, error) {
	e, err := b.supplier.Open(dir)
	if err != nil {
		return nil, err
	}
	return New(e, b.keys, b.values, b.opts...), nil
}
