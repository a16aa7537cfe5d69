package window_test

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/window"
)

// Clicks per user in tumbling windows of one minute: puts at window starts, a fetch of one
// user's windows and a fetch of every window in a time range.
func ExampleNewBuilder() {
	sup, err := window.InMemorySupplier("clicks-per-minute", window.Options{
		WindowSize: time.Minute,
		Retention:  time.Hour,
	})
	if err != nil {
		panic(err)
	}
	st, err := window.NewBuilder(sup, serde.String, serde.Int64).Build("")
	if err != nil {
		panic(err)
	}
	clicks := st.(*window.Store[string, int64])
	defer clicks.Close()

	const minute = 60_000 // ms
	for _, c := range []struct {
		user string
		ts   int64
	}{{"alice", 5_000}, {"bob", 20_000}, {"alice", 50_000}, {"alice", 70_000}} {
		start := c.ts - c.ts%minute // the tumbling window of the click
		n, _, _ := clicks.Get(c.user, start)
		if err := clicks.Put(c.user, n+1, start); err != nil {
			panic(err)
		}
	}

	c, err := clicks.Fetch("alice", 0, 10*minute) // window starts in [0, 10 min], inclusive
	if err != nil {
		panic(err)
	}
	for start, n := range cursor.All(c) {
		fmt.Printf("alice @%d: %d\n", start, n)
	}
	if err := c.Err(); err != nil {
		panic(err)
	}

	all, err := clicks.FetchAll(0, 0)
	if err != nil {
		panic(err)
	}
	for w, n := range cursor.All(all) {
		fmt.Printf("%s [%d, %d): %d\n", w.Key, w.Start, w.End, n)
	}
	if err := all.Err(); err != nil {
		panic(err)
	}
	// Output:
	// alice @0: 2
	// alice @60000: 1
	// alice [0, 60000): 2
	// bob [0, 60000): 1
}
