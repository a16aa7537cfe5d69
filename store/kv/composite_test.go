package kv_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/cursor/cursortest"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// The composite view merges the stores of several tasks into one sorted sequence, whichever
// task holds each key.
func TestCompositeMergesSorted(t *testing.T) {
	var stores []*kv.Store[string, int64]
	for i := range 4 {
		stores = append(stores, kv.New(kv.NewMemory(fmt.Sprintf("s%d", i)), serde.String, serde.Int64))
	}
	r := rand.New(rand.NewPCG(1, 2))
	var want []cursor.KeyValue[string, int64]
	for i := range 200 {
		k := fmt.Sprintf("k%03d", i)
		if err := stores[r.IntN(4)].Put(k, int64(i)); err != nil {
			t.Fatal(err)
		}
		want = append(want, cursor.KeyValue[string, int64]{Key: k, Value: int64(i)})
	}
	c, err := kv.NewComposite(stores)
	if err != nil {
		t.Fatal(err)
	}
	cursortest.Run(t, func(t *testing.T) cursor.Cursor[string, int64] {
		cur, err := c.All()
		if err != nil {
			t.Fatal(err)
		}
		return cur
	}, want)
	rev := slices.Clone(want)
	slices.Reverse(rev)
	cur, _ := c.ReverseAll()
	got, err := cursor.Collect(cur)
	if err != nil || !slices.Equal(got, rev) {
		t.Errorf("ReverseAll: %v (err %v), want %d items descending", len(got), err, len(rev))
	}
	from, to := "k050", "k059"
	cur, _ = c.Range(&from, &to)
	got, _ = cursor.Collect(cur)
	if !slices.Equal(got, want[50:60]) {
		t.Errorf("Range(k050, k059) = %v, want %v", got, want[50:60])
	}
	cur, _ = c.PrefixScan("k19")
	got, _ = cursor.Collect(cur)
	if !slices.Equal(got, want[190:200]) {
		t.Errorf("PrefixScan(k19) = %v", got)
	}
	if v, ok, err := c.Get("k123"); !ok || err != nil || v != 123 {
		t.Errorf("Get(k123) = %d, %v, %v", v, ok, err)
	}
	if _, ok, _ := c.Get("nope"); ok {
		t.Errorf("Get(nope) found")
	}
	if n, _ := c.ApproximateNumEntries(); n != 200 {
		t.Errorf("ApproximateNumEntries = %d, want 200", n)
	}
	cursortest.RunInvalidation(t, func(t *testing.T) cursor.Cursor[string, int64] {
		cur, err := c.All()
		if err != nil {
			t.Fatal(err)
		}
		return cur
	}, func(t *testing.T) {
		for _, s := range stores {
			s.Close()
		}
	}, store.ErrStoreClosed)
	if _, err := kv.NewComposite[string, int64](nil); err == nil {
		t.Error("NewComposite(nil): no error")
	}
}
