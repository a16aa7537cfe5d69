// Package serde converts record keys and values to and from bytes.
//
// # The Serde contract
//
// A [Serializer] turns a value into bytes and a [Deserializer] turns bytes back
// into a value; a [Serde] is both. Both methods receive the name of the topic
// the record is written to or read from, so a serde may vary its format per
// topic, and so errors can say where they happened. A serde must:
//
//   - be safe for concurrent use by multiple goroutines;
//   - round-trip: Deserialize(topic, Serialize(topic, v)) yields a value equal
//     to v (up to the documented canonicalisations, such as NaN for [Float64]);
//   - be deterministic: equal values serialize to equal bytes, because
//     serialized keys are compared byte-wise by state stores and partitioners;
//   - not retain or modify the slice passed to Deserialize, and not modify the
//     slice returned by Serialize after returning it;
//   - report failure with an error rather than a panic.
//
// The built-in serdes never panic on any input, whether nil, empty, huge or
// garbage. [New] and [JSON] also convert a panic raised by user code (the
// functions given to New, or a MarshalJSON / UnmarshalJSON method) into an
// error.
//
// # Compatibility with Kafka
//
// The built-in serdes produce exactly the bytes written by the corresponding
// Java serializers of Apache Kafka, so topics and changelogs can be shared with
// JVM applications:
//
//   - [String]: org.apache.kafka.common.serialization.StringSerializer with its
//     default UTF-8 encoding. The bytes of a Go string are copied verbatim; no
//     UTF-8 validation is done, so any bytes round-trip.
//   - [Bytes]: ByteArraySerializer.
//   - [Int32]: IntegerSerializer / IntegerDeserializer, 4 bytes big-endian.
//   - [Int64]: LongSerializer / LongDeserializer, 8 bytes big-endian.
//   - [Uint64]: no Kafka counterpart; the same 8 bytes LongSerializer writes
//     for the same bit pattern.
//   - [Float64]: DoubleSerializer, the IEEE-754 bits of
//     Double.doubleToLongBits, 8 bytes big-endian. Like doubleToLongBits,
//     every NaN is written as the canonical 0x7ff8000000000000.
//   - [Bool]: BooleanSerializer / BooleanDeserializer, one byte 0x01 (true) or
//     0x00 (false).
//   - [TimeWindowed]: TimeWindowedSerializer, the layout of WindowKeySchema
//     without a sequence number: inner key bytes followed by the 8-byte
//     big-endian window start. The window end is not stored; it is recomputed
//     from the window size, saturating at math.MaxInt64 as
//     WindowKeySchema.timeWindowForSize does.
//   - [SessionWindowed]: SessionWindowedSerializer, the layout of
//     SessionKeySchema.toBinary: inner key bytes, then the 8-byte big-endian
//     window end, then the 8-byte big-endian window start.
//
// [JSON] uses encoding/json and is compatible with any JSON serializer that
// agrees on the shape of the document.
//
// # Tombstones
//
// A serde is never asked to serialize or deserialize a tombstone. Kafka
// represents a deleted key by a null value, and Java serdes must special-case
// null; in Tributary a record carries an explicit "no value" state instead, and
// the runtime writes and reads the null payload itself. Consequently a nil or
// empty slice given to Deserialize is ordinary data: [String] decodes it as "",
// [Bytes] returns it as is (nil stays nil), and fixed-width serdes such as
// [Int64] report it as having the wrong size.
//
// # Errors
//
// Every error returned by a built-in serde is, or wraps, an [*Error] that
// names the serde, the topic and the operation. Its cause can be matched with
// [errors.Is] against [ErrSize] (the data has the wrong length) or [ErrInvalid]
// (the data, or a value, has the right size but cannot be converted). When a
// windowed serde's inner key serde fails, the inner [*Error] is wrapped in the
// outer one, so both names appear in the message and [errors.As] still finds
// the inner error.
package serde
