package serde

import (
	"encoding/json"
	"reflect"
)

// JSON returns a Serde that encodes values of type T with [encoding/json]:
// Serialize uses [json.Marshal] and Deserialize uses [json.Unmarshal], so the
// usual struct tags and Marshaler / Unmarshaler methods apply.
//
// Deserialize reports invalid JSON (including empty data), trailing data, and
// JSON that does not fit T as an error wrapping [ErrInvalid]; Serialize does
// the same for values json.Marshal rejects, such as NaN or channels. A panic
// raised during encoding or decoding, for instance by a user's MarshalJSON or
// UnmarshalJSON method, is recovered and returned as such an error too.
// Deserialize returns the zero value of T with any error.
//
// The serde is named "JSON[" + the name of T + "]" in errors, for example
// "JSON[main.User]".
func JSON[T any]() Serde[T] {
	return &jsonSerde[T]{name: "JSON[" + reflect.TypeFor[T]().String() + "]"}
}

type jsonSerde[T any] struct {
	name string
}

func (s *jsonSerde[T]) serdeName() string { return s.name }

func (s *jsonSerde[T]) Serialize(topic string, v T) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, newError(s.name, topic, opSerialize, panicError(r))
		}
	}()
	out, err = json.Marshal(v)
	if err != nil {
		return nil, newError(s.name, topic, opSerialize, &invalidError{cause: err})
	}
	return out, nil
}

func (s *jsonSerde[T]) Deserialize(topic string, b []byte) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, newError(s.name, topic, opDeserialize, panicError(r))
		}
	}()
	if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, newError(s.name, topic, opDeserialize, &invalidError{cause: err})
	}
	return v, nil
}
