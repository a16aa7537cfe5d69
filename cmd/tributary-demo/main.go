// Command tributary-demo is the main job that the README runs first. Until the Kafka runtime
// exists it shows the ground floor: a word count kept in a RocksDB-backed key-value store,
// written, read, range-scanned, checkpointed, reopened read-only from the checkpoint, and
// closed.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/rocksdb"
)

const text = "the quick brown fox jumps over the lazy dog and the dog sleeps"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tributary-demo:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "tributary-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	engine, err := rocksdb.Open("word-counts", filepath.Join(dir, "word-counts"))
	if err != nil {
		return err
	}
	counts := kv.New(engine, serde.String, serde.Int64)
	defer counts.Close()
	fmt.Printf("opened RocksDB store %q at %s\n", counts.Name(), engine.Path())

	// Count the words: a get and a put per word, as a Processor-API word count does.
	words := strings.Fields(text)
	for _, w := range words {
		n, _, err := counts.Get(w)
		if err != nil {
			return err
		}
		if err := counts.Put(w, n+1); err != nil {
			return err
		}
	}
	fmt.Printf("counted %d words of %q\n", len(words), text)

	for _, w := range []string{"the", "dog", "cat"} {
		n, found, err := counts.Get(w)
		if err != nil {
			return err
		}
		fmt.Printf("get %-5q -> %d (found: %v)\n", w, n, found)
	}

	if err := printCursor(`range ["d", "lazy"]`)(counts.Range(new("d"), new("lazy"))); err != nil {
		return err
	}
	if err := printCursor(`reverse range [-, "f"]`)(counts.ReverseRange(nil, new("f"))); err != nil {
		return err
	}
	if err := printCursor(`prefix scan "s"`)(counts.PrefixScan("s")); err != nil {
		return err
	}
	if n, err := counts.ApproximateNumEntries(); err == nil {
		fmt.Printf("approximate number of entries: %d\n", n)
	}

	// A checkpoint is an openable copy; a read-only open lets another process read it.
	cp := filepath.Join(dir, "checkpoint")
	if err := engine.Checkpoint(cp); err != nil {
		return err
	}
	ro, err := rocksdb.OpenReadOnly("word-counts-copy", cp)
	if err != nil {
		return err
	}
	copyCounts := kv.New(ro, serde.String, serde.Int64)
	n, _, err := copyCounts.Get("the")
	if err != nil {
		return err
	}
	fmt.Printf("checkpoint reopened read-only: get \"the\" -> %d; put -> %v\n", n, copyCounts.Put("the", 0))
	_ = copyCounts.Close()

	if err := counts.Close(); err != nil {
		return err
	}
	_, _, err = counts.Get("the")
	fmt.Printf("after close: get -> %v\n", err)
	return nil
}

// printCursor returns a function that prints the items of a cursor on one line, so that a
// store call's two results can be passed to it directly.
func printCursor(what string) func(c cursor.Cursor[string, int64], err error) error {
	return func(c cursor.Cursor[string, int64], err error) error {
		if err != nil {
			return err
		}
		return printItems(what, c)
	}
}

func printItems(what string, c cursor.Cursor[string, int64]) error {
	var parts []string
	for w, n := range cursor.All(c) {
		parts = append(parts, fmt.Sprintf("%s=%d", w, n))
	}
	if err := c.Err(); err != nil {
		return err
	}
	fmt.Printf("%-24s %s\n", what+":", strings.Join(parts, " "))
	return nil
}
