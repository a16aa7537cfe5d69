package session

import (
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

// Scan bounds. Record keys have no length prefix, so the composite keys of a key and of the
// keys that extend it interleave; a scan covers a superset of the sessions it wants and
// filters them by decoded key and times (Kafka's hasNextCondition). The bounds below are
// tight where Kafka's are not: they use maxEnd, a bound on the session ends a store holds
// (sessions start at 0 or later, so every composite key's suffix is at most
// maxEnd | maxEnd in bytes).

// appendMaxSuffix appends the largest suffix a session matching latestStart can have when
// no session ends after maxEnd: maxEnd | min(latestStart, maxEnd), clamped at 0.
func appendMaxSuffix(dst []byte, maxEnd, latestStart int64) []byte {
	maxEnd = max(maxEnd, 0)
	return AppendBinary(dst, nil, min(max(latestStart, 0), maxEnd), maxEnd)
}

// maxSuffix is appendMaxSuffix into a new slice.
func maxSuffix(maxEnd, latestStart int64) []byte {
	return appendMaxSuffix(make([]byte, 0, SuffixSize), maxEnd, latestStart)
}

// keyBounds returns the scan bounds for the sessions of exactly key that end at or after
// earliestEnd: from key | max(earliestEnd, 0) | 0 (Kafka's lowerRangeFixedSize) to
// key | maxSuffix(maxEnd, latestStart), in one allocation. The scan also meets keys that
// extend key by bytes that sort between the two suffixes.
func keyBounds(key []byte, earliestEnd, maxEnd, latestStart int64) (lo, hi []byte) {
	n := len(key) + SuffixSize
	buf := make([]byte, 0, 2*n)
	lo = AppendBinary(buf[:0:n], key, 0, max(earliestEnd, 0))
	hi = appendMaxSuffix(append(buf[n:n], key...), maxEnd, latestStart)
	return lo, hi
}

// rangeUpper returns the upper scan bound for the sessions of every key up to keyTo
// (Kafka's OrderedBytes.upperRange): the largest of keyTo[:j] | suffix over j = 0 …
// len(keyTo), since every prefix of keyTo is a key at most keyTo whose composite keys
// run up to prefix | suffix. (The lower bound of a key range is keyFrom itself.)
func rangeUpper(keyTo, suffix []byte) []byte {
	best := 0 // the j of the largest candidate so far
	for j := 1; j <= len(keyTo); j++ {
		// Candidates best and j share keyTo[:best]; then best has suffix, j has
		// keyTo[best:j] | suffix.
		if tailGreater(keyTo[best:j], suffix) {
			best = j
		}
	}
	return append(append(make([]byte, 0, best+len(suffix)), keyTo[:best]...), suffix...)
}

// tailGreater reports whether x | suffix sorts after suffix.
func tailGreater(x, suffix []byte) bool {
	for i := range suffix {
		var b byte
		if i < len(x) {
			b = x[i]
		} else {
			b = suffix[i-len(x)]
		}
		if b != suffix[i] {
			return b > suffix[i]
		}
	}
	return len(x) > 0 // equal over len(suffix): the longer one sorts after
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
