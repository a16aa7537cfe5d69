package topology

import "testing"

// Repartitioned.Partitions becomes the internal topic's partition count (0: sized by the
// runtime, as Kafka's repartition topics without numberOfPartitions). The named
// repartition burns three names (1-3), so the second source is 4 and the unnamed
// repartition KSTREAM-REPARTITION-0000000005.
func TestDSLRepartitionInternalTopic(t *testing.T) {
	sb := NewStreamsBuilder()
	Repartition(Stream(sb, "a", dslStrings), Repartitioned[string, string]{Name: "fixed", Partitions: 6})
	Repartition(Stream(sb, "b", dslStrings))
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := top.g.Internal["fixed-repartition"].Partitions; got != 6 {
		t.Errorf("fixed-repartition: %d partitions, want 6", got)
	}
	it, ok := top.g.Internal["KSTREAM-REPARTITION-0000000005-repartition"]
	if !ok || it.Partitions != 0 || len(top.g.Internal) != 2 {
		t.Errorf("internal topics %v, want fixed-repartition and KSTREAM-REPARTITION-0000000005-repartition (unsized)", top.g.Internal)
	}
}
