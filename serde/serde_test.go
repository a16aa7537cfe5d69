package serde

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// golden checks that s serializes v to exactly want (given in hex) and that
// want deserializes back to a value for which eq reports true.
func golden[T any](t *testing.T, s Serde[T], v T, want string, eq func(a, b T) bool) {
	t.Helper()
	w := unhex(t, want)
	got, err := s.Serialize("golden", v)
	if err != nil {
		t.Fatalf("Serialize(%v): %v", v, err)
	}
	if !bytes.Equal(got, w) {
		t.Errorf("Serialize(%v) = % x, want % x", v, got, w)
	}
	back, err := s.Deserialize("golden", w)
	if err != nil {
		t.Fatalf("Deserialize(% x): %v", w, err)
	}
	if !eq(back, v) {
		t.Errorf("Deserialize(% x) = %v, want %v", w, back, v)
	}
}

func eq[T comparable](a, b T) bool { return a == b }

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

// Kafka's IntegerSerializer writes (byte)(v >>> 24), (byte)(v >>> 16), ...:
// 4 bytes big-endian two's complement.
func TestGoldenInt32(t *testing.T) {
	golden(t, Int32, 0, "00 00 00 00", eq[int32])
	golden(t, Int32, 1, "00 00 00 01", eq[int32])
	golden(t, Int32, -2, "ff ff ff fe", eq[int32])
	golden(t, Int32, 0x01020304, "01 02 03 04", eq[int32])
	golden(t, Int32, math.MaxInt32, "7f ff ff ff", eq[int32])
	golden(t, Int32, math.MinInt32, "80 00 00 00", eq[int32])
}

// Kafka's LongSerializer: 8 bytes big-endian two's complement.
func TestGoldenInt64(t *testing.T) {
	golden(t, Int64, 1, "00 00 00 00 00 00 00 01", eq[int64])
	golden(t, Int64, 1<<40, "00 00 01 00 00 00 00 00", eq[int64])
	golden(t, Int64, -1, "ff ff ff ff ff ff ff ff", eq[int64])
	golden(t, Int64, math.MinInt64, "80 00 00 00 00 00 00 00", eq[int64])
	golden(t, Int64, 1700000000000, "00 00 01 8b cf e5 68 00", eq[int64])
}

// Uint64 has the bit layout of LongSerializer for the same bits.
func TestGoldenUint64(t *testing.T) {
	golden(t, Uint64, 1, "00 00 00 00 00 00 00 01", eq[uint64])
	golden(t, Uint64, math.MaxUint64, "ff ff ff ff ff ff ff ff", eq[uint64])
	golden(t, Uint64, 1<<63, "80 00 00 00 00 00 00 00", eq[uint64])

	// Same bytes as Int64 (LongSerializer) for the same bit pattern.
	for _, v := range []int64{0, 1, -1, math.MinInt64, math.MaxInt64, -1234567} {
		a, _ := Int64.Serialize("t", v)
		b, _ := Uint64.Serialize("t", uint64(v))
		if !bytes.Equal(a, b) {
			t.Errorf("Int64(%d) = % x, Uint64 = % x", v, a, b)
		}
	}
}

// Kafka's DoubleSerializer writes Double.doubleToLongBits(v) big-endian;
// doubleToLongBits maps every NaN to 0x7ff8000000000000.
func TestGoldenFloat64(t *testing.T) {
	golden(t, Float64, 1.0, "3f f0 00 00 00 00 00 00", sameFloat)
	golden(t, Float64, -2.5, "c0 04 00 00 00 00 00 00", sameFloat)
	golden(t, Float64, 0, "00 00 00 00 00 00 00 00", sameFloat)
	golden(t, Float64, math.Copysign(0, -1), "80 00 00 00 00 00 00 00", sameFloat)
	golden(t, Float64, math.Inf(1), "7f f0 00 00 00 00 00 00", sameFloat)
	golden(t, Float64, math.Inf(-1), "ff f0 00 00 00 00 00 00", sameFloat)
	golden(t, Float64, math.NaN(), "7f f8 00 00 00 00 00 00", sameFloat)
	golden(t, Float64, math.SmallestNonzeroFloat64, "00 00 00 00 00 00 00 01", sameFloat)

	// Every NaN, whatever its sign and payload, is canonicalised.
	for _, bits := range []uint64{0x7ff0000000000001, 0xfff8000000000000, 0x7fffffffffffffff, 0xffffffffffffffff, 0x7ff4000000000000} {
		got, err := Float64.Serialize("t", math.Float64frombits(bits))
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, "7ff8000000000000"); !bytes.Equal(got, want) {
			t.Errorf("NaN %#x serialized to % x, want % x", bits, got, want)
		}
	}
	// Deserialize keeps the bits it is given.
	v, err := Float64.Deserialize("t", unhex(t, "7ff0000000000001"))
	if err != nil || math.Float64bits(v) != 0x7ff0000000000001 {
		t.Errorf("Deserialize(NaN payload) = %#x, %v", math.Float64bits(v), err)
	}
}

// Kafka's BooleanSerializer: 0x01 for true, 0x00 for false.
func TestGoldenBool(t *testing.T) {
	golden(t, Bool, true, "01", eq[bool])
	golden(t, Bool, false, "00", eq[bool])
}

// Kafka's StringSerializer with the default UTF-8 encoding.
func TestGoldenString(t *testing.T) {
	golden(t, String, "héllo", "68 c3 a9 6c 6c 6f", eq[string])
	golden(t, String, "", "", eq[string])
	golden(t, String, "日本", "e6 97 a5 e6 9c ac", eq[string])

	// No UTF-8 validation: arbitrary bytes round-trip.
	raw := []byte{0xff, 0xfe, 0x00, 0xc3}
	s, err := String.Deserialize("t", raw)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := String.Serialize("t", s)
	if !bytes.Equal(back, raw) {
		t.Errorf("invalid UTF-8 round trip: % x, want % x", back, raw)
	}
	if s, err := String.Deserialize("t", nil); s != "" || err != nil {
		t.Errorf("Deserialize(nil) = %q, %v", s, err)
	}
}

// Kafka's ByteArraySerializer passes bytes through.
func TestBytes(t *testing.T) {
	in := []byte{1, 2, 3}
	out, err := Bytes.Serialize("t", in)
	if err != nil || &out[0] != &in[0] || len(out) != 3 {
		t.Errorf("Serialize should return its input as is: % x, %v", out, err)
	}
	if out, _ := Bytes.Serialize("t", nil); out != nil {
		t.Errorf("Serialize(nil) = %#v", out)
	}

	d, err := Bytes.Deserialize("t", in)
	if err != nil || !bytes.Equal(d, in) {
		t.Fatalf("Deserialize = % x, %v", d, err)
	}
	d[0] = 99
	if in[0] != 1 {
		t.Error("Deserialize must return a copy")
	}
	if d, _ := Bytes.Deserialize("t", nil); d != nil {
		t.Errorf("Deserialize(nil) = %#v, want nil", d)
	}
	if d, _ := Bytes.Deserialize("t", []byte{}); d == nil || len(d) != 0 {
		t.Errorf("Deserialize(empty) = %#v, want non-nil empty", d)
	}
}

// TimeWindowedSerializer / WindowKeySchema (no seqnum): key bytes + start.
func TestGoldenTimeWindowed(t *testing.T) {
	s := TimeWindowed(String, 10*time.Second)
	golden(t, s, Windowed[string]{Key: "k", Start: 1000, End: 11000}, "6b 00 00 00 00 00 00 03 e8", eq[Windowed[string]])

	// End is not stored: it is recomputed from the size.
	got, err := s.Serialize("t", Windowed[string]{Key: "k", Start: 1000, End: 5})
	if err != nil || !bytes.Equal(got, unhex(t, "6b 00000000000003e8")) {
		t.Errorf("Serialize ignores End: % x, %v", got, err)
	}
	w, err := s.Deserialize("t", got)
	if err != nil || w.End != 11000 || w.Start != 1000 || w.Key != "k" {
		t.Errorf("Deserialize = %+v, %v", w, err)
	}

	// Empty inner key.
	golden(t, s, Windowed[string]{Key: "", Start: 0, End: 10000}, "00 00 00 00 00 00 00 00", eq[Windowed[string]])

	// Int32 inner key.
	golden(t, TimeWindowed(Int32, time.Minute), Windowed[int32]{Key: 7, Start: 60000, End: 120000},
		"00 00 00 07 00 00 00 00 00 00 ea 60", eq[Windowed[int32]])

	// Sub-millisecond remainders are truncated.
	w, err = TimeWindowed(String, 1500*time.Microsecond).Deserialize("t", unhex(t, "0000000000000001"))
	if err != nil || w.End != 2 {
		t.Errorf("1.5ms window: %+v, %v", w, err)
	}
}

// WindowKeySchema.timeWindowForSize caps the end at Long.MAX_VALUE.
func TestTimeWindowedEndSaturates(t *testing.T) {
	s := TimeWindowed(Int64, time.Hour)
	for _, start := range []int64{math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 - 3600000 + 1} {
		b, _ := s.Serialize("t", Windowed[int64]{Key: 1, Start: start})
		w, err := s.Deserialize("t", b)
		if err != nil || w.Start != start || w.End != math.MaxInt64 {
			t.Errorf("start %d: %+v, %v; want End = MaxInt64", start, w, err)
		}
	}
	// Exactly fits.
	start := int64(math.MaxInt64 - 3600000)
	b, _ := s.Serialize("t", Windowed[int64]{Key: 1, Start: start})
	if w, _ := s.Deserialize("t", b); w.End != math.MaxInt64 {
		t.Errorf("End = %d", w.End)
	}
	start--
	b, _ = s.Serialize("t", Windowed[int64]{Key: 1, Start: start})
	if w, _ := s.Deserialize("t", b); w.End != math.MaxInt64-1 {
		t.Errorf("End = %d, want MaxInt64-1", w.End)
	}
	// An end that comes out negative is truncated to Long.MAX_VALUE too, as
	// timeWindowForSize does (Kafka's windows never start below 0).
	for _, start := range []int64{math.MinInt64, -3600001} {
		b, _ = s.Serialize("t", Windowed[int64]{Key: 1, Start: start})
		if w, _ := s.Deserialize("t", b); w.End != math.MaxInt64 {
			t.Errorf("start %d: End = %d, want MaxInt64", start, w.End)
		}
	}
	// A negative start whose end is not negative keeps start + size.
	b, _ = s.Serialize("t", Windowed[int64]{Key: 1, Start: -1000})
	if w, _ := s.Deserialize("t", b); w.End != 3599000 {
		t.Errorf("start -1000: End = %d, want 3599000", w.End)
	}
}

// SessionWindowedSerializer / SessionKeySchema.toBinary: key, end, start.
func TestGoldenSessionWindowed(t *testing.T) {
	s := SessionWindowed(String)
	golden(t, s, Windowed[string]{Key: "k", Start: 1, End: 2},
		"6b 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 01", eq[Windowed[string]])
	golden(t, s, Windowed[string]{Key: "", Start: 5, End: 5},
		"00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 05", eq[Windowed[string]])
	golden(t, SessionWindowed(Int64), Windowed[int64]{Key: -1, Start: 1000, End: 2000},
		"ff ff ff ff ff ff ff ff 00 00 00 00 00 00 07 d0 00 00 00 00 00 00 03 e8", eq[Windowed[int64]])
}

func TestWindowedBytesInnerNotAliased(t *testing.T) {
	key := make([]byte, 2, 64)
	key[0], key[1] = 'a', 'b'
	full := key[:cap(key)]
	out, err := TimeWindowed(Bytes, time.Second).Serialize("t", Windowed[[]byte]{Key: key, Start: 1})
	if err != nil || !bytes.Equal(out, unhex(t, "6162 0000000000000001")) {
		t.Fatalf("% x, %v", out, err)
	}
	if full[2] != 0 {
		t.Error("windowed serializer wrote into the key's spare capacity")
	}

	// A user serde that returns memory it does not own.
	shared := make([]byte, 1, 64)
	user := New("user", func(string, int) ([]byte, error) { return shared, nil },
		func(string, []byte) (int, error) { return 0, nil })
	if _, err := SessionWindowed(user).Serialize("t", Windowed[int]{}); err != nil {
		t.Fatal(err)
	}
	if shared[:2][1] != 0 {
		t.Error("windowed serializer appended into the inner serde's result")
	}

	// The inner deserializer cannot see or clobber the timestamp.
	var seen []byte
	grab := New("grab", func(string, int) ([]byte, error) { return nil, nil },
		func(_ string, b []byte) (int, error) { seen = b; _ = append(b, 0xff); return 0, nil })
	in := unhex(t, "01 0000000000000007")
	w, err := TimeWindowed(grab, time.Second).Deserialize("t", in)
	if err != nil || w.Start != 7 || len(seen) != 1 || cap(seen) != 1 {
		t.Errorf("got %+v, %v, inner saw % x (cap %d)", w, err, seen, cap(seen))
	}
}

func TestNestedWindowed(t *testing.T) {
	s := SessionWindowed(TimeWindowed(String, time.Second))
	v := Windowed[Windowed[string]]{Key: Windowed[string]{Key: "x", Start: 3, End: 1003}, Start: 1, End: 2}
	golden(t, s, v, "78 0000000000000003 0000000000000002 0000000000000001", eq[Windowed[Windowed[string]]])
}

// checkErr checks that err is an *Error with the given fields wrapping target.
func checkErr(t *testing.T, err error, serde, topic, op string, target error) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s %s: no error", serde, op)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not a *serde.Error", err, err)
	}
	if e.Serde != serde || e.Topic != topic || e.Op != op {
		t.Errorf("Error{Serde:%q Topic:%q Op:%q}, want {%q %q %q}", e.Serde, e.Topic, e.Op, serde, topic, op)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("%v: errors.Is(%v) is false", err, target)
	}
	msg := err.Error()
	for _, want := range []string{"serde " + serde, op, fmt.Sprintf("%q", topic)} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}
	return e
}

func TestSizeErrors(t *testing.T) {
	const topic = "orders"
	inputs := [][]byte{nil, {}, {1}, {1, 2, 3}, {1, 2, 3, 4, 5}, make([]byte, 7), make([]byte, 9), make([]byte, 1<<16)}
	for _, in := range inputs {
		if len(in) != 4 {
			_, err := Int32.Deserialize(topic, in)
			checkErr(t, err, "Int32", topic, "deserialize", ErrSize)
		}
		if len(in) != 8 {
			_, err := Int64.Deserialize(topic, in)
			checkErr(t, err, "Int64", topic, "deserialize", ErrSize)
			_, err = Uint64.Deserialize(topic, in)
			checkErr(t, err, "Uint64", topic, "deserialize", ErrSize)
			_, err = Float64.Deserialize(topic, in)
			checkErr(t, err, "Float64", topic, "deserialize", ErrSize)
		}
		if len(in) != 1 {
			_, err := Bool.Deserialize(topic, in)
			checkErr(t, err, "Bool", topic, "deserialize", ErrSize)
		}
		if len(in) < 8 {
			_, err := TimeWindowed(String, time.Second).Deserialize(topic, in)
			checkErr(t, err, "TimeWindowed(String)", topic, "deserialize", ErrSize)
		}
		if len(in) < 16 {
			_, err := SessionWindowed(String).Deserialize(topic, in)
			checkErr(t, err, "SessionWindowed(String)", topic, "deserialize", ErrSize)
		}
	}

	_, err := Int32.Deserialize(topic, []byte{1, 2, 3})
	if want := `serde Int32: deserialize (topic "orders"): data has 3 bytes, want 4`; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
	_, err = TimeWindowed(String, time.Second).Deserialize(topic, []byte{1, 2, 3})
	if want := `serde TimeWindowed(String): deserialize (topic "orders"): data has 3 bytes, want at least 8`; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
	if errors.Is(err, ErrInvalid) {
		t.Error("size error must not match ErrInvalid")
	}
}

func TestInvalidErrors(t *testing.T) {
	for _, c := range []byte{2, 0x10, 0xff} {
		_, err := Bool.Deserialize("flags", []byte{c})
		checkErr(t, err, "Bool", "flags", "deserialize", ErrInvalid)
		if errors.Is(err, ErrSize) {
			t.Error("invalid error must not match ErrSize")
		}
	}
	_, err := Bool.Deserialize("flags", []byte{2})
	if want := `serde Bool: deserialize (topic "flags"): byte is 0x02, want 0x00 or 0x01`; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
}

type user struct {
	Name string   `json:"name"`
	Age  int      `json:"age"`
	Tags []string `json:"tags,omitempty"`
}

func TestJSON(t *testing.T) {
	s := JSON[user]()
	golden(t, s, user{Name: "ann", Age: 3}, hex.EncodeToString([]byte(`{"name":"ann","age":3}`)),
		func(a, b user) bool { return fmt.Sprint(a) == fmt.Sprint(b) })

	for _, in := range []string{"", "{", "nope", `{"name":1}`, `{"age":"x"}`, `{} {}`, "\xff"} {
		v, err := s.Deserialize("users", []byte(in))
		e := checkErr(t, err, "JSON[serde.user]", "users", "deserialize", ErrInvalid)
		if e.Err == nil || fmt.Sprint(v) != fmt.Sprint(user{}) {
			t.Errorf("%q: value %+v, cause %v", in, v, e.Err)
		}
	}
	_, err := s.Deserialize("users", nil)
	checkErr(t, err, "JSON[serde.user]", "users", "deserialize", ErrInvalid)

	_, err = JSON[float64]().Serialize("nums", math.NaN())
	checkErr(t, err, "JSON[float64]", "nums", "serialize", ErrInvalid)
	_, err = JSON[any]().Serialize("x", make(chan int))
	checkErr(t, err, "JSON[interface {}]", "x", "serialize", ErrInvalid)

	var m map[string]int
	m, err = JSON[map[string]int]().Deserialize("m", []byte(`{"a":1}`))
	if err != nil || m["a"] != 1 {
		t.Errorf("map: %v, %v", m, err)
	}
	p, err := JSON[*user]().Deserialize("p", []byte(`null`))
	if err != nil || p != nil {
		t.Errorf("null pointer: %v, %v", p, err)
	}
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("boom") }
func (*panicky) UnmarshalJSON([]byte) error  { panic(errors.New("kaboom")) }

func TestJSONRecoversPanics(t *testing.T) {
	s := JSON[panicky]()
	_, err := s.Serialize("t", panicky{})
	e := checkErr(t, err, "JSON[serde.panicky]", "t", "serialize", ErrInvalid)
	if !strings.Contains(e.Error(), "boom") {
		t.Errorf("message %q does not mention the panic", e)
	}
	_, err = s.Deserialize("t", []byte(`{}`))
	checkErr(t, err, "JSON[serde.panicky]", "t", "deserialize", ErrInvalid)
	if !strings.Contains(err.Error(), "kaboom") {
		t.Errorf("message %q does not mention the panic", err)
	}
	var pe interface{ Error() string }
	if !errors.As(err, &pe) {
		t.Error("panic error not found")
	}
}

func TestWindowedInnerErrors(t *testing.T) {
	s := TimeWindowed(Int32, time.Second)
	_, err := s.Deserialize("t", unhex(t, "010203 0000000000000001"))
	e := checkErr(t, err, "TimeWindowed(Int32)", "t", "deserialize", ErrSize)
	want := `serde TimeWindowed(Int32): deserialize (topic "t"): key: serde Int32: deserialize (topic "t"): data has 3 bytes, want 4`
	if err.Error() != want {
		t.Errorf("message = %q\nwant      %q", err, want)
	}
	var inner *Error
	if !errors.As(e.Err, &inner) || inner.Serde != "Int32" {
		t.Errorf("errors.As did not find the inner error: %v", inner)
	}

	ss := SessionWindowed(Bool)
	_, err = ss.Deserialize("t", unhex(t, "07 0000000000000002 0000000000000001"))
	e = checkErr(t, err, "SessionWindowed(Bool)", "t", "deserialize", ErrInvalid)
	if !errors.As(e.Err, &inner) || inner.Serde != "Bool" {
		t.Errorf("errors.As did not find the inner error: %v", inner)
	}

	js := TimeWindowed(JSON[float64](), time.Second)
	_, err = js.Serialize("t", Windowed[float64]{Key: math.Inf(1)})
	checkErr(t, err, "TimeWindowed(JSON[float64])", "t", "serialize", ErrInvalid)
	if !strings.Contains(err.Error(), "key: serde JSON[float64]: serialize") {
		t.Errorf("message = %q", err)
	}
}

func TestTimeWindowedBadSize(t *testing.T) {
	for _, size := range []time.Duration{0, -time.Second, time.Microsecond, time.Millisecond - 1} {
		s := TimeWindowed(String, size)
		_, err := s.Serialize("t", Windowed[string]{Key: "k"})
		checkErr(t, err, "TimeWindowed(String)", "t", "serialize", nil)
		if !strings.Contains(err.Error(), size.String()) {
			t.Errorf("message %q does not mention size %v", err, size)
		}
		_, err = s.Deserialize("t", make([]byte, 9))
		checkErr(t, err, "TimeWindowed(String)", "t", "deserialize", nil)
		if !strings.Contains(err.Error(), size.String()) {
			t.Errorf("message %q does not mention size %v", err, size)
		}
	}
}

func TestNilInner(t *testing.T) {
	tw := TimeWindowed[string](nil, time.Second)
	_, err := tw.Serialize("t", Windowed[string]{})
	checkErr(t, err, "TimeWindowed(<nil>)", "t", "serialize", nil)
	_, err = tw.Deserialize("t", make([]byte, 8))
	checkErr(t, err, "TimeWindowed(<nil>)", "t", "deserialize", nil)

	sw := SessionWindowed[string](nil)
	_, err = sw.Serialize("t", Windowed[string]{})
	checkErr(t, err, "SessionWindowed(<nil>)", "t", "serialize", nil)
	_, err = sw.Deserialize("t", make([]byte, 16))
	checkErr(t, err, "SessionWindowed(<nil>)", "t", "deserialize", nil)
}

type customSerde struct{}

func (customSerde) Serialize(string, int) ([]byte, error) { return nil, errors.New("nope") }
func (customSerde) Deserialize(string, []byte) (int, error) {
	return 0, errors.New("nope")
}

func TestCustomInnerName(t *testing.T) {
	_, err := SessionWindowed[int](customSerde{}).Serialize("t", Windowed[int]{})
	want := `serde SessionWindowed(serde.customSerde): serialize (topic "t"): key: nope`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestNew(t *testing.T) {
	errBad := errors.New("bad")
	s := New("Upper",
		func(_ string, v string) ([]byte, error) {
			if v == "" {
				return nil, errBad
			}
			if v == "panic" {
				panic("serializer panicked")
			}
			return []byte(strings.ToUpper(v)), nil
		},
		func(topic string, b []byte) (string, error) {
			if len(b) == 0 {
				return "partial", errBad
			}
			if b[0] == '!' {
				return "", &Error{Serde: "Custom", Topic: topic, Op: "deserialize", Err: ErrInvalid}
			}
			return strings.ToLower(string(b)), nil
		})
	golden(t, s, "abc", hex.EncodeToString([]byte("ABC")), eq[string])

	_, err := s.Serialize("up", "")
	checkErr(t, err, "Upper", "up", "serialize", errBad)
	_, err = s.Serialize("up", "panic")
	checkErr(t, err, "Upper", "up", "serialize", ErrInvalid)
	if !strings.Contains(err.Error(), "serializer panicked") {
		t.Errorf("message = %q", err)
	}
	v, err := s.Deserialize("up", nil)
	checkErr(t, err, "Upper", "up", "deserialize", errBad)
	if v != "" {
		t.Errorf("value on error = %q, want zero", v)
	}
	// An *Error from the function is returned unchanged.
	_, err = s.Deserialize("up", []byte("!"))
	checkErr(t, err, "Custom", "up", "deserialize", ErrInvalid)

	// Nil functions yield errors, not panics.
	n := New[int]("", nil, nil)
	_, err = n.Serialize("t", 1)
	checkErr(t, err, "unnamed", "t", "serialize", nil)
	_, err = n.Deserialize("t", nil)
	checkErr(t, err, "unnamed", "t", "deserialize", nil)

	// New serdes are named inside wrappers.
	_, err = TimeWindowed(s, time.Second).Serialize("t", Windowed[string]{})
	checkErr(t, err, "TimeWindowed(Upper)", "t", "serialize", errBad)
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{Serde: "X", Topic: `a"b`, Op: "serialize"}
	if got, want := e.Error(), `serde X: serialize (topic "a\"b")`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if e.Unwrap() != nil {
		t.Error("Unwrap of nil cause")
	}
}

func TestAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation changes allocations")
	}
	check := func(name string, want float64, f func()) {
		t.Helper()
		if got := testing.AllocsPerRun(100, f); got != want {
			t.Errorf("%s: %v allocations, want %v", name, got, want)
		}
	}
	b8 := make([]byte, 8)
	check("Int32.Serialize", 1, func() { _, _ = Int32.Serialize("t", 5) })
	check("Int64.Serialize", 1, func() { _, _ = Int64.Serialize("t", 5) })
	check("Uint64.Serialize", 1, func() { _, _ = Uint64.Serialize("t", 5) })
	check("Float64.Serialize", 1, func() { _, _ = Float64.Serialize("t", 5) })
	check("Bool.Serialize", 1, func() { _, _ = Bool.Serialize("t", true) })
	check("Int64.Deserialize", 0, func() { _, _ = Int64.Deserialize("t", b8) })
	check("Uint64.Deserialize", 0, func() { _, _ = Uint64.Deserialize("t", b8) })
	check("Float64.Deserialize", 0, func() { _, _ = Float64.Deserialize("t", b8) })
	check("Int32.Deserialize", 0, func() { _, _ = Int32.Deserialize("t", b8[:4]) })
	check("Bool.Deserialize", 0, func() { _, _ = Bool.Deserialize("t", b8[:1]) })

	tw := TimeWindowed(String, time.Second)
	w := Windowed[string]{Key: "some key", Start: 1000}
	check("TimeWindowed(String).Serialize", 1, func() { _, _ = tw.Serialize("t", w) })
	sw := SessionWindowed(Int64)
	check("SessionWindowed(Int64).Serialize", 1, func() { _, _ = sw.Serialize("t", Windowed[int64]{Key: 1}) })
	b24 := make([]byte, 24)
	check("SessionWindowed(Int64).Deserialize", 0, func() { _, _ = sw.Deserialize("t", b24) })
}

func BenchmarkInt64Serialize(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = Int64.Serialize("t", int64(i))
	}
}

func BenchmarkInt64Deserialize(b *testing.B) {
	b.ReportAllocs()
	in, _ := Int64.Serialize("t", 42)
	for b.Loop() {
		_, _ = Int64.Deserialize("t", in)
	}
}

func BenchmarkTimeWindowedStringSerialize(b *testing.B) {
	b.ReportAllocs()
	s := TimeWindowed(String, time.Minute)
	w := Windowed[string]{Key: "user-1234", Start: 1700000000000}
	for b.Loop() {
		_, _ = s.Serialize("t", w)
	}
}

func BenchmarkTimeWindowedStringDeserialize(b *testing.B) {
	b.ReportAllocs()
	s := TimeWindowed(String, time.Minute)
	in, _ := s.Serialize("t", Windowed[string]{Key: "user-1234", Start: 1700000000000})
	for b.Loop() {
		_, _ = s.Deserialize("t", in)
	}
}

func TestSerializesFresh(t *testing.T) {
	for name, fresh := range map[string]bool{
		"String":          SerializesFresh(String),
		"Int32":           SerializesFresh(Int32),
		"Int64":           SerializesFresh(Int64),
		"Uint64":          SerializesFresh(Uint64),
		"Float64":         SerializesFresh(Float64),
		"Bool":            SerializesFresh(Bool),
		"JSON":            SerializesFresh(JSON[map[string]int]()),
		"TimeWindowed":    SerializesFresh(TimeWindowed(String, time.Second)),
		"SessionWindowed": SerializesFresh(SessionWindowed(Int64)),
	} {
		if !fresh {
			t.Errorf("SerializesFresh(%s) = false, want true", name)
		}
	}
	if SerializesFresh(Bytes) {
		t.Error("SerializesFresh(Bytes) = true, but Bytes returns its input")
	}
	custom := New("custom", func(_ string, v []byte) ([]byte, error) { return v, nil }, func(_ string, b []byte) ([]byte, error) { return b, nil })
	if SerializesFresh(custom) {
		t.Error("SerializesFresh(New(...)) = true, but its function may return shared memory")
	}
}
