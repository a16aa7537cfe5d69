package topology_test

import (
	"fmt"
	"strings"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Orders (keyed by order id, valued "item|customer id") joined with the customers table on
// the customer id their value holds, in the TopologyTestDriver: an order follows its
// customer's updates, and moves to another customer when its value changes.
func ExampleJoinOnForeignKey() {
	strs := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	mem := topology.Materialized[string, string]{StoreType: topology.StoreInMemory}
	sb := topology.NewStreamsBuilder()
	orders := topology.Table(sb, "orders", strs, mem)
	customers := topology.Table(sb, "customers", strs, mem)
	customerOf := func(order string) string {
		_, c, _ := strings.Cut(order, "|")
		return c
	}
	topology.JoinOnForeignKey(orders, customers, customerOf, func(order, name string) string {
		item, _, _ := strings.Cut(order, "|")
		return item + " for " + name
	}).ToStream().To("enriched", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	c := testutil.CreateInputTopic(d, "customers", serde.String, serde.String)
	o := testutil.CreateInputTopic(d, "orders", serde.String, serde.String)
	out := testutil.CreateOutputTopic(d, "enriched", serde.String, serde.String)
	pipe := func(in *testutil.TestInputTopic[string, string], k, v string) {
		if err := in.PipeInput(k, v); err != nil {
			panic(err)
		}
	}
	pipe(c, "c1", "Ada")
	pipe(c, "c2", "Grace")
	pipe(o, "o1", "book|c1")
	pipe(o, "o2", "pen|c1")
	pipe(c, "c1", "Ada L.")
	pipe(o, "o2", "pen|c2")
	recs, err := out.ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Println(r.Key, r.Value)
	}
	// Output:
	// o1 book for Ada
	// o2 pen for Ada
	// o1 book for Ada L.
	// o2 pen for Ada L.
	// o2 pen for Grace
}
