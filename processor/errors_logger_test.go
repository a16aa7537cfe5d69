package processor_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/processor"
)

// The ...To handlers log to the logger they are given (the runtime passes its own), with the
// record's coordinates, and answer as their default-logger counterparts.
func TestHandlersLogToGivenLogger(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	de := &processor.DeserializationError{Topic: "in", Partition: 2, Offset: 41, Node: "Src", Err: errors.New("bad bytes")}
	if got := processor.LogAndFailTo(l)(de); got != processor.Fail {
		t.Errorf("LogAndFailTo = %v, want Fail", got)
	}
	if got := processor.LogAndContinueTo(l)(de); got != processor.Continue {
		t.Errorf("LogAndContinueTo = %v, want Continue", got)
	}
	pe := &processor.ProcessingError{Err: errors.New("boom")}
	if got := processor.LogAndFailProcessingTo(l)(pe); got != processor.Fail {
		t.Errorf("LogAndFailProcessingTo = %v, want Fail", got)
	}
	if got := processor.LogAndContinueProcessingTo(l)(pe); got != processor.Continue {
		t.Errorf("LogAndContinueProcessingTo = %v, want Continue", got)
	}
	out := buf.String()
	for _, want := range []string{"cannot deserialize record, stopping", "skipping record that cannot be deserialized", "topic=in", "partition=2", "offset=41", "processing error, stopping", "skipping record after a processing error", "boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
