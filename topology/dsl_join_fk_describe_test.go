package topology

import (
	"strings"
	"testing"
)

func fkExtract(v string) string {
	_, after, _ := strings.Cut(v, "|")
	return after
}

func fkJoiner(a, b string) string { return "(" + a + "," + b + ")" }

// Kafka Streams' KStreamImplTest.shouldSupportForeignKeyTableTableJoinWithKTableFromKStream
// (the Describe part).
func TestDSLDescribeForeignKeyJoin(t *testing.T) {
	sb := NewStreamsBuilder()
	left := ToTable(Stream(sb, "input1", dslStrings), Materialized[string, string]{})
	right := ToTable(Stream(sb, "input2", dslStrings), Materialized[string, string]{})
	JoinOnForeignKey(left, right, fkExtract, fkJoiner).ToStream().To("output", joinOut)
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KTABLE-SOURCE-0000000016 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input1])\n"+
		"      --> KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-FK-JOIN-OUTPUT-0000000018\n"+
		"      <-- KTABLE-SOURCE-0000000016\n"+
		"    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KTABLE-FK-JOIN-OUTPUT-0000000018 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000020\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007 (stores: [])\n"+
		"      --> KTABLE-SINK-0000000008\n"+
		"      <-- KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: KTABLE-TOSTREAM-0000000020 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000021\n"+
		"      <-- KTABLE-FK-JOIN-OUTPUT-0000000018\n"+
		"    Sink: KSTREAM-SINK-0000000021 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000020\n"+
		"    Sink: KTABLE-SINK-0000000008 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic)\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000003 (topics: [input2])\n"+
		"      --> KSTREAM-TOTABLE-0000000004\n"+
		"    Source: KTABLE-SOURCE-0000000009 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"+
		"    Processor: KSTREAM-TOTABLE-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n"+
		"      <-- KSTREAM-SOURCE-0000000003\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"+
		"      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012\n"+
		"      <-- KTABLE-SOURCE-0000000009\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> KTABLE-SINK-0000000015\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"+
		"    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"+
		"      --> KTABLE-SINK-0000000015\n"+
		"      <-- KSTREAM-TOTABLE-0000000004\n"+
		"    Sink: KTABLE-SINK-0000000015 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic)\n"+
		"      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012, KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n\n")
}

// A TableJoined name names every node, topic and store with Kafka's suffixes (KTableImpl.
// doJoinOnForeignKey's NamedInternal.suffixWithOrElseGet calls; Kafka has no Describe string
// for it), the counter advancing all the same: the nodes after the join keep their numbers.
func TestDSLDescribeForeignKeyJoinNamed(t *testing.T) {
	sb := NewStreamsBuilder()
	left := ToTable(Stream(sb, "input1", dslStrings), Materialized[string, string]{})
	right := ToTable(Stream(sb, "input2", dslStrings), Materialized[string, string]{})
	JoinOnForeignKey(left, right, fkExtract, fkJoiner, TableJoined[string, string]{Name: "fk"}).ToStream().To("output", joinOut)
	checkDescribe(t, sb.b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: fk-subscription-response-source (topics: [fk-subscription-response-topic])\n"+
		"      --> fk-subscription-response-resolver\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input1])\n"+
		"      --> KSTREAM-TOTABLE-0000000001\n"+
		"    Processor: fk-subscription-response-resolver (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> fk-result\n"+
		"      <-- fk-subscription-response-source\n"+
		"    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"+
		"      --> fk-subscription-registration-processor\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: fk-result (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000020\n"+
		"      <-- fk-subscription-response-resolver\n"+
		"    Processor: KTABLE-TOSTREAM-0000000020 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000021\n"+
		"      <-- fk-result\n"+
		"    Processor: fk-subscription-registration-processor (stores: [])\n"+
		"      --> fk-subscription-registration-sink\n"+
		"      <-- KSTREAM-TOTABLE-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000021 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000020\n"+
		"    Sink: fk-subscription-registration-sink (topic: fk-subscription-registration-topic)\n"+
		"      <-- fk-subscription-registration-processor\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000003 (topics: [input2])\n"+
		"      --> KSTREAM-TOTABLE-0000000004\n"+
		"    Source: fk-subscription-registration-source (topics: [fk-subscription-registration-topic])\n"+
		"      --> fk-subscription-receive\n"+
		"    Processor: KSTREAM-TOTABLE-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> fk-foreign-join-subscription\n"+
		"      <-- KSTREAM-SOURCE-0000000003\n"+
		"    Processor: fk-subscription-receive (stores: [fk-subscription-store])\n"+
		"      --> fk-subscription-join-foreign\n"+
		"      <-- fk-subscription-registration-source\n"+
		"    Processor: fk-foreign-join-subscription (stores: [fk-subscription-store])\n"+
		"      --> fk-subscription-response-sink\n"+
		"      <-- KSTREAM-TOTABLE-0000000004\n"+
		"    Processor: fk-subscription-join-foreign (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"+
		"      --> fk-subscription-response-sink\n"+
		"      <-- fk-subscription-receive\n"+
		"    Sink: fk-subscription-response-sink (topic: fk-subscription-response-topic)\n"+
		"      <-- fk-subscription-join-foreign, fk-foreign-join-subscription\n\n")
}
