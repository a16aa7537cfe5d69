package topology

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
)

// This file holds the entry point of the high-level DSL (Kafka Streams' StreamsBuilder and
// KStream): a StreamsBuilder turns DSL calls into nodes of a low-level Builder as they are
// made, named as Kafka Streams names them, so that Describe prints what Kafka prints for the
// same program.
//
// Records with no value (tombstones) and records with a null key flow through the stateless
// operators as in Kafka Streams: the user's functions are called for them, with the zero
// value of the missing part (Kafka passes null). Operators that keep the value (Filter,
// FilterNot, Peek, SelectKey, Split, Merge) forward a tombstone as a tombstone; operators that
// compute a new value (Map, MapValues, FlatMap, FlatMapValues) forward what the function
// returns as a value, as Kafka forwards the mapper's result. Operators that keep the key
// (Filter, Peek, MapValues, FlatMapValues, Split, Merge) keep a null key null; Map, FlatMap and
// SelectKey set the key the function returns.

// StreamsBuilder builds a topology with the DSL (Kafka Streams' StreamsBuilder). Its one
// name counter generates every node name, "PREFIX-%010d", and advances exactly where Kafka's
// InternalStreamsBuilder advances it, including for operations given a Named (Kafka burns
// an index for them, to keep generated names stable): the same program gets the same names
// as in Kafka Streams.
//
// Mistakes (a nil function, a sink without serializers) are recorded and reported by Build,
// as the low-level Builder does.
type StreamsBuilder struct {
	b     *Builder
	index int
	// joinRepartitions are the sources of the repartition topics stream-stream joins created
	// for re-keyed streams, by the stream's node: a later join of the stream without a name
	// reads the same topic, as Kafka's KStreamImpl.repartitionForJoin reuses its
	// repartitionNode (dsl_join_stream.go).
	joinRepartitions map[string]string
	// streamSources are the DSL stream sources by their topics (sorted, joined by a comma)
	// or "pattern:"+pattern: a second Stream of the same topics reuses the first's node, as
	// Kafka's InternalStreamsBuilder.mergeDuplicateSourceNodes merges them.
	streamSources map[string]dslSource
	// pendingStores are the stores Process and ProcessValues name, connected at Build.
	pendingStores []pendingStore
	// joins are the inputs of the joins, checked for co-partitioning at Build
	// (dsl_join_copartition.go).
	joins []joinInputs
}

type dslSource struct {
	name  string
	reset OffsetReset
}

// NewStreamsBuilder returns an empty StreamsBuilder.
func NewStreamsBuilder() *StreamsBuilder {
	return &StreamsBuilder{b: NewBuilder()}
}

// Build validates the topology and returns it, or every mistake at once (see Builder.Build).
func (sb *StreamsBuilder) Build() (*Topology, error) {
	sb.connectPendingStores()
	sb.checkJoinCopartitioning()
	return sb.b.Build()
}

// newName returns prefix + the counter on ten digits, and advances the counter (Kafka's
// InternalStreamsBuilder.newProcessorName).
func (sb *StreamsBuilder) newName(prefix string) string {
	name := fmt.Sprintf("%s%010d", prefix, sb.index)
	sb.index++
	return name
}

// nameOr returns the user's name if one is given, else a generated one; it advances the
// counter either way (Kafka's NamedInternal.orElseGenerateWithPrefix).
func (sb *StreamsBuilder) nameOr(op string, named []Named, prefix string) string {
	generated := sb.newName(prefix)
	if len(named) > 1 {
		sb.b.fail("%s: more than one Named (%q)", op, named)
	}
	if len(named) > 0 && named[0] != "" {
		return string(named[0])
	}
	return generated
}

// Named names the node an operation adds (Kafka's Named), instead of the generated
// "KSTREAM-…-%010d" name. The empty Named means "generate".
type Named string

// KeyValue is a key and a value (Kafka's KeyValue): what Map's and FlatMap's functions
// return.
type KeyValue[K, V any] = cursor.KeyValue[K, V]

// Pair returns a KeyValue (Kafka's KeyValue.pair).
func Pair[K, V any](key K, value V) KeyValue[K, V] { return KeyValue[K, V]{Key: key, Value: value} }

// Consumed configures a DSL source (Kafka's Consumed): its serdes, timestamp extractor,
// offset-reset policy and node name.
type Consumed[K, V any] struct {
	// Keys and Values read the records (required). The stream keeps them as its serdes: To
	// uses them when its Produced gives none, until an operation changes the type (Map,
	// FlatMap, SelectKey for keys, Map, MapValues, FlatMap, FlatMapValues for values) or
	// Merge drops them, as in Kafka Streams.
	Keys   serde.Serde[K]
	Values serde.Serde[V]
	// Timestamps extracts timestamps; nil uses the record's own timestamp, failing on a
	// negative one (Kafka's FailOnInvalidTimestamp, the default).
	Timestamps TimestampExtractor[K, V]
	// OffsetReset is the policy when no offset is committed; default: the consumer's.
	OffsetReset OffsetReset
	// Name names the source node; default "KSTREAM-SOURCE-%010d".
	Name string
}

// Stream returns the stream of the records of topic (Kafka's StreamsBuilder.stream).
func Stream[K, V any](sb *StreamsBuilder, topic string, c Consumed[K, V]) *KStream[K, V] {
	return StreamTopics(sb, []string{topic}, c)
}

// StreamTopics returns the stream of the records of several topics, read by one source node
// (Kafka's StreamsBuilder.stream(Collection)).
//
// Several Stream calls on the same topics (or the same pattern) share one source node, the
// first's, whose Consumed serdes and timestamp extractor then read the records for all of
// them, as Kafka's InternalStreamsBuilder.mergeDuplicateSourceNodes does; their offset-reset
// policies must agree, and overlapping but different sets of topics are an error of Build
// (Kafka's StreamsBuilderTest.shouldAllowStreamsFromSameTopic and neighbours).
func StreamTopics[K, V any](sb *StreamsBuilder, topics []string, c Consumed[K, V]) *KStream[K, V] {
	return addStreamSource(sb, Source[K, V]{Topics: topics}, c)
}

// StreamPattern returns the stream of the records of every topic whose name matches pattern
// (Kafka's StreamsBuilder.stream(Pattern)). Describe prints the pattern as Kafka prints it.
func StreamPattern[K, V any](sb *StreamsBuilder, pattern *regexp.Regexp, c Consumed[K, V]) *KStream[K, V] {
	return addStreamSource(sb, Source[K, V]{Pattern: pattern}, c)
}

func addStreamSource[K, V any](sb *StreamsBuilder, src Source[K, V], c Consumed[K, V]) *KStream[K, V] {
	name := sb.nameOr("Stream", []Named{Named(c.Name)}, sourcePrefix)
	if src.Pattern == nil && len(src.Topics) == 0 {
		sb.b.fail("Stream %q: no topic", name)
	}
	if c.Keys == nil || c.Values == nil {
		sb.b.fail("Stream %q: Consumed needs Keys and Values serdes", name)
	} else {
		src.Keys, src.Values = c.Keys, c.Values
	}
	src.Timestamps, src.OffsetReset = c.Timestamps, c.OffsetReset
	key := "pattern:"
	if src.Pattern != nil {
		key += src.Pattern.String()
	} else {
		key = strings.Join(slices.Sorted(slices.Values(src.Topics)), ",")
	}
	if prev, ok := sb.streamSources[key]; ok {
		if prev.reset != c.OffsetReset {
			sb.b.fail("Stream %q: the topics %s are read by %q with another offset reset policy (Kafka: can't configure different offset reset policies on the same input topic(s))", name, key, prev.name)
		}
		return &KStream[K, V]{sb: sb, name: prev.name, keys: c.Keys, values: c.Values}
	}
	if c.Keys != nil && c.Values != nil {
		AddSource(sb.b, name, src)
		if sb.streamSources == nil {
			sb.streamSources = map[string]dslSource{}
		}
		sb.streamSources[key] = dslSource{name: name, reset: c.OffsetReset}
	}
	return &KStream[K, V]{sb: sb, name: name, keys: c.Keys, values: c.Values}
}

// The name prefixes of Kafka Streams' KStreamImpl and BranchedKStreamImpl.
const (
	sourcePrefix        = "KSTREAM-SOURCE-"
	sinkPrefix          = "KSTREAM-SINK-"
	filterPrefix        = "KSTREAM-FILTER-"
	peekPrefix          = "KSTREAM-PEEK-"
	foreachPrefix       = "KSTREAM-FOREACH-"
	printerPrefix       = "KSTREAM-PRINTER-"
	mergePrefix         = "KSTREAM-MERGE-"
	mapPrefix           = "KSTREAM-MAP-"
	mapValuesPrefix     = "KSTREAM-MAPVALUES-"
	flatMapPrefix       = "KSTREAM-FLATMAP-"
	flatMapValuesPrefix = "KSTREAM-FLATMAPVALUES-"
	keySelectPrefix     = "KSTREAM-KEY-SELECT-"
	branchPrefix        = "KSTREAM-BRANCH-"
)

// KStream is an unbounded stream of records of type Record[K, V] (Kafka Streams' KStream):
// each record is an independent event. Operations that keep the key and value types are
// methods; those that change a type are functions taking the stream (Map, MapValues,
// FlatMap, FlatMapValues, SelectKey), as Go has no type parameters on methods.
//
// A KStream is a handle on a node of its StreamsBuilder: operations add nodes to that
// builder, and several operations on the same stream branch it (each child receives every
// record).
type KStream[K, V any] struct {
	sb   *StreamsBuilder
	name string
	// keys and values are the serdes the stream inherits (nil when an operation lost them).
	keys   serde.Serde[K]
	values serde.Serde[V]
	// repartitionRequired is set by the key-changing operations (Map, FlatMap, SelectKey)
	// and carried by the key-keeping ones, as Kafka's KStreamImpl.repartitionRequired: a
	// grouping or join of such a stream inserts a repartition topic.
	repartitionRequired bool
}

// Name returns the name of the node whose records the stream carries.
func (s *KStream[K, V]) Name() string { return s.name }

// needsRepartition reports whether a grouping or join of the stream must repartition it
// first (stage 2 of the DSL reads it).
func (s *KStream[K, V]) needsRepartition() bool { return s.repartitionRequired }

// child returns a stream of the same types on node name, inheriting serdes and the
// repartition flag.
func (s *KStream[K, V]) child(name string) *KStream[K, V] {
	return &KStream[K, V]{sb: s.sb, name: name, keys: s.keys, values: s.values, repartitionRequired: s.repartitionRequired}
}
