package testutil

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tributary-go/tributary/cursor"
)

// AssertKeyValues reads every record left in o and fails t with a readable diff unless they
// are want, in order.
func AssertKeyValues[K, V any](t testing.TB, o *TestOutputTopic[K, V], want ...cursor.KeyValue[K, V]) {
	t.Helper()
	got, err := o.ReadKeyValuesToList()
	if err != nil {
		t.Fatalf("reading %s: %v", o.topic, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("records of %s (-want +got):\n%s", o.topic, diff)
	}
}

// AssertValues reads every record left in o and fails t unless their values are want.
func AssertValues[K, V any](t testing.TB, o *TestOutputTopic[K, V], want ...V) {
	t.Helper()
	got, err := o.ReadValuesToList()
	if err != nil {
		t.Fatalf("reading %s: %v", o.topic, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("values of %s (-want +got):\n%s", o.topic, diff)
	}
}

// AssertRecords reads every record left in o and fails t unless they are want (keys, values,
// tombstones, timestamps and headers).
func AssertRecords[K, V any](t testing.TB, o *TestOutputTopic[K, V], want ...TestRecord[K, V]) {
	t.Helper()
	got, err := o.ReadRecordsToList()
	if err != nil {
		t.Fatalf("reading %s: %v", o.topic, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("records of %s (-want +got):\n%s", o.topic, diff)
	}
}
