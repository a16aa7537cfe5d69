package window_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/cursor/cursortest"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/window"
)

type wkv = cursor.KeyValue[serde.Windowed[string], int64]

func w(k string, start, v int64) wkv {
	return wkv{Key: serde.Windowed[string]{Key: k, Start: start, End: start + 10}, Value: v}
}

// Two tasks' stores, as interactive queries see them: one sorted sequence (Kafka's
// CompositeReadOnlyWindowStore, but merged by store key instead of store after store).
func TestComposite(t *testing.T) {
	b := newBuilder(t, window.Options{WindowSize: 10 * time.Millisecond})
	var stores []*window.Store[string, int64]
	for range 2 {
		st, err := b.Build("")
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, st.(*window.Store[string, int64]))
		t.Cleanup(func() { _ = st.Close() })
	}
	put := func(i int, k string, start, v int64) {
		if err := stores[i].Put(k, v, start); err != nil {
			t.Fatal(err)
		}
	}
	put(0, "a", 0, 1)
	put(1, "b", 0, 2)
	put(0, "a", 20, 3)
	put(1, "c", 10, 4)
	put(0, "d", 30, 5)
	c, err := window.NewComposite(stores)
	if err != nil {
		t.Fatal(err)
	}
	all := []wkv{w("a", 0, 1), w("a", 20, 3), w("b", 0, 2), w("c", 10, 4), w("d", 30, 5)}
	rev := func(s []wkv) []wkv {
		out := make([]wkv, 0, len(s))
		for i := len(s) - 1; i >= 0; i-- {
			out = append(out, s[i])
		}
		return out
	}
	windowed := func(name string, open func() (cursor.Cursor[serde.Windowed[string], int64], error), want []wkv) {
		t.Run(name, func(t *testing.T) {
			cursortest.Run(t, func(t *testing.T) cursor.Cursor[serde.Windowed[string], int64] {
				c, err := open()
				if err != nil {
					t.Fatal(err)
				}
				return c
			}, want)
		})
	}
	windowed("All", c.All, all)
	windowed("BackwardAll", c.BackwardAll, rev(all))
	windowed("FetchAll", func() (cursor.Cursor[serde.Windowed[string], int64], error) { return c.FetchAll(0, 10) }, []wkv{all[0], all[2], all[3]})
	windowed("BackwardFetchAll", func() (cursor.Cursor[serde.Windowed[string], int64], error) { return c.BackwardFetchAll(0, 10) }, []wkv{all[3], all[2], all[0]})
	windowed("FetchKeyRange", func() (cursor.Cursor[serde.Windowed[string], int64], error) {
		return c.FetchKeyRange(new("a"), new("c"), 0, 20)
	}, all[:4])
	windowed("BackwardFetchKeyRange", func() (cursor.Cursor[serde.Windowed[string], int64], error) {
		return c.BackwardFetchKeyRange(new("b"), nil, 0, math.MaxInt64)
	}, rev(all[2:]))
	t.Run("Fetch", func(t *testing.T) {
		put(1, "a", 10, 6) // the same key in another task (cannot happen in an application)
		f, err := c.Fetch("a", 0, 100)
		got, err2 := cursor.Collect(f)
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		want := []cursor.KeyValue[int64, int64]{{Key: 0, Value: 1}, {Key: 10, Value: 6}, {Key: 20, Value: 3}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Fetch (-want +got):\n%s", diff)
		}
		f, err = c.BackwardFetch("a", 0, 100)
		got, err2 = cursor.Collect(f)
		if err != nil || err2 != nil || len(got) != 3 || got[0].Key != 20 {
			t.Errorf("BackwardFetch = %v, %v, %v", got, err, err2)
		}
	})
	t.Run("Get", func(t *testing.T) {
		if v, ok, err := c.Get("c", 10); err != nil || !ok || v != 4 {
			t.Errorf("Get(c, 10) = %d, %v, %v", v, ok, err)
		}
		if _, ok, err := c.Get("c", 11); err != nil || ok {
			t.Errorf("Get(c, 11) = %v, %v", ok, err)
		}
	})
	t.Run("ClosedStore", func(t *testing.T) {
		st, _ := b.Build("")
		s := st.(*window.Store[string, int64])
		s.Close()
		cc, _ := window.NewComposite([]*window.Store[string, int64]{stores[0], s})
		if _, err := cc.All(); !errors.Is(err, store.ErrStoreClosed) {
			t.Errorf("All over a closed store: %v", err)
		}
	})
	if _, err := window.NewComposite[string, int64](nil); err == nil {
		t.Error("NewComposite of no stores: no error")
	}
	other := newBuilder(t, window.Options{WindowSize: time.Second})
	st, _ := other.Build("")
	defer st.Close()
	if _, err := window.NewComposite([]*window.Store[string, int64]{stores[0], st.(*window.Store[string, int64])}); err == nil {
		t.Error("NewComposite of stores with different window sizes: no error")
	}
}
