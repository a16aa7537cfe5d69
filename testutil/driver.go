// Package testutil tests topologies without a broker: the TopologyTestDriver (Kafka Streams'
// test-utils) runs a topology's tasks synchronously on the same engine as the Kafka runtime,
// with typed input and output topics, a mock wall clock, store access, and go-cmp based
// assertions.
package testutil

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/topology"
)

// ErrClosed is returned by a driver, or one of its topics, used after Close.
var ErrClosed = errors.New("testutil: TopologyTestDriver is closed")

// ErrNoRecord is returned when reading an output topic that has no record left (Kafka's
// NoSuchElementException "Empty topic").
var ErrNoRecord = errors.New("testutil: no record in output topic")

// Option configures a TopologyTestDriver.
type Option func(*options) error

type options struct {
	appID    string
	start    time.Time
	stateDir string
	onDeser  processor.DeserializationHandler
	onProc   processor.ProcessingHandler
}

// ApplicationID sets application.id (default "topology-test-driver"); persistent stores live
// under <state dir>/<application id>/<task id>.
func ApplicationID(id string) Option {
	return func(o *options) error {
		if id == "" {
			return errors.New("testutil: empty application id")
		}
		o.appID = id
		return nil
	}
}

// WallClockStart sets the mock wall-clock time the driver starts at (default: now). Only
// AdvanceWallClockTime moves it.
func WallClockStart(t time.Time) Option {
	return func(o *options) error { o.start = t; return nil }
}

// StateDir sets state.dir (default: a new temporary directory, removed by Close). In a given
// state dir, Close removes the task directories it used, as Kafka's TopologyTestDriver does.
func StateDir(dir string) Option {
	return func(o *options) error { o.stateDir = dir; return nil }
}

// DeserializationHandler sets default.deserialization.exception.handler (default:
// processor.LogAndFail, which makes the pipe call return the *processor.DeserializationError;
// processor.LogAndContinue skips the record and counts it in DroppedRecords).
func DeserializationHandler(h processor.DeserializationHandler) Option {
	return func(o *options) error { o.onDeser = h; return nil }
}

// ProcessingHandler sets processing.exception.handler (KIP-1033; default: fail, which makes
// the pipe call return the *processor.ProcessingError; processor.LogAndContinueProcessing
// drops the record and counts it in DroppedRecords).
func ProcessingHandler(h processor.ProcessingHandler) Option {
	return func(o *options) error { o.onProc = h; return nil }
}

// Config applies Kafka Streams property names: application.id, state.dir and
// default.deserialization.exception.handler (LogAndFailExceptionHandler or
// LogAndContinueExceptionHandler, with or without their package). Any other key is an error.
func Config(props map[string]string) Option {
	return func(o *options) error {
		for _, k := range slices.Sorted(maps.Keys(props)) {
			v := props[k]
			switch k {
			case "application.id":
				if err := ApplicationID(v)(o); err != nil {
					return err
				}
			case "state.dir":
				o.stateDir = v
			case "default.deserialization.exception.handler":
				switch v[strings.LastIndex(v, ".")+1:] {
				case "LogAndFailExceptionHandler":
					o.onDeser = processor.LogAndFail
				case "LogAndContinueExceptionHandler":
					o.onDeser = processor.LogAndContinue
				default:
					return fmt.Errorf("testutil: unknown %s %q", k, v)
				}
			default:
				return fmt.Errorf("testutil: unsupported config %q", k)
			}
		}
		return nil
	}
}

// TopologyTestDriver runs a topology without a broker (Kafka Streams' TopologyTestDriver).
//
// Each sub-topology runs as one task on partition 0. Piping a record processes it to the end,
// advances stream time and fires the stream-time punctuations due, then commits (flushing the
// stores), as if the runtime committed after every record. Records written to a topic that the
// topology also reads are piped back in. Wall-clock punctuations fire only through
// AdvanceWallClockTime. A driver is not safe for concurrent use.
type TopologyTestDriver struct {
	g           *engine.Graph
	opts        options
	tasks       []*engine.Task
	global      []*engine.Task
	globalStore map[string]store.StateStore
	wall        int64
	topics      map[string]*topicState
	outputs     map[string]*outQueue
	one         [1]engine.RawRecord // the batch of one record that a pipe adds
	pending     []engine.OutRecord  // what sinks wrote, not captured yet
	sent        bump                // pending's keys and values, reused once captured
	in          bump                // the keys and values of records piped in
	spare       []engine.OutRecord  // pending's other buffer, for capture
	queued      []queuedRec         // records to pipe back, for deliver
	last        *topicState         // the state topic returned last, of topic lastName
	lastName    string
	ownDir      bool
	closed      bool
}

// topicState is what the driver knows of one topic, looked up once per record.
type topicState struct {
	task   *engine.Task // the task whose sources read it; nil when none does
	global bool         // task is a global store's
	offset int64        // the offset of the next record piped into it
	out    *outQueue    // what the topology wrote to it; nil before it wrote any
}

// NewTopologyTestDriver creates the driver's tasks and stores (persistent stores for real,
// in a temporary state directory) and initializes the processors.
func NewTopologyTestDriver(top *topology.Topology, opts ...Option) (*TopologyTestDriver, error) {
	g, ok := engine.GraphOf(top)
	if !ok {
		return nil, errors.New("testutil: NewTopologyTestDriver needs a *topology.Topology from Builder.Build")
	}
	o := options{appID: "topology-test-driver", start: time.Now()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	g = g.ForApplication(o.appID) // internal topics are "<application.id>-<name>", as in Kafka
	d := &TopologyTestDriver{g: g, opts: o, wall: o.start.UnixMilli(), topics: map[string]*topicState{}, outputs: map[string]*outQueue{}, globalStore: map[string]store.StateStore{}}
	if d.opts.stateDir == "" {
		dir, err := os.MkdirTemp("", "tributary-ttd-")
		if err != nil {
			return nil, fmt.Errorf("testutil: state dir: %w", err)
		}
		d.opts.stateDir, d.ownDir = dir, true
	}
	cfg := engine.Config{
		ApplicationID:          o.appID,
		StateDir:               d.opts.stateDir,
		Clock:                  func() int64 { return d.wall },
		Collector:              (*collector)(d),
		OnDeserializationError: o.onDeser,
		OnProcessingError:      o.onProc,
		GlobalStores:           d.globalStore,
		OpenStore:              openCached(changelog.NewCache(10 << 20)),
	}
	for _, sub := range g.Globals {
		t, err := engine.NewTask(g, sub, 0, cfg)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.global = append(d.global, t)
		for _, name := range t.StoreNames() {
			d.globalStore[name], _ = t.Store(name)
		}
	}
	for _, sub := range g.Subtopologies {
		t, err := engine.NewTask(g, sub, 0, cfg)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.tasks = append(d.tasks, t)
	}
	for _, t := range append(slices.Clone(d.global), d.tasks...) {
		if err := t.Init(); err != nil {
			d.Close()
			return nil, err
		}
	}
	// Processors may have produced records in Init (Kafka allows forwarding there).
	if err := d.deliver(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// collector captures what sinks produce.
type collector TopologyTestDriver

// Send keeps r until capture, with copies of its key and value: sinks hand the collector
// views (engine.CopyingCollector).
func (c *collector) Send(r engine.OutRecord) error {
	r.Key, r.Value = c.sent.copy(r.Key), c.sent.copy(r.Value)
	c.pending = append(c.pending, r)
	return nil
}

// CopiesRecords implements engine.CopyingCollector.
func (c *collector) CopiesRecords() {}

func (c *collector) PartitionCount(string) (int, error) { return 1, nil }

// queuedRec is a record to pipe back into the topic whose state is ts.
type queuedRec struct {
	ts  *topicState
	raw engine.RawRecord
}

// topic returns the state of topic, finding on first use the task whose sources read it.
func (d *TopologyTestDriver) topic(topic string) *topicState {
	if d.last != nil && topic == d.lastName { // a sink's records share its topic's string
		return d.last
	}
	ts, ok := d.topics[topic]
	if !ok {
		ts = d.newTopic(topic)
	}
	d.last, d.lastName = ts, topic
	return ts
}

// newTopic records the state of a topic seen for the first time.
func (d *TopologyTestDriver) newTopic(topic string) *topicState {
	ts := &topicState{task: d.findTask(topic)} // nil too: a topic no source reads stays unknown
	ts.global = ts.task != nil && slices.Contains(d.global, ts.task)
	d.topics[topic] = ts
	return ts
}

func (d *TopologyTestDriver) findTask(topic string) *engine.Task {
	all := append(slices.Clone(d.global), d.tasks...)
	subs := append(slices.Clone(d.g.Globals), d.g.Subtopologies...)
	for i, sub := range subs {
		if slices.Contains(sub.SourceTopics, topic) {
			return all[i]
		}
	}
	for i, sub := range subs {
		for _, n := range sub.Nodes {
			if n.Match != nil && n.Match.MatchString(topic) {
				return all[i]
			}
		}
	}
	return nil
}

// pipe processes one input record of the topic whose state is *ts (looked up and kept there
// when nil) to the end: process, punctuate on stream time, commit, and pipe back what was
// written to topics the topology reads.
func (d *TopologyTestDriver) pipe(ts **topicState, raw engine.RawRecord) error {
	if d.closed {
		return ErrClosed
	}
	if *ts == nil {
		*ts = d.topic(raw.Topic)
	}
	if err := d.processIn(*ts, raw); err != nil {
		return err
	}
	return d.deliver()
}

// processIn runs one record through the task whose sources read its topic, whose state is
// ts: process, punctuate on stream time, commit. What sinks write stays in d.pending.
func (d *TopologyTestDriver) processIn(ts *topicState, raw engine.RawRecord) error {
	t := ts.task
	if t == nil {
		return fmt.Errorf("testutil: unknown topic %q: no source of the topology reads it", raw.Topic)
	}
	raw.Offset = ts.offset
	ts.offset++
	d.one[0] = raw
	err := t.AddRecords(raw.Topic, 0, d.one[:])
	d.one[0] = engine.RawRecord{}
	if err != nil {
		return err
	}
	for {
		ok, err := t.Process()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if _, err := t.MaybePunctuateStreamTime(); err != nil {
			return err
		}
	}
	return t.Commit()
}

// deliver moves produced records to the output queues and pipes back those written to
// topics the topology reads, in the order of Kafka's TopologyTestDriver
// (captureOutputsAndReEnqueueInternalResults): all the records one step wrote are captured,
// in order, before any is processed; those of a global store's topic are applied at once,
// the others are queued and processed one by one, each one's output being captured before
// the next is processed.
func (d *TopologyTestDriver) deliver() error {
	clear(d.queued) // what a failed deliver left
	d.queued = d.queued[:0]
	if err := d.capture(); err != nil {
		return err
	}
	for i := 0; i < len(d.queued); i++ {
		q := d.queued[i]
		d.queued[i] = queuedRec{}
		if err := d.processIn(q.ts, q.raw); err != nil {
			return err
		}
		if err := d.capture(); err != nil {
			return err
		}
	}
	d.queued = d.queued[:0]
	d.sent.reuse() // everything sent is captured: nothing refers to those copies
	return nil
}

// capture is deliver's step: it captures what the sinks wrote, queues in d.queued the
// records to pipe back, and applies at once those of global stores' topics.
func (d *TopologyTestDriver) capture() error {
	for len(d.pending) > 0 {
		// The batch's buffer and pending's alternate: applying a global record may write.
		batch := d.pending
		d.pending = d.spare[:0]
		for i := range batch {
			r := &batch[i]
			ts := d.topic(r.Topic)
			if ts.out == nil {
				ts.out = &outQueue{}
				d.outputs[r.Topic] = ts.out
			}
			// The captured record's bytes are piped back: r's are reused after capture.
			key, value := ts.out.add(r.Key, r.Value, r.Tombstone, r.Timestamp, r.Headers)
			if ts.task == nil {
				continue
			}
			raw := engine.RawRecord{Topic: r.Topic, Key: key, Value: value, Timestamp: r.Timestamp, Headers: r.Headers}
			if r.Tombstone {
				raw.Value = nil
			} else if raw.Value == nil {
				raw.Value = []byte{}
			}
			if !ts.global {
				d.queued = append(d.queued, queuedRec{ts, raw})
			} else if err := d.processIn(ts, raw); err != nil {
				clear(batch)
				d.spare = batch[:0]
				return err
			}
		}
		clear(batch)
		d.spare = batch[:0]
	}
	return nil
}

// AdvanceWallClockTime moves the mock wall clock forward and fires the wall-clock
// punctuations due, then commits.
func (d *TopologyTestDriver) AdvanceWallClockTime(by time.Duration) error {
	if d.closed {
		return ErrClosed
	}
	if by < 0 {
		return fmt.Errorf("testutil: AdvanceWallClockTime(%v): negative", by)
	}
	d.wall += by.Milliseconds()
	for _, t := range append(slices.Clone(d.global), d.tasks...) {
		if _, err := t.MaybePunctuateSystemTime(); err != nil {
			return err
		}
		if err := t.Commit(); err != nil {
			return err
		}
	}
	return d.deliver()
}

// WallClockTime returns the mock wall-clock time in milliseconds.
func (d *TopologyTestDriver) WallClockTime() int64 { return d.wall }

// DroppedRecords returns the number of input records skipped by the deserialization handler
// (Kafka's dropped-records-total).
func (d *TopologyTestDriver) DroppedRecords() int64 {
	var n int64
	for _, t := range append(slices.Clone(d.global), d.tasks...) {
		n += t.DroppedRecords()
	}
	return n
}

// StateStore returns the store named name, of any task (Kafka's getStateStore).
func (d *TopologyTestDriver) StateStore(name string) (store.StateStore, error) {
	if d.closed {
		return nil, ErrClosed
	}
	for _, t := range append(slices.Clone(d.global), d.tasks...) {
		if s, ok := t.Store(name); ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("testutil: no state store %q: %w", name, processor.ErrNoSuchStore)
}

// AllStateStores returns every store by name (Kafka's getAllStateStores).
func (d *TopologyTestDriver) AllStateStores() map[string]store.StateStore {
	out := map[string]store.StateStore{}
	for _, t := range append(slices.Clone(d.global), d.tasks...) {
		for _, name := range t.StoreNames() {
			out[name], _ = t.Store(name)
		}
	}
	return out
}

// KeyValueStore returns the key-value store named name (Kafka's getKeyValueStore).
func KeyValueStore[K, V any](d *TopologyTestDriver, name string) (*kv.Store[K, V], error) {
	st, err := d.StateStore(name)
	if err != nil {
		return nil, err
	}
	s, ok := st.(*kv.Store[K, V])
	if !ok {
		return nil, fmt.Errorf("testutil: state store %q is a %T, not a %T: %w", name, st, s, processor.ErrNoSuchStore)
	}
	return s, nil
}

// SessionStore returns the session store named name (Kafka's getSessionStore).
func SessionStore[K, AGG any](d *TopologyTestDriver, name string) (*session.Store[K, AGG], error) {
	return typedStore[*session.Store[K, AGG]](d, name)
}

// WindowStore returns the window store named name (Kafka's getWindowStore).
func WindowStore[K, V any](d *TopologyTestDriver, name string) (*window.Store[K, V], error) {
	return typedStore[*window.Store[K, V]](d, name)
}

// typedStore returns the store named name as an S.
func typedStore[S any](d *TopologyTestDriver, name string) (S, error) {
	var zero S
	st, err := d.StateStore(name)
	if err != nil {
		return zero, err
	}
	s, ok := st.(S)
	if !ok {
		return zero, fmt.Errorf("testutil: state store %q is a %T, not a %T: %w", name, st, zero, processor.ErrNoSuchStore)
	}
	return s, nil
}

// ProducedTopicNames returns the names of the topics the topology wrote to, sorted (Kafka's
// producedTopicNames).
func (d *TopologyTestDriver) ProducedTopicNames() []string {
	return slices.Sorted(maps.Keys(d.outputs))
}

// Close closes the processors and stores and removes the state directory if the driver made
// it. It is idempotent.
func (d *TopologyTestDriver) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	for _, t := range append(slices.Clone(d.tasks), d.global...) {
		errs = append(errs, t.Close())
	}
	if d.ownDir {
		errs = append(errs, os.RemoveAll(d.opts.stateDir))
	} else {
		// A given state dir is cleaned as Kafka's driver does (StateDirectory.clean): the task
		// directories go, then the application directory if that leaves it empty.
		appDir := filepath.Join(d.opts.stateDir, d.opts.appID)
		for _, t := range append(slices.Clone(d.tasks), d.global...) {
			errs = append(errs, os.RemoveAll(filepath.Join(appDir, t.ID().String())))
		}
		_ = os.Remove(appDir)
	}
	return errors.Join(errs...)
}

// openCached opens key-value stores whose builder asks for caching behind a record cache
// (as the Kafka runtime does, and Kafka's TopologyTestDriver), so that a processor that
// forwards on the cache's flush (the DSL's aggregations) works here too. The driver commits
// — and so flushes the caches — after every input record, so a cached store gives the same
// output as an uncached one. Stores are not logged: the driver has no changelog.
func openCached(cache *changelog.Cache) func(t *engine.Task, b store.Builder, dir string) (store.StateStore, error) {
	return func(t *engine.Task, b store.Builder, dir string) (store.StateStore, error) {
		wb, ok := b.(kv.Wrappable)
		l, logged := b.(store.Logged)
		if !ok || !logged || !l.CachingEnabled() {
			return b.Build(dir)
		}
		return wb.BuildWith(dir, func(e kv.Engine) (kv.Engine, error) {
			return changelog.NewCachedEngine(e, cache, t.RecordContext), nil
		})
	}
}
