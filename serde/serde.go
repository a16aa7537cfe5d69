package serde

import (
	"errors"
	"fmt"
	"strconv"
)

// Serializer converts values of type T to bytes for a topic.
type Serializer[T any] interface {
	// Serialize returns the encoding of v for records of the given topic.
	// The caller owns the returned slice but must not modify it if the
	// serializer documents that it may return memory shared with v (as
	// [Bytes] does).
	Serialize(topic string, v T) ([]byte, error)
}

// Deserializer converts bytes read from a topic back to values of type T.
type Deserializer[T any] interface {
	// Deserialize decodes b, read from the given topic. It must not modify b
	// or keep a reference to it after returning.
	Deserialize(topic string, b []byte) (T, error)
}

// Serde is a [Serializer] and a [Deserializer] for the same type, whose two
// halves round-trip. See the package documentation for the full contract.
type Serde[T any] interface {
	Serializer[T]
	Deserializer[T]
}

// Operation names used in [Error.Op].
const (
	opSerialize   = "serialize"
	opDeserialize = "deserialize"
)

// ErrSize is the cause of an error reporting data of the wrong length, such
// as 3 bytes given to [Int32]. Test for it with [errors.Is].
var ErrSize = errors.New("wrong data size")

// ErrInvalid is the cause of an error reporting data that has an acceptable
// size but cannot be decoded, such as the byte 0x02 given to [Bool] or
// malformed JSON given to [JSON], and of an error reporting a value that
// cannot be encoded, such as a NaN field given to [JSON]. Test for it with
// [errors.Is].
var ErrInvalid = errors.New("invalid data")

// Error describes a failed serialization or deserialization. Every error
// returned by a built-in serde is, or wraps, an *Error.
type Error struct {
	// Serde names the serde that failed, e.g. "Int32", "JSON[main.User]" or
	// "TimeWindowed(String)".
	Serde string
	// Topic is the topic passed to Serialize or Deserialize.
	Topic string
	// Op is "serialize" or "deserialize".
	Op string
	// Err is the cause. It may wrap [ErrSize], [ErrInvalid], or the error of an
	// inner serde.
	Err error
}

// Error returns a message such as
//
//	serde Int32: deserialize (topic "orders"): data has 3 bytes, want 4
func (e *Error) Error() string {
	s := "serde " + e.Serde + ": " + e.Op + " (topic " + strconv.Quote(e.Topic) + ")"
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause, e.Err.
func (e *Error) Unwrap() error { return e.Err }

// sizeError is the cause of a wrong-length error; it wraps ErrSize.
type sizeError struct {
	got, want int
	atLeast   bool // want is a minimum rather than an exact length
}

func (e *sizeError) Error() string {
	if e.atLeast {
		return "data has " + strconv.Itoa(e.got) + " bytes, want at least " + strconv.Itoa(e.want)
	}
	return "data has " + strconv.Itoa(e.got) + " bytes, want " + strconv.Itoa(e.want)
}

func (e *sizeError) Unwrap() error { return ErrSize }

// invalidError is a cause that wraps ErrInvalid and, optionally, an
// underlying error whose text it reuses.
type invalidError struct {
	msg   string
	cause error
}

func (e *invalidError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.cause.Error()
}

func (e *invalidError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrInvalid}
	}
	return []error{ErrInvalid, e.cause}
}

// keyError wraps the error of an inner key serde; its text is "key: " plus
// the inner text.
type keyError struct{ err error }

func (e *keyError) Error() string { return "key: " + e.err.Error() }
func (e *keyError) Unwrap() error { return e.err }

// panicError reports a panic recovered from user code.
func panicError(r any) error {
	if err, ok := r.(error); ok {
		return &invalidError{msg: "panic: " + err.Error(), cause: err}
	}
	return &invalidError{msg: fmt.Sprintf("panic: %v", r)}
}

func newError(name, topic, op string, err error) *Error {
	return &Error{Serde: name, Topic: topic, Op: op, Err: err}
}

func errSize(name, topic, op string, got, want int) error {
	return newError(name, topic, op, &sizeError{got: got, want: want})
}

func errMinSize(name, topic, op string, got, want int) error {
	return newError(name, topic, op, &sizeError{got: got, want: want, atLeast: true})
}

// named is implemented by the serdes of this package so that wrappers such as
// [TimeWindowed] can name their inner serde without reflection.
type named interface{ serdeName() string }

// nameOf returns the name a wrapper uses for inner. It is only called by
// constructors.
func nameOf(inner any) string {
	switch s := inner.(type) {
	case nil:
		return "<nil>"
	case named:
		return s.serdeName()
	default:
		return fmt.Sprintf("%T", inner)
	}
}

// New returns a Serde that calls ser to serialize and de to deserialize,
// like Kafka's Serdes.serdeFrom. The name identifies the serde in errors.
//
// An error returned by ser or de is wrapped in an [*Error] carrying name, the
// topic and the operation, unless it already is an *Error. A panic in ser or
// de is recovered and returned as an *Error wrapping [ErrInvalid] (and the
// panic value, if it is an error). Deserialize returns the zero value of T
// with any error. A nil ser or de makes the corresponding
// method return an error.
func New[T any](name string, ser func(topic string, v T) ([]byte, error), de func(topic string, b []byte) (T, error)) Serde[T] {
	if name == "" {
		name = "unnamed"
	}
	return &funcSerde[T]{name: name, ser: ser, de: de}
}

type funcSerde[T any] struct {
	name string
	ser  func(topic string, v T) ([]byte, error)
	de   func(topic string, b []byte) (T, error)
}

var errNoFunc = errors.New("no function provided")

func (s *funcSerde[T]) serdeName() string { return s.name }

func (s *funcSerde[T]) wrap(topic, op string, err error) error {
	if e, ok := err.(*Error); ok && e != nil {
		return e
	}
	return newError(s.name, topic, op, err)
}

func (s *funcSerde[T]) Serialize(topic string, v T) (out []byte, err error) {
	if s.ser == nil {
		return nil, newError(s.name, topic, opSerialize, errNoFunc)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, newError(s.name, topic, opSerialize, panicError(r))
		}
	}()
	out, err = s.ser(topic, v)
	if err != nil {
		return nil, s.wrap(topic, opSerialize, err)
	}
	return out, nil
}

func (s *funcSerde[T]) Deserialize(topic string, b []byte) (v T, err error) {
	if s.de == nil {
		return v, newError(s.name, topic, opDeserialize, errNoFunc)
	}
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, newError(s.name, topic, opDeserialize, panicError(r))
		}
	}()
	v, err = s.de(topic, b)
	if err != nil {
		var zero T
		return zero, s.wrap(topic, opDeserialize, err)
	}
	return v, nil
}

// fresh is implemented by the serdes of this package whose Serialize always returns a newly
// allocated slice (all but Bytes, which returns its input, and New, whose functions may not).
type fresh interface{ freshOutput() }

func (stringSerde) freshOutput()         {}
func (int32Serde) freshOutput()          {}
func (int64Serde) freshOutput()          {}
func (uint64Serde) freshOutput()         {}
func (float64Serde) freshOutput()        {}
func (boolSerde) freshOutput()           {}
func (*jsonSerde[T]) freshOutput()       {}
func (*timeWindowed[K]) freshOutput()    {}
func (*sessionWindowed[K]) freshOutput() {}

// SerializesFresh reports whether s is known to return a newly allocated slice from every
// Serialize, one that shares no memory with the value or with earlier results. Stores use it
// to keep serialized bytes without copying them. It is true for this package's serdes except
// Bytes (whose Serialize returns its input) and those made by New.
func SerializesFresh[T any](s Serializer[T]) bool {
	_, ok := s.(fresh)
	return ok
}

// Viewer is implemented by serdes that can show a value's serialized form without copying
// it ([String] returns the string's own bytes). The view must not be modified and is valid
// as long as v is. Key-value stores use it for keys, because engines copy what they keep.
type Viewer[T any] interface {
	View(topic string, v T) ([]byte, error)
}

// Borrower is implemented by deserializers that can return a value sharing its input
// ([Bytes] returns b itself). Sources use it for consumed records, whose bytes nothing else
// holds; Deserialize keeps copying for callers whose input may be reused.
type Borrower[T any] interface {
	DeserializeBorrowed(topic string, b []byte) (T, error)
}
