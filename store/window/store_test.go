package window_test

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"

	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/store/window/windowtest"
)

func TestContract(t *testing.T) {
	windowtest.Run(t, window.InMemorySupplier)
}

func TestModel(t *testing.T) {
	windowtest.RunModel(t, window.InMemorySupplier, 20_000)
}

// Puts, gets and fetches from several goroutines, with duplicates retained (the sequence
// number is shared) and stream time advancing: the race detector checks the store's
// locking; every put is kept.
func TestConcurrentUse(t *testing.T) {
	sup, err := window.InMemorySupplier("w", window.Options{WindowSize: time.Millisecond, Retention: time.Minute, RetainDuplicates: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := window.NewBuilder(sup, serde.Int64, serde.Int64).Build("")
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*window.Store[int64, int64])
	defer s.Close()
	const writers, puts = 4, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range puts {
				if err := s.Put(int64(w), int64(i), int64(i)*10); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := range puts {
				c, err := s.Fetch(int64(w), 0, math.MaxInt64)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := cursor.Collect(c); err != nil {
					t.Error(err)
					return
				}
				if _, _, err := s.Get(int64(w), int64(i)*10); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c, err := s.FetchAll(0, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	items, err := cursor.Collect(c)
	if err != nil {
		t.Fatal(err)
	}
	// Stream time 4990: every window is live (retention 60 s), each writer's 500 puts kept.
	if len(items) != writers*puts {
		t.Errorf("%d windows, want %d", len(items), writers*puts)
	}
}
