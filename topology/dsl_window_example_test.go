package topology_test

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Page views counted per user in tumbling windows of one minute, with 30 seconds of grace
// for late views, written to a topic with windowed keys (Kafka's TimeWindowedSerializer
// layout) and queryable in the window store "views-per-minute". Run in the
// TopologyTestDriver: the late view at 0:50 still counts in the first window (stream time
// 1:20 is before its end plus grace, 1:30); the one at 0:10, arriving at stream time 1:40,
// is dropped.
func ExampleCountWindowed() {
	sb := topology.NewStreamsBuilder()
	views := topology.Stream(sb, "page-views", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String})
	counts := topology.CountWindowed(
		topology.GroupByKey(views).WindowedBy(topology.TimeWindowsOfSizeAndGrace(time.Minute, 30*time.Second)),
		topology.Materialized[string, int64]{Name: "views-per-minute", StoreType: topology.StoreInMemory})
	counts.ToStream().To("view-counts")

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
	for _, v := range []struct {
		user string
		at   time.Duration
	}{{"ann", 5 * time.Second}, {"bob", 20 * time.Second}, {"ann", 65 * time.Second}, {"ann", 80 * time.Second}, {"ann", 50 * time.Second}, {"bob", 100 * time.Second}, {"bob", 10 * time.Second}} {
		if err := in.PipeInputWithTimestamp(v.user, "/home", v.at.Milliseconds()); err != nil {
			panic(err)
		}
	}
	out := testutil.CreateOutputTopic(d, "view-counts", serde.TimeWindowed(serde.String, time.Minute), serde.Int64)
	recs, err := out.ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Printf("%s [%v, %v): %d\n", r.Key.Key, time.Duration(r.Key.Start)*time.Millisecond, time.Duration(r.Key.End)*time.Millisecond, r.Value)
	}
	fmt.Println("dropped:", d.DroppedRecords())
	st, err := testutil.WindowStore[string, topology.ValueAndTimestamp[int64]](d, "views-per-minute")
	if err != nil {
		panic(err)
	}
	ann, _, _ := st.Get("ann", 0)
	fmt.Println("store: ann in [0s, 1m0s) =", ann.Value)
	// Output:
	// ann [0s, 1m0s): 1
	// bob [0s, 1m0s): 1
	// ann [1m0s, 2m0s): 1
	// ann [1m0s, 2m0s): 2
	// ann [0s, 1m0s): 2
	// bob [1m0s, 2m0s): 1
	// dropped: 1
	// store: ann in [0s, 1m0s) = 2
}
