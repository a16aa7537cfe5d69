package testutil_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// A topology that upper-cases values, tested through the TopologyTestDriver.
func ExampleNewTopologyTestDriver() {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[string, string]{
		Topics: []string{"in"}, Keys: serde.String, Values: serde.String,
	})
	topology.AddProcessor(b, "upper", processor.Func(
		func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
			return ctx.Forward(r.WithValue(strings.ToUpper(r.Value())))
		}), "source")
	topology.AddSink(b, "sink", topology.Sink[string, string]{
		Topic: "out", Keys: serde.String, Values: serde.String,
	}, "upper")
	top, err := b.Build()
	if err != nil {
		panic(err)
	}

	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	out := testutil.CreateOutputTopic(d, "out", serde.String, serde.String)

	_ = in.PipeInput("k1", "hello")
	_ = in.PipeInput("k2", "streams")
	kvs, _ := out.ReadKeyValuesToList()
	fmt.Println(kvs)
	// Output: [{k1 HELLO} {k2 STREAMS}]
}

// A stream-time punctuation: scheduled in Init, it fires as records move stream time past
// each multiple of the interval.
func ExampleTopologyTestDriver_punctuation() {
	b := topology.NewBuilder()
	topology.AddSource(b, "source", topology.Source[string, string]{
		Topics: []string{"in"}, Keys: serde.String, Values: serde.String,
	})
	topology.AddProcessor(b, "ticker", func() processor.Processor[string, string, string, string] {
		return &ticker{}
	}, "source")
	top, err := b.Build()
	if err != nil {
		panic(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := testutil.CreateInputTopic(d, "in", serde.String, serde.String)
	for _, ts := range []int64{5, 9, 12, 35} {
		_ = in.PipeInputWithTimestamp("k", "v", ts)
	}
	// Output:
	// punctuate at stream time 5
	// punctuate at stream time 12
	// punctuate at stream time 35
}

type ticker struct{}

func (ticker) Init(ctx processor.Context[string, string]) error {
	_, err := ctx.Schedule(10*time.Millisecond, processor.StreamTime, func(ts int64) error {
		fmt.Println("punctuate at stream time", ts)
		return nil
	})
	return err
}
func (ticker) Process(processor.Record[string, string]) error { return nil }
func (ticker) Close() error                                   { return nil }
