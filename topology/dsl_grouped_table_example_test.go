package topology_test

import (
	"fmt"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// The number of users in each region, from a table of each user's region: when a user moves,
// the old region's count goes down and the new one's up; a user leaving (a tombstone) is
// subtracted from their last region (Kafka's KTable.groupBy(...).count()). Run in the
// TopologyTestDriver, with in-memory stores.
func ExampleGroupTableBy() {
	sb := topology.NewStreamsBuilder()
	users := topology.Table(sb, "user-regions",
		topology.Consumed[string, string]{Keys: serde.String, Values: serde.String},
		topology.Materialized[string, string]{Name: "user-regions", StoreType: topology.StoreInMemory})
	byRegion := topology.GroupTableBy(users,
		func(user, region string) topology.KeyValue[string, string] { return topology.Pair(region, user) },
		topology.Grouped[string, string]{Keys: serde.String, Values: serde.String})
	counts := byRegion.Count(topology.Materialized[string, int64]{Name: "region-counts", StoreType: topology.StoreInMemory})
	counts.ToStream().To("region-counts")

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "user-regions", serde.String, serde.String)
	for _, u := range [][2]string{{"alice", "asia"}, {"bob", "europe"}, {"carol", "asia"}, {"alice", "europe"}} {
		if err := in.PipeInput(u[0], u[1]); err != nil {
			panic(err)
		}
	}
	if err := in.PipeTombstone("carol"); err != nil {
		panic(err)
	}
	out := testutil.CreateOutputTopic(d, "region-counts", serde.String, serde.Int64)
	recs, err := out.ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Println(r.Key, r.Value)
	}
	// Output:
	// asia 1
	// europe 1
	// asia 2
	// asia 1
	// europe 2
	// asia 0
}
