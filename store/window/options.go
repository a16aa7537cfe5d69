package window

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of [Options].
const (
	// DefaultRetention is how long a window store keeps windows when Options.Retention is
	// zero: one day (Kafka Streams' default retention of windowed stores, the seed's
	// ::retention default [1 :days]).
	DefaultRetention = 24 * time.Hour
	// DefaultSegments is the number of segments when Options.Segments is zero: 2 (the
	// seed's ::segments default).
	DefaultSegments = 2
	// MinSegmentInterval is the smallest segment interval: 60 s, as in Kafka Streams.
	MinSegmentInterval = 60 * time.Second
)

// ErrInvalidOptions is wrapped by the errors of [Options.Validate] and [ValidateRetention].
var ErrInvalidOptions = errors.New("invalid window store options")

// Options configure a window store: each field maps to one of the seed's (kstreams-clj)
// window store options and to Kafka Streams' Stores.persistentWindowStore arguments.
type Options struct {
	// WindowSize is the size of the windows the store holds (the seed's ::interval,
	// mandatory; Kafka's windowSize). It gives each window's end (start + size) in cursors.
	// It must be at least 1 ms; it is truncated to milliseconds.
	WindowSize time.Duration
	// Retention is how long windows are kept, in stream time (the seed's ::retention;
	// Kafka's retentionPeriod). Zero means [DefaultRetention], one day. It must be no
	// smaller than WindowSize (Kafka: "retention period must be no smaller than window
	// size"); a windowed aggregation also needs it to cover the grace period, which
	// [ValidateRetention] checks. It is truncated to milliseconds.
	Retention time.Duration
	// Segments is the number of segments the retention is divided into (the seed's
	// ::segments; the numSegments of Kafka's older Stores.persistentWindowStore). Zero means
	// [DefaultSegments], 2; it must be at least 2. The segment interval is
	// max(Retention / (Segments − 1), 60 s), the older API's formula: with the default of
	// 2 a segment spans the whole retention; Segments = 3 gives the interval of Kafka's
	// current API, max(Retention / 2, 60 s). See [Options.SegmentInterval].
	Segments int
	// RetainDuplicates keeps every put, even of the same key and window start, instead of
	// overwriting (the seed's ::duplicate-keys?; Kafka's retainDuplicates, used by stream-stream
	// joins). Each put gets a sequence number in its store key; a tombstone put is ignored.
	RetainDuplicates bool
}

// WithDefaults returns o with the zero fields set to their defaults (Retention,
// Segments).
func (o Options) WithDefaults() Options {
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Segments == 0 {
		o.Segments = DefaultSegments
	}
	return o
}

// Validate checks the options after defaults are applied: a window size of at least 1 ms,
// a retention no smaller than the window size, at least 2 segments.
func (o Options) Validate() error {
	o = o.WithDefaults()
	var errs []error
	if o.WindowSize.Milliseconds() < 1 {
		errs = append(errs, fmt.Errorf("window size %v must be at least 1ms (it is mandatory)", o.WindowSize))
	}
	if o.Retention.Milliseconds() < 1 {
		errs = append(errs, fmt.Errorf("retention %v must be at least 1ms", o.Retention))
	} else if o.Retention.Milliseconds() < o.WindowSize.Milliseconds() {
		errs = append(errs, fmt.Errorf("retention period must be no smaller than window size: retention %v, window size %v", o.Retention, o.WindowSize))
	}
	if o.Segments < 2 {
		errs = append(errs, fmt.Errorf("segments %d must be at least 2", o.Segments))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
}

// SegmentInterval returns the time span of one segment: max(Retention / (Segments − 1),
// 60 s), with the defaults applied, truncated to milliseconds.
func (o Options) SegmentInterval() time.Duration {
	o = o.WithDefaults()
	segs := max(o.Segments, 2)
	iv := (o.Retention / time.Duration(segs-1)).Truncate(time.Millisecond)
	return max(iv, MinSegmentInterval)
}

// RetentionMs returns the retention in milliseconds, with the default applied.
func (o Options) RetentionMs() int64 { return o.WithDefaults().Retention.Milliseconds() }

// SegmentIntervalMs returns the segment interval in milliseconds.
func (o Options) SegmentIntervalMs() int64 { return o.SegmentInterval().Milliseconds() }

// WindowSizeMs returns the window size in milliseconds.
func (o Options) WindowSizeMs() int64 { return o.WindowSize.Milliseconds() }

// ValidateRetention checks that a store's retention covers a windowed operation's windows
// and grace period: retention >= size + grace (Kafka's TimeWindowedKStreamImpl: "The
// retention period of the window store must be no smaller than its window size plus the
// grace period"). The DSL calls it when it creates a windowed store. A zero retention is
// the default, one day.
func ValidateRetention(retention, size, grace time.Duration) error {
	if retention == 0 {
		retention = DefaultRetention
	}
	if size < 0 || grace < 0 {
		return fmt.Errorf("%w: window size %v and grace %v must not be negative", ErrInvalidOptions, size, grace)
	}
	if retention.Milliseconds() < size.Milliseconds()+grace.Milliseconds() {
		return fmt.Errorf("%w: retention period must be no smaller than window size plus grace period: retention %v, window size %v, grace %v",
			ErrInvalidOptions, retention, size, grace)
	}
	return nil
}
