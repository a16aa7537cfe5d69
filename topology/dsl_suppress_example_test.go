package topology_test

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Final results only: page views per user in tumbling one-minute windows with ten seconds of
// grace, suppressed until each window closes, so that each window gives one record with its
// final count (Kafka's suppress(untilWindowCloses(unbounded()))). Run in the
// TopologyTestDriver: the first minute's windows close when stream time reaches 1:10.
func ExampleKTable_Suppress() {
	sb := topology.NewStreamsBuilder()
	views := topology.Stream(sb, "page-views", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String})
	counts := topology.CountWindowed(
		topology.GroupByKey(views).WindowedBy(topology.TimeWindowsOfSizeAndGrace(time.Minute, 10*time.Second)),
		topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
	counts.Suppress(topology.UntilWindowCloses(topology.Unbounded())).ToStream().To("final-counts")

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "page-views", serde.String, serde.String)
	out := testutil.CreateOutputTopic(d, "final-counts", serde.TimeWindowed(serde.String, time.Minute), serde.Int64)
	for _, v := range []struct {
		user string
		at   time.Duration
	}{{"ann", 5 * time.Second}, {"ann", 30 * time.Second}, {"bob", 40 * time.Second}, {"ann", 65 * time.Second}, {"bob", 70 * time.Second}} {
		if err := in.PipeInputWithTimestamp(v.user, "/home", v.at.Milliseconds()); err != nil {
			panic(err)
		}
		recs, err := out.ReadRecordsToList()
		if err != nil {
			panic(err)
		}
		for _, r := range recs {
			fmt.Printf("at %v: %s [%v, %v) final count %d\n", v.at, r.Key.Key,
				time.Duration(r.Key.Start)*time.Millisecond, time.Duration(r.Key.End)*time.Millisecond, r.Value)
		}
	}
	// Output:
	// at 1m10s: ann [0s, 1m0s) final count 2
	// at 1m10s: bob [0s, 1m0s) final count 1
}
