package changelog_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/kv/kvtest"
)

// capture is a Sender that keeps copies of what it is sent (Send must not retain the slices).
type capture struct {
	mu   sync.Mutex
	recs []changelog.Record
	fail func(r changelog.Record) error
}

func (c *capture) Send(r changelog.Record) error {
	if c.fail != nil {
		if err := c.fail(r); err != nil {
			return err
		}
	}
	r.Key = bytes.Clone(r.Key)
	if r.Value != nil {
		r.Value = bytes.Clone(r.Value)
	}
	c.mu.Lock()
	c.recs = append(c.recs, r)
	c.mu.Unlock()
	return nil
}

func (c *capture) take() []changelog.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.recs
	c.recs = nil
	return r
}

// rec is a changelog record in a readable form: V is "<nil>" for a tombstone.
type rec struct {
	K, V string
	TS   int64
}

const tombstone = "<nil>"

func simple(t *testing.T, recs []changelog.Record, topic string, partition int32) []rec {
	t.Helper()
	out := []rec{}
	for _, r := range recs {
		if r.Topic != topic || r.Partition != partition {
			t.Errorf("record %q went to %s-%d, want %s-%d", r.Key, r.Topic, r.Partition, topic, partition)
		}
		v := tombstone
		if r.Value != nil {
			v = string(r.Value)
		}
		out = append(out, rec{K: string(r.Key), V: v, TS: r.Timestamp})
	}
	return out
}

func b(s string) []byte { return []byte(s) }

// TestLoggedEngineWriteKinds follows Kafka's ChangeLoggingKeyValueBytesStore (and its test,
// ChangeLoggingKeyValueBytesStoreTest): put logs the value, putIfAbsent logs only when the
// key was absent, delete logs a null whether or not the key existed, putAll logs every
// entry; each record has the timestamp of the record being processed
// (ProcessorContext.logChange) and goes to the task's partition.
func TestLoggedEngineWriteKinds(t *testing.T) {
	var c capture
	ts := int64(100)
	e := changelog.NewLoggedEngine(kv.NewMemory("s"), "app-s-changelog", 3, &c,
		func() changelog.RecordContext { return changelog.RecordContext{Timestamp: ts, Partition: 3} })
	defer e.Close()

	step := func(what string, f func() error, want ...rec) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff := cmp.Diff(append([]rec{}, want...), simple(t, c.take(), "app-s-changelog", 3)); diff != "" {
			t.Errorf("%s: changelog records (-want +got):\n%s", what, diff)
		}
		ts++
	}
	step("Put", func() error { return e.Put(b("a"), b("1")) }, rec{"a", "1", 100})
	step("Put overwrite", func() error { return e.Put(b("a"), b("2")) }, rec{"a", "2", 101})
	// A nil value is an empty value in a kv.Engine (deletes are explicit): logged as an
	// empty value, not as a tombstone.
	step("Put nil value", func() error { return e.Put(b("n"), nil) }, rec{"n", "", 102})
	step("PutIfAbsent absent", func() error {
		_, found, err := e.PutIfAbsent(b("p"), b("x"))
		if found {
			return errors.New("found")
		}
		return err
	}, rec{"p", "x", 103})
	step("PutIfAbsent present", func() error {
		old, found, err := e.PutIfAbsent(b("p"), b("y"))
		if !found || string(old) != "x" {
			return fmt.Errorf("got %q, %v", old, found)
		}
		return err
	})
	step("Delete present", func() error {
		old, found, err := e.Delete(b("a"))
		if !found || string(old) != "2" {
			return fmt.Errorf("got %q, %v", old, found)
		}
		return err
	}, rec{"a", tombstone, 105})
	// Kafka logs a null for every delete, even of an absent key.
	step("Delete absent", func() error {
		_, found, err := e.Delete(b("zz"))
		if found {
			return errors.New("found")
		}
		return err
	}, rec{"zz", tombstone, 106})
	step("Write", func() error {
		return e.Write([]kv.Entry{
			{Key: b("w1"), Value: b("1")},
			{Key: b("p"), Delete: true, Value: b("ignored")},
			{Key: b("w2"), Value: nil},
			{Key: b("w1"), Value: b("3")},
		})
	}, rec{"w1", "1", 107}, rec{"p", tombstone, 107}, rec{"w2", "", 107}, rec{"w1", "3", 107})
	step("PutOwned", func() error { return e.PutOwned(b("o"), []byte("owned")) }, rec{"o", "owned", 108})
	step("Write empty batch", func() error { return e.Write(nil) })

	// Reads, ranges and Flush log nothing.
	step("reads", func() error {
		if v, ok, err := e.Get(b("w1")); err != nil || !ok || string(v) != "3" {
			return fmt.Errorf("Get(w1) = %q, %v, %v", v, ok, err)
		}
		cur, err := e.Range(nil, nil, false)
		if err != nil {
			return err
		}
		n := 0
		for cur.Next() {
			n++
		}
		if err := cur.Close(); err != nil {
			return err
		}
		if n != 4 { // n, o, w1, w2
			return fmt.Errorf("range saw %d keys, want 4", n)
		}
		return e.Flush()
	})
	if e.Name() != "s" || e.Persistent() || !e.IsOpen() || e.Topic() != "app-s-changelog" || e.Partition() != 3 {
		t.Errorf("Name/Persistent/IsOpen/Topic/Partition = %q %v %v %q %d", e.Name(), e.Persistent(), e.IsOpen(), e.Topic(), e.Partition())
	}
}

func TestLoggedEngineNilContext(t *testing.T) {
	var c capture
	e := changelog.NewLoggedEngine(kv.NewMemory("s"), "t", 0, &c, nil)
	if err := e.Put(b("k"), b("v")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rec{{"k", "v", 0}}, simple(t, c.take(), "t", 0)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// replay applies changelog records to a map, as restoration does.
func replay(m map[string]string, recs []changelog.Record) map[string]string {
	for _, r := range recs {
		if r.Value == nil {
			delete(m, string(r.Key))
		} else {
			m[string(r.Key)] = string(r.Value)
		}
	}
	return m
}

func contents(t *testing.T, e kv.Engine) map[string]string {
	t.Helper()
	cur, err := e.Range(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for cur.Next() {
		m[string(cur.Key())] = string(cur.Value())
	}
	if err := cur.Close(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLoggedEngineLRUEvictions: Kafka's ChangeLoggingKeyValueBytesStore registers an
// eviction listener on MemoryLRUCache (setWhenEldestRemoved) that logs each evicted entry
// as a null; the eviction is logged during the put that causes it, so before the put's
// own record.
func TestLoggedEngineLRUEvictions(t *testing.T) {
	var c capture
	lru, err := kv.NewLRU("lru", 2)
	if err != nil {
		t.Fatal(err)
	}
	e := changelog.NewLoggedEngine(lru, "t", 1, &c, func() changelog.RecordContext { return changelog.RecordContext{Timestamp: 7} })
	defer e.Close()
	for _, k := range []string{"a", "b", "c"} {
		if err := e.Put(b(k), b(k+"1")); err != nil {
			t.Fatal(err)
		}
	}
	want := []rec{{"a", "a1", 7}, {"b", "b1", 7}, {"a", tombstone, 7}, {"c", "c1", 7}}
	got := c.take()
	if diff := cmp.Diff(want, simple(t, got, "t", 1)); diff != "" {
		t.Errorf("puts (-want +got):\n%s", diff)
	}
	log := replay(map[string]string{}, got)

	// In a batch each eviction is logged at its place: the final state of the changelog is
	// the LRU's. {b, c} + put d (evicts b), put e (evicts c), put d (a use, no eviction).
	if err := e.Write([]kv.Entry{{Key: b("d"), Value: b("d1")}, {Key: b("e"), Value: b("e1")}, {Key: b("d"), Value: b("d2")}}); err != nil {
		t.Fatal(err)
	}
	got = c.take()
	want = []rec{{"b", tombstone, 7}, {"d", "d1", 7}, {"c", tombstone, 7}, {"e", "e1", 7}, {"d", "d2", 7}}
	if diff := cmp.Diff(want, simple(t, got, "t", 1)); diff != "" {
		t.Errorf("batch (-want +got):\n%s", diff)
	}
	// A key put, evicted and put again within one batch ends present.
	if err := e.Write([]kv.Entry{{Key: b("x"), Value: b("x1")}, {Key: b("y"), Value: b("y1")}, {Key: b("x"), Value: b("x2")}, {Key: b("z"), Value: b("z1")}}); err != nil {
		t.Fatal(err)
	}
	log = replay(replay(log, got), c.take())
	if diff := cmp.Diff(contents(t, lru), log); diff != "" {
		t.Errorf("changelog replay differs from the LRU (-lru +replay):\n%s", diff)
	}

	// PutIfAbsent of a new key evicts too.
	if _, _, err := e.PutIfAbsent(b("q"), b("q1")); err != nil {
		t.Fatal(err)
	}
	if got := simple(t, c.take(), "t", 1); len(got) != 2 || got[0].V != tombstone || got[1] != (rec{"q", "q1", 7}) {
		t.Errorf("PutIfAbsent records = %v, want an eviction then q", got)
	}

	// Evictions caused by writing the inner engine directly (restoration does) are not
	// logged, as Kafka's MemoryLRUCache does not call its listener while restoring.
	if err := lru.Write([]kv.Entry{{Key: b("r1"), Value: b("1")}, {Key: b("r2"), Value: b("2")}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(b("s"), b("s1")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rec{{"r1", tombstone, 7}, {"s", "s1", 7}}, simple(t, c.take(), "t", 1)); diff != "" {
		t.Errorf("after a direct write (-want +got):\n%s", diff)
	}
}

// TestLoggedEngineLRUReplayModel runs random writes over a logged LRU and checks that
// replaying the changelog gives exactly the LRU's contents.
func TestLoggedEngineLRUReplayModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(kvtest.Seed(t, 1), 2))
	var c capture
	lru, err := kv.NewLRU("lru", 8)
	if err != nil {
		t.Fatal(err)
	}
	e := changelog.NewLoggedEngine(lru, "t", 0, &c, nil)
	defer e.Close()
	key := func() []byte { return []byte{byte('a' + rng.IntN(20))} }
	for i := range 2000 {
		var err error
		switch rng.IntN(6) {
		case 0, 1:
			err = e.Put(key(), fmt.Appendf(nil, "%d", i))
		case 2:
			_, _, err = e.PutIfAbsent(key(), fmt.Appendf(nil, "%d", i))
		case 3:
			_, _, err = e.Delete(key())
		case 4:
			_, _, err = e.Get(key())
		case 5:
			batch := make([]kv.Entry, rng.IntN(12))
			for j := range batch {
				batch[j] = kv.Entry{Key: key(), Value: fmt.Appendf(nil, "%d.%d", i, j), Delete: rng.IntN(4) == 0}
			}
			err = e.Write(batch)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(contents(t, lru), replay(map[string]string{}, c.take())); diff != "" {
		t.Errorf("changelog replay differs from the LRU (-lru +replay):\n%s", diff)
	}
}

// TestLoggedEngineConcurrentWriters: writes are serialized with their records, so the
// changelog's order for a key is the order in which the engine applied the writes.
func TestLoggedEngineConcurrentWriters(t *testing.T) {
	var c capture
	inner := kv.NewMemory("s")
	e := changelog.NewLoggedEngine(inner, "t", 0, &c, nil)
	defer e.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				k := []byte{byte('a' + i%5)}
				switch i % 3 {
				case 0:
					_ = e.Put(k, fmt.Appendf(nil, "%d-%d", g, i))
				case 1:
					_, _, _ = e.Delete(k)
				case 2:
					_ = e.Write([]kv.Entry{{Key: k, Value: fmt.Appendf(nil, "w%d-%d", g, i)}})
				}
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff(contents(t, inner), replay(map[string]string{}, c.take())); diff != "" {
		t.Errorf("changelog replay differs from the store (-store +replay):\n%s", diff)
	}
}

var errBroker = errors.New("broker says no")

func TestLoggedEngineSendFailure(t *testing.T) {
	c := capture{fail: func(changelog.Record) error { return errBroker }}
	e := changelog.NewLoggedEngine(kv.NewMemory("failing"), "app-failing-changelog", 2, &c, nil)
	defer e.Close()
	if err := e.Flush(); err != nil {
		t.Fatalf("Flush before any failure: %v", err)
	}
	err := e.Put(b("k"), b("v"))
	var se *store.Error
	if !errors.Is(err, errBroker) || !errors.As(err, &se) || se.Store != "failing" || se.Op != "put" {
		t.Fatalf("Put error = %v; want a *store.Error of store failing, op put, wrapping the send error", err)
	}
	// The inner engine was written: the store and its changelog now disagree, which Flush
	// keeps reporting, so that no commit checkpoints the store.
	if v, ok, _ := e.Get(b("k")); !ok || string(v) != "v" {
		t.Errorf("Get(k) = %q, %v", v, ok)
	}
	for _, f := range []func() error{
		func() error { _, _, err := e.Delete(b("k")); return err },
		func() error { _, _, err := e.PutIfAbsent(b("new"), b("v")); return err },
		func() error { return e.Write([]kv.Entry{{Key: b("w")}}) },
	} {
		if err := f(); !errors.Is(err, errBroker) {
			t.Errorf("write error = %v, want the send error", err)
		}
	}
	c.fail = nil
	if err := e.Put(b("k2"), b("v")); err != nil {
		t.Errorf("Put after the sender recovered: %v", err)
	}
	if err := e.Flush(); !errors.Is(err, errBroker) || !errors.As(err, &se) || se.Store != "failing" {
		t.Errorf("Flush after a failure = %v, want the first send error", err)
	}
}

// TestLoggedEngineEvictionSendFailure: a failed send of an eviction's tombstone fails the
// write that caused the eviction and is kept for Flush.
func TestLoggedEngineEvictionSendFailure(t *testing.T) {
	c := capture{fail: func(r changelog.Record) error {
		if r.Value == nil {
			return errBroker
		}
		return nil
	}}
	lru, err := kv.NewLRU("lru", 1)
	if err != nil {
		t.Fatal(err)
	}
	e := changelog.NewLoggedEngine(lru, "t", 0, &c, nil)
	defer e.Close()
	if err := e.Put(b("a"), b("1")); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(b("b"), b("2")); !errors.Is(err, errBroker) {
		t.Fatalf("Put that evicts = %v, want the send error", err)
	}
	c.fail = nil
	if err := e.Flush(); !errors.Is(err, errBroker) {
		t.Errorf("Flush = %v, want the eviction's send error", err)
	}
}

func TestLoggedEngineInnerErrors(t *testing.T) {
	var c capture
	inner := kv.NewMemory("s")
	e := changelog.NewLoggedEngine(inner, "t", 0, &c, nil)
	if e.Inner() != kv.Engine(inner) {
		t.Error("Inner() is not the inner engine")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(b("k"), b("v")); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Put after Close = %v", err)
	}
	if _, _, err := e.Delete(b("k")); !errors.Is(err, store.ErrStoreClosed) {
		t.Errorf("Delete after Close = %v", err)
	}
	if recs := c.take(); len(recs) != 0 {
		t.Errorf("failed writes were logged: %v", recs)
	}
}

// TestLoggedEngineContract runs the engine contract suite over logged engines: the logging
// layer changes nothing a reader sees.
func TestLoggedEngineContract(t *testing.T) {
	discard := changelog.SenderFunc(func(changelog.Record) error { return nil })
	t.Run("Memory", func(t *testing.T) {
		kvtest.RunEngine(t, func(t *testing.T) kv.Engine {
			return changelog.NewLoggedEngine(kv.NewMemory("logged-memory"), "t", 0, discard, nil)
		})
	})
	t.Run("LRU", func(t *testing.T) {
		kvtest.RunEngine(t, func(t *testing.T) kv.Engine {
			lru, err := kv.NewLRU("logged-lru", 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			return changelog.NewLoggedEngine(lru, "t", 0, discard, nil)
		})
	})
}

func BenchmarkLoggedPut(b *testing.B) {
	discard := changelog.SenderFunc(func(changelog.Record) error { return nil })
	e := changelog.NewLoggedEngine(kv.NewMemory("s"), "t", 0, discard, func() changelog.RecordContext { return changelog.RecordContext{Timestamp: 1} })
	key, value := []byte("key-000"), []byte("value")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key[6] = byte('0' + i%10)
		if err := e.Put(key, value); err != nil {
			b.Fatal(err)
		}
	}
}
