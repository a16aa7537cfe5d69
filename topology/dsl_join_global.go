package topology

import (
	"github.com/tributary-go/tributary/processor"
)

// This file holds the stream-globaltable joins (Kafka Streams' KStream.join and leftJoin with
// a GlobalKTable: KStreamImpl.globalTableJoin, KStreamGlobalKTableJoin and the
// KStreamKTableJoinProcessor it supplies, reading the global store through a
// KTableSourceValueGetterSupplier).
//
// A global table is whole on every instance, so the join needs no co-partitioning and no
// repartition topic: each stream record looks up the key its key selector returns in the
// global store. The join node is not connected to the store (Kafka's StreamTableJoinNode gets
// no store names for it): it reads it through its context, global stores being readable by
// every processor.
//
// Difference from Kafka Streams: Go's key selector cannot return null, so a record is never
// dropped for a null selected key; a selector that wants no match returns a key the table
// lacks (an inner join then drops the record without counting it, a left join keeps it).

// JoinGlobal joins each record of the stream with the value the global table g holds for
// the key keySelector returns for it (Kafka's KStream.join(GlobalKTable, KeyValueMapper,
// ValueJoiner, [Named])): a record whose selected key g lacks is dropped, as is a tombstone
// (counted in dropped-records). A record without a key is joined (KIP-962): the selector gets
// K's zero value for its key. Only stream records trigger the join; updates of g only change
// what later records see. The node is KSTREAM-LEFTJOIN-%010d (named when named is given):
// Kafka 3.9 names inner global joins with the left join's prefix too. The result keeps the
// stream's key (and key serde) and has no value serde; no repartition topic is ever added.
func JoinGlobal[K, V, GK, GV, VR any](s *KStream[K, V], g *GlobalKTable[GK, GV], keySelector func(K, V) GK, joiner func(V, GV) VR, named ...Named) *KStream[K, VR] {
	var j func(V, GV, bool) VR
	if joiner != nil {
		j = func(v V, gv GV, _ bool) VR { return joiner(v, gv) }
	}
	return streamGlobalJoin(s, g, "JoinGlobal", false, keySelector, j, named)
}

// LeftJoinGlobal is JoinGlobal keeping the records whose selected key the global table
// lacks: joiner gets found false and GV's zero value then (Kafka's
// KStream.leftJoin(GlobalKTable, ...) passes null). Names are JoinGlobal's
// (KSTREAM-LEFTJOIN-%010d); a tombstone is dropped and counted.
func LeftJoinGlobal[K, V, GK, GV, VR any](s *KStream[K, V], g *GlobalKTable[GK, GV], keySelector func(K, V) GK, joiner func(value V, globalValue GV, found bool) VR, named ...Named) *KStream[K, VR] {
	return streamGlobalJoin(s, g, "LeftJoinGlobal", true, keySelector, joiner, named)
}

func streamGlobalJoin[K, V, GK, GV, VR any](s *KStream[K, V], g *GlobalKTable[GK, GV], op string, left bool, keySelector func(K, V) GK, joiner func(V, GV, bool) VR, named []Named) *KStream[K, VR] {
	name := s.sb.nameOr(op, named, streamLeftJoinTablePrefix)
	out := &KStream[K, VR]{sb: s.sb, name: name, keys: s.keys, repartitionRequired: s.repartitionRequired}
	switch {
	case g == nil:
		s.sb.b.fail("%s %q: nil global table", op, name)
		return out
	case keySelector == nil:
		s.sb.b.fail("%s %q: nil key selector", op, name)
		return out
	case joiner == nil:
		s.sb.b.fail("%s %q: nil joiner", op, name)
		return out
	}
	view, _ := storeView[GK, GV](g.storeName)()
	AddProcessor(s.sb.b, name, func() processor.Processor[K, V, K, VR] {
		return &globalJoinProc[K, V, GK, GV, VR]{view: view, left: left, selector: keySelector, joiner: joiner}
	}, s.name)
	return out
}

// globalJoinProc is Kafka's KStreamKTableJoinProcessor over a global table's getter.
type globalJoinProc[K, V, GK, GV, VR any] struct {
	view     tableView[GK, GV]
	left     bool
	selector func(K, V) GK
	joiner   func(V, GV, bool) VR
	get      func(GK) (GV, bool, error)
	ctx      processor.Context[K, VR]
}

func (p *globalJoinProc[K, V, GK, GV, VR]) Init(ctx processor.Context[K, VR]) error {
	p.ctx = ctx
	var err error
	p.get, err = p.view.open(ctx)
	return err
}

func (p *globalJoinProc[K, V, GK, GV, VR]) Close() error { return nil }

func (p *globalJoinProc[K, V, GK, GV, VR]) Process(r processor.Record[K, V]) error {
	if r.IsTombstone() {
		// Kafka: "Skipping record due to null join key or value", counted in dropped-records.
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	gv, found, err := p.get(p.selector(r.Key(), r.Value()))
	if err != nil {
		return err
	}
	if !found && !p.left {
		return nil
	}
	return p.ctx.Forward(processor.Revalue(r, p.joiner(r.Value(), gv, found)))
}
