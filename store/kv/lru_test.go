package kv_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/kv/kvtest"
)

func TestNewLRURejectsNonPositiveSize(t *testing.T) {
	for _, n := range []int{0, -1} {
		_, err := kv.NewLRU("bad", n)
		var se *store.Error
		if !errors.As(err, &se) || se.Store != "bad" {
			t.Errorf("NewLRU(%d) error = %v, want a *store.Error naming the store", n, err)
		}
	}
}

// Kafka Streams' MemoryLRUCache (Stores.lruMap) keeps a LinkedHashMap in access order and
// removes the eldest entry when a put makes it exceed maxCacheSize, telling its eldest-removed
// listener. With capacity 3: put a, b, c; get a; put d evicts b (the least recently used); put
// e evicts c; delete a is not an eviction.
func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	l, err := kv.NewLRU("lru", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var evicted []string
	l.SetEvictionListener(func(k, v []byte) { evicted = append(evicted, string(k)+"="+string(v)) })
	for _, k := range []string{"a", "b", "c"} {
		if err := l.Put([]byte(k), []byte(k+"1")); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.Get([]byte("a")); err != nil {
		t.Fatal(err)
	}
	_ = l.Put([]byte("d"), []byte("d1"))
	_ = l.Put([]byte("e"), []byte("e1"))
	_, _, _ = l.Delete([]byte("a"))
	if diff := cmp.Diff([]string{"b=b1", "c=c1"}, evicted); diff != "" {
		t.Errorf("evictions (-want +got):\n%s", diff)
	}
	c, err := l.Range(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for c.Next() {
		keys = append(keys, string(c.Key()))
	}
	_ = c.Close()
	if diff := cmp.Diff([]string{"d", "e"}, keys); diff != "" {
		t.Errorf("contents after evictions (-want +got):\n%s", diff)
	}
	if n, _ := l.ApproximateNumEntries(); n != 2 {
		t.Errorf("ApproximateNumEntries() = %d, want 2", n)
	}
	// Closing drops the contents without reporting evictions.
	evicted = nil
	_ = l.Close()
	if len(evicted) != 0 {
		t.Errorf("Close reported evictions %v", evicted)
	}
}

// lruModel is the reference for the LRU engine: a map plus a recency list (least recent
// first).
type lruModel struct {
	cap     int
	m       map[string]string
	order   []string
	evicted []string
}

func (r *lruModel) touch(k string) {
	if i := slices.Index(r.order, k); i >= 0 {
		r.order = slices.Delete(r.order, i, i+1)
	}
	r.order = append(r.order, k)
	if len(r.order) > r.cap {
		old := r.order[0]
		r.order = r.order[1:]
		r.evicted = append(r.evicted, old+"="+r.m[old])
		delete(r.m, old)
	}
}

func (r *lruModel) del(k string) {
	if i := slices.Index(r.order, k); i >= 0 {
		r.order = slices.Delete(r.order, i, i+1)
	}
	delete(r.m, k)
}

func TestLRUModelWithEvictions(t *testing.T) {
	const capacity = 20
	l, err := kv.NewLRU("lru", capacity)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var evicted []string
	l.SetEvictionListener(func(k, v []byte) { evicted = append(evicted, string(k)+"="+string(v)) })
	ref := &lruModel{cap: capacity, m: map[string]string{}}
	rng := rand.New(rand.NewPCG(kvtest.Seed(t, 7), 2))
	for i := 0; i < 100_000; i++ {
		k := kvtest.RandomKey(rng)
		v := fmt.Sprint(rng.IntN(100))
		switch rng.IntN(5) {
		case 0:
			got, found, err := l.Get(k)
			want, wfound := ref.m[string(k)]
			if err != nil || found != wfound || string(got) != want {
				t.Fatalf("op %d Get(%q) = %q, %v, %v; want %q, %v", i, k, got, found, err, want, wfound)
			}
			if wfound {
				ref.touch(string(k))
			}
		case 1:
			if err := l.Put(k, []byte(v)); err != nil {
				t.Fatal(err)
			}
			ref.m[string(k)] = v
			ref.touch(string(k))
		case 2:
			old, found, err := l.PutIfAbsent(k, []byte(v))
			want, wfound := ref.m[string(k)]
			if err != nil || found != wfound || string(old) != want {
				t.Fatalf("op %d PutIfAbsent(%q) = %q, %v, %v; want %q, %v", i, k, old, found, err, want, wfound)
			}
			if !wfound {
				ref.m[string(k)] = v
			}
			ref.touch(string(k))
		case 3:
			old, found, err := l.Delete(k)
			want, wfound := ref.m[string(k)]
			if err != nil || found != wfound || string(old) != want {
				t.Fatalf("op %d Delete(%q) = %q, %v, %v; want %q, %v", i, k, old, found, err, want, wfound)
			}
			ref.del(string(k))
		case 4:
			batch := []kv.Entry{{Key: k, Value: []byte(v)}, {Key: kvtest.RandomKey(rng), Delete: true}}
			if err := l.Write(batch); err != nil {
				t.Fatal(err)
			}
			ref.m[string(k)] = v
			ref.touch(string(k))
			ref.del(string(batch[1].Key))
		}
		if len(evicted) != len(ref.evicted) || len(evicted) > 0 && evicted[len(evicted)-1] != ref.evicted[len(evicted)-1] {
			t.Fatalf("op %d evictions end with %v, want %v", i, evicted[max(0, len(evicted)-3):], ref.evicted[max(0, len(ref.evicted)-3):])
		}
	}
	if !slices.Equal(evicted, ref.evicted) {
		t.Fatalf("evictions differ (-want +got):\n%s", cmp.Diff(ref.evicted, evicted))
	}
	if n, _ := l.ApproximateNumEntries(); n != int64(len(ref.m)) || n > capacity {
		t.Fatalf("ApproximateNumEntries() = %d, want %d (capacity %d)", n, len(ref.m), capacity)
	}
	t.Logf("%d evictions checked", len(evicted))
}
