package rocksdb

import (
	"path/filepath"

	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/store/session"
)

func init() {
	session.RegisterPersistent(func(name string, opts session.Options) (session.Supplier, error) {
		return SessionSupplier(name, opts)
	})
}

// SessionSupplier supplies persistent session stores (Kafka's Stores.persistentSessionStore,
// RocksDBSessionStore): one RocksDB database per time segment, each opened with rocksOpts,
// under <dir>/rocksdb/<name>/<name>.<segment start>, dir being the task's directory. Dropping
// an expired segment closes its database and deletes its directory (Destroy), which costs
// the same whatever the segment holds. A store reopened in the same directory finds its
// segments again.
//
// Each segment is a database of its own, with its own block cache and memtables (as each of
// Kafka's segments is): a store holds about three live segments with the default options, so
// budget memory for them, or share one cache across stores and segments with
// [SharedMemory].
//
// opts are resolved (defaults filled in) at once; invalid ones give a *store.Error with Op
// "options". rocksOpts are checked when a segment opens.
func SessionSupplier(name string, opts session.Options, rocksOpts ...Option) (session.Supplier, error) {
	o, err := opts.Resolve()
	if err != nil {
		return nil, storeErr(name, "options", err)
	}
	return &sessionSupplier{name: name, opts: o, rocks: rocksOpts}, nil
}

type sessionSupplier struct {
	name  string
	opts  session.Options
	rocks []Option
}

func (s *sessionSupplier) Name() string             { return s.name }
func (s *sessionSupplier) Persistent() bool         { return true }
func (s *sessionSupplier) Options() session.Options { return s.opts }

func (s *sessionSupplier) Open(dir string) (*segments.Store, error) {
	f := &segmentFactory{dir: filepath.Join(dir, "rocksdb", s.name), opts: s.rocks}
	return session.OpenSegments(s.name, s.opts, f)
}
