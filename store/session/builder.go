package session

import (
	"maps"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// Builder builds typed session stores over a supplier's segmented engines (Kafka Streams'
// Stores.sessionStoreBuilder). It implements store.Builder, kv.Wrappable (the runtime puts
// its changelog and cache layers over the segmented engine with BuildWith), store.Logged and
// store.ChangelogConfigured.
//
// Stores are logged to a changelog topic by default and not cached, as Kafka Streams'
// builders; the With methods change that.
type Builder[K, AGG any] struct {
	supplier Supplier
	keys     serde.Serde[K]
	values   serde.Serde[AGG]
	opts     []Option
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

// NewBuilder returns a builder of session stores over supplier's engines with these serdes:
// keys for the record keys, values for the session aggregates.
func NewBuilder[K, AGG any](supplier Supplier, keys serde.Serde[K], values serde.Serde[AGG], opts ...Option) *Builder[K, AGG] {
	return &Builder[K, AGG]{supplier: supplier, keys: keys, values: values, opts: opts}
}

// WithLoggingEnabled turns changelog logging on (the default) with extra topic configs for
// the changelog topic, which override the defaults (cleanup.policy=compact,delete and
// retention.ms = retention + 1 day, see [Builder.ChangelogTopicConfig]). It returns b.
func (b *Builder[K, AGG]) WithLoggingEnabled(topicConfig map[string]string) *Builder[K, AGG] {
	b.noLog, b.logCfg = false, topicConfig
	return b
}

// WithLoggingDisabled turns changelog logging off: the store is not backed up, and a
// persistent one keeps only what its files hold. It returns b.
func (b *Builder[K, AGG]) WithLoggingDisabled() *Builder[K, AGG] {
	b.noLog, b.logCfg = true, nil
	return b
}

// WithCachingEnabled puts the record cache in front of the store: writes to a session are
// deduplicated until the next commit. It returns b.
func (b *Builder[K, AGG]) WithCachingEnabled() *Builder[K, AGG] {
	b.caching = true
	return b
}

// WithCachingDisabled turns the record cache off (the default). It returns b.
func (b *Builder[K, AGG]) WithCachingDisabled() *Builder[K, AGG] {
	b.caching = false
	return b
}

// LoggingEnabled reports whether the stores are logged to a changelog topic.
func (b *Builder[K, AGG]) LoggingEnabled() bool { return !b.noLog }

// LogConfig returns the extra changelog topic configs given to WithLoggingEnabled.
func (b *Builder[K, AGG]) LogConfig() map[string]string { return b.logCfg }

// CachingEnabled reports whether the stores are fronted by the record cache.
func (b *Builder[K, AGG]) CachingEnabled() bool { return b.caching }

// ChangelogTopicConfig returns the configs of the changelog topic: cleanup.policy=
// compact,delete and retention.ms = the store's retention + 1 day (Kafka's
// WindowedChangelogTopicConfig, changelog.WindowedTopicConfig), overridden by the configs
// given to WithLoggingEnabled.
func (b *Builder[K, AGG]) ChangelogTopicConfig() map[string]string {
	cfg := changelog.WindowedTopicConfig(b.supplier.Options().Retention)
	maps.Copy(cfg, b.logCfg)
	return cfg
}

// Supplier returns the supplier of the stores' engines.
func (b *Builder[K, AGG]) Supplier() Supplier { return b.supplier }

// Options returns the stores' options, defaults filled in.
func (b *Builder[K, AGG]) Options() Options { return b.supplier.Options() }

// Name returns the store name.
func (b *Builder[K, AGG]) Name() string { return b.supplier.Name() }

// Persistent reports whether the stores keep their data on disk.
func (b *Builder[K, AGG]) Persistent() bool { return b.supplier.Persistent() }

// Build opens a new store; it returns a *Store[K, AGG].
func (b *Builder[K, AGG]) Build(dir string) (store.StateStore, error) {
	return b.BuildWith(dir, nil)
}

// BuildWith opens a new store whose engine is wrap applied to the supplier's segmented
// engine (a *segments.Store, which the store reaches again through the layers with kv.Find):
// the runtime's hook for the changelog and cache layers. A nil wrap is Build. If wrap or the
// store fails, the engine is closed. It returns a *Store[K, AGG].
func (b *Builder[K, AGG]) BuildWith(dir string, wrap func(kv.Engine) (kv.Engine, error)) (store.StateStore, error) {
	segs, err := b.supplier.Open(dir)
	if err != nil {
		return nil, err
	}
	var e kv.Engine = segs
	if wrap != nil {
		w, err := wrap(e)
		if err != nil {
			_ = segs.Close()
			return nil, err
		}
		e = w
	}
	s, err := New(e, b.keys, b.values, b.opts...)
	if err != nil {
		_ = e.Close()
		_ = segs.Close()
		return nil, err
	}
	return s, nil
}
