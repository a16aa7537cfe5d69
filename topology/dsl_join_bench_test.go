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

// benchJoinKeys are 10,000 record keys, and benchJoinValues the values sent with them.
var benchJoinKeys, benchJoinValues = func() ([]string, []string) {
	keys, values := make([]string, 10000), make([]string, 10000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%05d", (i*7919)%10000)
		values[i] = fmt.Sprintf("value-%05d", i)
	}
	return keys, values
}()

// benchJoinTs is the timestamp of the i-th record of the stream-stream join benchmark: 100
// records a second, alternating between the sides, the i-th and (i+1)-th (i even) having the
// same key. A key comes back 20,000 records (200 s) later, past the one-minute window: each
// right record joins exactly the left record just before it, and left records join nothing.
func benchJoinTs(i int) int64 { return int64(i) * 10 }

func benchJoinKey(i int) string { return benchJoinKeys[(i/2)%len(benchJoinKeys)] }

// BenchmarkDSLStreamStreamJoin is a DSL inner stream-stream join (Join with
// JoinWindowsOfTimeDifferenceWithNoGrace(1 minute), in-memory window stores, 10,000 keys) in
// the TopologyTestDriver, per input record, beside a hand-written loop doing the same: each
// record read, serialized into its side's per-key list (as the window store does), the other
// side's list for the key scanned for records within the window, each match's value read back,
// joined and the result encoded; records older than the retention (window size + grace, 2
// minutes) expire.
func BenchmarkDSLStreamStreamJoin(b *testing.B) {
	joiner := func(v, o string) string { return v + "+" + o }
	b.Run("driver", func(b *testing.B) {
		sb := topology.NewStreamsBuilder()
		left := topology.Stream(sb, "left", strs)
		right := topology.Stream(sb, "right", strs)
		topology.Join(left, right, joiner, topology.JoinWindowsOfTimeDifferenceWithNoGrace(time.Minute),
			topology.StreamJoined[string, string, string]{StoreType: topology.StoreInMemory}).
			To("joined", topology.Produced[string, string]{Values: serde.String})
		top, err := sb.Build()
		if err != nil {
			b.Fatal(err)
		}
		d, err := testutil.NewTopologyTestDriver(top)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		in := [2]*testutil.TestInputTopic[string, string]{
			testutil.CreateInputTopic(d, "left", serde.String, serde.String),
			testutil.CreateInputTopic(d, "right", serde.String, serde.String),
		}
		out := testutil.CreateOutputTopic(d, "joined", serde.String, serde.String)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := in[i%2].PipeInputWithTimestamp(benchJoinKey(i), benchJoinValues[i%len(benchJoinValues)], benchJoinTs(i)); err != nil {
				b.Fatal(err)
			}
			if i%1000 == 999 {
				// One result per right record.
				if n := out.QueueSize(); n != 500 {
					b.Fatalf("%d joined records for 1,000 inputs, want 500", n)
				}
				out.Clear()
			}
		}
	})
	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		const window = int64(time.Minute / time.Millisecond)
		const retention = 2 * window
		type rec struct {
			ts    int64
			value []byte // serialized, as a store keeps it
		}
		type entry struct {
			key  string
			side int
			ts   int64
		}
		sides := [2]map[string][]rec{{}, {}}
		var fifo []entry // the records in timestamp order, for their expiry
		head := 0
		topics := [2]string{"left", "right"}
		n := 0
		for i := 0; b.Loop(); i++ {
			side, ts := i%2, benchJoinTs(i)
			kb := []byte(benchJoinKey(i))
			vb := []byte(benchJoinValues[i%len(benchJoinValues)])
			key, _ := serde.String.Deserialize(topics[side], kb)
			value, _ := serde.String.Deserialize(topics[side], vb)
			// The window store's put: the key with timestamp and sequence number, the value.
			sk, _ := serde.String.Serialize("store", key)
			sk = binary.BigEndian.AppendUint64(sk, uint64(ts))
			sk = binary.BigEndian.AppendUint32(sk, uint32(i))
			sv, _ := serde.String.Serialize("store", value)
			n += len(sk)
			sides[side][key] = append(sides[side][key], rec{ts, sv})
			fifo = append(fifo, entry{key, side, ts})
			for _, o := range sides[1-side][key] {
				if o.ts < ts-window || o.ts > ts+window {
					continue
				}
				ov, _ := serde.String.Deserialize("store", o.value)
				var joined string
				if side == 0 {
					joined = joiner(value, ov)
				} else {
					joined = joiner(ov, value)
				}
				ob, _ := serde.String.Serialize("joined", key)
				jb, _ := serde.String.Serialize("joined", joined)
				n += len(ob) + len(jb)
			}
			// Expiry: drop the records older than the retention, oldest first.
			for head < len(fifo) && fifo[head].ts < ts-retention {
				e := fifo[head]
				l := sides[e.side][e.key]
				if len(l) <= 1 {
					delete(sides[e.side], e.key)
				} else {
					sides[e.side][e.key] = l[1:]
				}
				head++
			}
			if head > 1<<16 && head > len(fifo)/2 {
				fifo = append(fifo[:0], fifo[head:]...)
				head = 0
			}
		}
		_ = n
	})
}

// BenchmarkDSLStreamTableJoin is a DSL stream-table join (JoinTable of a stream with a table
// pre-loaded with 10,000 keys, in-memory store, caching off) in the TopologyTestDriver, per
// stream record, beside a hand-written loop doing the same: the record read, its key looked
// up in a map of the table's serialized values, the value read back, joined and the result
// encoded.
func BenchmarkDSLStreamTableJoin(b *testing.B) {
	joiner := func(v, vt string) string { return v + "+" + vt }
	b.Run("driver", func(b *testing.B) {
		sb := topology.NewStreamsBuilder()
		stream := topology.Stream(sb, "clicks", strs)
		table := topology.Table(sb, "users", strs, topology.Materialized[string, string]{
			Name: "users-store", StoreType: topology.StoreInMemory, CachingDisabled: true})
		topology.JoinTable(stream, table, joiner).
			To("enriched", topology.Produced[string, string]{Values: serde.String})
		top, err := sb.Build()
		if err != nil {
			b.Fatal(err)
		}
		d, err := testutil.NewTopologyTestDriver(top)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		users := testutil.CreateInputTopic(d, "users", serde.String, serde.String)
		for i, k := range benchJoinKeys {
			if err := users.PipeInputWithTimestamp(k, benchJoinValues[i], 0); err != nil {
				b.Fatal(err)
			}
		}
		in := testutil.CreateInputTopic(d, "clicks", serde.String, serde.String)
		out := testutil.CreateOutputTopic(d, "enriched", serde.String, serde.String)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := in.PipeInputWithTimestamp(benchJoinKeys[(i*31)%len(benchJoinKeys)], "/home", int64(i)); err != nil {
				b.Fatal(err)
			}
			if i%1000 == 999 {
				if n := out.QueueSize(); n != 1000 {
					b.Fatalf("%d joined records for 1,000 inputs, want 1,000", n)
				}
				out.Clear()
			}
		}
	})
	b.Run("loop", func(b *testing.B) {
		table := map[string][]byte{}
		for i, k := range benchJoinKeys {
			vb, _ := serde.String.Serialize("users", benchJoinValues[i])
			table[k] = vb
		}
		b.ReportAllocs()
		n := 0
		for i := 0; b.Loop(); i++ {
			kb := []byte(benchJoinKeys[(i*31)%len(benchJoinKeys)])
			key, _ := serde.String.Deserialize("clicks", kb)
			value, _ := serde.String.Deserialize("clicks", []byte("/home"))
			tb, ok := table[key]
			if !ok {
				continue
			}
			tv, _ := serde.String.Deserialize("users", tb)
			ob, _ := serde.String.Serialize("enriched", key)
			jb, _ := serde.String.Serialize("enriched", joiner(value, tv))
			n += len(ob) + len(jb)
		}
		_ = n
	})
}
