package rocksdb

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/window"
)

func init() {
	window.RegisterPersistent(func(name string, opts window.Options) (window.Supplier, error) {
		return WindowSupplier(name, opts)
	})
}

// WindowSupplier supplies RocksDB window engines for the store name (Kafka Streams'
// Stores.persistentWindowStore): segmented engines over window store keys in which each
// time segment is a RocksDB database of its own, opened with rocksOpts (Kafka Streams'
// RocksDB defaults without them; see the package documentation).
//
// # Layout
//
// A task's store lives in <dir>/rocksdb/<name>, dir being the task's directory, as the
// key-value stores of Supplier do; its segments are the databases
// <dir>/rocksdb/<name>/<name>.<segment start>, the segment start being segment id × segment
// interval in ms (Kafka's KeyValueSegments name segments the same way). Reopening the store
// reopens the segments found there.
//
// One database per segment, rather than one database with segment-prefixed keys or a
// column family per segment, is Kafka Streams' layout, and it makes dropping an expired
// segment cheap whatever it holds: close the database (which flushes its memtable, as the
// write-ahead log is off) and delete its directory (Destroy), with no range deletion and no
// compaction afterwards. The cost is a database open, with its own block cache and
// memtables, per live segment (two or three with the default options): bound the total
// with SharedMemory and smaller write buffers when a task has many window stores.
// BENCHMARKS.md measures the drop as the segment grows.
//
// opts is validated (window.Options.Validate); an error is a *store.Error naming the store.
func WindowSupplier(name string, opts window.Options, rocksOpts ...Option) (window.Supplier, error) {
	if err := opts.Validate(); err != nil {
		return nil, storeErr(name, "supplier", err)
	}
	cfg := defaultConfig()
	for _, o := range rocksOpts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, storeErr(name, "supplier", err)
	}
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return nil, storeErr(name, "supplier", errors.New("a window store name must be a plain file name"))
	}
	return windowSupplier{name: name, opts: opts.WithDefaults(), rocks: rocksOpts}, nil
}

type windowSupplier struct {
	name  string
	opts  window.Options
	rocks []Option
}

func (s windowSupplier) Name() string            { return s.name }
func (s windowSupplier) Persistent() bool        { return true }
func (s windowSupplier) Options() window.Options { return s.opts }

// Open opens the segmented engine of the task whose directory is dir.
func (s windowSupplier) Open(dir string) (kv.Engine, error) {
	f := &segmentFactory{dir: filepath.Join(dir, "rocksdb", s.name), opts: s.rocks}
	return segments.Open(s.name, window.KeySchema{}, f, segments.Options{Retention: s.opts.RetentionMs(), Interval: s.opts.SegmentIntervalMs()})
}
