package changelog

// RecordContext is what a task knows about the record being processed when a store is
// written: the changelog record and the record cache take the timestamp (Kafka writes a
// changelog record with the timestamp of the record that caused the write), and the cache
// keeps the whole context so that what it forwards on flush carries it.
type RecordContext struct {
	// Timestamp is the record's timestamp in milliseconds (the punctuation time during a
	// punctuation).
	Timestamp int64
	// Topic, Partition and Offset say where the record came from; Offset is -1 during a
	// punctuation.
	Topic     string
	Partition int32
	Offset    int64
	// Headers are the record's headers (a processor.Headers), passed through untouched.
	Headers any
}

// ContextFunc returns the context of the record being processed. The task engine provides
// it; a store used outside a task (a test of the store alone) may pass nil, meaning a zero
// context.
type ContextFunc func() RecordContext

// Record is one changelog record: a put of Value at Key or, when Value is nil, a delete
// (a tombstone on the compacted topic). Partition is always explicit: the task's partition.
type Record struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte // nil: a tombstone
	Timestamp int64
}

// Sender appends records to changelog topics: the runtime's producer. Send must not retain
// r.Key or r.Value after it returns (the caller may reuse them); it copies what it keeps.
// An error from Send fails the write that caused it.
type Sender interface {
	Send(r Record) error
}

// SenderFunc adapts a function to a Sender.
type SenderFunc func(r Record) error

// Send calls f(r).
func (f SenderFunc) Send(r Record) error { return f(r) }
