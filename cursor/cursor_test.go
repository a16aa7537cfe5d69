package cursor_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/cursor/cursortest"
)

type kvp = cursor.KeyValue[string, int]

func TestSliceCursorContract(t *testing.T) {
	items := []kvp{{Key: "a", Value: 1}, {Key: "b", Value: 2}, {Key: "c", Value: 3}}
	cursortest.Run(t, func(*testing.T) cursor.Cursor[string, int] { return cursor.FromSlice(items) }, items)
}

func TestEmptyCursorContract(t *testing.T) {
	cursortest.Run(t, func(*testing.T) cursor.Cursor[string, int] { return cursor.Empty[string, int]() }, nil)
}

// failing yields one item and then fails, as a cursor over bad bytes does.
type failing struct {
	cursor.State
	n int
}

var errBoom = errors.New("boom")

func (f *failing) Next() bool {
	if !f.Usable() {
		return false
	}
	f.n++
	if f.n > 1 {
		f.Fail(errBoom)
		return false
	}
	return true
}
func (f *failing) Key() string  { return "k" }
func (f *failing) Value() int   { return f.n }
func (f *failing) Close() error { f.MarkClosed(); return f.Err() }

func TestCollectReturnsItemsAndError(t *testing.T) {
	got, err := cursor.Collect[string, int](&failing{})
	if !errors.Is(err, errBoom) || len(got) != 1 {
		t.Fatalf("Collect = %v, %v; want one item and errBoom", got, err)
	}
}

func TestAllStopsOnErrorAndCloses(t *testing.T) {
	c := &failing{}
	n := 0
	for range cursor.All[string, int](c) {
		n++
	}
	if n != 1 || !errors.Is(c.Err(), errBoom) || !c.IsClosed() {
		t.Fatalf("All: %d items, Err %v, closed %v; want 1, errBoom, true", n, c.Err(), c.IsClosed())
	}
	if err := c.Close(); !errors.Is(err, errBoom) {
		t.Errorf("Close after failure = %v, want the stored errBoom", err)
	}
}

type inv struct{ err error }

func (i *inv) Invalidate(err error) { i.err = err }

func TestTrackerInvalidatesOpenCursors(t *testing.T) {
	var tr cursor.Tracker
	a, b := &inv{}, &inv{}
	tr.Add(a)
	tr.Add(b)
	tr.Remove(a)
	if tr.Open() != 1 {
		t.Fatalf("Open() = %d, want 1", tr.Open())
	}
	closed := errors.New("closed")
	tr.InvalidateAll(closed)
	if a.err != nil || b.err != closed || tr.Open() != 0 {
		t.Fatalf("after InvalidateAll: a=%v b=%v open=%d; want nil, closed, 0", a.err, b.err, tr.Open())
	}
	tr.Remove(b) // removing after invalidation is harmless
}

func ExampleAll() {
	c := cursor.FromSlice([]cursor.KeyValue[string, int]{{Key: "a", Value: 1}, {Key: "b", Value: 2}})
	for k, v := range cursor.All(c) {
		fmt.Println(k, v)
	}
	if err := c.Err(); err != nil { // the loop cannot report errors: check after it
		fmt.Println("error:", err)
	}
	// Output:
	// a 1
	// b 2
}

func ExampleCollect() {
	items, err := cursor.Collect(cursor.FromSlice([]cursor.KeyValue[string, int]{{Key: "x", Value: 9}}))
	fmt.Println(items, err)
	// Output: [{x 9}] <nil>
}
