package topology

import (
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
)

// Describe() of stream-stream joins against the strings Kafka Streams prints for the same
// programs (TopologyTest.streamStream*JoinTopologyWith*). Kafka's inner-join tests use the
// deprecated JoinWindows.of, which changes nothing in Describe.

func joinDescribeProgram(kind string, sj StreamJoined[string, string, string]) *StreamsBuilder {
	sb := NewStreamsBuilder()
	s1 := Stream(sb, "input-topic1", dslStrings)
	s2 := Stream(sb, "input-topic2", dslStrings)
	w := JoinWindowsOfTimeDifferenceWithNoGrace(100 * time.Millisecond)
	sj.StoreType = StoreInMemory
	switch kind {
	case "inner":
		Join(s1, s2, func(a, b string) string { return a + "+" + b }, w, sj)
	case "left":
		LeftJoin(s1, s2, func(a, b string, _ bool) string { return a + "+" + b }, w, sj)
	case "outer":
		OuterJoin(s1, s2, func(a string, _ bool, b string, _ bool) string { return a + "+" + b }, w, sj)
	}
	return sb
}

func joinDescribe(this, other, thisStore, otherStore, shared string) string {
	thisStores, otherStores := otherStore, thisStore
	if shared != "" {
		thisStores += ", " + shared
		otherStores += ", " + shared
	}
	thisNode := "    Processor: " + this + " (stores: [" + thisStores + "])\n" +
		"      --> KSTREAM-MERGE-0000000006\n" +
		"      <-- KSTREAM-WINDOWED-0000000002\n"
	otherNode := "    Processor: " + other + " (stores: [" + otherStores + "])\n" +
		"      --> KSTREAM-MERGE-0000000006\n" +
		"      <-- KSTREAM-WINDOWED-0000000003\n"
	nodes := thisNode + otherNode
	if other < this {
		nodes = otherNode + thisNode
	}
	return "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n" +
		"      --> KSTREAM-WINDOWED-0000000002\n" +
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n" +
		"      --> KSTREAM-WINDOWED-0000000003\n" +
		"    Processor: KSTREAM-WINDOWED-0000000002 (stores: [" + thisStore + "])\n" +
		"      --> " + this + "\n" +
		"      <-- KSTREAM-SOURCE-0000000000\n" +
		"    Processor: KSTREAM-WINDOWED-0000000003 (stores: [" + otherStore + "])\n" +
		"      --> " + other + "\n" +
		"      <-- KSTREAM-SOURCE-0000000001\n" +
		nodes +
		"    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n" +
		"      --> none\n" +
		"      <-- " + this + ", " + other + "\n\n"
}

// TopologyTest.streamStreamJoinTopologyWithDefaultStoresNames.
func TestDSLDescribeStreamStreamJoinDefaultStoreNames(t *testing.T) {
	checkDescribe(t, joinDescribeProgram("inner", StreamJoined[string, string, string]{}).b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n"+
		"      --> KSTREAM-WINDOWED-0000000002\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n"+
		"      --> KSTREAM-WINDOWED-0000000003\n"+
		"    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"+
		"      --> KSTREAM-JOINTHIS-0000000004\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"+
		"      --> KSTREAM-JOINOTHER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"+
		"      --> KSTREAM-MERGE-0000000006\n"+
		"      <-- KSTREAM-WINDOWED-0000000003\n"+
		"    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"+
		"      --> KSTREAM-MERGE-0000000006\n"+
		"      <-- KSTREAM-WINDOWED-0000000002\n"+
		"    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\n")
}

// TopologyTest.streamStreamJoinTopologyWithCustomStoresNames.
func TestDSLDescribeStreamStreamJoinCustomStoreNames(t *testing.T) {
	checkDescribe(t, joinDescribeProgram("inner", StreamJoined[string, string, string]{StoreName: "custom-name"}).b,
		joinDescribe("KSTREAM-JOINTHIS-0000000004", "KSTREAM-JOINOTHER-0000000005", "custom-name-this-join-store", "custom-name-other-join-store", ""))
}

// TopologyTest.streamStreamLeftJoinTopologyWithDefaultStoresNames and
// streamStreamLeftJoinTopologyWithCustomStoresNames.
func TestDSLDescribeStreamStreamLeftJoin(t *testing.T) {
	checkDescribe(t, joinDescribeProgram("left", StreamJoined[string, string, string]{}).b,
		joinDescribe("KSTREAM-JOINTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005", "KSTREAM-JOINTHIS-0000000004-store", "KSTREAM-OUTEROTHER-0000000005-store", "KSTREAM-OUTERSHARED-0000000004-store"))
	checkDescribe(t, joinDescribeProgram("left", StreamJoined[string, string, string]{StoreName: "custom-name"}).b,
		joinDescribe("KSTREAM-JOINTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005", "custom-name-this-join-store", "custom-name-outer-other-join-store", "custom-name-left-shared-join-store"))
}

// TopologyTest.streamStreamOuterJoinTopologyWithDefaultStoresNames and
// streamStreamOuterJoinTopologyWithCustomStoresNames.
func TestDSLDescribeStreamStreamOuterJoin(t *testing.T) {
	checkDescribe(t, joinDescribeProgram("outer", StreamJoined[string, string, string]{}).b,
		joinDescribe("KSTREAM-OUTERTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005", "KSTREAM-OUTERTHIS-0000000004-store", "KSTREAM-OUTEROTHER-0000000005-store", "KSTREAM-OUTERSHARED-0000000004-store"))
	checkDescribe(t, joinDescribeProgram("outer", StreamJoined[string, string, string]{StoreName: "custom-name"}).b,
		joinDescribe("KSTREAM-OUTERTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005", "custom-name-outer-this-join-store", "custom-name-outer-other-join-store", "custom-name-outer-shared-join-store"))
}

// KStreamKStreamJoinTest.shouldCreateRepartitionTopicsWithUserProvidedName: a re-keyed stream
// joined twice, each join named, repartitions to "<name>-left-repartition".
func TestDSLDescribeStreamStreamJoinNamedRepartition(t *testing.T) {
	sb := NewStreamsBuilder()
	s1 := Stream(sb, "topic", dslStrings)
	s2 := Stream(sb, "topic2", dslStrings)
	s3 := Stream(sb, "topic3", dslStrings)
	rekeyed := Map(s1, func(k, v string) KeyValue[string, string] { return Pair(v, k) })
	w := JoinWindowsOfTimeDifferenceWithNoGrace(100 * time.Millisecond)
	concat := func(a, b string) string { return a + b }
	Join(rekeyed, s2, concat, w, StreamJoined[string, string, string]{Name: "first-join", Keys: serde.String, Values: serde.String, OtherValues: serde.String, StoreType: StoreInMemory}).To("out-one", Produced[string, string]{Values: serde.String})
	Join(rekeyed, s3, concat, w, StreamJoined[string, string, string]{Name: "second-join", Keys: serde.String, Values: serde.String, OtherValues: serde.String, StoreType: StoreInMemory}).To("out-two", Produced[string, string]{Values: serde.String})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"+
		"      --> KSTREAM-MAP-0000000003\n"+
		"    Processor: KSTREAM-MAP-0000000003 (stores: [])\n"+
		"      --> second-join-left-repartition-filter, first-join-left-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: first-join-left-repartition-filter (stores: [])\n"+
		"      --> first-join-left-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000003\n"+
		"    Processor: second-join-left-repartition-filter (stores: [])\n"+
		"      --> second-join-left-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000003\n"+
		"    Sink: first-join-left-repartition-sink (topic: first-join-left-repartition)\n"+
		"      <-- first-join-left-repartition-filter\n"+
		"    Sink: second-join-left-repartition-sink (topic: second-join-left-repartition)\n"+
		"      <-- second-join-left-repartition-filter\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [topic2])\n"+
		"      --> first-join-other-windowed\n"+
		"    Source: first-join-left-repartition-source (topics: [first-join-left-repartition])\n"+
		"      --> first-join-this-windowed\n"+
		"    Processor: first-join-other-windowed (stores: [KSTREAM-JOINOTHER-0000000010-store])\n"+
		"      --> first-join-other-join\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: first-join-this-windowed (stores: [KSTREAM-JOINTHIS-0000000009-store])\n"+
		"      --> first-join-this-join\n"+
		"      <-- first-join-left-repartition-source\n"+
		"    Processor: first-join-other-join (stores: [KSTREAM-JOINTHIS-0000000009-store])\n"+
		"      --> first-join-merge\n"+
		"      <-- first-join-other-windowed\n"+
		"    Processor: first-join-this-join (stores: [KSTREAM-JOINOTHER-0000000010-store])\n"+
		"      --> first-join-merge\n"+
		"      <-- first-join-this-windowed\n"+
		"    Processor: first-join-merge (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000012\n"+
		"      <-- first-join-this-join, first-join-other-join\n"+
		"    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"+
		"      <-- first-join-merge\n"+
		"\n"+
		"  Sub-topology: 2\n"+
		"    Source: KSTREAM-SOURCE-0000000002 (topics: [topic3])\n"+
		"      --> second-join-other-windowed\n"+
		"    Source: second-join-left-repartition-source (topics: [second-join-left-repartition])\n"+
		"      --> second-join-this-windowed\n"+
		"    Processor: second-join-other-windowed (stores: [KSTREAM-JOINOTHER-0000000019-store])\n"+
		"      --> second-join-other-join\n"+
		"      <-- KSTREAM-SOURCE-0000000002\n"+
		"    Processor: second-join-this-windowed (stores: [KSTREAM-JOINTHIS-0000000018-store])\n"+
		"      --> second-join-this-join\n"+
		"      <-- second-join-left-repartition-source\n"+
		"    Processor: second-join-other-join (stores: [KSTREAM-JOINTHIS-0000000018-store])\n"+
		"      --> second-join-merge\n"+
		"      <-- second-join-other-windowed\n"+
		"    Processor: second-join-this-join (stores: [KSTREAM-JOINOTHER-0000000019-store])\n"+
		"      --> second-join-merge\n"+
		"      <-- second-join-this-windowed\n"+
		"    Processor: second-join-merge (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000021\n"+
		"      <-- second-join-this-join, second-join-other-join\n"+
		"    Sink: KSTREAM-SINK-0000000021 (topic: out-two)\n"+
		"      <-- second-join-merge\n\n")
}

// KStreamKStreamJoinTest.shouldDisableLoggingOnStreamJoined and
// shouldEnableLoggingWithCustomConfigOnStreamJoined: the window stores' changelogs follow
// StreamJoined, with cleanup.policy=delete as the stores retain duplicates.
func TestStreamStreamJoinStoreLogging(t *testing.T) {
	type logged interface {
		LoggingEnabled() bool
		ChangelogTopicConfig() map[string]string
	}
	ints := Consumed[string, int32]{Keys: serde.String, Values: serde.Int32}
	for _, disabled := range []bool{true, false} {
		sb := NewStreamsBuilder()
		sj := StreamJoined[string, int32, int32]{StoreName: "store", StoreType: StoreInMemory, LoggingDisabled: disabled}
		if !disabled {
			sj.LogConfig = map[string]string{"test": "property"}
		}
		Join(Stream(sb, "left", ints), Stream(sb, "right", ints), func(a, b int32) int32 { return a + b },
			JoinWindowsOfTimeDifferenceAndGrace(100*time.Millisecond, 50*time.Millisecond), sj)
		if _, err := sb.Build(); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"store-this-join-store", "store-other-join-store"} {
			spec, ok := sb.b.stores[name]
			if !ok {
				t.Fatalf("no store %q", name)
			}
			l := spec.Builder.(logged)
			if l.LoggingEnabled() == disabled {
				t.Errorf("%s: LoggingEnabled() = %v with LoggingDisabled %v", name, l.LoggingEnabled(), disabled)
			}
			if !disabled {
				cfg := l.ChangelogTopicConfig()
				if cfg["test"] != "property" || cfg["cleanup.policy"] != "delete" {
					t.Errorf("%s: changelog config %v, want test=property and cleanup.policy=delete", name, cfg)
				}
			}
		}
	}
}

// KStreamKStreamJoinTest.shouldReuseRepartitionTopicWithGeneratedName: a re-keyed stream
// joined twice without names is repartitioned once.
func TestDSLDescribeStreamStreamJoinReusedRepartition(t *testing.T) {
	sb := NewStreamsBuilder()
	s1 := Stream(sb, "topic", dslStrings)
	s2 := Stream(sb, "topic2", dslStrings)
	s3 := Stream(sb, "topic3", dslStrings)
	rekeyed := Map(s1, func(k, v string) KeyValue[string, string] { return Pair(v, k) })
	w := JoinWindowsOfTimeDifferenceWithNoGrace(100 * time.Millisecond)
	concat := func(a, b string) string { return a + b }
	sj := StreamJoined[string, string, string]{Keys: serde.String, Values: serde.String, OtherValues: serde.String, StoreType: StoreInMemory}
	Join(rekeyed, s2, concat, w, sj).To("out-one", Produced[string, string]{Values: serde.String})
	Join(rekeyed, s3, concat, w, sj).To("out-to", Produced[string, string]{Values: serde.String})
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"+
		"      --> KSTREAM-MAP-0000000003\n"+
		"    Processor: KSTREAM-MAP-0000000003 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- KSTREAM-MAP-0000000003\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-MAP-0000000003-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000005\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-MAP-0000000003-repartition])\n"+
		"      --> KSTREAM-WINDOWED-0000000007, KSTREAM-WINDOWED-0000000016\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [topic2])\n"+
		"      --> KSTREAM-WINDOWED-0000000008\n"+
		"    Source: KSTREAM-SOURCE-0000000002 (topics: [topic3])\n"+
		"      --> KSTREAM-WINDOWED-0000000017\n"+
		"    Processor: KSTREAM-WINDOWED-0000000007 (stores: [KSTREAM-JOINTHIS-0000000009-store])\n"+
		"      --> KSTREAM-JOINTHIS-0000000009\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KSTREAM-WINDOWED-0000000008 (stores: [KSTREAM-JOINOTHER-0000000010-store])\n"+
		"      --> KSTREAM-JOINOTHER-0000000010\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: KSTREAM-WINDOWED-0000000016 (stores: [KSTREAM-JOINTHIS-0000000018-store])\n"+
		"      --> KSTREAM-JOINTHIS-0000000018\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KSTREAM-WINDOWED-0000000017 (stores: [KSTREAM-JOINOTHER-0000000019-store])\n"+
		"      --> KSTREAM-JOINOTHER-0000000019\n"+
		"      <-- KSTREAM-SOURCE-0000000002\n"+
		"    Processor: KSTREAM-JOINOTHER-0000000010 (stores: [KSTREAM-JOINTHIS-0000000009-store])\n"+
		"      --> KSTREAM-MERGE-0000000011\n"+
		"      <-- KSTREAM-WINDOWED-0000000008\n"+
		"    Processor: KSTREAM-JOINOTHER-0000000019 (stores: [KSTREAM-JOINTHIS-0000000018-store])\n"+
		"      --> KSTREAM-MERGE-0000000020\n"+
		"      <-- KSTREAM-WINDOWED-0000000017\n"+
		"    Processor: KSTREAM-JOINTHIS-0000000009 (stores: [KSTREAM-JOINOTHER-0000000010-store])\n"+
		"      --> KSTREAM-MERGE-0000000011\n"+
		"      <-- KSTREAM-WINDOWED-0000000007\n"+
		"    Processor: KSTREAM-JOINTHIS-0000000018 (stores: [KSTREAM-JOINOTHER-0000000019-store])\n"+
		"      --> KSTREAM-MERGE-0000000020\n"+
		"      <-- KSTREAM-WINDOWED-0000000016\n"+
		"    Processor: KSTREAM-MERGE-0000000011 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000012\n"+
		"      <-- KSTREAM-JOINTHIS-0000000009, KSTREAM-JOINOTHER-0000000010\n"+
		"    Processor: KSTREAM-MERGE-0000000020 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000021\n"+
		"      <-- KSTREAM-JOINTHIS-0000000018, KSTREAM-JOINOTHER-0000000019\n"+
		"    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"+
		"      <-- KSTREAM-MERGE-0000000011\n"+
		"    Sink: KSTREAM-SINK-0000000021 (topic: out-to)\n"+
		"      <-- KSTREAM-MERGE-0000000020\n\n")
}
