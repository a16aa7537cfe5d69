package changelog_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/kv/kvtest"
)

// Budgets for the contract suites: one that never evicts in any test, one that holds about
// three small entries (every few writes evict, flushing the dirty entries), and none at all
// (every write goes straight through, Kafka's cache.max.bytes.buffering=0).
const (
	cacheBigBudget  = 1 << 30
	cacheTinyBudget = 3 * (changelog.CacheEntryOverhead + 8)
)

func cacheOpen(budget int64) kvtest.Opener {
	return func(t *testing.T) kv.Engine {
		return changelog.NewCachedEngine(kv.NewMemory("cached-"+t.Name()), changelog.NewCache(budget), nil)
	}
}

// cacheOpenWithListener opens a cached engine whose flush listener (with old values) keeps a
// mirror of what was forwarded and checks, at every call, that the entry is what the inner
// engine now holds and that its old value is the mirror's previous value: what a flush
// forwards downstream (Kafka's CachingKeyValueStore with sendOldValues) is exactly the
// sequence of changes to the inner store.
func cacheOpenWithListener(budget int64) kvtest.Opener {
	return func(t *testing.T) kv.Engine {
		inner := kv.NewMemory("cached-" + t.Name())
		e := changelog.NewCachedEngine(inner, changelog.NewCache(budget), nil)
		var mu sync.Mutex // the Concurrent subtest writes (distinct keys) from several goroutines
		mirror := map[string]string{}
		e.SetFlushListener(func(fe changelog.FlushedEntry) error {
			mu.Lock()
			defer mu.Unlock()
			prev, had := mirror[string(fe.Key)]
			if had != (fe.OldValue != nil) || string(fe.OldValue) != prev {
				t.Errorf("flush of %q: old value %q (present %v), but the last value forwarded was %q (present %v)",
					fe.Key, fe.OldValue, fe.OldValue != nil, prev, had)
			}
			if fe.NewValue == nil && !had {
				t.Errorf("flush of %q: a delete of a key that was never forwarded was forwarded", fe.Key)
			}
			v, found, err := inner.Get(fe.Key)
			if err != nil || found != (fe.NewValue != nil) || !bytes.Equal(v, fe.NewValue) {
				t.Errorf("flush of %q: listener got %q, inner holds %q, %v, %v", fe.Key, fe.NewValue, v, found, err)
			}
			if fe.NewValue == nil {
				delete(mirror, string(fe.Key))
			} else {
				mirror[string(fe.Key)] = string(fe.NewValue)
			}
			return nil
		}, true)
		return e
	}
}

func TestCachedEngineContract(t *testing.T) {
	t.Run("BigCache", func(t *testing.T) { kvtest.RunEngine(t, cacheOpen(cacheBigBudget)) })
	t.Run("TinyCache", func(t *testing.T) { kvtest.RunEngine(t, cacheOpen(cacheTinyBudget)) })
	t.Run("NoCache", func(t *testing.T) { kvtest.RunEngine(t, cacheOpen(0)) })
	t.Run("TinyCacheListener", func(t *testing.T) { kvtest.RunEngine(t, cacheOpenWithListener(cacheTinyBudget)) })
}

func TestCachedEngineModel(t *testing.T) {
	t.Run("BigCache", func(t *testing.T) { kvtest.RunModel(t, cacheOpen(cacheBigBudget), 50_000) })
	t.Run("TinyCache", func(t *testing.T) { kvtest.RunModel(t, cacheOpen(cacheTinyBudget), 50_000) })
	t.Run("SmallCache", func(t *testing.T) { kvtest.RunModel(t, cacheOpen(40*changelog.CacheEntryOverhead), 50_000) })
	t.Run("NoCache", func(t *testing.T) { kvtest.RunModel(t, cacheOpen(0), 20_000) })
	t.Run("BigCacheListener", func(t *testing.T) { kvtest.RunModel(t, cacheOpenWithListener(cacheBigBudget), 50_000) })
	t.Run("SmallCacheListener", func(t *testing.T) {
		kvtest.RunModel(t, cacheOpenWithListener(40*changelog.CacheEntryOverhead), 50_000)
	})
}

// cacheRecorder is an inner engine that records the batches written to it and can be made to fail.
type cacheRecorder struct {
	kv.Engine
	mu        sync.Mutex
	batches   [][]kv.Entry
	flushes   int
	failWrite error
	failGet   error
}

func newCacheRecorder(name string) *cacheRecorder { return &cacheRecorder{Engine: kv.NewMemory(name)} }

func (r *cacheRecorder) Write(batch []kv.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failWrite != nil {
		return r.failWrite
	}
	cp := make([]kv.Entry, len(batch))
	for i, en := range batch {
		cp[i] = kv.Entry{Key: bytes.Clone(en.Key), Value: bytes.Clone(en.Value), Delete: en.Delete}
	}
	r.batches = append(r.batches, cp)
	return r.Engine.Write(batch)
}

func (r *cacheRecorder) Get(key []byte) ([]byte, bool, error) {
	r.mu.Lock()
	fail := r.failGet
	r.mu.Unlock()
	if fail != nil {
		return nil, false, fail
	}
	return r.Engine.Get(key)
}

func (r *cacheRecorder) Flush() error {
	r.mu.Lock()
	r.flushes++
	r.mu.Unlock()
	return r.Engine.Flush()
}

// written returns every entry written so far, in order, and forgets them.
func (r *cacheRecorder) written() []kv.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []kv.Entry
	for _, b := range r.batches {
		out = append(out, b...)
	}
	r.batches = nil
	return out
}

func (r *cacheRecorder) numBatches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.batches)
}

// flushed is a FlushedEntry with strings, for comparing.
type cacheFlushed struct {
	Key, New, Old string
	Deleted       bool
	HasOld        bool
	Offset        int64
}

type cacheListener struct {
	mu  sync.Mutex
	got []cacheFlushed
	err error
}

func (l *cacheListener) fn(fe changelog.FlushedEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, cacheFlushed{
		Key: string(fe.Key), New: string(fe.NewValue), Old: string(fe.OldValue),
		Deleted: fe.NewValue == nil, HasOld: fe.OldValue != nil, Offset: fe.Context.Offset,
	})
	return l.err
}

func (l *cacheListener) take() []cacheFlushed {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

// offsets is a ContextFunc whose offset the test sets before each write.
type cacheOffsets struct{ next int64 }

func (o *cacheOffsets) ctx() changelog.RecordContext {
	return changelog.RecordContext{Topic: "in", Partition: 3, Offset: o.next, Timestamp: 1000 + o.next}
}

func cb(s string) []byte { return []byte(s) }

func cachePut(t *testing.T, e kv.Engine, kvs ...string) {
	t.Helper()
	for i := 0; i+1 < len(kvs); i += 2 {
		if err := e.Put(cb(kvs[i]), cb(kvs[i+1])); err != nil {
			t.Fatalf("Put(%q): %v", kvs[i], err)
		}
	}
}

func cacheFlush(t *testing.T, e kv.Engine) {
	t.Helper()
	if err := e.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func cacheCheckGet(t *testing.T, e kv.Engine, key, want string, wantFound bool) {
	t.Helper()
	v, found, err := e.Get(cb(key))
	if err != nil || found != wantFound || string(v) != want {
		t.Fatalf("Get(%q) = %q, %v, %v; want %q, %v", key, v, found, err, want, wantFound)
	}
}

func cacheItems(t *testing.T, c kv.Bytes, err error) []string {
	t.Helper()
	if err != nil {
		t.Fatalf("opening cursor: %v", err)
	}
	kvs, err := cursor.Collect(c)
	if err != nil {
		t.Fatalf("cursor: %v", err)
	}
	out := make([]string, len(kvs))
	for i, it := range kvs {
		out[i] = string(it.Key) + "=" + string(it.Value)
	}
	return out
}

func cacheEntryStrings(entries []kv.Entry) []string {
	out := make([]string, len(entries))
	for i, en := range entries {
		if en.Delete {
			out[i] = "-" + string(en.Key)
		} else {
			out[i] = string(en.Key) + "=" + string(en.Value)
		}
	}
	return out
}

// Kafka's CachingKeyValueStore over a NamedCache: writes to a key between commits are
// deduplicated; the flush writes each dirty key once with its last value and hands the
// listener its last record context (ThreadCache.DirtyEntry carries the LRUCacheEntry's
// context), with the store's previous value when sendOldValues.
func TestCacheDedup(t *testing.T) {
	inner := newCacheRecorder("dedup")
	o := &cacheOffsets{}
	e := changelog.NewCachedEngine(inner, changelog.NewCache(cacheBigBudget), o.ctx)
	defer e.Close()
	l := &cacheListener{}
	e.SetFlushListener(l.fn, true)

	round := func(r int) {
		for i := 0; i < 1000; i++ {
			o.next = int64(r*1000 + i)
			if err := e.Put(cb(fmt.Sprintf("k%d", i%10)), cb(fmt.Sprintf("r%d-v%d", r, i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	round(0)
	if n := inner.numBatches(); n != 0 {
		t.Fatalf("inner saw %d writes before Flush, want 0", n)
	}
	cacheFlush(t, e)
	if n := inner.numBatches(); n != 1 {
		t.Errorf("Flush wrote %d batches to inner, want 1", n)
	}
	var want []string
	var wantFlushed []cacheFlushed
	for k := 0; k < 10; k++ {
		v := fmt.Sprintf("r0-v%d", 990+k)
		want = append(want, fmt.Sprintf("k%d=%s", k, v))
		wantFlushed = append(wantFlushed, cacheFlushed{Key: fmt.Sprintf("k%d", k), New: v, Offset: int64(990 + k)})
	}
	if diff := cmp.Diff(want, cacheEntryStrings(inner.written())); diff != "" {
		t.Errorf("inner writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFlushed, l.take()); diff != "" {
		t.Errorf("flushed entries (-want +got):\n%s", diff)
	}
	if inner.flushes != 1 {
		t.Errorf("inner flushed %d times, want 1", inner.flushes)
	}

	// Second round: the old values are the first round's last values.
	round(1)
	cacheFlush(t, e)
	if got := len(inner.written()); got != 10 {
		t.Errorf("second flush wrote %d entries, want 10", got)
	}
	got := l.take()
	if len(got) != 10 {
		t.Fatalf("second flush: %d entries to the listener, want 10", len(got))
	}
	for k, fe := range got {
		wantOld := fmt.Sprintf("r0-v%d", 990+k)
		wantNew := fmt.Sprintf("r1-v%d", 990+k)
		if fe.Key != fmt.Sprintf("k%d", k) || fe.New != wantNew || !fe.HasOld || fe.Old != wantOld || fe.Offset != int64(1990+k) {
			t.Errorf("second flush entry %d = %+v; want k%d %s (old %s) at offset %d", k, fe, k, wantNew, wantOld, 1990+k)
		}
	}

	// A flush with nothing dirty writes nothing and calls no listener, but flushes inner.
	cacheFlush(t, e)
	if n := inner.numBatches(); n != 0 || len(l.take()) != 0 || inner.flushes != 3 {
		t.Errorf("empty flush: %d batches, inner flushes %d; want 0 and 3", n, inner.flushes)
	}
}

// Kafka's NamedCache.put moves a key written again to the end of its dirty keys ("first remove
// and then add so we can maintain ordering as the arrival order of the records"): a flush
// writes and forwards in the order of each key's last write, so that what goes downstream is
// in the order the records arrived.
func TestCacheFlushOrderIsLastWriteOrder(t *testing.T) {
	inner := newCacheRecorder("order")
	o := &cacheOffsets{}
	e := changelog.NewCachedEngine(inner, changelog.NewCache(cacheBigBudget), o.ctx)
	defer e.Close()
	l := &cacheListener{}
	e.SetFlushListener(l.fn, false)
	for i, k := range []string{"a", "b", "c", "a", "d", "b"} {
		o.next = int64(i)
		cachePut(t, e, k, fmt.Sprint(i))
	}
	cacheFlush(t, e)
	if diff := cmp.Diff([]string{"c=2", "a=3", "d=4", "b=5"}, cacheEntryStrings(inner.written())); diff != "" {
		t.Errorf("flush order (-want +got):\n%s", diff)
	}
	var keys []string
	var offs []int64
	for _, fe := range l.take() {
		keys = append(keys, fe.Key)
		offs = append(offs, fe.Offset)
	}
	if !slices.Equal(keys, []string{"c", "a", "d", "b"}) || !slices.Equal(offs, []int64{2, 3, 4, 5}) {
		t.Errorf("listener got keys %v offsets %v; want [c a d b] [2 3 4 5]", keys, offs)
	}
}

// Kafka's ThreadCache.maybeEvict: when the cache is over its budget after a write, the store
// evicts its least recently used entry; NamedCache.evict flushes every dirty entry of the
// store first when that entry is dirty. Nothing is lost: what was evicted is read back from
// the inner store.
func TestCacheEvictionFlushesDirtyEntries(t *testing.T) {
	inner := newCacheRecorder("evict")
	cache := changelog.NewCache(4 * (changelog.CacheEntryOverhead + 4)) // four entries of key+value 4 bytes
	e := changelog.NewCachedEngine(inner, cache, nil)
	defer e.Close()
	l := &cacheListener{}
	e.SetFlushListener(l.fn, false)

	cachePut(t, e, "k0", "v0", "k1", "v1", "k2", "v2", "k3", "v3")
	if cache.Evictions() != 0 || inner.numBatches() != 0 {
		t.Fatalf("at the budget: %d evictions, %d inner writes; want none", cache.Evictions(), inner.numBatches())
	}
	if want := int64(4 * (changelog.CacheEntryOverhead + 4)); cache.SizeBytes() != want {
		t.Errorf("SizeBytes() = %d, want %d", cache.SizeBytes(), want)
	}
	cacheCheckGet(t, e, "k0", "v0", true) // k0 becomes the most recently used: k1 is the eldest
	cachePut(t, e, "k4", "v4")
	if cache.Evictions() != 1 {
		t.Errorf("Evictions() = %d after one write over budget, want 1", cache.Evictions())
	}
	// The eldest (k1) was dirty: all five dirty entries were flushed, in write order, as
	// one batch, then k1 dropped.
	if diff := cmp.Diff([]string{"k0=v0", "k1=v1", "k2=v2", "k3=v3", "k4=v4"}, cacheEntryStrings(inner.written())); diff != "" {
		t.Errorf("eviction flush (-want +got):\n%s", diff)
	}
	if got := len(l.take()); got != 5 {
		t.Errorf("eviction flush called the listener %d times, want 5", got)
	}
	if inner.flushes != 0 {
		t.Errorf("an eviction flushed the inner engine (%d times); only Flush does", inner.flushes)
	}
	if cache.SizeBytes() > cache.MaxBytes() {
		t.Errorf("SizeBytes() = %d over MaxBytes() = %d after eviction", cache.SizeBytes(), cache.MaxBytes())
	}
	// Now the eldest are clean (k2, then k3): evicting them writes nothing.
	cachePut(t, e, "k5", "v5")
	cachePut(t, e, "k6", "v6")
	if w := inner.written(); len(w) != 0 || cache.Evictions() != 3 {
		t.Errorf("evicting clean entries: wrote %v, Evictions() = %d; want nothing, 3", cacheEntryStrings(w), cache.Evictions())
	}
	for i := 0; i <= 6; i++ {
		cacheCheckGet(t, e, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i), true)
	}
	want := []string{"k0=v0", "k1=v1", "k2=v2", "k3=v3", "k4=v4", "k5=v5", "k6=v6"}
	if diff := cmp.Diff(want, cacheItemsOf(t)(e.Range(nil, nil, false))); diff != "" {
		t.Errorf("Range after evictions (-want +got):\n%s", diff)
	}
	cacheFlush(t, e)
	if diff := cmp.Diff(want, cacheItemsOf(t)(inner.Range(nil, nil, false))); diff != "" {
		t.Errorf("inner after Flush (-want +got):\n%s", diff)
	}
}

// cacheItemsOf is the curried form of cacheItems for one-line calls on (cursor, error) pairs.
func cacheItemsOf(t *testing.T) func(kv.Bytes, error) []string {
	return func(c kv.Bytes, err error) []string {
		t.Helper()
		return cacheItems(t, c, err)
	}
}

// A delete through the cache is a dirty tombstone (Kafka's CachingKeyValueStore.delete puts a
// null value): Get and ranges do not see the inner key (MergedSortedCacheKeyValueBytesStoreIterator
// skips cached nulls and the store keys they shadow), and the flush writes a delete.
func TestCacheDeletesHideInnerKeys(t *testing.T) {
	inner := newCacheRecorder("deletes")
	cachePut(t, inner, "a", "1", "b", "2", "c", "3", "ba", "4")
	e := changelog.NewCachedEngine(inner, changelog.NewCache(cacheBigBudget), nil)
	defer e.Close()
	l := &cacheListener{}
	e.SetFlushListener(l.fn, true)

	old, found, err := e.Delete(cb("b"))
	if err != nil || !found || string(old) != "2" {
		t.Fatalf("Delete(b) = %q, %v, %v; want \"2\", true", old, found, err)
	}
	old, found, err = e.Delete(cb("b"))
	if err != nil || found || old != nil {
		t.Fatalf("second Delete(b) = %q, %v, %v; want nil, false (the cached tombstone)", old, found, err)
	}
	cachePut(t, e, "c", "30", "d", "40")
	cacheCheckGet(t, e, "b", "", false)
	cacheCheckGet(t, inner, "b", "2", true) // not flushed yet
	if diff := cmp.Diff([]string{"a=1", "ba=4", "c=30", "d=40"}, cacheItemsOf(t)(e.Range(nil, nil, false))); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d=40", "c=30", "ba=4", "a=1"}, cacheItemsOf(t)(e.Range(nil, nil, true))); diff != "" {
		t.Errorf("ReverseAll (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ba=4", "c=30"}, cacheItemsOf(t)(e.Range(cb("b"), cb("c"), false))); diff != "" {
		t.Errorf("Range(b, c) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ba=4"}, cacheItemsOf(t)(e.PrefixScan(cb("b")))); diff != "" {
		t.Errorf("PrefixScan(b) (-want +got):\n%s", diff)
	}
	if _, found, _ := e.PutIfAbsent(cb("b"), cb("new")); found {
		t.Errorf("PutIfAbsent(b) found the deleted key")
	}
	if _, _, err := e.Delete(cb("b")); err != nil {
		t.Fatal(err)
	}
	// A delete of a key the inner store never held.
	if _, found, err := e.Delete(cb("zz")); err != nil || found {
		t.Fatalf("Delete(zz) = %v, %v", found, err)
	}
	if n, err := e.ApproximateNumEntries(); err != nil || n != 4 {
		t.Errorf("ApproximateNumEntries() = %d, %v; want 4 (a, ba, c, d)", n, err)
	}

	cacheFlush(t, e)
	// With a listener, Kafka's putAndMaybeForward drops a delete of a key the store does not
	// hold: zz is neither written nor forwarded.
	if diff := cmp.Diff([]string{"c=30", "d=40", "-b"}, cacheEntryStrings(inner.written())); diff != "" {
		t.Errorf("flush writes (-want +got):\n%s", diff)
	}
	want := []cacheFlushed{
		{Key: "c", New: "30", Old: "3", HasOld: true},
		{Key: "d", New: "40"},
		{Key: "b", Deleted: true, Old: "2", HasOld: true},
	}
	if diff := cmp.Diff(want, l.take()); diff != "" {
		t.Errorf("flushed (-want +got):\n%s", diff)
	}
	cacheCheckGet(t, inner, "b", "", false)
	cacheCheckGet(t, e, "b", "", false)

	// Without a listener the delete is written as it is (the changelog gets its tombstone).
	e.SetFlushListener(nil, false)
	if _, _, err := e.Delete(cb("yy")); err != nil {
		t.Fatal(err)
	}
	cacheFlush(t, e)
	if diff := cmp.Diff([]string{"-yy"}, cacheEntryStrings(inner.written())); diff != "" {
		t.Errorf("flush without listener (-want +got):\n%s", diff)
	}
}

// Writes through Write (Kafka's putAll) and PutIfAbsent are cached like puts; an empty value
// is a value, forwarded as a non-nil empty slice.
func TestCacheWriteAndPutIfAbsent(t *testing.T) {
	inner := newCacheRecorder("write")
	cachePut(t, inner, "x", "inner")
	e := changelog.NewCachedEngine(inner, changelog.NewCache(cacheBigBudget), nil)
	defer e.Close()
	l := &cacheListener{}
	e.SetFlushListener(l.fn, false)
	if err := e.Write([]kv.Entry{{Key: cb("a"), Value: cb("1")}, {Key: cb("x"), Delete: true}, {Key: cb("e"), Value: nil}}); err != nil {
		t.Fatal(err)
	}
	old, found, err := e.PutIfAbsent(cb("a"), cb("2"))
	if err != nil || !found || string(old) != "1" {
		t.Errorf("PutIfAbsent(cached a) = %q, %v, %v", old, found, err)
	}
	old, found, err = e.PutIfAbsent(cb("x"), cb("3"))
	if err != nil || found || old != nil {
		t.Errorf("PutIfAbsent(deleted x) = %q, %v, %v", old, found, err)
	}
	cacheFlush(t, e)
	if diff := cmp.Diff([]string{"a=1", "e=", "x=3"}, cacheEntryStrings(inner.written())); diff != "" {
		t.Errorf("flush (-want +got):\n%s", diff)
	}
	got := l.take()
	if len(got) != 3 || got[1].Key != "e" || got[1].Deleted {
		t.Errorf("flushed %+v; want e as an empty value, not a delete", got)
	}
}

// Kafka's ThreadCache: one budget for all the stores of a thread, each store a NamedCache;
// maybeEvict evicts from the store that was written, never from another.
func TestCacheSharedBudget(t *testing.T) {
	const entry = changelog.CacheEntryOverhead + 4
	cache := changelog.NewCache(4 * entry)
	innerA, innerB := newCacheRecorder("a"), newCacheRecorder("b")
	a := changelog.NewCachedEngine(innerA, cache, nil)
	bb := changelog.NewCachedEngine(innerB, cache, nil)
	cachePut(t, a, "a0", "v0", "a1", "v1", "a2", "v2")
	cachePut(t, bb, "b0", "v0")
	if cache.SizeBytes() != 4*entry || cache.Evictions() != 0 {
		t.Fatalf("SizeBytes() = %d, Evictions() = %d; want %d, 0", cache.SizeBytes(), cache.Evictions(), 4*entry)
	}
	// B's write takes the total over: B evicts its own eldest (b0), flushing B.
	cachePut(t, bb, "b1", "v1")
	if cache.Evictions() != 1 || cache.SizeBytes() != 4*entry {
		t.Errorf("after B's write: Evictions() = %d, SizeBytes() = %d; want 1, %d", cache.Evictions(), cache.SizeBytes(), 4*entry)
	}
	if diff := cmp.Diff([]string{"b0=v0", "b1=v1"}, cacheEntryStrings(innerB.written())); diff != "" {
		t.Errorf("B's eviction flush (-want +got):\n%s", diff)
	}
	if n := innerA.numBatches(); n != 0 {
		t.Errorf("B's write made A flush (%d batches)", n)
	}
	// A's write evicts from A.
	cachePut(t, a, "a3", "v3")
	if diff := cmp.Diff([]string{"a0=v0", "a1=v1", "a2=v2", "a3=v3"}, cacheEntryStrings(innerA.written())); diff != "" {
		t.Errorf("A's eviction flush (-want +got):\n%s", diff)
	}
	cacheCheckGet(t, a, "a0", "v0", true)
	cacheCheckGet(t, bb, "b0", "v0", true)

	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if cache.SizeBytes() != 1*entry {
		t.Errorf("SizeBytes() = %d after A closed, want B's one entry (%d)", cache.SizeBytes(), entry)
	}
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	if cache.SizeBytes() != 0 {
		t.Errorf("SizeBytes() = %d after both closed, want 0", cache.SizeBytes())
	}
}

// Kafka's ThreadCache.resize: shrinking evicts from the stores in turn until the total fits;
// dirty entries are flushed before they go; growing evicts nothing.
func TestCacheResize(t *testing.T) {
	const entry = changelog.CacheEntryOverhead + 4
	cache := changelog.NewCache(10 * entry)
	innerA, innerB := newCacheRecorder("a"), newCacheRecorder("b")
	a := changelog.NewCachedEngine(innerA, cache, nil)
	defer a.Close()
	bb := changelog.NewCachedEngine(innerB, cache, nil)
	defer bb.Close()
	l := &cacheListener{}
	a.SetFlushListener(l.fn, false)
	for i := 0; i < 4; i++ {
		cachePut(t, a, fmt.Sprintf("a%d", i), "vv")
		cachePut(t, bb, fmt.Sprintf("b%d", i), "vv")
	}
	cache.Resize(20 * entry)
	if cache.Evictions() != 0 || cache.MaxBytes() != 20*entry {
		t.Fatalf("growing: Evictions() = %d, MaxBytes() = %d", cache.Evictions(), cache.MaxBytes())
	}
	cache.Resize(4 * entry)
	if cache.SizeBytes() > 4*entry || cache.Evictions() != 4 {
		t.Errorf("after shrinking: SizeBytes() = %d, Evictions() = %d; want <= %d, 4", cache.SizeBytes(), cache.Evictions(), 4*entry)
	}
	if len(innerA.written()) != 4 || len(innerB.written()) != 4 || len(l.take()) != 4 {
		t.Errorf("shrinking did not flush both stores' dirty entries")
	}
	cache.Resize(0)
	if cache.SizeBytes() != 0 {
		t.Errorf("SizeBytes() = %d after Resize(0), want 0", cache.SizeBytes())
	}
	for i := 0; i < 4; i++ {
		cacheCheckGet(t, a, fmt.Sprintf("a%d", i), "vv", true)
		cacheCheckGet(t, bb, fmt.Sprintf("b%d", i), "vv", true)
	}
}

// An eviction that fails during Resize (which cannot return an error) is reported by the
// store's next Flush.
func TestCacheResizeErrorReportedByFlush(t *testing.T) {
	cache := changelog.NewCache(cacheBigBudget)
	inner := newCacheRecorder("resize-err")
	e := changelog.NewCachedEngine(inner, cache, nil)
	defer e.Close()
	cachePut(t, e, "a", "1")
	boom := errors.New("disk on fire")
	inner.failWrite = boom
	cache.Resize(0)
	if cache.SizeBytes() == 0 {
		t.Errorf("the entry was evicted although its flush failed")
	}
	inner.failWrite = nil
	if err := e.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush() = %v, want the eviction's error", err)
	}
	cacheCheckGet(t, inner, "a", "1", true) // that Flush still wrote the dirty entry
	if err := e.Flush(); err != nil {
		t.Errorf("second Flush() = %v, want nil", err)
	}
}

// With no budget (Kafka's cache.max.bytes.buffering=0) every write goes straight through: it
// is written to the inner store and forwarded at once, one by one.
func TestCacheZeroBudgetWritesThrough(t *testing.T) {
	for _, budget := range []int64{0, -1} {
		cache := changelog.NewCache(budget)
		inner := newCacheRecorder("zero")
		o := &cacheOffsets{}
		e := changelog.NewCachedEngine(inner, cache, o.ctx)
		l := &cacheListener{}
		e.SetFlushListener(l.fn, true)
		for i := 0; i < 3; i++ {
			o.next = int64(i)
			cachePut(t, e, "k", fmt.Sprint(i))
			if cache.SizeBytes() != 0 {
				t.Fatalf("budget %d: SizeBytes() = %d after a write, want 0", budget, cache.SizeBytes())
			}
		}
		if err := e.Write([]kv.Entry{{Key: cb("k"), Value: cb("3")}, {Key: cb("k"), Delete: true}}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"k=0", "k=1", "k=2", "k=3", "-k"}, cacheEntryStrings(inner.written())); diff != "" {
			t.Errorf("budget %d: inner writes (-want +got):\n%s", budget, diff)
		}
		want := []cacheFlushed{
			{Key: "k", New: "0", Offset: 0},
			{Key: "k", New: "1", Old: "0", HasOld: true, Offset: 1},
			{Key: "k", New: "2", Old: "1", HasOld: true, Offset: 2},
			{Key: "k", New: "3", Old: "2", HasOld: true, Offset: 2},
			{Key: "k", Deleted: true, Old: "3", HasOld: true, Offset: 2},
		}
		if diff := cmp.Diff(want, l.take()); diff != "" {
			t.Errorf("budget %d: flushed (-want +got):\n%s", budget, diff)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// The record context recorded with a write is the one the ContextFunc returns at that write;
// a nil ContextFunc means a zero context.
func TestCacheContext(t *testing.T) {
	var seen []changelog.RecordContext
	fn := func(fe changelog.FlushedEntry) error { seen = append(seen, fe.Context); return nil }

	e := changelog.NewCachedEngine(kv.NewMemory("ctx-nil"), changelog.NewCache(cacheBigBudget), nil)
	e.SetFlushListener(fn, false)
	cachePut(t, e, "a", "1")
	cacheFlush(t, e)
	_ = e.Close()
	if diff := cmp.Diff([]changelog.RecordContext{{}}, seen); diff != "" {
		t.Errorf("nil ContextFunc (-want +got):\n%s", diff)
	}

	seen = nil
	hdr := &struct{ h string }{"headers"}
	ctx := changelog.RecordContext{Timestamp: 42, Topic: "t", Partition: 1, Offset: 7, Headers: hdr}
	e = changelog.NewCachedEngine(kv.NewMemory("ctx"), nil, func() changelog.RecordContext { return ctx })
	defer e.Close()
	e.SetFlushListener(fn, false)
	cachePut(t, e, "a", "1") // a nil Cache caches nothing: flushed at once
	if len(seen) != 1 || seen[0].Offset != 7 || seen[0].Topic != "t" || seen[0].Timestamp != 42 || seen[0].Headers != any(hdr) {
		t.Errorf("context = %+v, want %+v", seen, ctx)
	}
}

// Errors: a listener's error fails the flush (naming the store) after the entries were
// written; an inner engine's error leaves the entries dirty, so a later flush writes them.
func TestCacheFlushErrors(t *testing.T) {
	inner := newCacheRecorder("errs")
	e := changelog.NewCachedEngine(inner, changelog.NewCache(cacheBigBudget), nil)
	defer e.Close()
	boom := errors.New("downstream failed")
	l := &cacheListener{err: boom}
	e.SetFlushListener(l.fn, false)
	cachePut(t, e, "a", "1", "b", "2")
	err := e.Flush()
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "errs") {
		t.Fatalf("Flush() = %v, want the listener's error naming the store", err)
	}
	var se *store.Error
	if !errors.As(err, &se) || se.Store != "errs" {
		t.Errorf("Flush() error is not a *store.Error naming the store: %#v", err)
	}
	if got := l.take(); len(got) != 1 {
		t.Errorf("listener called %d times, want 1 (it stops at the first error)", len(got))
	}
	cacheCheckGet(t, inner, "b", "2", true) // written before the listener ran
	l.err = nil
	cacheFlush(t, e)
	if len(l.take()) != 0 {
		t.Errorf("entries already written were flushed again")
	}
	inner.written() // a and b

	writeErr := errors.New("write failed")
	inner.failWrite = writeErr
	cachePut(t, e, "c", "3")
	if err := e.Flush(); !errors.Is(err, writeErr) {
		t.Fatalf("Flush() = %v, want the inner write error", err)
	}
	if len(l.take()) != 0 {
		t.Errorf("listener called although the write failed")
	}
	inner.failWrite = nil
	cacheFlush(t, e)
	if diff := cmp.Diff([]string{"c=3"}, cacheEntryStrings(inner.written())); diff != "" {
		t.Errorf("retried flush (-want +got):\n%s", diff)
	}
	if got := l.take(); len(got) != 1 || got[0].Key != "c" {
		t.Errorf("retried flush: listener got %+v, want c", got)
	}

	getErr := errors.New("get failed")
	inner.failGet = getErr
	if _, _, err := e.Get(cb("zz")); !errors.Is(err, getErr) {
		t.Errorf("Get(uncached) = %v, want the inner error", err)
	}
	cacheCheckGet(t, e, "c", "3", true) // c is clean in the cache: read without the inner engine
	if _, _, err := e.Delete(cb("zz")); !errors.Is(err, getErr) {
		t.Errorf("Delete(uncached) = %v, want the inner error", err)
	}
	if _, _, err := e.PutIfAbsent(cb("zz"), cb("1")); !errors.Is(err, getErr) {
		t.Errorf("PutIfAbsent(uncached) = %v, want the inner error", err)
	}
	cachePut(t, e, "d", "4")
	e.SetFlushListener(l.fn, true) // old values need inner.Get
	if err := e.Flush(); !errors.Is(err, getErr) {
		t.Errorf("Flush() with old values = %v, want the inner error", err)
	}
	inner.failGet = nil
	cacheFlush(t, e)
	if got := l.take(); len(got) != 1 || got[0].Key != "d" {
		t.Errorf("after the inner recovered: flushed %+v, want d", got)
	}

	// An eviction that fails makes the write that caused it fail.
	small := changelog.NewCache(0)
	inner2 := newCacheRecorder("errs2")
	e2 := changelog.NewCachedEngine(inner2, small, nil)
	defer e2.Close()
	inner2.failWrite = writeErr
	if err := e2.Put(cb("a"), cb("1")); !errors.Is(err, writeErr) {
		t.Errorf("Put with a failing eviction = %v, want the inner write error", err)
	}
	inner2.failWrite = nil
	cacheFlush(t, e2)
	cacheCheckGet(t, inner2, "a", "1", true)
}

// Close does not flush (the runtime flushes first; a dirty close drops what the cache holds,
// as Kafka's task closed dirty), gives the budget back, is idempotent, and every later use is
// an error wrapping store.ErrStoreClosed.
func TestCacheClose(t *testing.T) {
	cache := changelog.NewCache(cacheBigBudget)
	inner := newCacheRecorder("close")
	e := changelog.NewCachedEngine(inner, cache, nil)
	l := &cacheListener{}
	e.SetFlushListener(l.fn, false)
	cachePut(t, e, "a", "1", "b", "2")
	c, err := e.Range(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if inner.numBatches() != 0 || len(l.take()) != 0 {
		t.Errorf("Close flushed")
	}
	if cache.SizeBytes() != 0 {
		t.Errorf("SizeBytes() = %d after Close, want 0", cache.SizeBytes())
	}
	if inner.IsOpen() || e.IsOpen() {
		t.Errorf("inner or cached engine still open after Close")
	}
	if c.Next() || !errors.Is(c.Err(), store.ErrStoreClosed) {
		t.Errorf("cursor after Close: Err() = %v, want store.ErrStoreClosed", c.Err())
	}
	if err := c.Close(); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("cursor Close() = %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := e.Close(); err != nil {
			t.Errorf("Close again = %v, want nil", err)
		}
	}
	if err := e.Put(cb("a"), cb("1")); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Put after Close = %v", err)
	}
	if err := e.PutOwned(cb("a"), cb("1")); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("PutOwned after Close = %v", err)
	}
	if err := e.Flush(); !errors.Is(err, store.ErrStoreClosed) || !strings.Contains(err.Error(), "close") {
		t.Errorf("Flush after Close = %v", err)
	}
	if e.OpenCursors() != 0 {
		t.Errorf("OpenCursors() = %d after Close", e.OpenCursors())
	}
	cache.Resize(0) // a closed store is no longer in the budget's list: nothing to do, no panic
}

// Hits and misses count Get calls answered by the cache or not (Kafka's NamedCache hit ratio).
func TestCacheHitsAndMisses(t *testing.T) {
	cache := changelog.NewCache(cacheBigBudget)
	inner := kv.NewMemory("hits")
	cachePut(t, inner, "cold", "1")
	e := changelog.NewCachedEngine(inner, cache, nil)
	defer e.Close()
	cachePut(t, e, "hot", "2")
	cacheCheckGet(t, e, "hot", "2", true)
	cacheCheckGet(t, e, "cold", "1", true)
	cacheCheckGet(t, e, "cold", "1", true) // a read-through is not cached: still a miss
	cacheCheckGet(t, e, "none", "", false)
	if cache.Hits() != 1 || cache.Misses() != 3 {
		t.Errorf("Hits() = %d, Misses() = %d; want 1, 3", cache.Hits(), cache.Misses())
	}
	cacheFlush(t, e)
	if cache.Flushes() != 1 {
		t.Errorf("Flushes() = %d, want 1", cache.Flushes())
	}
}

// The listener may call back into the store (a downstream processor reading the table it is
// fed from): it runs without the engine's lock.
func TestCacheListenerReentrant(t *testing.T) {
	e := changelog.NewCachedEngine(kv.NewMemory("reentrant"), changelog.NewCache(cacheBigBudget), nil)
	defer e.Close()
	var reads []string
	e.SetFlushListener(func(fe changelog.FlushedEntry) error {
		v, _, err := e.Get(fe.Key)
		if err != nil {
			return err
		}
		reads = append(reads, string(v))
		if string(fe.Key) == "a" {
			return e.Put(cb("z"), cb("from-listener"))
		}
		return nil
	}, false)
	cachePut(t, e, "a", "1", "b", "2")
	cacheFlush(t, e)
	if !slices.Equal(reads, []string{"1", "2"}) {
		t.Errorf("reads in the listener = %v", reads)
	}
	cacheCheckGet(t, e, "z", "from-listener", true)
}

// Interactive queries read (Get, Range) from other goroutines while the worker writes, evicts
// and flushes; run with -race. Every value read is the one written for its key (values are
// "<key>:<n>"), and cursors stay in order.
func TestCacheConcurrentReaders(t *testing.T) {
	cache := changelog.NewCache(20 * (changelog.CacheEntryOverhead + 12))
	e := changelog.NewCachedEngine(kv.NewMemory("iq"), cache, nil)
	defer e.Close()
	var forwarded int
	e.SetFlushListener(func(changelog.FlushedEntry) error { forwarded++; return nil }, true)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("k%02d", rng.IntN(50))
				if v, found, err := e.Get(cb(k)); err != nil || (found && !strings.HasPrefix(string(v), k+":")) {
					t.Errorf("Get(%s) = %q, %v, %v", k, v, found, err)
					return
				}
				c, err := e.Range(nil, nil, r == 1)
				if err != nil {
					t.Error(err)
					return
				}
				var last []byte
				for c.Next() {
					if !bytes.HasPrefix(c.Value(), append(bytes.Clone(c.Key()), ':')) {
						t.Errorf("torn item %q=%q", c.Key(), c.Value())
					}
					if cmp := bytes.Compare(last, c.Key()); last != nil && ((r != 1 && cmp >= 0) || (r == 1 && cmp <= 0)) {
						t.Errorf("cursor out of order: %q then %q", last, c.Key())
					}
					last = bytes.Clone(c.Key())
				}
				if err := c.Close(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(kvtest.Seed(t, 5), 5))
	for i := 0; i < 20_000; i++ {
		k := fmt.Sprintf("k%02d", rng.IntN(50))
		var err error
		switch rng.IntN(10) {
		case 0:
			_, _, err = e.Delete(cb(k))
		case 1:
			err = e.Flush()
		default:
			err = e.Put(cb(k), cb(fmt.Sprintf("%s:%d", k, i)))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if forwarded == 0 || cache.Evictions() == 0 {
		t.Errorf("forwarded %d, evictions %d: the test did not exercise flushes and evictions", forwarded, cache.Evictions())
	}
}

// BenchmarkCachedPut: puts cycling over 1,000 keys into a cache large enough to hold them
// (the steady state between two commits). Compare with BenchmarkMapPut.
func BenchmarkCachedPut(b *testing.B) {
	keys, value := cacheBenchKeys(), []byte("value-0123456789")
	e := changelog.NewCachedEngine(kv.NewMemory("bench"), changelog.NewCache(10<<20), nil)
	defer e.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := e.Put(keys[i%len(keys)], value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedPutOwned is BenchmarkCachedPut through kv.OwningPutter (the typed store's
// path), where the engine keeps the value instead of copying it.
func BenchmarkCachedPutOwned(b *testing.B) {
	keys, value := cacheBenchKeys(), []byte("value-0123456789")
	e := changelog.NewCachedEngine(kv.NewMemory("bench"), changelog.NewCache(10<<20), nil)
	defer e.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := e.PutOwned(keys[i%len(keys)], value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapPut is the baseline: a plain Go map[string][]byte, copying the value as an
// engine must (callers may reuse their slices). Its keys are strings made beforehand, so it
// does not pay for the conversion that m[string(key)] = v costs on each assignment.
func BenchmarkMapPut(b *testing.B) {
	keys, value := cacheBenchKeys(), []byte("value-0123456789")
	skeys := make([]string, len(keys))
	for i, k := range keys {
		skeys[i] = string(k)
	}
	m := map[string][]byte{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m[skeys[i%len(skeys)]] = bytes.Clone(value)
	}
}

// BenchmarkCachedGet reads cached keys.
func BenchmarkCachedGet(b *testing.B) {
	keys, value := cacheBenchKeys(), []byte("value-0123456789")
	e := changelog.NewCachedEngine(kv.NewMemory("bench"), changelog.NewCache(10<<20), nil)
	defer e.Close()
	for _, k := range keys {
		if err := e.Put(k, value); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := e.Get(keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
	}
}

func cacheBenchKeys() [][]byte {
	keys := make([][]byte, 1000)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key-%06d", i))
	}
	return keys
}

// Two stores sharing one budget, under random writes, flushes and resizes (Kafka's
// ThreadCache shared by a thread's NamedCaches): each store reads as its reference says, what
// each store's listener was handed replays to exactly its inner store's contents, a resize
// leaves the total within the new budget, and closing both gives every byte back.
func TestCacheSharedRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(kvtest.Seed(t, 11), 3))
	const entry = changelog.CacheEntryOverhead + 6
	cache := changelog.NewCache(8 * entry)
	type side struct {
		inner  *kv.Memory
		e      *changelog.CachedEngine
		ref    *kvtest.Model
		mirror map[string]string
	}
	var sides [2]*side
	for i := range sides {
		s := &side{inner: kv.NewMemory(fmt.Sprintf("s%d", i)), ref: kvtest.NewModel(), mirror: map[string]string{}}
		s.e = changelog.NewCachedEngine(s.inner, cache, nil)
		s.e.SetFlushListener(func(fe changelog.FlushedEntry) error {
			if fe.NewValue == nil {
				delete(s.mirror, string(fe.Key))
			} else {
				s.mirror[string(fe.Key)] = string(fe.NewValue)
			}
			return nil
		}, false)
		sides[i] = s
	}
	contents := func(e kv.Engine) map[string]string {
		m := map[string]string{}
		for _, it := range cacheItemsOf(t)(e.Range(nil, nil, false)) {
			k, v, _ := strings.Cut(it, "=")
			m[k] = v
		}
		return m
	}
	for i := 0; i < 20_000; i++ {
		s := sides[rng.IntN(2)]
		k := fmt.Sprintf("k%02d", rng.IntN(40))
		var err error
		switch op := rng.IntN(100); {
		case op < 60:
			v := fmt.Sprintf("v%d", rng.IntN(1000))
			err = s.e.Put(cb(k), cb(v))
			s.ref.Put(k, v)
		case op < 75:
			_, _, err = s.e.Delete(cb(k))
			s.ref.Delete(k)
		case op < 90:
			v, found, gerr := s.e.Get(cb(k))
			wv, wfound := s.ref.Get(k)
			if gerr != nil || found != wfound || string(v) != wv {
				t.Fatalf("op %d: Get(%s) = %q, %v, %v; want %q, %v", i, k, v, found, gerr, wv, wfound)
			}
		case op < 95:
			err = s.e.Flush()
			if err == nil && !cmp.Equal(s.mirror, contents(s.inner)) {
				t.Fatalf("op %d: after Flush, the listener's replay differs from the inner store:\n%s", i, cmp.Diff(s.mirror, contents(s.inner)))
			}
		default:
			cache.Resize(int64(rng.IntN(12)) * entry)
			if cache.SizeBytes() > max(cache.MaxBytes(), 0) {
				t.Fatalf("op %d: SizeBytes() = %d over MaxBytes() = %d after Resize", i, cache.SizeBytes(), cache.MaxBytes())
			}
		}
		if err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
	for _, s := range sides {
		want := map[string]string{}
		for _, it := range s.ref.Range(nil, nil, false) {
			want[string(it.Key)] = string(it.Value)
		}
		if diff := cmp.Diff(want, contents(s.e)); diff != "" {
			t.Errorf("contents through the cache (-want +got):\n%s", diff)
		}
		cacheFlush(t, s.e)
		if diff := cmp.Diff(want, s.mirror); diff != "" {
			t.Errorf("listener replay after the last Flush (-want +got):\n%s", diff)
		}
	}
	if cache.Evictions() == 0 {
		t.Errorf("no evictions: the test did not exercise the budget")
	}
	for _, s := range sides {
		if err := s.e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if cache.SizeBytes() != 0 {
		t.Errorf("SizeBytes() = %d after both closed, want 0", cache.SizeBytes())
	}
}
