package window

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"
)

// Kafka's WindowKeySchemaTest: store keys are the key bytes, the start as 8 bytes and the
// sequence number as 4 bytes, big-endian (shouldExtractSequenceFromBinary,
// shouldExtractStartTimeFromBinary, shouldExtractKeyBytesFromBinary).
func TestStoreKeyLayout(t *testing.T) {
	got := ToStoreKey([]byte("key"), 0x0102030405060708, 0x0a0b0c0d)
	want := []byte{'k', 'e', 'y', 1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d}
	if !bytes.Equal(got, want) {
		t.Fatalf("ToStoreKey = %x, want %x", got, want)
	}
	k, ts, seq, err := DecodeStoreKey(got)
	if err != nil || string(k) != "key" || ts != 0x0102030405060708 || seq != 0x0a0b0c0d {
		t.Errorf("DecodeStoreKey = %q, %#x, %#x, %v", k, ts, seq, err)
	}
	if k, _ := ExtractKey(got); string(k) != "key" {
		t.Errorf("ExtractKey = %q", k)
	}
	if ts, _ := ExtractWindowStart(got); ts != 0x0102030405060708 {
		t.Errorf("ExtractWindowStart = %#x", ts)
	}
	if seq, _ := ExtractSeqnum(ToStoreKey(nil, 5, 0)); seq != 0 {
		t.Errorf("ExtractSeqnum = %d", seq)
	}
	if ts, ok := (KeySchema{}).SegmentTime(got); !ok || ts != 0x0102030405060708 {
		t.Errorf("SegmentTime = %#x, %v", ts, ok)
	}
	for n := range SuffixSize {
		if _, _, _, err := DecodeStoreKey(make([]byte, n)); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("DecodeStoreKey of %d bytes: %v, want ErrMalformedKey", n, err)
		}
		if _, ok := (KeySchema{}).SegmentTime(make([]byte, n)); ok {
			t.Errorf("SegmentTime of %d bytes: ok", n)
		}
	}
	if k, _, _, err := DecodeStoreKey(make([]byte, SuffixSize)); err != nil || len(k) != 0 {
		t.Errorf("DecodeStoreKey of an empty key: %q, %v", k, err)
	}
}

// WindowKeySchemaTest.shouldSerializeDeserialize / testSerializeDeserializeOverflowWindowSize:
// an end past Long.MAX_VALUE is Long.MAX_VALUE (timeWindowForSize).
func TestEnd(t *testing.T) {
	for _, c := range []struct {
		start int64
		size  time.Duration
		want  int64
	}{
		{0, time.Second, 1000},
		{50, 3 * time.Millisecond, 53},
		{math.MaxInt64 - 10, time.Second, math.MaxInt64},
		{math.MaxInt64, time.Millisecond, math.MaxInt64},
	} {
		if got := End(c.start, c.size); got != c.want {
			t.Errorf("End(%d, %v) = %d, want %d", c.start, c.size, got, c.want)
		}
	}
}

// Kafka's WindowKeySchemaTest.testUpperBoundWith*: a shorter key (a prefix of the range's upper
// key) at the largest time must be within the upper bound. The bounds are ours, not Kafka's
// (see rangeUpper), but they keep Kafka's guarantees.
func TestRangeBounds(t *testing.T) {
	for _, c := range []struct {
		name    string
		upper   []byte
		to      int64
		shorter [][]byte
		want    []byte
	}{
		{"testUpperBoundWithLargeTimestamps", []byte{0xA, 0xB, 0xC}, math.MaxInt64, [][]byte{{0xA}, {0xA, 0xB}}, []byte{0xFF}},
		{"testUpperBoundWithKeyBytesLargerThanFirstTimestampByte", []byte{0xA, 0x8F, 0x9F}, math.MaxInt64, [][]byte{{0xA, 0x8F}}, []byte{0xFF}},
		{"testUpperBoundWithKeyBytesLargerAndSmallerThanFirstTimestampByte", []byte{0xC, 0xC, 0x9}, 0x0AFFFFFFFFFFFFFF, [][]byte{{0xC, 0xC}}, []byte{0xC, 0xC, 0xFF}},
		{"testUpperBoundWithZeroTimestamp", []byte{0xA, 0xB, 0xC}, 0, [][]byte{{0xA}, {0xA, 0xB}}, ToStoreKey([]byte{0xA, 0xB, 0xC}, 0, -1)},
	} {
		hi := rangeUpper(c.upper, c.to)
		if !bytes.Equal(hi, c.want) {
			t.Errorf("%s: upper bound %x, want %x", c.name, hi, c.want)
		}
		for _, k := range append(c.shorter, c.upper) {
			if sk := ToStoreKey(k, c.to, math.MaxInt32); bytes.Compare(hi, sk) < 0 {
				t.Errorf("%s: key %x at %#x is above the upper bound %x", c.name, k, c.to, hi)
			}
		}
	}
	// testLowerBoundWithZeroTimestamp, testLowerBoundWithNonZeroTimestamp,
	// testLowerBoundMatchesTrailingZeros: the lower bound is the key and 12 zero bytes,
	// whatever the time.
	if lo := rangeLower([]byte{0xA, 0xB, 0xC}); !bytes.Equal(lo, ToStoreKey([]byte{0xA, 0xB, 0xC}, 0, 0)) {
		t.Errorf("lower bound %x", lo)
	}
	if lo := rangeLower(nil); lo != nil {
		t.Errorf("lower bound of an open range: %x", lo)
	}
	if hi := rangeUpper(nil, 5); hi != nil {
		t.Errorf("upper bound of an open range: %x", hi)
	}
}

// FuzzStoreKeyRoundTrip: ToStoreKey then DecodeStoreKey (and the Extract functions and the
// segment schema) give back the key, start and sequence number.
func FuzzStoreKeyRoundTrip(f *testing.F) {
	f.Add([]byte("key"), int64(0), int32(0))
	f.Add([]byte{}, int64(math.MaxInt64), int32(math.MaxInt32))
	f.Add([]byte{0, 0xff}, int64(-1), int32(-1))
	f.Fuzz(func(t *testing.T, key []byte, ts int64, seq int32) {
		sk := ToStoreKey(key, ts, seq)
		if len(sk) != len(key)+SuffixSize {
			t.Fatalf("store key of %d bytes for a %d-byte key", len(sk), len(key))
		}
		k, gts, gseq, err := DecodeStoreKey(sk)
		if err != nil || !bytes.Equal(k, key) || gts != ts || gseq != seq {
			t.Fatalf("DecodeStoreKey(ToStoreKey(%x, %d, %d)) = %x, %d, %d, %v", key, ts, seq, k, gts, gseq, err)
		}
		if st, ok := (KeySchema{}).SegmentTime(sk); !ok || st != ts {
			t.Fatalf("SegmentTime = %d, %v; want %d", st, ok, ts)
		}
		if x, _ := ExtractSeqnum(sk); x != seq {
			t.Fatalf("ExtractSeqnum = %d, want %d", x, seq)
		}
		if !bytes.Equal(AppendStoreKey([]byte("prefix"), key, ts, seq), append([]byte("prefix"), sk...)) {
			t.Fatal("AppendStoreKey differs from ToStoreKey")
		}
	})
}

// FuzzDecodeStoreKey: any bytes decode without a panic; fewer than 12 bytes are an error,
// anything else re-encodes to itself.
func FuzzDecodeStoreKey(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("short"))
	f.Add(ToStoreKey([]byte("k"), 42, 7))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ts, seq, err := DecodeStoreKey(b)
		if len(b) < SuffixSize {
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("DecodeStoreKey(%x): %v, want ErrMalformedKey", b, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if re := ToStoreKey(k, ts, seq); !bytes.Equal(re, b) {
			t.Fatalf("re-encoded %x, want %x", re, b)
		}
	})
}

// FuzzStoreKeyOrder: for one record key and non-negative window starts, store keys sort by
// (window start, sequence number as unsigned), which is what single-key fetches rely on.
// (Across keys of different lengths they need not sort by key: see FuzzRangeBounds.)
func FuzzStoreKeyOrder(f *testing.F) {
	f.Add([]byte("a"), int64(1), int64(256), int32(0), int32(0))
	f.Add([]byte{}, int64(0), int64(0), int32(1), int32(-1))
	f.Add([]byte{0xff}, int64(math.MaxInt64), int64(1<<56), int32(5), int32(5))
	f.Fuzz(func(t *testing.T, key []byte, t1, t2 int64, s1, s2 int32) {
		t1, t2 = t1&math.MaxInt64, t2&math.MaxInt64 // non-negative
		got := bytes.Compare(ToStoreKey(key, t1, s1), ToStoreKey(key, t2, s2))
		want := cmp.Or(cmp.Compare(t1, t2), cmp.Compare(uint32(s1), uint32(s2)))
		if got != want {
			t.Fatalf("key %x: (%d, %d) vs (%d, %d): bytes compare %d, want %d", key, t1, s1, t2, s2, got, want)
		}
	})
}

// FuzzRangeBounds: the byte bounds a range scan reads cover every store key that the range
// selects, whatever the key lengths: for a key in [fromKey, toKey] and a start in
// [timeFrom, timeTo], rangeLower(fromKey) <= store key <= rangeUpper(toKey, timeTo), and for
// a single key fixedKeyBounds(key, timeFrom, timeTo) covers it.
func FuzzRangeBounds(f *testing.F) {
	f.Add([]byte("a"), []byte("b"), []byte("a\x00"), int64(0), int64(5), int64(10), int32(0))
	f.Add([]byte(""), []byte("a"), []byte(""), int64(1<<56), int64(0), int64(math.MaxInt64), int32(-1))
	f.Add([]byte{0xA}, []byte{0xA, 0xB, 0xC}, []byte{0xA, 0xB}, int64(math.MaxInt64), int64(0), int64(math.MaxInt64), int32(math.MaxInt32))
	f.Add([]byte{0x0C}, []byte{0xC, 0xC, 0x9}, []byte{0xC, 0xC}, int64(0x0AFFFFFFFFFFFFFF), int64(0), int64(0x0AFFFFFFFFFFFFFF), int32(7))
	f.Fuzz(func(t *testing.T, fromKey, toKey, key []byte, ts, timeFrom, timeTo int64, seq int32) {
		ts, timeFrom, timeTo = ts&math.MaxInt64, timeFrom&math.MaxInt64, timeTo&math.MaxInt64
		if ts < timeFrom || ts > timeTo {
			return
		}
		sk := ToStoreKey(key, ts, seq)
		lo, hi := fixedKeyBounds(key, timeFrom, timeTo)
		if bytes.Compare(sk, lo) < 0 || bytes.Compare(sk, hi) > 0 {
			t.Fatalf("single key %x at %d: %x outside [%x, %x]", key, ts, sk, lo, hi)
		}
		if bytes.Compare(key, fromKey) < 0 || bytes.Compare(key, toKey) > 0 {
			return
		}
		lo, hi = rangeLower(fromKey), rangeUpper(toKey, timeTo)
		if bytes.Compare(sk, lo) < 0 || bytes.Compare(sk, hi) > 0 {
			t.Fatalf("key %x in [%x, %x] at %d in [%d, %d]: %x outside [%x, %x]", key, fromKey, toKey, ts, timeFrom, timeTo, sk, lo, hi)
		}
	})
}

func TestFixedKeyBounds(t *testing.T) {
	lo, hi := fixedKeyBounds([]byte("k"), 5, 9)
	if !bytes.Equal(lo, ToStoreKey([]byte("k"), 5, 0)) || !bytes.Equal(hi, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64([]byte("k"), 9), math.MaxUint32)) {
		t.Errorf("fixedKeyBounds = %x, %x", lo, hi)
	}
}
