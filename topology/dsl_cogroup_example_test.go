package topology_test

import (
	"fmt"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Profile is the aggregate of ExampleCogroup.
type Profile struct {
	Clicks int
	Spent  int64
}

// Customer profiles from two streams of different value types (the example of Kafka's
// KIP-150): page clicks (strings) and purchases (amounts in cents) are cogrouped by
// customer into one Profile per customer, over one store, with no join: each stream has its
// own aggregator, and every record updates the customer's profile. Run in the
// TopologyTestDriver.
func ExampleCogroup() {
	sb := topology.NewStreamsBuilder()
	clicks := topology.GroupByKey(topology.Stream(sb, "clicks", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}))
	purchases := topology.GroupByKey(topology.Stream(sb, "purchases", topology.Consumed[string, int64]{Keys: serde.String, Values: serde.Int64}))

	profiles := topology.Cogroup(clicks, func(_ string, _ string, p Profile) Profile { p.Clicks++; return p })
	profiles = topology.CogroupWith(profiles, purchases, func(_ string, cents int64, p Profile) Profile { p.Spent += cents; return p })
	table := profiles.Aggregate(func() Profile { return Profile{} },
		topology.Materialized[string, Profile]{Name: "profiles", Values: serde.JSON[Profile](), StoreType: topology.StoreInMemory})
	table.ToStream().To("profiles", topology.Produced[string, Profile]{Values: serde.JSON[Profile]()})

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	c := testutil.CreateInputTopic(d, "clicks", serde.String, serde.String)
	p := testutil.CreateInputTopic(d, "purchases", serde.String, serde.Int64)
	for _, err := range []error{
		c.PipeInput("alice", "/shoes"),
		c.PipeInput("bob", "/hats"),
		p.PipeInput("alice", 4999),
		c.PipeInput("alice", "/socks"),
		p.PipeInput("alice", 799),
	} {
		if err != nil {
			panic(err)
		}
	}
	out := testutil.CreateOutputTopic(d, "profiles", serde.String, serde.JSON[Profile]())
	recs, err := out.ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Printf("%s: %d clicks, %d cents\n", r.Key, r.Value.Clicks, r.Value.Spent)
	}
	// Output:
	// alice: 1 clicks, 0 cents
	// bob: 1 clicks, 0 cents
	// alice: 1 clicks, 4999 cents
	// alice: 2 clicks, 4999 cents
	// alice: 2 clicks, 5798 cents
}
