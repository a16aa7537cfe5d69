package topology

import (
	"regexp"
	"strings"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// This file holds the groupings of a KStream (Kafka Streams' KStream.groupByKey and groupBy,
// KGroupedStreamImpl) and the repartition topic an aggregation of a re-keyed stream reads
// (Kafka's GroupedStreamAggregateBuilder and KStreamImpl.createRepartitionedSource).

// Grouped configures a grouping (Kafka's Grouped): the serdes of the repartition topic and
// its name.
type Grouped[K, V any] struct {
	// Keys and Values write and read the repartition topic, and are the default serdes of
	// the aggregations' stores; default: the stream's serdes (GroupBy has no key serde of
	// its own: give Keys when it repartitions).
	Keys   serde.Serde[K]
	Values serde.Serde[V]
	// Name names the repartition topic "<Name>-repartition" (at run time
	// "<application.id>-<Name>-repartition") and its nodes "<Name>-repartition-filter",
	// "-sink" and "-source"; for GroupBy it also names the key-selecting node, as in Kafka.
	// Default: the store's name, so the topic is "<store>-repartition", and generated node
	// names.
	Name string
}

// KGroupedStream is a stream grouped by key, ready to be aggregated (Kafka Streams'
// KGroupedStream): Count, Reduce and Aggregate turn it into a KTable. Create it with
// GroupByKey or GroupBy.
type KGroupedStream[K, V any] struct {
	sb   *StreamsBuilder
	name string // the node whose records are grouped
	// keys and values are Grouped's serdes, else the stream's (nil when unknown).
	keys   serde.Serde[K]
	values serde.Serde[V]
	// repartitionRequired says an aggregation must first write the records to a repartition
	// topic (the key changed upstream).
	repartitionRequired bool
	// userName is Grouped.Name ("" when not given).
	userName string
	// repartitionSource is the source reading the user-named repartition topic, once an
	// aggregation created it: later aggregations reuse it, as Kafka reuses a user-named
	// repartition node (with generated names each aggregation gets its own topic).
	repartitionSource string
}

// GroupByKey groups the stream by its key (Kafka's KStream.groupByKey). It adds no node; if
// the key was changed upstream (Map, FlatMap, SelectKey, or a Merge of such a stream), the
// aggregation inserts a repartition topic first, as Kafka does.
func GroupByKey[K, V any](s *KStream[K, V], g ...Grouped[K, V]) *KGroupedStream[K, V] {
	cfg := oneGrouped(s.sb, "GroupByKey", g)
	gs := &KGroupedStream[K, V]{sb: s.sb, name: s.name, keys: cfg.Keys, values: cfg.Values, repartitionRequired: s.repartitionRequired, userName: cfg.Name}
	if gs.keys == nil {
		gs.keys = s.keys
	}
	if gs.values == nil {
		gs.values = s.values
	}
	return gs
}

// GroupBy groups the stream by the key selector returns for each record (Kafka's
// KStream.groupBy): it adds a key-selecting node KSTREAM-KEY-SELECT-%010d (named
// Grouped.Name when given, as in Kafka), and the aggregation always repartitions.
func GroupBy[K, V, KR any](s *KStream[K, V], selector func(key K, value V) KR, g ...Grouped[KR, V]) *KGroupedStream[KR, V] {
	cfg := oneGrouped(s.sb, "GroupBy", g)
	sel := SelectKey(s, selector, Named(cfg.Name))
	gs := &KGroupedStream[KR, V]{sb: s.sb, name: sel.name, keys: cfg.Keys, values: cfg.Values, repartitionRequired: true, userName: cfg.Name}
	if gs.values == nil {
		gs.values = s.values
	}
	return gs
}

func oneGrouped[K, V any](sb *StreamsBuilder, op string, g []Grouped[K, V]) Grouped[K, V] {
	if len(g) > 1 {
		sb.b.fail("%s: more than one Grouped", op)
	}
	if len(g) > 0 {
		return g[0]
	}
	return Grouped[K, V]{}
}

// Name returns the name of the node whose records the grouped stream carries.
func (g *KGroupedStream[K, V]) Name() string { return g.name }

// The suffix of repartition topics and Kafka's test of generated names
// (KStreamImpl.createRepartitionedSource: a prefix matching it gives generated node names).
const repartitionSuffix = "-repartition"

var generatedName = regexp.MustCompile(`^KSTREAM.*-[0-9]{10}$`)

// parentFor returns the node an aggregation whose store is storeName reads: the grouped
// node itself, or the source of a repartition topic it inserts (Kafka's
// GroupedStreamAggregateBuilder.build). The repartition topic is "<prefix>-repartition",
// prefix being Grouped.Name or else storeName; it burns three names of the counter (sink,
// filter, source, in that order) whether or not they are used, as Kafka does.
func (g *KGroupedStream[K, V]) parentFor(op, storeName string) string {
	if !g.repartitionRequired {
		return g.name
	}
	topic, sink, filter, source := g.repartitionNames(storeName)
	if g.userName != "" && g.repartitionSource != "" {
		return g.repartitionSource
	}
	source = g.addRepartition(op, topic, sink, filter, source)
	if g.userName != "" && source != g.name {
		g.repartitionSource = source
	}
	return source
}

// repartitionNames returns the repartition topic of an aggregation whose store is storeName
// and the names of its sink, filter and source nodes, burning three names of the counter
// (Kafka's KStreamImpl.createRepartitionedSource).
func (g *KGroupedStream[K, V]) repartitionNames(storeName string) (topic, sink, filter, source string) {
	prefix := g.userName
	if prefix == "" {
		prefix = storeName
	}
	topic = prefix
	if !strings.HasSuffix(topic, repartitionSuffix) {
		topic += repartitionSuffix
	}
	sink, filter, source = g.sb.newName(sinkPrefix), g.sb.newName(filterPrefix), g.sb.newName(sourcePrefix)
	if !generatedName.MatchString(prefix) {
		sink, filter, source = topic+"-sink", topic+"-filter", topic+"-source"
	}
	return topic, sink, filter, source
}

// addRepartition adds the repartition topic and its filter, sink and source nodes, and
// returns the source (the grouped node itself after recording an error).
func (g *KGroupedStream[K, V]) addRepartition(op, topic, sink, filter, source string) string {
	if g.keys == nil || g.values == nil {
		g.sb.b.fail("%s: the grouped stream %q must be repartitioned (its key changed) and has no key or value serde: give them in Grouped", op, g.name)
		return g.name
	}
	AddFixedKeyProcessor(g.sb.b, filter, func() processor.FixedKeyProcessor[K, V, V] {
		return &nullKeyFilter[K, V]{}
	}, g.name)
	AddSink(g.sb.b, sink, Sink[K, V]{Topic: topic, Keys: g.keys, Values: g.values}, filter)
	AddSource(g.sb.b, source, Source[K, V]{Topics: []string{topic}, Keys: g.keys, Values: g.values})
	g.sb.b.addInternalTopic(topic, engine.InternalTopic{})
	return source
}

// nullKeyFilter is the KSTREAM-FILTER node before an aggregation's repartition topic (Kafka's
// createRepartitionedSource). Kafka 3.9's filter passes every record and the aggregation
// after the topic skips those without a key, counting them in dropped-records; this one
// skips and counts them before the topic, so that they are not written to it: the count is
// the same.
type nullKeyFilter[K, V any] struct {
	ctx processor.FixedKeyContext[K, V]
}

func (p *nullKeyFilter[K, V]) Init(ctx processor.FixedKeyContext[K, V]) error {
	p.ctx = ctx
	return nil
}
func (p *nullKeyFilter[K, V]) Close() error { return nil }
func (p *nullKeyFilter[K, V]) Process(r processor.FixedKeyRecord[K, V]) error {
	if !r.HasKey() {
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	return p.ctx.Forward(r)
}
