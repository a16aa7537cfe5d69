package topology

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// Filter returns the stream of the records for which pred returns true (Kafka's
// KStream.filter; node KSTREAM-FILTER-%010d, a fixed-key processor as in Kafka).
func (s *KStream[K, V]) Filter(pred func(key K, value V) bool, named ...Named) *KStream[K, V] {
	return s.filter("Filter", pred, false, named)
}

// FilterNot returns the stream of the records for which pred returns false (Kafka's
// KStream.filterNot; its node is named KSTREAM-FILTER-%010d too, as in Kafka).
func (s *KStream[K, V]) FilterNot(pred func(key K, value V) bool, named ...Named) *KStream[K, V] {
	return s.filter("FilterNot", pred, true, named)
}

func (s *KStream[K, V]) filter(op string, pred func(K, V) bool, not bool, named []Named) *KStream[K, V] {
	name := s.sb.nameOr(op, named, filterPrefix)
	if pred == nil {
		s.sb.b.fail("%s %q: nil predicate", op, name)
	}
	AddFixedKeyProcessor(s.sb.b, name, func() processor.FixedKeyProcessor[K, V, V] {
		return &filterProc[K, V]{pred: pred, not: not}
	}, s.name)
	return s.child(name)
}

type filterProc[K, V any] struct {
	ctx  processor.FixedKeyContext[K, V]
	pred func(K, V) bool
	not  bool
}

func (p *filterProc[K, V]) Init(ctx processor.FixedKeyContext[K, V]) error { p.ctx = ctx; return nil }
func (p *filterProc[K, V]) Close() error                                   { return nil }
func (p *filterProc[K, V]) Process(r processor.FixedKeyRecord[K, V]) error {
	if p.pred(r.Key(), r.Value()) != p.not {
		return p.ctx.Forward(r)
	}
	return nil
}

// Peek calls action for each record and forwards the record unchanged (Kafka's KStream.peek;
// node KSTREAM-PEEK-%010d).
func (s *KStream[K, V]) Peek(action func(key K, value V), named ...Named) *KStream[K, V] {
	name := s.sb.nameOr("Peek", named, peekPrefix)
	if action == nil {
		s.sb.b.fail("Peek %q: nil action", name)
	}
	AddFixedKeyProcessor(s.sb.b, name, func() processor.FixedKeyProcessor[K, V, V] {
		return &peekProc[K, V]{action: action}
	}, s.name)
	return s.child(name)
}

type peekProc[K, V any] struct {
	ctx    processor.FixedKeyContext[K, V]
	action func(K, V)
}

func (p *peekProc[K, V]) Init(ctx processor.FixedKeyContext[K, V]) error { p.ctx = ctx; return nil }
func (p *peekProc[K, V]) Close() error                                   { return nil }
func (p *peekProc[K, V]) Process(r processor.FixedKeyRecord[K, V]) error {
	p.action(r.Key(), r.Value())
	return p.ctx.Forward(r)
}

// Foreach calls action for each record; the stream ends there (Kafka's KStream.foreach; node
// KSTREAM-FOREACH-%010d).
func (s *KStream[K, V]) Foreach(action func(key K, value V), named ...Named) {
	name := s.sb.nameOr("Foreach", named, foreachPrefix)
	if action == nil {
		s.sb.b.fail("Foreach %q: nil action", name)
	}
	AddProcessor(s.sb.b, name, processor.Func(func(_ processor.Context[struct{}, struct{}], r processor.Record[K, V]) error {
		action(r.Key(), r.Value())
		return nil
	}), s.name)
}

// Printed configures Print (Kafka's Printed, whose writer is Print's argument).
type Printed[K, V any] struct {
	// Label starts each line, in brackets; default: the name of the stream's node (as
	// Kafka's Printed without withLabel).
	Label string
	// Mapper formats a record; default "<key>, <value>" with %v, "null" standing for a null
	// key or a tombstone's value (as Java prints null).
	Mapper func(key K, value V) string
	// Name names the printer node; default "KSTREAM-PRINTER-%010d".
	Name string
}

// Print writes each record to w as a line "[label]: key, value" (Kafka's KStream.print with
// Printed.toSysOut or toFile; node KSTREAM-PRINTER-%010d); the stream ends there. Lines are
// written whole, one Write call each, under a lock shared by the node's tasks; a write error
// is the processor's error.
func (s *KStream[K, V]) Print(w io.Writer, p ...Printed[K, V]) {
	var cfg Printed[K, V]
	if len(p) > 1 {
		s.sb.b.fail("Print: more than one Printed")
	}
	if len(p) > 0 {
		cfg = p[0]
	}
	name := s.sb.nameOr("Print", []Named{Named(cfg.Name)}, printerPrefix)
	if w == nil {
		s.sb.b.fail("Print %q: nil writer", name)
	}
	label := cfg.Label
	if label == "" {
		label = s.name
	}
	var mu sync.Mutex
	var buf bytes.Buffer
	AddProcessor(s.sb.b, name, processor.Func(func(_ processor.Context[struct{}, struct{}], r processor.Record[K, V]) error {
		mu.Lock()
		defer mu.Unlock()
		buf.Reset()
		buf.WriteByte('[')
		buf.WriteString(label)
		buf.WriteString("]: ")
		if cfg.Mapper != nil {
			buf.WriteString(cfg.Mapper(r.Key(), r.Value()))
		} else {
			if r.HasKey() {
				fmt.Fprint(&buf, r.Key())
			} else {
				buf.WriteString("null")
			}
			buf.WriteString(", ")
			if r.IsTombstone() {
				buf.WriteString("null")
			} else {
				fmt.Fprint(&buf, r.Value())
			}
		}
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	}), s.name)
}

// Merge returns the stream of the records of s and other, in the order they arrive (Kafka's
// KStream.merge; node KSTREAM-MERGE-%010d). Like Kafka, the merged stream drops both
// streams' serdes (give them to To in a Produced) and needs a repartition if either did.
func (s *KStream[K, V]) Merge(other *KStream[K, V], named ...Named) *KStream[K, V] {
	name := s.sb.nameOr("Merge", named, mergePrefix)
	switch {
	case other == nil:
		s.sb.b.fail("Merge %q: nil stream", name)
		return s.child(name)
	case other.sb != s.sb:
		s.sb.b.fail("Merge %q: the streams come from different StreamsBuilders", name)
		return s.child(name)
	}
	AddProcessor(s.sb.b, name, passThrough[K, V](), s.name, other.name)
	return &KStream[K, V]{sb: s.sb, name: name, repartitionRequired: s.repartitionRequired || other.repartitionRequired}
}

func passThrough[K, V any]() processor.Supplier[K, V, K, V] {
	return processor.Func(func(ctx processor.Context[K, V], r processor.Record[K, V]) error {
		return ctx.Forward(r)
	})
}

// Produced configures To (Kafka's Produced): serializers, partitioner and node name.
type Produced[K, V any] struct {
	// Keys and Values write the records; default: the stream's serdes (from Consumed), which
	// must then be known.
	Keys   serde.Serializer[K]
	Values serde.Serializer[V]
	// Partitioner chooses partitions; default: murmur2 of the key bytes, as Kafka's producer.
	Partitioner Partitioner[K, V]
	// Name names the sink node; default "KSTREAM-SINK-%010d".
	Name string
	// ChooserName is what Describe prints for ToChooser's chooser ("extractor class: …",
	// where Kafka prints the TopicNameExtractor's class); default "TopicChooser".
	ChooserName string
}

// To writes the stream to topic (Kafka's KStream.to; node KSTREAM-SINK-%010d); the stream
// ends there.
func (s *KStream[K, V]) To(topic string, p ...Produced[K, V]) {
	s.to("To", Sink[K, V]{Topic: topic}, p)
}

// ToChooser writes each record to the topic chooser returns for it (Kafka's KStream.to with a
// TopicNameExtractor; node KSTREAM-SINK-%010d).
func (s *KStream[K, V]) ToChooser(chooser TopicChooser[K, V], p ...Produced[K, V]) {
	s.to("ToChooser", Sink[K, V]{TopicChooser: chooser}, p)
}

func (s *KStream[K, V]) to(op string, sink Sink[K, V], p []Produced[K, V]) {
	var cfg Produced[K, V]
	if len(p) > 1 {
		s.sb.b.fail("%s: more than one Produced", op)
	}
	if len(p) > 0 {
		cfg = p[0]
	}
	name := s.sb.nameOr(op, []Named{Named(cfg.Name)}, sinkPrefix)
	sink.Keys, sink.Values, sink.Partitioner, sink.ChooserName = cfg.Keys, cfg.Values, cfg.Partitioner, cfg.ChooserName
	if sink.Keys == nil && s.keys != nil {
		sink.Keys = s.keys
	}
	if sink.Values == nil && s.values != nil {
		sink.Values = s.values
	}
	if op == "ToChooser" && sink.TopicChooser == nil {
		s.sb.b.fail("ToChooser %q: nil topic chooser", name)
		return
	}
	if sink.Keys == nil || sink.Values == nil {
		s.sb.b.fail("%s %q: no key or value serializer: the stream has no serdes (Map, FlatMap, SelectKey, the value mappers and Merge drop them, as in Kafka Streams); give them in Produced", op, name)
		return
	}
	AddSink(s.sb.b, name, sink, s.name)
}

// Map returns the stream of fn's pair for each record, with the record's timestamp and
// headers (Kafka's KStream.map; node KSTREAM-MAP-%010d). It changes the key: the result
// needs a repartition before a grouping or join, and has no serdes.
func Map[K, V, KR, VR any](s *KStream[K, V], fn func(key K, value V) KeyValue[KR, VR], named ...Named) *KStream[KR, VR] {
	name := s.sb.nameOr("Map", named, mapPrefix)
	if fn == nil {
		s.sb.b.fail("Map %q: nil function", name)
	}
	AddProcessor(s.sb.b, name, processor.Func(func(ctx processor.Context[KR, VR], r processor.Record[K, V]) error {
		kv := fn(r.Key(), r.Value())
		return ctx.Forward(processor.Revalue(processor.Rekey(r, kv.Key), kv.Value))
	}), s.name)
	return &KStream[KR, VR]{sb: s.sb, name: name, repartitionRequired: true}
}

// FlatMap returns the stream of the pairs fn returns for each record, each with the record's
// timestamp and headers (Kafka's KStream.flatMap; node KSTREAM-FLATMAP-%010d). It changes
// the key, as Map.
func FlatMap[K, V, KR, VR any](s *KStream[K, V], fn func(key K, value V) []KeyValue[KR, VR], named ...Named) *KStream[KR, VR] {
	name := s.sb.nameOr("FlatMap", named, flatMapPrefix)
	if fn == nil {
		s.sb.b.fail("FlatMap %q: nil function", name)
	}
	AddProcessor(s.sb.b, name, processor.Func(func(ctx processor.Context[KR, VR], r processor.Record[K, V]) error {
		for _, kv := range fn(r.Key(), r.Value()) {
			if err := ctx.Forward(processor.Revalue(processor.Rekey(r, kv.Key), kv.Value)); err != nil {
				return err
			}
		}
		return nil
	}), s.name)
	return &KStream[KR, VR]{sb: s.sb, name: name, repartitionRequired: true}
}

// SelectKey returns the stream of the records with the key fn returns (Kafka's
// KStream.selectKey; node KSTREAM-KEY-SELECT-%010d). The value, or tombstone, is kept, with
// its serde. It changes the key, as Map.
func SelectKey[K, V, KR any](s *KStream[K, V], fn func(key K, value V) KR, named ...Named) *KStream[KR, V] {
	name := s.sb.nameOr("SelectKey", named, keySelectPrefix)
	if fn == nil {
		s.sb.b.fail("SelectKey %q: nil function", name)
	}
	AddProcessor(s.sb.b, name, processor.Func(func(ctx processor.Context[KR, V], r processor.Record[K, V]) error {
		return ctx.Forward(processor.Rekey(r, fn(r.Key(), r.Value())))
	}), s.name)
	return &KStream[KR, V]{sb: s.sb, name: name, values: s.values, repartitionRequired: true}
}

// MapValues returns the stream of fn's value for each record, with the same key (Kafka's
// KStream.mapValues(ValueMapper); node KSTREAM-MAPVALUES-%010d, a fixed-key processor). The
// key serde is kept; the value serde is lost.
func MapValues[K, V, VR any](s *KStream[K, V], fn func(value V) VR, named ...Named) *KStream[K, VR] {
	if fn == nil {
		return mapValues[K, V, VR](s, "MapValues", nil, named)
	}
	return mapValues(s, "MapValues", func(_ K, v V) VR { return fn(v) }, named)
}

// MapValuesWithKey is MapValues whose function also reads the key (Kafka's
// KStream.mapValues(ValueMapperWithKey)).
func MapValuesWithKey[K, V, VR any](s *KStream[K, V], fn func(key K, value V) VR, named ...Named) *KStream[K, VR] {
	return mapValues(s, "MapValuesWithKey", fn, named)
}

func mapValues[K, V, VR any](s *KStream[K, V], op string, fn func(K, V) VR, named []Named) *KStream[K, VR] {
	name := s.sb.nameOr(op, named, mapValuesPrefix)
	if fn == nil {
		s.sb.b.fail("%s %q: nil function", op, name)
	}
	AddFixedKeyProcessor(s.sb.b, name, func() processor.FixedKeyProcessor[K, V, VR] {
		return &mapValuesProc[K, V, VR]{fn: fn}
	}, s.name)
	return &KStream[K, VR]{sb: s.sb, name: name, keys: s.keys, repartitionRequired: s.repartitionRequired}
}

type mapValuesProc[K, V, VR any] struct {
	ctx processor.FixedKeyContext[K, VR]
	fn  func(K, V) VR
}

func (p *mapValuesProc[K, V, VR]) Init(ctx processor.FixedKeyContext[K, VR]) error {
	p.ctx = ctx
	return nil
}
func (p *mapValuesProc[K, V, VR]) Close() error { return nil }
func (p *mapValuesProc[K, V, VR]) Process(r processor.FixedKeyRecord[K, V]) error {
	return p.ctx.Forward(processor.RevalueFixed(r, p.fn(r.Key(), r.Value())))
}

// FlatMapValues returns the stream of the values fn returns for each record, each with the
// record's key, timestamp and headers (Kafka's KStream.flatMapValues(ValueMapper); node
// KSTREAM-FLATMAPVALUES-%010d, a fixed-key processor). The key serde is kept.
func FlatMapValues[K, V, VR any](s *KStream[K, V], fn func(value V) []VR, named ...Named) *KStream[K, VR] {
	if fn == nil {
		return flatMapValues[K, V, VR](s, "FlatMapValues", nil, named)
	}
	return flatMapValues(s, "FlatMapValues", func(_ K, v V) []VR { return fn(v) }, named)
}

// FlatMapValuesWithKey is FlatMapValues whose function also reads the key (Kafka's
// KStream.flatMapValues(ValueMapperWithKey)).
func FlatMapValuesWithKey[K, V, VR any](s *KStream[K, V], fn func(key K, value V) []VR, named ...Named) *KStream[K, VR] {
	return flatMapValues(s, "FlatMapValuesWithKey", fn, named)
}

func flatMapValues[K, V, VR any](s *KStream[K, V], op string, fn func(K, V) []VR, named []Named) *KStream[K, VR] {
	name := s.sb.nameOr(op, named, flatMapValuesPrefix)
	if fn == nil {
		s.sb.b.fail("%s %q: nil function", op, name)
	}
	AddFixedKeyProcessor(s.sb.b, name, func() processor.FixedKeyProcessor[K, V, VR] {
		return &flatMapValuesProc[K, V, VR]{fn: fn}
	}, s.name)
	return &KStream[K, VR]{sb: s.sb, name: name, keys: s.keys, repartitionRequired: s.repartitionRequired}
}

type flatMapValuesProc[K, V, VR any] struct {
	ctx processor.FixedKeyContext[K, VR]
	fn  func(K, V) []VR
}

func (p *flatMapValuesProc[K, V, VR]) Init(ctx processor.FixedKeyContext[K, VR]) error {
	p.ctx = ctx
	return nil
}
func (p *flatMapValuesProc[K, V, VR]) Close() error { return nil }
func (p *flatMapValuesProc[K, V, VR]) Process(r processor.FixedKeyRecord[K, V]) error {
	for _, v := range p.fn(r.Key(), r.Value()) {
		if err := p.ctx.Forward(processor.RevalueFixed(r, v)); err != nil {
			return err
		}
	}
	return nil
}
