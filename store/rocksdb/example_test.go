package rocksdb_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
)

func ExampleOpen() {
	stateDir, err := os.MkdirTemp("", "tributary-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(stateDir)
	dir := filepath.Join(stateDir, "word-counts")

	e, err := rocksdb.Open("word-counts", dir)
	if err != nil {
		log.Fatal(err)
	}
	// Apply a batch of changelog records and remember their offset, atomically.
	err = e.WriteWithOffset([]kv.Entry{
		{Key: []byte("apple"), Value: []byte("3")},
		{Key: []byte("banana"), Value: []byte("1")},
		{Key: []byte("cherry"), Value: []byte("7")},
	}, "app-word-counts-changelog", 0, 42)
	if err != nil {
		log.Fatal(err)
	}
	if err := e.Close(); err != nil { // flushes: the WAL is off
		log.Fatal(err)
	}

	// Reopen: the data and the offset are there.
	e, err = rocksdb.Open("word-counts", dir)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	offset, _, _ := e.Offset("app-word-counts-changelog", 0)
	fmt.Println("restore from offset", offset+1)
	c, err := e.Range([]byte("b"), nil, false)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for c.Next() {
		fmt.Printf("%s=%s\n", c.Key(), c.Value())
	}
	if err := c.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// restore from offset 43
	// banana=1
	// cherry=7
}
