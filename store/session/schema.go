package session

import (
	"bytes"
	"encoding/binary"
	"math"
)

// SuffixSize is the number of bytes a composite session key adds to the record key: the
// session end and the session start, 8 bytes each.
const SuffixSize = 16

// KeySchema is the layout of composite session keys, as Kafka Streams' SessionKeySchema lays
// them out (the layout of serde.SessionWindowed too):
//
//	key bytes | session end (8 bytes, big-endian) | session start (8 bytes, big-endian)
//
// Keys of one record key are ordered by end, then start (for non-negative timestamps, which
// Kafka requires). A composite key is placed in the segment of its session end: a session
// lives as long as its last event, and a session that is still growing moves to later
// segments as it is merged. KeySchema implements segments.Schema.
//
// Record keys have no length prefix, so the composite keys of keys of different lengths
// interleave ("a" and "a\x00…" for instance): ranges over them scan a superset and filter by
// the decoded key bytes and times, as Kafka's SessionKeySchema.hasNextCondition does.
type KeySchema struct{}

// SegmentTime returns the session end of a composite key: the timestamp that places it in a
// segment (Kafka's SessionKeySchema.segmentTimestamp). ok is false for a key shorter than
// [SuffixSize].
func (KeySchema) SegmentTime(key []byte) (ts int64, ok bool) {
	if len(key) < SuffixSize {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(key[len(key)-SuffixSize:])), true
}

// ToBinary returns the composite key of the session [start, end] of key (Kafka's
// SessionKeySchema.toBinary). The result is a new slice.
func ToBinary(key []byte, start, end int64) []byte {
	return AppendBinary(make([]byte, 0, len(key)+SuffixSize), key, start, end)
}

// AppendBinary appends the composite key of the session [start, end] of key to dst and
// returns the extended slice.
func AppendBinary(dst, key []byte, start, end int64) []byte {
	dst = append(dst, key...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(end))
	return binary.BigEndian.AppendUint64(dst, uint64(start))
}

// FromBinary splits a composite key into the record key bytes (a sub-slice of b) and the
// session's start and end (Kafka's SessionKeySchema.from with extractKeyBytes,
// extractStartTimestamp and extractEndTimestamp). ok is false, and nothing else is set, for
// a slice shorter than [SuffixSize]. It does not check that start <= end.
func FromBinary(b []byte) (key []byte, start, end int64, ok bool) {
	if len(b) < SuffixSize {
		return nil, 0, 0, false
	}
	n := len(b) - SuffixSize
	end = int64(binary.BigEndian.Uint64(b[n:]))
	start = int64(binary.BigEndian.Uint64(b[n+8:]))
	return b[:n:n], start, end, true
}

// lowerBound returns the smallest composite key of key with a session end of at least
// earliestEnd: for earliestEnd <= 0 the bare key bytes (below every composite key of key,
// including negative timestamps, whose big-endian form sorts after the positive ones), else
// key | earliestEnd | 0 (Kafka's SessionKeySchema.lowerRangeFixedSize).
func lowerBound(key []byte, earliestEnd int64) []byte {
	if earliestEnd <= 0 {
		return bytes.Clone(key)
	}
	return AppendBinary(make([]byte, 0, len(key)+SuffixSize), key, 0, earliestEnd)
}

// upperBound returns a composite key at least as large as every composite key of key:
// key | 0xff × 16. (Kafka's upperRangeFixedSize uses Long.MAX_VALUE for the end, which
// leaves out negative ends; this bound keeps them, and the filter decides.)
func upperBound(key []byte) []byte {
	b := make([]byte, 0, len(key)+SuffixSize)
	b = append(b, key...)
	for range SuffixSize {
		b = append(b, 0xff)
	}
	return b
}

// addSat returns a+b, saturated at the int64 bounds.
func addSat(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return math.MaxInt64
	}
	if b < 0 && s > a {
		return math.MinInt64
	}
	return s
}
