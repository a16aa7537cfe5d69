package topology_test

import (
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/topology"
)

// Describe() of cogroups against the strings of Kafka Streams' CogroupedKStreamImplTest
// (org.apache.kafka.streams.kstream.internals), test named above each test. Kafka's tests
// rely on the default serdes of the config; these give them in Grouped and Materialized,
// which changes no name.

// STRING_AGGREGATOR and STRING_INITIALIZER of CogroupedKStreamImplTest.
func cgConcat(_ string, v, agg string) string { return agg + v }
func cgEmpty() string                         { return "" }

var (
	cgMat     = topology.Materialized[string, string]{Values: serde.String, StoreType: topology.StoreInMemory}
	cgGrouped = topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}
)

// cgSwap is the test's map((k, v) -> new KeyValue<>(v, k)).
func cgSwap(s *topology.KStream[string, string]) *topology.KStream[string, string] {
	return topology.Map(s, func(k, v string) topology.KeyValue[string, string] {
		return topology.KeyValue[string, string]{Key: v, Value: k}
	})
}

// CogroupedKStreamImplTest.shouldNameProcessorsAndStoreBasedOnNamedParameter
func TestCogroupDescribeNamed(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	one := topology.GroupByKey(topology.Stream(sb, "one", procStrings))
	two := topology.GroupByKey(topology.Stream(sb, "two", procStrings))
	m := cgMat
	m.Name = "store"
	topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).
		Aggregate(cgEmpty, m, "test").ToStream().To("output")
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"+
		"      --> test-cogroup-agg-0\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"+
		"      --> test-cogroup-agg-1\n"+
		"    Processor: test-cogroup-agg-0 (stores: [store])\n"+
		"      --> test-cogroup-merge\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: test-cogroup-agg-1 (stores: [store])\n"+
		"      --> test-cogroup-merge\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: test-cogroup-merge (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000005\n"+
		"      <-- test-cogroup-agg-0, test-cogroup-agg-1\n"+
		"    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000006\n"+
		"      <-- test-cogroup-merge\n"+
		"    Sink: KSTREAM-SINK-0000000006 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000005\n\n")
}

// CogroupedKStreamImplTest.shouldNameRepartitionTopic
func TestCogroupDescribeNamedRepartitionTopic(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	g := cgGrouped
	g.Name = "repartition-test"
	s1, s2 := topology.Stream(sb, "one", procStrings), topology.Stream(sb, "two", procStrings)
	one := topology.GroupByKey(cgSwap(s1), g)
	two := topology.GroupByKey(s2)
	topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).
		Aggregate(cgEmpty, cgMat).ToStream().To("output")
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"+
		"      --> KSTREAM-MAP-0000000002\n"+
		"    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"+
		"      --> repartition-test-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: repartition-test-repartition-filter (stores: [])\n"+
		"      --> repartition-test-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000002\n"+
		"    Sink: repartition-test-repartition-sink (topic: repartition-test-repartition)\n"+
		"      <-- repartition-test-repartition-filter\n\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"+
		"    Source: repartition-test-repartition-source (topics: [repartition-test-repartition])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000009\n"+
		"      <-- repartition-test-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000009\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000010\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n"+
		"    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000011\n"+
		"      <-- COGROUPKSTREAM-MERGE-0000000009\n"+
		"    Sink: KSTREAM-SINK-0000000011 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000010\n\n")
}

// CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModification
func TestCogroupDescribeRepartitionForKeyChange(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s1, s2 := topology.Stream(sb, "one", procStrings), topology.Stream(sb, "two", procStrings)
	one := topology.GroupByKey(cgSwap(s1), cgGrouped)
	two := topology.GroupByKey(s2)
	m := cgMat
	m.Name = "store"
	topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).
		Aggregate(cgEmpty, m, "test").ToStream().To("output")
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"+
		"      --> KSTREAM-MAP-0000000002\n"+
		"    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"+
		"      --> store-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: store-repartition-filter (stores: [])\n"+
		"      --> store-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000002\n"+
		"    Sink: store-repartition-sink (topic: store-repartition)\n"+
		"      <-- store-repartition-filter\n\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"+
		"      --> test-cogroup-agg-1\n"+
		"    Source: store-repartition-source (topics: [store-repartition])\n"+
		"      --> test-cogroup-agg-0\n"+
		"    Processor: test-cogroup-agg-0 (stores: [store])\n"+
		"      --> test-cogroup-merge\n"+
		"      <-- store-repartition-source\n"+
		"    Processor: test-cogroup-agg-1 (stores: [store])\n"+
		"      --> test-cogroup-merge\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: test-cogroup-merge (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000009\n"+
		"      <-- test-cogroup-agg-0, test-cogroup-agg-1\n"+
		"    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000010\n"+
		"      <-- test-cogroup-merge\n"+
		"    Sink: KSTREAM-SINK-0000000010 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000009\n\n")
}

// CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInSameCogroups
func TestCogroupDescribeGroupedReusedInSameCogroups(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s1, s2 := topology.Stream(sb, "one", procStrings), topology.Stream(sb, "two", procStrings)
	one := topology.GroupByKey(cgSwap(s1), cgGrouped)
	two := topology.GroupByKey(s2)
	cogroupedTwo := topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).Aggregate(cgEmpty, cgMat)
	cogroupedOne := topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).Aggregate(cgEmpty, cgMat)
	cogroupedOne.ToStream().To("output")
	cogroupedTwo.ToStream().To("OUTPUT2")
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"+
		"      --> KSTREAM-MAP-0000000002\n"+
		"    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter, COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000002\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000002\n"+
		"    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter\n"+
		"    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter\n\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000015\n"+
		"    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"+
		"    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000014\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000009\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000009\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000014 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000016\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000016\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000019\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000016 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000017\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000014, COGROUPKSTREAM-AGGREGATE-0000000015\n"+
		"    Processor: KTABLE-TOSTREAM-0000000017 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000018\n"+
		"      <-- COGROUPKSTREAM-MERGE-0000000016\n"+
		"    Processor: KTABLE-TOSTREAM-0000000019 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000020\n"+
		"      <-- COGROUPKSTREAM-MERGE-0000000009\n"+
		"    Sink: KSTREAM-SINK-0000000018 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000017\n"+
		"    Sink: KSTREAM-SINK-0000000020 (topic: OUTPUT2)\n"+
		"      <-- KTABLE-TOSTREAM-0000000019\n\n")
}

// CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInDifferentCogroups
func TestCogroupDescribeGroupedReusedInDifferentCogroups(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s1 := topology.Stream(sb, "one", procStrings)
	s2 := topology.Stream(sb, "two", procStrings)
	s3 := topology.Stream(sb, "three", procStrings)
	one := topology.GroupByKey(cgSwap(s1), cgGrouped)
	two := topology.GroupByKey(s2)
	three := topology.GroupByKey(s3)
	topology.CogroupWith(topology.Cogroup(one, cgConcat), three, cgConcat).Aggregate(cgEmpty, cgMat)
	topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).Aggregate(cgEmpty, cgMat)
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"+
		"      --> KSTREAM-MAP-0000000003\n"+
		"    Processor: KSTREAM-MAP-0000000003 (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter, COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000003\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000003\n"+
		"    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition)\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter\n"+
		"    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition)\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter\n\n"+
		"  Sub-topology: 1\n"+
		"    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000015\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000016\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000017\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000016 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000017\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000017 (stores: [])\n"+
		"      --> none\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000015, COGROUPKSTREAM-AGGREGATE-0000000016\n\n"+
		"  Sub-topology: 2\n"+
		"    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"+
		"    Source: KSTREAM-SOURCE-0000000002 (topics: [three])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000009\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000010\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000009 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000010\n"+
		"      <-- KSTREAM-SOURCE-0000000002\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000010 (stores: [])\n"+
		"      --> none\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000009\n\n")
}

// CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReused:
// the grouped stream in a cogroup and in a plain aggregation gets a repartition topic for
// each.
func TestCogroupDescribeGroupedReusedByAggregate(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	s1, s2 := topology.Stream(sb, "one", procStrings), topology.Stream(sb, "two", procStrings)
	one := topology.GroupByKey(cgSwap(s1), cgGrouped)
	two := topology.GroupByKey(s2)
	topology.CogroupWith(topology.Cogroup(one, cgConcat), two, cgConcat).Aggregate(cgEmpty, cgMat)
	topology.Aggregate(one, cgEmpty, cgConcat, cgMat)
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"+
		"      --> KSTREAM-MAP-0000000002\n"+
		"    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter, KSTREAM-FILTER-0000000013\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000002\n"+
		"    Processor: KSTREAM-FILTER-0000000013 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000012\n"+
		"      <-- KSTREAM-MAP-0000000002\n"+
		"    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter\n"+
		"    Sink: KSTREAM-SINK-0000000012 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000013\n\n"+
		"  Sub-topology: 1\n"+
		"    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000009\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000009\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"+
		"      --> none\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n\n"+
		"  Sub-topology: 2\n"+
		"    Source: KSTREAM-SOURCE-0000000014 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])\n"+
		"      --> KSTREAM-AGGREGATE-0000000011\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000011 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000010])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000014\n\n")
}

// CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForCogroupsUsedTwice: the second
// aggregation of a cogroup reuses its repartition topic (burning names all the same).
func TestCogroupDescribeUsedTwice(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	g := cgGrouped
	g.Name = "foo"
	one := topology.Cogroup(topology.GroupByKey(cgSwap(topology.Stream(sb, "one", procStrings)), g), cgConcat)
	one.Aggregate(cgEmpty, cgMat)
	one.Aggregate(cgEmpty, cgMat)
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"+
		"      --> KSTREAM-MAP-0000000001\n"+
		"    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"+
		"      --> foo-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: foo-repartition-filter (stores: [])\n"+
		"      --> foo-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000001\n"+
		"    Sink: foo-repartition-sink (topic: foo-repartition)\n"+
		"      <-- foo-repartition-filter\n\n"+
		"  Sub-topology: 1\n"+
		"    Source: foo-repartition-source (topics: [foo-repartition])\n"+
		"      --> COGROUPKSTREAM-AGGREGATE-0000000006, COGROUPKSTREAM-AGGREGATE-0000000012\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000006 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000007\n"+
		"      <-- foo-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-AGGREGATE-0000000012 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000008])\n"+
		"      --> COGROUPKSTREAM-MERGE-0000000013\n"+
		"      <-- foo-repartition-source\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000007 (stores: [])\n"+
		"      --> none\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000006\n"+
		"    Processor: COGROUPKSTREAM-MERGE-0000000013 (stores: [])\n"+
		"      --> none\n"+
		"      <-- COGROUPKSTREAM-AGGREGATE-0000000012\n\n")
}

// namedParamShouldSetName of TimeWindowedCogroupedKStreamImplTest,
// SlidingWindowedCogroupedKStreamImplTest and SessionWindowedCogroupedKStreamImplTest: the
// same names for the three kinds of windows.
func TestCogroupDescribeWindowedNamed(t *testing.T) {
	const want = "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n" +
		"      --> foo-cogroup-agg-0\n" +
		"    Processor: foo-cogroup-agg-0 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000001])\n" +
		"      --> foo-cogroup-merge\n" +
		"      <-- KSTREAM-SOURCE-0000000000\n" +
		"    Processor: foo-cogroup-merge (stores: [])\n" +
		"      --> none\n" +
		"      <-- foo-cogroup-agg-0\n\n"
	cogroup := func(sb *topology.StreamsBuilder) *topology.CogroupedKStream[string, string] {
		return topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "topic", procStrings), cgGrouped), cgConcat)
	}
	sb := topology.NewStreamsBuilder()
	cogroup(sb).WindowedBy(topology.TimeWindowsOfSizeWithNoGrace(500*time.Millisecond)).Aggregate(cgEmpty, cgMat, "foo")
	checkDescribeOf(t, sb, want)
	sb = topology.NewStreamsBuilder()
	cogroup(sb).WindowedBySliding(topology.SlidingWindowsOfTimeDifferenceAndGrace(500*time.Millisecond, 2*time.Second)).Aggregate(cgEmpty, cgMat, "foo")
	checkDescribeOf(t, sb, want)
	sb = topology.NewStreamsBuilder()
	cogroup(sb).WindowedBySession(topology.SessionWindowsWithNoGrace(time.Millisecond)).Aggregate(cgEmpty, cgSessionMerger, cgMat, "foo")
	checkDescribeOf(t, sb, want)
}

// DSL mistakes of cogroups are errors of Build (Kafka throws NullPointerException for the
// null arguments of CogroupedKStreamImplTest.shouldNotHaveNull…).
func TestCogroupBuildErrors(t *testing.T) {
	for name, add := range map[string]func(sb *topology.StreamsBuilder){
		"nil aggregator": func(sb *topology.StreamsBuilder) {
			topology.Cogroup[string, string, string](topology.GroupByKey(topology.Stream(sb, "t", procStrings)), nil).Aggregate(cgEmpty, cgMat)
		},
		"nil initializer": func(sb *topology.StreamsBuilder) {
			topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "t", procStrings)), cgConcat).Aggregate(nil, cgMat)
		},
		"nil grouped stream": func(sb *topology.StreamsBuilder) {
			c := topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "t", procStrings)), cgConcat)
			topology.CogroupWith[string, string](c, nil, cgConcat)
		},
		"no value serde": func(sb *topology.StreamsBuilder) {
			topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "t", procStrings)), cgConcat).
				Aggregate(cgEmpty, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
		},
		"nil session merger": func(sb *topology.StreamsBuilder) {
			topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "t", procStrings)), cgConcat).
				WindowedBySession(topology.SessionWindowsWithNoGrace(time.Second)).Aggregate(cgEmpty, nil, cgMat)
		},
		"bad time windows": func(sb *topology.StreamsBuilder) {
			topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "t", procStrings)), cgConcat).
				WindowedBy(topology.TimeWindows{}).Aggregate(cgEmpty, cgMat)
		},
		"bad sliding windows": func(sb *topology.StreamsBuilder) {
			topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "t", procStrings)), cgConcat).
				WindowedBySliding(topology.SlidingWindows{TimeDifference: -time.Second}).Aggregate(cgEmpty, cgMat)
		},
		"bad session windows": func(sb *topology.StreamsBuilder) {
			topology.Cogroup(topology.GroupByKey(topology.Stream(sb, "t", procStrings)), cgConcat).
				WindowedBySession(topology.SessionWindows{}).Aggregate(cgEmpty, cgSessionMerger, cgMat)
		},
		"repartition without serdes": func(sb *topology.StreamsBuilder) {
			topology.Cogroup(topology.GroupByKey(topology.SelectKey(topology.Stream(sb, "t", procStrings), func(k, _ string) int64 { return 0 })), func(_ int64, v, a string) string { return a + v }).
				Aggregate(cgEmpty, topology.Materialized[int64, string]{Keys: serde.Int64, Values: serde.String, StoreType: topology.StoreInMemory})
		},
	} {
		sb := topology.NewStreamsBuilder()
		add(sb)
		if _, err := sb.Build(); err == nil {
			t.Errorf("%s: Build succeeded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
