package session_test

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/session"
)

// The seed's example (kstreams-clj's session stores): with an inactivity gap of 5 s, events
// at 10 s, 12 s and 20 s make two sessions; a late event at 16 s is within 5 s of both, so
// all four merge into one session.
func Example() {
	sup, err := session.InMemorySupplier("clicks", session.Options{Retention: time.Hour})
	if err != nil {
		panic(err)
	}
	st, err := session.NewBuilder(sup, serde.String, serde.Int64).Build("")
	if err != nil {
		panic(err)
	}
	s := st.(*session.Store[string, int64])
	defer s.Close()

	count := session.Aggregator[string, string, int64]{
		Gap:   5 * time.Second,
		Init:  func() int64 { return 0 },
		Add:   func(_, _ string, n int64) int64 { return n + 1 },
		Merge: func(_ string, a, b int64) int64 { return a + b },
	}
	var streamTime int64
	for _, ts := range []int64{10_000, 12_000, 20_000, 16_000} {
		streamTime = max(streamTime, ts)
		res, err := session.Merge(s, count, "alice", "click", ts, streamTime)
		if err != nil {
			panic(err)
		}
		fmt.Printf("event at %2ds: session [%d, %d] count %d", ts/1000, res.Session.Start, res.Session.End, res.Value)
		for _, r := range res.Removed {
			fmt.Printf(", merged away [%d, %d]", r.Key.Start, r.Key.End)
		}
		fmt.Println()
	}

	c, err := s.Fetch("alice")
	if err != nil {
		panic(err)
	}
	for w, n := range cursor.All(c) {
		fmt.Printf("%s: [%d, %d] = %d\n", w.Key, w.Start, w.End, n)
	}
	if err := c.Err(); err != nil {
		panic(err)
	}
	// Output:
	// event at 10s: session [10000, 10000] count 1
	// event at 12s: session [10000, 12000] count 2, merged away [10000, 10000]
	// event at 20s: session [20000, 20000] count 1
	// event at 16s: session [10000, 20000] count 4, merged away [10000, 12000], merged away [20000, 20000]
	// alice: [10000, 20000] = 4
}

// FindSessions returns the sessions that overlap a time range: here the sessions of "bob"
// that end at or after 1500 and start at or before 3000.
func ExampleStore_FindSessions() {
	sup, _ := session.InMemorySupplier("sessions", session.Options{})
	st, _ := session.NewBuilder(sup, serde.String, serde.Int64).Build("")
	s := st.(*session.Store[string, int64])
	defer s.Close()
	for _, w := range []serde.Windowed[string]{
		{Key: "bob", Start: 0, End: 1000},
		{Key: "bob", Start: 1200, End: 2000},
		{Key: "bob", Start: 2500, End: 2600},
		{Key: "bob", Start: 4000, End: 4000},
	} {
		if err := s.Put(w, w.End-w.Start); err != nil {
			panic(err)
		}
	}
	c, err := s.FindSessions("bob", 1500, 3000)
	if err != nil {
		panic(err)
	}
	items, err := cursor.Collect(c)
	if err != nil {
		panic(err)
	}
	for _, it := range items {
		fmt.Printf("[%d, %d] = %d\n", it.Key.Start, it.Key.End, it.Value)
	}
	// Output:
	// [1200, 2000] = 800
	// [2500, 2600] = 100
}
