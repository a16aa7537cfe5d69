package processor

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Processor is a node of a topology (Kafka Streams' api.Processor): it receives records of
// type Record[KIn, VIn] one at a time and forwards any number of Record[KOut, VOut] to its
// children through the Context given to Init.
//
// A topology creates one Processor per task from its supplier, and calls Init once before
// the first record, Process for each record, and Close once when the task closes. A non-nil
// error from any of them stops the task, naming the processor (see the runtime's processing
// error handler).
type Processor[KIn, VIn, KOut, VOut any] interface {
	Init(ctx Context[KOut, VOut]) error
	Process(r Record[KIn, VIn]) error
	Close() error
}

// FixedKeyProcessor is a Processor that cannot change the key (Kafka Streams'
// FixedKeyProcessor, used by processValues): it receives FixedKeyRecords and forwards
// FixedKeyRecords, which have no way to set a new key, so the records it forwards stay on
// the partition their key belongs to.
type FixedKeyProcessor[K, VIn, VOut any] interface {
	Init(ctx FixedKeyContext[K, VOut]) error
	Process(r FixedKeyRecord[K, VIn]) error
	Close() error
}

// Supplier returns a new Processor; a topology calls it once per task.
type Supplier[KIn, VIn, KOut, VOut any] func() Processor[KIn, VIn, KOut, VOut]

// FixedKeySupplier returns a new FixedKeyProcessor; a topology calls it once per task.
type FixedKeySupplier[K, VIn, VOut any] func() FixedKeyProcessor[K, VIn, VOut]

// Func adapts a function to a Processor whose Init and Close do nothing but keep the context:
// the function receives the context and each record.
func Func[KIn, VIn, KOut, VOut any](fn func(ctx Context[KOut, VOut], r Record[KIn, VIn]) error) Supplier[KIn, VIn, KOut, VOut] {
	return func() Processor[KIn, VIn, KOut, VOut] { return &funcProcessor[KIn, VIn, KOut, VOut]{fn: fn} }
}

type funcProcessor[KIn, VIn, KOut, VOut any] struct {
	ctx Context[KOut, VOut]
	fn  func(ctx Context[KOut, VOut], r Record[KIn, VIn]) error
}

func (p *funcProcessor[KIn, VIn, KOut, VOut]) Init(ctx Context[KOut, VOut]) error {
	p.ctx = ctx
	return nil
}

func (p *funcProcessor[KIn, VIn, KOut, VOut]) Process(r Record[KIn, VIn]) error {
	return p.fn(p.ctx, r)
}

func (p *funcProcessor[KIn, VIn, KOut, VOut]) Close() error { return nil }

// ProcessFunc returns the function the processor wraps, so that a runtime can call it
// directly with the context, saving a call per record.
func (p *funcProcessor[KIn, VIn, KOut, VOut]) ProcessFunc() func(ctx Context[KOut, VOut], r Record[KIn, VIn]) error {
	return p.fn
}

// BaseContext is what every processor context offers (Kafka Streams' ProcessingContext):
// identity, time, the current record's metadata, punctuation, stores and commit requests.
type BaseContext interface {
	// ApplicationID returns the application.id.
	ApplicationID() string
	// TaskID returns the task this processor instance runs in.
	TaskID() TaskID
	// RecordMetadata returns the topic, partition and offset of the input record being
	// processed; ok is false during a punctuation, which has no input record.
	RecordMetadata() (md RecordMetadata, ok bool)
	// StreamTime returns the task's stream time: the largest timestamp it has seen, or -1
	// before the first record (Kafka's currentStreamTimeMs).
	StreamTime() int64
	// SystemTime returns the wall-clock time in milliseconds (Kafka's currentSystemTimeMs);
	// the TopologyTestDriver returns its mock time.
	SystemTime() int64
	// Schedule registers fn to be called every interval of stream time or of wall-clock
	// time (see PunctuationType). interval must be at least 1 ms.
	Schedule(interval time.Duration, typ PunctuationType, fn Punctuator) (Cancellable, error)
	// StateStore returns the store with this name, which must be connected to the
	// processor; use the typed helpers (KeyValueStore, Store) rather than this.
	StateStore(name string) (any, error)
	// Commit asks the runtime to commit the task as soon as possible.
	Commit()
}

// Context is the context of a Processor: BaseContext plus forwarding.
type Context[KOut, VOut any] interface {
	BaseContext
	// Forward sends r to every child of this processor, one after the other, and returns the
	// first error (Kafka's forward(record)).
	Forward(r Record[KOut, VOut]) error
	// ForwardTo sends r to the child with this name only (Kafka's forward(record, childName)).
	ForwardTo(child string, r Record[KOut, VOut]) error
}

// FixedKeyContext is the context of a FixedKeyProcessor.
type FixedKeyContext[K, VOut any] interface {
	BaseContext
	// Forward sends r to every child of this processor.
	Forward(r FixedKeyRecord[K, VOut]) error
	// ForwardTo sends r to the child with this name only.
	ForwardTo(child string, r FixedKeyRecord[K, VOut]) error
}

// TaskID identifies a task: a sub-topology and the input partition it processes. Its string
// form is Kafka's, "<subtopology>_<partition>".
type TaskID struct {
	Subtopology int
	Partition   int32
}

// String returns "<subtopology>_<partition>".
func (id TaskID) String() string {
	return strconv.Itoa(id.Subtopology) + "_" + strconv.FormatInt(int64(id.Partition), 10)
}

// ParseTaskID parses "<subtopology>_<partition>".
func ParseTaskID(s string) (TaskID, error) {
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			continue
		}
		sub, err1 := strconv.Atoi(s[:i])
		part, err2 := strconv.ParseInt(s[i+1:], 10, 32)
		if err1 != nil || err2 != nil || sub < 0 || part < 0 {
			break
		}
		return TaskID{Subtopology: sub, Partition: int32(part)}, nil
	}
	return TaskID{}, fmt.Errorf("processor: invalid task id %q, want <subtopology>_<partition>", s)
}

// RecordMetadata is where the input record being processed came from.
type RecordMetadata struct {
	Topic     string
	Partition int32
	Offset    int64
}

// PunctuationType says which clock drives a punctuation (Kafka's PunctuationType).
type PunctuationType int

const (
	// StreamTime punctuations follow the task's stream time. Schedules are aligned to 0: a
	// schedule of interval i fires at the first stream time t >= k*i for each k, when a record
	// moves stream time there (Kafka's STREAM_TIME).
	StreamTime PunctuationType = iota
	// WallClockTime punctuations follow the wall clock: the first fires at schedule time +
	// interval (Kafka's WALL_CLOCK_TIME).
	WallClockTime
)

// String returns Kafka's name of the type.
func (t PunctuationType) String() string {
	switch t {
	case StreamTime:
		return "STREAM_TIME"
	case WallClockTime:
		return "WALL_CLOCK_TIME"
	}
	return "PunctuationType(" + strconv.Itoa(int(t)) + ")"
}

// Punctuator is called by a punctuation with the time it fires at: the stream time or the
// wall-clock time. Intervals missed (stream time jumping ahead, a slow wall clock) are
// skipped, not replayed.
type Punctuator func(timestamp int64) error

// Cancellable cancels a scheduled punctuation.
type Cancellable interface {
	Cancel()
}

// ErrNoSuchStore is returned (wrapped) when a processor asks for a store that is not
// connected to it, or asks with the wrong type.
var ErrNoSuchStore = errors.New("no such state store")

// Store returns the store named name, connected to the processor, as type S, for example
// *kv.Store[string, int64]. The error names the store and both types on a mismatch.
func Store[S any](ctx BaseContext, name string) (S, error) {
	var zero S
	st, err := ctx.StateStore(name)
	if err != nil {
		return zero, err
	}
	s, ok := st.(S)
	if !ok {
		return zero, fmt.Errorf("state store %q is a %T, not a %T: %w", name, st, zero, ErrNoSuchStore)
	}
	return s, nil
}

// Less orders task ids by sub-topology, then partition.
func (id TaskID) Less(o TaskID) bool {
	if id.Subtopology != o.Subtopology {
		return id.Subtopology < o.Subtopology
	}
	return id.Partition < o.Partition
}
