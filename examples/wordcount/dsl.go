package wordcount

import (
	"strings"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/topology"
)

// Names of the DSL word count's topics and store (Kafka Streams' WordCountDemo).
const (
	DSLOutputTopic = "streams-wordcount-output"
	DSLStoreName   = "counts-store"
)

// DSL is the word count written with the DSL, as Kafka Streams' WordCountDemo: lines are
// split into lower-case words, grouped by word (which inserts a repartition topic, so that
// each word is counted by one task whatever partition its line came from) and counted in the
// store [DSLStoreName], queryable; each count update goes to [DSLOutputTopic].
//
// storeType chooses the store's engine: topology.StoreRocksDB needs the RocksDB engine
// registered (import _ "github.com/tributary-go/tributary/store/rocksdb").
func DSL(storeType topology.StoreType) (*topology.Topology, error) {
	sb := topology.NewStreamsBuilder()
	lines := topology.Stream(sb, InputTopic, topology.Consumed[string, string]{Keys: serde.String, Values: serde.String})
	words := topology.FlatMapValues(lines, func(line string) []string { return strings.Fields(strings.ToLower(line)) })
	byWord := topology.GroupBy(words, func(_, word string) string { return word },
		topology.Grouped[string, string]{Keys: serde.String, Values: serde.String})
	counts := topology.Count(byWord, topology.Materialized[string, int64]{Name: DSLStoreName, StoreType: storeType})
	counts.ToStream().To(DSLOutputTopic, topology.Produced[string, int64]{Values: serde.Int64})
	return sb.Build()
}
