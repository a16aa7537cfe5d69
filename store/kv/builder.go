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
//
// Stores are logged to a changelog topic by default and not cached, as Kafka Streams'
// builders; WithLoggingDisabled, WithLoggingEnabled and WithCachingEnabled change that.
type Builder[K, V any] struct {
	supplier Supplier
	keys     serde.Serde[K]
	values   serde.Serde[V]
	opts     []Option
	noLog    bool
	logCfg   map[string]string
	caching  bool
}

var _ store.Logged = (*Builder[int, int])(nil)

// NewBuilder returns a builder of stores over supplier's engines with these serdes.
func NewBuilder[K, V any](supplier Supplier, keys serde.Serde[K], values serde.Serde[V], opts ...Option) *Builder[K, V] {
	return &Builder[K, V]{supplier: supplier, keys: keys, values: values, opts: opts}
}

// WithLoggingEnabled turns changelog logging on (the default) with extra topic configs for
// the changelog topic, added to the defaults (cleanup.policy=compact). It returns b.
func (b *Builder[K, V]) WithLoggingEnabled(topicConfig map[string]string) *Builder[K, V] {
	b.noLog, b.logCfg = false, topicConfig
	return b
}

// WithLoggingDisabled turns changelog logging off: the store is not backed up, and a
// persistent one keeps only what its files hold. It returns b.
func (b *Builder[K, V]) WithLoggingDisabled() *Builder[K, V] {
	b.noLog, b.logCfg = true, nil
	return b
}

// WithCachingEnabled puts the record cache in front of the store: writes to a key are
// deduplicated until the next commit. It returns b.
func (b *Builder[K, V]) WithCachingEnabled() *Builder[K, V] {
	b.caching = true
	return b
}

// WithCachingDisabled turns the record cache off (the default). It returns b.
func (b *Builder[K, V]) WithCachingDisabled() *Builder[K, V] {
	b.caching = false
	return b
}

// LoggingEnabled reports whether the stores are logged to a changelog topic.
func (b *Builder[K, V]) LoggingEnabled() bool { return !b.noLog }

// LogConfig returns the extra changelog topic configs.
func (b *Builder[K, V]) LogConfig() map[string]string { return b.logCfg }

// CachingEnabled reports whether the stores are fronted by the record cache.
func (b *Builder[K, V]) CachingEnabled() bool { return b.caching }

// Name returns the store name.
func (b *Builder[K, V]) Name() string { return b.supplier.Name() }

// Persistent reports whether the stores keep their data on disk.
func (b *Builder[K, V]) Persistent() bool { return b.supplier.Persistent() }

// Build opens a new store; it returns a *Store[K, V].
func (b *Builder[K, V]) Build(dir string) (store.StateStore, error) {
	return b.BuildWith(dir, nil)
}

// BuildWith opens a new store whose engine is wrap applied to the supplier's engine: the
// runtime's hook for the changelog and cache layers. A nil wrap is Build. If wrap fails, the
// engine is closed.
func (b *Builder[K, V]) BuildWith(dir string, wrap func(Engine) (Engine, error)) (store.StateStore, error) {
	e, err := b.supplier.Open(dir)
	if err != nil {
		return nil, err
	}
	if wrap != nil {
		w, err := wrap(e)
		if err != nil {
			_ = e.Close()
			return nil, err
		}
		e = w
	}
	return New(e, b.keys, b.values, b.opts...), nil
}

// Wrappable is implemented by builders of key-value stores ([Builder]): the runtime opens
// their stores with BuildWith to put its layers over the engine.
type Wrappable interface {
	store.Builder
	BuildWith(dir string, wrap func(Engine) (Engine, error)) (store.StateStore, error)
}
