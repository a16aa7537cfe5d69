package topology_test

import (
	"fmt"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/topology"
)

// Building a topology node by node, and printing it in Kafka's Describe() format.
func ExampleBuilder() {
	b := topology.NewBuilder()
	topology.AddSource(b, "orders", topology.Source[string, int64]{
		Topics: []string{"orders"}, Keys: serde.String, Values: serde.Int64,
	})
	topology.AddProcessor(b, "total", processor.Func(
		func(ctx processor.Context[string, int64], r processor.Record[string, int64]) error {
			totals, err := processor.KeyValueStore[string, int64](ctx, "totals")
			if err != nil {
				return err
			}
			sum, _, err := totals.Get(r.Key())
			if err != nil {
				return err
			}
			sum += r.Value()
			if err := totals.Put(r.Key(), sum); err != nil {
				return err
			}
			return ctx.Forward(r.WithValue(sum))
		}), "orders")
	b.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("totals"), serde.String, serde.Int64), "total")
	topology.AddSink(b, "totals-out", topology.Sink[string, int64]{
		Topic: "order-totals", Keys: serde.String, Values: serde.Int64,
	}, "total")

	top, err := b.Build()
	if err != nil {
		panic(err)
	}
	fmt.Print(top.Describe())
	// Output:
	// Topologies:
	//    Sub-topology: 0
	//     Source: orders (topics: [orders])
	//       --> total
	//     Processor: total (stores: [totals])
	//       --> totals-out
	//       <-- orders
	//     Sink: totals-out (topic: order-totals)
	//       <-- total
}

// Build reports every mistake at once, naming the nodes and types involved.
func ExampleBuilder_Build() {
	b := topology.NewBuilder()
	topology.AddSource(b, "in", topology.Source[string, string]{
		Topics: []string{"in"}, Keys: serde.String, Values: serde.String,
	})
	topology.AddProcessor(b, "count", processor.Func(
		func(ctx processor.Context[string, int64], r processor.Record[string, int64]) error {
			return ctx.Forward(r)
		}), "in")
	topology.AddSink(b, "out", topology.Sink[string, int64]{
		Topic: "out", Keys: serde.String, Values: serde.Int64,
	}, "missing")
	_, err := b.Build()
	fmt.Println(err)
	// Output:
	// topology: processor "count" takes records of (string, int64) but its parent "in" produces (string, string)
	// topology: sink "out" has unknown parent "missing"
}
