package windowtest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/cursor/cursortest"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/window"
)

type (
	startI64    = cursor.KeyValue[int64, int64]
	windowedI64 = cursor.KeyValue[serde.Windowed[string], int64]
)

func wpair(k string, v, start, size int64) windowedI64 {
	return windowedI64{Key: serde.Windowed[string]{Key: k, Start: start, End: start + size}, Value: v}
}

func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func runContract(t *testing.T, supply Supply) {
	const size = 10
	opts := window.Options{WindowSize: size * time.Millisecond}
	open := func(t *testing.T) *window.Store[string, int64] {
		return Open(t, supply, opts, serde.String, serde.Int64)
	}
	get := func(t *testing.T, s *window.Store[string, int64], k string, ts int64) (int64, bool) {
		t.Helper()
		v, ok, err := s.Get(k, ts)
		if err != nil {
			t.Fatalf("Get(%q, %d): %v", k, ts, err)
		}
		return v, ok
	}

	t.Run("NameAndOptions", func(t *testing.T) {
		s := open(t)
		check(t, "Name", s.Name(), "wstore")
		check(t, "IsOpen", s.IsOpen(), true)
		check(t, "Options", s.Options(), window.Options{WindowSize: size * time.Millisecond, Retention: window.DefaultRetention, Segments: window.DefaultSegments})
		check(t, "WindowSize", s.WindowSize(), size*time.Millisecond)
		check(t, "ObservedStreamTime before any put", s.ObservedStreamTime(), int64(math.MinInt64))
		check(t, "MinLiveTime before any put", s.MinLiveTime(), int64(0))
	})

	t.Run("PutGetOverwrite", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "a", 1, 0)
		mustPut(t, s, "a", 2, 10)
		mustPut(t, s, "b", 3, 0)
		for _, c := range []struct {
			k    string
			ts   int64
			v    int64
			find bool
		}{{"a", 0, 1, true}, {"a", 10, 2, true}, {"b", 0, 3, true}, {"b", 10, 0, false}, {"c", 0, 0, false}} {
			v, ok := get(t, s, c.k, c.ts)
			if v != c.v || ok != c.find {
				t.Errorf("Get(%q, %d) = %d, %v; want %d, %v", c.k, c.ts, v, ok, c.v, c.find)
			}
		}
		mustPut(t, s, "a", 4, 0)
		if v, _ := get(t, s, "a", 0); v != 4 {
			t.Errorf("Get(a, 0) after overwrite = %d, want 4", v)
		}
		c, err := s.Fetch("a", 0, 10)
		check(t, "Fetch(a, 0, 10)", collect(t, c, err), []startI64{sv(0, 4), sv(10, 2)})
		check(t, "ObservedStreamTime", s.ObservedStreamTime(), int64(10))
	})

	t.Run("NegativeWindowStart", func(t *testing.T) {
		s := open(t)
		err := s.Put("a", 1, -1)
		var se *store.Error
		if !errors.Is(err, window.ErrNegativeWindowStart) || !errors.As(err, &se) || se.Store != "wstore" || se.Op != "put" {
			t.Errorf("Put at -1: %v, want a *store.Error (wstore, put) wrapping ErrNegativeWindowStart", err)
		}
		if _, ok := get(t, s, "a", -1); ok {
			t.Error("Get at -1 found a window")
		}
		mustPut(t, s, "a", 1, 0)
		c, err := s.Fetch("a", -100, 5) // from is clamped to 0
		check(t, "Fetch(a, -100, 5)", collect(t, c, err), []startI64{sv(0, 1)})
		kr, err := s.FetchAll(math.MinInt64, -1)
		check(t, "FetchAll(MinInt64, -1)", collect(t, kr, err), []windowedI64(nil))
	})

	t.Run("Tombstone", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "a", 1, 0)
		mustPut(t, s, "a", 2, 10)
		if err := s.PutTombstone("a", 0); err != nil {
			t.Fatal(err)
		}
		if err := s.PutTombstone("missing", 0); err != nil {
			t.Fatalf("PutTombstone of a missing window: %v", err)
		}
		if _, ok := get(t, s, "a", 0); ok {
			t.Error("Get(a, 0) after PutTombstone found it")
		}
		c, err := s.All()
		check(t, "All after PutTombstone", collect(t, c, err), []windowedI64{wpair("a", 2, 10, size)})
	})

	t.Run("EmptyKey", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "", 1, 5)
		mustPut(t, s, "\x00", 2, 5)
		v, ok := get(t, s, "", 5)
		check(t, "Get(\"\", 5)", [2]any{v, ok}, [2]any{int64(1), true})
		c, err := s.Fetch("", 0, 10)
		check(t, `Fetch("", 0, 10)`, collect(t, c, err), []startI64{sv(5, 1)})
		kr, err := s.FetchKeyRange(new(""), new(""), 0, 10)
		check(t, `FetchKeyRange("", "", 0, 10)`, collect(t, kr, err), []windowedI64{wpair("", 1, 5, size)})
	})

	t.Run("TimeBounds", func(t *testing.T) {
		s := open(t)
		for ts := int64(0); ts <= 50; ts += 10 {
			mustPut(t, s, "a", ts, ts)
		}
		c, err := s.Fetch("a", 10, 30) // both ends inclusive
		check(t, "Fetch(a, 10, 30)", collect(t, c, err), []startI64{sv(10, 10), sv(20, 20), sv(30, 30)})
		c, err = s.BackwardFetch("a", 10, 30)
		check(t, "BackwardFetch(a, 10, 30)", collect(t, c, err), []startI64{sv(30, 30), sv(20, 20), sv(10, 10)})
		c, err = s.Fetch("a", 11, 19)
		check(t, "Fetch(a, 11, 19)", collect(t, c, err), []startI64(nil))
		c, err = s.Fetch("a", 30, 10) // from > to
		check(t, "Fetch(a, 30, 10)", collect(t, c, err), []startI64(nil))
		kr, err := s.FetchAll(30, 10)
		check(t, "FetchAll(30, 10)", collect(t, kr, err), []windowedI64(nil))
		kr, err = s.FetchAll(50, math.MaxInt64)
		check(t, "FetchAll(50, MAX)", collect(t, kr, err), []windowedI64{wpair("a", 50, 50, size)})
		kr, err = s.FetchKeyRange(new("b"), new("a"), 0, 50) // fromKey > toKey
		check(t, "FetchKeyRange(b, a)", collect(t, kr, err), []windowedI64(nil))
	})

	t.Run("WindowEndSaturates", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "a", 1, math.MaxInt64-5)
		c, err := s.All()
		items := collect(t, c, err)
		if len(items) != 1 || items[0].Key.Start != math.MaxInt64-5 || items[0].Key.End != math.MaxInt64 {
			t.Errorf("All() = %v, want one window [MaxInt64-5, MaxInt64) (end saturates, Kafka's timeWindowForSize)", items)
		}
	})

	t.Run("Duplicates", func(t *testing.T) {
		o := opts
		o.RetainDuplicates = true
		s := Open(t, supply, o, serde.String, serde.Int64)
		mustPut(t, s, "a", 1, 0)
		mustPut(t, s, "a", 2, 0)
		mustPut(t, s, "a", 3, 0)
		// RocksDBWindowStore.fetch(key, time) looks up the current sequence number: the
		// last put's.
		v, ok := get(t, s, "a", 0)
		check(t, "Get(a, 0) after a's last put", [2]any{v, ok}, [2]any{int64(3), true})
		mustPut(t, s, "b", 9, 0)
		_, ok = get(t, s, "a", 0)
		check(t, "Get(a, 0) after b's put", ok, false)
		if err := s.PutTombstone("a", 0); err != nil { // ignored with duplicates
			t.Fatal(err)
		}
		c, err := s.Fetch("a", 0, 0)
		check(t, "Fetch(a, 0, 0): every put, in put order", collect(t, c, err), []startI64{sv(0, 1), sv(0, 2), sv(0, 3)})
		c, err = s.BackwardFetch("a", 0, 0)
		check(t, "BackwardFetch(a, 0, 0)", collect(t, c, err), []startI64{sv(0, 3), sv(0, 2), sv(0, 1)})
		kr, err := s.All()
		check(t, "All", collect(t, kr, err), []windowedI64{wpair("a", 1, 0, size), wpair("a", 2, 0, size), wpair("a", 3, 0, size), wpair("b", 9, 0, size)})
	})

	// Keys of different lengths with shared prefixes and bytes below and above the window
	// starts' first byte: every single-key fetch and every key range must select exactly
	// the brute-force answer, in store-key order (the caveat of WindowKeySchema's ranges).
	for _, base := range []int64{0, 0x61 << 56} {
		t.Run(fmt.Sprintf("VariableLengthKeys/base=%#x", base), func(t *testing.T) {
			o := window.Options{WindowSize: size * time.Millisecond, Retention: (1 << 41) * time.Millisecond}
			s := Open(t, supply, o, serde.String, serde.Int64)
			keys := []string{"", "\x00", "a", "a\x00", "a\x00\x00", "a\x01", "aa", "a\x60", "a\x7f", "a\xff", "b", "\xff"}
			times := []int64{0, 1, 255, 1 << 20, 1 << 33, 1 << 40}
			type entry struct {
				k  string
				ts int64
				v  int64
			}
			var all []entry
			for i, k := range keys {
				for j, dt := range times {
					v := int64(i*100 + j)
					mustPut(t, s, k, v, base+dt)
					all = append(all, entry{k, base + dt, v})
				}
			}
			slices.SortFunc(all, func(a, b entry) int {
				return bytes.Compare(window.ToStoreKey([]byte(a.k), a.ts, 0), window.ToStoreKey([]byte(b.k), b.ts, 0))
			})
			spans := [][2]int64{{base, base + 1<<40}, {base + 1, base + 1<<33}, {base + 256, base + 1<<20}, {base, base}}
			for _, sp := range spans {
				for _, k := range keys {
					var want []startI64
					for _, e := range all {
						if e.k == k && e.ts >= sp[0] && e.ts <= sp[1] {
							want = append(want, sv(e.ts, e.v))
						}
					}
					c, err := s.Fetch(k, sp[0], sp[1])
					check(t, fmt.Sprintf("Fetch(%q, %d, %d)", k, sp[0]-base, sp[1]-base), collect(t, c, err), want)
				}
				bounds := append([]*string{nil}, func() []*string {
					var out []*string
					for _, k := range keys {
						out = append(out, new(k))
					}
					return out
				}()...)
				for _, from := range bounds {
					for _, to := range bounds {
						var want []windowedI64
						for _, e := range all {
							if (from == nil || e.k >= *from) && (to == nil || e.k <= *to) && e.ts >= sp[0] && e.ts <= sp[1] {
								want = append(want, wpair(e.k, e.v, e.ts, size))
							}
						}
						what := fmt.Sprintf("FetchKeyRange(%s, %s, %d, %d)", show(from), show(to), sp[0]-base, sp[1]-base)
						c, err := s.FetchKeyRange(from, to, sp[0], sp[1])
						check(t, what, orEmpty(collect(t, c, err)), orEmpty(want))
						c, err = s.BackwardFetchKeyRange(from, to, sp[0], sp[1])
						check(t, "Backward"+what, orEmpty(collect(t, c, err)), orEmpty(reversed(want)))
					}
				}
			}
		})
	}
}

func show(p *string) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", *p)
}

// runRetention checks the retention edge cases with windows of 10 ms, a retention of 120 s
// and segments of 60 s (Segments: 3).
func runRetention(t *testing.T, supply Supply) {
	opts := window.Options{WindowSize: 10 * time.Millisecond, Retention: 120 * time.Second, Segments: 3}
	open := func(t *testing.T) *window.Store[string, int64] {
		return Open(t, supply, opts, serde.String, serde.Int64)
	}
	found := func(t *testing.T, s *window.Store[string, int64], k string, ts int64) bool {
		t.Helper()
		_, ok, err := s.Get(k, ts)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Fetch(k, ts, ts)
		inRange := len(collect(t, c, err)) > 0
		if inRange != ok {
			t.Errorf("Get(%q, %d) found %v but Fetch found %v", k, ts, ok, inRange)
		}
		return ok
	}

	// Stream time 300000: the oldest live segment is segmentId(300000 − 120000) = 3, which
	// starts at 180000; reads start at 300000 − 120000 + 1 = 180001.
	t.Run("PutAtRetentionBoundary", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "now", 1, 300_000)
		check(t, "MinLiveTime", s.MinLiveTime(), int64(180_001))
		mustPut(t, s, "boundary", 1, 180_000) // segment 3 is live: written, but not read
		check(t, "ExpiredRecords after a put at stream time − retention", s.ExpiredRecords(), int64(0))
		check(t, "read at stream time − retention", found(t, s, "boundary", 180_000), false)
		mustPut(t, s, "inside", 1, 180_001)
		check(t, "read at stream time − retention + 1", found(t, s, "inside", 180_001), true)
		mustPut(t, s, "before", 1, 179_999) // segment 2: expired
		check(t, "ExpiredRecords after a put into segment 2", s.ExpiredRecords(), int64(1))
		check(t, "segments", segmentIDs(t, s), []int64{3, 5})
		c, err := s.All()
		check(t, "All", values(collect(t, c, err)), []int64{1, 1})
	})

	t.Run("StreamTimeBackwards", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "a", 1, 300_000)
		mustPut(t, s, "a", 2, 200_000)
		check(t, "ObservedStreamTime after an earlier put", s.ObservedStreamTime(), int64(300_000))
		check(t, "segments", segmentIDs(t, s), []int64{3, 5})
		c, err := s.Fetch("a", 0, math.MaxInt64)
		check(t, "Fetch", collect(t, c, err), []startI64{sv(200_000, 2), sv(300_000, 1)})
		check(t, "ExpiredRecords", s.ExpiredRecords(), int64(0))
	})

	t.Run("ExpiredPutDroppedAndCounted", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "a", 1, 300_000)
		mustPut(t, s, "late", 2, 100_000)
		mustPut(t, s, "late", 3, 0)
		check(t, "ExpiredRecords", s.ExpiredRecords(), int64(2))
		check(t, "read of a dropped put", found(t, s, "late", 100_000), false)
		check(t, "segments (none created for the dropped puts)", segmentIDs(t, s), []int64{5})
	})

	t.Run("AdvancingDropsSegments", func(t *testing.T) {
		s := open(t)
		for ts := int64(0); ts <= 600_000; ts += 30_000 {
			mustPut(t, s, "a", ts, ts)
		}
		// Stream time 600000: live segments 8 (480000) to 10; reads from 480001.
		check(t, "segments", segmentIDs(t, s), []int64{8, 9, 10})
		c, err := s.Fetch("a", 0, math.MaxInt64)
		check(t, "Fetch", values(collect(t, c, err)), []int64{510_000, 540_000, 570_000, 600_000})
		check(t, "ExpiredRecords", s.ExpiredRecords(), int64(0))
	})

	t.Run("TombstoneDoesNotAdvanceStreamTime", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "a", 1, 1000)
		if err := s.PutTombstone("a", 1_000_000); err != nil {
			t.Fatal(err)
		}
		check(t, "ObservedStreamTime", s.ObservedStreamTime(), int64(1000))
	})
}

// runCursors checks the cursor contract on every kind of cursor, and the invalidation of
// open cursors when the store closes.
func runCursors(t *testing.T, supply Supply) {
	const size = 10
	opts := window.Options{WindowSize: size * time.Millisecond}
	s := Open(t, supply, opts, serde.String, serde.Int64)
	mustPut(t, s, "a", 1, 0)
	mustPut(t, s, "a", 2, 10)
	mustPut(t, s, "b", 3, 0)
	mustPut(t, s, "c", 4, 20)
	all := []windowedI64{wpair("a", 1, 0, size), wpair("a", 2, 10, size), wpair("b", 3, 0, size), wpair("c", 4, 20, size)}
	starts := func(name string, open func() (cursor.Cursor[int64, int64], error), want []startI64) {
		t.Run(name, func(t *testing.T) {
			cursortest.Run(t, func(t *testing.T) cursor.Cursor[int64, int64] {
				c, err := open()
				if err != nil {
					t.Fatal(err)
				}
				return c
			}, want)
		})
	}
	windowed := func(name string, open func() (cursor.Cursor[serde.Windowed[string], int64], error), want []windowedI64) {
		t.Run(name, func(t *testing.T) {
			cursortest.Run(t, func(t *testing.T) cursor.Cursor[serde.Windowed[string], int64] {
				c, err := open()
				if err != nil {
					t.Fatal(err)
				}
				return c
			}, want)
		})
	}
	starts("Fetch", func() (cursor.Cursor[int64, int64], error) { return s.Fetch("a", 0, 10) }, []startI64{sv(0, 1), sv(10, 2)})
	starts("BackwardFetch", func() (cursor.Cursor[int64, int64], error) { return s.BackwardFetch("a", 0, 10) }, []startI64{sv(10, 2), sv(0, 1)})
	starts("FetchMissing", func() (cursor.Cursor[int64, int64], error) { return s.Fetch("z", 0, 10) }, nil)
	starts("FetchFromAboveTo", func() (cursor.Cursor[int64, int64], error) { return s.Fetch("a", 10, 0) }, nil)
	windowed("FetchKeyRange", func() (cursor.Cursor[serde.Windowed[string], int64], error) {
		return s.FetchKeyRange(new("a"), new("b"), 0, 10)
	}, all[:3])
	windowed("BackwardFetchKeyRange", func() (cursor.Cursor[serde.Windowed[string], int64], error) {
		return s.BackwardFetchKeyRange(new("a"), new("b"), 0, 10)
	}, reversed(all[:3]))
	windowed("FetchAll", func() (cursor.Cursor[serde.Windowed[string], int64], error) { return s.FetchAll(10, 20) }, []windowedI64{all[1], all[3]})
	windowed("BackwardFetchAll", func() (cursor.Cursor[serde.Windowed[string], int64], error) { return s.BackwardFetchAll(10, 20) }, []windowedI64{all[3], all[1]})
	windowed("All", s.All, all)
	windowed("BackwardAll", s.BackwardAll, reversed(all))

	t.Run("Invalidation", func(t *testing.T) {
		for _, name := range []string{"Fetch", "All", "BackwardFetchKeyRange"} {
			t.Run(name, func(t *testing.T) {
				s := Open(t, supply, opts, serde.String, serde.Int64)
				mustPut(t, s, "a", 1, 0)
				mustPut(t, s, "a", 2, 10)
				// A second segment (the interval is the default retention, one day); reads
				// now start at 1, so the cursors have a@10 and this one.
				mustPut(t, s, "a", 3, 86_400_000)
				cursortest.RunInvalidation(t, func(t *testing.T) cursor.Cursor[int64, int64] {
					var c cursor.Cursor[int64, int64]
					var err error
					switch name {
					case "Fetch":
						c, err = s.Fetch("a", 0, math.MaxInt64)
					case "All":
						var w cursor.Cursor[serde.Windowed[string], int64]
						w, err = s.All()
						c = startsOf(w)
					default:
						var w cursor.Cursor[serde.Windowed[string], int64]
						w, err = s.BackwardFetchKeyRange(nil, nil, 0, math.MaxInt64)
						c = startsOf(w)
					}
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
		}
	})
}

// startsOf adapts a windowed cursor to one keyed by window start.
func startsOf[K, V any](c cursor.Cursor[serde.Windowed[K], V]) cursor.Cursor[int64, V] {
	if c == nil {
		return nil
	}
	return startsCursor[K, V]{c}
}

type startsCursor[K, V any] struct {
	cursor.Cursor[serde.Windowed[K], V]
}

func (c startsCursor[K, V]) Key() int64 { return c.Cursor.Key().Start }

// runClosed checks that every operation on a closed store fails with a *store.Error that
// wraps store.ErrStoreClosed and names the store.
func runClosed(t *testing.T, supply Supply) {
	s := Open(t, supply, window.Options{WindowSize: time.Second}, serde.String, serde.Int64)
	mustPut(t, s, "a", 1, 0)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if s.IsOpen() {
		t.Error("IsOpen() after Close")
	}
	closedErr := func(op string, err error) {
		t.Helper()
		var se *store.Error
		if !errors.Is(err, store.ErrStoreClosed) || !errors.As(err, &se) || se.Store == "" {
			t.Errorf("%s on a closed store: %v, want a *store.Error wrapping ErrStoreClosed", op, err)
		}
	}
	closedErr("Put", s.Put("a", 1, 0))
	closedErr("PutTombstone", s.PutTombstone("a", 0))
	_, _, err := s.Get("a", 0)
	closedErr("Get", err)
	closedErr("Flush", s.Flush())
	_, err = s.Fetch("a", 0, 10)
	closedErr("Fetch", err)
	_, err = s.Fetch("a", 10, 0)
	closedErr("Fetch (empty range)", err)
	_, err = s.BackwardFetch("a", 0, 10)
	closedErr("BackwardFetch", err)
	_, err = s.FetchKeyRange(nil, nil, 0, 10)
	closedErr("FetchKeyRange", err)
	_, err = s.BackwardFetchKeyRange(nil, nil, 0, 10)
	closedErr("BackwardFetchKeyRange", err)
	_, err = s.FetchAll(0, 10)
	closedErr("FetchAll", err)
	_, err = s.BackwardFetchAll(0, 10)
	closedErr("BackwardFetchAll", err)
	_, err = s.All()
	closedErr("All", err)
	_, err = s.BackwardAll()
	closedErr("BackwardAll", err)
}

func sv(start, v int64) startI64 { return startI64{Key: start, Value: v} }
