package window

import (
	"maps"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// Builder builds typed window stores over a supplier's engines (Kafka Streams'
// Stores.windowStoreBuilder). It implements store.Builder, kv.Wrappable (the runtime puts its
// changelog and cache layers over the segmented engine with BuildWith), store.Logged and
// store.ChangelogConfigured.
//
// Stores are logged to a changelog topic by default and not cached, as Kafka Streams'
// builders; the changelog topic is created with cleanup.policy=compact,delete and
// retention.ms = the store's retention + 1 day (changelog.WindowedTopicConfig), plus the
// configs given to WithLoggingEnabled.
type Builder[K, V any] struct {
	supplier Supplier
	keys     serde.Serde[K]
	values   serde.Serde[V]
	sopts    []StoreOption
	noLog    bool
	logCfg   map[string]string
	caching  bool
}

var (
	_ store.Builder             = (*Builder[int, int])(nil)
	_ kv.Wrappable              = (*Builder[int, int])(nil)
	_ store.Logged              = (*Builder[int, int])(nil)
	_ store.ChangelogConfigured = (*Builder[int, int])(nil)
)

// NewBuilder returns a builder of window stores over supplier's engines with these serdes.
func NewBuilder[K, V any](supplier Supplier, keys serde.Serde[K], values serde.Serde[V], opts ...StoreOption) *Builder[K, V] {
	return &Builder[K, V]{supplier: supplier, keys: keys, values: values, sopts: opts}
}

// WithLoggingEnabled turns changelog logging on (the default) with extra topic configs for
// the changelog topic, which override the window defaults (cleanup.policy=compact,delete,
// retention.ms = retention + 1 day). It returns b.
func (b *Builder[K, V]) WithLoggingEnabled(topicConfig map[string]string) *Builder[K, V] {
	b.noLog, b.logCfg = false, topicConfig
	return b
}

// WithLoggingDisabled turns changelog logging off: the store is not backed up. It returns b.
func (b *Builder[K, V]) WithLoggingDisabled() *Builder[K, V] {
	b.noLog, b.logCfg = true, nil
	return b
}

// WithCachingEnabled puts the record cache in front of the store: writes to a store key are
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

// LogConfig returns the extra changelog topic configs given to WithLoggingEnabled.
func (b *Builder[K, V]) LogConfig() map[string]string { return b.logCfg }

// CachingEnabled reports whether the stores are fronted by the record cache.
func (b *Builder[K, V]) CachingEnabled() bool { return b.caching }

// ChangelogTopicConfig returns the configs of the changelog topic: cleanup.policy=
// compact,delete and retention.ms = retention + 1 day (Kafka's WindowedChangelogTopicConfig),
// overridden by the LogConfig entries.
func (b *Builder[K, V]) ChangelogTopicConfig() map[string]string {
	cfg := changelog.WindowedTopicConfig(b.supplier.Options().Retention)
	maps.Copy(cfg, b.logCfg)
	return cfg
}

// Name returns the store name.
func (b *Builder[K, V]) Name() string { return b.supplier.Name() }

// Persistent reports whether the stores keep their data on disk.
func (b *Builder[K, V]) Persistent() bool { return b.supplier.Persistent() }

// Options returns the supplier's options.
func (b *Builder[K, V]) Options() Options { return b.supplier.Options() }

// Build opens a new store; it returns a *Store[K, V].
func (b *Builder[K, V]) Build(dir string) (store.StateStore, error) {
	return b.BuildWith(dir, nil)
}

// BuildWith opens a new store whose engine is wrap applied to the supplier's engine (the
// segmented engine, whose Write takes changelog records as they are: restoration writes
// there): the runtime's hook for the changelog and cache layers. A nil wrap is Build. If
// wrap fails, the engine is closed. It returns a *Store[K, V].
func (b *Builder[K, V]) BuildWith(dir string, wrap func(kv.Engine) (kv.Engine, error)) (store.StateStore, error) {
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
	s, err := New(e, b.keys, b.values, b.supplier.Options(), b.sopts...)
	if err != nil {
		_ = e.Close()
		return nil, err
	}
	return s, nil
}
