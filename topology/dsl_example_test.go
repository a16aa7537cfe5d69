package topology_test

import (
	"fmt"
	"strings"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// A stateless DSL pipeline: split lines into words, drop the short ones, key each word by its
// first letter, and write them out; run in the TopologyTestDriver.
func ExampleStreamsBuilder() {
	sb := topology.NewStreamsBuilder()
	lines := topology.Stream(sb, "lines", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String})
	words := topology.FlatMapValues(lines, strings.Fields).
		Filter(func(_, word string) bool { return len(word) > 3 })
	topology.SelectKey(words, func(_, word string) string { return word[:1] }).
		To("words", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	fmt.Print(top.Describe())

	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "lines", serde.String, serde.String)
	if err := in.PipeInput("l1", "all streams flow into the river"); err != nil {
		panic(err)
	}
	out := testutil.CreateOutputTopic(d, "words", serde.String, serde.String)
	kvs, err := out.ReadKeyValuesToList()
	if err != nil {
		panic(err)
	}
	for _, kv := range kvs {
		fmt.Println(kv.Key, kv.Value)
	}
	// Output:
	// Topologies:
	//    Sub-topology: 0
	//     Source: KSTREAM-SOURCE-0000000000 (topics: [lines])
	//       --> KSTREAM-FLATMAPVALUES-0000000001
	//     Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])
	//       --> KSTREAM-FILTER-0000000002
	//       <-- KSTREAM-SOURCE-0000000000
	//     Processor: KSTREAM-FILTER-0000000002 (stores: [])
	//       --> KSTREAM-KEY-SELECT-0000000003
	//       <-- KSTREAM-FLATMAPVALUES-0000000001
	//     Processor: KSTREAM-KEY-SELECT-0000000003 (stores: [])
	//       --> KSTREAM-SINK-0000000004
	//       <-- KSTREAM-FILTER-0000000002
	//     Sink: KSTREAM-SINK-0000000004 (topic: words)
	//       <-- KSTREAM-KEY-SELECT-0000000003
	//
	// s streams
	// f flow
	// i into
	// r river
}
