package session

import (
	"errors"
	"fmt"
	"time"
)

// DefaultRetention is the retention of a session store whose [Options] leave it zero: one day,
// Kafka Streams' default (and kstreams-clj's ::retention default).
const DefaultRetention = 24 * time.Hour

// MinSegmentInterval is the smallest default segment interval: Kafka Streams' segment
// interval for session stores is max(retention / 2, 60 s).
const MinSegmentInterval = 60 * time.Second

// ErrRetentionTooShort is returned by [ValidateRetention] when a store would forget sessions
// that can still be merged or updated.
var ErrRetentionTooShort = errors.New("retention shorter than the inactivity gap plus the grace period")

// Options configure the retention and segments of a session store (Kafka Streams'
// Stores.persistentSessionStore(name, retentionPeriod), with the segments of its
// RocksDbSessionBytesStoreSupplier). The zero value is the default: one day of retention in
// segments of 12 hours.
//
// Time is stream time: a store keeps the sessions that ended within Retention of the
// largest session end it has been written (its observed stream time). Data is dropped a
// segment at a time, when the whole segment has expired; reads hide expired sessions at once.
type Options struct {
	// Retention is how long sessions are kept after they end, in stream time (Kafka's
	// retentionPeriod; kstreams-clj's ::retention). Default [DefaultRetention] (1 day). It
	// must be at least the inactivity gap plus the grace period of the session windows that
	// use the store: see [ValidateRetention]. It is used in whole milliseconds.
	Retention time.Duration
	// SegmentInterval is the time span of one segment (Kafka's segmentInterval). Default
	// max(Retention / 2, 60 s), Kafka's RocksDbSessionBytesStoreSupplier.segmentIntervalMs,
	// which keeps about three segments live. At most one of SegmentInterval and Segments may
	// be set. It is used in whole milliseconds and must be at least 1 ms.
	SegmentInterval time.Duration
	// Segments sets the segment interval by a segment count instead, as Kafka's older
	// Stores API did: interval = max(Retention / (Segments − 1), 60 s). It must be at least 2
	// (the seed's ::segments). Zero means unset.
	Segments int
}

// Resolve returns o with its defaults filled in, and an error if a field is invalid: a
// negative retention, an interval below 1 ms, fewer than 2 segments, or both SegmentInterval
// and Segments set. Suppliers resolve their options when they are made.
func (o Options) Resolve() (Options, error) {
	if o.Retention < 0 {
		return o, fmt.Errorf("session store retention %v must not be negative", o.Retention)
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention.Milliseconds() == 0 {
		return o, fmt.Errorf("session store retention %v must be at least 1ms", o.Retention)
	}
	switch {
	case o.SegmentInterval != 0 && o.Segments != 0:
		return o, fmt.Errorf("session store options: set SegmentInterval (%v) or Segments (%d), not both", o.SegmentInterval, o.Segments)
	case o.SegmentInterval < 0 || (o.SegmentInterval > 0 && o.SegmentInterval.Milliseconds() == 0):
		return o, fmt.Errorf("session store segment interval %v must be at least 1ms", o.SegmentInterval)
	case o.Segments < 0 || o.Segments == 1:
		return o, fmt.Errorf("session store segments %d: must be at least 2", o.Segments)
	case o.Segments >= 2:
		o.SegmentInterval = max(o.Retention/time.Duration(o.Segments-1), MinSegmentInterval)
		o.Segments = 0
	case o.SegmentInterval == 0:
		o.SegmentInterval = max(o.Retention/2, MinSegmentInterval)
	}
	o.Retention = o.Retention.Truncate(time.Millisecond)
	o.SegmentInterval = o.SegmentInterval.Truncate(time.Millisecond)
	return o, nil
}

// ValidateRetention returns an error wrapping [ErrRetentionTooShort] when retention is
// shorter than gap + grace: such a store could drop a session before the last record that
// may still merge into it (Kafka's SessionWindowedKStreamImpl check, "The retention period of
// the session store must be no smaller than the session inactivity gap plus the grace
// period"). A zero retention means [DefaultRetention].
func ValidateRetention(retention, gap, grace time.Duration) error {
	if retention == 0 {
		retention = DefaultRetention
	}
	if gap <= 0 {
		return fmt.Errorf("session inactivity gap %v must be positive", gap)
	}
	if grace < 0 {
		return fmt.Errorf("session grace period %v must not be negative", grace)
	}
	if retention < gap+grace {
		return fmt.Errorf("%w: retention %v < gap %v + grace %v", ErrRetentionTooShort, retention, gap, grace)
	}
	return nil
}
