package rocksdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/store/window/windowtest"
)

// windowSupply opens RocksDB window engines with small memtables, so that the many segment
// databases of the tests stay light.
func windowSupply(name string, opts window.Options) (window.Supplier, error) {
	return WindowSupplier(name, opts, WriteBufferSize(1<<20), BlockCacheSize(1<<20))
}

func TestWindowContract(t *testing.T) {
	windowtest.Run(t, windowSupply)
}

func TestWindowModel(t *testing.T) {
	ops := 3000
	if testing.Short() {
		ops = 500
	}
	windowtest.RunModel(t, windowSupply, ops)
}

// segmentDirs lists the segment directories of store name under the task directory dir.
func segmentDirs(t *testing.T, dir, name string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "rocksdb", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

// AbstractRocksDBWindowStoreTest.testRolling checks the segment directories: one RocksDB
// database per live segment, named <store>.<segment start>, deleted when the segment is
// dropped; and a store reopened on the same directory finds its segments and data again.
func TestWindowSegmentDirectories(t *testing.T) {
	dir := t.TempDir()
	opts := window.Options{WindowSize: 3 * time.Millisecond, Retention: 120 * time.Second, Segments: 3}
	sup, err := windowSupply("w", opts)
	if err != nil {
		t.Fatal(err)
	}
	b := window.NewBuilder(sup, serde.Int32, serde.String)
	open := func() *window.Store[int32, string] {
		st, err := b.Build(dir)
		if err != nil {
			t.Fatal(err)
		}
		return st.(*window.Store[int32, string])
	}
	s := open()
	put := func(k int32, v string, ts int64) {
		t.Helper()
		if err := s.Put(k, v, ts); err != nil {
			t.Fatal(err)
		}
	}
	const st, inc = 120_000, 30_000
	put(0, "zero", st)
	put(1, "one", st+inc)
	put(2, "two", st+2*inc)
	if got, want := segmentDirs(t, dir, "w"), []string{"w.120000", "w.180000"}; !slices.Equal(got, want) {
		t.Errorf("segment directories %v, want %v", got, want)
	}
	put(4, "four", st+4*inc)
	put(5, "five", st+5*inc)
	put(6, "six", st+6*inc)
	if got, want := segmentDirs(t, dir, "w"), []string{"w.180000", "w.240000", "w.300000"}; !slices.Equal(got, want) {
		t.Errorf("segment directories after the drop of segment 2: %v, want %v", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen: the segments come back. Stream time starts again unknown (as Kafka's
	// observedStreamTime after a restart), so nothing is filtered until the next put.
	s = open()
	defer s.Close()
	c, err := s.FetchAll(0, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	items, err := cursor.Collect(c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Value)
	}
	if want := []string{"two", "four", "five", "six"}; !slices.Equal(got, want) {
		t.Errorf("after reopening: %v, want %v", got, want)
	}
	put(8, "eight", st+8*inc) // stream time 360000: segments 4 to 6
	if got, want := segmentDirs(t, dir, "w"), []string{"w.240000", "w.300000", "w.360000"}; !slices.Equal(got, want) {
		t.Errorf("segment directories after reopening and advancing: %v, want %v", got, want)
	}
}

func TestWindowSupplierValidation(t *testing.T) {
	for _, c := range []struct {
		name  string
		opts  window.Options
		rocks []Option
	}{
		{"w", window.Options{}, nil}, // no window size
		{"w", window.Options{WindowSize: time.Hour, Retention: time.Minute}, nil},
		{"w", window.Options{WindowSize: time.Second, Segments: 1}, nil},
		{"w", window.Options{WindowSize: time.Second}, []Option{WriteBufferSize(0)}},
		{"", window.Options{WindowSize: time.Second}, nil},
		{"a/b", window.Options{WindowSize: time.Second}, nil},
	} {
		_, err := WindowSupplier(c.name, c.opts, c.rocks...)
		var se *store.Error
		if !errors.As(err, &se) || se.Op != "supplier" {
			t.Errorf("WindowSupplier(%q, %+v): %v, want a *store.Error", c.name, c.opts, err)
		}
	}
	sup, err := WindowSupplier("w", window.Options{WindowSize: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !sup.Persistent() || sup.Name() != "w" || sup.Options().Retention != window.DefaultRetention || sup.Options().Segments != 2 {
		t.Errorf("supplier: persistent %v, name %q, options %+v", sup.Persistent(), sup.Name(), sup.Options())
	}
	// A file where the store's directory should be fails the open, naming the store.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rocksdb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rocksdb", "w"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Open(dir); err == nil {
		t.Error("Open over a file: no error")
	}
}

// A RocksDB window store in a task directory: each segment is a database of its own under
// <dir>/rocksdb/<name>.
func ExampleWindowSupplier() {
	dir, err := os.MkdirTemp("", "tributary-window-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	sup, err := WindowSupplier("pageviews-per-hour", window.Options{WindowSize: time.Hour, Retention: 2 * time.Hour})
	if err != nil {
		panic(err)
	}
	st, err := window.NewBuilder(sup, serde.String, serde.Int64).Build(dir)
	if err != nil {
		panic(err)
	}
	views := st.(*window.Store[string, int64])
	defer views.Close()

	const hour = 3_600_000 // ms
	for _, p := range []struct {
		page  string
		start int64
		n     int64
	}{{"/home", 0, 12}, {"/docs", 0, 3}, {"/home", hour, 7}, {"/home", 2 * hour, 5}} {
		if err := views.Put(p.page, p.n, p.start); err != nil {
			panic(err)
		}
	}
	c, err := views.FetchAll(0, 2*hour)
	if err != nil {
		panic(err)
	}
	for w, n := range cursor.All(c) {
		fmt.Printf("%s [%dh, %dh): %d\n", w.Key, w.Start/hour, w.End/hour, n)
	}
	if err := c.Err(); err != nil {
		panic(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "rocksdb", "pageviews-per-hour"))
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	// Output:
	// /home [1h, 2h): 7
	// /home [2h, 3h): 5
	// pageviews-per-hour.0
	// pageviews-per-hour.7200000
}
