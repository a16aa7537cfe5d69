package testutil_test

import (
	"testing"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
)

// Internal topics are "<application.id>-<name>" in the TopologyTestDriver too (Kafka's
// TopologyTestDriver decorates them the same way), and records flow through them.
func TestInternalTopicNames(t *testing.T) {
	top, err := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := engine.GraphOf(top)
	g.Internal = map[string]engine.InternalTopic{wordcount.WordsTopic: {}}
	d, err := testutil.NewTopologyTestDriver(top, testutil.ApplicationID("app"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := testutil.CreateInputTopic(d, wordcount.InputTopic, serde.String, serde.String).PipeInput("", "a b a"); err != nil {
		t.Fatal(err)
	}
	testutil.AssertKeyValues(t, testutil.CreateOutputTopic(d, wordcount.OutputTopic, serde.String, serde.Int64),
		cursor.KeyValue[string, int64]{Key: "a", Value: 1}, cursor.KeyValue[string, int64]{Key: "b", Value: 1}, cursor.KeyValue[string, int64]{Key: "a", Value: 2})
	names := d.ProducedTopicNames()
	if len(names) != 2 || names[0] != "app-"+wordcount.WordsTopic {
		t.Errorf("ProducedTopicNames() = %v, want app-%s and the output", names, wordcount.WordsTopic)
	}
}
