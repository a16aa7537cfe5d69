package session_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/internal/segments"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
)

func buildWith(t *testing.T, wrap func(kv.Engine) (kv.Engine, error)) *session.Store[string, int64] {
	t.Helper()
	sup, err := session.InMemorySupplier("sessions", session.Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	st, err := session.NewBuilder(sup, serde.String, serde.Int64).BuildWith("", wrap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*session.Store[string, int64])
}

func seedEvents(t *testing.T, s *session.Store[string, int64]) {
	t.Helper()
	p := &processor{t: t, s: s, agg: counting(5*time.Second, 0)}
	for _, ts := range []int64{10_000, 12_000, 20_000, 16_000} {
		p.process("user", ts)
	}
}

// Logged through the changelog layer, a session store's changelog holds Kafka's keys
// (SessionKeySchema.toBinary, the SessionWindowed serde's bytes) with a tombstone for each
// merged-away session (Kafka's ChangeLoggingSessionBytesStore), on the task's partition; the
// records restore the store.
func TestLoggedSessions(t *testing.T) {
	var recs []changelog.Record
	sender := changelog.SenderFunc(func(r changelog.Record) error {
		r.Key, r.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
		recs = append(recs, r)
		return nil
	})
	s := buildWith(t, func(e kv.Engine) (kv.Engine, error) {
		return changelog.NewLoggedEngine(e, "app-sessions-changelog", 3, sender, nil), nil
	})
	seedEvents(t, s)

	type rec struct {
		Session win
		Value   *int64
	}
	wk := serde.SessionWindowed(serde.String)
	var got []rec
	for _, r := range recs {
		if r.Topic != "app-sessions-changelog" || r.Partition != 3 {
			t.Errorf("record to %s/%d", r.Topic, r.Partition)
		}
		w, err := wk.Deserialize("", r.Key)
		if err != nil {
			t.Fatal(err)
		}
		var v *int64
		if r.Value != nil {
			n, err := serde.Int64.Deserialize("", r.Value)
			if err != nil {
				t.Fatal(err)
			}
			v = &n
		}
		got = append(got, rec{w, v})
	}
	n := func(v int64) *int64 { return &v }
	want := []rec{
		{win{Key: "user", Start: 10_000, End: 10_000}, n(1)},
		{win{Key: "user", Start: 10_000, End: 10_000}, nil},
		{win{Key: "user", Start: 10_000, End: 12_000}, n(2)},
		{win{Key: "user", Start: 20_000, End: 20_000}, n(1)},
		{win{Key: "user", Start: 10_000, End: 12_000}, nil},
		{win{Key: "user", Start: 20_000, End: 20_000}, nil},
		{win{Key: "user", Start: 10_000, End: 20_000}, n(4)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changelog (-want +got):\n%s", diff)
	}

	// Restoration replays the changelog into the segmented engine.
	restored := buildWith(t, nil)
	batch := make([]kv.Entry, len(recs))
	for i, r := range recs {
		batch[i] = kv.Entry{Key: r.Key, Value: r.Value, Delete: r.Value == nil}
	}
	if err := restored.Engine().Write(batch); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]cursor.KeyValue[win, int64]{kvw("user", 10_000, 20_000, 4)}, sessions(t)(restored.FetchRange(nil, nil))); diff != "" {
		t.Errorf("restored (-want +got):\n%s", diff)
	}
}

// Behind the record cache, reads see the cached writes before they reach the segments, and a
// flush writes the deduplicated result.
func TestCachedSessions(t *testing.T) {
	var segs *segments.Store
	s := buildWith(t, func(e kv.Engine) (kv.Engine, error) {
		segs = e.(*segments.Store)
		return changelog.NewCachedEngine(e, changelog.NewCache(1<<20), nil), nil
	})
	seedEvents(t, s)
	if segs.ObservedStreamTime() != -1<<63 {
		t.Fatalf("the segments were written before a flush (stream time %d)", segs.ObservedStreamTime())
	}
	want := []cursor.KeyValue[win, int64]{kvw("user", 10_000, 20_000, 4)}
	if diff := cmp.Diff(want, sessions(t)(s.Fetch("user"))); diff != "" {
		t.Errorf("Fetch through the cache (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, sessions(t)(s.FindSessionsKeyRange(new("a"), new("user"), 15_000, 15_000))); diff != "" {
		t.Errorf("FindSessionsKeyRange through the cache (-want +got):\n%s", diff)
	}
	if v, ok, err := s.FetchSession("user", 10_000, 20_000); err != nil || !ok || v != 4 {
		t.Errorf("FetchSession through the cache = %d, %v, %v", v, ok, err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if segs.ObservedStreamTime() != 20_000 {
		t.Errorf("after Flush the segments' stream time is %d, want 20000", segs.ObservedStreamTime())
	}
	raw, err := segs.Range(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for raw.Next() {
		keys = append(keys, bytes.Clone(raw.Key()))
	}
	raw.Close()
	if len(keys) != 1 || !bytes.Equal(keys[0], session.ToBinary([]byte("user"), 10_000, 20_000)) {
		t.Errorf("segments after Flush hold %q, want the merged session only", keys)
	}
}

// Reopened segments (a persistent store after a restart) have no stream time until the next
// write; reads still find their sessions, whatever their ends.
func TestReopenedBound(t *testing.T) {
	f := &keepFactory{engines: map[string]kv.Engine{}}
	opts := session.Options{Retention: time.Hour, SegmentInterval: time.Minute}
	segs, err := session.OpenSegments("s", opts, f)
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.New(segs, serde.String, serde.Int64)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []win{{Key: "a", Start: 0, End: 10}, {Key: "a\x00\x00\x00\x00\x00\x00", Start: 1, End: 1}, {Key: "a", Start: 100_000, End: 170_000}} {
		if err := s.Put(w, w.End); err != nil {
			t.Fatal(err)
		}
	}
	// "Reopen": a new segmented store over the same segment engines.
	segs2, err := session.OpenSegments("s", opts, f)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := session.New(segs2, serde.String, serde.Int64)
	if err != nil {
		t.Fatal(err)
	}
	// In composite key order "a\x00…" [1, 1] comes first: its key's zeros sort before the
	// other sessions' end bytes.
	want := []cursor.KeyValue[win, int64]{kvw("a\x00\x00\x00\x00\x00\x00", 1, 1, 1), kvw("a", 0, 10, 10), kvw("a", 100_000, 170_000, 170_000)}
	if diff := cmp.Diff(want, sessions(t)(s2.FetchRange(nil, new("a\x00\x00\x00\x00\x00\x00")))); diff != "" {
		t.Errorf("FetchRange after reopening (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:], sessions(t)(s2.Fetch("a"))); diff != "" {
		t.Errorf("Fetch after reopening (-want +got):\n%s", diff)
	}
}

// keepFactory keeps in-memory segment engines across "reopens" (their Close is a no-op).
type keepFactory struct {
	engines map[string]kv.Engine
}

func (f *keepFactory) Persistent() bool { return true }
func (f *keepFactory) Open(name string) (kv.Engine, error) {
	if e, ok := f.engines[name]; ok {
		return e, nil
	}
	e := kv.NewMemory(name)
	f.engines[name] = e
	return e, nil
}
func (f *keepFactory) Drop(name string) error { delete(f.engines, name); return nil }
func (f *keepFactory) Existing() ([]string, error) {
	var names []string
	for n := range f.engines {
		names = append(names, n)
	}
	return names, nil
}
