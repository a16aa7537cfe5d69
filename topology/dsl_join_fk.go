package topology

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// This file holds the foreign-key table-table join (Kafka Streams' KTable.join/leftJoin(other,
// foreignKeyExtractor, joiner) with KTableImpl.doJoinOnForeignKey and the processors of
// kstream/internals/foreignkeyjoin).
//
// The left table t sends, for each update, a subscription to the foreign key its value
// extracts, through the subscription-registration topic keyed by that foreign key (so it is
// co-partitioned with the other table o). The subscription carries the left key, an
// instruction, the 128-bit murmur3 hash of the serialized new left value and the left
// record's partition. On o's side, the subscriptions are kept in the subscription store,
// keyed by (foreign key, left key); a subscription is answered with o's current value for the
// foreign key, and each update of o is sent to every left key subscribed to it (a prefix scan
// of the store). The answers go back through the subscription-response topic, keyed by the
// left key and written to the left record's partition; the resolver compares the hash they
// carry with the hash of t's current value, drops the stale ones (the left value changed
// since) and joins the others.
//
// Wire formats (Tributary's own; Kafka's SubscriptionWrapperSerde and
// SubscriptionResponseWrapperSerde are similar but not the same):
//
//	subscription (value of the registration topic, and of the subscription store):
//	  byte version (0) | byte instruction (Kafka's Instruction values 0..3) |
//	  byte flags (1: hash present, 2: partition present) | [16 bytes hash: h1, h2 big-endian] |
//	  [4 bytes partition big-endian] | left key bytes (t's key serde)
//	response (value of the response topic):
//	  byte version (0) | byte flags (1: hash present, 2: partition present, 4: foreign value
//	  present) | [16 bytes hash] | [4 bytes partition] | [foreign value bytes (o's value serde)]
//	subscription store key (Kafka's CombinedKeySchema):
//	  4 bytes big-endian length of the foreign key bytes | foreign key bytes | left key bytes
//
// The hash is Kafka's: MurmurHash3_x64_128 with seed 104729 (murmur3Hash128).
//
// Differences from Kafka Streams: the foreign-key extractor cannot return null (Go has
// none), so a left join never sends the null-foreign-key subscription Kafka sends when a left
// value is deleted or extracts no key: deleting a left value sends only the deletion to its
// old foreign key, which answers with one tombstone (Kafka's left join answers that
// tombstone and one more for the null key). The stores hold no timestamps, so responses carry
// the timestamp of the update that caused them (Kafka: the larger of the subscription's and
// the foreign value's). The subscription and response sources are not declared co-partitioned
// with the tables (the builder has no copartitionSources yet). The subscription store is
// persistent when a persistent engine is registered, else in memory, not cached, logged.
// The pseudo topics given to the serdes ("<subscription topic>-fk", "-pk", "-vh") are not
// prefixed with the application id, as Kafka's decoratePseudoTopic does.

// The name prefixes of Kafka Streams' KTableImpl.doJoinOnForeignKey.
const (
	fkJoinPrefix               = "KTABLE-FK-JOIN-"
	fkStoreNamePrefix          = fkJoinPrefix + "SUBSCRIPTION-STATE-STORE-"
	fkRegistrationPrefix       = fkJoinPrefix + "SUBSCRIPTION-REGISTRATION-"
	fkResponsePrefix           = fkJoinPrefix + "SUBSCRIPTION-RESPONSE-"
	fkProcessorPrefix          = fkJoinPrefix + "SUBSCRIPTION-PROCESSOR-"
	fkResponseResolverPrefix   = fkJoinPrefix + "SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-"
	fkOutputPrefix             = fkJoinPrefix + "OUTPUT-"
	tableSinkPrefix            = "KTABLE-SINK-"
	fkTopicSuffix              = "-topic"
	fkSubscriptionWireVersion  = 0
	fkResponseWireVersion      = 0
	fkFlagHash                 = 1
	fkFlagPartition            = 2
	fkFlagForeign              = 4
	fkInstrDeleteNoPropagate   = 0 // Kafka's DELETE_KEY_NO_PROPAGATE
	fkInstrDeleteAndPropagate  = 1 // DELETE_KEY_AND_PROPAGATE
	fkInstrPropagateNullIfNone = 2 // PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE
	fkInstrPropagateOnlyIfAny  = 3 // PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE
)

// TableJoined configures a foreign-key join (Kafka's TableJoined): Name names its nodes,
// topics and store ("<Name>-subscription-registration-topic", "<Name>-result", ...);
// Partitioner and OtherPartitioner, when set, choose the partitions of the response topic
// (by the left key) and of the subscription topic (by the foreign key), as Kafka's
// TableJoined.partitioner and otherPartitioner do; the default writes a response to the
// partition of the left record that subscribed, and a subscription by the default
// partitioner.
type TableJoined[K, KO any] struct {
	Name             string
	Partitioner      func(topic string, key K, numPartitions int) (partition int32, ok bool)
	OtherPartitioner func(topic string, key KO, numPartitions int) (partition int32, ok bool)
}

// JoinOnForeignKey is the inner join of t with o on the foreign key fk extracts from t's
// values (Kafka's KTable.join(other, foreignKeyExtractor, joiner, [TableJoined,]
// [Materialized])): the result has, for each key of t whose foreign key o has,
// joiner(t's value, o's value), and follows the updates of both tables. It adds, in Kafka's
// order of names: the subscription topic KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-%010d-topic,
// the nodes KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-%010d (on t), KTABLE-SINK-%010d,
// KTABLE-SOURCE-%010d, the store KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-%010d, the nodes
// KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-%010d (receive, join-foreign and, on o,
// foreign-join-subscription), the response topic
// KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-%010d-topic, KTABLE-SINK-%010d, KTABLE-SOURCE-%010d,
// KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-%010d and the result node
// KTABLE-FK-JOIN-OUTPUT-%010d. Both tables send old values (table sources are materialized).
// t needs key and value serdes, o key and value serdes (they write the internal topics and
// the hash). The result is not materialized; it has t's key serde and no value serde.
func JoinOnForeignKey[K, V, KO, VO, VR any](t *KTable[K, V], o *KTable[KO, VO], fk func(value V) KO, joiner func(value V, otherValue VO) VR, tj ...TableJoined[K, KO]) *KTable[K, VR] {
	var jn func(V, VO, bool) VR
	if joiner != nil {
		jn = func(v V, vo VO, _ bool) VR { return joiner(v, vo) }
	}
	return fkJoin(t, o, "JoinOnForeignKey", fk, jn, nil, tj, false)
}

// JoinOnForeignKeyMaterialized is JoinOnForeignKey with a Materialized for the result
// (KTABLE-FK-JOIN-OUTPUT-STATE-STORE-%010d unless m names it, generated after the result
// node's name); the result is materialized, and queryable, when m names the store.
func JoinOnForeignKeyMaterialized[K, V, KO, VO, VR any](t *KTable[K, V], o *KTable[KO, VO], fk func(value V) KO, joiner func(value V, otherValue VO) VR, m Materialized[K, VR], tj ...TableJoined[K, KO]) *KTable[K, VR] {
	var jn func(V, VO, bool) VR
	if joiner != nil {
		jn = func(v V, vo VO, _ bool) VR { return joiner(v, vo) }
	}
	return fkJoin(t, o, "JoinOnForeignKeyMaterialized", fk, jn, &m, tj, false)
}

// LeftJoinOnForeignKey is JoinOnForeignKey keeping the keys of t whose foreign key o lacks:
// joiner gets found false and VO's zero value then (Kafka's KTable.leftJoin(other,
// foreignKeyExtractor, joiner) passes null). Names are JoinOnForeignKey's.
func LeftJoinOnForeignKey[K, V, KO, VO, VR any](t *KTable[K, V], o *KTable[KO, VO], fk func(value V) KO, joiner func(value V, otherValue VO, found bool) VR, tj ...TableJoined[K, KO]) *KTable[K, VR] {
	return fkJoin(t, o, "LeftJoinOnForeignKey", fk, joiner, nil, tj, true)
}

// LeftJoinOnForeignKeyMaterialized is LeftJoinOnForeignKey with a Materialized, as
// JoinOnForeignKeyMaterialized.
func LeftJoinOnForeignKeyMaterialized[K, V, KO, VO, VR any](t *KTable[K, V], o *KTable[KO, VO], fk func(value V) KO, joiner func(value V, otherValue VO, found bool) VR, m Materialized[K, VR], tj ...TableJoined[K, KO]) *KTable[K, VR] {
	return fkJoin(t, o, "LeftJoinOnForeignKeyMaterialized", fk, joiner, &m, tj, true)
}

// fkName returns Kafka's NamedInternal.suffixWithOrElseGet: name+suffix when named, else a
// generated name; the counter advances either way.
func fkName(sb *StreamsBuilder, name, suffix, prefix string) string {
	g := sb.newName(prefix)
	if name != "" {
		return name + suffix
	}
	return g
}

func fkJoin[K, V, KO, VO, VR any](t *KTable[K, V], o *KTable[KO, VO], op string, fk func(V) KO, joiner func(V, VO, bool) VR, m *Materialized[K, VR], tjs []TableJoined[K, KO], left bool) *KTable[K, VR] {
	sb := t.sb
	var tj TableJoined[K, KO]
	if len(tjs) > 1 {
		sb.b.fail("%s: more than one TableJoined", op)
	}
	if len(tjs) > 0 {
		tj = tjs[0]
	}
	if o == nil {
		sb.b.fail("%s on %q: nil other table", op, t.name)
		return &KTable[K, VR]{sb: sb, name: t.name, keys: t.keys, st: &tableState{}}
	}
	if fk == nil {
		sb.b.fail("%s on %q: nil foreign-key extractor", op, t.name)
		fk = func(V) KO { var zero KO; return zero }
	}
	if joiner == nil {
		sb.b.fail("%s on %q: nil joiner", op, t.name)
		joiner = func(V, VO, bool) VR { var zero VR; return zero }
	}
	o.enableSendingOldValues(true)
	t.enableSendingOldValues(true)

	n := tj.Name
	subTopic := fkName(sb, n, "-subscription-registration", fkRegistrationPrefix) + fkTopicSuffix
	sb.b.addInternalTopic(subTopic, engine.InternalTopic{})
	sendName := fkName(sb, n, "-subscription-registration-processor", fkRegistrationPrefix)
	subSink := fkName(sb, n, "-subscription-registration-sink", tableSinkPrefix)
	subSource := fkName(sb, n, "-subscription-registration-source", tableSourcePrefix)
	storeName := fkName(sb, n, "-subscription-store", fkStoreNamePrefix)
	receiveName := fkName(sb, n, "-subscription-receive", fkProcessorPrefix)
	joinForeignName := fkName(sb, n, "-subscription-join-foreign", fkProcessorPrefix)
	foreignJoinName := fkName(sb, n, "-foreign-join-subscription", fkProcessorPrefix)
	respTopic := fkName(sb, n, "-subscription-response", fkResponsePrefix) + fkTopicSuffix
	sb.b.addInternalTopic(respTopic, engine.InternalTopic{})
	respSink := fkName(sb, n, "-subscription-response-sink", tableSinkPrefix)
	respSource := fkName(sb, n, "-subscription-response-source", tableSourcePrefix)
	resolverName := fkName(sb, n, "-subscription-response-resolver", fkResponseResolverPrefix)
	resultName := fkName(sb, n, "-result", fkOutputPrefix)
	var mat Materialized[K, VR]
	if m != nil {
		mat = *m
	}
	resultStore, queryable := tableStoreName(sb, mat, fkOutputPrefix)
	keys := t.keys
	if mat.Keys != nil {
		keys = mat.Keys
	}
	out := &KTable[K, VR]{sb: sb, name: resultName, keys: keys, values: mat.Values, st: &tableState{}}

	if t.keys == nil || t.values == nil || o.keys == nil || o.values == nil {
		sb.b.fail("%s %q: both tables need key and value serdes (they write the subscription and response topics and hash the values)", op, resultName)
		return out
	}
	tv, ok1 := viewOf(t, op)
	ov, ok2 := viewOf(o, op)
	if !ok1 || !ok2 {
		return out
	}
	subs := &fkSubscriptionSerde[K]{keys: t.keys, topic: subTopic + "-pk"}
	resps := &fkResponseSerde[VO]{values: o.values, topic: respTopic}
	keyTopic := subTopic + "-fk"
	hashTopic := subTopic + "-vh"
	tKeys, tValues, oKeys := t.keys, t.values, o.keys

	AddProcessor(sb.b, sendName, func() processor.Processor[K, Change[V], KO, fkSubscription[K]] {
		return &fkSendProc[K, V, KO]{fk: fk, keys: oKeys, values: tValues, keyTopic: keyTopic, hashTopic: hashTopic, left: left}
	}, t.name)
	sink := Sink[KO, fkSubscription[K]]{Topic: subTopic, Keys: oKeys, Values: subs}
	if tj.OtherPartitioner != nil {
		p := tj.OtherPartitioner
		sink.Partitioner = func(topic string, key KO, _ fkSubscription[K], n int) (int32, bool) { return p(topic, key, n) }
	}
	AddSink(sb.b, subSink, sink, sendName)
	AddSource(sb.b, subSource, Source[KO, fkSubscription[K]]{Topics: []string{subTopic}, Keys: oKeys, Values: subs})

	sup, ok := kv.PersistentSupplier(storeName)
	if !ok {
		sup = kv.InMemorySupplier(storeName)
	}
	AddProcessor(sb.b, receiveName, func() processor.Processor[KO, fkSubscription[K], fkCombinedKey[KO, K], fkSubscription[K]] {
		return &fkReceiveProc[K, KO]{storeName: storeName, keys: oKeys, pks: tKeys, keyTopic: keyTopic, pkTopic: subTopic + "-pk"}
	}, subSource)
	sb.b.AddStateStore(kv.NewBuilder(sup, serde.Bytes, serde.Serde[fkSubscription[K]](subs)), receiveName)
	AddProcessor(sb.b, joinForeignName, func() processor.Processor[fkCombinedKey[KO, K], fkSubscription[K], K, fkResponse[VO]] {
		return &fkJoinForeignProc[K, KO, VO]{view: ov}
	}, receiveName)
	sb.b.ConnectProcessorAndStateStores(append([]string{joinForeignName}, ov.stores...)...)
	AddProcessor(sb.b, foreignJoinName, func() processor.Processor[KO, Change[VO], K, fkResponse[VO]] {
		return &fkForeignJoinProc[K, KO, VO]{storeName: storeName, keys: oKeys, keyTopic: keyTopic}
	}, o.name)
	sb.b.ConnectProcessorAndStateStores(foreignJoinName, storeName)

	rsink := Sink[K, fkResponse[VO]]{Topic: respTopic, Keys: tKeys, Values: resps,
		Partitioner: func(_ string, _ K, r fkResponse[VO], _ int) (int32, bool) { return r.partition, r.hasPartition }}
	if tj.Partitioner != nil {
		p := tj.Partitioner
		rsink.Partitioner = func(topic string, key K, _ fkResponse[VO], n int) (int32, bool) { return p(topic, key, n) }
	}
	AddSink(sb.b, respSink, rsink, joinForeignName, foreignJoinName)
	AddSource(sb.b, respSource, Source[K, fkResponse[VO]]{Topics: []string{respTopic}, Keys: tKeys, Values: resps})
	AddProcessor(sb.b, resolverName, func() processor.Processor[K, fkResponse[VO], K, VR] {
		return &fkResolverProc[K, V, VO, VR]{view: tv, values: tValues, hashTopic: hashTopic, joiner: joiner, left: left}
	}, respSource)
	sb.b.ConnectProcessorAndStateStores(append([]string{resolverName}, tv.stores...)...)

	// The result node is a table source (Kafka's KTableSource), materialized when m names its
	// store or a later operation needs it.
	res := addTableSource(sb, op, resultName, resolverName, resultStore, queryable, mat, keys, mat.Values)
	res.values = mat.Values
	return res
}

// fkSubscription is Kafka's SubscriptionWrapper: what the left table sends to the foreign key.
type fkSubscription[K any] struct {
	hash         [2]uint64
	hasHash      bool
	instruction  byte
	pk           K
	partition    int32
	hasPartition bool
}

// fkResponse is Kafka's SubscriptionResponseWrapper: the foreign value answered to a left key.
type fkResponse[VO any] struct {
	hash         [2]uint64
	hasHash      bool
	foreign      VO
	hasForeign   bool
	partition    int32
	hasPartition bool
}

// fkCombinedKey is Kafka's CombinedKey: a foreign key and a left key.
type fkCombinedKey[KO, K any] struct {
	fk KO
	pk K
}

// fkSubscriptionSerde writes fkSubscription (see the wire format above).
type fkSubscriptionSerde[K any] struct {
	keys  serde.Serde[K]
	topic string // the pseudo topic given to the key serde (Kafka's "<topic>-pk")
}

func (s *fkSubscriptionSerde[K]) Serialize(_ string, v fkSubscription[K]) ([]byte, error) {
	pk, err := s.keys.Serialize(s.topic, v.pk)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 3+16+4+len(pk))
	var flags byte
	if v.hasHash {
		flags |= fkFlagHash
	}
	if v.hasPartition {
		flags |= fkFlagPartition
	}
	b = append(b, fkSubscriptionWireVersion, v.instruction, flags)
	if v.hasHash {
		b = binary.BigEndian.AppendUint64(b, v.hash[0])
		b = binary.BigEndian.AppendUint64(b, v.hash[1])
	}
	if v.hasPartition {
		b = binary.BigEndian.AppendUint32(b, uint32(v.partition))
	}
	return append(b, pk...), nil
}

var errFKWire = errors.New("foreign-key join: malformed internal record")

func (s *fkSubscriptionSerde[K]) Deserialize(topic string, b []byte) (fkSubscription[K], error) {
	var v fkSubscription[K]
	if len(b) < 3 {
		return v, fmt.Errorf("%w: subscription of %d bytes in %q", errFKWire, len(b), topic)
	}
	if b[0] != fkSubscriptionWireVersion {
		return v, fmt.Errorf("%w: subscription version %d in %q (want %d)", errFKWire, b[0], topic, fkSubscriptionWireVersion)
	}
	if b[1] > fkInstrPropagateOnlyIfAny {
		return v, fmt.Errorf("%w: unknown subscription instruction %d in %q", errFKWire, b[1], topic)
	}
	v.instruction = b[1]
	flags := b[2]
	b = b[3:]
	var err error
	if b, err = fkReadHeader(b, flags, &v.hash, &v.hasHash, &v.partition, &v.hasPartition); err != nil {
		return v, fmt.Errorf("%w: subscription in %q", err, topic)
	}
	v.pk, err = s.keys.Deserialize(s.topic, b)
	return v, err
}

// fkReadHeader reads the optional hash and partition of a subscription or response.
func fkReadHeader(b []byte, flags byte, hash *[2]uint64, hasHash *bool, part *int32, hasPart *bool) ([]byte, error) {
	if flags&fkFlagHash != 0 {
		if len(b) < 16 {
			return nil, errFKWire
		}
		hash[0], hash[1], *hasHash = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:]), true
		b = b[16:]
	}
	if flags&fkFlagPartition != 0 {
		if len(b) < 4 {
			return nil, errFKWire
		}
		*part, *hasPart = int32(binary.BigEndian.Uint32(b)), true
		b = b[4:]
	}
	return b, nil
}

// fkResponseSerde writes fkResponse (see the wire format above).
type fkResponseSerde[VO any] struct {
	values serde.Serde[VO]
	topic  string
}

func (s *fkResponseSerde[VO]) Serialize(topic string, v fkResponse[VO]) ([]byte, error) {
	var fv []byte
	if v.hasForeign {
		var err error
		if fv, err = s.values.Serialize(topic, v.foreign); err != nil {
			return nil, err
		}
	}
	var flags byte
	if v.hasHash {
		flags |= fkFlagHash
	}
	if v.hasPartition {
		flags |= fkFlagPartition
	}
	if v.hasForeign {
		flags |= fkFlagForeign
	}
	b := make([]byte, 0, 2+16+4+len(fv))
	b = append(b, fkResponseWireVersion, flags)
	if v.hasHash {
		b = binary.BigEndian.AppendUint64(b, v.hash[0])
		b = binary.BigEndian.AppendUint64(b, v.hash[1])
	}
	if v.hasPartition {
		b = binary.BigEndian.AppendUint32(b, uint32(v.partition))
	}
	return append(b, fv...), nil
}

func (s *fkResponseSerde[VO]) Deserialize(topic string, b []byte) (fkResponse[VO], error) {
	var v fkResponse[VO]
	if len(b) < 2 {
		return v, fmt.Errorf("%w: response of %d bytes in %q", errFKWire, len(b), topic)
	}
	if b[0] != fkResponseWireVersion {
		return v, fmt.Errorf("%w: response version %d in %q (want %d)", errFKWire, b[0], topic, fkResponseWireVersion)
	}
	flags := b[1]
	b = b[2:]
	var err error
	if b, err = fkReadHeader(b, flags, &v.hash, &v.hasHash, &v.partition, &v.hasPartition); err != nil {
		return v, fmt.Errorf("%w: response in %q", err, topic)
	}
	if flags&fkFlagForeign != 0 {
		v.foreign, err = s.values.Deserialize(topic, b)
		v.hasForeign = err == nil
	}
	return v, err
}

// fkSendProc is Kafka's SubscriptionSendProcessorSupplier.UnbindChangeProcessor.
type fkSendProc[K, V, KO any] struct {
	fk                  func(V) KO
	keys                serde.Serde[KO]
	values              serde.Serde[V]
	keyTopic, hashTopic string
	left                bool
	ctx                 processor.Context[KO, fkSubscription[K]]
}

func (p *fkSendProc[K, V, KO]) Init(ctx processor.Context[KO, fkSubscription[K]]) error {
	p.ctx = ctx
	return nil
}

func (p *fkSendProc[K, V, KO]) Close() error { return nil }

func (p *fkSendProc[K, V, KO]) Process(r processor.Record[K, Change[V]]) error {
	c := r.Value()
	sub := fkSubscription[K]{pk: r.Key()}
	if md, ok := p.ctx.RecordMetadata(); ok {
		sub.partition, sub.hasPartition = md.Partition, true
	}
	if c.HasNew {
		vb, err := p.values.Serialize(p.hashTopic, c.New)
		if err != nil {
			return err
		}
		sub.hash, sub.hasHash = murmur3Hash128(vb), true
	}
	send := func(key KO, instr byte) error {
		s := sub
		s.instruction = instr
		return p.ctx.Forward(processor.Revalue(processor.Rekey(r, key), s))
	}
	switch {
	case c.HasOld:
		oldKey := p.fk(c.Old)
		if !c.HasNew {
			// The left value is gone: delete the subscription and answer a tombstone (a left
			// join the same: Kafka also sends a null-key subscription, see the file comment).
			return send(oldKey, fkInstrDeleteAndPropagate)
		}
		newKey := p.fk(c.New)
		same, err := p.sameKey(oldKey, newKey)
		if err != nil {
			return err
		}
		if !same {
			instr := byte(fkInstrDeleteNoPropagate)
			if p.left {
				instr = fkInstrDeleteAndPropagate
			}
			if err := send(oldKey, instr); err != nil {
				return err
			}
		}
		return send(newKey, fkInstrPropagateNullIfNone)
	case c.HasNew:
		instr := byte(fkInstrPropagateOnlyIfAny)
		if p.left {
			instr = fkInstrPropagateNullIfNone
		}
		return send(p.fk(c.New), instr)
	}
	return nil
}

// sameKey compares two foreign keys by their serialized bytes, as Kafka does.
func (p *fkSendProc[K, V, KO]) sameKey(a, b KO) (bool, error) {
	ab, err := p.keys.Serialize(p.keyTopic, a)
	if err != nil {
		return false, err
	}
	ab = append([]byte(nil), ab...)
	bb, err := p.keys.Serialize(p.keyTopic, b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ab, bb), nil
}

// fkCombinedPrefix returns the subscription store's key prefix of a foreign key (Kafka's
// CombinedKeySchema.prefixBytes), with room for the left key.
func fkCombinedPrefix[KO any](keys serde.Serde[KO], topic string, fk KO, extra int) ([]byte, error) {
	fb, err := keys.Serialize(topic, fk)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 4+len(fb)+extra)
	b = binary.BigEndian.AppendUint32(b, uint32(len(fb)))
	return append(b, fb...), nil
}

// fkReceiveProc is Kafka's SubscriptionReceiveProcessorSupplier: it keeps the subscriptions
// in the store and passes them on with their combined key.
type fkReceiveProc[K, KO any] struct {
	storeName         string
	keys              serde.Serde[KO]
	pks               serde.Serde[K]
	keyTopic, pkTopic string
	store             *kv.Store[[]byte, fkSubscription[K]]
	ctx               processor.Context[fkCombinedKey[KO, K], fkSubscription[K]]
}

func (p *fkReceiveProc[K, KO]) Init(ctx processor.Context[fkCombinedKey[KO, K], fkSubscription[K]]) error {
	p.ctx = ctx
	var err error
	p.store, err = processor.KeyValueStore[[]byte, fkSubscription[K]](ctx, p.storeName)
	return err
}

func (p *fkReceiveProc[K, KO]) Close() error { return nil }

func (p *fkReceiveProc[K, KO]) Process(r processor.Record[KO, fkSubscription[K]]) error {
	if !r.HasKey() || r.IsTombstone() {
		// Kafka: "Skipping record due to null foreign key", counted in dropped-records.
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	sub := r.Value()
	pk, err := p.pks.Serialize(p.pkTopic, sub.pk)
	if err != nil {
		return err
	}
	key, err := fkCombinedPrefix(p.keys, p.keyTopic, r.Key(), len(pk))
	if err != nil {
		return err
	}
	key = append(key, pk...)
	if sub.instruction == fkInstrDeleteAndPropagate || sub.instruction == fkInstrDeleteNoPropagate {
		_, _, err = p.store.Delete(key)
	} else {
		err = p.store.Put(key, sub)
	}
	if err != nil {
		return err
	}
	return p.ctx.Forward(processor.Rekey(r, fkCombinedKey[KO, K]{fk: r.Key(), pk: sub.pk}))
}

// fkJoinForeignProc is Kafka's SubscriptionJoinProcessorSupplier: it answers a subscription
// with the foreign table's value.
type fkJoinForeignProc[K, KO, VO any] struct {
	view tableView[KO, VO]
	get  func(KO) (VO, bool, error)
	ctx  processor.Context[K, fkResponse[VO]]
}

func (p *fkJoinForeignProc[K, KO, VO]) Init(ctx processor.Context[K, fkResponse[VO]]) error {
	p.ctx = ctx
	var err error
	p.get, err = p.view.open(ctx)
	return err
}

func (p *fkJoinForeignProc[K, KO, VO]) Close() error { return nil }

func (p *fkJoinForeignProc[K, KO, VO]) Process(r processor.Record[fkCombinedKey[KO, K], fkSubscription[K]]) error {
	sub := r.Value()
	resp := fkResponse[VO]{hash: sub.hash, hasHash: sub.hasHash, partition: sub.partition, hasPartition: sub.hasPartition}
	switch sub.instruction {
	case fkInstrDeleteNoPropagate:
		return nil
	case fkInstrDeleteAndPropagate:
	default:
		vo, found, err := p.get(r.Key().fk)
		if err != nil {
			return err
		}
		if !found && sub.instruction == fkInstrPropagateOnlyIfAny {
			return nil
		}
		resp.foreign, resp.hasForeign = vo, found
	}
	return p.ctx.Forward(processor.Revalue(processor.Rekey(r, r.Key().pk), resp))
}

// fkForeignJoinProc is Kafka's ForeignTableJoinProcessorSupplier: it sends each update of the
// foreign table to every left key subscribed to its key.
type fkForeignJoinProc[K, KO, VO any] struct {
	storeName string
	keys      serde.Serde[KO]
	keyTopic  string
	store     *kv.Store[[]byte, fkSubscription[K]]
	ctx       processor.Context[K, fkResponse[VO]]
}

func (p *fkForeignJoinProc[K, KO, VO]) Init(ctx processor.Context[K, fkResponse[VO]]) error {
	p.ctx = ctx
	var err error
	p.store, err = processor.KeyValueStore[[]byte, fkSubscription[K]](ctx, p.storeName)
	return err
}

func (p *fkForeignJoinProc[K, KO, VO]) Close() error { return nil }

func (p *fkForeignJoinProc[K, KO, VO]) Process(r processor.Record[KO, Change[VO]]) error {
	if !r.HasKey() {
		// Kafka: "Skipping record due to null key", counted in dropped-records.
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	prefix, err := fkCombinedPrefix(p.keys, p.keyTopic, r.Key(), 0)
	if err != nil {
		return err
	}
	c := r.Value()
	// Collect first: forwarding may write to the store (a loop through the topics happens in
	// another task, but keep the cursor's life short all the same).
	cur, err := p.store.PrefixScan(prefix)
	if err != nil {
		return err
	}
	var subs []fkSubscription[K]
	for cur.Next() {
		subs = append(subs, cur.Value())
	}
	err = errors.Join(cur.Err(), cur.Close())
	if err != nil {
		return err
	}
	for _, s := range subs {
		resp := fkResponse[VO]{hash: s.hash, hasHash: s.hasHash, foreign: c.New, hasForeign: c.HasNew, partition: s.partition, hasPartition: s.hasPartition}
		if err := p.ctx.Forward(processor.Revalue(processor.Rekey(r, s.pk), resp)); err != nil {
			return err
		}
	}
	return nil
}

// fkResolverProc is Kafka's ResponseJoinProcessorSupplier: it drops a response whose hash is
// not the hash of the left table's current value, and joins the others.
type fkResolverProc[K, V, VO, VR any] struct {
	view      tableView[K, V]
	get       func(K) (V, bool, error)
	values    serde.Serde[V]
	hashTopic string
	joiner    func(V, VO, bool) VR
	left      bool
	ctx       processor.Context[K, VR]
}

func (p *fkResolverProc[K, V, VO, VR]) Init(ctx processor.Context[K, VR]) error {
	p.ctx = ctx
	var err error
	p.get, err = p.view.open(ctx)
	return err
}

func (p *fkResolverProc[K, V, VO, VR]) Close() error { return nil }

func (p *fkResolverProc[K, V, VO, VR]) Process(r processor.Record[K, fkResponse[VO]]) error {
	resp := r.Value()
	v, found, err := p.get(r.Key())
	if err != nil {
		return err
	}
	var hash [2]uint64
	if found {
		vb, err := p.values.Serialize(p.hashTopic, v)
		if err != nil {
			return err
		}
		hash = murmur3Hash128(vb)
	}
	if found != resp.hasHash || hash != resp.hash {
		// Kafka: "Dropping FK-join response due to hash mismatch", counted in dropped-records.
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	if !found || (!resp.hasForeign && !p.left) {
		return p.ctx.Forward(processor.RevalueTombstone[VR](r))
	}
	return p.ctx.Forward(processor.Revalue(r, p.joiner(v, resp.foreign, resp.hasForeign)))
}
