package topology

import (
	"testing"
	"time"
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
