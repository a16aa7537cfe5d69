// Command tributary-demo is the main job that the README runs first: a word count running on
// Kafka. It starts an embedded broker (franz-go's kfake, in this process, on 127.0.0.1)
// unless -brokers points it at a real cluster, produces a sample stream of lines, runs the
// DSL word count (Kafka Streams' WordCountDemo: FlatMapValues, GroupBy through a repartition
// topic, Count into a persistent RocksDB store backed up to its changelog topic) with the
// Kafka runtime, prints the output topic and the answers of interactive queries (in process
// and over HTTP), and shuts down cleanly.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/serde"
	_ "github.com/tributary-go/tributary/store/rocksdb" // the DSL's persistent stores
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var sample = []string{
	"the quick brown fox jumps over the lazy dog",
	"the dog sleeps and the fox runs",
	"streams of records flow into tables",
	"a table is a stream of changes",
	"the quick fox counts the words of the stream",
}

func main() {
	brokers := flag.String("brokers", "", "comma-separated bootstrap servers of a Kafka cluster (default: start an embedded kfake broker)")
	stateDir := flag.String("state-dir", "", "state directory (default: a temporary directory, removed at exit)")
	verbose := flag.Bool("v", false, "log the runtime's progress")
	flag.Parse()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(*brokers, *stateDir, logger); err != nil {
		fmt.Fprintln(os.Stderr, "tributary-demo:", err)
		os.Exit(1)
	}
}

func run(brokers, stateDir string, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var addrs []string
	if brokers == "" {
		cluster, err := testutil.NewCluster()
		if err != nil {
			return err
		}
		defer cluster.Close()
		addrs = cluster.Addrs()
		fmt.Printf("started an embedded Kafka broker (kfake) at %s\n", strings.Join(addrs, ","))
	} else {
		addrs = strings.Split(brokers, ",")
		fmt.Printf("using the Kafka cluster at %s\n", brokers)
	}
	if stateDir == "" {
		dir, err := os.MkdirTemp("", "tributary-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		stateDir = dir
	}

	// Topics, and the sample stream.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, t := range []string{wordcount.InputTopic, wordcount.DSLOutputTopic} {
		resp, err := adm.CreateTopic(ctx, 4, -1, nil, t)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
			return fmt.Errorf("creating topic %s: %w", t, err)
		}
	}
	truth := map[string]int64{}
	var recs []*kgo.Record
	for i, line := range sample {
		recs = append(recs, &kgo.Record{Topic: wordcount.InputTopic, Value: []byte(line), Partition: int32(i % 4)})
		for _, w := range strings.Fields(strings.ToLower(line)) {
			truth[w]++
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("producing the sample stream: %w", err)
	}
	fmt.Printf("produced %d lines to %s\n", len(sample), wordcount.InputTopic)

	// The topology and the runtime, with an interactive-query server.
	top, err := wordcount.DSL(topology.StoreRocksDB)
	if err != nil {
		return err
	}
	fmt.Print(top.Describe())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d, err := driver.New(top,
		driver.ApplicationID("tributary-demo"),
		driver.BootstrapServers(addrs...),
		driver.StateDir(stateDir),
		driver.CommitInterval(200*time.Millisecond),
		driver.ApplicationServer(ln.Addr().String()),
		driver.Logger(logger),
	)
	if err != nil {
		return err
	}
	qh := driver.NewQueryHandler(d)
	if err := driver.Serve[string, int64](qh, wordcount.DSLStoreName, serde.String, func(s string) (string, error) { return s, nil }); err != nil {
		return err
	}
	srv := &http.Server{Handler: qh, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	if err := d.Start(ctx); err != nil {
		return err
	}
	defer d.Close()
	fmt.Printf("running with the state in %s (RocksDB store %q, changelog %s)\n", stateDir, wordcount.DSLStoreName,
		changelog.TopicName("tributary-demo", wordcount.DSLStoreName))

	// Wait for the output topic to hold the final count of every word.
	out, err := readOutput(ctx, addrs, truth)
	if err != nil {
		return err
	}
	fmt.Printf("\noutput topic %s (last count per word):\n", wordcount.DSLOutputTopic)
	words := slices.Sorted(func(yield func(string) bool) {
		for w := range out {
			if !yield(w) {
				return
			}
		}
	})
	for _, w := range words {
		fmt.Printf("  %-8s %d\n", w, out[w])
	}

	// Interactive queries: in process, and over HTTP.
	counts, err := driver.KeyValueStore[string, int64](d, wordcount.DSLStoreName)
	if err != nil {
		return err
	}
	from, to := "f", "q"
	c, err := counts.Range(&from, &to)
	if err != nil {
		return err
	}
	fmt.Printf("\ninteractive query: Range(%q, %q) over the local tasks' stores:\n", from, to)
	for k, v := range cursor.All(c) {
		fmt.Printf("  %-8s %d\n", k, v)
	}
	if err := c.Close(); err != nil {
		return err
	}
	md, err := driver.QueryMetadataForKey(d, wordcount.DSLStoreName, "the", serde.String)
	if err != nil {
		return err
	}
	fmt.Printf("\nQueryMetadataForKey(%q): partition %d, task %s, host %s\n", "the", md.Partition, md.Task, md.ActiveHost)
	body, err := httpGet(ctx, "http://"+ln.Addr().String()+"/stores/"+wordcount.DSLStoreName+"/keys/the")
	if err != nil {
		return err
	}
	fmt.Printf("GET /stores/%s/keys/the -> %s", wordcount.DSLStoreName, body)

	if err := d.Close(); err != nil {
		return err
	}
	fmt.Printf("\nshut down cleanly: state %s\n", d.State())
	return nil
}

// readOutput reads the output topic until the last count of every word equals truth.
func readOutput(ctx context.Context, addrs []string, truth map[string]int64) (map[string]int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(wordcount.DSLOutputTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	got := map[string]int64{}
	for {
		f := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return got, fmt.Errorf("waiting for the word counts: %w (have %d of %d words)", err, len(got), len(truth))
		}
		var ferr error
		f.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return nil, ferr
		}
		f.EachRecord(func(r *kgo.Record) {
			if len(r.Value) == 8 {
				got[string(r.Key)] = int64(binary.BigEndian.Uint64(r.Value))
			}
		})
		done := len(got) == len(truth)
		for w, n := range truth {
			if got[w] != n {
				done = false
			}
		}
		if done {
			return got, nil
		}
	}
}

func httpGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status + ": " + string(b))
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	return string(b), nil
}
