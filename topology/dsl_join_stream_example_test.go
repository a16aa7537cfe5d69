package topology_test

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Ad impressions left-joined with the clicks on them within 10 seconds, keyed by impression
// id. Run in the TopologyTestDriver: impression i1 is clicked and joined at once; i2 is never
// clicked, and is emitted alone once its window has closed, when a later record (i3 at 0:30)
// moves stream time past 0:02 + 10 s (Kafka's KIP-633 semantics: no premature "not clicked").
// The emission of unmatched records is throttled to once per second of wall-clock time
// (Kafka's emit.interval.ms.kstreams.outer.join.spurious.results.fix), so the example
// advances the driver's wall clock.
func ExampleLeftJoin() {
	sb := topology.NewStreamsBuilder()
	strs := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	impressions := topology.Stream(sb, "impressions", strs)
	clicks := topology.Stream(sb, "clicks", strs)
	topology.LeftJoin(impressions, clicks, func(ad, click string, clicked bool) string {
		if !clicked {
			return ad + " not clicked"
		}
		return ad + " clicked " + click
	}, topology.JoinWindowsOfTimeDifferenceWithNoGrace(10*time.Second),
		topology.StreamJoined[string, string, string]{StoreType: topology.StoreInMemory}).
		To("impressions-with-clicks", topology.Produced[string, string]{Values: serde.String})

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	imp := testutil.CreateInputTopic(d, "impressions", serde.String, serde.String)
	clk := testutil.CreateInputTopic(d, "clicks", serde.String, serde.String)
	out := testutil.CreateOutputTopic(d, "impressions-with-clicks", serde.String, serde.String)
	_ = imp.PipeInputWithTimestamp("i1", "shoes", 1000)
	_ = imp.PipeInputWithTimestamp("i2", "hats", 2000)
	_ = clk.PipeInputWithTimestamp("i1", "at 0:04", 4000)
	// Unmatched records are looked for at most once a second of wall-clock time, as in Kafka.
	_ = d.AdvanceWallClockTime(time.Second)
	_ = imp.PipeInputWithTimestamp("i3", "socks", 30000)
	recs, err := out.ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Printf("%s %q at %v\n", r.Key, r.Value, time.Duration(r.Timestamp)*time.Millisecond)
	}
	// Output:
	// i1 "shoes clicked at 0:04" at 4s
	// i2 "hats not clicked" at 2s
}
