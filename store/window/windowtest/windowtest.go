// Package windowtest is the contract suite that every window store engine passes: [Run]
// checks each operation of window.Store over the engines of a supplier (Kafka Streams'
// WindowStore semantics, with expectations transcribed from Kafka's
// AbstractWindowBytesStoreTest and AbstractRocksDBWindowStoreTest), the cursor contract,
// retention and the closed-store rules; [RunModel] checks a long run of random operations
// against a plain reference with retention applied at segment granularity.
package windowtest

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/window"
)

// Supply returns a supplier of the engines under test, for a store name and options:
// window.InMemorySupplier has this signature, and so does rocksdb.WindowSupplier without
// its RocksDB options.
type Supply func(name string, opts window.Options) (window.Supplier, error)

// Open builds a store over supply's engines in a fresh directory (t.TempDir). At the end of
// the test it checks that no cursor was left open and closes the store.
func Open[K, V any](t *testing.T, supply Supply, opts window.Options, keys serde.Serde[K], values serde.Serde[V]) *window.Store[K, V] {
	t.Helper()
	sup, err := supply("wstore", opts)
	if err != nil {
		t.Fatalf("supplier: %v", err)
	}
	st, err := window.NewBuilder(sup, keys, values).Build(t.TempDir())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	s := st.(*window.Store[K, V])
	t.Cleanup(func() {
		if c, ok := s.Engine().(kv.OpenCursorCounter); ok && c.OpenCursors() != 0 {
			t.Errorf("%d cursors left open", c.OpenCursors())
		}
		_ = s.Close()
	})
	return s
}

// Kafka's AbstractWindowBytesStoreTest fixture: windows of 3 ms, segments of 60 s, a
// retention of two segments (Segments: 3 gives Kafka's interval, max(retention / 2, 60 s)).
const (
	kWindowSize      = 3
	kSegmentInterval = 60_000
	kRetention       = 2 * kSegmentInterval
	kStart           = kSegmentInterval - 4 // defaultStartTime
)

var kafkaOpts = window.Options{WindowSize: kWindowSize * time.Millisecond, Retention: kRetention * time.Millisecond, Segments: 3}

type (
	startKV    = cursor.KeyValue[int64, string]
	windowedKV = cursor.KeyValue[serde.Windowed[int32], string]
)

// pair is Kafka's windowedPair: key and value in the window of 3 ms starting at ts.
func pair(k int32, v string, ts int64) windowedKV {
	return windowedKV{Key: serde.Windowed[int32]{Key: k, Start: ts, End: ts + kWindowSize}, Value: v}
}

var (
	zero  = pair(0, "zero", kStart)
	one   = pair(1, "one", kStart+1)
	two   = pair(2, "two", kStart+2)
	three = pair(3, "three", kStart+2)
	four  = pair(4, "four", kStart+4)
	five  = pair(5, "five", kStart+5)
)

func putFirstBatch(t *testing.T, s *window.Store[int32, string]) {
	t.Helper()
	mustPut(t, s, 0, "zero", kStart)
	mustPut(t, s, 1, "one", kStart+1)
	mustPut(t, s, 2, "two", kStart+2)
	mustPut(t, s, 3, "three", kStart+2)
	mustPut(t, s, 4, "four", kStart+4)
	mustPut(t, s, 5, "five", kStart+5)
}

func putSecondBatch(t *testing.T, s *window.Store[int32, string]) {
	t.Helper()
	for i := int64(1); i <= 6; i++ {
		mustPut(t, s, 2, fmt.Sprintf("two+%d", i), kStart+2+i)
	}
}

func mustPut[K, V any](t *testing.T, s *window.Store[K, V], k K, v V, ts int64) {
	t.Helper()
	if err := s.Put(k, v, ts); err != nil {
		t.Fatalf("Put(%v, %v, %d): %v", k, v, ts, err)
	}
}

func collect[K, V any](t *testing.T, c cursor.Cursor[K, V], err error) []cursor.KeyValue[K, V] {
	t.Helper()
	if err != nil {
		t.Fatalf("opening cursor: %v", err)
	}
	out, err := cursor.Collect(c)
	if err != nil {
		t.Fatalf("cursor: %v", err)
	}
	return out
}

func values[K, V any](items []cursor.KeyValue[K, V]) []V {
	out := []V{}
	for _, it := range items {
		out = append(out, it.Value)
	}
	return out
}

func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// segmentIDs returns the live segment ids of the segmented engine under s.
func segmentIDs[K, V any](t *testing.T, s *window.Store[K, V]) []int64 {
	t.Helper()
	seg, ok := kv.Find[*segments.Store](s.Engine())
	if !ok {
		t.Fatal("no segmented engine under the store")
	}
	return seg.SegmentIDs()
}

// Run runs the contract suite against the engines of supply.
func Run(t *testing.T, supply Supply) {
	t.Run("Kafka", func(t *testing.T) { runKafka(t, supply) })
	t.Run("Contract", func(t *testing.T) { runContract(t, supply) })
	t.Run("Retention", func(t *testing.T) { runRetention(t, supply) })
	t.Run("Cursors", func(t *testing.T) { runCursors(t, supply) })
	t.Run("Closed", func(t *testing.T) { runClosed(t, supply) })
}

// runKafka transcribes Kafka's AbstractWindowBytesStoreTest and
// AbstractRocksDBWindowStoreTest, expected output written out. Kafka compares values as
// sets where this store guarantees an order (window-start order for one key), so the
// expectations here are ordered lists.
func runKafka(t *testing.T, supply Supply) {
	open := func(t *testing.T, dups bool) *window.Store[int32, string] {
		o := kafkaOpts
		o.RetainDuplicates = dups
		return Open(t, supply, o, serde.Int32, serde.String)
	}
	fetch := func(t *testing.T, s *window.Store[int32, string], k int32, from, to int64) []string {
		t.Helper()
		c, err := s.Fetch(k, from, to)
		return values(collect(t, c, err))
	}
	get := func(t *testing.T, s *window.Store[int32, string], k int32, ts int64) string {
		t.Helper()
		v, ok, err := s.Get(k, ts)
		if err != nil {
			t.Fatalf("Get(%d, %d): %v", k, ts, err)
		}
		if !ok {
			return "<none>"
		}
		return v
	}

	t.Run("testRangeAndSinglePointFetch", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		check(t, "fetch(0, st-3, st+3)", fetch(t, s, 0, kStart-3, kStart+3), []string{"zero"})
		putSecondBatch(t, s)
		for i := int64(1); i <= 6; i++ {
			check(t, fmt.Sprintf("get(2, st+%d)", 2+i), get(t, s, 2, kStart+2+i), fmt.Sprintf("two+%d", i))
		}
		// fetch(2, st+i-3, st+i+3) for i = -2 … 12.
		want := map[int64][]string{
			-2: {},
			-1: {"two"},
			0:  {"two", "two+1"},
			1:  {"two", "two+1", "two+2"},
			2:  {"two", "two+1", "two+2", "two+3"},
			3:  {"two", "two+1", "two+2", "two+3", "two+4"},
			4:  {"two", "two+1", "two+2", "two+3", "two+4", "two+5"},
			5:  {"two", "two+1", "two+2", "two+3", "two+4", "two+5", "two+6"},
			6:  {"two+1", "two+2", "two+3", "two+4", "two+5", "two+6"},
			7:  {"two+2", "two+3", "two+4", "two+5", "two+6"},
			8:  {"two+3", "two+4", "two+5", "two+6"},
			9:  {"two+4", "two+5", "two+6"},
			10: {"two+5", "two+6"},
			11: {"two+6"},
			12: {},
		}
		for i := int64(-2); i <= 12; i++ {
			check(t, fmt.Sprintf("fetch(2, st%+d-3, st%+d+3)", i, i), fetch(t, s, 2, kStart+i-kWindowSize, kStart+i+kWindowSize), want[i])
		}
	})

	t.Run("shouldGetAll", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		c, err := s.All()
		check(t, "all()", collect(t, c, err), []windowedKV{zero, one, two, three, four, five})
	})

	t.Run("shouldGetAllNonDeletedRecords", func(t *testing.T) {
		s := open(t, false)
		for i, v := range []string{"zero", "one", "two", "three", "four"} {
			mustPut(t, s, int32(i), v, kStart+int64(i))
		}
		for _, k := range []int32{1, 3} {
			if err := s.PutTombstone(k, kStart+int64(k)); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.All()
		check(t, "all()", collect(t, c, err), []windowedKV{zero, two, four})
	})

	t.Run("shouldGetAllReturnTimestampOrderedRecords", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 4, "four", kStart+4)
		mustPut(t, s, 0, "zero", kStart+0)
		mustPut(t, s, 2, "two", kStart+2)
		mustPut(t, s, 3, "three", kStart+3)
		mustPut(t, s, 1, "one", kStart+1)
		c, err := s.All()
		check(t, "all()", collect(t, c, err), []windowedKV{zero, one, two, pair(3, "three", kStart+3), four})
	})

	t.Run("shouldEarlyClosedIteratorStillGetAllRecords", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 0, "zero", kStart)
		mustPut(t, s, 1, "one", kStart+1)
		c, err := s.All()
		if err != nil || !c.Next() {
			t.Fatalf("all(): %v", err)
		}
		check(t, "first", windowedKV{Key: c.Key(), Value: c.Value()}, zero)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		c, err = s.All()
		check(t, "all() again", collect(t, c, err), []windowedKV{zero, one})
	})

	t.Run("shouldGetBackwardAll", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		c, err := s.BackwardAll()
		check(t, "backwardAll()", collect(t, c, err), []windowedKV{five, four, three, two, one, zero})
	})

	t.Run("shouldFetchAllInTimeRange", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		c, err := s.FetchAll(kStart+1, kStart+4)
		check(t, "fetchAll(st+1, st+4)", collect(t, c, err), []windowedKV{one, two, three, four})
		c, err = s.FetchAll(kStart, kStart+3)
		check(t, "fetchAll(st, st+3)", collect(t, c, err), []windowedKV{zero, one, two, three})
		c, err = s.FetchAll(kStart+1, kStart+5)
		check(t, "fetchAll(st+1, st+5)", collect(t, c, err), []windowedKV{one, two, three, four, five})
	})

	t.Run("shouldBackwardFetchAllInTimeRange", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		c, err := s.BackwardFetchAll(kStart+1, kStart+4)
		check(t, "backwardFetchAll(st+1, st+4)", collect(t, c, err), []windowedKV{four, three, two, one})
		c, err = s.BackwardFetchAll(kStart, kStart+3)
		check(t, "backwardFetchAll(st, st+3)", collect(t, c, err), []windowedKV{three, two, one, zero})
		c, err = s.BackwardFetchAll(kStart+1, kStart+5)
		check(t, "backwardFetchAll(st+1, st+5)", collect(t, c, err), []windowedKV{five, four, three, two, one})
	})

	keyRanges := []struct {
		from, to *int32
		tf, tt   int64
		want     []windowedKV
	}{
		{new(int32(0)), new(int32(1)), kStart - 3, kStart + 3, []windowedKV{zero, one}},
		{new(int32(1)), new(int32(1)), kStart - 3, kStart + 3, []windowedKV{one}},
		{new(int32(1)), new(int32(3)), kStart - 3, kStart + 3, []windowedKV{one, two, three}},
		{new(int32(0)), new(int32(5)), kStart - 3, kStart + 3, []windowedKV{zero, one, two, three}},
		{new(int32(0)), new(int32(5)), kStart - 3, kStart + 3 + 5, []windowedKV{zero, one, two, three, four, five}},
		{new(int32(0)), new(int32(5)), kStart + 2, kStart + 3 + 5, []windowedKV{two, three, four, five}},
		{new(int32(4)), new(int32(5)), kStart + 2, kStart + 3, nil},
		{new(int32(0)), new(int32(3)), kStart + 3, kStart + 3 + 5, nil},
		{nil, new(int32(2)), kStart - 3, kStart + 3 + 2, []windowedKV{zero, one, two}},
		{new(int32(2)), nil, kStart - 3, kStart + 3 + 5, []windowedKV{two, three, four, five}},
		{nil, nil, kStart - 3, kStart + 3 + 5, []windowedKV{zero, one, two, three, four, five}},
	}
	name := func(p *int32) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	t.Run("testFetchRange", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		for _, r := range keyRanges {
			c, err := s.FetchKeyRange(r.from, r.to, r.tf, r.tt)
			want := r.want
			if want == nil {
				want = []windowedKV{}
			}
			got := collect(t, c, err)
			if got == nil {
				got = []windowedKV{}
			}
			check(t, fmt.Sprintf("fetch(%s, %s, st%+d, st%+d)", name(r.from), name(r.to), r.tf-kStart, r.tt-kStart), got, want)
		}
	})
	t.Run("testBackwardFetchRange", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		for _, r := range keyRanges {
			c, err := s.BackwardFetchKeyRange(r.from, r.to, r.tf, r.tt)
			want := []windowedKV{}
			for i := len(r.want) - 1; i >= 0; i-- {
				want = append(want, r.want[i])
			}
			got := collect(t, c, err)
			if got == nil {
				got = []windowedKV{}
			}
			check(t, fmt.Sprintf("backwardFetch(%s, %s, st%+d, st%+d)", name(r.from), name(r.to), r.tf-kStart, r.tt-kStart), got, want)
		}
	})

	t.Run("testPutAndFetchBefore", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		for k, v := range []string{"zero", "one", "two", "three", "four", "five"} {
			check(t, fmt.Sprintf("fetch(%d, st+%d-3, st+%d)", k, k, k), fetch(t, s, int32(k), kStart+int64(k)-kWindowSize, kStart+int64(k)), []string{v})
		}
		putSecondBatch(t, s)
		want := map[int64][]string{
			-1: {}, 0: {}, 1: {},
			2:  {"two"},
			3:  {"two", "two+1"},
			4:  {"two", "two+1", "two+2"},
			5:  {"two", "two+1", "two+2", "two+3"},
			6:  {"two+1", "two+2", "two+3", "two+4"},
			7:  {"two+2", "two+3", "two+4", "two+5"},
			8:  {"two+3", "two+4", "two+5", "two+6"},
			9:  {"two+4", "two+5", "two+6"},
			10: {"two+5", "two+6"},
			11: {"two+6"},
			12: {}, 13: {},
		}
		for i := int64(-1); i <= 13; i++ {
			check(t, fmt.Sprintf("fetch(2, st%+d-3, st%+d)", i, i), fetch(t, s, 2, kStart+i-kWindowSize, kStart+i), want[i])
		}
	})

	t.Run("testPutAndFetchAfter", func(t *testing.T) {
		s := open(t, false)
		putFirstBatch(t, s)
		for k, v := range [][]string{{"zero"}, {"one"}, {"two"}, {}, {"four"}, {"five"}} {
			check(t, fmt.Sprintf("fetch(%d, st+%d, st+%d+3)", k, k, k), fetch(t, s, int32(k), kStart+int64(k), kStart+int64(k)+kWindowSize), v)
		}
		putSecondBatch(t, s)
		want := map[int64][]string{
			-2: {},
			-1: {"two"},
			0:  {"two", "two+1"},
			1:  {"two", "two+1", "two+2"},
			2:  {"two", "two+1", "two+2", "two+3"},
			3:  {"two+1", "two+2", "two+3", "two+4"},
			4:  {"two+2", "two+3", "two+4", "two+5"},
			5:  {"two+3", "two+4", "two+5", "two+6"},
			6:  {"two+4", "two+5", "two+6"},
			7:  {"two+5", "two+6"},
			8:  {"two+6"},
			9:  {}, 10: {}, 11: {}, 12: {},
		}
		for i := int64(-2); i <= 12; i++ {
			check(t, fmt.Sprintf("fetch(2, st%+d, st%+d+3)", i, i), fetch(t, s, 2, kStart+i, kStart+i+kWindowSize), want[i])
		}
	})

	t.Run("testPutSameKeyTimestamp", func(t *testing.T) {
		s := open(t, true)
		mustPut(t, s, 0, "zero", kStart)
		check(t, "fetch(0, st-3, st+3)", fetch(t, s, 0, kStart-kWindowSize, kStart+kWindowSize), []string{"zero"})
		mustPut(t, s, 0, "zero", kStart)
		mustPut(t, s, 0, "zero+", kStart)
		mustPut(t, s, 0, "zero++", kStart)
		all := []string{"zero", "zero", "zero+", "zero++"}
		for i := int64(0); i <= 3; i++ {
			check(t, fmt.Sprintf("fetch(0, st+%d-3, st+%d+3)", i, i), fetch(t, s, 0, kStart+i-kWindowSize, kStart+i+kWindowSize), all)
		}
		check(t, "fetch(0, st+4-3, st+4+3)", fetch(t, s, 0, kStart+4-kWindowSize, kStart+4+kWindowSize), []string{})
	})

	t.Run("shouldCloseOpenIteratorsWhenStoreIsClosed", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 1, "one", 1)
		mustPut(t, s, 1, "two", 2)
		mustPut(t, s, 1, "three", 3)
		c, err := s.Fetch(1, 1, 3)
		if err != nil || !c.Next() {
			t.Fatalf("fetch: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if c.Next() {
			t.Error("Next() after the store closed")
		}
		if err := c.Close(); !errors.Is(err, store.ErrStoreClosed) {
			t.Errorf("Close() = %v, want ErrStoreClosed", err)
		}
	})

	// Kafka's shouldFetchAndIterateOverExactKeys uses a window size and retention of
	// 0x7a00000000000000 ms, beyond time.Duration; the same keys and time offsets are put
	// here near that time, so that the window starts' first byte (0x79) is above some key
	// bytes and below others, which is what the test is about.
	t.Run("shouldFetchAndIterateOverExactKeys", func(t *testing.T) {
		const base = 0x7a00000000000000 - 1<<40
		const size = 1 << 40 // ms, about 35 years
		s := Open(t, supply, window.Options{WindowSize: size * time.Millisecond, Retention: size * time.Millisecond}, serde.String, serde.String)
		mustPut(t, s, "a", "0001", base)
		mustPut(t, s, "aa", "0002", base)
		mustPut(t, s, "a", "0003", base+1)
		mustPut(t, s, "aa", "0004", base+1)
		mustPut(t, s, "a", "0005", base+size-1)
		c, err := s.Fetch("a", 0, math.MaxInt64)
		check(t, `fetch("a", 0, MAX)`, values(collect(t, c, err)), []string{"0001", "0003", "0005"})
		w := func(k, v string, ts int64) cursor.KeyValue[serde.Windowed[string], string] {
			return cursor.KeyValue[serde.Windowed[string], string]{Key: serde.Windowed[string]{Key: k, Start: ts, End: ts + size}, Value: v}
		}
		kr, err := s.FetchKeyRange(new("a"), new("a"), 0, math.MaxInt64)
		check(t, `fetch("a", "a", 0, MAX)`, collect(t, kr, err), []cursor.KeyValue[serde.Windowed[string], string]{
			w("a", "0001", base), w("a", "0003", base+1), w("a", "0005", base+size-1)})
		kr, err = s.FetchKeyRange(new("aa"), new("aa"), 0, math.MaxInt64)
		check(t, `fetch("aa", "aa", 0, MAX)`, collect(t, kr, err), []cursor.KeyValue[serde.Windowed[string], string]{
			w("aa", "0002", base), w("aa", "0004", base+1)})
	})

	t.Run("testDeleteAndUpdate", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 1, "one", 0)
		mustPut(t, s, 1, "one v2", 0)
		c, err := s.Fetch(1, 0, 0)
		check(t, "fetch(1, 0, 0)", collect(t, c, err), []startKV{skv(0, "one v2")})
		if err := s.PutTombstone(1, 0); err != nil {
			t.Fatal(err)
		}
		check(t, "fetch(1, 0, 0) after put(1, null, 0)", fetch(t, s, 1, 0, 0), []string{})
	})

	t.Run("shouldReturnNullOnWindowNotFound", func(t *testing.T) {
		s := open(t, false)
		check(t, "fetch(1, 0)", get(t, s, 1, 0), "<none>")
	})

	t.Run("shouldFetchAndIterateOverExactBinaryKeys", func(t *testing.T) {
		o := kafkaOpts
		o.RetainDuplicates = true
		s := Open(t, supply, o, serde.Bytes, serde.String)
		key1, key2, key3 := []byte{0}, []byte{0, 0}, []byte{0, 0, 0}
		mustPut(t, s, key1, "1", 0)
		mustPut(t, s, key2, "2", 0)
		mustPut(t, s, key3, "3", 0)
		mustPut(t, s, key1, "4", 1)
		mustPut(t, s, key2, "5", 1)
		mustPut(t, s, key3, "6", 59999)
		mustPut(t, s, key1, "7", 59999)
		mustPut(t, s, key2, "8", 59999)
		mustPut(t, s, key3, "9", 59999)
		for _, c := range []struct {
			k    []byte
			want []string
		}{{key1, []string{"1", "4", "7"}}, {key2, []string{"2", "5", "8"}}, {key3, []string{"3", "6", "9"}}} {
			cur, err := s.Fetch(c.k, 0, math.MaxInt64)
			check(t, fmt.Sprintf("fetch(%v, 0, MAX)", c.k), values(collect(t, cur, err)), c.want)
		}
	})

	t.Run("shouldReturnSameResultsForSingleKeyFetchAndEqualKeyRangeFetch", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 1, "one", 0)
		mustPut(t, s, 2, "two", 1)
		mustPut(t, s, 2, "two", 2)
		mustPut(t, s, 3, "three", 3)
		single := fetch(t, s, 2, 0, 5)
		c, err := s.FetchKeyRange(new(int32(2)), new(int32(2)), 0, 5)
		check(t, "fetch(2, 2, 0, 5) values", values(collect(t, c, err)), single)
		check(t, "fetch(2, 0, 5)", single, []string{"two", "two"})
	})

	t.Run("shouldNotThrowInvalidRangeExceptionWithNegativeFromKey", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 1, "one", 0)
		// -1 serializes to 0xFFFFFFFF, above 1's bytes: the range is empty.
		c, err := s.FetchKeyRange(new(int32(-1)), new(int32(1)), 0, 10)
		check(t, "fetch(-1, 1, 0, 10)", collect(t, c, err), []windowedKV(nil))
	})

	t.Run("shouldMeasureExpiredRecords", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 1, "initial record", 2*kRetention)
		mustPut(t, s, 1, "late record", 0)
		mustPut(t, s, 1, "another on-time record", kRetention+1)
		check(t, "ExpiredRecords (dropped-records-total)", s.ExpiredRecords(), int64(1))
	})

	t.Run("shouldNotThrowExceptionWhenFetchRangeIsExpired", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 1, "one", 0)
		mustPut(t, s, 1, "two", 4*kRetention)
		check(t, "fetch(1, 0, 10)", fetch(t, s, 1, 0, 10), []string{})
	})

	t.Run("testFetchDuplicates", func(t *testing.T) {
		s := open(t, true)
		mustPut(t, s, 1, "one", 0)
		mustPut(t, s, 1, "one-2", 0)
		mustPut(t, s, 1, "two", kWindowSize*10)
		mustPut(t, s, 1, "two-2", kWindowSize*10)
		mustPut(t, s, 1, "three", kWindowSize*20)
		mustPut(t, s, 1, "three-2", kWindowSize*20)
		c, err := s.Fetch(1, 0, kWindowSize*10)
		check(t, "fetch(1, 0, 30)", collect(t, c, err), []startKV{skv(0, "one"), skv(0, "one-2"), skv(30, "two"), skv(30, "two-2")})
	})

	// AbstractRocksDBWindowStoreTest.testRolling: segments 60 s, retention 120 s.
	t.Run("testRolling", func(t *testing.T) {
		s := open(t, false)
		const st, inc = kSegmentInterval * 2, kSegmentInterval / 2
		steps := []struct {
			k    int32
			v    string
			segs []int64
		}{
			{0, "zero", []int64{2}},
			{1, "one", []int64{2}},
			{2, "two", []int64{2, 3}},
			{4, "four", []int64{2, 3, 4}},
			{5, "five", []int64{2, 3, 4}},
		}
		for _, step := range steps {
			mustPut(t, s, step.k, step.v, st+inc*int64(step.k))
			check(t, fmt.Sprintf("segments after put(%d)", step.k), segmentIDs(t, s), step.segs)
		}
		at := func(k int32) []string {
			return fetch(t, s, k, st+inc*int64(k)-kWindowSize, st+inc*int64(k)+kWindowSize)
		}
		// Observed 270000: reads start at 150001, so "one" at 150000 is not returned.
		want := [][]string{{}, {}, {"two"}, {}, {"four"}, {"five"}}
		for k, w := range want {
			check(t, fmt.Sprintf("fetch(%d) at stream time 270000", k), at(int32(k)), w)
		}
		mustPut(t, s, 6, "six", st+inc*6)
		check(t, "segments after put(6)", segmentIDs(t, s), []int64{3, 4, 5})
		want = [][]string{{}, {}, {}, {}, {"four"}, {"five"}, {"six"}}
		for k, w := range want {
			check(t, fmt.Sprintf("fetch(%d) at stream time 300000", k), at(int32(k)), w)
		}
		mustPut(t, s, 7, "seven", st+inc*7)
		check(t, "segments after put(7)", segmentIDs(t, s), []int64{3, 4, 5})
		want = [][]string{{}, {}, {}, {}, {"four"}, {"five"}, {"six"}, {"seven"}}
		for k, w := range want {
			check(t, fmt.Sprintf("fetch(%d) at stream time 330000", k), at(int32(k)), w)
		}
		mustPut(t, s, 8, "eight", st+inc*8)
		check(t, "segments after put(8)", segmentIDs(t, s), []int64{4, 5, 6})
		want = [][]string{{}, {}, {}, {}, {}, {"five"}, {"six"}, {"seven"}, {"eight"}}
		for k, w := range want {
			check(t, fmt.Sprintf("fetch(%d) at stream time 360000", k), at(int32(k)), w)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		check(t, "segments after flush", segmentIDs(t, s), []int64{4, 5, 6})
	})

	// AbstractRocksDBWindowStoreTest.shouldOnlyIterateOpenSegments, and the same with a
	// window that the minimum live time would still return but whose segment a put drops
	// while the cursor is open: the cursor skips the dropped segment.
	t.Run("shouldOnlyIterateOpenSegments", func(t *testing.T) {
		s := open(t, false)
		mustPut(t, s, 1, "one", 0)
		mustPut(t, s, 1, "two", kSegmentInterval)
		mustPut(t, s, 1, "three", 2*kSegmentInterval)
		c, err := s.Fetch(1, 0, 2*kSegmentInterval)
		if err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, 1, "four", 3*kSegmentInterval)
		check(t, "fetch(1, 0, 120000)", collect(t, c, nil), []startKV{skv(kSegmentInterval, "two"), skv(2*kSegmentInterval, "three")})

		s = open(t, false)
		mustPut(t, s, 1, "one", kSegmentInterval)
		mustPut(t, s, 1, "two", 2*kSegmentInterval)
		mustPut(t, s, 1, "three", 2*kSegmentInterval+50_000)
		c, err = s.Fetch(1, 0, math.MaxInt64) // reads from 50001: "one" is live
		if err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, 1, "four", 4*kSegmentInterval+10_000) // drops segment 1
		check(t, "segments", segmentIDs(t, s), []int64{2, 4})
		check(t, "fetch(1, 0, MAX) over a dropped segment", collect(t, c, nil), []startKV{skv(2*kSegmentInterval, "two"), skv(2*kSegmentInterval+50_000, "three")})
	})
}

func skv(start int64, v string) startKV { return startKV{Key: start, Value: v} }
