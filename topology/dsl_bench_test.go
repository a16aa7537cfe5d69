package topology_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// benchLines are 1,000 lines of 5 words over a vocabulary of 1,000 words.
var benchLines = func() []string {
	out := make([]string, 1000)
	for i := range out {
		var b strings.Builder
		for j := range 5 {
			fmt.Fprintf(&b, "w%03d ", (i*7+j*131)%1000)
		}
		out[i] = b.String()
	}
	return out
}()

// BenchmarkDSLWordCount is the DSL word count (FlatMapValues → GroupBy → Count → ToStream →
// To, in-memory store, caching off, through its repartition topic) in the TopologyTestDriver,
// per line of 5 words, beside a hand-written loop doing the same splitting, counting and
// encoding of each update.
func BenchmarkDSLWordCount(b *testing.B) {
	b.Run("driver", func(b *testing.B) {
		sb := topology.NewStreamsBuilder()
		words := topology.FlatMapValues(topology.Stream(sb, "lines", strs), strings.Fields)
		topology.Count(topology.GroupBy(words, func(_, w string) string { return w }, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}),
			topology.Materialized[string, int64]{Name: "counts", StoreType: topology.StoreInMemory, CachingDisabled: true}).
			ToStream().To("counts", topology.Produced[string, int64]{Values: serde.Int64})
		top, err := sb.Build()
		if err != nil {
			b.Fatal(err)
		}
		d, err := testutil.NewTopologyTestDriver(top)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		in := testutil.CreateInputTopic(d, "lines", serde.String, serde.String)
		out := testutil.CreateOutputTopic(d, "counts", serde.String, serde.Int64)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := in.PipeInputWithTimestamp("", benchLines[i%len(benchLines)], int64(i)); err != nil {
				b.Fatal(err)
			}
			if i%1000 == 0 {
				out.Clear()
			}
		}
	})
	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		counts := map[string]int64{}
		n := 0
		for i := 0; b.Loop(); i++ {
			line, _ := serde.String.Deserialize("lines", []byte(benchLines[i%len(benchLines)]))
			for _, w := range strings.Fields(line) {
				// The repartition hop: the word serialized and read back.
				kb, _ := serde.String.Serialize("repartition", w)
				k, _ := serde.String.Deserialize("repartition", kb)
				counts[k]++
				ob, _ := serde.String.Serialize("counts", k)
				vb := binary.BigEndian.AppendUint64(nil, uint64(counts[k]))
				n += len(ob) + len(vb)
			}
		}
	})
}
