package session

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/tributary-go/tributary/serde"
)

// kafkaKeys are the composite keys of Kafka's SessionKeySchemaTest.setUp, with their values,
// in the test's (unsorted) order.
var kafkaKeys = []struct {
	key        []byte
	start, end int64
	value      int
}{
	{[]byte{0, 0}, 0, 0, 1},
	{[]byte{0}, 0, 0, 2},
	{[]byte{0, 0, 0}, 0, 0, 3},
	{[]byte{0}, 10, 20, 4},
	{[]byte{0, 0}, 10, 20, 5},
	{[]byte{0, 0, 0}, 10, 20, 6},
}

func matching(q query) []int {
	var out []int
	for _, k := range kafkaKeys {
		if q.match(ToBinary(k.key, k.start, k.end)) {
			out = append(out, k.value)
		}
	}
	return out
}

// Kafka's SessionKeySchemaTest: hasNextCondition keeps exactly the keys asked for, whatever
// keys of other lengths interleave with them.
func TestKafkaSessionKeySchemaHasNextCondition(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    query
		want []int
	}{
		{"shouldFetchExactKeysSkippingLongerKeys", query{from: []byte{0}, to: []byte{0}, exact: true, latestStart: math.MaxInt64}, []int{2, 4}},
		{"shouldFetchExactKeySkippingShorterKeys", query{from: []byte{0, 0}, to: []byte{0, 0}, exact: true, latestStart: math.MaxInt64}, []int{1, 5}},
		{"shouldFetchAllKeysUsingNullKeys", query{latestStart: math.MaxInt64}, []int{1, 2, 3, 4, 5, 6}},
		// The same as a key range [k, k] rather than an exact key.
		{"range [0, 0]", query{from: []byte{0}, to: []byte{0}, latestStart: math.MaxInt64}, []int{2, 4}},
		{"range [00, 000]", query{from: []byte{0, 0}, to: []byte{0, 0, 0}, latestStart: math.MaxInt64}, []int{1, 3, 5, 6}},
		// And by times: end >= 15 and start <= 10.
		{"times", query{earliestEnd: 15, latestStart: 10}, []int{4, 5, 6}},
	} {
		if got := matching(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Kafka's SessionKeySchemaTest bound tests, for Tributary's bounds (which take the store's
// largest session end instead of Long.MAX_VALUE where they can).
func TestKafkaSessionKeySchemaBounds(t *testing.T) {
	maxSfx := maxSuffix(math.MaxInt64, math.MaxInt64)
	// testUpperBoundWithLargeTimestamps: shorter keys with max timestamps are in range.
	upper := rangeUpper([]byte{0xA, 0xB, 0xC}, maxSfx)
	for _, k := range [][]byte{{0xA}, {0xA, 0xB}, {0xA, 0xB, 0xC}} {
		if c := ToBinary(k, math.MaxInt64, math.MaxInt64); bytes.Compare(upper, c) < 0 {
			t.Errorf("upper bound %x below %x (key %x at max timestamps)", upper, c, k)
		}
	}
	// Kafka keeps at least one key byte (its keys are never empty); serde.String's "" is a
	// key here, so with Long.MAX_VALUE timestamps the empty key's sessions bound the range.
	if !bytes.Equal(upper, maxSfx) {
		t.Errorf("upper bound %x, want the empty key's %x", upper, maxSfx)
	}
	// testUpperBoundWithKeyBytesLargerThanFirstTimestampByte: key bytes above the suffix's
	// first byte are kept; with a realistic largest end (first byte 0x00) all of them are.
	realistic := maxSuffix(1_700_000_000_000, math.MaxInt64)
	upper = rangeUpper([]byte{0xA, 0x8F, 0x9F}, realistic)
	if want := append([]byte{0xA, 0x8F, 0x9F}, realistic...); !bytes.Equal(upper, want) {
		t.Errorf("upper bound %x, want %x", upper, want)
	}
	if c := ToBinary([]byte{0xA, 0x8F}, 1_700_000_000_000, 1_700_000_000_000); bytes.Compare(upper, c) < 0 {
		t.Errorf("upper bound %x below the shorter key's session %x", upper, c)
	}
	// testUpperBoundWithZeroTimestamp: latest start 0.
	upper = rangeUpper([]byte{0xA, 0xB, 0xC}, maxSuffix(math.MaxInt64, 0))
	if want := ToBinary(nil, 0, math.MaxInt64); !bytes.Equal(upper, want) {
		t.Errorf("upper bound with start 0 %x, want %x", upper, want)
	}
	// A key ending in bytes below the suffix's is cut there: "a\x00…" | suffix would miss the
	// sessions of "a" whose end bytes exceed the zeros.
	upper = rangeUpper([]byte("a\x00\x00\x00\x00\x00\x00\x00"), maxSuffix(5000, 5000))
	if c := ToBinary([]byte("a"), 5000, 5000); bytes.Compare(upper, c) < 0 {
		t.Errorf("upper bound %x below %x", upper, c)
	}
	// testLowerBoundWithZeroTimestamp.
	lo, _ := keyBounds([]byte{0xA, 0xB, 0xC}, 0, math.MaxInt64, math.MaxInt64)
	if want := ToBinary([]byte{0xA, 0xB, 0xC}, 0, 0); !bytes.Equal(lo, want) {
		t.Errorf("lower bound %x, want %x", lo, want)
	}
	// testLowerBoundMatchesTrailingZeros: a key range's lower bound is the bare key, below
	// the key with zeros appended.
	longer := ToBinary([]byte{0xA, 0xB, 0xC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, math.MaxInt64, math.MaxInt64)
	if bytes.Compare([]byte{0xA, 0xB, 0xC}, longer) >= 0 {
		t.Error("the bare key is not below the key with trailing zeros")
	}
	// With realistic timestamps the bound stays at the key: "user-2" | max suffix, not "u" |
	// 0x7f… as Kafka's (which scans every key from "user-1" to "u\x7f").
	sfx := maxSuffix(1_700_000_000_000, math.MaxInt64)
	if got, want := rangeUpper([]byte("user-2"), sfx), append([]byte("user-2"), sfx...); !bytes.Equal(got, want) {
		t.Errorf("upper bound %q, want %q", got, want)
	}
}

// Kafka's SessionKeySchemaTest serialization tests: toBinary/from round trip, extraction of
// start, end, window and key bytes, and the layout of the SessionWindowed serde.
func TestKafkaSessionKeySchemaBinary(t *testing.T) {
	const start, end = 50, 100
	b := ToBinary([]byte("key"), start, end)
	sw, err := serde.SessionWindowed(serde.String).Serialize("topic", serde.Windowed[string]{Key: "key", Start: start, End: end})
	if err != nil || !bytes.Equal(b, sw) {
		t.Errorf("ToBinary = %x, SessionWindowed serde = %x, %v", b, sw, err)
	}
	if want := []byte("key\x00\x00\x00\x00\x00\x00\x00\x64\x00\x00\x00\x00\x00\x00\x00\x32"); !bytes.Equal(b, want) {
		t.Errorf("ToBinary = %x, want key | end | start = %x", b, want)
	}
	k, s, e, ok := FromBinary(b)
	if !ok || string(k) != "key" || s != start || e != end {
		t.Errorf("FromBinary = %q, %d, %d, %v", k, s, e, ok)
	}
	if ts, ok := (KeySchema{}).SegmentTime(b); !ok || ts != end {
		t.Errorf("SegmentTime = %d, %v; want the end, %d", ts, ok, end)
	}
	if _, _, _, ok := FromBinary(b[:15]); ok {
		t.Error("FromBinary of 15 bytes: ok")
	}
	if _, ok := (KeySchema{}).SegmentTime(b[:15]); ok {
		t.Error("SegmentTime of 15 bytes: ok")
	}
	if got := AppendBinary([]byte("x"), []byte("key"), start, end); !bytes.Equal(got[1:], b) || got[0] != 'x' {
		t.Errorf("AppendBinary = %x", got)
	}
}

func FuzzKeySchemaRoundTrip(f *testing.F) {
	f.Add([]byte("key"), int64(50), int64(100))
	f.Add([]byte{}, int64(0), int64(0))
	f.Add([]byte{0, 0, 0}, int64(-1), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, key []byte, start, end int64) {
		b := ToBinary(key, start, end)
		if len(b) != len(key)+SuffixSize {
			t.Fatalf("len %d, want %d", len(b), len(key)+SuffixSize)
		}
		k, s, e, ok := FromBinary(b)
		if !ok || !bytes.Equal(k, key) || s != start || e != end {
			t.Fatalf("FromBinary(ToBinary(%x, %d, %d)) = %x, %d, %d, %v", key, start, end, k, s, e, ok)
		}
		if ts, ok := (KeySchema{}).SegmentTime(b); !ok || ts != end {
			t.Fatalf("SegmentTime = %d, %v; want %d", ts, ok, end)
		}
		sw, err := serde.SessionWindowed(serde.Bytes).Serialize("t", serde.Windowed[[]byte]{Key: key, Start: start, End: end})
		if err != nil || !bytes.Equal(sw, b) {
			t.Fatalf("SessionWindowed serde = %x, %v; want %x", sw, err, b)
		}
	})
}

func FuzzKeySchemaGarbage(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("short"))
	f.Add(bytes.Repeat([]byte{0xff}, 16))
	f.Add([]byte("key\x00\x00\x00\x00\x00\x00\x00\x64\x00\x00\x00\x00\x00\x00\x00\x32"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, s, e, ok := FromBinary(b)
		if ok != (len(b) >= SuffixSize) {
			t.Fatalf("FromBinary of %d bytes: ok = %v", len(b), ok)
		}
		if ts, tok := (KeySchema{}).SegmentTime(b); tok != ok || (ok && ts != e) {
			t.Fatalf("SegmentTime = %d, %v; FromBinary end %d, %v", ts, tok, e, ok)
		}
		if ok && !bytes.Equal(ToBinary(k, s, e), b) {
			t.Fatalf("ToBinary(FromBinary(%x)) differs", b)
		}
		q := query{from: k, to: k, exact: true, earliestEnd: math.MinInt64, latestStart: math.MaxInt64}
		if q.match(b) != ok {
			t.Fatalf("match of %x = %v, want %v", b, !ok, ok)
		}
	})
}

// FuzzKeySchemaOrder checks the byte order of composite keys (non-negative times, as Kafka's):
// keys of equal length sort by key, then end, then start.
func FuzzKeySchemaOrder(f *testing.F) {
	f.Add([]byte("a"), []byte("a"), int64(0), int64(10), int64(5), int64(10))
	f.Add([]byte("a"), []byte("b"), int64(100), int64(100), int64(0), int64(0))
	f.Add([]byte{0xff}, []byte{0xfe}, int64(1), int64(1<<40), int64(255), int64(256))
	f.Fuzz(func(t *testing.T, k1, k2 []byte, s1, e1, s2, e2 int64) {
		if len(k1) != len(k2) {
			k2 = append(bytes.Clone(k1[:min(len(k1), len(k2))]), make([]byte, max(0, len(k1)-len(k2)))...)
		}
		s1, e1, s2, e2 = s1&math.MaxInt64, e1&math.MaxInt64, s2&math.MaxInt64, e2&math.MaxInt64
		want := cmp.Or(bytes.Compare(k1, k2), cmp.Compare(e1, e2), cmp.Compare(s1, s2))
		if got := bytes.Compare(ToBinary(k1, s1, e1), ToBinary(k2, s2, e2)); got != want {
			t.Fatalf("Compare(%x [%d,%d], %x [%d,%d]) = %d, want %d", k1, s1, e1, k2, s2, e2, got, want)
		}
	})
}

// FuzzScanBounds checks that the scan bounds cover every session they must: a session of a
// key up to keyTo (exact key: of key itself) ending at or before maxEnd and starting at or
// before latestStart is within the bounds.
func FuzzScanBounds(f *testing.F) {
	f.Add([]byte("a\x00\x00\x00\x00\x00\x00\x00"), []byte("a"), int64(5000), int64(5000), int64(4000), int64(5000))
	f.Add([]byte{0xA, 0xB, 0xC}, []byte{0xA}, int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64))
	f.Add([]byte("user-2"), []byte("user-1999"), int64(1<<41), int64(1<<41), int64(0), int64(1<<41))
	f.Add([]byte{}, []byte{}, int64(0), int64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, keyTo, key []byte, maxEnd, latestStart, start, end int64) {
		maxEnd, start, end = maxEnd&math.MaxInt64, start&math.MaxInt64, end&math.MaxInt64
		start, end = min(start, end), max(start, end)
		if end > maxEnd || start > latestStart {
			return // not a session the scan must find
		}
		sfx := maxSuffix(maxEnd, latestStart)
		c := ToBinary(key, start, end)
		if bytes.Compare(key, keyTo) <= 0 {
			if up := rangeUpper(keyTo, sfx); bytes.Compare(c, up) > 0 {
				t.Fatalf("range upper bound %x below session %x", up, c)
			}
		}
		lo, hi := keyBounds(key, start, maxEnd, latestStart)
		if bytes.Compare(c, lo) < 0 || bytes.Compare(c, hi) > 0 {
			t.Fatalf("session %x outside key bounds [%x, %x]", c, lo, hi)
		}
	})
}
