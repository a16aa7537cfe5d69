package topology_test

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Click sessions: the clicks of each user at most 5 s apart form a session, and each
// session's click count is written out, keyed by user and session window
// (serde.SessionWindowed). A click arriving out of order at 16 s (within the 10 s grace
// period) falls within the gap of both alice's session [10 s, 12 s] and her session
// [20 s, 20 s], so it merges them into [10 s, 20 s]: the two merged-away sessions leave as
// tombstones before the merged count (Kafka's KStreamSessionWindowAggregate). The store
// keeps sessions for gap + grace (15 s) of stream time. Run in the TopologyTestDriver.
func ExampleCountSessions() {
	sb := topology.NewStreamsBuilder()
	clicks := topology.Stream(sb, "clicks", topology.Consumed[string, string]{Keys: serde.String, Values: serde.String})
	sessions := topology.GroupByKey(clicks).WindowedBySession(topology.SessionWindowsWithGrace(5*time.Second, 10*time.Second))
	counts := topology.CountSessions(sessions, topology.Materialized[string, int64]{Name: "click-sessions", StoreType: topology.StoreInMemory})
	counts.ToStream().To("click-sessions")

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "clicks", serde.String, serde.String)
	for _, c := range []struct {
		user string
		at   time.Duration
	}{{"alice", 10 * time.Second}, {"alice", 12 * time.Second}, {"bob", 13 * time.Second}, {"alice", 20 * time.Second}, {"alice", 16 * time.Second}} {
		if err := in.PipeInputWithTimestamp(c.user, "/home", c.at.Milliseconds()); err != nil {
			panic(err)
		}
	}
	out := testutil.CreateOutputTopic(d, "click-sessions", serde.SessionWindowed(serde.String), serde.Int64)
	recs, err := out.ReadRecordsToList()
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		w := fmt.Sprintf("%s [%ds, %ds]", r.Key.Key, r.Key.Start/1000, r.Key.End/1000)
		if r.Tombstone {
			fmt.Println(w, "merged away")
		} else {
			fmt.Println(w, r.Value, "clicks")
		}
	}
	// Output:
	// alice [10s, 10s] 1 clicks
	// alice [10s, 10s] merged away
	// alice [10s, 12s] 2 clicks
	// bob [13s, 13s] 1 clicks
	// alice [20s, 20s] 1 clicks
	// alice [10s, 12s] merged away
	// alice [20s, 20s] merged away
	// alice [10s, 20s] 4 clicks
}
