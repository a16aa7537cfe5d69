package topology_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Conformance of Repartition: the inputs and outputs of the Kafka Streams tests named above
// each test, and Describe strings. Kafka has no test printing the Describe of a program
// with repartition(); the expected strings here follow Kafka's naming code
// (KStreamImpl.doRepartition and createRepartitionedSource) and are marked as such.

// KStreamRepartitionTest.shouldInvokePartitionerWhenSet: repartition with a
// StreamPartitioner and the name "test"; the records reach the topic
// "<application.id>-test-repartition" and the partitioner is called for each. (Kafka's mock
// partitioner answers partition 1, which Kafka's TopologyTestDriver, with one partition per
// topic, does not check; Tributary's checks the partition is within the topic's count, so
// this one answers 0.)
func TestDSLRepartitionPartitioner(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	var calls []string
	topology.Repartition(topology.Stream(sb, "input-topic", topology.Consumed[int32, string]{Keys: serde.Int32, Values: serde.String}),
		topology.Repartitioned[int32, string]{Name: "test", Partitioner: func(topic string, key int32, value string, n int) (int32, bool) {
			calls = append(calls, value)
			return 0, true
		}})
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "input-topic", serde.Int32, serde.String)
	for i, k := range []int32{0, 1} {
		must(t, in.PipeInputWithTimestamp(k, "X"+string(rune('0'+k)), int64(i+10)))
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "topology-test-driver-test-repartition", serde.Int32, serde.String)),
		[]kvt[int32, string]{{0, "X0", 10}, {1, "X1", 11}})
	check(t, calls, []string{"X0", "X1"})
}

// StreamsBuilderTest.shouldProcessViaRepartitionTopic: a processor on the source and one on
// its repartition() both see ("A", "aa", 0); and KStreamImplTest.
// shouldSendDataThroughRepartitionTopicUsingRepartitioned: ("a", "b", 0) through
// repartition(Repartitioned.with(String, String)).
func TestDSLRepartitionProcessViaRepartitionTopic(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	source := topology.Stream(sb, "topic-source", procStrings)
	through := topology.Repartition(source)
	source.To("seen-by-source")
	through.To("seen-through")
	topology.Repartition(topology.Stream(sb, "topic", procStrings), topology.Repartitioned[string, string]{Keys: serde.String, Values: serde.String}).
		To("seen-repartitioned")
	d := newDriver(t, sb)
	must(t, testutil.CreateInputTopic(d, "topic-source", serde.String, serde.String).PipeInputWithTimestamp("A", "aa", 0))
	must(t, testutil.CreateInputTopic(d, "topic", serde.String, serde.String).PipeInputWithTimestamp("a", "b", 0))
	want := []kvt[string, string]{{"A", "aa", 0}}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "seen-by-source", serde.String, serde.String)), want)
	check(t, readAll(t, testutil.CreateOutputTopic(d, "seen-through", serde.String, serde.String)), want)
	check(t, readAll(t, testutil.CreateOutputTopic(d, "seen-repartitioned", serde.String, serde.String)), []kvt[string, string]{{"a", "b", 0}})
}

// KStreamImplTest.shouldPreserveSerdesForOperators (its repartition lines): repartition()
// keeps the stream's serdes, repartition(Repartitioned.with(mySerde, mySerde)) takes
// Repartitioned's. A stream without serdes (after Map) needs them in Repartitioned. Records
// with a null key go through, as Kafka's filter before the sink passes every record.
func TestDSLRepartitionSerdes(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	in := topology.Stream(sb, "in", procStrings)
	topology.Repartition(in).To("kept") // To uses the stream's serdes, kept through the topic
	upper := topology.Map(in, func(k, v string) topology.KeyValue[string, string] {
		return topology.Pair(strings.ToUpper(k), strings.ToUpper(v))
	})
	topology.Repartition(upper, topology.Repartitioned[string, string]{Keys: serde.String, Values: serde.String}).To("given")
	d := newDriver(t, sb)
	src := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	must(t, src.PipeInputWithTimestamp("k", "v", 1))
	must(t, src.PipeValue("no key"))
	out := testutil.CreateOutputTopic(d, "kept", serde.String, serde.String)
	recs, err := out.ReadRecordsToList()
	must(t, err)
	if len(recs) != 2 || recs[0].Key != "k" || recs[0].Value != "v" || !recs[1].NullKey || recs[1].Value != "no key" {
		t.Errorf("kept = %+v, want k:v and a record without a key", recs)
	}
	given, err := testutil.CreateOutputTopic(d, "given", serde.String, serde.String).ReadKeyValuesToList()
	must(t, err)
	if len(given) != 2 || given[0].Key != "K" || given[0].Value != "V" || given[1].Value != "NO KEY" {
		t.Errorf("given = %+v", given)
	}

	sb = topology.NewStreamsBuilder()
	noSerdes := topology.Map(topology.Stream(sb, "in", procStrings), func(k, v string) topology.KeyValue[string, string] { return topology.Pair(v, k) })
	topology.Repartition(noSerdes)
	if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), "KSTREAM-REPARTITION-0000000002") || !strings.Contains(err.Error(), "Repartitioned") {
		t.Errorf("Repartition of a stream without serdes: Build error %v, want one naming KSTREAM-REPARTITION-0000000002 and Repartitioned", err)
	}
	sb = topology.NewStreamsBuilder()
	topology.Repartition(topology.Stream(sb, "in", procStrings), topology.Repartitioned[string, string]{Name: "neg", Partitions: -1})
	if _, err := sb.Build(); err == nil || !strings.Contains(err.Error(), `"neg"`) || !strings.Contains(err.Error(), "-1") {
		t.Errorf("negative partitions: Build error %v", err)
	}
}

// Describe of repartition() with generated names (following KStreamImpl.doRepartition: the
// name KSTREAM-REPARTITION-0000000001, matching "KSTREAM.*-[0-9]{10}", so the sink, filter
// and source get the generated names 2, 3 and 4, listed filter first as Kafka adds it first)
// — the first half of StreamsGraphTest.getTopologyWithRepartitionOperation:
// selectKey → repartition → groupByKey → count → toStream → to("output"). After the
// repartition the grouping does not repartition again: StreamsGraphTest counts one
// repartition topic per half.
func TestDSLRepartitionDescribeGenerated(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	rekeyed := topology.SelectKey(topology.Stream(sb, "input", procStrings), func(k, v string) string { return k + v })
	r := topology.Repartition(rekeyed, topology.Repartitioned[string, string]{Keys: serde.String})
	topology.Count(topology.GroupByKey(r), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory}).
		ToStream().To("output", topology.Produced[string, int64]{Values: serde.Int64})
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> KSTREAM-KEY-SELECT-0000000001\n"+
		"    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000004\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000004 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000003\n"+
		"      <-- KSTREAM-KEY-SELECT-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000003 (topic: KSTREAM-REPARTITION-0000000002-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000004\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000005 (topics: [KSTREAM-REPARTITION-0000000002-repartition])\n"+
		"      --> KSTREAM-AGGREGATE-0000000007\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000007 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000006])\n"+
		"      --> KTABLE-TOSTREAM-0000000008\n"+
		"      <-- KSTREAM-SOURCE-0000000005\n"+
		"    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000009\n"+
		"      <-- KSTREAM-AGGREGATE-0000000007\n"+
		"    Sink: KSTREAM-SINK-0000000009 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000008\n\n")
	d := newDriver(t, sb)
	in := testutil.CreateInputTopic(d, "input", serde.String, serde.String)
	for i, v := range []string{"1", "2", "1"} {
		must(t, in.PipeInputWithTimestamp("k", v, int64(i)))
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.Int64)), []kvt[string, int64]{{"k1", 1, 0}, {"k2", 1, 1}, {"k1", 2, 2}})
}

// Describe of repartition(Repartitioned.as("topic-6")) (the program of KStreamImplTest.
// shouldUseRecordMetadataTimestampExtractorWithRepartition, whose source of
// "X-topic-6-repartition" it checks): a given name does not advance the counter for the
// operation, but the three names of createRepartitionedSource are burnt (the sink after it
// is KSTREAM-SINK-0000000005), and the nodes are named "topic-6-repartition-filter",
// "-sink" and "-source".
func TestDSLRepartitionDescribeNamed(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	stream1 := topology.StreamTopics(sb, []string{"topic-1", "topic-2"}, procStrings)
	stream2 := topology.StreamTopics(sb, []string{"topic-3", "topic-4"}, procStrings)
	stream1.To("topic-5")
	topology.Repartition(stream2, topology.Repartitioned[string, string]{Name: "topic-6"}).To("after")
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [topic-1, topic-2])\n"+
		"      --> KSTREAM-SINK-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000002 (topic: topic-5)\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [topic-3, topic-4])\n"+
		"      --> topic-6-repartition-filter\n"+
		"    Processor: topic-6-repartition-filter (stores: [])\n"+
		"      --> topic-6-repartition-sink\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Sink: topic-6-repartition-sink (topic: topic-6-repartition)\n"+
		"      <-- topic-6-repartition-filter\n"+
		"\n"+
		"  Sub-topology: 2\n"+
		"    Source: topic-6-repartition-source (topics: [topic-6-repartition])\n"+
		"      --> KSTREAM-SINK-0000000006\n"+
		"    Sink: KSTREAM-SINK-0000000006 (topic: after)\n"+
		"      <-- topic-6-repartition-source\n\n")
	d := newDriver(t, sb)
	must(t, testutil.CreateInputTopic(d, "topic-4", serde.String, serde.String).PipeInputWithTimestamp("x", "y", 3))
	names := d.ProducedTopicNames()
	if !slices.Contains(names, "topology-test-driver-topic-6-repartition") {
		t.Errorf("ProducedTopicNames() = %v, want topology-test-driver-topic-6-repartition among them", names)
	}
	check(t, readAll(t, testutil.CreateOutputTopic(d, "after", serde.String, serde.String)), []kvt[string, string]{{"x", "y", 3}})
}

// On the Kafka runtime (an embedded kfake broker), KStreamRepartitionIntegrationTest.
// shouldCreateRepartitionTopicWithSpecifiedNumberOfPartitions and
// shouldInheritRepartitionTopicPartitionNumberFromUpstreamTopicWhenNumberOfPartitionsIsNotSpecified:
// (1, "A") and (2, "B") on a 4-partition input, repartition(Repartitioned.as(name)
// [.withNumberOfPartitions(2)]).groupByKey().count().toStream().to(output) gives (1, 1) and
// (2, 1), and the repartition topic has 2 partitions when Repartitioned says so, else the
// input's 4. Caching is off, as Kafka's test sets statestore.cache.max.bytes to 0.
func TestDSLRepartitionPartitionsOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	for _, tc := range []struct {
		name       string
		partitions int
		want       int
	}{{"new-partitions", 2, 2}, {"new-topic", 0, 4}} {
		c, err := testutil.NewCluster()
		must(t, err)
		t.Cleanup(c.Close)
		must(t, c.CreateTopic("input", 4, nil))
		must(t, c.CreateTopic("output", 1, nil))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		must(t, c.Produce(ctx,
			&kgo.Record{Topic: "input", Key: mustBytes(serde.Int32.Serialize("input", 1)), Value: []byte("A")},
			&kgo.Record{Topic: "input", Key: mustBytes(serde.Int32.Serialize("input", 2)), Value: []byte("B")}))
		sb := topology.NewStreamsBuilder()
		r := topology.Repartition(topology.Stream(sb, "input", topology.Consumed[int32, string]{Keys: serde.Int32, Values: serde.String}),
			topology.Repartitioned[int32, string]{Name: tc.name, Partitions: tc.partitions})
		topology.Count(topology.GroupByKey(r), topology.Materialized[int32, int64]{StoreType: topology.StoreInMemory, CachingDisabled: true}).
			ToStream().To("output", topology.Produced[int32, int64]{Values: serde.Int64})
		top, err := sb.Build()
		must(t, err)
		d, err := driver.New(top, driver.ApplicationID("app"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
			driver.CommitInterval(100*time.Millisecond), driver.ClientOptions(kgo.FetchMaxWait(50*time.Millisecond)))
		must(t, err)
		must(t, d.Start(context.Background()))
		got, err := c.Consume(ctx, "output", 2)
		must(t, err)
		counts := map[int32]int64{}
		for _, rec := range got {
			k, err := serde.Int32.Deserialize("output", rec.Key)
			must(t, err)
			v, err := serde.Int64.Deserialize("output", rec.Value)
			must(t, err)
			counts[k] = v
		}
		if len(got) != 2 || counts[1] != 1 || counts[2] != 1 {
			t.Errorf("%s: output %v, want 1→1 and 2→1", tc.name, counts)
		}
		topic := "app-" + tc.name + "-repartition"
		if n := len(c.Kfake().PartitionInfos(topic)); n != tc.want {
			t.Errorf("%s has %d partitions, want %d", topic, n, tc.want)
		}
		d.Close()
	}
}

func mustBytes(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
