package topology

import (
	"testing"

	"github.com/tributary-go/tributary/store"
)

// InternalStreamsBuilder.globalTable disables logging of the global store whatever
// Materialized says (the topic is its changelog), and the store is global, read by its
// KTABLE-SOURCE processor. InternalStreamsBuilderTest.shouldBuildSimpleGlobalTableTopology:
// one global store, named as Materialized names it.
func TestDSLGlobalTableStoreSpec(t *testing.T) {
	sb := NewStreamsBuilder()
	GlobalTable(sb, "table", dslStrings, Materialized[string, string]{Name: "globalTable", StoreType: StoreInMemory, LogConfig: map[string]string{"x": "y"}})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(top.g.Stores) != 1 || len(top.g.Globals) != 1 || len(top.g.Subtopologies) != 0 {
		t.Fatalf("stores %v, %d global groups, %d sub-topologies; want one global store", top.g.Stores, len(top.g.Globals), len(top.g.Subtopologies))
	}
	st := top.g.Stores["globalTable"]
	if st == nil || !st.Global || st.GlobalTopic != "table" {
		t.Fatalf("store globalTable: %+v", st)
	}
	if l, ok := st.Builder.(store.Logged); !ok || l.LoggingEnabled() {
		t.Errorf("global store builder %T logs to a changelog; Kafka disables logging for global stores", st.Builder)
	}
}
