package testutil

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/processor"
)

// The captured records keep nil and empty keys and values apart, tombstones apart from nil
// values, their headers (nil or not), and bytes of every size; bytes already read stay
// intact after the queue is cleared and refilled.
func TestOutQueueKeepsRecordsExactly(t *testing.T) {
	type rec struct {
		key, value []byte
		tombstone  bool
		ts         int64
		headers    processor.Headers
	}
	large := []byte(strings.Repeat("x", arenaLarge+1))
	recs := []rec{
		{key: nil, value: []byte("v"), ts: 1},
		{key: []byte{}, value: []byte{}, ts: 2, headers: processor.Headers{}},
		{key: []byte("k"), value: nil, ts: 3},
		{key: []byte("k"), tombstone: true, ts: 4, headers: processor.Headers{{Key: "h", Value: []byte("1")}}},
		{key: large, value: large, ts: 5},
	}
	for range 2 * arenaChunk / 64 { // past a chunk of bytes and of records
		recs = append(recs, rec{key: bytes.Repeat([]byte("a"), 31), value: bytes.Repeat([]byte("b"), 33), ts: 6})
	}
	var q outQueue
	for round := range 2 {
		for _, r := range recs {
			q.add(r.key, r.value, r.tombstone, r.ts, r.headers)
		}
		if q.size() != len(recs) {
			t.Fatalf("round %d: size %d, want %d", round, q.size(), len(recs))
		}
		var read [][]byte
		for i, want := range recs {
			k, v, tomb, ts, h := q.next()
			if (k == nil) != (want.key == nil) || !bytes.Equal(k, want.key) || (v == nil) != (want.value == nil) ||
				!bytes.Equal(v, want.value) || tomb != want.tombstone || ts != want.ts ||
				(h == nil) != (want.headers == nil) || len(h) != len(want.headers) {
				t.Fatalf("round %d: record %d = %q %q %v %d %v, want %+v", round, i, k, v, tomb, ts, h, want)
			}
			if cap(k) != len(k) || cap(v) != len(v) {
				t.Errorf("round %d: record %d: bytes not capped", round, i)
			}
			read = append(read, k, v)
		}
		if q.size() != 0 {
			t.Fatalf("round %d: size %d after reading everything", round, q.size())
		}
		q.add([]byte("zz"), []byte("zz"), false, 0, nil)
		q.clear()
		q.add(bytes.Repeat([]byte("z"), 64), nil, true, 0, nil)
		for i, b := range read {
			if want := recs[i/2].key; i%2 == 1 {
				if want = recs[i/2].value; !bytes.Equal(b, want) {
					t.Fatalf("round %d: value %d overwritten: %q", round, i/2, b)
				}
			} else if !bytes.Equal(b, want) {
				t.Fatalf("round %d: key %d overwritten: %q", round, i/2, b)
			}
		}
		q.clear()
	}
}

// bump's copies are equal, capped, apart, and keep nil and empty apart.
func TestBumpCopies(t *testing.T) {
	var a bump
	if a.copy(nil) != nil {
		t.Error("copy(nil) is not nil")
	}
	if b := a.copy([]byte{}); b == nil || len(b) != 0 {
		t.Errorf("copy(empty) = %#v", b)
	}
	var got [][]byte
	var want [][]byte
	for i := range 3000 {
		src := bytes.Repeat([]byte{byte(i)}, 1+i%40)
		if i%1000 == 0 {
			src = bytes.Repeat([]byte{byte(i)}, arenaLarge+1)
		}
		b := a.copy(src)
		if cap(b) != len(b) || &b[0] == &src[0] {
			t.Fatalf("copy %d: capped %v, shares its source %v", i, cap(b) == len(b), &b[0] == &src[0])
		}
		got, want = append(got, b), append(want, bytes.Clone(src))
		clear(src)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("copy %d = %v, want %v", i, got[i], want[i])
		}
	}
}
