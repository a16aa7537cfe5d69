// Package sessiontest is the contract suite that every session store supplier passes: [Run]
// checks each operation of session.Store (Kafka Streams' SessionStore semantics, transcribed
// from AbstractSessionBytesStoreTest), the cursor contract, retention and the closed-store
// rules; [RunModel] checks a long run of random operations against a plain reference.
package sessiontest

import (
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/cursor/cursortest"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
)

// NewSupplier returns a supplier of session stores named name with opts (or the error the
// supplier gives for them). The suite opens each store in a directory of its own from
// t.TempDir and closes it.
type NewSupplier func(t testing.TB, name string, opts session.Options) (session.Supplier, error)

// Kafka's AbstractSessionBytesStoreTest: RETENTION_PERIOD = 10_000, SEGMENT_INTERVAL = 60_000.
var kafkaOpts = session.Options{Retention: 10 * time.Second, SegmentInterval: time.Minute}

type (
	win = serde.Windowed[string]
	kvs = cursor.KeyValue[win, int64]
	cur = cursor.Cursor[win, int64]
)

func w(key string, start, end int64) win { return win{Key: key, Start: start, End: end} }

func item(key string, start, end, v int64) kvs { return kvs{Key: w(key, start, end), Value: v} }

// Open opens a session store of ns with these options and serdes in dir, and closes it when
// the test ends.
func Open[K, AGG any](t *testing.T, ns NewSupplier, name string, opts session.Options, dir string, keys serde.Serde[K], values serde.Serde[AGG]) *session.Store[K, AGG] {
	t.Helper()
	sup, err := ns(t, name, opts)
	if err != nil {
		t.Fatalf("supplier: %v", err)
	}
	st, err := session.NewBuilder(sup, keys, values).Build(dir)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	s := st.(*session.Store[K, AGG])
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openKafka(t *testing.T, ns NewSupplier) *session.Store[string, int64] {
	t.Helper()
	return Open(t, ns, "sessions", kafkaOpts, t.TempDir(), serde.String, serde.Int64)
}

func put[K, AGG any](t *testing.T, s *session.Store[K, AGG], k serde.Windowed[K], v AGG) {
	t.Helper()
	if err := s.Put(k, v); err != nil {
		t.Fatalf("Put(%v): %v", k, err)
	}
}

func collect[K, V any](t *testing.T, what string, c cursor.Cursor[K, V], err error) []cursor.KeyValue[K, V] {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	items, err := cursor.Collect(c)
	if err != nil {
		t.Fatalf("%s: cursor: %v", what, err)
	}
	return items
}

func check(t *testing.T, what string, c cur, err error, want ...kvs) {
	t.Helper()
	got := collect(t, what, c, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func reversed[T any](s []T) []T {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

// Run runs the contract suite over the stores of newSupplier.
func Run(t *testing.T, newSupplier NewSupplier) {
	ns := newSupplier
	t.Run("Options", func(t *testing.T) { testOptions(t, ns) })
	t.Run("KafkaSessionBytesStore", func(t *testing.T) { testKafka(t, ns) })
	t.Run("Order", func(t *testing.T) { testOrder(t, ns) })
	t.Run("Cursors", func(t *testing.T) { testCursors(t, ns) })
	t.Run("Retention", func(t *testing.T) { testRetention(t, ns) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, ns) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, ns) })
	t.Run("Restore", func(t *testing.T) { testRestore(t, ns) })
	t.Run("Builder", func(t *testing.T) { testBuilder(t, ns) })
	t.Run("Merge", func(t *testing.T) { testMerge(t, ns) })
	t.Run("Composite", func(t *testing.T) { testComposite(t, ns) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, ns) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, ns) })
}

func testOptions(t *testing.T, ns NewSupplier) {
	sup, err := ns(t, "s", session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// DESIGN.md: retention default 1 day; segment interval max(retention/2, 60 s).
	if got, want := sup.Options(), (session.Options{Retention: 24 * time.Hour, SegmentInterval: 12 * time.Hour}); got != want {
		t.Errorf("default Options() = %+v, want %+v", got, want)
	}
	if sup.Name() != "s" {
		t.Errorf("Name() = %q", sup.Name())
	}
	sup, err = ns(t, "s", session.Options{Retention: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := sup.Options().SegmentInterval; got != time.Minute {
		t.Errorf("segment interval for a 10 s retention = %v, want the 60 s minimum", got)
	}
	for _, bad := range []session.Options{
		{Retention: -time.Second},
		{SegmentInterval: -1},
		{SegmentInterval: time.Microsecond},
		{Segments: 1},
		{Segments: 3, SegmentInterval: time.Minute},
	} {
		if _, err := ns(t, "s", bad); err == nil {
			t.Errorf("supplier with %+v: no error", bad)
		}
	}
}

// testKafka transcribes Kafka Streams' AbstractSessionBytesStoreTest (the tests shared by
// RocksDBSessionStoreTest and InMemorySessionStoreTest). Kafka compares sets; the
// expectations here are in the store's order (composite key order).
func testKafka(t *testing.T, ns NewSupplier) {
	t.Run("shouldPutAndFindSessionsInRange", func(t *testing.T) {
		s := openKafka(t, ns)
		a1, a2 := item("a", 10, 10, 1), item("a", 500, 1000, 2)
		put(t, s, a1.Key, a1.Value)
		put(t, s, a2.Key, a2.Value)
		put(t, s, w("a", 1500, 2000), 1)
		put(t, s, w("a", 2500, 3000), 2)
		c, err := s.FindSessions("a", 0, 1000)
		check(t, "FindSessions(a, 0, 1000)", c, err, a1, a2)
		c, err = s.FindSessions("a", 400, 600)
		check(t, "FindSessions(a, 400, 600)", c, err, a2)
		// shouldPutAndBackwardFindSessionsInRange
		c, err = s.BackwardFindSessions("a", 0, 1000)
		check(t, "BackwardFindSessions(a, 0, 1000)", c, err, a2, a1)
		c, err = s.BackwardFindSessions("a", 400, 600)
		check(t, "BackwardFindSessions(a, 400, 600)", c, err, a2)
	})
	t.Run("shouldFetchAllSessionsWithSameRecordKey", func(t *testing.T) {
		s := openKafka(t, ns)
		want := []kvs{item("a", 0, 0, 1), item("a", 10, 10, 2), item("a", 100, 100, 3), item("a", 1000, 1000, 4)}
		for _, e := range want {
			put(t, s, e.Key, e.Value)
		}
		put(t, s, w("aa", 0, 0), 5) // shouldn't appear in the results
		c, err := s.Fetch("a")
		check(t, "Fetch(a)", c, err, want...)
		c, err = s.BackwardFetch("a")
		check(t, "BackwardFetch(a)", c, err, reversed(want)...)
	})
	t.Run("shouldFetchAllSessionsWithinKeyRange", func(t *testing.T) {
		s := openKafka(t, ns)
		want := []kvs{item("aa", 10, 10, 2), item("aaa", 100, 100, 3), item("b", 1000, 1000, 4), item("bb", 1500, 2000, 5)}
		for _, e := range want {
			put(t, s, e.Key, e.Value)
		}
		put(t, s, w("a", 0, 0), 1)
		put(t, s, w("bbb", 2500, 3000), 6)
		c, err := s.FetchRange(new("aa"), new("bb"))
		check(t, "FetchRange(aa, bb)", c, err, want...)
		c, err = s.BackwardFetchRange(new("aa"), new("bb"))
		check(t, "BackwardFetchRange(aa, bb)", c, err, reversed(want)...)
		// Open bounds (KIP-763).
		c, err = s.FetchRange(nil, new("aa"))
		check(t, "FetchRange(nil, aa)", c, err, item("a", 0, 0, 1), item("aa", 10, 10, 2))
		c, err = s.FetchRange(new("bb"), nil)
		check(t, "FetchRange(bb, nil)", c, err, item("bb", 1500, 2000, 5), item("bbb", 2500, 3000, 6))
		c, err = s.FetchRange(nil, nil)
		if got := collect(t, "FetchRange(nil, nil)", c, err); len(got) != 6 {
			t.Errorf("FetchRange(nil, nil) returned %d sessions, want 6", len(got))
		}
		// Kafka: keyFrom > keyTo gives an empty iterator.
		c, err = s.FetchRange(new("bb"), new("aa"))
		check(t, "FetchRange(bb, aa)", c, err)
		c, err = s.FindSessionsKeyRange(new("b"), new("a"), 0, math.MaxInt64)
		check(t, "FindSessionsKeyRange(b, a)", c, err)
	})
	t.Run("shouldFetchExactSession", func(t *testing.T) {
		s := openKafka(t, ns)
		put(t, s, w("a", 0, 4), 1)
		put(t, s, w("aa", 0, 3), 2)
		put(t, s, w("aa", 0, 4), 3)
		put(t, s, w("aa", 1, 4), 4)
		put(t, s, w("aaa", 0, 4), 5)
		v, ok, err := s.FetchSession("aa", 0, 4)
		if err != nil || !ok || v != 3 {
			t.Errorf("FetchSession(aa, 0, 4) = %d, %v, %v; want 3, true", v, ok, err)
		}
		// shouldReturnNullOnSessionNotFound
		if v, ok, err := s.FetchSession("any key", 0, 5); err != nil || ok {
			t.Errorf("FetchSession(any key, 0, 5) = %d, %v, %v; want not found", v, ok, err)
		}
	})
	t.Run("shouldFindValuesWithinMergingSessionWindowRange", func(t *testing.T) {
		s := openKafka(t, ns)
		put(t, s, w("a", 0, 0), 1)
		put(t, s, w("a", 1000, 1000), 2)
		want := []kvs{item("a", 0, 0, 1), item("a", 1000, 1000, 2)}
		c, err := s.FindSessions("a", -1, 1000)
		check(t, "FindSessions(a, -1, 1000)", c, err, want...)
		c, err = s.BackwardFindSessions("a", -1, 1000)
		check(t, "BackwardFindSessions(a, -1, 1000)", c, err, reversed(want)...)
	})
	t.Run("shouldRemove", func(t *testing.T) {
		s := openKafka(t, ns)
		put(t, s, w("a", 0, 1000), 1)
		put(t, s, w("a", 1500, 2500), 2)
		if err := s.Remove(w("a", 0, 1000)); err != nil {
			t.Fatal(err)
		}
		c, err := s.FindSessions("a", 0, 1000)
		check(t, "FindSessions(a, 0, 1000) after Remove", c, err)
		c, err = s.FindSessions("a", 1500, 2500)
		check(t, "FindSessions(a, 1500, 2500)", c, err, item("a", 1500, 2500, 2))
		// shouldNotThrowExceptionRemovingNonexistentKey
		if err := s.Remove(w("a", 0, 1)); err != nil {
			t.Errorf("Remove of a missing session: %v", err)
		}
		if err := s.Remove(w("zz", 5, 7)); err != nil {
			t.Errorf("Remove of a missing key: %v", err)
		}
	})
	t.Run("shouldFindSessionsToMerge", func(t *testing.T) {
		s := openKafka(t, ns)
		s1, s2, s3, s4, s5 := item("a", 0, 100, 1), item("a", 101, 200, 2), item("a", 201, 300, 3), item("a", 301, 400, 4), item("a", 401, 500, 5)
		for _, e := range []kvs{s1, s2, s3, s4, s5} {
			put(t, s, e.Key, e.Value)
		}
		c, err := s.FindSessions("a", 150, 300)
		check(t, "FindSessions(a, 150, 300)", c, err, s2, s3)
		c, err = s.BackwardFindSessions("a", 150, 300)
		check(t, "BackwardFindSessions(a, 150, 300)", c, err, s3, s2)
	})
	t.Run("shouldFetchExactKeys", func(t *testing.T) {
		// Kafka uses a retention of 0x7a00000000000000 ms and a session just below it; a
		// time.Duration holds at most ~9.2e12 ms (292 years), so the far session is at 2^42 ms.
		const far = int64(1) << 42
		s := Open(t, ns, "sessions", session.Options{Retention: time.Duration(math.MaxInt64)}, t.TempDir(), serde.String, serde.Int64)
		put(t, s, w("a", 0, 0), 1)
		put(t, s, w("aa", 0, 10), 2)
		put(t, s, w("a", 10, 20), 3)
		put(t, s, w("aa", 10, 20), 4)
		put(t, s, w("a", far-2, far-1), 5)
		values := func(what string, c cur, err error) []int64 {
			var out []int64
			for _, e := range collect(t, what, c, err) {
				out = append(out, e.Value)
			}
			slices.Sort(out)
			return out
		}
		for _, backward := range []bool{false, true} {
			find, findRange := s.FindSessions, s.FindSessionsKeyRange
			if backward {
				find, findRange = s.BackwardFindSessions, s.BackwardFindSessionsKeyRange
			}
			c, err := find("a", 0, math.MaxInt64)
			if got := values("a", c, err); !slices.Equal(got, []int64{1, 3, 5}) {
				t.Errorf("backward=%v: find(a, 0, max) = %v, want [1 3 5]", backward, got)
			}
			c, err = find("aa", 0, math.MaxInt64)
			if got := values("aa", c, err); !slices.Equal(got, []int64{2, 4}) {
				t.Errorf("backward=%v: find(aa, 0, max) = %v, want [2 4]", backward, got)
			}
			c, err = findRange(new("a"), new("aa"), 0, math.MaxInt64)
			if got := values("a..aa", c, err); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
				t.Errorf("backward=%v: findRange(a, aa, 0, max) = %v, want [1 2 3 4 5]", backward, got)
			}
			c, err = findRange(new("a"), new("aa"), 10, 0)
			if got := values("a..aa 10 0", c, err); !slices.Equal(got, []int64{2}) {
				t.Errorf("backward=%v: findRange(a, aa, 10, 0) = %v, want [2]", backward, got)
			}
		}
	})
	t.Run("shouldFetchAndIterateOverExactBinaryKeys", func(t *testing.T) {
		s := Open(t, ns, "bytes", kafkaOpts, t.TempDir(), serde.Bytes, serde.String)
		k1, k2, k3 := []byte{0}, []byte{0, 0}, []byte{0, 0, 0}
		for i, k := range [][]byte{k1, k2, k3, k1, k2, k3, k1, k2, k3} {
			put(t, s, serde.Windowed[[]byte]{Key: k, Start: int64(i + 1), End: 100}, string(rune('1'+i)))
		}
		for _, tc := range []struct {
			key  []byte
			want []string
		}{{k1, []string{"1", "4", "7"}}, {k2, []string{"2", "5", "8"}}, {k3, []string{"3", "6", "9"}}} {
			c, err := s.FindSessions(tc.key, 0, math.MaxInt64)
			var got []string
			for _, e := range collect(t, "FindSessions", c, err) {
				got = append(got, e.Value)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("FindSessions(%v) = %v, want %v", tc.key, got, tc.want)
			}
			c, err = s.BackwardFindSessions(tc.key, 0, math.MaxInt64)
			got = got[:0]
			for _, e := range collect(t, "BackwardFindSessions", c, err) {
				got = append(got, e.Value)
			}
			if !slices.Equal(got, reversed(tc.want)) {
				t.Errorf("BackwardFindSessions(%v) = %v, want %v", tc.key, got, reversed(tc.want))
			}
		}
	})
	t.Run("testIteratorPeek", func(t *testing.T) {
		s := openKafka(t, ns)
		put(t, s, w("a", 0, 0), 1)
		put(t, s, w("aa", 0, 10), 2)
		put(t, s, w("a", 10, 20), 3)
		put(t, s, w("aa", 10, 20), 4)
		c, err := s.FindSessions("a", 0, 20)
		check(t, "FindSessions(a, 0, 20)", c, err, item("a", 0, 0, 1), item("a", 10, 20, 3))
		c, err = s.BackwardFindSessions("a", 0, 20)
		check(t, "BackwardFindSessions(a, 0, 20)", c, err, item("a", 10, 20, 3), item("a", 0, 0, 1))
	})
	t.Run("shouldReturnSameResultsForSingleKeyFindSessionsAndEqualKeyRangeFindSessions", func(t *testing.T) {
		s := openKafka(t, ns)
		put(t, s, w("a", 0, 1), 0)
		put(t, s, w("aa", 2, 3), 1)
		put(t, s, w("aa", 4, 5), 2)
		put(t, s, w("aaa", 6, 7), 3)
		want := []kvs{item("aa", 2, 3, 1), item("aa", 4, 5, 2)}
		c, err := s.FindSessions("aa", 0, 10)
		check(t, "FindSessions(aa, 0, 10)", c, err, want...)
		c, err = s.FindSessionsKeyRange(new("aa"), new("aa"), 0, 10)
		check(t, "FindSessionsKeyRange(aa, aa, 0, 10)", c, err, want...)
	})
	t.Run("shouldCloseOpenIteratorsWhenStoreIsClosed", func(t *testing.T) {
		s := openKafka(t, ns)
		put(t, s, w("a", 0, 0), 1)
		put(t, s, w("a", 10, 50), 2)
		put(t, s, w("c", 100, 500), 3)
		cursortest.RunInvalidation(t, func(t *testing.T) cur {
			c, err := s.Fetch("a")
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, func(t *testing.T) {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}, store.ErrStoreClosed)
	})
	t.Run("shouldLogAndMeasureExpiredRecords", func(t *testing.T) {
		s := openKafka(t, ns)
		// Advance stream time so that records at 0 are expired; segments expire whole
		// (interval 60 000 for this retention).
		put(t, s, w("initial record", 0, 2*60_000), 0)
		put(t, s, w("late record", 0, 0), 0) // dropped
		put(t, s, w("another on-time record", 0, 2*60_000), 0)
		if got := s.ExpiredRecords(); got != 1 {
			t.Errorf("ExpiredRecords() = %d, want 1 (Kafka's dropped-records-total)", got)
		}
		c, err := s.FetchRange(nil, nil)
		check(t, "FetchRange(nil, nil)", c, err, item("another on-time record", 0, 120_000, 0), item("initial record", 0, 120_000, 0))
	})
}

// testOrder checks the order of results: composite key order, across segments.
func testOrder(t *testing.T, ns NewSupplier) {
	// Retention 10 s in 1 s segments: the sessions below spread over many segments.
	s := Open(t, ns, "order", session.Options{Retention: 10 * time.Second, SegmentInterval: time.Second}, t.TempDir(), serde.String, serde.Int64)
	want := []kvs{
		item("a", 100, 100, 1), item("a", 100, 2500, 2), item("a", 2000, 2500, 3), item("a", 7000, 9000, 4),
		item("b", 0, 500, 5), item("b", 3000, 3000, 6), item("b", 8000, 8000, 7),
		item("c", 1, 9999, 8),
	}
	for _, i := range []int{7, 3, 0, 5, 2, 6, 1, 4} { // out of order
		put(t, s, want[i].Key, want[i].Value)
	}
	c, err := s.FetchRange(nil, nil)
	check(t, "FetchRange(nil, nil)", c, err, want...)
	c, err = s.BackwardFetchRange(nil, nil)
	check(t, "BackwardFetchRange(nil, nil)", c, err, reversed(want)...)
	c, err = s.Fetch("a")
	check(t, "Fetch(a)", c, err, want[:4]...)
	// Sessions overlapping [2500, 3000]: end >= 2500 and start <= 3000.
	c, err = s.FindSessionsKeyRange(nil, nil, 2500, 3000)
	check(t, "FindSessionsKeyRange(nil, nil, 2500, 3000)", c, err, want[1], want[2], want[5], want[7])
	c, err = s.BackwardFindSessionsKeyRange(new("a"), new("b"), 2500, 3000)
	check(t, "BackwardFindSessionsKeyRange(a, b, 2500, 3000)", c, err, want[5], want[2], want[1])
	// earliestEnd > latestStart: the sessions that contain [3000, 8000].
	c, err = s.FindSessionsKeyRange(nil, nil, 8000, 3000)
	check(t, "FindSessionsKeyRange(nil, nil, 8000, 3000)", c, err, want[7])
	// Overwrite.
	put(t, s, w("b", 3000, 3000), 60)
	if v, ok, err := s.FetchSession("b", 3000, 3000); err != nil || !ok || v != 60 {
		t.Errorf("FetchSession after overwrite = %d, %v, %v", v, ok, err)
	}
}

func testCursors(t *testing.T, ns NewSupplier) {
	s := Open(t, ns, "cursors", session.Options{Retention: 10 * time.Second, SegmentInterval: time.Second}, t.TempDir(), serde.String, serde.Int64)
	all := []kvs{item("a", 0, 10, 1), item("a", 1500, 1600, 2), item("a", 3000, 5000, 3), item("b", 20, 2200, 4), item("b", 4000, 4000, 5)}
	for _, e := range all {
		put(t, s, e.Key, e.Value)
	}
	for _, tc := range []struct {
		name string
		open func() (cur, error)
		want []kvs
	}{
		{"FindSessions", func() (cur, error) { return s.FindSessions("a", 1000, 4000) }, all[1:3]},
		{"BackwardFindSessions", func() (cur, error) { return s.BackwardFindSessions("a", 1000, 4000) }, reversed(all[1:3])},
		{"FindSessionsKeyRange", func() (cur, error) { return s.FindSessionsKeyRange(new("a"), new("b"), 1000, 4000) }, all[1:5]},
		{"BackwardFindSessionsKeyRange", func() (cur, error) { return s.BackwardFindSessionsKeyRange(nil, nil, 1000, 4000) }, reversed(all[1:5])},
		{"Fetch", func() (cur, error) { return s.Fetch("a") }, all[:3]},
		{"BackwardFetch", func() (cur, error) { return s.BackwardFetch("b") }, reversed(all[3:])},
		{"FetchRange", func() (cur, error) { return s.FetchRange(nil, nil) }, all},
		{"BackwardFetchRange", func() (cur, error) { return s.BackwardFetchRange(new("a"), nil) }, reversed(all)},
		{"Empty", func() (cur, error) { return s.FindSessions("zz", 0, 100) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cursortest.Run(t, func(t *testing.T) cur {
				c, err := tc.open()
				if err != nil {
					t.Fatal(err)
				}
				return c
			}, tc.want)
		})
	}
	if n := s.OpenCursors(); n != 0 {
		t.Errorf("OpenCursors() = %d after every cursor was closed", n)
	}
	c, err := s.FetchRange(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.OpenCursors(); n == 0 {
		t.Errorf("OpenCursors() = 0 with a cursor open")
	}
	c.Close()
}

// testRetention: Kafka's AbstractRocksDBSegmentedBytesStore (segment id = end / interval;
// segments older than segmentId(observed − retention) are dropped and puts into them are
// skipped and counted; reads start at observed − retention + 1).
func testRetention(t *testing.T, ns NewSupplier) {
	s := Open(t, ns, "retention", session.Options{Retention: time.Second, SegmentInterval: 500 * time.Millisecond}, t.TempDir(), serde.String, serde.Int64)
	if s.ObservedStreamTime() != math.MinInt64 || s.MinLiveTime() != math.MinInt64 {
		t.Errorf("before any put: ObservedStreamTime %d, MinLiveTime %d; want math.MinInt64", s.ObservedStreamTime(), s.MinLiveTime())
	}
	put(t, s, w("a", 5000, 5000), 1)
	if s.ObservedStreamTime() != 5000 || s.MinLiveTime() != 4001 {
		t.Fatalf("ObservedStreamTime %d, MinLiveTime %d; want 5000, 4001", s.ObservedStreamTime(), s.MinLiveTime())
	}
	// Exactly at the boundary: end = observed − retention is in a live segment (8, as is
	// segmentId(4000)), so it is written, but it is expired for reads.
	put(t, s, w("a", 3900, 4000), 2)
	if s.ExpiredRecords() != 0 {
		t.Errorf("a put at observed − retention was counted as expired")
	}
	if _, ok, _ := s.FetchSession("a", 3900, 4000); ok {
		t.Errorf("FetchSession returned a session ending at observed − retention")
	}
	// One ms later it is live.
	put(t, s, w("a", 4001, 4001), 3)
	if v, ok, err := s.FetchSession("a", 4001, 4001); err != nil || !ok || v != 3 {
		t.Errorf("FetchSession(a, 4001, 4001) = %d, %v, %v; want 3, true", v, ok, err)
	}
	c, err := s.Fetch("a")
	check(t, "Fetch(a) at observed 5000", c, err, item("a", 4001, 4001, 3), item("a", 5000, 5000, 1))
	c, err = s.FindSessions("a", 0, math.MaxInt64)
	check(t, "FindSessions(a, 0, max) at observed 5000", c, err, item("a", 4001, 4001, 3), item("a", 5000, 5000, 1))
	// A put into an expired segment (7 < 8) is dropped and counted.
	put(t, s, w("a", 3999, 3999), 4)
	put(t, s, w("b", 0, 10), 4)
	if s.ExpiredRecords() != 2 {
		t.Errorf("ExpiredRecords() = %d, want 2", s.ExpiredRecords())
	}
	// Stream time going backwards: a put within retention is kept, stream time stays.
	put(t, s, w("a", 4500, 4600), 5)
	if s.ObservedStreamTime() != 5000 {
		t.Errorf("ObservedStreamTime() = %d after an earlier put, want 5000", s.ObservedStreamTime())
	}
	c, err = s.BackwardFetch("a")
	check(t, "BackwardFetch(a)", c, err, item("a", 5000, 5000, 1), item("a", 4500, 4600, 5), item("a", 4001, 4001, 3))
	// Advancing stream time drops segment 8 (ends 4000..4499) and hides the sessions before
	// 5501 − 1000.
	dropped := s.DroppedSegments()
	put(t, s, w("b", 5500, 5500), 6)
	if s.DroppedSegments() <= dropped {
		t.Errorf("DroppedSegments() = %d, want more than %d", s.DroppedSegments(), dropped)
	}
	c, err = s.FetchRange(nil, nil)
	check(t, "FetchRange(nil, nil) at observed 5500", c, err, item("a", 4500, 4600, 5), item("a", 5000, 5000, 1), item("b", 5500, 5500, 6))
	if _, ok, _ := s.FetchSession("a", 4001, 4001); ok {
		t.Errorf("FetchSession found a session of a dropped segment")
	}
	// Remove of a session of a dropped segment is harmless.
	if err := s.Remove(w("a", 4001, 4001)); err != nil {
		t.Errorf("Remove of an expired session: %v", err)
	}
	// A merge cursor over several segments, with one far in the future.
	put(t, s, w("a", 5400, 5500), 7)
	c, err = s.FindSessions("a", 4550, 5450)
	check(t, "FindSessions(a, 4550, 5450)", c, err, item("a", 4500, 4600, 5), item("a", 5000, 5000, 1), item("a", 5400, 5500, 7))
}

func testClosed(t *testing.T, ns NewSupplier) {
	s := openKafka(t, ns)
	put(t, s, w("a", 0, 10), 1)
	if !s.IsOpen() {
		t.Fatal("IsOpen() = false on an open store")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	if s.IsOpen() {
		t.Error("IsOpen() = true after Close")
	}
	cursorOp := func(c cur, err error) error {
		if err == nil {
			c.Close()
			return errors.New("no error")
		}
		return err
	}
	for op, err := range map[string]error{
		"put":                    s.Put(w("a", 0, 1), 1),
		"remove":                 s.Remove(w("a", 0, 10)),
		"fetch-session":          func() error { _, _, err := s.FetchSession("a", 0, 10); return err }(),
		"find-sessions":          cursorOp(s.FindSessions("a", 0, 10)),
		"backward-find-sessions": cursorOp(s.BackwardFindSessions("a", 0, 10)),
		"fetch":                  cursorOp(s.FetchRange(nil, nil)),
		"backward-fetch":         cursorOp(s.BackwardFetch("a")),
		"flush":                  s.Flush(),
		"approximate-num-entries": func() error {
			_, err := s.ApproximateNumEntries()
			return err
		}(),
	} {
		if !errors.Is(err, store.ErrStoreClosed) {
			t.Errorf("%s after Close: %v, want store.ErrStoreClosed", op, err)
			continue
		}
		var se *store.Error
		if !errors.As(err, &se) || se.Store != "sessions" || se.Op != op {
			t.Errorf("%s after Close: %#v, want a *store.Error naming store %q and op %q", op, err, "sessions", op)
		}
	}
}

func testErrors(t *testing.T, ns NewSupplier) {
	s := openKafka(t, ns)
	// Kafka's SessionWindow refuses an end before the start, and Window a negative start.
	for what, err := range map[string]error{
		"put [10, 5]":    s.Put(w("a", 10, 5), 1),
		"put [-1, 5]":    s.Put(w("a", -1, 5), 1),
		"remove [10, 5]": s.Remove(w("a", 10, 5)),
		"remove [-5, 0]": s.Remove(w("a", -5, 0)),
	} {
		var se *store.Error
		if !errors.Is(err, session.ErrInvalidSession) || !errors.As(err, &se) || se.Op != what[:strings.IndexByte(what, ' ')] || se.Store != "sessions" {
			t.Errorf("%s: %v, want a *store.Error wrapping ErrInvalidSession", what, err)
		}
	}
	// Reads of an invalid window find nothing (Kafka's fetchSession does not check).
	if _, ok, err := s.FetchSession("a", 10, 5); ok || err != nil {
		t.Errorf("FetchSession(a, 10, 5) = %v, %v; want not found", ok, err)
	}
	// A value the serde cannot read fails the cursor with a *store.Error.
	raw := Open(t, ns, "raw", kafkaOpts, t.TempDir(), serde.String, serde.String)
	put(t, raw, w("a", 0, 1), "not 8 bytes")
	typed, err := session.New(raw.Engine(), serde.String, serde.Int64)
	if err != nil {
		t.Fatal(err)
	}
	c, err := typed.Fetch("a")
	if err != nil {
		t.Fatal(err)
	}
	if c.Next() {
		t.Error("Next() = true over an undecodable value")
	}
	var se *store.Error
	if err := c.Close(); !errors.As(err, &se) || se.Op != "fetch" {
		t.Errorf("cursor error %v, want a *store.Error with op fetch", err)
	}
	if _, _, err := typed.FetchSession("a", 0, 1); !errors.As(err, &se) || se.Op != "fetch-session" {
		t.Errorf("FetchSession of an undecodable value: %v", err)
	}
	if _, err := session.New(kv.NewMemory("plain"), serde.String, serde.Int64); !errors.Is(err, session.ErrNotSegmented) {
		t.Errorf("New over a plain engine: %v, want ErrNotSegmented", err)
	}
}

// testRestore: Kafka's shouldRestore. The changelog of a session store holds its composite
// keys as they are; writing them back (Engine.Write, as restoration does) restores the store.
func testRestore(t *testing.T, ns NewSupplier) {
	s := openKafka(t, ns)
	want := []kvs{item("a", 0, 0, 1), item("a", 10, 10, 2), item("a", 100, 100, 3), item("a", 1000, 1000, 4)}
	for _, e := range want {
		put(t, s, e.Key, e.Value)
	}
	raw, err := s.Engine().Range(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var batch []kv.Entry
	for raw.Next() {
		batch = append(batch, kv.Entry{Key: slices.Clone(raw.Key()), Value: slices.Clone(raw.Value())})
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	// Kafka's changelog key is SessionKeySchema.toBinary: serde.SessionWindowed's bytes.
	wb, _ := serde.SessionWindowed(serde.String).Serialize("t", w("a", 0, 0))
	if len(batch) != 4 || string(batch[0].Key) != string(wb) {
		t.Fatalf("raw contents %v, want 4 composite keys starting with %q", batch, wb)
	}
	restored := openKafka(t, ns)
	if err := restored.Engine().Write(append(batch, kv.Entry{Key: session.ToBinary([]byte("a"), 10, 10), Delete: true})); err != nil {
		t.Fatal(err)
	}
	c, err := restored.Fetch("a")
	check(t, "Fetch(a) after restore", c, err, want[0], want[2], want[3])
}

func testBuilder(t *testing.T, ns NewSupplier) {
	sup, err := ns(t, "built", session.Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b := session.NewBuilder(sup, serde.String, serde.Int64)
	if b.Name() != "built" || b.Persistent() != sup.Persistent() {
		t.Errorf("Name() %q, Persistent() %v", b.Name(), b.Persistent())
	}
	if !b.LoggingEnabled() || b.CachingEnabled() {
		t.Errorf("defaults: logging %v, caching %v; want on, off", b.LoggingEnabled(), b.CachingEnabled())
	}
	// Kafka's WindowedChangelogTopicConfig: compact,delete, retention + 1 day.
	want := map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "90000000"}
	if diff := cmp.Diff(want, b.ChangelogTopicConfig()); diff != "" {
		t.Errorf("ChangelogTopicConfig (-want +got):\n%s", diff)
	}
	b.WithLoggingEnabled(map[string]string{"retention.ms": "1", "min.insync.replicas": "2"}).WithCachingEnabled()
	want = map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "1", "min.insync.replicas": "2"}
	if diff := cmp.Diff(want, b.ChangelogTopicConfig()); diff != "" {
		t.Errorf("ChangelogTopicConfig with overrides (-want +got):\n%s", diff)
	}
	if !b.CachingEnabled() || b.LogConfig()["min.insync.replicas"] != "2" {
		t.Errorf("WithCachingEnabled / WithLoggingEnabled not applied")
	}
	b.WithLoggingDisabled().WithCachingDisabled()
	if b.LoggingEnabled() || b.CachingEnabled() || b.LogConfig() != nil {
		t.Errorf("WithLoggingDisabled / WithCachingDisabled not applied")
	}
	// BuildWith hands the wrap the segmented engine, and the store finds it under the layer.
	var got kv.Engine
	st, err := b.BuildWith(t.TempDir(), func(e kv.Engine) (kv.Engine, error) {
		got = e
		return passThrough{e}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := got.(*segments.Store); !ok {
		t.Errorf("wrap got %T, want *segments.Store", got)
	}
	s := st.(*session.Store[string, int64])
	if _, ok := s.Engine().(passThrough); !ok {
		t.Errorf("Engine() = %T, want the wrapper", s.Engine())
	}
	put(t, s, w("k", 1, 2), 3)
	c, err := s.Fetch("k")
	check(t, "Fetch through a wrapper", c, err, item("k", 1, 2, 3))
	// A failing wrap closes the engine; a wrap that hides the segments is refused.
	if _, err := b.BuildWith(t.TempDir(), func(kv.Engine) (kv.Engine, error) { return nil, errors.New("boom") }); err == nil {
		t.Error("BuildWith with a failing wrap: no error")
	}
	if _, err := b.BuildWith(t.TempDir(), func(e kv.Engine) (kv.Engine, error) { return opaque{e}, nil }); !errors.Is(err, session.ErrNotSegmented) {
		t.Errorf("BuildWith with an opaque wrap: %v, want ErrNotSegmented", err)
	}
}

// passThrough is a layer over an engine that unwraps (as the changelog and cache layers do).
type passThrough struct{ kv.Engine }

func (p passThrough) Unwrap() kv.Engine { return p.Engine }

// opaque is a layer that does not unwrap.
type opaque struct{ kv.Engine }

// testMerge checks session.Merge over the supplier's stores: the seed's example (kstreams-clj
// "Persistent session stores": gap 5 s; events at 10, 12, 20 make two sessions, a late one at
// 16 merges them all) and Kafka's KStreamSessionWindowAggregateProcessorTest expectations.
func testMerge(t *testing.T, ns NewSupplier) {
	count := session.Aggregator[string, string, int64]{
		Gap:   5 * time.Second,
		Init:  func() int64 { return 0 },
		Add:   func(_ string, _ string, agg int64) int64 { return agg + 1 },
		Merge: func(_ string, a, b int64) int64 { return a + b },
	}
	s := Open(t, ns, "merge", session.Options{Retention: time.Minute}, t.TempDir(), serde.String, serde.Int64)
	var stream int64
	for _, ts := range []int64{10_000, 12_000, 20_000} {
		stream = max(stream, ts)
		if _, err := session.Merge(s, count, "user", "click", ts, stream); err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.Fetch("user")
	check(t, "sessions after 10 s, 12 s, 20 s", c, err, item("user", 10_000, 12_000, 2), item("user", 20_000, 20_000, 1))
	res, err := session.Merge(s, count, "user", "click", 16_000, stream)
	if err != nil {
		t.Fatal(err)
	}
	wantRes := session.Result[string, int64]{
		Session: w("user", 10_000, 20_000), Value: 4,
		Removed: []kvs{item("user", 10_000, 12_000, 2), item("user", 20_000, 20_000, 1)},
	}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("Merge of the late event at 16 s (-want +got):\n%s", diff)
	}
	c, err = s.Fetch("user")
	check(t, "sessions after the late event at 16 s", c, err, item("user", 10_000, 20_000, 4))
}

func testComposite(t *testing.T, ns NewSupplier) {
	a := Open(t, ns, "c", kafkaOpts, t.TempDir(), serde.String, serde.Int64)
	b := Open(t, ns, "c", kafkaOpts, t.TempDir(), serde.String, serde.Int64)
	put(t, a, w("k1", 0, 10), 1)
	put(t, b, w("k1", 20, 30), 2)
	put(t, a, w("k2", 5, 5), 3)
	put(t, b, w("k3", 0, 100), 4)
	comp, err := session.NewComposite([]*session.Store[string, int64]{a, b})
	if err != nil {
		t.Fatal(err)
	}
	all := []kvs{item("k1", 0, 10, 1), item("k1", 20, 30, 2), item("k2", 5, 5, 3), item("k3", 0, 100, 4)}
	c, err := comp.FetchRange(nil, nil)
	check(t, "Composite.FetchRange(nil, nil)", c, err, all...)
	c, err = comp.BackwardFetchRange(new("k2"), nil)
	check(t, "Composite.BackwardFetchRange(k2, nil)", c, err, all[3], all[2])
	c, err = comp.Fetch("k1")
	check(t, "Composite.Fetch(k1)", c, err, all[:2]...)
	c, err = comp.BackwardFetch("k1")
	check(t, "Composite.BackwardFetch(k1)", c, err, all[1], all[0])
	c, err = comp.FindSessions("k1", 15, 40)
	check(t, "Composite.FindSessions(k1, 15, 40)", c, err, all[1])
	c, err = comp.BackwardFindSessions("k1", 0, 40)
	check(t, "Composite.BackwardFindSessions(k1, 0, 40)", c, err, all[1], all[0])
	c, err = comp.FindSessionsKeyRange(nil, nil, 6, 50)
	check(t, "Composite.FindSessionsKeyRange(nil, nil, 6, 50)", c, err, all[0], all[1], all[3])
	c, err = comp.BackwardFindSessionsKeyRange(new("k2"), new("k3"), 0, 5)
	check(t, "Composite.BackwardFindSessionsKeyRange(k2, k3, 0, 5)", c, err, all[3], all[2])
	c, err = comp.FetchRange(new("k3"), new("k1"))
	check(t, "Composite.FetchRange(k3, k1)", c, err)
	if v, ok, err := comp.FetchSession("k3", 0, 100); err != nil || !ok || v != 4 {
		t.Errorf("Composite.FetchSession(k3, 0, 100) = %d, %v, %v", v, ok, err)
	}
	if _, ok, err := comp.FetchSession("k3", 0, 101); err != nil || ok {
		t.Errorf("Composite.FetchSession of a missing session = %v, %v", ok, err)
	}
	cursortest.Run(t, func(t *testing.T) cur {
		c, err := comp.FetchRange(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, all)
	if _, err := session.NewComposite[string, int64](nil); err == nil {
		t.Error("NewComposite(nil): no error")
	}
}

func testConcurrent(t *testing.T, ns NewSupplier) {
	s := Open(t, ns, "concurrent", session.Options{Retention: time.Hour}, t.TempDir(), serde.String, serde.Int64)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			key := string(rune('a' + g))
			for i := range int64(200) {
				if err := s.Put(w(key, i*10, i*10+5), i); err != nil {
					t.Error(err)
					return
				}
				c, err := s.FetchRange(nil, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := cursor.Collect(c); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c, err := s.FetchRange(nil, nil)
	if got := collect(t, "FetchRange", c, err); len(got) != 800 {
		t.Errorf("%d sessions after concurrent puts, want 800", len(got))
	}
}

// testReopen checks that a persistent store keeps its sessions, in their segments, across a
// close and an open of the same directory.
func testReopen(t *testing.T, ns NewSupplier) {
	sup, err := ns(t, "reopen", session.Options{Retention: 10 * time.Second, SegmentInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !sup.Persistent() {
		t.Skip("in-memory supplier")
	}
	dir := t.TempDir()
	s := Open(t, ns, "reopen", sup.Options(), dir, serde.String, serde.Int64)
	want := []kvs{item("a", 0, 500, 1), item("a", 2000, 2500, 2), item("b", 4000, 9000, 3)}
	for _, e := range want {
		put(t, s, e.Key, e.Value)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = Open(t, ns, "reopen", sup.Options(), dir, serde.String, serde.Int64)
	c, err := s.FetchRange(nil, nil)
	check(t, "FetchRange after reopening", c, err, want...)
	// Stream time restarts with the first put; expired segments go then.
	put(t, s, w("b", 20_000, 20_000), 4)
	c, err = s.FetchRange(nil, nil)
	check(t, "FetchRange after advancing stream time", c, err, item("b", 20_000, 20_000, 4))
}
