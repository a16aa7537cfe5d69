package kv_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/cursor/cursortest"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

type skv = cursor.KeyValue[string, int64]

func newCounts(t *testing.T) *kv.Store[string, int64] {
	t.Helper()
	s := kv.New(kv.NewMemory("counts"), serde.String, serde.Int64)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func collectTyped[K, V any](t *testing.T) func(c cursor.Cursor[K, V], err error) []cursor.KeyValue[K, V] {
	return func(c cursor.Cursor[K, V], err error) []cursor.KeyValue[K, V] {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cursor.Collect(c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func TestTypedStoreOperations(t *testing.T) {
	s := newCounts(t)
	if s.Name() != "counts" || s.Persistent() || !s.IsOpen() {
		t.Fatalf("Name/Persistent/IsOpen = %q/%v/%v", s.Name(), s.Persistent(), s.IsOpen())
	}
	if err := s.PutAll([]skv{{Key: "apple", Value: 1}, {Key: "banana", Value: 2}, {Key: "cherry", Value: 3}, {Key: "apricot", Value: 4}}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get("banana"); err != nil || !ok || v != 2 {
		t.Fatalf("Get(banana) = %d, %v, %v", v, ok, err)
	}
	if _, ok, err := s.Get("durian"); err != nil || ok {
		t.Fatalf("Get(durian) found=%v err=%v, want absent", ok, err)
	}
	if old, ok, err := s.PutIfAbsent("apple", 9); err != nil || !ok || old != 1 {
		t.Fatalf("PutIfAbsent(apple) = %d, %v, %v; want 1, true", old, ok, err)
	}
	if _, ok, err := s.PutIfAbsent("durian", 5); err != nil || ok {
		t.Fatalf("PutIfAbsent(durian) found=%v err=%v; want written", ok, err)
	}
	if old, ok, err := s.Delete("cherry"); err != nil || !ok || old != 3 {
		t.Fatalf("Delete(cherry) = %d, %v, %v", old, ok, err)
	}
	if err := s.Put("banana", 20); err != nil {
		t.Fatal(err)
	}
	want := []skv{{Key: "apple", Value: 1}, {Key: "apricot", Value: 4}, {Key: "banana", Value: 20}, {Key: "durian", Value: 5}}
	if diff := cmp.Diff(want, collectTyped[string, int64](t)(s.All())); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
	rev := []skv{want[3], want[2], want[1], want[0]}
	if diff := cmp.Diff(rev, collectTyped[string, int64](t)(s.ReverseAll())); diff != "" {
		t.Errorf("ReverseAll (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:3], collectTyped[string, int64](t)(s.Range(new("apricot"), new("banana")))); diff != "" {
		t.Errorf("Range(apricot, banana) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]skv{want[3], want[2]}, collectTyped[string, int64](t)(s.ReverseRange(new("b"), nil))); diff != "" {
		t.Errorf("ReverseRange(b, nil) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[:2], collectTyped[string, int64](t)(s.PrefixScan("ap"))); diff != "" {
		t.Errorf("PrefixScan(ap) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[2:3], collectTyped[string, int64](t)(kv.PrefixScanWith(s, []byte("ban"), serde.Bytes))); diff != "" {
		t.Errorf("PrefixScanWith(ban) (-want +got):\n%s", diff)
	}
	if got := collectTyped[string, int64](t)(s.Range(new("z"), new("a"))); len(got) != 0 {
		t.Errorf("Range(z, a) = %v, want empty", got)
	}
	if n, err := s.ApproximateNumEntries(); err != nil || n != 4 {
		t.Errorf("ApproximateNumEntries() = %d, %v; want 4", n, err)
	}
	if err := s.Flush(); err != nil {
		t.Error(err)
	}
	cursortest.Run(t, func(t *testing.T) cursor.Cursor[string, int64] {
		c, err := s.Range(new("apricot"), new("banana"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, want[1:3])
}

// Keys are ordered by their serialized bytes, as in Kafka Streams: big-endian Int64 keys sort
// non-negative numbers numerically, and negative numbers after them (sign bit set).
func TestTypedStoreByteOrder(t *testing.T) {
	s := kv.New(kv.NewMemory("by-number"), serde.Int64, serde.String)
	defer s.Close()
	for _, k := range []int64{300, -1, 2, 0, 1 << 40} {
		if err := s.Put(k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	var keys []int64
	for _, kv := range collectTyped[int64, string](t)(s.All()) {
		keys = append(keys, kv.Key)
	}
	if diff := cmp.Diff([]int64{0, 2, 300, 1 << 40, -1}, keys); diff != "" {
		t.Errorf("key order (-want +got):\n%s", diff)
	}
}

func TestTypedStoreBadBytes(t *testing.T) {
	e := kv.NewMemory("counts")
	s := kv.New(e, serde.String, serde.Int64, kv.SerdeTopic("app-counts-changelog"))
	defer s.Close()
	if err := e.Put([]byte("k"), []byte{1, 2, 3}); err != nil { // 3 bytes: not an Int64
		t.Fatal(err)
	}
	_, _, err := s.Get("k")
	var se *store.Error
	var de *serde.Error
	if !errors.As(err, &se) || se.Store != "counts" || se.Op != "get" || !errors.As(err, &de) || de.Topic != "app-counts-changelog" {
		t.Fatalf("Get of bad bytes = %v; want a *store.Error for store counts wrapping a *serde.Error for the changelog topic", err)
	}
	if !errors.Is(err, serde.ErrSize) {
		t.Errorf("Get of bad bytes = %v; want serde.ErrSize", err)
	}
	c, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	if c.Next() {
		t.Fatal("Next() over bad bytes returned true")
	}
	if err := c.Err(); !errors.Is(err, serde.ErrSize) || !strings.Contains(err.Error(), `"counts"`) {
		t.Errorf("cursor Err() = %v; want a size error naming the store", err)
	}
	if err := c.Close(); err == nil {
		t.Error("Close() of a failed cursor returned nil, want its error")
	}
}

func TestTypedStoreClosed(t *testing.T) {
	s := kv.New(kv.NewMemory("closed"), serde.String, serde.String)
	_ = s.Put("a", "1")
	_ = s.Put("b", "2")
	cursortest.RunInvalidation(t, func(t *testing.T) cursor.Cursor[string, string] {
		c, err := s.All()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, func(t *testing.T) { _ = s.Close() }, store.ErrStoreClosed)
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	if _, _, err := s.Get("a"); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Get after Close = %v", err)
	}
	if err := s.Put("a", "1"); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Put after Close = %v", err)
	}
	if _, err := s.Range(nil, nil); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Range after Close = %v", err)
	}
}

// The typed store hands freshly serialized values to in-memory engines without copying, but
// only when the serde's output is its own: serde.Bytes returns the caller's slice, which the
// caller may reuse.
func TestTypedStoreDoesNotKeepCallersBytes(t *testing.T) {
	for name, e := range map[string]kv.Engine{"memory": kv.NewMemory("b"), "lru": must(kv.NewLRU("b", 10))} {
		s := kv.New(e, serde.String, serde.Bytes)
		buf := []byte("first")
		if err := s.Put("k", buf); err != nil {
			t.Fatal(err)
		}
		copy(buf, "XXXXX")
		if v, _, _ := s.Get("k"); string(v) != "first" {
			t.Errorf("%s: stored value changed with the caller's slice: %q", name, v)
		}
		_ = s.Close()
	}
}

// An owned put into the LRU engine counts as a use and evicts like Put.
func TestLRUPutOwnedEvicts(t *testing.T) {
	l := must(kv.NewLRU("lru", 2))
	var evicted []string
	l.SetEvictionListener(func(k, _ []byte) { evicted = append(evicted, string(k)) })
	s := kv.New(l, serde.String, serde.Int64) // Int64 output is fresh: PutOwned is used
	for i, k := range []string{"a", "b", "a", "c"} {
		if err := s.Put(k, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(evicted) != 1 || evicted[0] != "b" {
		t.Fatalf("evicted %v, want [b]", evicted)
	}
	if v, ok, _ := s.Get("a"); !ok || v != 2 {
		t.Errorf("Get(a) = %d, %v; want 2", v, ok)
	}
}
