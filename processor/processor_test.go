package processor_test

import (
	"errors"
	"testing"

	"github.com/tributary-go/tributary/processor"
)

func TestRecordIsImmutable(t *testing.T) {
	r := processor.NewRecord("k", 1, 100)
	h := processor.Headers{{Key: "a", Value: []byte("1")}}
	r2 := r.WithKey("k2").WithValue(2).WithTimestamp(200).WithHeaders(h)
	if r.Key() != "k" || r.Value() != 1 || r.Timestamp() != 100 || r.Headers() != nil || r.IsTombstone() {
		t.Fatalf("original changed: %+v", r)
	}
	if r2.Key() != "k2" || r2.Value() != 2 || r2.Timestamp() != 200 || len(r2.Headers()) != 1 {
		t.Fatalf("copy = %+v", r2)
	}
	if v, ok := r2.Headers().LastValue("a"); !ok || string(v) != "1" {
		t.Errorf("LastValue(a) = %q, %v", v, ok)
	}
	if r2.WithHeaders(nil).Headers() != nil {
		t.Error("WithHeaders(nil) kept headers")
	}
}

// A tombstone is explicit: IsTombstone, and Value is the zero value.
func TestTombstone(t *testing.T) {
	ts := processor.NewTombstone[string, int]("k", 5)
	if !ts.IsTombstone() || ts.Value() != 0 || ts.Key() != "k" || ts.Timestamp() != 5 {
		t.Fatalf("tombstone = %+v", ts)
	}
	if processor.NewRecord("k", 0, 5).IsTombstone() {
		t.Error("a record whose value is the zero value is a tombstone")
	}
	r := processor.NewRecord("k", 7, 5).WithTombstone()
	if !r.IsTombstone() || r.Value() != 0 {
		t.Errorf("WithTombstone = %+v", r)
	}
	if back := r.WithValue(3); back.IsTombstone() || back.Value() != 3 {
		t.Errorf("WithValue after WithTombstone = %+v", back)
	}
	if mk := processor.MakeRecord("k", true, 9, false, 1, nil); !mk.IsTombstone() || mk.Value() != 0 {
		t.Errorf("MakeRecord(hasValue=false) = %+v", mk)
	}
}

// A Kafka null key is explicit too: HasKey is false and Key is the zero value.
func TestNullKey(t *testing.T) {
	r := processor.MakeRecord("ignored", false, 1, true, 0, nil)
	if r.HasKey() || r.Key() != "" {
		t.Fatalf("null-key record = %+v", r)
	}
	if !r.WithKey("k").HasKey() || r.WithKey("k").WithoutKey().HasKey() {
		t.Error("WithKey/WithoutKey")
	}
	if processor.Revalue(r, "v").HasKey() || processor.RevalueTombstone[string](r).HasKey() {
		t.Error("Revalue gave a key to a null-key record")
	}
	if !processor.Rekey(r, 5).HasKey() || !processor.NewRecord("", 0, 0).HasKey() {
		t.Error("Rekey/NewRecord must have a key (the empty string is a key)")
	}
}

func TestRekeyRevalue(t *testing.T) {
	r := processor.NewRecord("k", 1, 10).WithHeaders(processor.Headers{{Key: "h"}})
	rk := processor.Rekey(r, int64(42))
	if rk.Key() != 42 || rk.Value() != 1 || rk.Timestamp() != 10 || len(rk.Headers()) != 1 {
		t.Errorf("Rekey = %+v", rk)
	}
	rv := processor.Revalue(r, "one")
	if rv.Value() != "one" || rv.Key() != "k" || rv.IsTombstone() {
		t.Errorf("Revalue = %+v", rv)
	}
	if tv := processor.RevalueTombstone[string](r); !tv.IsTombstone() || tv.Key() != "k" {
		t.Errorf("RevalueTombstone = %+v", tv)
	}
	f := processor.FixedKey(r)
	f2 := processor.RevalueFixed(f, 2.5)
	if f2.Key() != "k" || f2.Value() != 2.5 || f2.Record().Timestamp() != 10 {
		t.Errorf("RevalueFixed = %+v", f2)
	}
	if !f.WithTombstone().IsTombstone() || f.WithValue(5).Value() != 5 || f.WithTimestamp(3).Timestamp() != 3 {
		t.Error("FixedKeyRecord With* wrong")
	}
}

func TestTaskID(t *testing.T) {
	id := processor.TaskID{Subtopology: 3, Partition: 12}
	if id.String() != "3_12" {
		t.Fatalf("String() = %q", id.String())
	}
	back, err := processor.ParseTaskID("3_12")
	if err != nil || back != id {
		t.Fatalf("ParseTaskID = %v, %v", back, err)
	}
	for _, bad := range []string{"", "3", "_1", "a_1", "1_b", "-1_2", "1_-2"} {
		if _, err := processor.ParseTaskID(bad); err == nil {
			t.Errorf("ParseTaskID(%q) accepted", bad)
		}
	}
	if processor.StreamTime.String() != "STREAM_TIME" || processor.WallClockTime.String() != "WALL_CLOCK_TIME" {
		t.Error("PunctuationType names")
	}
}

func TestErrorsName(t *testing.T) {
	cause := errors.New("boom")
	de := &processor.DeserializationError{Node: "src", Topic: "orders", Partition: 2, Offset: 17, Err: cause}
	if de.Error() != "deserializing record at orders-2 offset 17 (source src): boom" || !errors.Is(de, cause) {
		t.Errorf("DeserializationError = %q", de.Error())
	}
	pe := &processor.ProcessingError{Task: processor.TaskID{Subtopology: 1}, Node: "count", HasInput: true,
		Record: processor.RecordMetadata{Topic: "orders", Partition: 0, Offset: 5}, Err: cause}
	if pe.Error() != "task 1_0, processor count, record orders-0 offset 5: boom" || !errors.Is(pe, cause) {
		t.Errorf("ProcessingError = %q", pe.Error())
	}
	if processor.LogAndContinue(de) != processor.Continue || processor.LogAndFail(de) != processor.Fail {
		t.Error("handlers")
	}
}
