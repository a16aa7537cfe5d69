package rocksdb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/linxGnu/grocksdb"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// offsetsCF is the column family that holds the persisted changelog offsets, apart from the
// data in the default column family.
const offsetsCF = "tributary.offsets"

const defaultCF = "default"

// Engine is a key-value store in one RocksDB database: it implements kv.Engine and
// kv.OpenCursorCounter, and adds persisted changelog offsets, checkpoints and Destroy.
// Every method is safe for concurrent use.
type Engine struct {
	name     string
	path     string
	readOnly bool

	// mu guards the database's lifetime: every operation holds it for reading while it
	// uses the database, Close holds it for writing.
	mu     sync.RWMutex
	closed bool
	// wmu serializes writers, so that the read-modify-write operations (PutIfAbsent,
	// Delete) are atomic with respect to every other write.
	wmu sync.Mutex

	db      *grocksdb.DB
	offsets *grocksdb.ColumnFamilyHandle // nil in a read-only store that has no offsets yet
	data    *grocksdb.ColumnFamilyHandle
	native  *nativeOptions
	ro      *grocksdb.ReadOptions
	wo      *grocksdb.WriteOptions
	fo      *grocksdb.FlushOptions

	cursors cursor.Tracker
}

var (
	_ kv.Engine            = (*Engine)(nil)
	_ kv.OpenCursorCounter = (*Engine)(nil)
)

// Open opens the RocksDB store name in directory dir, creating the directory and the
// database if they are missing. Without options it uses Kafka Streams' RocksDB defaults
// (see the package documentation). The store locks dir: a second Open of the same
// directory, in this process or another, fails with ErrLocked (see [OpenRetries]) until
// the first one closes.
//
// Errors are *store.Error values with Op "open". When RocksDB or the file system fails,
// the cause is a *DBError naming the directory and keeping the original message:
// errors.Is(err, ErrLocked), errors.Is(err, ErrCorrupt) and the os errors
// (fs.ErrPermission, syscall.ENOTDIR, ...) tell what went wrong. Invalid options are
// reported before anything is created.
func Open(name, dir string, opts ...Option) (*Engine, error) {
	return open(name, dir, false, opts)
}

// OpenReadOnly opens the existing RocksDB store name in directory dir read-only (RocksDB's
// OpenForReadOnly, Faust's read_only option). It takes no lock, so any number of processes
// can read a store while one process writes it. The engine sees the data that was flushed
// to disk when it opened, not later writes. Writes return a *store.Error wrapping
// store.ErrReadOnly; Flush does nothing. A directory without a database gives an error
// that wraps fs.ErrNotExist.
func OpenReadOnly(name, dir string, opts ...Option) (*Engine, error) {
	return open(name, dir, true, opts)
}

func open(name, dir string, readOnly bool, opts []Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, storeErr(name, "open", err)
	}
	if dir == "" {
		return nil, storeErr(name, "open", errors.New("rocksdb: empty directory name"))
	}
	path, err := filepath.Abs(dir)
	if err != nil {
		return nil, storeErr(name, "open", &DBError{Path: dir, Err: err})
	}
	if readOnly {
		if _, err := os.Stat(filepath.Join(path, "CURRENT")); err != nil {
			return nil, storeErr(name, "open", &DBError{Path: path, Err: fmt.Errorf("no RocksDB database here: %w", err)})
		}
	} else if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, storeErr(name, "open", &DBError{Path: path, Err: err})
	}

	native, err := cfg.build(name)
	if err != nil {
		return nil, storeErr(name, "open", err)
	}
	e := &Engine{name: name, path: path, readOnly: readOnly, native: native}
	for attempt := 0; ; attempt++ {
		err = e.openDB()
		if err == nil || !errors.Is(err, ErrLocked) || attempt >= cfg.openRetries {
			break
		}
		time.Sleep(cfg.openBackoff)
	}
	if err != nil {
		native.destroy()
		return nil, storeErr(name, "open", err)
	}
	e.ro = grocksdb.NewDefaultReadOptions()
	e.wo = grocksdb.NewDefaultWriteOptions()
	e.wo.DisableWAL(true)
	e.fo = grocksdb.NewDefaultFlushOptions()
	e.fo.SetWait(true)
	return e, nil
}

// openDB opens the database with every column family it has, creating the offsets column
// family in a writable store.
func (e *Engine) openDB() error {
	names, err := grocksdb.ListColumnFamilies(e.native.db, e.path)
	if err != nil {
		if _, serr := os.Stat(filepath.Join(e.path, "CURRENT")); !errors.Is(serr, fs.ErrNotExist) || e.readOnly {
			return dbErr(e.path, err)
		}
		names = []string{defaultCF} // a new database
	}
	if !slices.Contains(names, defaultCF) {
		names = append([]string{defaultCF}, names...)
	}
	if !e.readOnly && !slices.Contains(names, offsetsCF) {
		names = append(names, offsetsCF)
	}
	cfOpts := make([]*grocksdb.Options, len(names))
	for i, n := range names {
		cfOpts[i] = e.native.db
		if n == offsetsCF {
			cfOpts[i] = e.native.offsets
		}
	}
	var (
		db      *grocksdb.DB
		handles []*grocksdb.ColumnFamilyHandle
	)
	if e.readOnly {
		db, handles, err = grocksdb.OpenDbForReadOnlyColumnFamilies(e.native.db, e.path, names, cfOpts, false)
	} else {
		db, handles, err = grocksdb.OpenDbColumnFamilies(e.native.db, e.path, names, cfOpts)
	}
	if err != nil {
		return dbErr(e.path, err)
	}
	e.db = db
	for i, n := range names {
		switch n {
		case defaultCF:
			e.data = handles[i]
		case offsetsCF:
			e.offsets = handles[i]
		default:
			handles[i].Destroy()
		}
	}
	return nil
}

// Name returns the store's name.
func (e *Engine) Name() string { return e.name }

// Path returns the store's directory (absolute).
func (e *Engine) Path() string { return e.path }

// Persistent returns true: the store keeps its data on disk.
func (e *Engine) Persistent() bool { return true }

// ReadOnly reports whether the store was opened with [OpenReadOnly].
func (e *Engine) ReadOnly() bool { return e.readOnly }

// IsOpen reports whether the store is open.
func (e *Engine) IsOpen() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return !e.closed
}

// OpenCursors returns the number of cursors that are open (not yet closed or invalidated).
func (e *Engine) OpenCursors() int { return e.cursors.Open() }

// closedErr returns the error of an operation on a closed store.
func (e *Engine) closedErr(op string) error {
	return storeErr(e.name, op, store.ErrStoreClosed)
}

// rlock takes the read lock for op and reports the error to return if the store is closed,
// or, when write is set, read-only. On a nil error the caller must call e.mu.RUnlock.
func (e *Engine) rlock(op string, write bool) error {
	e.mu.RLock()
	if e.closed {
		e.mu.RUnlock()
		return e.closedErr(op)
	}
	if write && e.readOnly {
		e.mu.RUnlock()
		return storeErr(e.name, op, store.ErrReadOnly)
	}
	return nil
}

// fail wraps an error of RocksDB for op.
func (e *Engine) fail(op string, err error) error {
	return storeErr(e.name, op, dbErr(e.path, err))
}

// Get returns a copy of the value of key and whether it exists.
func (e *Engine) Get(key []byte) ([]byte, bool, error) {
	if err := e.rlock("get", false); err != nil {
		return nil, false, err
	}
	defer e.mu.RUnlock()
	// GetBytes returns nil for a missing key and a non-nil slice for an existing one, even
	// an empty value (RocksDB's C API returns a malloc'ed copy, non-NULL for size 0; the
	// contract suite checks empty values).
	v, err := e.db.GetBytes(e.ro, key)
	if err != nil {
		return nil, false, e.fail("get", err)
	}
	return v, v != nil, nil
}

// Put writes value at key (a nil value is stored as an empty value).
func (e *Engine) Put(key, value []byte) error {
	if err := e.rlock("put", true); err != nil {
		return err
	}
	defer e.mu.RUnlock()
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if err := e.db.Put(e.wo, key, value); err != nil {
		return e.fail("put", err)
	}
	return nil
}

// PutIfAbsent writes value at key only if key is absent. If key exists it returns a copy
// of the existing value and found=true, and writes nothing.
func (e *Engine) PutIfAbsent(key, value []byte) ([]byte, bool, error) {
	if err := e.rlock("put-if-absent", true); err != nil {
		return nil, false, err
	}
	defer e.mu.RUnlock()
	e.wmu.Lock()
	defer e.wmu.Unlock()
	old, err := e.db.GetBytes(e.ro, key)
	if err != nil {
		return nil, false, e.fail("put-if-absent", err)
	}
	if old != nil {
		return old, true, nil
	}
	if err := e.db.Put(e.wo, key, value); err != nil {
		return nil, false, e.fail("put-if-absent", err)
	}
	return nil, false, nil
}

// Delete removes key and returns a copy of the value it had, if any.
func (e *Engine) Delete(key []byte) ([]byte, bool, error) {
	if err := e.rlock("delete", true); err != nil {
		return nil, false, err
	}
	defer e.mu.RUnlock()
	e.wmu.Lock()
	defer e.wmu.Unlock()
	old, err := e.db.GetBytes(e.ro, key)
	if err != nil {
		return nil, false, e.fail("delete", err)
	}
	if old == nil {
		return nil, false, nil
	}
	if err := e.db.Delete(e.wo, key); err != nil {
		return nil, false, e.fail("delete", err)
	}
	return old, true, nil
}

// Write applies the batch's puts and deletes, in order, in one atomic RocksDB write batch.
func (e *Engine) Write(batch []kv.Entry) error {
	return e.write("write", batch, "", 0, 0, false)
}

// write applies batch and, if withOffset, the offset of topic-partition in one write batch.
func (e *Engine) write(op string, batch []kv.Entry, topic string, partition int32, offset int64, withOffset bool) error {
	if err := e.rlock(op, true); err != nil {
		return err
	}
	defer e.mu.RUnlock()
	if len(batch) == 0 && !withOffset {
		return nil
	}
	wb := grocksdb.NewWriteBatch()
	defer wb.Destroy()
	for i := range batch {
		if batch[i].Delete {
			wb.Delete(batch[i].Key)
		} else {
			wb.Put(batch[i].Key, batch[i].Value)
		}
	}
	if withOffset {
		k, v := offsetRecord(topic, partition, offset)
		wb.PutCF(e.offsets, k, v)
	}
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if err := e.db.Write(e.wo, wb); err != nil {
		return e.fail(op, err)
	}
	return nil
}

// Range returns a cursor over the keys in [from, to], both inclusive, ascending or, if
// reverse, descending; a nil bound is open. from > to gives an empty cursor. The cursor
// reads a consistent snapshot taken when Range is called. Its Key and Value return views of
// RocksDB's memory, valid until the cursor's next Next or Close (or the store's Close):
// copy what you keep.
func (e *Engine) Range(from, to []byte, reverse bool) (kv.Bytes, error) {
	if from != nil && to != nil && bytes.Compare(from, to) > 0 {
		return e.newCursor("range", nil, nil, false, false, true)
	}
	return e.newCursor("range", from, to, true, reverse, false)
}

// PrefixScan returns an ascending cursor over the keys that start with prefix (every key
// for an empty prefix), with the same rules as Range's cursors.
func (e *Engine) PrefixScan(prefix []byte) (kv.Bytes, error) {
	return e.newCursor("prefix-scan", prefix, kv.PrefixEnd(prefix), false, false, false)
}

// ApproximateNumEntries returns RocksDB's estimate of the number of keys (the
// "rocksdb.estimate-num-keys" property, as Kafka Streams reports): it can be off when keys
// were overwritten or deleted and not yet compacted. Offsets are not counted.
func (e *Engine) ApproximateNumEntries() (int64, error) {
	if err := e.rlock("approximate-num-entries", false); err != nil {
		return 0, err
	}
	defer e.mu.RUnlock()
	n, ok := e.db.GetIntPropertyCF("rocksdb.estimate-num-keys", e.data)
	if !ok {
		return 0, e.fail("approximate-num-entries", errors.New(`property "rocksdb.estimate-num-keys" is not available`))
	}
	return int64(min(n, 1<<63-1)), nil
}

// Flush writes the memtables to SST files and waits until they are written (RocksDB's
// Flush with wait, as Kafka Streams' flush): since the WAL is off, this is what makes
// writes durable. The data is flushed before the offsets, so that on disk an offset never
// gets ahead of its data. It does nothing on a read-only store.
func (e *Engine) Flush() error {
	if err := e.rlock("flush", false); err != nil {
		return err
	}
	defer e.mu.RUnlock()
	return e.flushLocked("flush")
}

func (e *Engine) flushLocked(op string) error {
	if e.readOnly {
		return nil
	}
	if err := e.db.FlushCF(e.data, e.fo); err != nil {
		return e.fail(op, err)
	}
	if err := e.db.FlushCF(e.offsets, e.fo); err != nil {
		return e.fail(op, err)
	}
	return nil
}

// Close flushes the memtables (unless read-only), invalidates the open cursors, closes the
// database and frees its native resources. It is idempotent; it returns the flush's error,
// if any, but closes the store anyway.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closeLocked()
}

func (e *Engine) closeLocked() error {
	if e.closed {
		return nil
	}
	e.closed = true
	// Native iterators must be released before the database they read.
	e.cursors.InvalidateAll(storeErr(e.name, "next", store.ErrStoreClosed))
	err := e.flushLocked("close")
	if e.data != nil {
		e.data.Destroy()
	}
	if e.offsets != nil {
		e.offsets.Destroy()
	}
	e.db.Close()
	e.ro.Destroy()
	e.wo.Destroy()
	e.fo.Destroy()
	e.native.destroy()
	e.db, e.data, e.offsets, e.ro, e.wo, e.fo = nil, nil, nil, nil, nil, nil
	return err
}

// Destroy closes the store if it is open and deletes its directory with everything in it.
// A read-only store refuses, with store.ErrReadOnly: other processes may be reading it.
func (e *Engine) Destroy() error {
	if e.readOnly {
		return storeErr(e.name, "destroy", store.ErrReadOnly)
	}
	e.mu.Lock()
	cerr := e.closeLocked()
	e.mu.Unlock()
	if err := destroyDir(e.path); err != nil {
		return storeErr(e.name, "destroy", err)
	}
	_ = cerr // the data is gone: a failed final flush does not matter
	return nil
}
