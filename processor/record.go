package processor

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Headers are a record's headers, in order; a key may repeat, as in Kafka.
type Headers []Header

// LastValue returns the value of the last header with key, as Kafka's Headers.lastHeader.
func (h Headers) LastValue(key string) ([]byte, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return h[i].Value, true
		}
	}
	return nil, false
}

// Record is one record flowing through a topology (Kafka Streams' api.Record): a key or none
// (a Kafka null key), a value or none (a tombstone), a timestamp in milliseconds since the
// epoch, and headers.
//
// A Record is immutable: the With methods return modified copies. A tombstone is explicit:
// IsTombstone reports it, and Value returns the zero V for it; tables treat it as a delete
// and sinks write a null value.
type Record[K, V any] struct {
	key       K
	value     V
	flags     uint8 // hasValue, noKey: one byte, so that Record stays as small as it was
	timestamp int64
	headers   *Headers // nil when there are none: keeps Record small, as it is copied per node
}

// The bits of Record.flags.
const (
	flagHasValue uint8 = 1 << iota // a value, not a tombstone
	flagNoKey                      // a Kafka null key
)

// NewRecord returns a record with a value.
func NewRecord[K, V any](key K, value V, timestamp int64) Record[K, V] {
	return Record[K, V]{key: key, value: value, flags: flagHasValue, timestamp: timestamp}
}

// NewTombstone returns a record with no value (a Kafka tombstone).
func NewTombstone[K, V any](key K, timestamp int64) Record[K, V] {
	return Record[K, V]{key: key, timestamp: timestamp}
}

// MakeRecord builds a record in one step: with a key when hasKey is true, else with a null
// key (key is then ignored); with a value when hasValue is true, else a tombstone (value is
// then ignored). Runtimes use it to build each input record once.
func MakeRecord[K, V any](key K, hasKey bool, value V, hasValue bool, timestamp int64, headers Headers) Record[K, V] {
	r := Record[K, V]{key: key, timestamp: timestamp}
	if hasValue {
		r.value, r.flags = value, flagHasValue
	}
	if !hasKey {
		var zero K
		r.key = zero
		r.flags |= flagNoKey
	}
	if len(headers) > 0 {
		h := headers[:len(headers):len(headers)] // only this branch allocates (&headers would move every call's argument to the heap); the capacity cap makes an append copy, so branches never share
		r.headers = &h
	}
	return r
}

// Key returns the key, or the zero K for a null key.
func (r Record[K, V]) Key() K { return r.key }

// HasKey reports whether the record has a key; false for a Kafka null key, which sinks write
// as null and which Kafka Streams' aggregations and joins drop.
func (r Record[K, V]) HasKey() bool { return r.flags&flagNoKey == 0 }

// Value returns the value, or the zero V for a tombstone.
func (r Record[K, V]) Value() V { return r.value }

// IsTombstone reports whether the record has no value.
func (r Record[K, V]) IsTombstone() bool { return r.flags&flagHasValue == 0 }

// Timestamp returns the timestamp in milliseconds since the epoch.
func (r Record[K, V]) Timestamp() int64 { return r.timestamp }

// Headers returns the headers. They must not be modified: use WithHeaders.
func (r Record[K, V]) Headers() Headers {
	if r.headers == nil {
		return nil
	}
	return *r.headers
}

// WithKey returns a copy with another key of the same type (see [Rekey] to change its type).
func (r Record[K, V]) WithKey(key K) Record[K, V] {
	r.key = key
	r.flags &^= flagNoKey
	return r
}

// WithoutKey returns a copy with a null key.
func (r Record[K, V]) WithoutKey() Record[K, V] {
	var zero K
	r.key = zero
	r.flags |= flagNoKey
	return r
}

// WithValue returns a copy with a value (see [Revalue] to change its type).
func (r Record[K, V]) WithValue(value V) Record[K, V] {
	r.value = value
	r.flags |= flagHasValue
	return r
}

// WithTombstone returns a copy with no value.
func (r Record[K, V]) WithTombstone() Record[K, V] {
	var zero V
	r.value = zero
	r.flags &^= flagHasValue
	return r
}

// WithTimestamp returns a copy with another timestamp.
func (r Record[K, V]) WithTimestamp(timestamp int64) Record[K, V] { r.timestamp = timestamp; return r }

// WithHeaders returns a copy with other headers.
func (r Record[K, V]) WithHeaders(headers Headers) Record[K, V] {
	if len(headers) == 0 {
		r.headers = nil
	} else {
		h := headers[:len(headers):len(headers)] // an append by one branch must not write into another's
		r.headers = &h
	}
	return r
}

// Rekey returns a copy of r with a key of another type (Kafka's Record.withKey).
func Rekey[K2, K, V any](r Record[K, V], key K2) Record[K2, V] {
	return Record[K2, V]{key: key, value: r.value, flags: r.flags &^ flagNoKey, timestamp: r.timestamp, headers: r.headers}
}

// Revalue returns a copy of r with a value of another type (Kafka's Record.withValue).
func Revalue[V2, K, V any](r Record[K, V], value V2) Record[K, V2] {
	return Record[K, V2]{key: r.key, value: value, flags: r.flags | flagHasValue, timestamp: r.timestamp, headers: r.headers}
}

// RevalueTombstone returns a tombstone copy of r whose value type is V2.
func RevalueTombstone[V2, K, V any](r Record[K, V]) Record[K, V2] {
	return Record[K, V2]{key: r.key, flags: r.flags &^ flagHasValue, timestamp: r.timestamp, headers: r.headers}
}

// FixedKeyRecord is the record of a [FixedKeyProcessor] (Kafka's FixedKeyRecord): a Record
// whose key cannot be changed, so that a key-preserving step cannot break partitioning.
type FixedKeyRecord[K, V any] struct {
	r Record[K, V]
}

// FixedKey returns r as a FixedKeyRecord; the engine uses it, tests may too.
func FixedKey[K, V any](r Record[K, V]) FixedKeyRecord[K, V] { return FixedKeyRecord[K, V]{r: r} }

// Key returns the key, or the zero K for a null key.
func (r FixedKeyRecord[K, V]) Key() K { return r.r.key }

// HasKey reports whether the record has a key (false for a Kafka null key).
func (r FixedKeyRecord[K, V]) HasKey() bool { return r.r.HasKey() }

// Value returns the value, or the zero V for a tombstone.
func (r FixedKeyRecord[K, V]) Value() V { return r.r.value }

// IsTombstone reports whether the record has no value.
func (r FixedKeyRecord[K, V]) IsTombstone() bool { return r.r.IsTombstone() }

// Timestamp returns the timestamp in milliseconds since the epoch.
func (r FixedKeyRecord[K, V]) Timestamp() int64 { return r.r.timestamp }

// Headers returns the headers. They must not be modified: use WithHeaders.
func (r FixedKeyRecord[K, V]) Headers() Headers { return r.r.Headers() }

// Record returns the record as a plain Record.
func (r FixedKeyRecord[K, V]) Record() Record[K, V] { return r.r }

// WithValue returns a copy with a value of the same type (see [RevalueFixed]).
func (r FixedKeyRecord[K, V]) WithValue(value V) FixedKeyRecord[K, V] {
	return FixedKeyRecord[K, V]{r: r.r.WithValue(value)}
}

// WithTombstone returns a copy with no value.
func (r FixedKeyRecord[K, V]) WithTombstone() FixedKeyRecord[K, V] {
	return FixedKeyRecord[K, V]{r: r.r.WithTombstone()}
}

// WithTimestamp returns a copy with another timestamp.
func (r FixedKeyRecord[K, V]) WithTimestamp(timestamp int64) FixedKeyRecord[K, V] {
	return FixedKeyRecord[K, V]{r: r.r.WithTimestamp(timestamp)}
}

// WithHeaders returns a copy with other headers.
func (r FixedKeyRecord[K, V]) WithHeaders(headers Headers) FixedKeyRecord[K, V] {
	return FixedKeyRecord[K, V]{r: r.r.WithHeaders(headers)}
}

// RevalueFixed returns a copy of r with a value of another type (Kafka's
// FixedKeyRecord.withValue).
func RevalueFixed[V2, K, V any](r FixedKeyRecord[K, V], value V2) FixedKeyRecord[K, V2] {
	return FixedKeyRecord[K, V2]{r: Revalue(r.r, value)}
}

// RevalueFixedTombstone returns a tombstone copy of r whose value type is V2.
func RevalueFixedTombstone[V2, K, V any](r FixedKeyRecord[K, V]) FixedKeyRecord[K, V2] {
	return FixedKeyRecord[K, V2]{r: RevalueTombstone[V2](r.r)}
}
