package topology_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Conformance of Process, ProcessValues and StreamsBuilder.AddStateStore: the inputs,
// outputs and Describe strings of the Kafka Streams tests named above each test
// (org.apache.kafka.streams.kstream.internals.KStreamImplTest unless said otherwise).

var procStrings = topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}

// describeOf builds sb and returns its Describe string.
func describeOf(t *testing.T, sb *topology.StreamsBuilder) string {
	t.Helper()
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	return top.Describe().String()
}

func checkDescribeOf(t *testing.T, sb *topology.StreamsBuilder, want string) {
	t.Helper()
	if got := describeOf(t, sb); got != want {
		t.Errorf("Describe().String() differs from Kafka's\n--- got:\n%s\n--- want:\n%s", got, want)
	}
}

// The six records the process tests of KStreamImplTest pipe (key, value, timestamp).
func pipeLengths(t *testing.T, d *testutil.TopologyTestDriver) {
	t.Helper()
	in := testutil.CreateInputTopic(d, "input", serde.String, serde.String)
	for _, r := range []kvt[string, string]{{"A", "0", 5}, {"B", "00", 100}, {"C", "000", 0}, {"D", "0000", 0}, {"A", "00000", 10}, {"A", "000000", 8}} {
		must(t, in.PipeInputWithTimestamp(r.Key, r.Value, r.Ts))
	}
}

var wantLengths = []kvt[string, int32]{{"A", 1, 5}, {"B", 2, 100}, {"C", 3, 0}, {"D", 4, 0}, {"A", 5, 10}, {"A", 6, 8}}

// KStreamImplTest.shouldBindStateWithOldProcessor: process with Named.as("p") forwarding
// each value's length; the named node does not advance the counter (the sink is
// KSTREAM-SINK-0000000001).
func TestDSLProcessNamed(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Process(topology.Stream(sb, "input", procStrings), processor.Func(func(ctx processor.Context[string, int32], r processor.Record[string, string]) error {
		return ctx.Forward(processor.Revalue(r, int32(len(r.Value()))))
	}), topology.Processed{Name: "p"}).To("output", topology.Produced[string, int32]{Keys: serde.String, Values: serde.Int32})
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> p\n"+
		"    Processor: p (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000001\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Sink: KSTREAM-SINK-0000000001 (topic: output)\n"+
		"      <-- p\n\n")
	d := newDriver(t, sb)
	pipeLengths(t, d)
	check(t, readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.Int32)), wantLengths)
}

// lengthProc is KStreamImplTest.shouldProcessValues' ContextualFixedKeyProcessor.
type lengthProc struct {
	ctx processor.FixedKeyContext[string, int32]
}

func (p *lengthProc) Init(ctx processor.FixedKeyContext[string, int32]) error {
	p.ctx = ctx
	return nil
}
func (p *lengthProc) Close() error { return nil }
func (p *lengthProc) Process(r processor.FixedKeyRecord[string, string]) error {
	return p.ctx.Forward(processor.RevalueFixed(r, int32(len(r.Value()))))
}

// KStreamImplTest.shouldProcessValues: processValues with Named.as("fkp"). The key serde is
// kept, so To needs only the value serializer (Kafka's Produced.valueSerde).
func TestDSLProcessValues(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.ProcessValues(topology.Stream(sb, "input", procStrings), func() processor.FixedKeyProcessor[string, string, int32] {
		return &lengthProc{}
	}, topology.Processed{Name: "fkp"}).To("output", topology.Produced[string, int32]{Values: serde.Int32})
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> fkp\n"+
		"    Processor: fkp (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000001\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Sink: KSTREAM-SINK-0000000001 (topic: output)\n"+
		"      <-- fkp\n\n")
	d := newDriver(t, sb)
	pipeLengths(t, d)
	check(t, readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.Int32)), wantLengths)
}

// sumProc is the processor of KStreamImplTest.shouldBindStateWithOldProcessorSupplier: the
// running total of the value lengths of each key in the store "sum".
type sumProc struct {
	sum *kv.Store[string, int32]
}

func (p *sumProc) Init(ctx processor.Context[struct{}, struct{}]) error {
	var err error
	p.sum, err = processor.KeyValueStore[string, int32](ctx, "sum")
	return err
}
func (p *sumProc) Close() error { return nil }
func (p *sumProc) Process(r processor.Record[string, string]) error {
	counter, found, err := p.sum.Get(r.Key())
	switch {
	case err != nil:
		return err
	case !found:
		_, _, err = p.sum.PutIfAbsent(r.Key(), int32(len(r.Value())))
	case r.IsTombstone():
		_, _, err = p.sum.Delete(r.Key())
	default:
		err = p.sum.Put(r.Key(), counter+int32(len(r.Value())))
	}
	return err
}

// KStreamImplTest.shouldBindStateWithOldProcessorSupplier: a processor named "p" with the
// in-memory key-value store "sum" (Kafka's supplier declares it through stores(); here it
// is added with StreamsBuilder.AddStateStore and named in Processed.Stores). After the six
// records the store holds A=12, B=2, C=3, D=4.
func TestDSLProcessWithStateStore(t *testing.T) {
	for _, storeFirst := range []bool{true, false} {
		testDSLProcessWithStateStore(t, storeFirst)
	}
}

// The store may be added before or after the Process call that names it (Kafka connects
// stores when it writes the topology).
func testDSLProcessWithStateStore(t *testing.T, storeFirst bool) {
	sb := topology.NewStreamsBuilder()
	add := func() { sb.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("sum"), serde.String, serde.Int32)) }
	if storeFirst {
		add()
	}
	topology.Process(topology.Stream(sb, "input", procStrings), func() processor.Processor[string, string, struct{}, struct{}] {
		return &sumProc{}
	}, topology.Processed{Name: "p", Stores: []string{"sum"}})
	if !storeFirst {
		add()
	}
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> p\n"+
		"    Processor: p (stores: [sum])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
	d := newDriver(t, sb)
	pipeLengths(t, d)
	st, err := testutil.KeyValueStore[string, int32](d, "sum")
	must(t, err)
	for k, want := range map[string]int32{"A": 12, "B": 2, "C": 3, "D": 4} {
		if got, found, err := st.Get(k); err != nil || !found || got != want {
			t.Errorf("sum[%s] = %d, %v, %v; want %d", k, got, found, err, want)
		}
	}
}

// StreamsBuilderTest.shouldUseSpecifiedNameForProcessOperation: the nodes are
// KSTREAM-SOURCE-0000000000 and test-processor; and with generated names, the prefixes of
// KStreamImpl.PROCESSOR_NAME and PROCESSVALUES_NAME.
func TestDSLProcessNames(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	topology.Process(topology.Stream(sb, "stream-topic", procStrings), passProcessor(), topology.Processed{Name: "test-processor"})
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [stream-topic])\n"+
		"      --> test-processor\n"+
		"    Processor: test-processor (stores: [])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")

	sb = topology.NewStreamsBuilder()
	s := topology.Process(topology.Stream(sb, "stream-topic", procStrings), passProcessor())
	topology.ProcessValues(s, func() processor.FixedKeyProcessor[string, string, string] { return &passFixed{} })
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [stream-topic])\n"+
		"      --> KSTREAM-PROCESSOR-0000000001\n"+
		"    Processor: KSTREAM-PROCESSOR-0000000001 (stores: [])\n"+
		"      --> KSTREAM-PROCESSVALUES-0000000002\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-PROCESSVALUES-0000000002 (stores: [])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-PROCESSOR-0000000001\n\n")
}

func passProcessor() processor.Supplier[string, string, string, string] {
	return processor.Func(func(ctx processor.Context[string, string], r processor.Record[string, string]) error {
		return ctx.Forward(r)
	})
}

type passFixed struct {
	ctx processor.FixedKeyContext[string, string]
}

func (p *passFixed) Init(ctx processor.FixedKeyContext[string, string]) error {
	p.ctx = ctx
	return nil
}
func (p *passFixed) Close() error { return nil }
func (p *passFixed) Process(r processor.FixedKeyRecord[string, string]) error {
	return p.ctx.Forward(r)
}

// The start of StreamsGraphTest.shouldNotThrowNPEWithMergeNodes' program
// (expectedComplexMergeOptimizeTopology): stream("retryTopic").process(supplier)
// .groupByKey(Grouped.with(String, String)).aggregate(initializer, aggregator,
// Materialized.with(String, String)). Process may change the key, so the aggregation
// repartitions: its first sub-topology and the head of its second are Kafka's string (the
// Kafka program goes on with suppress, which Tributary has not yet; the aggregate here ends
// the topology).
func TestDSLProcessRequiresRepartition(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	p := topology.Process(topology.Stream(sb, "retryTopic", procStrings), passProcessor())
	topology.Aggregate(topology.GroupByKey(p, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}),
		func() string { return "" }, func(_, v, agg string) string { return agg + v },
		topology.Materialized[string, string]{Values: serde.String, StoreType: topology.StoreInMemory})
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [retryTopic])\n"+
		"      --> KSTREAM-PROCESSOR-0000000001\n"+
		"    Processor: KSTREAM-PROCESSOR-0000000001 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- KSTREAM-PROCESSOR-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000005\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition])\n"+
		"      --> KSTREAM-AGGREGATE-0000000003\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n\n")
}

// ProcessValues keeps the key, so the same program with ProcessValues does not repartition
// (Kafka's processValues keeps repartitionRequired of its parent): one sub-topology, and
// the counter advances by the store and the aggregate only.
func TestDSLProcessValuesKeepsPartitioning(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	p := topology.ProcessValues(topology.Stream(sb, "retryTopic", procStrings), func() processor.FixedKeyProcessor[string, string, string] { return &passFixed{} })
	topology.Count(topology.GroupByKey(p), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
	checkDescribeOf(t, sb, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [retryTopic])\n"+
		"      --> KSTREAM-PROCESSVALUES-0000000001\n"+
		"    Processor: KSTREAM-PROCESSVALUES-0000000001 (stores: [])\n"+
		"      --> KSTREAM-AGGREGATE-0000000003\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-PROCESSVALUES-0000000001\n\n")

	// After a key change, ProcessValues carries the need to repartition.
	sb = topology.NewStreamsBuilder()
	rekeyed := topology.SelectKey(topology.Stream(sb, "t", procStrings), func(_, v string) string { return v })
	p = topology.ProcessValues(rekeyed, func() processor.FixedKeyProcessor[string, string, string] { return &passFixed{} })
	topology.Count(topology.GroupByKey(p, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}), topology.Materialized[string, int64]{StoreType: topology.StoreInMemory})
	if got := describeOf(t, sb); !strings.Contains(got, "KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition") {
		t.Errorf("SelectKey then ProcessValues then Count does not repartition:\n%s", got)
	}
}

// dedupProc forwards the first record of each key only, remembering the keys in the store
// "seen", and every 10 ms of stream time forwards the number of keys seen so far under the
// key "#seen" with the punctuation's timestamp.
type dedupProc struct {
	ctx  processor.Context[string, string]
	seen *kv.Store[string, int64]
}

func (p *dedupProc) Init(ctx processor.Context[string, string]) error {
	p.ctx = ctx
	var err error
	if p.seen, err = processor.KeyValueStore[string, int64](ctx, "seen"); err != nil {
		return err
	}
	_, err = ctx.Schedule(10*time.Millisecond, processor.StreamTime, func(ts int64) error {
		n, err := p.seen.ApproximateNumEntries()
		if err != nil {
			return err
		}
		return ctx.Forward(processor.NewRecord("#seen", strings.Repeat("x", int(n)), ts))
	})
	return err
}
func (p *dedupProc) Close() error { return nil }
func (p *dedupProc) Process(r processor.Record[string, string]) error {
	if _, found, err := p.seen.PutIfAbsent(r.Key(), r.Timestamp()); err != nil || found {
		return err
	}
	return p.ctx.Forward(r)
}

// A deduplicating processor with a key-value store and a stream-time punctuation through
// the TopologyTestDriver, caching off and on (the store is only read and written by the
// processor, so caching does not change the output). Punctuations fire when stream time
// reaches 0 (the first record), 10 and 20, and get the stream time that fired them (0, 12,
// 21), as Kafka's stream-time punctuations do.
func TestDSLProcessDedupWithPunctuation(t *testing.T) {
	for _, caching := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		b := kv.NewBuilder(kv.InMemorySupplier("seen"), serde.String, serde.Int64)
		if caching {
			b.WithCachingEnabled()
		}
		sb.AddStateStore(b)
		topology.Process(topology.Stream(sb, "input", procStrings), func() processor.Processor[string, string, string, string] {
			return &dedupProc{}
		}, topology.Processed{Stores: []string{"seen"}}).To("output", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
		d := newDriver(t, sb)
		in := testutil.CreateInputTopic(d, "input", serde.String, serde.String)
		for _, r := range []kvt[string, string]{{"a", "1", 0}, {"b", "2", 3}, {"a", "3", 12}, {"c", "4", 15}, {"b", "5", 21}} {
			must(t, in.PipeInputWithTimestamp(r.Key, r.Value, r.Ts))
		}
		check(t, readAll(t, testutil.CreateOutputTopic(d, "output", serde.String, serde.String)), []kvt[string, string]{
			{"a", "1", 0}, {"#seen", "x", 0}, {"b", "2", 3}, {"#seen", "xx", 12}, {"c", "4", 15}, {"#seen", "xxx", 21},
		})
	}
}

// Mistakes are errors of Build naming the store and the node: a store not added, a global
// store named, a nil supplier, a store added and used by no processor.
func TestDSLProcessBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(sb *topology.StreamsBuilder)
		want  []string
	}{
		{"unknown store", func(sb *topology.StreamsBuilder) {
			topology.Process(topology.Stream(sb, "in", procStrings), passProcessor(), topology.Processed{Name: "p", Stores: []string{"nope"}})
		}, []string{`"p"`, `"nope"`, "AddStateStore"}},
		{"unknown store of ProcessValues", func(sb *topology.StreamsBuilder) {
			topology.ProcessValues(topology.Stream(sb, "in", procStrings), func() processor.FixedKeyProcessor[string, string, string] { return &passFixed{} },
				topology.Processed{Stores: []string{"nope"}})
		}, []string{`"KSTREAM-PROCESSVALUES-0000000001"`, `"nope"`}},
		{"global store", func(sb *topology.StreamsBuilder) {
			topology.GlobalTable(sb, "g", procStrings, topology.Materialized[string, string]{Name: "gs", StoreType: topology.StoreInMemory})
			topology.Process(topology.Stream(sb, "in", procStrings), passProcessor(), topology.Processed{Name: "p", Stores: []string{"gs"}})
		}, []string{`"p"`, `"gs"`, "global"}},
		{"nil supplier", func(sb *topology.StreamsBuilder) {
			topology.Process[string, string, string, string](topology.Stream(sb, "in", procStrings), nil)
		}, []string{"KSTREAM-PROCESSOR-0000000001", "nil"}},
		{"unused store", func(sb *topology.StreamsBuilder) {
			sb.AddStateStore(kv.NewBuilder(kv.InMemorySupplier("lonely"), serde.String, serde.String))
			topology.Stream(sb, "in", procStrings).To("out")
		}, []string{`"lonely"`, "not connected"}},
		{"two Processed", func(sb *topology.StreamsBuilder) {
			topology.Process(topology.Stream(sb, "in", procStrings), passProcessor(), topology.Processed{}, topology.Processed{})
		}, []string{"more than one Processed"}},
	} {
		sb := topology.NewStreamsBuilder()
		tc.build(sb)
		_, err := sb.Build()
		if err == nil {
			t.Errorf("%s: Build succeeded", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", tc.name, err, w)
			}
		}
	}
}
