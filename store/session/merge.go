package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store"
)

// Aggregator describes a session aggregation: the session windows (Kafka's SessionWindows:
// inactivity gap and grace period) and the functions that fold records into aggregates
// (Kafka's Initializer, Aggregator and Merger). [Merge] applies it to one record.
type Aggregator[K, V, AGG any] struct {
	// Gap is the inactivity gap: records of a key less than or exactly Gap apart are in one
	// session (Kafka's SessionWindows.ofInactivityGap…). It must be at least 1 ms.
	Gap time.Duration
	// Grace is how long after a session's end (plus the gap) records may still merge into it
	// (Kafka's grace period). Zero is none. A store's retention must be at least Gap + Grace
	// ([ValidateRetention]).
	Grace time.Duration
	// Init returns the aggregate of an empty session (Kafka's Initializer).
	Init func() AGG
	// Add folds a record's value into a session aggregate (Kafka's Aggregator).
	Add func(key K, value V, agg AGG) AGG
	// Merge combines the aggregates of two sessions that a record joins (Kafka's Merger).
	Merge func(key K, a, b AGG) AGG
}

func (a *Aggregator[K, V, AGG]) validate() error {
	switch {
	case a.Gap.Milliseconds() <= 0:
		return fmt.Errorf("session inactivity gap %v must be at least 1ms", a.Gap)
	case a.Grace < 0:
		return fmt.Errorf("session grace period %v must not be negative", a.Grace)
	case a.Init == nil || a.Add == nil || a.Merge == nil:
		return errors.New("session aggregator needs Init, Add and Merge")
	}
	return nil
}

// Result is what [Merge] did with one record.
type Result[K, AGG any] struct {
	// Session is the session the record is now part of, and Value its aggregate, as written
	// to the store. Kafka forwards them downstream, with the session's end as timestamp.
	Session serde.Windowed[K]
	Value   AGG
	// Removed are the sessions that the record merged into Session, with their aggregates
	// before the merge, in the store's order (Kafka forwards a tombstone for each). It is
	// empty when the record started a session of its own, or updated the session [ts, ts].
	// A removed session may have the same window as Session (a record inside an existing
	// session): it was overwritten rather than deleted from the store, but Kafka still
	// forwards its tombstone before the update.
	Removed []cursor.KeyValue[serde.Windowed[K], AGG]
	// Dropped reports a late record: the merged session ends before the close time (stream
	// time − grace − gap), so nothing was written and Session, Value and Removed are what
	// would have been. Kafka drops and counts such records (dropped-records).
	Dropped bool
}

// Merge adds a record — key, value, timestamp ts — to the sessions of store s, as Kafka
// Streams' KStreamSessionWindowAggregate processes one record:
//
//  1. find the sessions of key that overlap [ts − gap, ts + gap]
//     (s.FindSessions(key, ts−gap, ts+gap));
//  2. merge them with the new session [ts, ts]: the merged window runs from the earliest
//     start to the latest end, and the aggregate is Init() merged (a.Merge) with each found
//     aggregate in store order, then a.Add(key, value, ·);
//  3. if the merged session ends before the close time, max(streamTime, ts) − grace − gap,
//     the record is late: drop it (Result.Dropped) and write nothing;
//  4. else remove the merged-away sessions and put the merged one.
//
// streamTime is the caller's observed stream time (the task's, as Kafka's processor tracks
// it); pass ts (or math.MinInt64) when there is none. With a 5 s gap, records at 10 s, 12 s
// and 20 s make the sessions [10 s, 12 s] and [20 s, 20 s]; a late record at 16 s overlaps
// both ([11 s, 21 s]) and merges all into [10 s, 20 s] (the kstreams-clj documentation's
// example; see the package example).
//
// The sessions are read before anything is written. Merge is not atomic against other
// writers of the same key: a task has one writer. Errors are *store.Error values with Op
// "merge".
func Merge[K, V, AGG any](s *Store[K, AGG], a Aggregator[K, V, AGG], key K, value V, ts, streamTime int64) (Result[K, AGG], error) {
	const op = "merge"
	var res Result[K, AGG]
	if err := a.validate(); err != nil {
		return res, &store.Error{Store: s.Name(), Op: op, Err: err}
	}
	gap, grace := a.Gap.Milliseconds(), a.Grace.Milliseconds()
	c, err := s.findKey(op, key, addSat(ts, -gap), addSat(ts, gap), false)
	if err != nil {
		return res, err
	}
	found, err := cursor.Collect(c)
	if err != nil {
		return res, err
	}
	w := serde.Windowed[K]{Key: key, Start: ts, End: ts}
	agg := a.Init()
	for _, f := range found {
		agg = a.Merge(key, agg, f.Value)
		w.Start, w.End = min(w.Start, f.Key.Start), max(w.End, f.Key.End)
	}
	agg = a.Add(key, value, agg)
	res.Session, res.Value = w, agg
	if w.Start != ts || w.End != ts {
		res.Removed = found
	}
	if closeTime := addSat(addSat(max(streamTime, ts), -grace), -gap); w.End < closeTime {
		res.Dropped = true
		return res, nil
	}
	for _, f := range res.Removed {
		if f.Key.Start == w.Start && f.Key.End == w.End {
			continue // overwritten by the put below
		}
		if err := s.Remove(f.Key); err != nil {
			return res, s.fail(op, err)
		}
	}
	if err := s.Put(w, agg); err != nil {
		return res, s.fail(op, err)
	}
	return res, nil
}
