// Package kvtest is the contract suite that every key-value engine passes: [RunEngine] checks
// each operation of kv.Engine (Kafka Streams' KeyValueStore semantics), the cursor contract
// and the closed-store rules; [RunModel] checks a long run of random operations against a
// plain reference (a map plus sorted keys).
package kvtest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/cursor/cursortest"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// Opener returns a new, empty, open engine. The suite closes it (and may close it twice);
// cleanup of files is the opener's job (t.TempDir does it).
type Opener func(t *testing.T) kv.Engine

type kvb = cursor.KeyValue[[]byte, []byte]

func b(s string) []byte { return []byte(s) }

func mustPut(t *testing.T, e kv.Engine, kvs ...string) {
	t.Helper()
	for i := 0; i+1 < len(kvs); i += 2 {
		if err := e.Put(b(kvs[i]), b(kvs[i+1])); err != nil {
			t.Fatalf("Put(%q): %v", kvs[i], err)
		}
	}
}

// collect reads a cursor, copying keys and values (they are valid only until Next).
func collect(t *testing.T) func(c kv.Bytes, err error) []kvb {
	return func(c kv.Bytes, err error) []kvb {
		t.Helper()
		return collectCursor(t, c, err)
	}
}

func collectCursor(t *testing.T, c kv.Bytes, err error) []kvb {
	t.Helper()
	if err != nil {
		t.Fatalf("opening cursor: %v", err)
	}
	var out []kvb
	for c.Next() {
		out = append(out, kvb{Key: bytes.Clone(c.Key()), Value: bytes.Clone(c.Value())})
	}
	if err := c.Err(); err != nil {
		t.Fatalf("cursor: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("cursor Close: %v", err)
	}
	return out
}

func keysOf(items []kvb) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, string(it.Key))
	}
	return out
}

func checkKeys(t *testing.T, what string, got []kvb, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, keysOf(got)); diff != "" {
		t.Errorf("%s keys (-want +got):\n%s", what, diff)
	}
}

func checkGet(t *testing.T, e kv.Engine, key, want string, wantFound bool) {
	t.Helper()
	v, found, err := e.Get(b(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if found != wantFound || (found && string(v) != want) {
		t.Fatalf("Get(%q) = %q, %v; want %q, %v", key, v, found, want, wantFound)
	}
}

func openT(t *testing.T, open Opener) kv.Engine {
	t.Helper()
	e := open(t)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// RunEngine runs the contract suite against engines returned by open.
func RunEngine(t *testing.T, open Opener) {
	t.Run("Empty", func(t *testing.T) {
		e := openT(t, open)
		if e.Name() == "" {
			t.Error("Name() is empty")
		}
		if !e.IsOpen() {
			t.Error("IsOpen() = false on a new engine")
		}
		checkGet(t, e, "missing", "", false)
		n, err := e.ApproximateNumEntries()
		if err != nil || n != 0 {
			t.Errorf("ApproximateNumEntries() = %d, %v; want 0", n, err)
		}
		checkKeys(t, "All", collect(t)(e.Range(nil, nil, false)))
		checkKeys(t, "ReverseAll", collect(t)(e.Range(nil, nil, true)))
		checkKeys(t, "PrefixScan", collect(t)(e.PrefixScan(b("a"))))
	})

	t.Run("PutGetOverwrite", func(t *testing.T) {
		e := openT(t, open)
		mustPut(t, e, "a", "1", "b", "2")
		checkGet(t, e, "a", "1", true)
		checkGet(t, e, "b", "2", true)
		mustPut(t, e, "a", "3")
		checkGet(t, e, "a", "3", true)
		checkGet(t, e, "c", "", false)
	})

	t.Run("EmptyKeyAndValue", func(t *testing.T) {
		e := openT(t, open)
		if err := e.Put([]byte{}, b("empty-key")); err != nil {
			t.Fatalf("Put(empty key): %v", err)
		}
		if err := e.Put(b("k"), nil); err != nil {
			t.Fatalf("Put(nil value): %v", err)
		}
		checkGet(t, e, "", "empty-key", true)
		// An empty value is a value, not a tombstone: the key exists.
		checkGet(t, e, "k", "", true)
		checkKeys(t, "All", collect(t)(e.Range(nil, nil, false)), "", "k")
		// An empty non-nil bound is the empty key, not an open bound.
		checkKeys(t, "Range(empty, empty)", collect(t)(e.Range([]byte{}, []byte{}, false)), "")
	})

	t.Run("InputNotRetained", func(t *testing.T) {
		e := openT(t, open)
		k, v := b("key"), b("value")
		if err := e.Put(k, v); err != nil {
			t.Fatal(err)
		}
		copy(k, "XXX")
		copy(v, "YYYYY")
		checkGet(t, e, "key", "value", true)
		batch := []kv.Entry{{Key: b("bk"), Value: b("bv")}}
		if err := e.Write(batch); err != nil {
			t.Fatal(err)
		}
		copy(batch[0].Key, "ZZ")
		copy(batch[0].Value, "ZZ")
		checkGet(t, e, "bk", "bv", true)
	})

	t.Run("PutIfAbsent", func(t *testing.T) {
		e := openT(t, open)
		old, found, err := e.PutIfAbsent(b("a"), b("1"))
		if err != nil || found || old != nil {
			t.Fatalf("PutIfAbsent(absent) = %q, %v, %v; want nil, false, nil", old, found, err)
		}
		checkGet(t, e, "a", "1", true)
		old, found, err = e.PutIfAbsent(b("a"), b("2"))
		if err != nil || !found || string(old) != "1" {
			t.Fatalf("PutIfAbsent(present) = %q, %v, %v; want \"1\", true, nil", old, found, err)
		}
		checkGet(t, e, "a", "1", true) // not overwritten
	})

	t.Run("Delete", func(t *testing.T) {
		e := openT(t, open)
		mustPut(t, e, "a", "1", "b", "2")
		old, found, err := e.Delete(b("a"))
		if err != nil || !found || string(old) != "1" {
			t.Fatalf("Delete(a) = %q, %v, %v; want \"1\", true, nil", old, found, err)
		}
		checkGet(t, e, "a", "", false)
		old, found, err = e.Delete(b("a"))
		if err != nil || found || old != nil {
			t.Fatalf("Delete(missing) = %q, %v, %v; want nil, false, nil", old, found, err)
		}
		checkKeys(t, "All", collect(t)(e.Range(nil, nil, false)), "b")
	})

	t.Run("WriteBatchInOrder", func(t *testing.T) {
		e := openT(t, open)
		mustPut(t, e, "x", "0")
		err := e.Write([]kv.Entry{
			{Key: b("a"), Value: b("1")},
			{Key: b("a"), Delete: true},
			{Key: b("b"), Value: b("2")},
			{Key: b("b"), Value: b("3")},
			{Key: b("x"), Delete: true},
			{Key: b("c"), Value: b("4")},
		})
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		checkGet(t, e, "a", "", false)
		checkGet(t, e, "b", "3", true)
		checkGet(t, e, "x", "", false)
		checkKeys(t, "All", collect(t)(e.Range(nil, nil, false)), "b", "c")
		if err := e.Write(nil); err != nil {
			t.Fatalf("Write(nil): %v", err)
		}
	})

	// Kafka Streams' KeyValueStore.range: both bounds inclusive; null bounds open (KIP-763);
	// from > to gives an empty iterator.
	t.Run("Range", func(t *testing.T) {
		e := openT(t, open)
		mustPut(t, e, "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
		cases := []struct {
			from, to []byte
			want     []string
		}{
			{b("b"), b("d"), []string{"b", "c", "d"}},
			{nil, b("c"), []string{"a", "b", "c"}},
			{b("c"), nil, []string{"c", "d", "e"}},
			{nil, nil, []string{"a", "b", "c", "d", "e"}},
			{b("c"), b("c"), []string{"c"}},
			{b("bb"), b("dd"), []string{"c", "d"}},
			{b("0"), b("z"), []string{"a", "b", "c", "d", "e"}},
			{b("d"), b("b"), nil},
			{b("f"), b("z"), nil},
			{b("cc"), b("cd"), nil},
		}
		for _, tc := range cases {
			what := fmt.Sprintf("Range(%q, %q)", tc.from, tc.to)
			checkKeys(t, what, collect(t)(e.Range(tc.from, tc.to, false)), tc.want...)
			rev := slices.Clone(tc.want)
			slices.Reverse(rev)
			checkKeys(t, "Reverse"+what, collect(t)(e.Range(tc.from, tc.to, true)), rev...)
		}
		got := collect(t)(e.Range(b("b"), b("c"), false))
		want := []kvb{{Key: b("b"), Value: b("2")}, {Key: b("c"), Value: b("3")}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Range values (-want +got):\n%s", diff)
		}
	})

	t.Run("ByteOrder", func(t *testing.T) {
		e := openT(t, open)
		keys := []string{"b", "a\x00", "a", "ab", "\xff", "\x00", "a\xff", "\xff\xff", "B", "aa"}
		for i, k := range keys {
			mustPut(t, e, k, fmt.Sprint(i))
		}
		want := slices.Clone(keys)
		slices.Sort(want) // Go string order is byte order
		checkKeys(t, "All", collect(t)(e.Range(nil, nil, false)), want...)
		slices.Reverse(want)
		checkKeys(t, "ReverseAll", collect(t)(e.Range(nil, nil, true)), want...)
	})

	t.Run("PrefixScan", func(t *testing.T) {
		e := openT(t, open)
		mustPut(t, e, "a", "", "ab", "", "abc", "", "abd", "", "ac", "", "b", "", "\xff", "", "\xff\xff", "", "\xff\x00", "")
		checkKeys(t, "PrefixScan(ab)", collect(t)(e.PrefixScan(b("ab"))), "ab", "abc", "abd")
		checkKeys(t, "PrefixScan(a)", collect(t)(e.PrefixScan(b("a"))), "a", "ab", "abc", "abd", "ac")
		checkKeys(t, "PrefixScan(\\xff)", collect(t)(e.PrefixScan(b("\xff"))), "\xff", "\xff\x00", "\xff\xff")
		checkKeys(t, "PrefixScan(zz)", collect(t)(e.PrefixScan(b("zz"))))
		all := collect(t)(e.PrefixScan(nil))
		if len(all) != 9 {
			t.Errorf("PrefixScan(nil) returned %d keys, want all 9", len(all))
		}
	})

	t.Run("ApproximateNumEntries", func(t *testing.T) {
		e := openT(t, open)
		for i := 0; i < 100; i++ {
			mustPut(t, e, fmt.Sprintf("k%03d", i), "v")
		}
		n, err := e.ApproximateNumEntries()
		if err != nil {
			t.Fatal(err)
		}
		if e.Persistent() {
			if n <= 0 || n > 200 {
				t.Errorf("ApproximateNumEntries() = %d after 100 puts, want an estimate near 100", n)
			}
		} else if n != 100 {
			t.Errorf("ApproximateNumEntries() = %d, want 100", n)
		}
		if err := e.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	})

	t.Run("Cursor", func(t *testing.T) {
		e := openT(t, open)
		mustPut(t, e, "a", "1", "b", "2", "c", "3", "d", "4")
		want := []kvb{{Key: b("b"), Value: b("2")}, {Key: b("c"), Value: b("3")}}
		cursortest.Run(t, func(t *testing.T) cursor.Cursor[[]byte, []byte] {
			c, err := e.Range(b("b"), b("c"), false)
			if err != nil {
				t.Fatal(err)
			}
			return copying{c}
		}, want)
		cursortest.Run(t, func(t *testing.T) cursor.Cursor[[]byte, []byte] {
			c, err := e.Range(b("x"), b("z"), false)
			if err != nil {
				t.Fatal(err)
			}
			return copying{c}
		}, nil)
		if oc, ok := e.(kv.OpenCursorCounter); ok {
			if n := oc.OpenCursors(); n != 0 {
				t.Errorf("OpenCursors() = %d after every cursor was closed, want 0", n)
			}
			c1, _ := e.Range(nil, nil, false)
			c2, _ := e.PrefixScan(b("a"))
			if n := oc.OpenCursors(); n != 2 {
				t.Errorf("OpenCursors() = %d with two open, want 2", n)
			}
			_ = c1.Close()
			_ = c1.Close()
			if n := oc.OpenCursors(); n != 1 {
				t.Errorf("OpenCursors() = %d after closing one twice, want 1", n)
			}
			_ = c2.Close()
		}
	})

	// Writes while a cursor is open must not crash it or make it repeat or reorder keys. (A
	// RocksDB cursor reads a snapshot; an in-memory one sees later writes after its position.)
	t.Run("WriteDuringIteration", func(t *testing.T) {
		for _, reverse := range []bool{false, true} {
			e := openT(t, open)
			for i := 0; i < 50; i++ {
				mustPut(t, e, fmt.Sprintf("k%02d", i), "v")
			}
			c, err := e.Range(nil, nil, reverse)
			if err != nil {
				t.Fatal(err)
			}
			var seen []string
			deleted := map[string]bool{}
			for i := 0; c.Next(); i++ {
				seen = append(seen, string(c.Key()))
				if i%3 == 0 {
					mustPut(t, e, fmt.Sprintf("k%02d5", i), "new")
					d := fmt.Sprintf("k%02d", 49-i)
					_, _, _ = e.Delete(b(d))
					deleted[d] = true
				}
			}
			if err := c.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			for i := 1; i < len(seen); i++ {
				if (!reverse && seen[i-1] >= seen[i]) || (reverse && seen[i-1] <= seen[i]) {
					t.Fatalf("reverse=%v: cursor went out of order or repeated: %q then %q", reverse, seen[i-1], seen[i])
				}
			}
			// Every key that was there when the cursor opened and was never deleted is seen.
			for i := 0; i < 50; i++ {
				k := fmt.Sprintf("k%02d", i)
				if !deleted[k] && !slices.Contains(seen, k) {
					t.Fatalf("reverse=%v: key %q, present throughout, was not returned", reverse, k)
				}
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		e := openT(t, open)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 300; i++ {
					k := b(fmt.Sprintf("w%d-%03d", w, i))
					if err := e.Put(k, k); err != nil {
						t.Error(err)
						return
					}
					if i%10 == 0 {
						c, err := e.Range(nil, nil, w%2 == 0)
						if err != nil {
							t.Error(err)
							return
						}
						for c.Next() {
						}
						if err := c.Close(); err != nil {
							t.Error(err)
						}
					}
					if _, _, err := e.Get(k); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		got := collect(t)(e.Range(nil, nil, false))
		if len(got) != 1200 {
			t.Errorf("after concurrent puts: %d keys, want 1200", len(got))
		}
	})

	// Closing the engine while other goroutines use it and its cursors: no crash, no torn
	// values, and every failure is the closed-store error.
	t.Run("CloseUnderLoad", func(t *testing.T) {
		for round := 0; round < 20; round++ {
			e := open(t)
			for i := 0; i < 200; i++ {
				k := b(fmt.Sprintf("key-%03d", i))
				_ = e.Put(k, k)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for w := 0; w < 3; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for j := 0; j < 50; j++ {
						c, err := e.Range(nil, nil, w == 1)
						if err != nil {
							if !errors.Is(err, store.ErrStoreClosed) {
								t.Errorf("Range: %v", err)
							}
							return
						}
						for c.Next() {
							if !bytes.Equal(c.Key(), c.Value()) {
								t.Errorf("torn item: key %q value %q", c.Key(), c.Value())
							}
						}
						if err := c.Close(); err != nil && !errors.Is(err, store.ErrStoreClosed) {
							t.Errorf("cursor Close: %v", err)
						}
						if _, _, err := e.Get(b("key-007")); err != nil && !errors.Is(err, store.ErrStoreClosed) {
							t.Errorf("Get: %v", err)
						}
					}
				}()
			}
			close(start)
			for i := 0; i < round*5; i++ {
				_, _, _ = e.Get(b("key-001"))
			}
			if err := e.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			wg.Wait()
		}
	})

	t.Run("Closed", func(t *testing.T) {
		e := open(t)
		mustPut(t, e, "a", "1", "b", "2")
		empty, err := e.Range(b("z"), b("a"), false) // from > to: empty, but still invalidated
		if err != nil {
			t.Fatal(err)
		}
		cursortest.RunInvalidation(t, func(t *testing.T) cursor.Cursor[[]byte, []byte] {
			c, err := e.Range(nil, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, func(t *testing.T) {
			if err := e.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}, store.ErrStoreClosed)
		if e.IsOpen() {
			t.Error("IsOpen() = true after Close")
		}
		if empty.Next() || !errors.Is(empty.Err(), store.ErrStoreClosed) {
			t.Errorf("empty cursor after the store closed: Err() = %v, want store.ErrStoreClosed", empty.Err())
		}
		if err := empty.Close(); !errors.Is(err, store.ErrStoreClosed) {
			t.Errorf("empty cursor Close() after the store closed = %v, want store.ErrStoreClosed", err)
		}
		if err := e.Close(); err != nil {
			t.Errorf("second Close() = %v, want nil", err)
		}
		if oc, ok := e.(kv.OpenCursorCounter); ok && oc.OpenCursors() != 0 {
			t.Errorf("OpenCursors() = %d after Close, want 0", oc.OpenCursors())
		}
		ops := map[string]func() error{
			"Get":         func() error { _, _, err := e.Get(b("a")); return err },
			"Put":         func() error { return e.Put(b("a"), b("1")) },
			"PutIfAbsent": func() error { _, _, err := e.PutIfAbsent(b("z"), b("1")); return err },
			"Delete":      func() error { _, _, err := e.Delete(b("a")); return err },
			"Write":       func() error { return e.Write([]kv.Entry{{Key: b("a")}}) },
			"Range":       func() error { _, err := e.Range(nil, nil, false); return err },
			"PrefixScan":  func() error { _, err := e.PrefixScan(b("a")); return err },
			"ApproximateNumEntries": func() error {
				_, err := e.ApproximateNumEntries()
				return err
			},
			"Flush": e.Flush,
		}
		for name, op := range ops {
			err := op()
			if !errors.Is(err, store.ErrStoreClosed) {
				t.Errorf("%s after Close = %v, want store.ErrStoreClosed", name, err)
				continue
			}
			if !strings.Contains(err.Error(), e.Name()) {
				t.Errorf("%s after Close: error %q does not name the store %q", name, err, e.Name())
			}
		}
	})
}

// copying copies keys and values, which engines may reuse after Next.
type copying struct{ kv.Bytes }

func (c copying) Key() []byte {
	if k := c.Bytes.Key(); k != nil {
		return bytes.Clone(k)
	}
	return nil
}

func (c copying) Value() []byte {
	if v := c.Bytes.Value(); v != nil {
		return bytes.Clone(v)
	}
	return nil
}
