package window

import (
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// Supplier opens the engines of one window store name (Kafka Streams'
// WindowBytesStoreSupplier): [InMemorySupplier] here, rocksdb.WindowSupplier for RocksDB.
type Supplier interface {
	// Name returns the store name.
	Name() string
	// Persistent reports whether the engines keep their data on disk.
	Persistent() bool
	// Options returns the store's options, with the defaults applied.
	Options() Options
	// Open opens a new engine over store keys (see [ToStoreKey]); dir is the task's
	// directory for persistent stores. The engine is a segmented engine over time segments
	// of Options().SegmentInterval(), which drops expired segments and counts the puts into
	// them (Tributary's own suppliers return one), or any kv.Engine, which keeps everything.
	Open(dir string) (kv.Engine, error)
}

// InMemorySupplier returns a supplier of in-memory window engines (Kafka Streams'
// Stores.inMemoryWindowStore): one sorted in-memory engine per segment, so that expired
// windows go a segment at a time as in the RocksDB store. It validates opts (see
// [Options.Validate]); the error is a *store.Error naming the store.
func InMemorySupplier(name string, opts Options) (Supplier, error) {
	if err := opts.Validate(); err != nil {
		return nil, &store.Error{Store: name, Op: "supplier", Err: err}
	}
	return memSupplier{name: name, opts: opts.WithDefaults()}, nil
}

type memSupplier struct {
	name string
	opts Options
}

func (s memSupplier) Name() string     { return s.name }
func (s memSupplier) Persistent() bool { return false }
func (s memSupplier) Options() Options { return s.opts }
func (s memSupplier) Open(string) (kv.Engine, error) {
	return segments.Open(s.name, KeySchema{}, segments.MemoryFactory(), segments.Options{Retention: s.opts.RetentionMs(), Interval: s.opts.SegmentIntervalMs()})
}
