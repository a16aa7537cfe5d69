package topology_test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// benchUsers are 1,000 record keys.
var benchUsers = func() []string {
	out := make([]string, 1000)
	for i := range out {
		out[i] = fmt.Sprintf("user-%04d", (i*37)%1000)
	}
	return out
}()

// benchWindowTs is the timestamp of the i-th record: 100 records a second, so that a
// one-minute window gets 6,000 records (about 6 per key) before the next one starts.
func benchWindowTs(i int) int64 { return int64(i) * 10 }

// BenchmarkDSLWindowCount is a DSL count per key in tumbling windows of one minute
// (GroupByKey → WindowedBy → CountWindowed → ToStream → To, in-memory window store, caching
// off, no grace) in the TopologyTestDriver, per record, beside a hand-written loop doing the
// same: the record read, the window start computed, the count kept in a map keyed by key and
// window start, and each update encoded (windowed key and count).
func BenchmarkDSLWindowCount(b *testing.B) {
	b.Run("driver", func(b *testing.B) {
		sb := topology.NewStreamsBuilder()
		views := topology.Stream(sb, "views", strs)
		topology.CountWindowed(topology.GroupByKey(views).WindowedBy(topology.TimeWindowsOfSizeWithNoGrace(time.Minute)),
			topology.Materialized[string, int64]{Name: "counts", StoreType: topology.StoreInMemory, CachingDisabled: true}).
			ToStream().To("counts")
		top, err := sb.Build()
		if err != nil {
			b.Fatal(err)
		}
		d, err := testutil.NewTopologyTestDriver(top)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		in := testutil.CreateInputTopic(d, "views", serde.String, serde.String)
		out := testutil.CreateOutputTopic(d, "counts", serde.TimeWindowed(serde.String, time.Minute), serde.Int64)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := in.PipeInputWithTimestamp(benchUsers[i%len(benchUsers)], "/home", benchWindowTs(i)); err != nil {
				b.Fatal(err)
			}
			if i%1000 == 0 {
				out.Clear()
			}
		}
	})
	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		type window struct {
			key   string
			start int64
		}
		const size = int64(time.Minute / time.Millisecond)
		wkeys := serde.TimeWindowed(serde.String, time.Minute)
		counts := map[window]int64{}
		current := int64(0)
		n := 0
		for i := 0; b.Loop(); i++ {
			kb := []byte(benchUsers[i%len(benchUsers)])
			key, _ := serde.String.Deserialize("views", kb)
			_, _ = serde.String.Deserialize("views", []byte("/home"))
			ts := benchWindowTs(i)
			w := window{key, ts - ts%size}
			counts[w]++
			ob, _ := wkeys.Serialize("counts", serde.Windowed[string]{Key: key, Start: w.start, End: w.start + size})
			vb := binary.BigEndian.AppendUint64(nil, uint64(counts[w]))
			n += len(ob) + len(vb)
			if w.start != current {
				// The previous window closed (no grace): drop it, as the store's retention does.
				for old := range counts {
					if old.start < w.start {
						delete(counts, old)
					}
				}
				current = w.start
			}
		}
	})
}
