package processor

import (
	"fmt"
	"log/slog"
)

// DeserializationError is a record that could not be deserialized at a source (or whose
// timestamp could not be extracted): it names where the record is.
type DeserializationError struct {
	Node      string // the source node
	Topic     string
	Partition int32
	Offset    int64
	Err       error // the serde's error (a *serde.Error) or the timestamp error

	// Key, Value and Headers are the record as consumed (Value nil for a tombstone), so
	// that a handler can send it to a dead-letter topic. They must not be modified or
	// kept after the handler returns.
	Key, Value []byte
	Headers    Headers
	Timestamp  int64
}

// Error implements error.
func (e *DeserializationError) Error() string {
	return fmt.Sprintf("deserializing record at %s-%d offset %d (source %s): %v", e.Topic, e.Partition, e.Offset, e.Node, e.Err)
}

// Unwrap returns the cause.
func (e *DeserializationError) Unwrap() error { return e.Err }

// ProcessingError is an error returned by a processor (Init, Process, Close or a punctuator),
// with where it happened.
type ProcessingError struct {
	Task TaskID
	Node string
	// Record is the input record being processed, absent (ok false) in a punctuation.
	Record   RecordMetadata
	HasInput bool
	Err      error
}

// Error implements error.
func (e *ProcessingError) Error() string {
	if e.HasInput {
		return fmt.Sprintf("task %s, processor %s, record %s-%d offset %d: %v", e.Task, e.Node, e.Record.Topic, e.Record.Partition, e.Record.Offset, e.Err)
	}
	return fmt.Sprintf("task %s, processor %s: %v", e.Task, e.Node, e.Err)
}

// Unwrap returns the cause.
func (e *ProcessingError) Unwrap() error { return e.Err }

// HandlerResponse tells the runtime what to do after an error handler ran.
type HandlerResponse int

const (
	// Fail stops processing with the error.
	Fail HandlerResponse = iota
	// Continue skips the record, counts it in dropped-records and goes on.
	Continue
)

// DeserializationHandler decides what happens to a record that cannot be deserialized (Kafka
// Streams' DeserializationExceptionHandler).
type DeserializationHandler func(err *DeserializationError) HandlerResponse

// LogAndFail logs the error to slog's default logger and stops processing (Kafka's
// LogAndFailExceptionHandler, the default). LogAndFailTo logs elsewhere.
func LogAndFail(err *DeserializationError) HandlerResponse { return logAndFail(slog.Default(), err) }

// LogAndContinue logs the error to slog's default logger, skips the record and counts it in
// dropped-records (Kafka's LogAndContinueExceptionHandler). LogAndContinueTo logs elsewhere.
func LogAndContinue(err *DeserializationError) HandlerResponse {
	return logAndContinue(slog.Default(), err)
}

// LogAndFailTo returns LogAndFail logging to l (the runtime's default handler logs to its
// driver.Logger this way).
func LogAndFailTo(l *slog.Logger) DeserializationHandler {
	return func(err *DeserializationError) HandlerResponse { return logAndFail(l, err) }
}

// LogAndContinueTo returns LogAndContinue logging to l.
func LogAndContinueTo(l *slog.Logger) DeserializationHandler {
	return func(err *DeserializationError) HandlerResponse { return logAndContinue(l, err) }
}

func logAndFail(l *slog.Logger, err *DeserializationError) HandlerResponse {
	l.Error("tributary: cannot deserialize record, stopping", "topic", err.Topic, "partition", err.Partition, "offset", err.Offset, "source", err.Node, "error", err.Err)
	return Fail
}

func logAndContinue(l *slog.Logger, err *DeserializationError) HandlerResponse {
	l.Warn("tributary: skipping record that cannot be deserialized", "topic", err.Topic, "partition", err.Partition, "offset", err.Offset, "source", err.Node, "error", err.Err)
	return Continue
}

// ProcessingHandler decides what happens when a processor returns an error while processing
// a record or in a punctuation (Kafka Streams' ProcessingExceptionHandler, KIP-1033): Fail
// stops the application with the error, Continue drops the record (counted in
// dropped-records) and goes on.
type ProcessingHandler func(err *ProcessingError) HandlerResponse

// LogAndFailProcessing logs the error and stops processing (Kafka's
// LogAndFailProcessingExceptionHandler, the default).
func LogAndFailProcessing(err *ProcessingError) HandlerResponse {
	return LogAndFailProcessingTo(slog.Default())(err)
}

// LogAndFailProcessingTo returns LogAndFailProcessing logging to l.
func LogAndFailProcessingTo(l *slog.Logger) ProcessingHandler {
	return func(err *ProcessingError) HandlerResponse {
		l.Error("tributary: processing error, stopping", "error", err)
		return Fail
	}
}

// LogAndContinueProcessingTo returns LogAndContinueProcessing logging to l.
func LogAndContinueProcessingTo(l *slog.Logger) ProcessingHandler {
	return func(err *ProcessingError) HandlerResponse {
		l.Warn("tributary: skipping record after a processing error", "error", err)
		return Continue
	}
}

// LogAndContinueProcessing logs the error, drops the record and goes on (Kafka's
// LogAndContinueProcessingExceptionHandler).
func LogAndContinueProcessing(err *ProcessingError) HandlerResponse {
	return LogAndContinueProcessingTo(slog.Default())(err)
}
