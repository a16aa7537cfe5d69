package topology

import (
	"strings"
	"testing"

	"github.com/tributary-go/tributary/serde"
)

// Describe() of DSL aggregations against the strings Kafka Streams prints for the same
// programs, transcribed from the Kafka document or test named above each test: the naming
// of stores, aggregation nodes and repartition topics (generated and user-given).

var memCount = Materialized[string, int64]{StoreType: StoreInMemory}

// Kafka's Streams tutorial (docs/streams/tutorial.html), WordCount: flatMapValues → groupBy
// → count(Materialized.as("counts-store")) → toStream → to. A store name that is not a
// generated one names the repartition topic and its nodes "counts-store-repartition-…".
func TestDSLDescribeTutorialWordCount(t *testing.T) {
	sb := NewStreamsBuilder()
	words := FlatMapValues(Stream(sb, "streams-wordcount-input", dslStrings), func(v string) []string {
		return strings.Fields(strings.ToLower(v))
	})
	counts := Count(GroupBy(words, func(_, w string) string { return w }, Grouped[string, string]{Keys: serde.String, Values: serde.String}),
		Materialized[string, int64]{Name: "counts-store", StoreType: StoreInMemory})
	counts.ToStream().To("streams-wordcount-output")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-wordcount-input])\n"+
		"      --> KSTREAM-FLATMAPVALUES-0000000001\n"+
		"    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"+
		"      --> KSTREAM-KEY-SELECT-0000000002\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"+
		"      --> counts-store-repartition-filter\n"+
		"      <-- KSTREAM-FLATMAPVALUES-0000000001\n"+
		"    Processor: counts-store-repartition-filter (stores: [])\n"+
		"      --> counts-store-repartition-sink\n"+
		"      <-- KSTREAM-KEY-SELECT-0000000002\n"+
		"    Sink: counts-store-repartition-sink (topic: counts-store-repartition)\n"+
		"      <-- counts-store-repartition-filter\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: counts-store-repartition-source (topics: [counts-store-repartition])\n"+
		"      --> KSTREAM-AGGREGATE-0000000003\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])\n"+
		"      --> KTABLE-TOSTREAM-0000000007\n"+
		"      <-- counts-store-repartition-source\n"+
		"    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000008\n"+
		"      <-- KSTREAM-AGGREGATE-0000000003\n"+
		"    Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000007\n"+
		"\n")
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := top.g.Internal["counts-store-repartition"]; !ok || len(top.g.Internal) != 1 {
		t.Errorf("internal topics = %v, want counts-store-repartition", top.g.Internal)
	}
}

// The same word count with count() unnamed: the store gets the generated name
// KSTREAM-AGGREGATE-STATE-STORE-0000000003, the repartition topic is named after it, and
// its nodes get generated names (KStreamImpl.createRepartitionedSource: a prefix matching
// "KSTREAM.*-[0-9]{10}" keeps the generated names). The expected string is Kafka's output
// for this program as printed by Kafka 2.x and later (reproduced in many public write-ups
// of the WordCount demo), not a string from a Kafka test.
func TestDSLDescribeWordCountGeneratedNames(t *testing.T) {
	sb := NewStreamsBuilder()
	words := FlatMapValues(Stream(sb, "streams-plaintext-input", dslStrings), strings.Fields)
	Count(GroupBy(words, func(_, w string) string { return w }, Grouped[string, string]{Keys: serde.String, Values: serde.String}), memCount).
		ToStream().To("streams-wordcount-output")
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n"+
		"      --> KSTREAM-FLATMAPVALUES-0000000001\n"+
		"    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"+
		"      --> KSTREAM-KEY-SELECT-0000000002\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000006\n"+
		"      <-- KSTREAM-FLATMAPVALUES-0000000001\n"+
		"    Processor: KSTREAM-FILTER-0000000006 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000005\n"+
		"      <-- KSTREAM-KEY-SELECT-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000006\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000007 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n"+
		"      --> KSTREAM-AGGREGATE-0000000004\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"+
		"      --> KTABLE-TOSTREAM-0000000008\n"+
		"      <-- KSTREAM-SOURCE-0000000007\n"+
		"    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000009\n"+
		"      <-- KSTREAM-AGGREGATE-0000000004\n"+
		"    Sink: KSTREAM-SINK-0000000009 (topic: streams-wordcount-output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000008\n"+
		"\n")
}

// A user-named repartition topic is made once per grouped stream and read by each of its
// aggregations (GroupedStreamAggregateBuilder.build reuses the repartition node when
// Grouped names it); the names of the skipped nodes are burnt all the same.
func TestDSLNamedRepartitionReused(t *testing.T) {
	sb := NewStreamsBuilder()
	rekeyed := SelectKey(Stream(sb, "in", dslStrings), func(_, v string) string { return v })
	g := GroupByKey(rekeyed, Grouped[string, string]{Keys: serde.String, Name: "by-value"})
	a, b := Count(g, memCount), Count(g, memCount)
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(top.g.Internal) != 1 {
		t.Errorf("internal topics %v, want by-value-repartition only", top.g.Internal)
	}
	if got := top.g.Children["by-value-repartition-source"]; len(got) != 2 || got[0] != a.Name() || got[1] != b.Name() {
		t.Errorf("children of the repartition source = %v, want %s and %s", got, a.Name(), b.Name())
	}
	// source 0, key-select 1; store 2, count 3, three burnt; store 7, count 8.
	if a.Name() != "KSTREAM-AGGREGATE-0000000003" || b.Name() != "KSTREAM-AGGREGATE-0000000008" || b.StoreName() != "KSTREAM-AGGREGATE-STATE-STORE-0000000007" {
		t.Errorf("names %s, %s, %s", a.Name(), b.Name(), b.StoreName())
	}
}
