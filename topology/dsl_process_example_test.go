package topology_test

import (
	"fmt"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// totalProc keeps the running total of each key's amounts in the store "totals" and
// forwards it.
type totalProc struct {
	ctx    processor.Context[string, int64]
	totals *kv.Store[string, int64]
}

func (p *totalProc) Init(ctx processor.Context[string, int64]) error {
	p.ctx = ctx
	var err error
	p.totals, err = processor.KeyValueStore[string, int64](ctx, "totals")
	return err
}

func (p *totalProc) Process(r processor.Record[string, int64]) error {
	total, _, err := p.totals.Get(r.Key())
	if err != nil {
		return err
	}
	total += r.Value()
	if err := p.totals.Put(r.Key(), total); err != nil {
		return err
	}
	return p.ctx.Forward(r.WithValue(total))
}

func (p *totalProc) Close() error { return nil }

// A processor of one's own in a DSL program: its store is added to the StreamsBuilder and
// named in Processed, and the records it forwards flow on through the DSL.
func ExampleProcess() {
	sb := topology.NewStreamsBuilder()
	sb.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("totals"), serde.String, serde.Int64))
	payments := topology.Stream(sb, "payments", topology.Consumed[string, int64]{Keys: serde.String, Values: serde.Int64})
	totals := topology.Process(payments, func() processor.Processor[string, int64, string, int64] {
		return &totalProc{}
	}, topology.Processed{Name: "running-total", Stores: []string{"totals"}})
	totals.To("totals", topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64})

	top, err := sb.Build()
	if err != nil {
		panic(err)
	}
	fmt.Print(top.Describe())

	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "payments", serde.String, serde.Int64)
	for _, p := range []topology.KeyValue[string, int64]{{Key: "alice", Value: 10}, {Key: "bob", Value: 5}, {Key: "alice", Value: 7}} {
		if err := in.PipeInput(p.Key, p.Value); err != nil {
			panic(err)
		}
	}
	kvs, err := testutil.CreateOutputTopic(d, "totals", serde.String, serde.Int64).ReadKeyValuesToList()
	if err != nil {
		panic(err)
	}
	for _, kv := range kvs {
		fmt.Println(kv.Key, kv.Value)
	}
	// Output:
	// Topologies:
	//    Sub-topology: 0
	//     Source: KSTREAM-SOURCE-0000000000 (topics: [payments])
	//       --> running-total
	//     Processor: running-total (stores: [totals])
	//       --> KSTREAM-SINK-0000000001
	//       <-- KSTREAM-SOURCE-0000000000
	//     Sink: KSTREAM-SINK-0000000001 (topic: totals)
	//       <-- running-total
	//
	// alice 10
	// bob 5
	// alice 17
}
