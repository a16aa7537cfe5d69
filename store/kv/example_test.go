package kv_test

import (
	"fmt"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// A typed store over the in-memory engine: puts, a get and an inclusive range.
func ExampleNew() {
	counts := kv.New(kv.NewMemory("word-counts"), serde.String, serde.Int64)
	defer counts.Close()

	for _, w := range []string{"kafka", "go", "streams", "go"} {
		n, _, _ := counts.Get(w)
		_ = counts.Put(w, n+1)
	}
	n, found, _ := counts.Get("go")
	fmt.Println("go:", n, found)

	c, err := counts.Range(new("go"), new("kafka")) // both bounds inclusive
	if err != nil {
		panic(err)
	}
	for word, n := range cursor.All(c) {
		fmt.Println(word, n)
	}
	if err := c.Err(); err != nil {
		panic(err)
	}
	// Output:
	// go: 2 true
	// go 2
	// kafka 1
}

// An LRU store keeps the most recently used entries and reports each eviction.
func ExampleNewLRU() {
	engine, err := kv.NewLRU("recent-users", 2)
	if err != nil {
		panic(err)
	}
	engine.SetEvictionListener(func(key, _ []byte) { fmt.Printf("evicted %s\n", key) })
	users := kv.New(engine, serde.String, serde.String)
	defer users.Close()

	_ = users.Put("ann", "Ann")
	_ = users.Put("bob", "Bob")
	_, _, _ = users.Get("ann") // ann is now more recent than bob
	_ = users.Put("cid", "Cid")

	all, _ := cursor.Collect(must(users.All()))
	fmt.Println(all)
	// Output:
	// evicted bob
	// [{ann Ann} {cid Cid}]
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
