package window_test

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/store/window/windowtest"
)

func TestOptions(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		opts     window.Options
		valid    bool
		interval time.Duration
	}{
		{window.Options{WindowSize: time.Minute}, true, day},                                              // defaults: 1 day, 2 segments
		{window.Options{WindowSize: time.Minute, Segments: 3}, true, 12 * time.Hour},                      // Kafka's current default
		{window.Options{WindowSize: time.Minute, Segments: 5}, true, 6 * time.Hour},                       // older API: retention / (segments − 1)
		{window.Options{WindowSize: time.Second, Retention: time.Minute, Segments: 3}, true, time.Minute}, // at least 60 s
		{window.Options{WindowSize: time.Hour, Retention: time.Hour}, true, time.Hour},                    // retention == size
		{window.Options{}, false, 0},                                              // window size is mandatory
		{window.Options{WindowSize: time.Microsecond}, false, 0},                  // under 1 ms
		{window.Options{WindowSize: time.Hour, Retention: time.Minute}, false, 0}, // retention < size
		{window.Options{WindowSize: time.Second, Retention: -time.Second}, false, 0},
		{window.Options{WindowSize: time.Second, Segments: 1}, false, 0},
		{window.Options{WindowSize: time.Second, Segments: -2}, false, 0},
	} {
		err := c.opts.Validate()
		if (err == nil) != c.valid {
			t.Errorf("%+v: Validate() = %v, want valid %v", c.opts, err, c.valid)
		}
		if err != nil && !errors.Is(err, window.ErrInvalidOptions) {
			t.Errorf("%+v: %v does not wrap ErrInvalidOptions", c.opts, err)
		}
		if c.valid && c.opts.SegmentInterval() != c.interval {
			t.Errorf("%+v: SegmentInterval() = %v, want %v", c.opts, c.opts.SegmentInterval(), c.interval)
		}
		_, serr := window.InMemorySupplier("w", c.opts)
		var se *store.Error
		if (serr == nil) != c.valid || (serr != nil && (!errors.As(serr, &se) || se.Store != "w")) {
			t.Errorf("%+v: InMemorySupplier: %v", c.opts, serr)
		}
	}
	err := (window.Options{WindowSize: time.Hour, Retention: time.Minute}).Validate()
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("retention period must be no smaller than window size")) {
		t.Errorf("retention < size: %v, want Kafka's message", err)
	}
	if got := (window.Options{WindowSize: time.Second}).WithDefaults(); got.Retention != day || got.Segments != 2 {
		t.Errorf("WithDefaults = %+v", got)
	}
}

func TestValidateRetention(t *testing.T) {
	for _, c := range []struct {
		retention, size, grace time.Duration
		ok                     bool
	}{
		{time.Hour, 50 * time.Minute, 10 * time.Minute, true},
		{time.Hour, 50 * time.Minute, 11 * time.Minute, false},
		{0, time.Hour, 23 * time.Hour, true}, // default one day
		{0, time.Hour, 24 * time.Hour, false},
		{time.Hour, -time.Second, 0, false},
	} {
		err := window.ValidateRetention(c.retention, c.size, c.grace)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, window.ErrInvalidOptions)) {
			t.Errorf("ValidateRetention(%v, %v, %v) = %v, want ok %v", c.retention, c.size, c.grace, err, c.ok)
		}
	}
}

func newBuilder(t *testing.T, opts window.Options) *window.Builder[string, int64] {
	t.Helper()
	sup, err := window.InMemorySupplier("w", opts)
	if err != nil {
		t.Fatal(err)
	}
	return window.NewBuilder(sup, serde.String, serde.Int64)
}

func TestBuilderSettings(t *testing.T) {
	b := newBuilder(t, window.Options{WindowSize: time.Minute, Retention: 2 * time.Hour})
	if !b.LoggingEnabled() || b.CachingEnabled() || b.LogConfig() != nil || b.Name() != "w" || b.Persistent() {
		t.Errorf("defaults: logging %v caching %v config %v name %q persistent %v", b.LoggingEnabled(), b.CachingEnabled(), b.LogConfig(), b.Name(), b.Persistent())
	}
	// Kafka's WindowedChangelogTopicConfig: compact,delete and retention + 1 day.
	want := map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "93600000"}
	if diff := cmp.Diff(want, b.ChangelogTopicConfig()); diff != "" {
		t.Errorf("ChangelogTopicConfig (-want +got):\n%s", diff)
	}
	b.WithLoggingEnabled(map[string]string{"retention.ms": "5", "min.insync.replicas": "2"}).WithCachingEnabled()
	want = map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "5", "min.insync.replicas": "2"}
	if diff := cmp.Diff(want, b.ChangelogTopicConfig()); diff != "" {
		t.Errorf("ChangelogTopicConfig with overrides (-want +got):\n%s", diff)
	}
	if !b.CachingEnabled() {
		t.Error("WithCachingEnabled")
	}
	b.WithLoggingDisabled().WithCachingDisabled()
	if b.LoggingEnabled() || b.CachingEnabled() || b.LogConfig() != nil {
		t.Error("WithLoggingDisabled / WithCachingDisabled")
	}
	if b.Options().SegmentInterval() != 2*time.Hour {
		t.Errorf("Options = %+v", b.Options())
	}
}

func TestBuildWithFailingWrap(t *testing.T) {
	b := newBuilder(t, window.Options{WindowSize: time.Minute})
	var inner kv.Engine
	boom := errors.New("boom")
	_, err := b.BuildWith("", func(e kv.Engine) (kv.Engine, error) { inner = e; return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("BuildWith: %v", err)
	}
	if inner.IsOpen() {
		t.Error("the engine is still open after the wrap failed")
	}
}

// The changelog layer logs store keys (key + start + seqnum) and tombstones; replaying the
// changelog into a fresh engine, as restoration does, gives the same windows. The store
// still finds the segmented engine under the layer for its stream time.
func TestChangelogRoundTrip(t *testing.T) {
	b := newBuilder(t, window.Options{WindowSize: 10 * time.Millisecond, Retention: time.Minute})
	var log []changelog.Record
	sender := changelog.SenderFunc(func(r changelog.Record) error {
		r.Key, r.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
		log = append(log, r)
		return nil
	})
	st, err := b.BuildWith("", func(e kv.Engine) (kv.Engine, error) {
		return changelog.NewLoggedEngine(e, "app-w-changelog", 3, sender, nil), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*window.Store[string, int64])
	defer s.Close()
	for _, p := range []struct {
		k  string
		ts int64
	}{{"a", 0}, {"b", 10}, {"a", 20}, {"c", 60_010}} {
		if err := s.Put(p.k, p.ts, p.ts); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutTombstone("b", 10); err != nil {
		t.Fatal(err)
	}
	if len(log) != 5 || log[4].Value != nil || !bytes.Equal(log[0].Key, window.ToStoreKey([]byte("a"), 0, 0)) || log[0].Partition != 3 {
		t.Fatalf("changelog %+v", log)
	}
	// Stream time 60010: reads start at 11, so a@0 is not returned; b@10 is deleted.
	if s.ObservedStreamTime() != 60_010 || s.MinLiveTime() != 11 {
		t.Errorf("through the logging layer: stream time %d, min live time %d", s.ObservedStreamTime(), s.MinLiveTime())
	}
	want := []cursor.KeyValue[serde.Windowed[string], int64]{
		{Key: serde.Windowed[string]{Key: "a", Start: 20, End: 30}, Value: 20},
		{Key: serde.Windowed[string]{Key: "c", Start: 60_010, End: 60_020}, Value: 60_010},
	}
	c, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	got, err := cursor.Collect(c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}

	// Restore into a fresh store's raw engine.
	var raw kv.Engine
	st2, err := b.BuildWith("", func(e kv.Engine) (kv.Engine, error) { raw = e; return e, nil })
	if err != nil {
		t.Fatal(err)
	}
	s2 := st2.(*window.Store[string, int64])
	defer s2.Close()
	var batch []kv.Entry
	for _, r := range log {
		batch = append(batch, kv.Entry{Key: r.Key, Value: r.Value, Delete: r.Value == nil})
	}
	if err := raw.Write(batch); err != nil {
		t.Fatal(err)
	}
	if c, err = s2.All(); err != nil {
		t.Fatal(err)
	}
	got, err = cursor.Collect(c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restored All (-want +got):\n%s", diff)
	}
}

// Under the record cache, reads see the cached writes (merged with the segments'), and the
// retention of the segmented engine applies once the cache flushes to it.
func TestUnderRecordCache(t *testing.T) {
	b := newBuilder(t, window.Options{WindowSize: 10 * time.Millisecond, Retention: time.Minute}).WithCachingEnabled()
	cache := changelog.NewCache(1 << 20)
	st, err := b.BuildWith("", func(e kv.Engine) (kv.Engine, error) { return changelog.NewCachedEngine(e, cache, nil), nil })
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*window.Store[string, int64])
	defer s.Close()
	if err := s.Put("a", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("a", 2, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("b", 3, 200_000); err != nil {
		t.Fatal(err)
	}
	fetch := func() []int64 {
		c, err := s.FetchAll(0, math.MaxInt64)
		items, err2 := cursor.Collect(c)
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		var out []int64
		for _, it := range items {
			out = append(out, it.Value)
		}
		return out
	}
	if got := fetch(); !cmp.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("before the flush: %v, want [1 2 3] (cache and segments merged; stream time 0 in the segments)", got)
	}
	if v, ok, err := s.Get("a", 10); err != nil || !ok || v != 2 {
		t.Errorf("Get of a cached window: %d, %v, %v", v, ok, err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := fetch(); !cmp.Equal(got, []int64{3}) {
		t.Errorf("after the flush: %v, want [3] (stream time 200000: windows before 140001 expired)", got)
	}
	if s.ObservedStreamTime() != 200_000 {
		t.Errorf("ObservedStreamTime = %d", s.ObservedStreamTime())
	}
}

// The contract suite over the layers the runtime puts on the engine: logging, and logging
// under the cache (with no budget, so that every write goes through).
func TestContractUnderLayers(t *testing.T) {
	discard := changelog.SenderFunc(func(changelog.Record) error { return nil })
	for name, wrap := range map[string]func(kv.Engine) kv.Engine{
		"Logged": func(e kv.Engine) kv.Engine { return changelog.NewLoggedEngine(e, "t", 0, discard, nil) },
		"Cached": func(e kv.Engine) kv.Engine {
			return changelog.NewCachedEngine(changelog.NewLoggedEngine(e, "t", 0, discard, nil), changelog.NewCache(0), nil)
		},
	} {
		t.Run(name, func(t *testing.T) {
			windowtest.RunModel(t, func(n string, o window.Options) (window.Supplier, error) {
				sup, err := window.InMemorySupplier(n, o)
				return wrapped{sup, wrap}, err
			}, 3000)
		})
	}
}

// wrapped is a supplier whose engines come wrapped.
type wrapped struct {
	window.Supplier
	wrap func(kv.Engine) kv.Engine
}

func (w wrapped) Open(dir string) (kv.Engine, error) {
	e, err := w.Supplier.Open(dir)
	if err != nil {
		return nil, err
	}
	return w.wrap(e), nil
}
