package topology_test

import (
	"fmt"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Orders enriched with their customer's name from a table of customers, in the
// TopologyTestDriver: an order of an unknown customer keeps an empty name (a left join), and
// a later change to the table affects only later orders. The customers table is not
// materialized by the program: the join materializes it, as Kafka Streams does.
func ExampleLeftJoinTable() {
	strs := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	customers := topology.Table(sb, "customers", strs,
		topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
	orders := topology.Stream(sb, "orders", strs)
	topology.LeftJoinTable(orders, customers, func(order, name string, found bool) string {
		if !found {
			name = "?"
		}
		return order + " for " + name
	}).To("enriched", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})

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
	pipe := func(in *testutil.TestInputTopic[string, string], k, v string) {
		if err := in.PipeInput(k, v); err != nil {
			panic(err)
		}
	}
	pipe(c, "c1", "Ann")
	pipe(o, "c1", "book")
	pipe(o, "c2", "pen")
	pipe(c, "c2", "Bob")
	pipe(c, "c1", "Ann B.")
	pipe(o, "c1", "lamp")
	pipe(o, "c2", "ink")
	recs, err := testutil.CreateOutputTopic(d, "enriched", serde.String, serde.String).ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Println(r.Key, r.Value)
	}
	// Output:
	// c1 book for Ann
	// c2 pen for ?
	// c1 lamp for Ann B.
	// c2 ink for Bob
}

// The inner join of two tables, following the updates of both (Kafka's KTable.join).
func ExampleJoinTables() {
	strs := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	mem := topology.Materialized[string, string]{StoreType: topology.StoreInMemory}
	emails := topology.Table(sb, "emails", strs, mem)
	phones := topology.Table(sb, "phones", strs, mem)
	topology.JoinTables(emails, phones, func(e, p string) string { return e + ", " + p }).
		ToStream().To("contacts", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	e := testutil.CreateInputTopic(d, "emails", serde.String, serde.String)
	p := testutil.CreateInputTopic(d, "phones", serde.String, serde.String)
	for _, step := range []struct {
		in   *testutil.TestInputTopic[string, string]
		k, v string
		del  bool
	}{{e, "ann", "ann@x", false}, {p, "ann", "555-1", false}, {p, "bob", "555-2", false}, {e, "ann", "ann@y", false}, {p, "ann", "", true}} {
		if step.del {
			err = step.in.PipeTombstone(step.k)
		} else {
			err = step.in.PipeInput(step.k, step.v)
		}
		if err != nil {
			panic(err)
		}
	}
	recs, err := testutil.CreateOutputTopic(d, "contacts", serde.String, serde.String).ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		if r.Tombstone {
			fmt.Println(r.Key, "deleted")
		} else {
			fmt.Println(r.Key, r.Value)
		}
	}
	// Output:
	// ann ann@x, 555-1
	// ann ann@y, 555-1
	// ann deleted
}
