package changelog

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
)

// LoggedEngine is a kv.Engine that appends every write to the changelog partition of its
// task (Kafka Streams' ChangeLoggingKeyValueBytesStore): each write is applied to the inner
// engine first, then sent as one [Record] per put or delete through the [Sender], to the
// explicit partition given to [NewLoggedEngine], with the timestamp of the record being
// processed. Reads, ranges, Flush and Close go to the inner engine unchanged.
//
// What is logged, as Kafka does:
//   - Put: the value. A nil value is a present, empty value in a kv.Engine (deletes are
//     explicit), so it is logged as an empty, non-nil value, never as a tombstone.
//   - PutIfAbsent: the value, only when the key was absent (and so written).
//   - Delete: a tombstone, whether or not the key existed.
//   - Write: one record per entry, in order (a tombstone for each delete).
//   - An eviction by an engine that evicts on its own (a kv.EvictionNotifier: the LRU
//     engine): a tombstone, logged before the record of the write that caused it. Only
//     evictions caused by writes through the LoggedEngine are logged; those caused by
//     writing the inner engine directly (restoration does) are not, as Kafka's
//     MemoryLRUCache does not log while restoring.
//
// Writes are serialized, so the changelog's order is the order in which they were applied.
// Over an engine that evicts, Write applies its entries one at a time (as Kafka's
// MemoryLRUCache.putAll puts them one at a time), so that each eviction is logged at its
// place among the batch's records; over other engines it is one inner Write.
//
// A failed Send fails the write that caused it with a *store.Error naming the store; the
// inner engine has then been written but the changelog misses the record, which Kafka treats
// as fatal for the task. The LoggedEngine remembers the first such failure and every later
// Flush returns it, so that a commit cannot checkpoint a store whose changelog is
// incomplete: close the engine, wipe it and restore it.
type LoggedEngine struct {
	inner     kv.Engine
	topic     string
	partition int32
	sender    Sender
	ctx       ContextFunc
	evicts    bool // inner is a kv.EvictionNotifier

	// mu serializes writes: the inner write and the sends of its records.
	mu sync.Mutex
	// failed is the first Send failure (guarded by mu).
	failed error

	// logging is set while a write through the LoggedEngine runs on the inner engine:
	// evictions are recorded only then.
	logging atomic.Bool
	// evMu guards evKeys and evEnds, the keys evicted by the current write: the eviction
	// listener (which runs with the inner engine's lock held) appends them, the write takes
	// them once the inner write returns.
	evMu   sync.Mutex
	evKeys []byte // the evicted keys, back to back
	evEnds []int  // the end of each key in evKeys
	// spareKeys and spareEnds are the buffers swapped in while the taken ones are sent
	// (guarded by mu).
	spareKeys []byte
	spareEnds []int
}

var (
	_ kv.Engine            = (*LoggedEngine)(nil)
	_ kv.OwningPutter      = (*LoggedEngine)(nil)
	_ kv.OpenCursorCounter = (*LoggedEngine)(nil)
)

// NewLoggedEngine returns inner logged to partition of the changelog topic through sender.
// ctx gives the timestamp of the changelog records (the timestamp of the record being
// processed, as Kafka's ProcessorContext.logChange); a nil ctx means timestamp 0. If inner
// is a kv.EvictionNotifier, NewLoggedEngine registers its eviction listener (replacing any
// other). The LoggedEngine owns inner: write it only through the LoggedEngine while it is
// in use.
func NewLoggedEngine(inner kv.Engine, topic string, partition int32, sender Sender, ctx ContextFunc) *LoggedEngine {
	l := &LoggedEngine{inner: inner, topic: topic, partition: partition, sender: sender, ctx: ctx}
	if n, ok := inner.(kv.EvictionNotifier); ok {
		l.evicts = true
		n.SetEvictionListener(l.evicted)
	}
	return l
}

// Inner returns the engine under the logging layer (the one to restore into).
func (l *LoggedEngine) Inner() kv.Engine { return l.inner }

// Unwrap returns the engine under the logging layer (kv.Wrapper).
func (l *LoggedEngine) Unwrap() kv.Engine { return l.inner }

// Topic returns the changelog topic.
func (l *LoggedEngine) Topic() string { return l.topic }

// Partition returns the changelog partition.
func (l *LoggedEngine) Partition() int32 { return l.partition }

// evicted is the inner engine's eviction listener. It runs with the inner engine's lock
// held, so it only copies the key; the tombstone is sent once the write returns.
func (l *LoggedEngine) evicted(key, _ []byte) {
	if !l.logging.Load() {
		return
	}
	l.evMu.Lock()
	l.evKeys = append(l.evKeys, key...)
	l.evEnds = append(l.evEnds, len(l.evKeys))
	l.evMu.Unlock()
}

// timestamp returns the timestamp of the record being processed.
func (l *LoggedEngine) timestamp() int64 {
	if l.ctx == nil {
		return 0
	}
	return l.ctx().Timestamp
}

// empty is the value logged for a put of a nil value: present and empty, not a tombstone.
var empty = []byte{}

// send sends one changelog record; the caller holds mu.
func (l *LoggedEngine) send(op string, key, value []byte, ts int64) error {
	err := l.sender.Send(Record{Topic: l.topic, Partition: l.partition, Key: key, Value: value, Timestamp: ts})
	if err == nil {
		return nil
	}
	err = &store.Error{Store: l.inner.Name(), Op: op,
		Err: fmt.Errorf("logging to changelog %s partition %d: %w", l.topic, l.partition, err)}
	if l.failed == nil {
		l.failed = err
	}
	return err
}

// sendEvictions sends a tombstone for each key evicted by the last inner write; the caller
// holds mu.
func (l *LoggedEngine) sendEvictions(op string, ts int64) error {
	if !l.evicts {
		return nil
	}
	l.evMu.Lock()
	keys, ends := l.evKeys, l.evEnds
	if len(ends) == 0 {
		l.evMu.Unlock()
		return nil
	}
	// Send outside evMu, from buffers the listener no longer appends to.
	l.evKeys, l.evEnds = l.spareKeys[:0], l.spareEnds[:0]
	l.evMu.Unlock()
	var err error
	start := 0
	for _, end := range ends {
		if err = l.send(op, keys[start:end:end], nil, ts); err != nil {
			break
		}
		start = end
	}
	l.spareKeys, l.spareEnds = keys[:0], ends[:0]
	return err
}

// begin and end bracket an inner write, during which evictions are recorded.
func (l *LoggedEngine) begin() {
	if l.evicts {
		l.logging.Store(true)
	}
}

func (l *LoggedEngine) end() {
	if l.evicts {
		l.logging.Store(false)
	}
}

// logged sends the evictions of the last inner write, then the write's own record.
func (l *LoggedEngine) logged(op string, key, value []byte, ts int64) error {
	if err := l.sendEvictions(op, ts); err != nil {
		return err
	}
	return l.send(op, key, value, ts)
}

// Name returns the inner engine's name.
func (l *LoggedEngine) Name() string { return l.inner.Name() }

// Persistent reports whether the inner engine is persistent.
func (l *LoggedEngine) Persistent() bool { return l.inner.Persistent() }

// IsOpen reports whether the inner engine is open.
func (l *LoggedEngine) IsOpen() bool { return l.inner.IsOpen() }

// OpenCursors returns the inner engine's number of open cursors, or 0 if it does not count
// them (see kv.OpenCursorCounter).
func (l *LoggedEngine) OpenCursors() int {
	if c, ok := l.inner.(kv.OpenCursorCounter); ok {
		return c.OpenCursors()
	}
	return 0
}

// Get returns the inner engine's value of key.
func (l *LoggedEngine) Get(key []byte) ([]byte, bool, error) { return l.inner.Get(key) }

// Put writes value at key and logs it.
func (l *LoggedEngine) Put(key, value []byte) error {
	return l.put(key, value, false)
}

// PutOwned is Put for a value the caller gives up (see kv.OwningPutter): the inner engine
// keeps it if it is an OwningPutter, and copies it otherwise.
func (l *LoggedEngine) PutOwned(key, value []byte) error {
	return l.put(key, value, true)
}

func (l *LoggedEngine) put(key, value []byte, owned bool) error {
	ts := l.timestamp()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.begin()
	var err error
	if op, ok := l.inner.(kv.OwningPutter); ok && owned {
		// value stays valid to send: the engine keeps it unchanged and only the writes
		// that mu serializes could replace it.
		err = op.PutOwned(key, value)
	} else {
		err = l.inner.Put(key, value)
	}
	l.end()
	if err != nil {
		_ = l.sendEvictions("put", ts) // a failure is kept for Flush; err tells more
		return err
	}
	if value == nil {
		value = empty
	}
	return l.logged("put", key, value, ts)
}

// PutIfAbsent writes value at key if key is absent, and then logs it; if key exists it
// returns the existing value and logs nothing.
func (l *LoggedEngine) PutIfAbsent(key, value []byte) ([]byte, bool, error) {
	ts := l.timestamp()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.begin()
	existing, found, err := l.inner.PutIfAbsent(key, value)
	l.end()
	if err != nil {
		_ = l.sendEvictions("put-if-absent", ts) // a failure is kept for Flush; err tells more
		return nil, false, err
	}
	if found {
		return existing, true, l.sendEvictions("put-if-absent", ts)
	}
	if value == nil {
		value = empty
	}
	return nil, false, l.logged("put-if-absent", key, value, ts)
}

// Delete removes key, returns its old value and logs a tombstone, even if key was absent.
func (l *LoggedEngine) Delete(key []byte) ([]byte, bool, error) {
	ts := l.timestamp()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.begin()
	old, found, err := l.inner.Delete(key)
	l.end()
	if err != nil {
		_ = l.sendEvictions("delete", ts) // a failure is kept for Flush; err tells more
		return old, found, err
	}
	return old, found, l.logged("delete", key, nil, ts)
}

// Write applies batch and logs one record per entry, in order. See [LoggedEngine] for how
// it applies a batch to an engine that evicts.
func (l *LoggedEngine) Write(batch []kv.Entry) error {
	ts := l.timestamp()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.evicts {
		if err := l.inner.Write(batch); err != nil {
			return err
		}
		for i := range batch {
			if err := l.send("write", batch[i].Key, entryValue(&batch[i]), ts); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range batch {
		l.begin()
		err := l.inner.Write(batch[i : i+1])
		l.end()
		if err != nil {
			_ = l.sendEvictions("write", ts) // a failure is kept for Flush; err tells more
			return err
		}
		if err := l.logged("write", batch[i].Key, entryValue(&batch[i]), ts); err != nil {
			return err
		}
	}
	return nil
}

// entryValue returns the value to log for e: nil for a delete, never nil for a put.
func entryValue(e *kv.Entry) []byte {
	switch {
	case e.Delete:
		return nil
	case e.Value == nil:
		return empty
	default:
		return e.Value
	}
}

// Range returns the inner engine's cursor.
func (l *LoggedEngine) Range(from, to []byte, reverse bool) (kv.Bytes, error) {
	return l.inner.Range(from, to, reverse)
}

// PrefixScan returns the inner engine's cursor.
func (l *LoggedEngine) PrefixScan(prefix []byte) (kv.Bytes, error) {
	return l.inner.PrefixScan(prefix)
}

// ApproximateNumEntries returns the inner engine's estimate.
func (l *LoggedEngine) ApproximateNumEntries() (int64, error) {
	return l.inner.ApproximateNumEntries()
}

// Flush flushes the inner engine. It returns the first changelog send failure, if there
// was one, even when the inner flush succeeds.
func (l *LoggedEngine) Flush() error {
	err := l.inner.Flush()
	l.mu.Lock()
	failed := l.failed
	l.mu.Unlock()
	if err == nil && failed != nil {
		err = &store.Error{Store: l.inner.Name(), Op: "flush",
			Err: fmt.Errorf("an earlier changelog write failed: %w", failed)}
	}
	return err
}

// Close closes the inner engine.
func (l *LoggedEngine) Close() error { return l.inner.Close() }
