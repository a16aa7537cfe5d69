package topology

import (
	"strings"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// This file holds KStream.repartition (Kafka Streams' KStreamImpl.repartition and
// doRepartition with createRepartitionedSource): the stream written to a topic the topology
// owns and read back, so that its records are partitioned by their current key.

// repartitionPrefix is the name prefix of Kafka Streams' KStreamImpl.repartition.
const repartitionPrefix = "KSTREAM-REPARTITION-"

// Repartitioned configures Repartition (Kafka's Repartitioned): the name, serdes, partition
// count and partitioner of the repartition topic.
type Repartitioned[K, V any] struct {
	// Name names the topic "<Name>-repartition" (at run time
	// "<application.id>-<Name>-repartition") and its nodes "<Name>-repartition-filter",
	// "-sink" and "-source"; default: a generated KSTREAM-REPARTITION-%010d, which gives the
	// nodes generated names, as in Kafka.
	Name string
	// Keys and Values write and read the topic and are the result's serdes; default: the
	// stream's, which must then be known.
	Keys   serde.Serde[K]
	Values serde.Serde[V]
	// Partitions is the topic's partition count; 0 (the default) sizes it as the
	// sub-topology writing to it, as Kafka sizes repartition topics.
	Partitions int
	// Partitioner chooses the partition of each record; default: murmur2 of the key bytes.
	Partitioner Partitioner[K, V]
}

// Repartition writes the stream to a repartition topic and returns the stream read back from
// it (Kafka's KStream.repartition): the records are then partitioned by their key, and a
// grouping or join of the result does not repartition again. It adds a filter, a sink and a
// source, named after Repartitioned.Name or generated, and burns four names of the counter
// (three when Name is given), as Kafka does. The filter forwards every record, as Kafka's
// (records without a key go to a partition the partitioner picks).
func Repartition[K, V any](s *KStream[K, V], r ...Repartitioned[K, V]) *KStream[K, V] {
	var cfg Repartitioned[K, V]
	if len(r) > 1 {
		s.sb.b.fail("Repartition: more than one Repartitioned")
	}
	if len(r) > 0 {
		cfg = r[0]
	}
	prefix := cfg.Name
	if prefix == "" {
		prefix = s.sb.newName(repartitionPrefix)
	}
	keys, values := cfg.Keys, cfg.Values
	if keys == nil {
		keys = s.keys
	}
	if values == nil {
		values = s.values
	}
	topic := prefix
	if !strings.HasSuffix(topic, repartitionSuffix) {
		topic += repartitionSuffix
	}
	sink, filter, source := s.sb.newName(sinkPrefix), s.sb.newName(filterPrefix), s.sb.newName(sourcePrefix)
	if !generatedName.MatchString(prefix) {
		sink, filter, source = topic+"-sink", topic+"-filter", topic+"-source"
	}
	out := &KStream[K, V]{sb: s.sb, name: source, keys: keys, values: values}
	switch {
	case cfg.Partitions < 0:
		s.sb.b.fail("Repartition %q: negative partition count %d", prefix, cfg.Partitions)
		return out
	case keys == nil || values == nil:
		s.sb.b.fail("Repartition %q: no key or value serde: the stream has none (Map, FlatMap, SelectKey, the value mappers, Process and Merge drop them, as in Kafka Streams); give them in Repartitioned", prefix)
		return out
	}
	AddFixedKeyProcessor(s.sb.b, filter, func() processor.FixedKeyProcessor[K, V, V] {
		return &passFilter[K, V]{}
	}, s.name)
	AddSink(s.sb.b, sink, Sink[K, V]{Topic: topic, Keys: keys, Values: values, Partitioner: cfg.Partitioner}, filter)
	AddSource(s.sb.b, source, Source[K, V]{Topics: []string{topic}, Keys: keys, Values: values})
	s.sb.b.addInternalTopic(topic, engine.InternalTopic{Partitions: cfg.Partitions})
	return out
}

// passFilter is the filter Kafka puts before a repartition sink (createRepartitionedSource's
// KStreamFilter with the predicate (k, v) -> true): it forwards every record.
type passFilter[K, V any] struct {
	ctx processor.FixedKeyContext[K, V]
}

func (p *passFilter[K, V]) Init(ctx processor.FixedKeyContext[K, V]) error {
	p.ctx = ctx
	return nil
}
func (p *passFilter[K, V]) Close() error                                   { return nil }
func (p *passFilter[K, V]) Process(r processor.FixedKeyRecord[K, V]) error { return p.ctx.Forward(r) }
