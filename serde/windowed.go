package serde

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// Windowed is a key together with the window it belongs to, like Kafka's
// Windowed<K>. Start and End are epoch milliseconds; Start is inclusive and
// End exclusive.
type Windowed[K any] struct {
	Key        K
	Start, End int64
}

var errNoInner = errors.New("no inner serde")

// windowSizeError reports an unusable window size given to TimeWindowed.
type windowSizeError struct{ size time.Duration }

func (e *windowSizeError) Error() string {
	return "invalid window size " + e.size.String() + ": must be at least 1ms"
}

// TimeWindowed returns a Serde for keys of fixed-size time windows (tumbling
// or hopping), byte-compatible with Kafka's TimeWindowedSerializer /
// TimeWindowedDeserializer: the bytes of inner for the key followed by the
// window start as 8 bytes big-endian, the layout of WindowKeySchema without a
// sequence number. For keys with the same inner bytes and non-negative
// starts, the byte order of serialized keys is the order of their starts.
//
// The window end is not stored. Serialize ignores it, and Deserialize sets it
// to Start plus windowSize in milliseconds, or to math.MaxInt64 if that comes
// out negative (overflow, or a negative start), as WindowKeySchema.timeWindowForSize does. Deserialize requires
// at least 8 bytes.
//
// windowSize is truncated to whole milliseconds and must be at least 1ms;
// otherwise every call of the returned serde fails with an error naming the
// bad size. A nil inner likewise makes every call fail.
//
// The serde is named "TimeWindowed(" + the inner serde's name + ")" in
// errors; an error from inner is wrapped, so the message names both and
// [errors.As] finds the inner [*Error].
func TimeWindowed[K any](inner Serde[K], windowSize time.Duration) Serde[Windowed[K]] {
	s := &timeWindowed[K]{
		inner:  inner,
		sizeMs: windowSize.Milliseconds(),
		name:   "TimeWindowed(" + nameOf(inner) + ")",
	}
	switch {
	case s.sizeMs <= 0:
		s.cfgErr = &windowSizeError{size: windowSize}
	case inner == nil:
		s.cfgErr = errNoInner
	}
	s.tail, _ = inner.(tailSerializer[K])
	return s
}

type timeWindowed[K any] struct {
	inner  Serde[K]
	tail   tailSerializer[K] // inner, if it implements tailSerializer
	sizeMs int64
	name   string
	cfgErr error // non-nil if the serde is unusable
}

func (s *timeWindowed[K]) serdeName() string { return s.name }

func (s *timeWindowed[K]) Serialize(topic string, w Windowed[K]) ([]byte, error) {
	return s.serializeTail(topic, w, 0)
}

func (s *timeWindowed[K]) serializeTail(topic string, w Windowed[K], extra int) ([]byte, error) {
	if s.cfgErr != nil {
		return nil, newError(s.name, topic, opSerialize, s.cfgErr)
	}
	b, err := serializeKey(s.inner, s.tail, topic, w.Key, 8+extra)
	if err != nil {
		return nil, newError(s.name, topic, opSerialize, &keyError{err})
	}
	return binary.BigEndian.AppendUint64(b, uint64(w.Start)), nil
}

func (s *timeWindowed[K]) Deserialize(topic string, b []byte) (Windowed[K], error) {
	if s.cfgErr != nil {
		return Windowed[K]{}, newError(s.name, topic, opDeserialize, s.cfgErr)
	}
	if len(b) < 8 {
		return Windowed[K]{}, errMinSize(s.name, topic, opDeserialize, len(b), 8)
	}
	n := len(b) - 8
	k, err := s.inner.Deserialize(topic, b[:n:n])
	if err != nil {
		return Windowed[K]{}, newError(s.name, topic, opDeserialize, &keyError{err})
	}
	start := int64(binary.BigEndian.Uint64(b[n:]))
	// WindowKeySchema.timeWindowForSize: an end that comes out negative (an overflow, or a
	// negative start) is truncated to Long.MAX_VALUE.
	end := int64(uint64(start) + uint64(s.sizeMs))
	if end < 0 {
		end = math.MaxInt64
	}
	return Windowed[K]{Key: k, Start: start, End: end}, nil
}

// SessionWindowed returns a Serde for keys of session windows,
// byte-compatible with Kafka's SessionWindowedSerializer /
// SessionWindowedDeserializer: the bytes of inner for the key followed by the
// window end and then the window start, each 8 bytes big-endian, the layout
// of SessionKeySchema.toBinary. Deserialize requires at least 16 bytes; it
// does not check that Start <= End.
//
// A nil inner makes every call of the returned serde fail. The serde is named
// "SessionWindowed(" + the inner serde's name + ")" in errors; an error from
// inner is wrapped, so the message names both and [errors.As] finds the inner
// [*Error].
func SessionWindowed[K any](inner Serde[K]) Serde[Windowed[K]] {
	s := &sessionWindowed[K]{
		inner: inner,
		name:  "SessionWindowed(" + nameOf(inner) + ")",
	}
	if inner == nil {
		s.cfgErr = errNoInner
	}
	s.tail, _ = inner.(tailSerializer[K])
	return s
}

type sessionWindowed[K any] struct {
	inner  Serde[K]
	tail   tailSerializer[K] // inner, if it implements tailSerializer
	name   string
	cfgErr error // non-nil if the serde is unusable
}

func (s *sessionWindowed[K]) serdeName() string { return s.name }

func (s *sessionWindowed[K]) Serialize(topic string, w Windowed[K]) ([]byte, error) {
	return s.serializeTail(topic, w, 0)
}

func (s *sessionWindowed[K]) serializeTail(topic string, w Windowed[K], extra int) ([]byte, error) {
	if s.cfgErr != nil {
		return nil, newError(s.name, topic, opSerialize, s.cfgErr)
	}
	b, err := serializeKey(s.inner, s.tail, topic, w.Key, 16+extra)
	if err != nil {
		return nil, newError(s.name, topic, opSerialize, &keyError{err})
	}
	b = binary.BigEndian.AppendUint64(b, uint64(w.End))
	return binary.BigEndian.AppendUint64(b, uint64(w.Start)), nil
}

func (s *sessionWindowed[K]) Deserialize(topic string, b []byte) (Windowed[K], error) {
	if s.cfgErr != nil {
		return Windowed[K]{}, newError(s.name, topic, opDeserialize, s.cfgErr)
	}
	if len(b) < 16 {
		return Windowed[K]{}, errMinSize(s.name, topic, opDeserialize, len(b), 16)
	}
	n := len(b) - 16
	k, err := s.inner.Deserialize(topic, b[:n:n])
	if err != nil {
		return Windowed[K]{}, newError(s.name, topic, opDeserialize, &keyError{err})
	}
	end := int64(binary.BigEndian.Uint64(b[n:]))
	start := int64(binary.BigEndian.Uint64(b[n+8:]))
	return Windowed[K]{Key: k, Start: start, End: end}, nil
}

// serializeKey serializes k with inner into a new slice that has room for
// extra more bytes. It never appends to a slice returned by inner.Serialize,
// which may share memory with k (as with [Bytes]).
func serializeKey[K any](inner Serde[K], tail tailSerializer[K], topic string, k K, extra int) ([]byte, error) {
	if tail != nil {
		return tail.serializeTail(topic, k, extra)
	}
	kb, err := inner.Serialize(topic, k)
	if err != nil {
		return nil, err
	}
	b := make([]byte, len(kb), len(kb)+extra)
	copy(b, kb)
	return b, nil
}
