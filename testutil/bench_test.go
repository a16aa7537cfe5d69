package testutil_test

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// The engine benchmarks run a topology through the task engine directly (a batch of raw
// records, a collector that drops what sinks produce) and through the TopologyTestDriver
// (one record per pipe, as tests do), beside a hand-written Go loop doing the same work:
// decode the bytes, transform, encode. BENCHMARKS.md reports the ratios.

const benchRecords = 1 << 12 // records per batch, cycled; keys repeat every 1000

var benchKeys, benchValues [][]byte

func init() {
	for i := range benchRecords {
		benchKeys = append(benchKeys, []byte("key-"+strconv.Itoa(i%1000)))
		benchValues = append(benchValues, []byte("value-"+strconv.Itoa(i)))
	}
}

// The user functions, shared by the topology and the loop.
func mapValue(v string) string { return v + "!" }
func keep(v string) bool       { return len(v)%2 == 0 }

type discard struct{ n int }

func (d *discard) Send(r engine.OutRecord) error      { d.n += len(r.Value); return nil }
func (d *discard) PartitionCount(string) (int, error) { return 1, nil }

func statelessTopology(b *testing.B) *topology.Topology {
	tb := topology.NewBuilder()
	topology.AddSource(tb, "source", topology.Source[string, string]{Topics: []string{"in"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(tb, "map", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		return ctx.Forward(r.WithValue(mapValue(r.Value())))
	}), "source")
	topology.AddProcessor(tb, "filter", processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		if !keep(r.Value()) {
			return nil
		}
		return ctx.Forward(r)
	}), "map")
	topology.AddSink(tb, "sink", topology.Sink[string, string]{Topic: "out", Keys: serde.String, Values: serde.String}, "filter")
	t, err := tb.Build()
	if err != nil {
		b.Fatal(err)
	}
	return t
}

type countProc struct {
	ctx    processor.Context[string, int64]
	counts *kv.Store[string, int64]
}

func (p *countProc) Init(ctx processor.Context[string, int64]) (err error) {
	p.ctx = ctx
	p.counts, err = processor.KeyValueStore[string, int64](ctx, "counts")
	return err
}

func (p *countProc) Process(r processor.Record[string, string]) error {
	n, _, err := p.counts.Get(r.Key())
	if err != nil {
		return err
	}
	n++
	if err := p.counts.Put(r.Key(), n); err != nil {
		return err
	}
	return p.ctx.Forward(processor.NewRecord(r.Key(), n, r.Timestamp()))
}

func (p *countProc) Close() error { return nil }

func countTopology(b *testing.B) *topology.Topology {
	tb := topology.NewBuilder()
	topology.AddSource(tb, "source", topology.Source[string, string]{Topics: []string{"in"}, Keys: serde.String, Values: serde.String})
	topology.AddProcessor(tb, "count", func() processor.Processor[string, string, string, int64] { return &countProc{} }, "source")
	tb.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("counts"), serde.String, serde.Int64), "count")
	topology.AddSink(tb, "sink", topology.Sink[string, int64]{Topic: "out", Keys: serde.String, Values: serde.Int64}, "count")
	t, err := tb.Build()
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// runEngine processes b.N records through one task, in batches of benchRecords.
func runEngine(b *testing.B, top *topology.Topology) {
	g, _ := engine.GraphOf(top)
	sink := &discard{}
	task, err := engine.NewTask(g, g.Subtopologies[0], 0, engine.Config{ApplicationID: "bench", StateDir: b.TempDir(), Collector: sink})
	if err != nil {
		b.Fatal(err)
	}
	defer task.Close()
	if err := task.Init(); err != nil {
		b.Fatal(err)
	}
	batch := make([]engine.RawRecord, benchRecords)
	for i := range batch {
		batch[i] = engine.RawRecord{Topic: "in", Offset: int64(i), Key: benchKeys[i], Value: benchValues[i], Timestamp: int64(i)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(benchRecords, b.N-done)
		if err := task.AddRecords("in", 0, batch[:n]); err != nil {
			b.Fatal(err)
		}
		for {
			ok, err := task.Process()
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
		}
		done += n
	}
}

// runDriver pipes b.N records through the TopologyTestDriver, one per call.
func runDriver(b *testing.B, top *topology.Topology, clear func(d *testutil.TopologyTestDriver) func()) {
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "in", serde.Bytes, serde.Bytes)
	drop := clear(d)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % benchRecords
		if err := in.PipeInputWithTimestamp(benchKeys[j], benchValues[j], int64(i)); err != nil {
			b.Fatal(err)
		}
		if j == 0 {
			drop()
		}
	}
}

func BenchmarkStatelessChain(b *testing.B) {
	b.Run("engine", func(b *testing.B) { runEngine(b, statelessTopology(b)) })
	b.Run("driver", func(b *testing.B) {
		runDriver(b, statelessTopology(b), func(d *testutil.TopologyTestDriver) func() {
			return testutil.CreateOutputTopic(d, "out", serde.String, serde.String).Clear
		})
	})
	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		out := 0
		for i := 0; b.Loop(); i++ {
			j := i % benchRecords
			k, _ := serde.String.Deserialize("in", benchKeys[j])
			v, _ := serde.String.Deserialize("in", benchValues[j])
			v = mapValue(v)
			if !keep(v) {
				continue
			}
			kb, _ := serde.String.Serialize("out", k)
			vb, _ := serde.String.Serialize("out", v)
			out += len(kb) + len(vb)
		}
	})
}

func BenchmarkCountByKey(b *testing.B) {
	b.Run("engine", func(b *testing.B) { runEngine(b, countTopology(b)) })
	b.Run("driver", func(b *testing.B) {
		runDriver(b, countTopology(b), func(d *testutil.TopologyTestDriver) func() {
			return testutil.CreateOutputTopic(d, "out", serde.String, serde.Int64).Clear
		})
	})
	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		counts := map[string]int64{}
		out := 0
		for i := 0; b.Loop(); i++ {
			j := i % benchRecords
			k, _ := serde.String.Deserialize("in", benchKeys[j])
			_, _ = serde.String.Deserialize("in", benchValues[j])
			counts[k]++
			kb, _ := serde.String.Serialize("out", k)
			vb := binary.BigEndian.AppendUint64(nil, uint64(counts[k]))
			out += len(kb) + len(vb)
		}
	})
}
