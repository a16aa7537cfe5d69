package session_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/session"
)

func TestOptionsResolve(t *testing.T) {
	for _, tc := range []struct {
		in, want session.Options
	}{
		// DESIGN.md and Kafka's RocksDbSessionBytesStoreSupplier: max(retention / 2, 60 s).
		{session.Options{}, session.Options{Retention: 24 * time.Hour, SegmentInterval: 12 * time.Hour}},
		{session.Options{Retention: time.Hour}, session.Options{Retention: time.Hour, SegmentInterval: 30 * time.Minute}},
		{session.Options{Retention: 30 * time.Second}, session.Options{Retention: 30 * time.Second, SegmentInterval: time.Minute}},
		{session.Options{Retention: time.Hour, SegmentInterval: 5 * time.Millisecond}, session.Options{Retention: time.Hour, SegmentInterval: 5 * time.Millisecond}},
		// The older API's segment count: max(retention / (segments − 1), 60 s).
		{session.Options{Retention: time.Hour, Segments: 2}, session.Options{Retention: time.Hour, SegmentInterval: time.Hour}},
		{session.Options{Retention: time.Hour, Segments: 5}, session.Options{Retention: time.Hour, SegmentInterval: 15 * time.Minute}},
		{session.Options{Retention: time.Minute, Segments: 5}, session.Options{Retention: time.Minute, SegmentInterval: time.Minute}},
		// Whole milliseconds.
		{session.Options{Retention: time.Hour + time.Microsecond, SegmentInterval: time.Second + time.Microsecond}, session.Options{Retention: time.Hour, SegmentInterval: time.Second}},
	} {
		got, err := tc.in.Resolve()
		if err != nil || got != tc.want {
			t.Errorf("%+v.Resolve() = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if again, err := got.Resolve(); err != nil || again != got {
			t.Errorf("Resolve is not idempotent: %+v -> %+v, %v", got, again, err)
		}
	}
	for _, bad := range []session.Options{
		{Retention: -1},
		{Retention: time.Microsecond},
		{SegmentInterval: -time.Second},
		{SegmentInterval: time.Microsecond},
		{Segments: 1},
		{Segments: -2},
		{Segments: 3, SegmentInterval: time.Minute},
	} {
		if _, err := bad.Resolve(); err == nil {
			t.Errorf("%+v.Resolve(): no error", bad)
		}
	}
	var se *store.Error
	if _, err := session.InMemorySupplier("bad", session.Options{Segments: 1}); !errors.As(err, &se) || se.Store != "bad" || se.Op != "options" {
		t.Errorf("InMemorySupplier with bad options: %v, want a *store.Error", err)
	}
}

// Kafka's SessionWindowedKStreamImpl: "The retention period of the session store must be no
// smaller than the session inactivity gap plus the grace period."
func TestValidateRetention(t *testing.T) {
	for _, tc := range []struct {
		retention, gap, grace time.Duration
		ok                    bool
	}{
		{time.Minute, 30 * time.Second, 30 * time.Second, true},
		{time.Minute, 30 * time.Second, 31 * time.Second, false},
		{0, 23 * time.Hour, time.Hour, true}, // the 1-day default
		{0, 23 * time.Hour, time.Hour + 1, false},
		{time.Hour, 0, 0, false},            // no gap
		{time.Hour, time.Second, -1, false}, // negative grace
	} {
		err := session.ValidateRetention(tc.retention, tc.gap, tc.grace)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateRetention(%v, %v, %v) = %v, want ok=%v", tc.retention, tc.gap, tc.grace, err, tc.ok)
		}
	}
	if err := session.ValidateRetention(time.Second, time.Second, time.Second); !errors.Is(err, session.ErrRetentionTooShort) {
		t.Errorf("ValidateRetention: %v, want ErrRetentionTooShort", err)
	}
}
