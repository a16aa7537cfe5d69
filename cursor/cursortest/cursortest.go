// Package cursortest checks that a cursor implementation follows the contract of package
// cursor. A store's tests call [Run] with a function that opens a fresh cursor over known
// items, and [RunInvalidation] with one that closes the store under an open cursor.
package cursortest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
)

// Run checks the cursor contract on cursors returned by open, each of which must yield exactly
// want, in order. It runs subtests: a full read, reading past the end, closing twice, closing
// without reading, closing part-way, use after close, and the All and Collect adapters.
// Options are passed to cmp.Diff to compare items.
func Run[K, V any](t *testing.T, open func(t *testing.T) cursor.Cursor[K, V], want []cursor.KeyValue[K, V], opts ...cmp.Option) {
	t.Helper()
	t.Run("FullRead", func(t *testing.T) {
		c := open(t)
		var got []cursor.KeyValue[K, V]
		for c.Next() {
			got = append(got, cursor.KeyValue[K, V]{Key: c.Key(), Value: c.Value()})
		}
		if err := c.Err(); err != nil {
			t.Fatalf("Err() after full read = %v, want nil", err)
		}
		if diff := cmp.Diff(want, got, opts...); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		for i := 0; i < 3; i++ {
			if c.Next() {
				t.Fatalf("Next() after the end returned true (call %d)", i+1)
			}
		}
		if err := c.Err(); err != nil {
			t.Errorf("Err() after reading past the end = %v, want nil", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close() = %v, want nil", err)
		}
	})
	t.Run("CloseWithoutReading", func(t *testing.T) {
		c := open(t)
		if err := c.Close(); err != nil {
			t.Fatalf("Close() before Next = %v, want nil", err)
		}
		assertUsedAfterClose(t, c)
	})
	t.Run("ClosePartWay", func(t *testing.T) {
		c := open(t)
		if len(want) > 0 {
			if !c.Next() {
				t.Fatalf("first Next() = false, want true (err %v)", c.Err())
			}
			if diff := cmp.Diff(want[0], cursor.KeyValue[K, V]{Key: c.Key(), Value: c.Value()}, opts...); diff != "" {
				t.Errorf("first item (-want +got):\n%s", diff)
			}
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close() part-way = %v, want nil", err)
		}
		assertUsedAfterClose(t, c)
	})
	t.Run("All", func(t *testing.T) {
		c := open(t)
		var got []cursor.KeyValue[K, V]
		for k, v := range cursor.All(c) {
			got = append(got, cursor.KeyValue[K, V]{Key: k, Value: v})
		}
		if err := c.Err(); err != nil {
			t.Fatalf("Err() after All = %v", err)
		}
		if diff := cmp.Diff(want, got, opts...); diff != "" {
			t.Errorf("All items (-want +got):\n%s", diff)
		}
		// All closed the cursor: using it is now an error.
		assertUsedAfterClose(t, c)
	})
	t.Run("AllBreak", func(t *testing.T) {
		c := open(t)
		n := 0
		for range cursor.All(c) {
			n++
			break
		}
		if len(want) > 0 && n != 1 {
			t.Fatalf("loop ran %d times before break, want 1", n)
		}
		assertUsedAfterClose(t, c)
	})
	t.Run("Collect", func(t *testing.T) {
		got, err := cursor.Collect(open(t))
		if err != nil {
			t.Fatalf("Collect: %v", err)
		}
		if diff := cmp.Diff(want, got, opts...); diff != "" {
			t.Errorf("Collect items (-want +got):\n%s", diff)
		}
	})
}

func assertUsedAfterClose[K, V any](t *testing.T, c cursor.Cursor[K, V]) {
	t.Helper()
	if c.Next() {
		t.Fatalf("Next() after Close returned true")
	}
	if err := c.Err(); !errors.Is(err, cursor.ErrClosed) {
		t.Errorf("Err() after using a closed cursor = %v, want cursor.ErrClosed", err)
	}
	var zk K
	var zv V
	if diff := cmp.Diff(cursor.KeyValue[K, V]{Key: zk, Value: zv}, cursor.KeyValue[K, V]{Key: c.Key(), Value: c.Value()}); diff != "" {
		t.Errorf("Key/Value after Close are not zero (-want +got):\n%s", diff)
	}
	_ = c.Close() // harmless
}

// RunInvalidation checks that closing the store under an open cursor invalidates it: open must
// return a cursor with at least two items, and closeStore closes the store it reads. After
// that, Next returns false, Err and Close return an error matching storeClosed (errors.Is),
// a second Close is harmless, and nothing crashes.
func RunInvalidation[K, V any](t *testing.T, open func(t *testing.T) cursor.Cursor[K, V], closeStore func(t *testing.T), storeClosed error) {
	t.Helper()
	c := open(t)
	if !c.Next() {
		t.Fatalf("first Next() = false (err %v), want an item", c.Err())
	}
	closeStore(t)
	if c.Next() {
		t.Fatalf("Next() after the store closed returned true")
	}
	if err := c.Err(); !errors.Is(err, storeClosed) {
		t.Errorf("Err() after the store closed = %v, want %v", err, storeClosed)
	}
	if err := c.Close(); !errors.Is(err, storeClosed) {
		t.Errorf("Close() after the store closed = %v, want %v", err, storeClosed)
	}
	if err := c.Close(); !errors.Is(err, storeClosed) {
		t.Errorf("second Close() = %v, want %v", err, storeClosed)
	}
	if c.Next() {
		t.Errorf("Next() after Close returned true")
	}
}
