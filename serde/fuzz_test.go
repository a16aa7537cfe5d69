package serde

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// roundTrip serializes v, deserializes the result and returns the bytes and
// the decoded value, failing the test on any error.
func roundTrip[T any](t *testing.T, s Serde[T], v T) ([]byte, T) {
	t.Helper()
	b, err := s.Serialize("fuzz", v)
	if err != nil {
		t.Fatalf("Serialize(%#v): %v", v, err)
	}
	back, err := s.Deserialize("fuzz", b)
	if err != nil {
		t.Fatalf("Deserialize(% x): %v", b, err)
	}
	return b, back
}

func FuzzRoundTripString(f *testing.F) {
	for _, s := range []string{"", "a", "héllo", "\x00\xff\xfe", "日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		b, back := roundTrip(t, String, v)
		if back != v || string(b) != v {
			t.Errorf("%q -> % x -> %q", v, b, back)
		}
	})
}

func FuzzRoundTripInt32(f *testing.F) {
	for _, v := range []int32{0, 1, -1, -2, math.MaxInt32, math.MinInt32} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int32) {
		b, back := roundTrip(t, Int32, v)
		if back != v || len(b) != 4 {
			t.Errorf("%d -> % x -> %d", v, b, back)
		}
	})
}

func FuzzRoundTripInt64(f *testing.F) {
	for _, v := range []int64{0, 1, -1, 1 << 40, math.MaxInt64, math.MinInt64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		b, back := roundTrip(t, Int64, v)
		if back != v || len(b) != 8 {
			t.Errorf("%d -> % x -> %d", v, b, back)
		}
	})
}

func FuzzRoundTripUint64(f *testing.F) {
	for _, v := range []uint64{0, 1, 1 << 63, math.MaxUint64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		b, back := roundTrip(t, Uint64, v)
		if back != v || len(b) != 8 {
			t.Errorf("%d -> % x -> %d", v, b, back)
		}
		// Same bytes as Int64 (LongSerializer) for the same bits.
		i, _ := Int64.Serialize("fuzz", int64(v))
		if !bytes.Equal(i, b) {
			t.Errorf("Uint64 % x != Int64 % x", b, i)
		}
	})
}

func FuzzRoundTripFloat64(f *testing.F) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -2.5, math.Inf(1), math.Inf(-1), math.NaN(),
		math.Float64frombits(0xfff0000000000001), math.SmallestNonzeroFloat64, math.MaxFloat64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		b, back := roundTrip(t, Float64, v)
		if len(b) != 8 {
			t.Fatalf("%v -> % x", v, b)
		}
		if math.IsNaN(v) {
			if !math.IsNaN(back) || math.Float64bits(back) != canonicalNaN {
				t.Errorf("NaN %#x -> % x -> %#x, want canonical NaN", math.Float64bits(v), b, math.Float64bits(back))
			}
			return
		}
		if math.Float64bits(back) != math.Float64bits(v) {
			t.Errorf("%#x -> % x -> %#x", math.Float64bits(v), b, math.Float64bits(back))
		}
	})
}

func FuzzRoundTripBool(f *testing.F) {
	f.Add(true)
	f.Add(false)
	f.Fuzz(func(t *testing.T, v bool) {
		b, back := roundTrip(t, Bool, v)
		if back != v || len(b) != 1 || b[0] > 1 {
			t.Errorf("%v -> % x -> %v", v, b, back)
		}
	})
}

func FuzzRoundTripTimeWindowed(f *testing.F) {
	f.Add("k", int64(1000), int64(10000))
	f.Add("", int64(0), int64(1))
	f.Add("\xff", int64(-1), int64(math.MaxInt64))
	f.Add("key", int64(math.MaxInt64), int64(60000))
	f.Add("key", int64(math.MinInt64), int64(1))
	f.Fuzz(func(t *testing.T, key string, start, sizeMs int64) {
		if sizeMs <= 0 || sizeMs > math.MaxInt64/int64(time.Millisecond) {
			sizeMs = 1 + (sizeMs&math.MaxInt64)%(math.MaxInt64/int64(time.Millisecond))
		}
		s := TimeWindowed(String, time.Duration(sizeMs)*time.Millisecond)
		// timeWindowForSize: start + size, or Long.MAX_VALUE when that comes out negative.
		wantEnd := int64(math.MaxInt64)
		if start <= math.MaxInt64-sizeMs && start+sizeMs >= 0 {
			wantEnd = start + sizeMs
		}
		v := Windowed[string]{Key: key, Start: start, End: wantEnd}
		b, back := roundTrip(t, s, v)
		if back != v {
			t.Errorf("%+v -> % x -> %+v", v, b, back)
		}
		if len(b) != len(key)+8 || string(b[:len(key)]) != key {
			t.Errorf("layout: %+v -> % x", v, b)
		}
		// Int64 inner key too.
		s64 := TimeWindowed(Int64, time.Duration(sizeMs)*time.Millisecond)
		v64 := Windowed[int64]{Key: int64(len(key)) - start, Start: start, End: wantEnd}
		if _, back := roundTrip(t, s64, v64); back != v64 {
			t.Errorf("%+v -> %+v", v64, back)
		}
	})
}

func FuzzRoundTripSessionWindowed(f *testing.F) {
	f.Add("k", int64(1), int64(2))
	f.Add("", int64(0), int64(0))
	f.Add("\x00\x01", int64(math.MinInt64), int64(math.MaxInt64))
	f.Add("key", int64(5), int64(-5))
	f.Fuzz(func(t *testing.T, key string, start, end int64) {
		v := Windowed[string]{Key: key, Start: start, End: end}
		b, back := roundTrip(t, SessionWindowed(String), v)
		if back != v {
			t.Errorf("%+v -> % x -> %+v", v, b, back)
		}
		if len(b) != len(key)+16 || string(b[:len(key)]) != key {
			t.Errorf("layout: %+v -> % x", v, b)
		}
		vb := Windowed[[]byte]{Key: []byte(key), Start: start, End: end}
		if _, back := roundTrip(t, SessionWindowed(Bytes), vb); !bytes.Equal(back.Key, vb.Key) || back.Start != start || back.End != end {
			t.Errorf("%+v -> %+v", vb, back)
		}
	})
}

type fuzzRecord struct {
	Name  string   `json:"name"`
	Count int64    `json:"count"`
	OK    bool     `json:"ok,omitempty"`
	Score float64  `json:"score"`
	Tags  []string `json:"tags,omitempty"`
}

func FuzzRoundTripJSON(f *testing.F) {
	f.Add("ann", int64(3), true, 1.5)
	f.Add("", int64(0), false, 0.0)
	f.Add("<&>\"\\\u2028", int64(math.MinInt64), true, -1e300)
	f.Add("\xff", int64(math.MaxInt64), false, math.Inf(1))
	f.Fuzz(func(t *testing.T, name string, count int64, ok bool, score float64) {
		s := JSON[fuzzRecord]()
		v := fuzzRecord{Name: name, Count: count, OK: ok, Score: score, Tags: []string{name, ""}}
		b, err := s.Serialize("fuzz", v)
		if math.IsNaN(score) || math.IsInf(score, 0) {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Serde != "JSON[serde.fuzzRecord]" {
				t.Fatalf("Serialize(%v): err = %v, want ErrInvalid", score, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Serialize(%+v): %v", v, err)
		}
		back, err := s.Deserialize("fuzz", b)
		if err != nil {
			t.Fatalf("Deserialize(%q): %v", b, err)
		}
		if !utf8.ValidString(name) {
			// encoding/json replaces each invalid byte with U+FFFD, as a
			// []rune conversion does.
			fixed := string([]rune(name))
			v.Name, v.Tags[0] = fixed, fixed
		}
		if !reflect.DeepEqual(back, v) {
			t.Errorf("%+v -> %s -> %+v", v, b, back)
		}
	})
}

// garbage feeds data to s and checks that it neither panics nor returns an
// unlabelled error; a successful decode must serialize again.
func garbage[T any](t *testing.T, s Serde[T], topic string, data []byte) (T, []byte, bool) {
	t.Helper()
	v, err := s.Deserialize(topic, data)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not a *Error", err, err)
		}
		if e.Serde == "" || e.Topic != topic || e.Op != "deserialize" {
			t.Fatalf("error fields not set: %#v", e)
		}
		var ws *windowSizeError
		if !errors.Is(err, ErrSize) && !errors.Is(err, ErrInvalid) && !errors.As(err, &ws) {
			t.Fatalf("error %v matches neither ErrSize nor ErrInvalid", err)
		}
		return v, nil, false
	}
	b, err := s.Serialize(topic, v)
	if err != nil {
		t.Fatalf("re-serialize %#v (from % x): %v", v, data, err)
	}
	return v, b, true
}

func FuzzDeserializeGarbage(f *testing.F) {
	for _, d := range [][]byte{nil, {}, {0}, {1}, {2}, {1, 2, 3, 4}, make([]byte, 8), make([]byte, 16),
		[]byte(`{"name":"x","count":1}`), []byte(`[1,2`), []byte("null"), bytes.Repeat([]byte{0xff}, 24)} {
		f.Add("topic", d)
	}
	f.Add("", []byte("k\x00\x00\x00\x00\x00\x00\x03\xe8"))

	tw := TimeWindowed(String, 10*time.Second)
	tw32 := TimeWindowed(Int32, time.Minute)
	twJSON := TimeWindowed(JSON[fuzzRecord](), time.Hour)
	twBad := TimeWindowed(String, 0)
	sw := SessionWindowed(String)
	sw64 := SessionWindowed(Int64)
	swBool := SessionWindowed(Bool)
	swJSON := SessionWindowed(JSON[map[string]any]())
	nested := SessionWindowed(TimeWindowed(Bytes, time.Second))

	f.Fuzz(func(t *testing.T, topic string, data []byte) {
		topic = "t-" + topic // Topic must be observably set
		orig := bytes.Clone(data)

		// Fixed-width and pass-through serdes re-serialize to the same bytes.
		same := func(name string, b []byte, ok bool) {
			t.Helper()
			if ok && !bytes.Equal(b, data) {
				t.Errorf("%s: % x re-serialized to % x", name, data, b)
			}
		}
		_, b, ok := garbage(t, String, topic, data)
		same("String", b, ok)
		_, b, ok = garbage(t, Bytes, topic, data)
		same("Bytes", b, ok)
		_, b, ok = garbage(t, Int32, topic, data)
		same("Int32", b, ok)
		_, b, ok = garbage(t, Int64, topic, data)
		same("Int64", b, ok)
		_, b, ok = garbage(t, Uint64, topic, data)
		same("Uint64", b, ok)
		if v, b, ok := garbage(t, Float64, topic, data); !math.IsNaN(v) {
			same("Float64", b, ok)
		}
		_, b, ok = garbage(t, Bool, topic, data)
		same("Bool", b, ok)
		_, b, ok = garbage(t, tw, topic, data)
		same("TimeWindowed(String)", b, ok)
		_, b, ok = garbage(t, tw32, topic, data)
		same("TimeWindowed(Int32)", b, ok)
		_, b, ok = garbage(t, sw, topic, data)
		same("SessionWindowed(String)", b, ok)
		_, b, ok = garbage(t, sw64, topic, data)
		same("SessionWindowed(Int64)", b, ok)
		_, b, ok = garbage(t, swBool, topic, data)
		same("SessionWindowed(Bool)", b, ok)
		_, b, ok = garbage(t, nested, topic, data)
		same("nested", b, ok)

		garbage(t, JSON[fuzzRecord](), topic, data)
		garbage(t, JSON[any](), topic, data)
		garbage(t, JSON[*fuzzRecord](), topic, data)
		garbage(t, JSON[[]int32](), topic, data)
		garbage(t, twJSON, topic, data)
		garbage(t, swJSON, topic, data)
		if _, _, ok := garbage(t, twBad, topic, data); ok {
			t.Error("TimeWindowed with size 0 decoded data")
		}

		if !bytes.Equal(data, orig) {
			t.Error("a deserializer modified its input")
		}
	})
}

func FuzzWindowedOrder(f *testing.F) {
	f.Add("k", int64(1), int64(2))
	f.Add("", int64(0), int64(math.MaxInt64))
	f.Add("\xff\xff", int64(255), int64(256))
	f.Add("key", int64(1<<32), int64(1<<32-1))
	f.Add("key", int64(7), int64(7))
	f.Fuzz(func(t *testing.T, key string, a, b int64) {
		// Kafka timestamps are non-negative.
		a &= math.MaxInt64
		b &= math.MaxInt64
		want := 0
		if a < b {
			want = -1
		} else if a > b {
			want = 1
		}

		tw := TimeWindowed(String, time.Minute)
		ka, _ := tw.Serialize("t", Windowed[string]{Key: key, Start: a})
		kb, _ := tw.Serialize("t", Windowed[string]{Key: key, Start: b})
		if got := bytes.Compare(ka, kb); got != want {
			t.Errorf("TimeWindowed(String): starts %d, %d: Compare = %d, want %d", a, b, got, want)
		}

		i64 := int64(len(key)) * 31
		tw64 := TimeWindowed(Int64, time.Second)
		ka, _ = tw64.Serialize("t", Windowed[int64]{Key: i64, Start: a})
		kb, _ = tw64.Serialize("t", Windowed[int64]{Key: i64, Start: b})
		if got := bytes.Compare(ka, kb); got != want {
			t.Errorf("TimeWindowed(Int64): starts %d, %d: Compare = %d, want %d", a, b, got, want)
		}

		// Session keys with the same key and end order by start.
		sw := SessionWindowed(String)
		ka, _ = sw.Serialize("t", Windowed[string]{Key: key, Start: a, End: math.MaxInt64})
		kb, _ = sw.Serialize("t", Windowed[string]{Key: key, Start: b, End: math.MaxInt64})
		if got := bytes.Compare(ka, kb); got != want {
			t.Errorf("SessionWindowed(String): starts %d, %d: Compare = %d, want %d", a, b, got, want)
		}
	})
}
