package driver_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Run the word count on an embedded broker and ask its store for a count.
func ExampleNew() {
	cluster, err := testutil.NewCluster()
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	for _, t := range []string{wordcount.InputTopic, wordcount.WordsTopic, wordcount.OutputTopic} {
		if err := cluster.CreateTopic(t, 2, nil); err != nil {
			panic(err)
		}
	}
	ctx := context.Background()
	if err := cluster.Produce(ctx,
		&kgo.Record{Topic: wordcount.InputTopic, Value: []byte("hello kafka streams")},
		&kgo.Record{Topic: wordcount.InputTopic, Value: []byte("hello go")},
	); err != nil {
		panic(err)
	}

	top, err := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	d, err := driver.New(top,
		driver.ApplicationID("example"),
		driver.BootstrapServers(cluster.Addrs()...),
		driver.StateDir(dir),
		driver.CommitInterval(100*time.Millisecond),
		driver.Logger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	if err := d.Start(ctx); err != nil {
		panic(err)
	}
	defer d.Close()

	// Interactive query: wait until both lines are counted.
	for {
		if counts, err := driver.KeyValueStore[string, int64](d, wordcount.StoreName); err == nil {
			if n, ok, _ := counts.Get("hello"); ok && n == 2 {
				md, _ := driver.QueryMetadataForKey(d, wordcount.StoreName, "hello", serde.String)
				fmt.Printf("hello: %d (partition %d)\n", n, md.Partition)
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := d.Close(); err != nil {
		panic(err)
	}
	fmt.Println(d.State())
	// Output:
	// hello: 2 (partition 1)
	// NOT_RUNNING
}

// Two instances with one standby replica per task: each can answer for every key when
// asked for stale stores (KIP-535), from its active tasks and its standbys.
func ExampleStaleStores() {
	cluster, err := testutil.NewCluster()
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	for _, t := range []string{wordcount.InputTopic, wordcount.WordsTopic, wordcount.OutputTopic} {
		if err := cluster.CreateTopic(t, 2, nil); err != nil {
			panic(err)
		}
	}
	ctx := context.Background()
	if err := cluster.Produce(ctx,
		&kgo.Record{Topic: wordcount.InputTopic, Value: []byte("hello kafka streams")},
		&kgo.Record{Topic: wordcount.InputTopic, Value: []byte("hello go")},
	); err != nil {
		panic(err)
	}
	top, err := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	if err != nil {
		panic(err)
	}
	var instances []*driver.Driver
	for range 2 {
		dir, _ := os.MkdirTemp("", "example-")
		defer os.RemoveAll(dir)
		d, err := driver.New(top,
			driver.ApplicationID("example-standby"),
			driver.BootstrapServers(cluster.Addrs()...),
			driver.StateDir(dir),
			driver.Concurrency(1),
			driver.NumStandbyReplicas(1),
			driver.CommitInterval(100*time.Millisecond),
			driver.Logger(slog.New(slog.DiscardHandler)),
		)
		if err != nil {
			panic(err)
		}
		if err := d.Start(ctx); err != nil {
			panic(err)
		}
		defer d.Close()
		instances = append(instances, d)
	}
	for i, d := range instances {
		for {
			counts, err := driver.KeyValueStore[string, int64](d, wordcount.StoreName, driver.StaleStores())
			if err == nil && len(d.LocalStandbyTasks()) > 0 {
				if n, ok, _ := counts.Get("hello"); ok && n == 2 {
					fmt.Printf("instance %d: hello: %d\n", i+1, n)
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Output:
	// instance 1: hello: 2
	// instance 2: hello: 2
}
