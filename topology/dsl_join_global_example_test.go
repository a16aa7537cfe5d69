package topology_test

import (
	"fmt"
	"strings"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Orders keyed by order id, whose value "item,product" names a product, enriched with the
// product's name from a global table of products, in the TopologyTestDriver. The key
// selector picks the product id out of the order; the stream needs no repartitioning, as
// every instance holds the whole global table. An order of an unknown product is dropped
// (an inner join).
func ExampleJoinGlobal() {
	strs := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	products := topology.GlobalTable(sb, "products", strs,
		topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
	orders := topology.Stream(sb, "orders", strs)
	topology.JoinGlobal(orders, products,
		func(_ string, order string) string { _, product, _ := strings.Cut(order, ","); return product },
		func(order, name string) string { return order + " = " + name },
	).To("enriched", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	p := testutil.CreateInputTopic(d, "products", serde.String, serde.String)
	o := testutil.CreateInputTopic(d, "orders", serde.String, serde.String)
	pipe := func(in *testutil.TestInputTopic[string, string], k, v string) {
		if err := in.PipeInput(k, v); err != nil {
			panic(err)
		}
	}
	pipe(p, "p1", "pencil")
	pipe(o, "o1", "2x,p1")
	pipe(o, "o2", "1x,p2")
	pipe(p, "p2", "eraser")
	pipe(o, "o3", "5x,p2")
	recs, err := testutil.CreateOutputTopic(d, "enriched", serde.String, serde.String).ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Println(r.Key, r.Value)
	}
	// Output:
	// o1 2x,p1 = pencil
	// o3 5x,p2 = eraser
}
