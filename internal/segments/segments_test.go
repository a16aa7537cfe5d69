package segments_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/kv/kvtest"
)

// tailTime reads the timestamp from the last 8 bytes of a key (the window key layout without
// a sequence number).
type tailTime struct{}

func (tailTime) SegmentTime(k []byte) (int64, bool) {
	if len(k) < 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k[len(k)-8:])), true
}

func key(k string, ts int64) []byte { return binary.BigEndian.AppendUint64([]byte(k), uint64(ts)) }

// zeroTime puts every key in segment 0, so that the kv engine contract applies as is.
type zeroTime struct{}

func (zeroTime) SegmentTime([]byte) (int64, bool) { return 0, true }

func TestEngineContract(t *testing.T) {
	kvtest.RunEngine(t, func(t *testing.T) kv.Engine {
		s, err := segments.Open("s", zeroTime{}, segments.MemoryFactory(), segments.Options{Retention: 100, Interval: 50})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Kafka's AbstractRocksDBSegmentedBytesStore: segment id = ts / interval; a put advances the
// observed stream time first; segments older than segmentId(observed − retention) are dropped
// and a put into one of them is skipped and counted.
func TestRetention(t *testing.T) {
	s, err := segments.Open("w", tailTime{}, segments.MemoryFactory(), segments.Options{Retention: 100, Interval: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, ts := range []int64{0, 40, 60, 120} {
		if err := s.Put(key("a", ts), []byte{byte(ts)}); err != nil {
			t.Fatal(err)
		}
	}
	// observed 120: min live segment = (120-100)/50 = 0: segments 0, 1, 2 live.
	if got := s.SegmentIDs(); len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Fatalf("segments %v, want [0 1 2]", got)
	}
	if err := s.Put(key("a", 160), []byte{160}); err != nil {
		t.Fatal(err)
	}
	// observed 160: min live segment = 60/50 = 1: segment 0 (ts 0, 40) dropped.
	if got := s.SegmentIDs(); len(got) != 3 || got[0] != 1 {
		t.Fatalf("segments %v, want [1 2 3]", got)
	}
	if _, ok, _ := s.Get(key("a", 40)); ok {
		t.Error("a@40 still readable after its segment expired")
	}
	if err := s.Put(key("b", 49), []byte{1}); err != nil {
		t.Fatal(err)
	}
	if s.ExpiredRecords() != 1 {
		t.Errorf("ExpiredRecords = %d, want 1 (the put at 49 into expired segment 0)", s.ExpiredRecords())
	}
	if s.DroppedSegments() != 1 {
		t.Errorf("DroppedSegments = %d, want 1", s.DroppedSegments())
	}
	// Stream time going backwards (a put at 100) moves nothing.
	if err := s.Put(key("c", 100), []byte{100}); err != nil {
		t.Fatal(err)
	}
	if s.ObservedStreamTime() != 160 {
		t.Errorf("ObservedStreamTime = %d, want 160", s.ObservedStreamTime())
	}
	c, err := s.Range(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range cursor.All(c) {
		keys = append(keys, string(k[:1]))
	}
	if want := []string{"a", "a", "a", "c"}; len(keys) != len(want) {
		t.Errorf("all keys %v, want %v (merged across segments in key order)", keys, want)
	}
	// Write routes each entry to its segment; expired ones are skipped.
	if err := s.Write([]kv.Entry{{Key: key("d", 150), Value: []byte{1}}, {Key: key("d", 10), Value: []byte{2}}, {Key: key("a", 60), Delete: true}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(key("d", 150)); !ok {
		t.Error("d@150 not written")
	}
	if _, ok, _ := s.Get(key("a", 60)); ok {
		t.Error("a@60 not deleted")
	}
	if s.ExpiredRecords() != 2 {
		t.Errorf("ExpiredRecords = %d, want 2", s.ExpiredRecords())
	}
	c, err = s.RangeTime(nil, nil, 150, 170, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range cursor.All(c) {
		n++
	}
	if n != 2 { // a@160, d@150 (segment 3)
		t.Errorf("RangeTime(150, 170) read %d keys, want 2 (segment 3 only)", n)
	}
	if s.MinLiveTime() != 61 {
		t.Errorf("MinLiveTime = %d, want 61", s.MinLiveTime())
	}
	if err := s.Put([]byte("short"), nil); !errors.Is(err, segments.ErrBadKey) {
		t.Errorf("Put of a short key: %v, want ErrBadKey", err)
	}
	s.Close()
	if err := s.Put(key("a", 1), nil); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Put after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := segments.Open("x", tailTime{}, segments.MemoryFactory(), segments.Options{Interval: 0}); err == nil {
		t.Error("Open with interval 0: no error")
	}
	_ = math.MinInt64
}

// Kafka's AbstractRocksDBWindowStoreTest.shouldOnlyIterateOpenSegments: a write that drops a
// segment under an open range ends that segment's part of the range quietly; the live
// segments' items still come. Closing the store itself still invalidates the range.
func TestRangeOverDroppedSegment(t *testing.T) {
	s, err := segments.Open("w", tailTime{}, segments.MemoryFactory(), segments.Options{Retention: 100, Interval: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, ts := range []int64{0, 50, 100} {
		if err := s.Put(key("a", ts), []byte{byte(ts)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, closeFirst := range []bool{false, true} {
		c, err := s.Range(nil, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if closeFirst {
			// Closing, unread, a range whose segment was dropped is not an error either.
			if err := s.Put(key("b", 200), nil); err != nil { // observed 200: segment 1 dropped
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close of a range over a dropped segment: %v", err)
			}
			continue
		}
		if err := s.Put(key("a", 150), []byte{150}); err != nil { // observed 150: segment 0 dropped
			t.Fatal(err)
		}
		var got []byte
		for c.Next() {
			got = append(got, c.Value()...)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("range over a dropped segment: %v", err)
		}
		// a@50 and a@100 (segments 1 and 2); a@0 went with segment 0. a@150 is in segment 3,
		// which the range did not include when it opened.
		if len(got) != 2 || got[0] != 50 || got[1] != 100 {
			t.Errorf("range after a drop read %v, want [50 100]", got)
		}
	}
	c, err := s.Range(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Next() {
		t.Fatal("empty range")
	}
	s.Close()
	if c.Next() {
		t.Error("Next after the store closed")
	}
	if err := c.Close(); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Close after the store closed: %v, want ErrStoreClosed", err)
	}
}

// A batch whose later put advances the stream time past the segment of earlier entries (a
// record cache flush, a restoration batch) writes those entries before the segment is
// dropped, instead of writing into a closed engine.
func TestWriteBatchAcrossADrop(t *testing.T) {
	s, err := segments.Open("w", tailTime{}, segments.MemoryFactory(), segments.Options{Retention: 100, Interval: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]kv.Entry{{Key: key("a", 10), Value: []byte{1}}, {Key: key("a", 20), Value: []byte{2}}, {Key: key("b", 400), Value: []byte{3}}, {Key: key("c", 30), Value: []byte{4}}}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got := s.SegmentIDs(); len(got) != 1 || got[0] != 8 {
		t.Errorf("segments %v, want [8]", got)
	}
	if s.ExpiredRecords() != 1 || s.DroppedSegments() != 1 {
		t.Errorf("expired %d (want 1: c@30), dropped segments %d (want 1)", s.ExpiredRecords(), s.DroppedSegments())
	}
}
