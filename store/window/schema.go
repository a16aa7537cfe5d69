package window

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The store key layout of Kafka Streams' WindowKeySchema (toStoreKeyBinary): the serialized
// record key, then the window start as 8 bytes big-endian, then a sequence number as 4
// bytes big-endian.
const (
	// TimestampSize is the size of the window start in a store key.
	TimestampSize = 8
	// SeqnumSize is the size of the sequence number in a store key.
	SeqnumSize = 4
	// SuffixSize is what a store key adds to the record key: TimestampSize + SeqnumSize.
	SuffixSize = TimestampSize + SeqnumSize
)

// MaxSeqnum is the largest sequence number a store with retained duplicates gives a put:
// sequence numbers count up modulo 2^31, (seqnum + 1) & 0x7FFFFFFF, as in Kafka.
const MaxSeqnum = math.MaxInt32

// ErrMalformedKey is returned (wrapped) for a store key shorter than [SuffixSize], which no
// window store writes: its key bytes, window start and sequence number cannot be read.
var ErrMalformedKey = errors.New("malformed window store key")

// ToStoreKey returns the store key of a record key, window start and sequence number
// (Kafka's WindowKeySchema.toStoreKeyBinary). It does not modify or retain key.
func ToStoreKey(key []byte, windowStart int64, seqnum int32) []byte {
	return AppendStoreKey(make([]byte, 0, len(key)+SuffixSize), key, windowStart, seqnum)
}

// AppendStoreKey appends the store key of a record key, window start and sequence number
// to dst and returns the extended slice.
func AppendStoreKey(dst, key []byte, windowStart int64, seqnum int32) []byte {
	dst = append(dst, key...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(windowStart))
	return binary.BigEndian.AppendUint32(dst, uint32(seqnum))
}

// DecodeStoreKey splits a store key into the record key bytes (a sub-slice of storeKey, not
// a copy), the window start and the sequence number. A key shorter than [SuffixSize] gives
// an error wrapping [ErrMalformedKey].
func DecodeStoreKey(storeKey []byte) (key []byte, windowStart int64, seqnum int32, err error) {
	n := len(storeKey) - SuffixSize
	if n < 0 {
		return nil, 0, 0, malformed(storeKey)
	}
	return storeKey[:n:n], int64(binary.BigEndian.Uint64(storeKey[n:])), int32(binary.BigEndian.Uint32(storeKey[n+TimestampSize:])), nil
}

func malformed(storeKey []byte) error {
	return fmt.Errorf("%w: %d bytes, want at least %d", ErrMalformedKey, len(storeKey), SuffixSize)
}

// ExtractKey returns the record key bytes of a store key (Kafka's extractStoreKeyBytes), a
// sub-slice of storeKey.
func ExtractKey(storeKey []byte) ([]byte, error) {
	k, _, _, err := DecodeStoreKey(storeKey)
	return k, err
}

// ExtractWindowStart returns the window start of a store key (Kafka's
// extractStoreTimestamp).
func ExtractWindowStart(storeKey []byte) (int64, error) {
	_, ts, _, err := DecodeStoreKey(storeKey)
	return ts, err
}

// ExtractSeqnum returns the sequence number of a store key (Kafka's extractStoreSequence).
func ExtractSeqnum(storeKey []byte) (int32, error) {
	_, _, seq, err := DecodeStoreKey(storeKey)
	return seq, err
}

// KeySchema places store keys in time segments by their window start: it is the
// segments.Schema of window stores (Kafka's WindowKeySchema.segmentTimestamp).
type KeySchema struct{}

// SegmentTime returns the window start of a store key; ok is false for a key shorter than
// [SuffixSize].
func (KeySchema) SegmentTime(storeKey []byte) (ts int64, ok bool) {
	n := len(storeKey) - SuffixSize
	if n < 0 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(storeKey[n:])), true
}

// End returns the end of the window that starts at start and lasts size (truncated to
// milliseconds): start + size, or math.MaxInt64 when that comes out negative (an overflow),
// as Kafka's WindowKeySchema.timeWindowForSize does. Window ends are exclusive.
func End(start int64, size time.Duration) int64 {
	return endMs(start, size.Milliseconds())
}

func endMs(start, sizeMs int64) int64 {
	end := int64(uint64(start) + uint64(sizeMs))
	if end < 0 {
		return math.MaxInt64
	}
	return end
}

// Byte bounds of range scans. Window starts are never negative in a store (Put refuses
// them), so for one record key the store keys sort by window start, then by sequence
// number. Across record keys of different lengths they do not: with variable-length keys
// the store key of "a" at some time can sort after that of "a\x00" at another (the caveat
// of Kafka's OrderedBytes). Range scans therefore read a byte range that covers every match
// and filter each store key by its decoded record key and window start, as Kafka's
// WindowKeySchema.hasNextCondition does.

// fixedKeyBounds returns the inclusive byte bounds of the store keys of key with window
// starts in [from, to], 0 <= from <= to (Kafka's lowerRangeFixedSize and
// upperRangeFixedSize).
func fixedKeyBounds(key []byte, from, to int64) (lo, hi []byte) {
	n := len(key) + SuffixSize
	buf := make([]byte, 0, 2*n) // both bounds in one allocation
	lo = AppendStoreKey(buf, key, from, 0)[:n:n]
	hi = AppendStoreKey(buf[n:n], key, to, -1) // seqnum 0xFFFFFFFF
	return lo, hi
}

// rangeLower returns an inclusive lower byte bound for the store keys whose record key is
// at least fromKey (nil for none): fromKey followed by SuffixSize zero bytes. No store key
// of a record key >= fromKey sorts below it, whatever the window start (Kafka's
// OrderedBytes.lowerRange with WindowKeySchema's MIN_SUFFIX).
func rangeLower(fromKey []byte) []byte {
	if fromKey == nil {
		return nil
	}
	lo := make([]byte, len(fromKey)+SuffixSize)
	copy(lo, fromKey)
	return lo
}

// rangeUpper returns an inclusive upper byte bound for the store keys whose record key is at
// most toKey (nil for none) and whose window start is in [0, to].
//
// A record key k <= toKey either shares a proper prefix toKey[:j] and then has a smaller
// byte, or is a prefix toKey[:j] itself; then its store key continues with the window
// start, whose first byte is at most t0, the first byte of to. If every byte of toKey is
// greater than t0, every such store key is at most toKey + to + 0xFFFFFFFF (the tight bound,
// as Kafka's OrderedBytes.upperRange). Otherwise let m be the first index with toKey[m] <= t0:
// every such store key is below toKey[:m] followed by 0xFF (t0 < 0xFF, window starts being
// non-negative), a looser bound whose extra keys the filter drops.
func rangeUpper(toKey []byte, to int64) []byte {
	if toKey == nil {
		return nil
	}
	var ts [TimestampSize]byte
	binary.BigEndian.PutUint64(ts[:], uint64(to))
	t0 := ts[0]
	for m, c := range toKey {
		if c <= t0 {
			hi := make([]byte, m+1)
			copy(hi, toKey[:m])
			hi[m] = 0xFF
			return hi
		}
	}
	return AppendStoreKey(make([]byte, 0, len(toKey)+SuffixSize), toKey, to, -1)
}
