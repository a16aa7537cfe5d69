package session

import (
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/store"
)

// Supplier opens the segmented engines of one session store name (Kafka Streams'
// SessionBytesStoreSupplier). [InMemorySupplier] is here; rocksdb.SessionSupplier is the
// persistent one.
type Supplier interface {
	// Name returns the store name.
	Name() string
	// Persistent reports whether the segments keep their data on disk.
	Persistent() bool
	// Options returns the store's options, defaults filled in (see [Options.Resolve]).
	Options() Options
	// Open opens a new segmented engine over composite session keys ([KeySchema]); dir is
	// the task's directory for persistent stores. The engine is a kv.Engine: the changelog
	// and cache layers go over it, and restoration writes through it.
	Open(dir string) (*segments.Store, error)
}

// InMemorySupplier supplies in-memory session stores: segments of sorted in-memory engines
// (Kafka's Stores.inMemorySessionStore). Unlike Kafka's InMemorySessionStore, which expires
// sessions one by one, it keeps them in segments like the RocksDB store, so that both drop and
// count expired writes the same way; reads hide expired sessions at once in both. Invalid
// options give a *store.Error with Op "options".
func InMemorySupplier(name string, opts Options) (Supplier, error) {
	o, err := opts.Resolve()
	if err != nil {
		return nil, &store.Error{Store: name, Op: "options", Err: err}
	}
	return &memSupplier{name: name, opts: o}, nil
}

type memSupplier struct {
	name string
	opts Options
}

func (s *memSupplier) Name() string     { return s.name }
func (s *memSupplier) Persistent() bool { return false }
func (s *memSupplier) Options() Options { return s.opts }
func (s *memSupplier) Open(string) (*segments.Store, error) {
	return OpenSegments(s.name, s.opts, segments.MemoryFactory())
}

// OpenSegments opens a segmented engine over composite session keys with the segments of
// factory: the building block of suppliers (rocksdb.SessionSupplier gives it a factory of
// RocksDB segments). opts are resolved first. Errors are *store.Error values naming the
// store.
func OpenSegments(name string, opts Options, factory segments.Factory) (*segments.Store, error) {
	o, err := opts.Resolve()
	if err != nil {
		return nil, &store.Error{Store: name, Op: "options", Err: err}
	}
	return segments.Open(name, KeySchema{}, factory, segments.Options{
		Retention: o.Retention.Milliseconds(),
		Interval:  o.SegmentInterval.Milliseconds(),
	})
}
