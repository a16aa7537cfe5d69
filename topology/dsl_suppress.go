package topology

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tidwall/btree"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
)

// This file holds KTable.Suppress (Kafka Streams' KTable.suppress with Suppressed,
// BufferConfig, KTableSuppressProcessorSupplier and InMemoryTimeOrderedKeyValueChangeBuffer).
//
// The buffer is a logged in-memory key-value store (so that it is restored after a restart,
// as Kafka's buffer is restored from its changelog) beside an in-memory index ordered by
// buffer time. The changelog's format is Tributary's own.

// BufferFullStrategy says what a bounded suppression buffer does when it is full (Kafka's
// BufferFullStrategy).
type BufferFullStrategy int

const (
	// EmitEarlyWhenFull forwards the oldest buffered updates until the buffer is within its
	// bounds again (Kafka's BufferConfig.emitEarlyWhenFull, the default of a bounded
	// buffer): results may not be final.
	EmitEarlyWhenFull BufferFullStrategy = iota
	// ShutDownWhenFull fails the task with an error naming the node and the bounds (Kafka's
	// shutDownWhenFull): results stay final.
	ShutDownWhenFull
)

// BufferConfig bounds a suppression buffer (Kafka's Suppressed.BufferConfig). The zero value
// is an unbounded buffer (Kafka's BufferConfig.unbounded()), logged to a changelog.
type BufferConfig struct {
	// MaxRecords and MaxBytes bound the buffer; 0 means no bound (Kafka's Long.MAX_VALUE).
	// Bytes are counted as Kafka's buffer counts them: per key, its serialized key, value
	// parts and record context, plus 8 (InMemoryTimeOrderedKeyValueChangeBuffer).
	MaxRecords int64
	MaxBytes   int64
	// WhenFull is what happens past a bound; default EmitEarlyWhenFull.
	WhenFull BufferFullStrategy
	// LoggingDisabled turns the buffer's changelog off (Kafka's withLoggingDisabled);
	// LogConfig adds topic configs to it.
	LoggingDisabled bool
	LogConfig       map[string]string
}

// Unbounded returns an unbounded buffer (Kafka's BufferConfig.unbounded()).
func Unbounded() BufferConfig { return BufferConfig{WhenFull: ShutDownWhenFull} }

// MaxRecords returns a buffer bounded to n records that emits early when full (Kafka's
// BufferConfig.maxRecords).
func MaxRecords(n int64) BufferConfig { return BufferConfig{MaxRecords: n} }

// MaxBytes returns a buffer bounded to n bytes that emits early when full (Kafka's
// BufferConfig.maxBytes).
func MaxBytes(n int64) BufferConfig { return BufferConfig{MaxBytes: n} }

// ShutDownWhenFull returns b failing when full (Kafka's shutDownWhenFull).
func (b BufferConfig) ShutDownWhenFull() BufferConfig { b.WhenFull = ShutDownWhenFull; return b }

// EmitEarlyWhenFull returns b emitting early when full (Kafka's emitEarlyWhenFull).
func (b BufferConfig) EmitEarlyWhenFull() BufferConfig { b.WhenFull = EmitEarlyWhenFull; return b }

// WithMaxRecords returns b also bounded to n records (Kafka's withMaxRecords).
func (b BufferConfig) WithMaxRecords(n int64) BufferConfig { b.MaxRecords = n; return b }

// WithMaxBytes returns b also bounded to n bytes (Kafka's withMaxBytes).
func (b BufferConfig) WithMaxBytes(n int64) BufferConfig { b.MaxBytes = n; return b }

// Suppressed configures KTable.Suppress (Kafka's Suppressed): build it with
// UntilWindowCloses or UntilTimeLimit, and name it with WithName.
type Suppressed struct {
	untilWindowCloses bool
	timeLimit         time.Duration
	buffer            BufferConfig
	name              string
}

// UntilWindowCloses suppresses the updates of a windowed table until each window closes
// (its end plus the grace period is at or before stream time), then forwards the window's
// final result once (Kafka's Suppressed.untilWindowCloses). Tombstones of windows that
// closed are dropped. Kafka takes only a buffer that shuts down when full; Tributary takes
// either, an emit-early buffer giving up on "final".
func UntilWindowCloses(b BufferConfig) Suppressed {
	return Suppressed{untilWindowCloses: true, buffer: b}
}

// UntilTimeLimit holds each key's updates until d has passed in stream time since the first
// one buffered, then forwards the latest (Kafka's Suppressed.untilTimeLimit). A key updated
// again while buffered keeps its place: the limit runs from its first buffered update.
func UntilTimeLimit(d time.Duration, b BufferConfig) Suppressed {
	return Suppressed{timeLimit: d, buffer: b}
}

// WithName names the suppression node, and its buffer "<name>-store" (Kafka's withName).
func (s Suppressed) WithName(name string) Suppressed { s.name = name; return s }

// The name prefix of Kafka's KTableImpl.suppress.
const suppressPrefix = "KTABLE-SUPPRESS-"

// tableWindow says a table's keys are windows: the grace period that closes them (for
// sessions, gap plus grace: Kafka's GraphGraceSearchUtil) and how to read a key's window
// end. Operations that keep the key pass it on.
type tableWindow[K any] struct {
	graceMs int64
	end     func(K) int64
}

// Suppress returns the table of the updates that pass the suppression (Kafka's
// KTable.suppress): node KTABLE-SUPPRESS-%010d then its buffer store
// KTABLE-SUPPRESS-STATE-STORE-%010d (or s's name and "<name>-store"), an in-memory store
// logged to "<application.id>-<store>-changelog" unless the buffer disables logging. The
// table's key and value serdes are needed to buffer updates. UntilWindowCloses needs a
// windowed table (an aggregation of WindowedBy…, or a table derived from one with the same
// keys); Kafka also finds the windows through stream operations, Tributary only through
// table operations.
func (t *KTable[K, V]) Suppress(s Suppressed) *KTable[K, V] {
	name := s.name
	if name == "" {
		name = t.sb.newName(suppressPrefix)
	}
	storeName := s.name + "-store"
	if s.name == "" {
		storeName = t.sb.newName(suppressPrefix + storeSuffix)
	}
	out := &KTable[K, V]{sb: t.sb, name: name, keys: t.keys, values: t.values, st: &tableState{}, win: t.win}
	p := &suppressProc[K, V]{storeName: storeName, keys: t.keys, values: t.values, node: name,
		maxRecords: s.buffer.MaxRecords, maxBytes: s.buffer.MaxBytes, whenFull: s.buffer.WhenFull}
	if p.maxRecords <= 0 {
		p.maxRecords = math.MaxInt64
	}
	if p.maxBytes <= 0 {
		p.maxBytes = math.MaxInt64
	}
	switch {
	case s.untilWindowCloses && t.win == nil:
		t.sb.b.fail("Suppress %q: UntilWindowCloses needs a windowed table, and %q is not one (Kafka: window close time is only defined for windowed computations)", name, t.name)
		return out
	case s.untilWindowCloses:
		p.durationMs, p.windowEnd, p.dropTombstones = t.win.graceMs, t.win.end, true
	case s.timeLimit < 0:
		t.sb.b.fail("Suppress %q: negative time limit %v", name, s.timeLimit)
		return out
	default:
		p.durationMs = s.timeLimit.Milliseconds()
	}
	if t.keys == nil || t.values == nil {
		t.sb.b.fail("Suppress %q: the table %q has no key or value serde to buffer its updates with", name, t.name)
		return out
	}
	// The buffer needs old values (Kafka's KTableSuppressProcessorSupplier: "to support the
	// prior value view").
	t.enableSendingOldValues(true)
	out.st.enable = t.enableSendingOldValues
	sbld := kv.NewBuilder(kv.InMemorySupplier(storeName), serde.Bytes, serde.Bytes)
	if s.buffer.LoggingDisabled {
		sbld.WithLoggingDisabled()
	} else {
		sbld.WithLoggingEnabled(s.buffer.LogConfig)
	}
	AddProcessor(t.sb.b, name, func() processor.Processor[K, Change[V], K, Change[V]] {
		c := *p
		return &c
	}, t.name)
	t.sb.b.AddStateStore(sbld, name)
	return out
}

// bufKey orders the buffer: by buffer time, then by serialized key (Kafka's BufferKey).
type bufKey struct {
	time int64
	key  string
}

func bufKeyLess(a, b bufKey) bool {
	if a.time != b.time {
		return a.time < b.time
	}
	return a.key < b.key
}

// suppressProc is Kafka's KTableSuppressProcessor over a time-ordered buffer.
type suppressProc[K, V any] struct {
	ctx            processor.Context[K, Change[V]]
	node           string
	storeName      string
	keys           serde.Serde[K]
	values         serde.Serde[V]
	durationMs     int64
	windowEnd      func(K) int64 // nil: buffer time is the record's timestamp
	dropTombstones bool
	maxRecords     int64
	maxBytes       int64
	whenFull       BufferFullStrategy

	engine   kv.Engine
	index    *btree.BTreeG[bufKey]
	times    map[string]int64 // serialized key → its buffer time
	size     int64
	observed int64
}

func (p *suppressProc[K, V]) Init(ctx processor.Context[K, Change[V]]) error {
	p.ctx = ctx
	p.observed = -1
	st, err := processor.KeyValueStore[[]byte, []byte](ctx, p.storeName)
	if err != nil {
		return err
	}
	p.engine = st.Engine()
	p.index = btree.NewBTreeGOptions(bufKeyLess, btree.Options{NoLocks: true})
	p.times = map[string]int64{}
	// Rebuild the index from the store (restored from its changelog after a restart).
	c, err := p.engine.Range(nil, nil, false)
	if err != nil {
		return err
	}
	defer c.Close()
	for c.Next() {
		e, err := decodeBuffered(c.Value())
		if err != nil {
			return p.corrupt(c.Key(), err)
		}
		k := string(c.Key())
		p.index.Set(bufKey{e.time, k})
		p.times[k] = e.time
		p.size += e.size(len(k))
	}
	return c.Err()
}

func (p *suppressProc[K, V]) Close() error { return nil }

func (p *suppressProc[K, V]) corrupt(key []byte, err error) error {
	return fmt.Errorf("suppression buffer %q of node %q: entry for key %x: %w", p.storeName, p.node, key, err)
}

func (p *suppressProc[K, V]) Process(r processor.Record[K, Change[V]]) error {
	if !r.HasKey() {
		if d, ok := p.ctx.(droppedRecorder); ok {
			d.RecordDropped()
		}
		return nil
	}
	p.observed = max(p.observed, r.Timestamp())
	if err := p.buffer(r); err != nil {
		return err
	}
	return p.enforce()
}

// buffer puts the update in the buffer: a key already buffered keeps its place and its
// prior value (Kafka's non-resetting cleanPut).
func (p *suppressProc[K, V]) buffer(r processor.Record[K, Change[V]]) error {
	kb, err := p.keys.Serialize(p.storeName, r.Key())
	if err != nil {
		return err
	}
	c := r.Value()
	e := buffered{time: r.Timestamp(), timestamp: r.Timestamp(), headers: r.Headers()}
	if p.windowEnd != nil {
		e.time = p.windowEnd(r.Key())
	}
	if md, ok := p.ctx.RecordMetadata(); ok {
		e.topic = md.Topic
	}
	if c.HasNew {
		if e.newV, err = p.values.Serialize(p.storeName, c.New); err != nil {
			return err
		}
		e.newV = nonNil(e.newV)
	}
	if c.HasOld {
		if e.oldV, err = p.values.Serialize(p.storeName, c.Old); err != nil {
			return err
		}
		e.oldV = nonNil(e.oldV)
	}
	k := string(kb)
	if t, ok := p.times[k]; ok {
		prev, found, err := p.engine.Get(kb)
		if err != nil {
			return err
		}
		if !found {
			return p.corrupt(kb, errors.New("indexed but not stored"))
		}
		old, err := decodeBuffered(prev)
		if err != nil {
			return p.corrupt(kb, err)
		}
		e.time, e.prior, e.priorIsOld = t, old.prior, false
		p.size -= old.size(len(k))
	} else {
		e.prior, e.priorIsOld = e.oldV, true
		p.index.Set(bufKey{e.time, k})
		p.times[k] = e.time
	}
	p.size += e.size(len(k))
	return p.engine.Put(kb, e.encode())
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// enforce emits what has waited long enough, then what exceeds the bounds (Kafka's
// enforceConstraints).
func (p *suppressProc[K, V]) enforce() error {
	expiry := p.observed - p.durationMs
	for {
		min, ok := p.index.Min()
		if !ok || min.time > expiry {
			break
		}
		if err := p.evict(min); err != nil {
			return err
		}
	}
	if !p.over() {
		return nil
	}
	if p.whenFull == ShutDownWhenFull {
		return fmt.Errorf("suppression buffer of node %q (store %q) exceeded its max capacity: currently [%d/%d] records and [%d/%d] bytes",
			p.node, p.storeName, p.index.Len(), p.maxRecords, p.size, p.maxBytes)
	}
	for p.over() {
		min, ok := p.index.Min()
		if !ok {
			break
		}
		if err := p.evict(min); err != nil {
			return err
		}
	}
	return nil
}

func (p *suppressProc[K, V]) over() bool {
	return int64(p.index.Len()) > p.maxRecords || p.size > p.maxBytes
}

// evict removes the entry at bk and forwards it with its own timestamp and headers, unless
// it is a tombstone that is safe to drop.
func (p *suppressProc[K, V]) evict(bk bufKey) error {
	kb := []byte(bk.key)
	raw, found, err := p.engine.Delete(kb)
	if err != nil {
		return err
	}
	p.index.Delete(bk)
	delete(p.times, bk.key)
	if !found {
		return p.corrupt(kb, errors.New("indexed but not stored"))
	}
	e, err := decodeBuffered(raw)
	if err != nil {
		return p.corrupt(kb, err)
	}
	p.size -= e.size(len(kb))
	if e.newV == nil && p.dropTombstones {
		return nil
	}
	k, err := p.keys.Deserialize(p.storeName, kb)
	if err != nil {
		return err
	}
	var c Change[V]
	if e.newV != nil {
		if c.New, err = p.values.Deserialize(p.storeName, e.newV); err != nil {
			return err
		}
		c.HasNew = true
	}
	if e.oldV != nil {
		if c.Old, err = p.values.Deserialize(p.storeName, e.oldV); err != nil {
			return err
		}
		c.HasOld = true
	}
	return p.ctx.Forward(processor.MakeRecord(k, true, c, true, e.timestamp, e.headers))
}

// buffered is one buffered update: its buffer time, the record context it came with, and
// the key's value before it was first buffered (prior), the old and the new value (nil:
// absent).
type buffered struct {
	time       int64
	timestamp  int64
	topic      string
	headers    processor.Headers
	prior      []byte
	priorIsOld bool // prior is the old value itself (Kafka compares the arrays by identity)
	oldV       []byte
	newV       []byte
}

// size is Kafka's computeRecordSize: 8 for the buffer time, the key, the value parts (the
// old value counted only when it is not the prior one) and the record context's estimate
// (timestamp, offset, partition, topic, headers).
func (e *buffered) size(keyLen int) int64 {
	n := int64(8 + keyLen + len(e.prior) + len(e.newV))
	if !e.priorIsOld {
		n += int64(len(e.oldV))
	}
	n += 8 + 8 + 4 + int64(len(e.topic))
	for _, h := range e.headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}

// encode lays the entry out as: time, timestamp (8 bytes each), flags (1: prior is the old
// value), topic, header count and headers, prior, old, new — strings and byte slices with a
// 4-byte length, -1 for an absent slice.
func (e *buffered) encode() []byte {
	b := make([]byte, 0, 64+len(e.topic)+len(e.prior)+len(e.oldV)+len(e.newV))
	b = binary.BigEndian.AppendUint64(b, uint64(e.time))
	b = binary.BigEndian.AppendUint64(b, uint64(e.timestamp))
	var flags byte
	if e.priorIsOld {
		flags = 1
	}
	b = append(b, flags)
	b = appendBytes(b, []byte(e.topic))
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.headers)))
	for _, h := range e.headers {
		b = appendBytes(b, []byte(h.Key))
		b = appendBytes(b, h.Value)
	}
	if !e.priorIsOld {
		b = appendBytes(b, e.prior)
	}
	b = appendBytes(b, e.oldV)
	return appendBytes(b, e.newV)
}

func appendBytes(b, v []byte) []byte {
	if v == nil {
		return binary.BigEndian.AppendUint32(b, math.MaxUint32)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

var errBufferTruncated = errors.New("truncated entry")

func decodeBuffered(b []byte) (buffered, error) {
	var e buffered
	if len(b) < 17 {
		return e, errBufferTruncated
	}
	e.time = int64(binary.BigEndian.Uint64(b))
	e.timestamp = int64(binary.BigEndian.Uint64(b[8:]))
	e.priorIsOld = b[16]&1 != 0
	b = b[17:]
	var topic []byte
	var err error
	if topic, b, err = readBytes(b); err != nil {
		return e, err
	}
	e.topic = string(topic)
	if len(b) < 4 {
		return e, errBufferTruncated
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b))/8 {
		return e, fmt.Errorf("%d headers in %d bytes", n, len(b))
	}
	for range n {
		var k, v []byte
		if k, b, err = readBytes(b); err != nil {
			return e, err
		}
		if v, b, err = readBytes(b); err != nil {
			return e, err
		}
		e.headers = append(e.headers, processor.Header{Key: string(k), Value: v})
	}
	if !e.priorIsOld {
		if e.prior, b, err = readBytes(b); err != nil {
			return e, err
		}
	}
	if e.oldV, b, err = readBytes(b); err != nil {
		return e, err
	}
	if e.priorIsOld {
		e.prior = e.oldV
	}
	if e.newV, b, err = readBytes(b); err != nil {
		return e, err
	}
	if len(b) != 0 {
		return e, fmt.Errorf("%d trailing bytes", len(b))
	}
	return e, nil
}

func readBytes(b []byte) (v, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, errBufferTruncated
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if n == math.MaxUint32 {
		return nil, b, nil
	}
	if uint64(n) > uint64(len(b)) {
		return nil, nil, errBufferTruncated
	}
	return b[:n:n], b[n:], nil
}
