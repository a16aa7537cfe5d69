// Package wordcount is the Processor-API word count: a source of text lines, a processor that
// splits them into words and counts each word in a key-value store, and a sink of
// (word, count) updates. It mirrors Kafka Streams' WordCountProcessorDemo.
package wordcount

import (
	"strings"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/topology"
)

// Names of the topics and the store.
const (
	InputTopic  = "streams-plaintext-input"
	OutputTopic = "streams-wordcount-processor-output"
	StoreName   = "Counts"
)

// counter splits lines into words and counts them.
type counter struct {
	ctx    processor.Context[string, int64]
	counts *kv.Store[string, int64]
}

func (c *counter) Init(ctx processor.Context[string, int64]) error {
	c.ctx = ctx
	var err error
	c.counts, err = processor.KeyValueStore[string, int64](ctx, StoreName)
	return err
}

func (c *counter) Process(r processor.Record[string, string]) error {
	if r.IsTombstone() {
		return nil
	}
	for _, word := range strings.Fields(strings.ToLower(r.Value())) {
		n, _, err := c.counts.Get(word)
		if err != nil {
			return err
		}
		n++
		if err := c.counts.Put(word, n); err != nil {
			return err
		}
		if err := c.ctx.Forward(processor.NewRecord(word, n, r.Timestamp())); err != nil {
			return err
		}
	}
	return nil
}

func (c *counter) Close() error { return nil }

// Topology builds the word count over the store supplier given: kv.InMemorySupplier or
// rocksdb.Supplier, for example.
func Topology(counts kv.Supplier) (*topology.Topology, error) {
	b := topology.NewBuilder()
	topology.AddSource(b, "Source", topology.Source[string, string]{
		Topics: []string{InputTopic}, Keys: serde.String, Values: serde.String,
	})
	topology.AddProcessor(b, "Process", func() processor.Processor[string, string, string, int64] {
		return &counter{}
	}, "Source")
	b.AddStateStore(kv.NewBuilder(counts, serde.String, serde.Int64), "Process")
	topology.AddSink(b, "Sink", topology.Sink[string, int64]{
		Topic: OutputTopic, Keys: serde.String, Values: serde.Int64,
	}, "Process")
	return b.Build()
}

// WordsTopic is the topic between the two sub-topologies of [Partitioned]: words keyed by
// themselves, so that each word is counted by one task.
const WordsTopic = "streams-wordcount-words"

// splitter turns lines into one record per word, keyed by the word.
type splitter struct {
	ctx processor.Context[string, string]
}

func (s *splitter) Init(ctx processor.Context[string, string]) error {
	s.ctx = ctx
	return nil
}

func (s *splitter) Process(r processor.Record[string, string]) error {
	if r.IsTombstone() {
		return nil
	}
	for _, word := range strings.Fields(strings.ToLower(r.Value())) {
		if err := s.ctx.Forward(processor.NewRecord(word, word, r.Timestamp())); err != nil {
			return err
		}
	}
	return nil
}

func (s *splitter) Close() error { return nil }

// wordCounter counts the words it receives, keyed by word.
type wordCounter struct {
	ctx    processor.Context[string, int64]
	counts *kv.Store[string, int64]
}

func (c *wordCounter) Init(ctx processor.Context[string, int64]) error {
	c.ctx = ctx
	var err error
	c.counts, err = processor.KeyValueStore[string, int64](ctx, StoreName)
	return err
}

func (c *wordCounter) Process(r processor.Record[string, string]) error {
	n, _, err := c.counts.Get(r.Key())
	if err != nil {
		return err
	}
	n++
	if err := c.counts.Put(r.Key(), n); err != nil {
		return err
	}
	return c.ctx.Forward(processor.NewRecord(r.Key(), n, r.Timestamp()))
}

func (c *wordCounter) Close() error { return nil }

// Partitioned is the word count for input topics with several partitions: a first
// sub-topology splits lines into words and writes them to [WordsTopic] keyed by word (the
// repartitioning that Kafka Streams' DSL would insert), and a second counts them in the
// store, one task per partition of WordsTopic, so that each word has one count.
func Partitioned(counts kv.Supplier) (*topology.Topology, error) {
	b := topology.NewBuilder()
	topology.AddSource(b, "Lines", topology.Source[string, string]{
		Topics: []string{InputTopic}, Keys: serde.String, Values: serde.String,
	})
	topology.AddProcessor(b, "Split", func() processor.Processor[string, string, string, string] {
		return &splitter{}
	}, "Lines")
	topology.AddSink(b, "Words", topology.Sink[string, string]{
		Topic: WordsTopic, Keys: serde.String, Values: serde.String,
	}, "Split")
	topology.AddSource(b, "WordsSource", topology.Source[string, string]{
		Topics: []string{WordsTopic}, Keys: serde.String, Values: serde.String,
	})
	topology.AddProcessor(b, "Count", func() processor.Processor[string, string, string, int64] {
		return &wordCounter{}
	}, "WordsSource")
	b.AddStateStore(kv.NewBuilder(counts, serde.String, serde.Int64), "Count")
	topology.AddSink(b, "Counts", topology.Sink[string, int64]{
		Topic: OutputTopic, Keys: serde.String, Values: serde.Int64,
	}, "Count")
	return b.Build()
}
