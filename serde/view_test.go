package serde_test

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/tributary-go/tributary/serde"
)

// String's View shares the string's bytes (no copy) and equals Serialize's output.
func TestStringView(t *testing.T) {
	v, ok := serde.String.(serde.Viewer[string])
	if !ok {
		t.Fatal("serde.String is not a Viewer")
	}
	s := "hello, view"
	b, err := v.View("t", s)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := serde.String.Serialize("t", s)
	if !bytes.Equal(b, want) {
		t.Errorf("View = %q, want %q", b, want)
	}
	if unsafe.SliceData(b) != unsafe.StringData(s) {
		t.Error("View copied the string")
	}
	if b, _ := v.View("t", ""); b == nil || len(b) != 0 {
		t.Errorf(`View("") = %#v, want an empty non-nil slice`, b)
	}
}

// Bytes' DeserializeBorrowed returns its input itself; Deserialize still copies.
func TestBytesBorrow(t *testing.T) {
	br, ok := serde.Bytes.(serde.Borrower[[]byte])
	if !ok {
		t.Fatal("serde.Bytes is not a Borrower")
	}
	in := []byte("abc")
	got, err := br.DeserializeBorrowed("t", in)
	if err != nil || unsafe.SliceData(got) != unsafe.SliceData(in) {
		t.Errorf("DeserializeBorrowed did not return its input")
	}
	if b, _ := br.DeserializeBorrowed("t", nil); b != nil {
		t.Errorf("DeserializeBorrowed(nil) = %#v, want nil", b)
	}
	cp, _ := serde.Bytes.Deserialize("t", in)
	if unsafe.SliceData(cp) == unsafe.SliceData(in) {
		t.Error("Deserialize did not copy")
	}
}
