package topology_test

import (
	"fmt"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// A table of user balances read from a topic, materialized under "balances" and so
// queryable; the users in credit are written out, a user going into debt leaving as a
// tombstone. Run in the TopologyTestDriver. As the source is materialized, the filter knows
// each key's old value and sends no tombstone for bob, who was never in credit (Kafka's
// KTableFilter).
func ExampleTable() {
	sb := topology.NewStreamsBuilder()
	balances := topology.Table(sb, "balances",
		topology.Consumed[string, int64]{Keys: serde.String, Values: serde.Int64},
		topology.Materialized[string, int64]{Name: "balances", StoreType: topology.StoreInMemory})
	balances.Filter(func(_ string, b int64) bool { return b > 0 }).ToStream().To("in-credit")

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "balances", serde.String, serde.Int64)
	for _, u := range []struct {
		user    string
		balance int64
	}{{"ann", 10}, {"bob", -5}, {"ann", -1}, {"bob", 7}} {
		if err := in.PipeInput(u.user, u.balance); err != nil {
			panic(err)
		}
	}
	out := testutil.CreateOutputTopic(d, "in-credit", serde.String, serde.Int64)
	recs, err := out.ReadRecordsToList()
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
	st, err := testutil.KeyValueStore[string, int64](d, balances.StoreName())
	if err != nil {
		panic(err)
	}
	ann, _, _ := st.Get("ann")
	fmt.Println("store:", balances.StoreName(), "ann =", ann)
	// Output:
	// ann 10
	// ann deleted
	// bob 7
	// store: balances ann = -1
}
