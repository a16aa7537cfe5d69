package serde

import (
	"bytes"
	"encoding/binary"
	"math"
	"unsafe"
)

// String encodes a string as its bytes, which for valid UTF-8 text matches
// Kafka's StringSerializer / StringDeserializer with the default UTF-8
// encoding. No validation is done: any bytes round-trip, and nil or empty
// data decodes as "". It is a [Viewer]: View returns the string's bytes
// without copying.
var String Serde[string] = stringSerde{}

// Bytes passes byte slices through, like Kafka's ByteArraySerializer.
// Serialize returns v itself, without copying. Deserialize returns a copy of
// its input with [bytes.Clone] semantics: nil gives nil and an empty slice
// gives a non-nil empty slice; DeserializeBorrowed ([Borrower]) returns the
// input itself, which sources use for consumed records.
var Bytes Serde[[]byte] = bytesSerde{}

// Int32 encodes an int32 as 4 bytes big-endian (two's complement), like
// Kafka's IntegerSerializer / IntegerDeserializer. Deserialize requires
// exactly 4 bytes.
var Int32 Serde[int32] = int32Serde{}

// Int64 encodes an int64 as 8 bytes big-endian (two's complement), like
// Kafka's LongSerializer / LongDeserializer. Deserialize requires exactly 8
// bytes.
var Int64 Serde[int64] = int64Serde{}

// Uint64 encodes a uint64 as 8 bytes big-endian: the same bytes Kafka's
// LongSerializer writes for a long with the same bit pattern. Deserialize
// requires exactly 8 bytes.
var Uint64 Serde[uint64] = uint64Serde{}

// Float64 encodes a float64 as its IEEE-754 bits, 8 bytes big-endian, like
// Kafka's DoubleSerializer / DoubleDeserializer. As Java's
// Double.doubleToLongBits does, Serialize writes every NaN as the canonical
// 0x7ff8000000000000; the sign of zero is preserved. Deserialize requires
// exactly 8 bytes and returns the bits as they are, including NaN payloads.
var Float64 Serde[float64] = float64Serde{}

// Bool encodes a bool as one byte, 0x01 for true and 0x00 for false, like
// Kafka's BooleanSerializer / BooleanDeserializer. Deserialize requires
// exactly one byte, which must be 0x00 or 0x01.
var Bool Serde[bool] = boolSerde{}

// canonicalNaN is the bit pattern Java's Double.doubleToLongBits returns for
// every NaN.
const canonicalNaN = 0x7ff8000000000000

// tailSerializer is implemented by the serdes of this package that can
// serialize into a slice with spare capacity, letting wrappers such as
// [TimeWindowed] append their suffix without a second allocation.
type tailSerializer[T any] interface {
	// serializeTail is Serialize, except that the returned slice is newly
	// allocated and has room for at least extra more bytes.
	serializeTail(topic string, v T, extra int) ([]byte, error)
}

// String

type stringSerde struct{}

func (stringSerde) serdeName() string { return "String" }

func (stringSerde) Serialize(_ string, v string) ([]byte, error) {
	return []byte(v), nil
}

func (stringSerde) serializeTail(_ string, v string, extra int) ([]byte, error) {
	b := make([]byte, len(v), len(v)+extra)
	copy(b, v)
	return b, nil
}

func (stringSerde) Deserialize(_ string, b []byte) (string, error) {
	return string(b), nil
}

// View returns the bytes of v without copying them (read-only).
func (stringSerde) View(_ string, v string) ([]byte, error) {
	if v == "" {
		return []byte{}, nil
	}
	return unsafe.Slice(unsafe.StringData(v), len(v)), nil
}

// Bytes

type bytesSerde struct{}

func (bytesSerde) serdeName() string { return "Bytes" }

func (bytesSerde) Serialize(_ string, v []byte) ([]byte, error) {
	return v, nil
}

func (bytesSerde) serializeTail(_ string, v []byte, extra int) ([]byte, error) {
	b := make([]byte, len(v), len(v)+extra)
	copy(b, v)
	return b, nil
}

func (bytesSerde) Deserialize(_ string, b []byte) ([]byte, error) {
	return bytes.Clone(b), nil
}

// DeserializeBorrowed returns b itself.
func (bytesSerde) DeserializeBorrowed(_ string, b []byte) ([]byte, error) {
	return b, nil
}

// Int32

type int32Serde struct{}

func (int32Serde) serdeName() string { return "Int32" }

func (int32Serde) Serialize(_ string, v int32) ([]byte, error) {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(v))
	return b, nil
}

func (int32Serde) serializeTail(_ string, v int32, extra int) ([]byte, error) {
	return binary.BigEndian.AppendUint32(make([]byte, 0, 4+extra), uint32(v)), nil
}

func (int32Serde) Deserialize(topic string, b []byte) (int32, error) {
	if len(b) != 4 {
		return 0, errSize("Int32", topic, opDeserialize, len(b), 4)
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}

// Int64

type int64Serde struct{}

func (int64Serde) serdeName() string { return "Int64" }

func (int64Serde) Serialize(_ string, v int64) ([]byte, error) {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(v))
	return b, nil
}

func (int64Serde) serializeTail(_ string, v int64, extra int) ([]byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8+extra), uint64(v)), nil
}

func (int64Serde) Deserialize(topic string, b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, errSize("Int64", topic, opDeserialize, len(b), 8)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// Uint64

type uint64Serde struct{}

func (uint64Serde) serdeName() string { return "Uint64" }

func (uint64Serde) Serialize(_ string, v uint64) ([]byte, error) {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b, nil
}

func (uint64Serde) serializeTail(_ string, v uint64, extra int) ([]byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8+extra), v), nil
}

func (uint64Serde) Deserialize(topic string, b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, errSize("Uint64", topic, opDeserialize, len(b), 8)
	}
	return binary.BigEndian.Uint64(b), nil
}

// Float64

type float64Serde struct{}

func (float64Serde) serdeName() string { return "Float64" }

// float64Bits mirrors Java's Double.doubleToLongBits.
func float64Bits(v float64) uint64 {
	if v != v {
		return canonicalNaN
	}
	return math.Float64bits(v)
}

func (float64Serde) Serialize(_ string, v float64) ([]byte, error) {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, float64Bits(v))
	return b, nil
}

func (float64Serde) serializeTail(_ string, v float64, extra int) ([]byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8+extra), float64Bits(v)), nil
}

func (float64Serde) Deserialize(topic string, b []byte) (float64, error) {
	if len(b) != 8 {
		return 0, errSize("Float64", topic, opDeserialize, len(b), 8)
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
}

// Bool

type boolSerde struct{}

func (boolSerde) serdeName() string { return "Bool" }

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func (boolSerde) Serialize(_ string, v bool) ([]byte, error) {
	return []byte{boolByte(v)}, nil
}

func (boolSerde) serializeTail(_ string, v bool, extra int) ([]byte, error) {
	return append(make([]byte, 0, 1+extra), boolByte(v)), nil
}

func (boolSerde) Deserialize(topic string, b []byte) (bool, error) {
	if len(b) != 1 {
		return false, errSize("Bool", topic, opDeserialize, len(b), 1)
	}
	switch b[0] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, newError("Bool", topic, opDeserialize, &invalidError{msg: "byte is 0x" + hexByte(b[0]) + ", want 0x00 or 0x01"})
}

func hexByte(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
