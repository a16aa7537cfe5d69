package rocksdb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/linxGnu/grocksdb"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

func mustOpen(t *testing.T, dir string, opts ...Option) *Engine {
	t.Helper()
	e, err := Open("test-store", dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func put(t *testing.T, e *Engine, kvs ...string) {
	t.Helper()
	for i := 0; i+1 < len(kvs); i += 2 {
		if err := e.Put([]byte(kvs[i]), []byte(kvs[i+1])); err != nil {
			t.Fatalf("Put(%q): %v", kvs[i], err)
		}
	}
}

func wantGet(t *testing.T, e *Engine, key, want string, wantFound bool) {
	t.Helper()
	v, found, err := e.Get([]byte(key))
	if err != nil || found != wantFound || string(v) != want {
		t.Fatalf("Get(%q) = %q, %v, %v; want %q, %v, nil", key, v, found, err, want, wantFound)
	}
}

func wantOffset(t *testing.T, e *Engine, topic string, partition int32, want int64, wantFound bool) {
	t.Helper()
	off, found, err := e.Offset(topic, partition)
	if err != nil || found != wantFound || off != want {
		t.Fatalf("Offset(%s, %d) = %d, %v, %v; want %d, %v, nil", topic, partition, off, found, err, want, wantFound)
	}
}

// keys returns a function that reads the keys of a cursor, copied, and closes it.
func keys(t *testing.T) func(c kv.Bytes, err error) []string {
	return func(c kv.Bytes, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for c.Next() {
			out = append(out, string(c.Key()))
		}
		if err := c.Close(); err != nil {
			t.Fatalf("cursor: %v", err)
		}
		return out
	}
}

func wantKeys(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") || len(got) != len(want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// The WAL is off, so Close must flush: data and offsets written without Flush survive a
// close and reopen.
func TestDataSurvivesCloseAndReopen(t *testing.T) {
	dir := t.TempDir()
	e, err := Open("s", dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, e, "a", "1", "b", "2")
	if err := e.WriteWithOffset([]kv.Entry{{Key: []byte("c"), Value: []byte("3")}, {Key: []byte("a"), Delete: true}}, "app-s-changelog", 3, 41); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	e = mustOpen(t, dir)
	wantGet(t, e, "a", "", false)
	wantGet(t, e, "b", "2", true)
	wantGet(t, e, "c", "3", true)
	wantOffset(t, e, "app-s-changelog", 3, 41, true)
	if got := e.Path(); got != dir {
		t.Errorf("Path() = %q, want %q", got, dir)
	}
	if !e.Persistent() || e.ReadOnly() || e.Name() != "test-store" {
		t.Errorf("Persistent, ReadOnly, Name = %v, %v, %q", e.Persistent(), e.ReadOnly(), e.Name())
	}
}

func TestOffsets(t *testing.T) {
	dir := t.TempDir()
	e := mustOpen(t, dir)
	wantOffset(t, e, "t", 0, 0, false)
	if err := e.SetOffset("t", 0, 10); err != nil {
		t.Fatal(err)
	}
	if err := e.SetOffset("t", 1, 20); err != nil {
		t.Fatal(err)
	}
	if err := e.SetOffset("t2", 0, -1); err != nil {
		t.Fatal(err)
	}
	if err := e.SetOffset("t", 0, 11); err != nil {
		t.Fatal(err)
	}
	wantOffset(t, e, "t", 0, 11, true)
	wantOffset(t, e, "t", 1, 20, true)
	wantOffset(t, e, "t2", 0, -1, true)
	wantOffset(t, e, "t", 2, 0, false)

	// WriteWithOffset applies the batch and the offset together.
	batch := []kv.Entry{{Key: []byte("k1"), Value: []byte("v1")}, {Key: []byte("k2"), Value: []byte("v2")}, {Key: []byte("k1"), Delete: true}}
	if err := e.WriteWithOffset(batch, "t", 0, 12); err != nil {
		t.Fatal(err)
	}
	wantGet(t, e, "k1", "", false)
	wantGet(t, e, "k2", "v2", true)
	wantOffset(t, e, "t", 0, 12, true)
	// An empty batch still records the offset.
	if err := e.WriteWithOffset(nil, "t", 0, 13); err != nil {
		t.Fatal(err)
	}
	wantOffset(t, e, "t", 0, 13, true)

	// Offsets are invisible to the data: ranges, prefix scans and counts.
	wantKeys(t, "All", keys(t)(e.Range(nil, nil, false)), "k2")
	wantKeys(t, "ReverseAll", keys(t)(e.Range(nil, nil, true)), "k2")
	wantKeys(t, "PrefixScan(t)", keys(t)(e.PrefixScan([]byte("t"))))
	// (A fresh store, since deletes make RocksDB's estimate inexact.)
	f := mustOpen(t, t.TempDir())
	put(t, f, "a", "1", "b", "2", "c", "3")
	for p := range int32(10) {
		if err := f.SetOffset("t", p, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, err := f.ApproximateNumEntries(); err != nil || n != 3 {
		t.Errorf("ApproximateNumEntries() = %d, %v; want 3 (offsets not counted)", n, err)
	}

	// They survive a close and reopen.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = mustOpen(t, dir)
	wantOffset(t, e, "t", 0, 13, true)
	wantOffset(t, e, "t", 1, 20, true)
	wantOffset(t, e, "t2", 0, -1, true)
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, dir)
	put(t, w, "a", "1", "b", "2", "c", "3")
	if err := w.SetOffset("t", 0, 7); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// A read-only store opens while the writer holds the lock.
	r, err := OpenReadOnly("reader", dir)
	if err != nil {
		t.Fatalf("OpenReadOnly while a writer is open: %v", err)
	}
	defer r.Close()
	if !r.ReadOnly() {
		t.Error("ReadOnly() = false")
	}
	wantGet(t, r, "b", "2", true)
	wantOffset(t, r, "t", 0, 7, true)
	wantKeys(t, "All", keys(t)(r.Range(nil, nil, false)), "a", "b", "c")
	if err := r.Flush(); err != nil {
		t.Errorf("Flush on read-only = %v, want nil", err)
	}
	writes := map[string]func() error{
		"Put":             func() error { return r.Put([]byte("x"), []byte("y")) },
		"PutIfAbsent":     func() error { _, _, err := r.PutIfAbsent([]byte("x"), []byte("y")); return err },
		"Delete":          func() error { _, _, err := r.Delete([]byte("a")); return err },
		"Write":           func() error { return r.Write([]kv.Entry{{Key: []byte("x")}}) },
		"SetOffset":       func() error { return r.SetOffset("t", 0, 8) },
		"WriteWithOffset": func() error { return r.WriteWithOffset(nil, "t", 0, 8) },
		"Destroy":         r.Destroy,
	}
	for name, op := range writes {
		err := op()
		var se *store.Error
		if !errors.Is(err, store.ErrReadOnly) || !errors.As(err, &se) || se.Store != "reader" {
			t.Errorf("%s on a read-only store = %v, want a *store.Error wrapping store.ErrReadOnly", name, err)
		}
	}
	wantGet(t, r, "a", "1", true)
	// The writer is unaffected.
	put(t, w, "d", "4")
	wantGet(t, w, "d", "4", true)
}

// A database written before offsets existed (or by another tool) has no offsets column
// family: a read-only open copes, a writable open adds it.
func TestReadOnlyWithoutOffsetsColumnFamily(t *testing.T) {
	dir := t.TempDir()
	opts := grocksdb.NewDefaultOptions()
	opts.SetCreateIfMissing(true)
	db, err := grocksdb.OpenDb(opts, dir)
	if err != nil {
		t.Fatal(err)
	}
	wo := grocksdb.NewDefaultWriteOptions()
	if err := db.Put(wo, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	wo.Destroy()
	db.Close()
	opts.Destroy()

	r, err := OpenReadOnly("r", dir)
	if err != nil {
		t.Fatal(err)
	}
	wantGet(t, r, "k", "v", true)
	wantOffset(t, r, "t", 0, 0, false)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	e := mustOpen(t, dir)
	wantGet(t, e, "k", "v", true)
	if err := e.SetOffset("t", 0, 5); err != nil {
		t.Fatal(err)
	}
	wantOffset(t, e, "t", 0, 5, true)
}

func TestCheckpointAndRestore(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	cp := filepath.Join(root, "checkpoint")
	e, err := Open("s", dir)
	if err != nil {
		t.Fatal(err)
	}
	// Not flushed: the checkpoint must flush the memtables itself.
	put(t, e, "a", "1", "b", "2")
	if err := e.SetOffset("t", 0, 100); err != nil {
		t.Fatal(err)
	}
	if err := e.Checkpoint(cp); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	// A checkpoint into an existing directory fails and names it.
	err = e.Checkpoint(cp)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), cp) {
		t.Errorf("Checkpoint(existing dir) = %v, want fs.ErrExist naming %s", err, cp)
	}
	// Writes after the checkpoint.
	put(t, e, "a", "changed", "c", "3")
	if err := e.SetOffset("t", 0, 200); err != nil {
		t.Fatal(err)
	}
	// Restoring over an open store fails with ErrLocked and changes nothing.
	err = Restore(cp, dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Restore over an open store = %v, want ErrLocked naming %s", err, dir)
	}
	wantGet(t, e, "c", "3", true)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	if err := Restore(cp, dir); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	e = mustOpen(t, dir)
	wantKeys(t, "All after restore", keys(t)(e.Range(nil, nil, false)), "a", "b")
	wantGet(t, e, "a", "1", true)
	wantOffset(t, e, "t", 0, 100, true)

	// The restored files are copies, not links into the checkpoint.
	entries, err := os.ReadDir(cp)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		a, err1 := os.Stat(filepath.Join(cp, ent.Name()))
		b, err2 := os.Stat(filepath.Join(dir, ent.Name()))
		if err1 == nil && err2 == nil && os.SameFile(a, b) {
			t.Errorf("%s in the restored store is the checkpoint's file (hard link)", ent.Name())
		}
	}
	// Writing to the restored store leaves the checkpoint intact.
	put(t, e, "z", "26")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := OpenReadOnly("cp", cp)
	if err != nil {
		t.Fatalf("opening the checkpoint: %v", err)
	}
	defer c.Close()
	wantKeys(t, "checkpoint contents", keys(t)(c.Range(nil, nil, false)), "a", "b")

	// Restoring from a directory that holds no checkpoint names it.
	bogus := t.TempDir()
	err = Restore(bogus, dir)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), bogus) {
		t.Errorf("Restore(empty dir) = %v, want fs.ErrNotExist naming %s", err, bogus)
	}
	// Restoring into a directory that does not exist yet works.
	fresh := filepath.Join(root, "new", "store")
	if err := Restore(cp, fresh); err != nil {
		t.Fatalf("Restore into a new directory: %v", err)
	}
	f := mustOpen(t, fresh)
	wantGet(t, f, "b", "2", true)
}

func TestDestroy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := Open("s", dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, e, "a", "1")
	// The package-level Destroy refuses an open store.
	if err := Destroy(dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Destroy(open store) = %v, want ErrLocked naming %s", err, dir)
	}
	if err := e.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("store directory after Destroy: %v, want it gone", err)
	}
	if _, _, err := e.Get([]byte("a")); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Get after Destroy = %v, want store.ErrStoreClosed", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close after Destroy = %v", err)
	}
	// Destroy twice, and Destroy of a missing directory, are fine.
	if err := e.Destroy(); err != nil {
		t.Errorf("second Destroy = %v", err)
	}
	if err := Destroy(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("Destroy(missing) = %v", err)
	}

	// The package-level Destroy on a closed store.
	e2, err := Open("s", dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, e2, "a", "1")
	if err := e2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Destroy(dir); err != nil {
		t.Fatalf("Destroy(closed store): %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("store directory after Destroy: %v, want it gone", err)
	}
	e3 := mustOpen(t, dir)
	wantGet(t, e3, "a", "", false)
}

func TestClosedStoreExtraMethods(t *testing.T) {
	e, err := Open("closed", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"Offset":          func() error { _, _, err := e.Offset("t", 0); return err },
		"SetOffset":       func() error { return e.SetOffset("t", 0, 1) },
		"WriteWithOffset": func() error { return e.WriteWithOffset(nil, "t", 0, 1) },
		"Checkpoint":      func() error { return e.Checkpoint(filepath.Join(t.TempDir(), "cp")) },
		"Write(empty)":    func() error { return e.Write(nil) },
	}
	for name, op := range ops {
		err := op()
		var se *store.Error
		if !errors.Is(err, store.ErrStoreClosed) || !errors.As(err, &se) || se.Store != "closed" {
			t.Errorf("%s after Close = %v, want a *store.Error naming the store and wrapping store.ErrStoreClosed", name, err)
		}
	}
}

// Nothing panics on nil or empty keys and values.
func TestNilAndEmptyInputs(t *testing.T) {
	e := mustOpen(t, t.TempDir())
	if err := e.Put(nil, nil); err != nil {
		t.Fatal(err)
	}
	wantGet(t, e, "", "", true)
	if _, found, err := e.PutIfAbsent(nil, []byte("x")); err != nil || !found {
		t.Fatalf("PutIfAbsent(nil) = %v, %v", found, err)
	}
	if err := e.Write([]kv.Entry{{}, {Key: nil, Delete: true}, {Key: []byte{}, Value: []byte{}}}); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "All", keys(t)(e.Range(nil, nil, false)), "")
	wantKeys(t, "Range(empty, nil)", keys(t)(e.Range([]byte{}, nil, true)), "")
	wantKeys(t, "PrefixScan(empty)", keys(t)(e.PrefixScan([]byte{})), "")
	if old, found, err := e.Delete(nil); err != nil || !found || len(old) != 0 {
		t.Fatalf("Delete(nil) = %q, %v, %v", old, found, err)
	}
	wantKeys(t, "All after Delete", keys(t)(e.Range(nil, nil, false)))
	if err := e.SetOffset("", 0, 0); err != nil {
		t.Fatal(err)
	}
	wantOffset(t, e, "", 0, 0, true)
}

func TestRangeBounds(t *testing.T) {
	e := mustOpen(t, t.TempDir())
	put(t, e, "a", "", "b", "", "b\x00", "", "b\x00\x00", "", "b\x01", "", "c", "", "\xff", "", "\xff\xff", "")
	cases := []struct {
		from, to string
		open     [2]bool
		want     []string
	}{
		{"b", "b", [2]bool{}, []string{"b"}},
		{"b", "b\x00", [2]bool{}, []string{"b", "b\x00"}},
		{"b\x00", "b\x01", [2]bool{}, []string{"b\x00", "b\x00\x00", "b\x01"}},
		{"", "\xff", [2]bool{}, []string{"a", "b", "b\x00", "b\x00\x00", "b\x01", "c", "\xff"}},
		{"", "\xff", [2]bool{false, true}, []string{"a", "b", "b\x00", "b\x00\x00", "b\x01", "c", "\xff", "\xff\xff"}},
		{"\xff", "", [2]bool{false, true}, []string{"\xff", "\xff\xff"}},
		{"c", "b", [2]bool{}, nil},
	}
	for _, tc := range cases {
		var from, to []byte = []byte(tc.from), []byte(tc.to)
		if tc.open[0] {
			from = nil
		}
		if tc.open[1] {
			to = nil
		}
		what := fmt.Sprintf("Range(%q, %q)", from, to)
		wantKeys(t, what, keys(t)(e.Range(from, to, false)), tc.want...)
		var rev []string
		for i := len(tc.want) - 1; i >= 0; i-- {
			rev = append(rev, tc.want[i])
		}
		wantKeys(t, "Reverse"+what, keys(t)(e.Range(from, to, true)), rev...)
	}
	wantKeys(t, "PrefixScan(b\\x00)", keys(t)(e.PrefixScan([]byte("b\x00"))), "b\x00", "b\x00\x00")
	wantKeys(t, "PrefixScan(\\xff)", keys(t)(e.PrefixScan([]byte("\xff"))), "\xff", "\xff\xff")
	// The bounds are copied: changing them after Range does not change the cursor.
	from, to := []byte("b"), []byte("c")
	c, err := e.Range(from, to, false)
	if err != nil {
		t.Fatal(err)
	}
	copy(from, "a")
	copy(to, "a")
	wantKeys(t, "Range after changing the bounds", keys(t)(c, nil), "b", "b\x00", "b\x00\x00", "b\x01", "c")
}

// The one-call-per-item stepping reads the same items as grocksdb's own Key and Value.
func TestNativeIteratorMatchesGrocksdb(t *testing.T) {
	e := mustOpen(t, t.TempDir())
	for i := 0; i < 1000; i++ {
		put(t, e, fmt.Sprintf("k%04d", i), strings.Repeat("v", i%50))
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	put(t, e, "k0500", "memtable")
	ro := grocksdb.NewDefaultReadOptions()
	defer ro.Destroy()
	it1, it2 := e.db.NewIterator(ro), e.db.NewIterator(ro)
	defer it1.Close()
	defer it2.Close()
	it1.SeekToFirst()
	k, v, ok := iterStep(it2, stepFirst)
	n := 0
	for ; it1.Valid(); it1.Next() {
		if !ok || !bytes.Equal(k, it1.Key().Data()) || !bytes.Equal(v, it1.Value().Data()) {
			t.Fatalf("item %d: native %q=%q (%v), grocksdb %q=%q", n, k, v, ok, it1.Key().Data(), it1.Value().Data())
		}
		k, v, ok = iterStep(it2, stepNext)
		n++
	}
	if ok || n != 1000 {
		t.Fatalf("native iterator: valid=%v after %d items, want the end after 1000", ok, n)
	}
	k, _, ok = iterStep(it2, stepLast)
	if !ok || string(k) != "k0999" {
		t.Fatalf("stepLast = %q, %v", k, ok)
	}
	k, _, ok = iterStep(it2, stepPrev)
	if !ok || string(k) != "k0998" {
		t.Fatalf("stepPrev = %q, %v", k, ok)
	}
}

// Closing the store while other goroutines use it and its cursors: every operation either
// works or returns store.ErrStoreClosed; nothing crashes (run with -race).
func TestCloseUnderLoad(t *testing.T) {
	for round := 0; round < 5; round++ {
		e, err := Open("load", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			put(t, e, fmt.Sprintf("k%03d", i), "v")
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		check := func(err error) {
			if err != nil && !errors.Is(err, store.ErrStoreClosed) {
				t.Errorf("unexpected error: %v", err)
			}
		}
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 200; i++ {
					k := []byte(fmt.Sprintf("k%03d", i))
					check(e.Put(k, k))
					_, _, err := e.Get(k)
					check(err)
					_, _, err = e.Delete(k)
					check(err)
					check(e.WriteWithOffset([]kv.Entry{{Key: k, Value: k}}, "t", int32(w), int64(i)))
					c, err := e.Range(nil, nil, i%2 == 0)
					check(err)
					if err == nil {
						for c.Next() {
							_ = c.Key()
							_ = c.Value()
						}
						check(c.Err())
						check(c.Close())
					}
				}
			}()
		}
		close(start)
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		wg.Wait()
		if n := e.OpenCursors(); n != 0 {
			t.Errorf("OpenCursors() = %d after Close, want 0", n)
		}
	}
}

func TestOptionsAreApplied(t *testing.T) {
	readOptions := func(t *testing.T, dir string) string {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, "OPTIONS-*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no OPTIONS file in %s: %v", dir, err)
		}
		b, err := os.ReadFile(files[len(files)-1])
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Kafka Streams' defaults.
	dir := t.TempDir()
	e := mustOpen(t, dir)
	_ = e.Close()
	got := readOptions(t, dir)
	for _, want := range []string{
		"write_buffer_size=16777216", "max_write_buffer_number=3", "compression=kNoCompression",
		"compaction_style=kCompactionStyleUniversal", "optimize_filters_for_hits=true",
		"block_size=4096", "filter_policy=bloomfilter", "max_open_files=-1",
		"target_file_size_base=67108864", "info_log_level=ERROR_LEVEL", "atomic_flush=true",
		`[CFOptions "tributary.offsets"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("default OPTIONS lack %q", want)
		}
	}

	// Overrides, and the config setter, called last with the store's name.
	dir = t.TempDir()
	var calledWith string
	e, err := Open("custom", dir,
		MaxOpenFiles(500), WriteBufferSize(8<<20), MaxWriteBufferNumber(4), TargetFileSizeBase(32<<20),
		BlockCacheSize(1<<20), BlockSize(16<<10), BloomFilterBits(0),
		ConfigSetter(func(name string, o *grocksdb.Options, tb *grocksdb.BlockBasedTableOptions) {
			calledWith = name
			o.SetMaxWriteBufferNumber(5) // the setter wins over MaxWriteBufferNumber
			tb.SetFormatVersion(4)
		}))
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Close()
	if calledWith != "custom" {
		t.Errorf("ConfigSetter called with %q, want the store's name", calledWith)
	}
	got = readOptions(t, dir)
	for _, want := range []string{
		"max_open_files=500", "write_buffer_size=8388608", "max_write_buffer_number=5",
		"target_file_size_base=33554432", "block_size=16384", "filter_policy=nullptr", "format_version=4",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("OPTIONS lack %q", want)
		}
	}
}

func TestMemoryBudgetSharesOneCache(t *testing.T) {
	budget := NewMemoryBudget(8 << 20)
	defer budget.Close()
	if budget.Capacity() != 8<<20 {
		t.Errorf("Capacity() = %d", budget.Capacity())
	}
	var stores []*Engine
	for i := 0; i < 2; i++ {
		e := mustOpen(t, t.TempDir(), SharedMemory(budget))
		for j := 0; j < 2000; j++ {
			put(t, e, fmt.Sprintf("k%05d", j), strings.Repeat("v", 100))
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, e)
	}
	before := budget.Usage()
	for _, e := range stores {
		wantKeysLen := 0
		c, err := e.Range(nil, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		for c.Next() {
			wantKeysLen++
		}
		_ = c.Close()
		if wantKeysLen != 2000 {
			t.Fatalf("read %d keys, want 2000", wantKeysLen)
		}
	}
	after := budget.Usage()
	if after <= before || after > budget.Capacity() {
		t.Errorf("shared cache usage %d before reads, %d after; want it to grow within %d", before, after, budget.Capacity())
	}
	// Closing the budget keeps open stores working; new stores cannot use it.
	budget.Close()
	budget.Close()
	wantGet(t, stores[0], "k00001", strings.Repeat("v", 100), true)
	_, err := Open("late", t.TempDir(), SharedMemory(budget))
	if !errors.Is(err, errBudgetClosed) {
		t.Errorf("Open with a closed budget = %v, want errBudgetClosed", err)
	}
	if budget.Usage() != 0 {
		t.Errorf("Usage() after Close = %d, want 0", budget.Usage())
	}
}

// A cursor over an empty range (from > to) follows the same rules as the others.
func TestEmptyRangeCursor(t *testing.T) {
	e, err := Open("s", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put(t, e, "a", "1")
	c, err := e.Range([]byte("z"), []byte("a"), false)
	if err != nil {
		t.Fatal(err)
	}
	if e.OpenCursors() != 1 {
		t.Errorf("OpenCursors() = %d, want 1", e.OpenCursors())
	}
	if c.Next() || c.Err() != nil {
		t.Errorf("empty cursor: Next true or Err %v", c.Err())
	}
	_ = e.Close()
	if c.Next() || !errors.Is(c.Err(), store.ErrStoreClosed) {
		t.Errorf("empty cursor after store Close: Err = %v, want store.ErrStoreClosed", c.Err())
	}
	if err := c.Close(); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Close = %v", err)
	}
	if c.Next() || !errors.Is(c.Err(), store.ErrStoreClosed) {
		t.Errorf("after Close: Err = %v", c.Err())
	}
	var _ cursor.Invalidator = (*dbCursor)(nil)
}
