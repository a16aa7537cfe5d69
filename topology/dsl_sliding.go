package topology

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// This file holds the sliding windows of a windowed aggregation (Kafka Streams'
// SlidingWindows, SlidingWindowedKStreamImpl and KStreamSlidingWindowAggregate, KIP-450).

// SlidingWindows are windows of a fixed size, TimeDifference, that slide along the time
// axis with the records (Kafka Streams' SlidingWindows): two records are in a common window
// when their timestamps differ by at most TimeDifference. Both ends of a window are
// inclusive, [start, start+TimeDifference]. An aggregation creates a window when a record
// enters it, [ts−TimeDifference, ts], and when a record leaves it, [prev+1,
// prev+1+TimeDifference]; the windowed keys it forwards carry End = start +
// TimeDifference. Grace is how long after a window's end it accepts out-of-order records.
//
// Build the value with SlidingWindowsOfTimeDifferenceWithNoGrace or
// SlidingWindowsOfTimeDifferenceAndGrace, or as a literal. Durations are truncated to
// milliseconds. A negative TimeDifference or Grace is an error of Build, and so is a zero
// TimeDifference (Kafka accepts it; the window store needs a positive window size).
type SlidingWindows struct {
	TimeDifference time.Duration
	Grace          time.Duration
}

// SlidingWindowsOfTimeDifferenceWithNoGrace returns sliding windows of timeDifference with no
// grace period (Kafka's SlidingWindows.ofTimeDifferenceWithNoGrace).
func SlidingWindowsOfTimeDifferenceWithNoGrace(timeDifference time.Duration) SlidingWindows {
	return SlidingWindows{TimeDifference: timeDifference}
}

// SlidingWindowsOfTimeDifferenceAndGrace returns sliding windows of timeDifference that accept
// out-of-order records until afterWindowEnd past their end (Kafka's
// SlidingWindows.ofTimeDifferenceAndGrace).
func SlidingWindowsOfTimeDifferenceAndGrace(timeDifference, afterWindowEnd time.Duration) SlidingWindows {
	return SlidingWindows{TimeDifference: timeDifference, Grace: afterWindowEnd}
}

// WindowedBySliding divides the grouped stream into sliding windows (Kafka's
// KGroupedStream.windowedBy(SlidingWindows); Go has no overloading). It adds no node.
func (g *KGroupedStream[K, V]) WindowedBySliding(w SlidingWindows) *TimeWindowedKStream[K, V] {
	if w.TimeDifference < 0 {
		g.sb.b.fail("WindowedBySliding on %q: window time difference must not be negative, got %v", g.name, w.TimeDifference)
	}
	if w.Grace < 0 {
		g.sb.b.fail("WindowedBySliding on %q: window grace period must not be negative, got %v", g.name, w.Grace)
	}
	return &TimeWindowedKStream[K, V]{g: g, sliding: &w, emitIntervalMs: defaultEmitIntervalMs}
}

// slidingWindowProc is Kafka's KStreamSlidingWindowAggregateProcessor, with the reverse
// iteration of its store (processReverse, which Kafka prefers when the store offers it, as
// every Tributary window store does), and processEarly for the records before
// TimeDifference, whose windows would start before 0.
type slidingWindowProc[K, V, VA any] struct {
	st       *tableState
	agg      windowAgg[K, V, VA]
	d, grace int64
	f        windowForwarder[K, VA]

	// Reused per record: the windows fetched, and their starts.
	wins   []slidingWin[VA]
	starts map[int64]struct{}
}

// slidingWin is a window of the store: its start and aggregate.
type slidingWin[VA any] struct {
	start int64
	vt    ValueAndTimestamp[VA]
}

// optAgg is a possibly null timestamped aggregate (Kafka's nullable ValueAndTimestamp).
type optAgg[VA any] struct {
	vt ValueAndTimestamp[VA]
	ok bool
}

func (p *slidingWindowProc[K, V, VA]) Init(ctx processor.Context[serde.Windowed[K], Change[VA]]) error {
	p.starts = map[int64]struct{}{}
	return p.f.init(ctx, p.st)
}

func (p *slidingWindowProc[K, V, VA]) Close() error { return nil }

func (p *slidingWindowProc[K, V, VA]) Process(r processor.Record[K, V]) error {
	if !r.HasKey() || r.IsTombstone() {
		// Kafka: "Skipping record due to null key or value", counted in dropped-records.
		p.f.dropped()
		return nil
	}
	ts := r.Timestamp()
	p.f.observedStreamTime = max(p.f.observedStreamTime, ts)
	closeTime := p.f.observedStreamTime - p.grace
	if ts+p.d < closeTime {
		// Kafka: "Skipping record for expired window".
		p.f.dropped()
		return nil
	}
	if ts < p.d {
		return p.processEarly(r, closeTime)
	}
	if err := p.processReverse(r, closeTime); err != nil {
		return err
	}
	return p.f.maybeEmitFinal(r.Headers(), closeTime, p.emitBounds)
}

// fetch reads the key's windows starting in [from, to] into p.wins (backward: latest
// first), and their starts into p.starts. Reading them all before updating any keeps the
// cursor clear of the store's writes.
func (p *slidingWindowProc[K, V, VA]) fetch(key K, from, to int64, backward bool) error {
	p.wins = p.wins[:0]
	clear(p.starts)
	fetch := p.f.store.Fetch
	if backward {
		fetch = p.f.store.BackwardFetch
	}
	cur, err := fetch(key, from, to)
	if err != nil {
		return err
	}
	for cur.Next() {
		p.wins = append(p.wins, slidingWin[VA]{start: cur.Key(), vt: cur.Value()})
		p.starts[cur.Key()] = struct{}{}
	}
	return cur.Close()
}

func (p *slidingWindowProc[K, V, VA]) unexpected(start, ts int64) error {
	return fmt.Errorf("sliding window aggregation on store %q: unexpected window with start %d found when processing record at %d", p.f.storeName, start, ts)
}

// processReverse is Kafka's processReverse: walk the key's windows from the latest, updating
// those the record falls in, and find the aggregates of its new left and right windows.
func (p *slidingWindowProc[K, V, VA]) processReverse(r processor.Record[K, V], closeTime int64) error {
	ts := r.Timestamp()
	if err := p.fetch(r.Key(), max(0, ts-2*p.d), ts+1, true); err != nil {
		return err
	}
	var left, right optAgg[VA]
	var leftCreated, rightCreated bool
	var prev int64
	var hasPrev bool
loop:
	for _, w := range p.wins {
		end := w.start + p.d
		switch {
		case w.start == ts+1:
			rightCreated = true
		case end > ts:
			if !right.ok {
				right = optAgg[VA]{w.vt, true}
			}
			if err := p.update(r, w.start, optAgg[VA]{w.vt, true}, closeTime); err != nil {
				return err
			}
		case end == ts:
			leftCreated = true
			if err := p.update(r, w.start, optAgg[VA]{w.vt, true}, closeTime); err != nil {
				return err
			}
			if w.vt.Timestamp >= ts {
				return nil // Kafka returns here: the windows needed exist
			}
			prev, hasPrev = w.vt.Timestamp, true
		case end < ts:
			left = optAgg[VA]{w.vt, true}
			prev, hasPrev = w.vt.Timestamp, true
			break loop
		default:
			return p.unexpected(w.start, ts)
		}
	}
	return p.createWindows(r, closeTime, right, left, leftCreated, rightCreated, prev, hasPrev)
}

// processEarly is Kafka's processEarly, for a record with 0 <= ts < TimeDifference: its left
// window would start before 0, so the records of [0, TimeDifference] share one window there,
// and right windows are created as records come.
func (p *slidingWindowProc[K, V, VA]) processEarly(r processor.Record[K, V], closeTime int64) error {
	ts := r.Timestamp()
	if ts < 0 || ts >= p.d {
		return fmt.Errorf("sliding window aggregation on store %q: early record for sliding windows must fall between 0 <= inputRecordTimestamp < %d, got %d", p.f.storeName, p.d, ts)
	}
	if err := p.fetch(r.Key(), 0, ts+1, false); err != nil {
		return err
	}
	var combined, right optAgg[VA]
	var rightCreated, hasPrev bool
	var prev int64
	for _, w := range p.wins {
		switch {
		case w.start == 0:
			combined = optAgg[VA]{w.vt, true}
			if w.vt.Timestamp < ts {
				prev, hasPrev = w.vt.Timestamp, true
			}
		case w.start <= ts:
			right = optAgg[VA]{w.vt, true}
			if err := p.update(r, w.start, optAgg[VA]{w.vt, true}, closeTime); err != nil {
				return err
			}
		case w.start == ts+1:
			rightCreated = true
		default:
			return p.unexpected(w.start, ts)
		}
	}
	if !right.ok && combined.ok && combined.vt.Timestamp > ts {
		right = combined
	}
	if !rightCreated && right.ok && right.vt.Timestamp > ts {
		if err := p.createCurrentRecordRightWindow(r, right); err != nil {
			return err
		}
	}
	if hasPrev {
		if _, ok := p.starts[prev+1]; !ok {
			if err := p.createPreviousRecordRightWindow(r, prev+1, closeTime); err != nil {
				return err
			}
		}
	}
	if !combined.ok {
		return p.update(r, 0, p.initial(ts), closeTime)
	}
	return p.update(r, 0, combined, closeTime)
}

// createWindows is Kafka's createWindows: the previous record's right window, the record's
// left window and its right window, where needed.
func (p *slidingWindowProc[K, V, VA]) createWindows(r processor.Record[K, V], closeTime int64, right, left optAgg[VA], leftCreated, rightCreated bool, prev int64, hasPrev bool) error {
	ts := r.Timestamp()
	if hasPrev {
		prs := prev + 1
		if _, ok := p.starts[prs]; !ok && prs+p.d >= ts {
			if err := p.createPreviousRecordRightWindow(r, prs, closeTime); err != nil {
				return err
			}
		}
	}
	if !leftCreated {
		vt := p.initial(ts)
		if hasPrev && ts-p.d <= prev {
			// The previous record is in the left window: it starts from the aggregate found.
			vt = optAgg[VA]{ValueAndTimestamp[VA]{Value: left.vt.Value, Timestamp: ts}, left.ok}
		}
		if err := p.update(r, ts-p.d, vt, closeTime); err != nil {
			return err
		}
	}
	if !rightCreated && right.ok && right.vt.Timestamp > ts {
		return p.createCurrentRecordRightWindow(r, right)
	}
	return nil
}

// initial is a new window's aggregate before the record: the initializer's, at ts.
func (p *slidingWindowProc[K, V, VA]) initial(ts int64) optAgg[VA] {
	v, ok := p.agg.init()
	return optAgg[VA]{ValueAndTimestamp[VA]{Value: v, Timestamp: ts}, ok}
}

// createCurrentRecordRightWindow puts the aggregate of the records after the current one
// into its right window, [ts+1, ts+1+TimeDifference], with no old value.
func (p *slidingWindowProc[K, V, VA]) createCurrentRecordRightWindow(r processor.Record[K, V], right optAgg[VA]) error {
	start := r.Timestamp() + 1
	var none VA
	return p.f.put(r.Headers(), r.Key(), start, start+p.d, none, false, right.vt.Value, right.vt.Timestamp)
}

// createPreviousRecordRightWindow creates the previous record's right window with the
// current record in it.
func (p *slidingWindowProc[K, V, VA]) createPreviousRecordRightWindow(r processor.Record[K, V], start, closeTime int64) error {
	return p.update(r, start, p.initial(r.Timestamp()), closeTime)
}

// update is Kafka's updateWindowAndForward: add the record to the window that starts at
// start, whose aggregate before it is old, unless the window is closed (its end before the
// close time), which drops the record.
func (p *slidingWindowProc[K, V, VA]) update(r processor.Record[K, V], start int64, old optAgg[VA], closeTime int64) error {
	end := start + p.d
	if end < closeTime {
		p.f.dropped()
		return nil
	}
	ts := r.Timestamp()
	newTs := ts
	if old.ok {
		newTs = max(ts, old.vt.Timestamp)
	}
	agg := p.agg.add(r.Key(), r.Value(), old.vt.Value, old.ok)
	return p.f.put(r.Headers(), r.Key(), start, end, old.vt.Value, old.ok, agg, newTs)
}

// emitBounds are KStreamSlidingWindowAggregate's emit range: the windows whose (inclusive)
// end is before the close time, from the last emission on.
func (p *slidingWindowProc[K, V, VA]) emitBounds(closeTime int64) (lower, upper int64, fetch bool) {
	upper = closeTime - p.d - 1
	if p.f.lastEmitCloseTime == noTimestamp {
		return 0, upper, true
	}
	return max(0, p.f.lastEmitCloseTime-p.d), upper, true
}
