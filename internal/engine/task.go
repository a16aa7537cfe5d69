package engine

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/store"
)

// RawRecord is a record as consumed: bytes and where they came from. A nil Value is a Kafka
// tombstone (a null value). Key and Value are handed over to the task: a source may keep them
// (a [serde.Borrower] value deserializer does), so the caller must not reuse them.
type RawRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Timestamp int64
	Headers   processor.Headers
}

// OutRecord is a record a sink produces. Partition is -1 when the sink leaves it to the
// producer's partitioner; Tombstone means a null value.
type OutRecord struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Tombstone bool
	Timestamp int64
	Headers   processor.Headers
}

// Collector receives what sinks produce: the TopologyTestDriver captures it, the Kafka
// runtime produces it.
type Collector interface {
	Send(r OutRecord) error
	// PartitionCount returns the number of partitions of topic, for custom partitioners.
	PartitionCount(topic string) (int, error)
}

// CopyingCollector is a Collector that copies what it keeps of a record's Key and Value
// before Send returns. Sinks hand it views of their keys' and values' serialized forms when
// the serializer is a [serde.Viewer] (no copy, no allocation) instead of fresh
// serializations: such bytes may be shared with the record's key or value, must not be
// modified, and are only valid during Send. A plain Collector gets fresh bytes it may keep.
type CopyingCollector interface {
	Collector
	// CopiesRecords marks the collector; it is not called.
	CopiesRecords()
}

// Config configures a task.
type Config struct {
	ApplicationID string
	// StateDir is the root of the state directories; a task's persistent stores live in
	// StateDir/ApplicationID/<task id>.
	StateDir string
	// Clock returns the wall-clock time in milliseconds.
	Clock func() int64
	// Collector receives the records sinks produce.
	Collector Collector
	// OnDeserializationError decides about records that cannot be deserialized; nil means
	// processor.LogAndFail.
	OnDeserializationError processor.DeserializationHandler
	// OnProcessingError decides about errors that processors return while processing a
	// record or punctuating; nil means every such error stops the task (Fail).
	OnProcessingError processor.ProcessingHandler
	// OnCommit is called by Commit after the stores are flushed: the runtime's commit hook.
	OnCommit func(t *Task) error
	// GlobalStores are the global stores, readable by every processor.
	GlobalStores map[string]store.StateStore
	// OpenStore opens the task's store built by b in dir; nil means b.Build(dir). The
	// runtime uses it to put the changelog and cache layers over the engines.
	OpenStore func(t *Task, b store.Builder, dir string) (store.StateStore, error)
}

// TopicPartition names an input partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// queue holds the records of one input partition waiting to be processed.
type queue interface {
	add(raws []RawRecord) error
	size() int
	// peek returns the timestamp of the head record, ok false when the queue is empty.
	peek() (ts int64, ok bool)
	processHead() error
}

type item[K, V any] struct {
	rec    processor.Record[K, V]
	offset int64
}

type typedQueue[K, V any] struct {
	src           *sourceNode[K, V]
	topic         string
	partition     int32
	items         []item[K, V]
	head          int
	partitionTime int64
}

func (q *typedQueue[K, V]) size() int { return len(q.items) - q.head }

func (q *typedQueue[K, V]) peek() (int64, bool) {
	if q.head == len(q.items) {
		return 0, false
	}
	return q.items[q.head].rec.Timestamp(), true
}

func (q *typedQueue[K, V]) add(raws []RawRecord) error {
	t := q.src.t
	for i := range raws {
		if q.head > 0 && q.head >= len(q.items)/2 {
			// Move the records still queued to the front, so that a queue that never
			// drains does not grow without bound.
			n := copy(q.items, q.items[q.head:])
			clear(q.items[n:])
			q.items, q.head = q.items[:n], 0
		}
		q.items = append(q.items, item[K, V]{offset: raws[i].Offset})
		slot := &q.items[len(q.items)-1]
		if err := q.src.decode(&raws[i], q.partitionTime, &slot.rec); err != nil {
			q.items = q.items[:len(q.items)-1]
			r := &raws[i]
			de := &processor.DeserializationError{Node: q.src.s.Name, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err,
				Key: r.Key, Value: r.Value, Headers: r.Headers, Timestamp: r.Timestamp}
			h := t.cfg.OnDeserializationError
			if h == nil {
				h = processor.LogAndFail
			}
			if h(de) == processor.Fail {
				return de
			}
			t.dropped++
		}
	}
	return nil
}

func (q *typedQueue[K, V]) processHead() error {
	it := &q.items[q.head]
	q.head++
	q.partitionTime = max(q.partitionTime, it.rec.Timestamp())
	t := q.src.t
	t.meta = processor.RecordMetadata{Topic: q.topic, Partition: q.partition, Offset: it.offset}
	t.hasMeta = true
	t.curTime, t.curHeaders = it.rec.Timestamp(), it.rec.Headers()
	err := q.src.forward(it.rec)
	*it = item[K, V]{} // drop references for the collector
	// Out of Process (in a punctuation) there is no input record: RecordMetadata reports
	// ok false and a sink's TopicChooser gets the zero metadata.
	t.meta, t.hasMeta = processor.RecordMetadata{}, false
	return err
}

// schedule is one punctuation schedule.
type schedule struct {
	node      string
	typ       processor.PunctuationType
	interval  int64
	next      int64
	seq       int
	fn        processor.Punctuator
	cancelled bool
	round     uint64 // the punctuate call it last fired in
}

func (s *schedule) Cancel() { s.cancelled = true }

// Task is one (sub-topology, partition): its nodes, stores, input queues, stream time and
// punctuations. A task is used by one goroutine at a time.
type Task struct {
	id      processor.TaskID
	cfg     Config
	sub     *Subtopology
	graph   *Graph
	nodes   []Node
	byName  map[string]Node
	sources []sourceQueues
	queues  map[TopicPartition]queue
	order   []queue // the queues, for picking the lowest head timestamp
	// lastTP and lastQ are the partition AddRecords added to last and its queue (nil
	// before): a driver adding one record at a time skips the map.
	lastTP     TopicPartition
	lastQ      queue
	streamTime int64

	meta    processor.RecordMetadata
	hasMeta bool
	// curTime and curHeaders are the timestamp and headers of the record being processed
	// (the punctuation time during a punctuation), for RecordContext.
	curTime    int64
	curHeaders processor.Headers

	stores     map[string]store.StateStore
	storeOrder []string
	storeList  []store.StateStore // the stores in storeOrder
	dir        string

	schedules []*schedule
	seq       int
	round     uint64

	commitRequested bool
	dropped         int64
	processed       int64
	initialized     bool
	closed          bool
}

// sourceQueues is a source node and how it makes queues.
type sourceQueues struct {
	spec     *NodeSpec
	newQueue func(topic string, partition int32) queue
}

// queueMaker is implemented by source nodes.
type queueMaker interface {
	newQueue(topic string, partition int32) queue
}

// NewTask creates the task for partition of sub-topology sub: its nodes, connected, and its
// stores, opened. Call Init before processing.
func NewTask(g *Graph, sub *Subtopology, partition int32, cfg Config) (*Task, error) {
	if cfg.Clock == nil {
		cfg.Clock = func() int64 { return time.Now().UnixMilli() }
	}
	t := &Task{
		id:         processor.TaskID{Subtopology: sub.ID, Partition: partition},
		cfg:        cfg,
		sub:        sub,
		graph:      g,
		byName:     map[string]Node{},
		queues:     map[TopicPartition]queue{},
		streamTime: -1,
		stores:     map[string]store.StateStore{},
	}
	for _, s := range sub.Nodes {
		n := s.New(s)
		t.nodes = append(t.nodes, n)
		t.byName[s.Name] = n
	}
	for _, n := range t.nodes {
		for _, child := range g.Children[n.spec().Name] {
			c, ok := t.byName[child]
			if !ok {
				continue // in another sub-topology: cannot happen for a built graph
			}
			if err := n.connect(c); err != nil {
				return nil, err
			}
		}
		if n.spec().Kind == Source {
			qm := n.(queueMaker)
			t.sources = append(t.sources, sourceQueues{spec: n.spec(), newQueue: qm.newQueue})
			for _, topic := range n.spec().Topics {
				q := qm.newQueue(topic, partition)
				t.queues[TopicPartition{topic, partition}] = q
				t.order = append(t.order, q)
			}
		}
	}
	if err := t.openStores(); err != nil {
		return nil, err
	}
	return t, nil
}

// storeOrder returns the sub-topology's stores in the order of the first node using each,
// nodes in creation order (parents before children): the order Kafka registers stores, so
// that a commit flushes an upstream store's cache (forwarding downstream) before the stores
// downstream of it.
func storeOrder(sub *Subtopology) []string {
	out := make([]string, 0, len(sub.Stores))
	for _, n := range sub.Nodes {
		for _, name := range n.Stores {
			if slices.Contains(sub.Stores, name) && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	for _, name := range sub.Stores {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func (t *Task) openStores() error {
	for _, name := range storeOrder(t.sub) {
		b := t.graph.Stores[name].Builder
		if b.Persistent() && t.dir == "" {
			t.dir = filepath.Join(t.cfg.StateDir, t.cfg.ApplicationID, t.id.String())
			if err := os.MkdirAll(t.dir, 0o755); err != nil {
				t.closeStores()
				return fmt.Errorf("task %s: state directory: %w", t.id, err)
			}
		}
		var st store.StateStore
		var err error
		if t.cfg.OpenStore != nil {
			st, err = t.cfg.OpenStore(t, b, t.dir)
		} else {
			st, err = b.Build(t.dir)
		}
		if err != nil {
			t.closeStores()
			return fmt.Errorf("task %s: opening store %s: %w", t.id, name, err)
		}
		t.stores[name] = st
		t.storeOrder = append(t.storeOrder, name)
		t.storeList = append(t.storeList, st)
	}
	return nil
}

// RecordContext returns the context of the record being processed (its timestamp, headers
// and origin), or of the punctuation running: what the changelog and cache layers record.
func (t *Task) RecordContext() changelog.RecordContext {
	rc := changelog.RecordContext{Timestamp: t.curTime, Offset: -1}
	if t.curHeaders != nil {
		rc.Headers = t.curHeaders
	}
	if t.hasMeta {
		rc.Topic, rc.Partition, rc.Offset = t.meta.Topic, t.meta.Partition, t.meta.Offset
	}
	return rc
}

// Dir returns the task's state directory ("" when it has no persistent store).
func (t *Task) Dir() string { return t.dir }

// ID returns the task's id.
func (t *Task) ID() processor.TaskID { return t.id }

// StreamTime returns the task's stream time, -1 before the first record.
func (t *Task) StreamTime() int64 { return t.streamTime }

// DroppedRecords returns the number of records skipped by the deserialization and
// processing handlers.
func (t *Task) DroppedRecords() int64 { return t.dropped }

// ProcessedRecords returns the number of records processed.
func (t *Task) ProcessedRecords() int64 { return t.processed }

// Store returns the task's store named name.
func (t *Task) Store(name string) (store.StateStore, bool) {
	s, ok := t.stores[name]
	return s, ok
}

// StoreNames returns the names of the task's stores, in the order they opened.
func (t *Task) StoreNames() []string { return slices.Clone(t.storeOrder) }

// CommitRequested reports whether a processor asked for a commit since the last one.
func (t *Task) CommitRequested() bool { return t.commitRequested }

// Init initializes the processors, in the order they were added to the topology.
func (t *Task) Init() error {
	if t.initialized {
		return nil
	}
	t.initialized = true
	for _, n := range t.nodes {
		if err := n.init(t); err != nil {
			return t.wrap(n.spec().Name, fmt.Errorf("init: %w", err))
		}
	}
	return nil
}

// AddRecords queues records of one input partition. A topic that no source of the task
// reads (not even by pattern) is an error. Records that cannot be deserialized go to the
// deserialization handler.
func (t *Task) AddRecords(topic string, partition int32, raws []RawRecord) error {
	tp := TopicPartition{topic, partition}
	if t.lastQ != nil && t.lastTP == tp {
		return t.lastQ.add(raws)
	}
	q, ok := t.queues[tp]
	if !ok {
		for _, s := range t.sources {
			if s.spec.Match != nil && s.spec.Match.MatchString(topic) {
				q = s.newQueue(topic, partition)
				t.queues[tp], t.order = q, append(t.order, q)
				break
			}
		}
		if q == nil {
			return fmt.Errorf("task %s: no source reads topic %s", t.id, topic)
		}
	}
	t.lastTP, t.lastQ = tp, q
	return q.add(raws)
}

// Queued returns the number of records waiting.
func (t *Task) Queued() int {
	n := 0
	for _, q := range t.order {
		n += q.size()
	}
	return n
}

// Process processes the next record: the head record with the lowest timestamp among the
// task's input partitions (Kafka's PartitionGroup). It reports whether there was one.
func (t *Task) Process() (bool, error) {
	var next queue
	var nextTime int64
	for _, q := range t.order {
		if ts, ok := q.peek(); ok && (next == nil || ts < nextTime) {
			next, nextTime = q, ts
		}
	}
	if next == nil {
		return false, nil
	}
	t.streamTime = max(t.streamTime, nextTime)
	t.processed++
	return true, t.handle(next.processHead())
}

// handle passes a processing error to the processing handler: Continue drops the record
// (counted) and returns nil.
func (t *Task) handle(err error) error {
	if err == nil || t.cfg.OnProcessingError == nil {
		return err
	}
	var pe *processor.ProcessingError
	if !errors.As(err, &pe) || errors.Is(err, ErrTaskClosed) {
		return err
	}
	if t.cfg.OnProcessingError(pe) == processor.Continue {
		t.dropped++
		return nil
	}
	return err
}

func (t *Task) schedule(node string, interval time.Duration, typ processor.PunctuationType, fn processor.Punctuator) (processor.Cancellable, error) {
	if t.closed {
		return nil, ErrTaskClosed
	}
	ms := interval.Milliseconds()
	if ms < 1 {
		return nil, fmt.Errorf("schedule: interval %v is less than 1ms", interval)
	}
	if fn == nil {
		return nil, errors.New("schedule: nil punctuator")
	}
	s := &schedule{node: node, typ: typ, interval: ms, fn: fn, seq: t.seq}
	t.seq++
	switch typ {
	case processor.StreamTime:
		s.next = 0 // aligned to 0: fires as soon as there is data (Kafka's StreamTask.schedule)
	case processor.WallClockTime:
		s.next = nextPunctuation(t.cfg.Clock(), ms, t.cfg.Clock()) // now + interval, saturating
	default:
		return nil, fmt.Errorf("schedule: unknown punctuation type %v", typ)
	}
	t.schedules = append(t.schedules, s)
	return s, nil
}

// MaybePunctuateStreamTime fires the stream-time punctuations due at the current stream
// time. It reports whether any fired.
func (t *Task) MaybePunctuateStreamTime() (bool, error) {
	if t.streamTime < 0 {
		return false, nil
	}
	return t.punctuate(processor.StreamTime, t.streamTime)
}

// MaybePunctuateSystemTime fires the wall-clock punctuations due now.
func (t *Task) MaybePunctuateSystemTime() (bool, error) {
	return t.punctuate(processor.WallClockTime, t.cfg.Clock())
}

// punctuate follows Kafka's PunctuationQueue.mayPunctuate: every due schedule fires once
// with now, in order of due time, and is rescheduled to its next interval after now (missed
// intervals are skipped).
func (t *Task) punctuate(typ processor.PunctuationType, now int64) (bool, error) {
	if len(t.schedules) == 0 {
		return false, nil
	}
	fired := false
	t.round++ // each schedule fires at most once per call, as next() is always after now
	for {
		var due *schedule
		t.schedules = slices.DeleteFunc(t.schedules, func(s *schedule) bool { return s.cancelled })
		for _, s := range t.schedules {
			if s.typ != typ || s.next > now || s.round == t.round {
				continue
			}
			if due == nil || s.next < due.next || (s.next == due.next && s.seq < due.seq) {
				due = s
			}
		}
		if due == nil {
			return fired, nil
		}
		fired = true
		due.round = t.round
		t.hasMeta = false
		t.curTime, t.curHeaders = now, nil
		err := due.fn(now)
		due.next = nextPunctuation(due.next, due.interval, now)
		if err != nil {
			if err = t.handle(t.wrap(due.node, fmt.Errorf("punctuator (%s): %w", typ, err))); err != nil {
				return fired, err
			}
		}
	}
}

// nextPunctuation is Kafka's PunctuationSchedule.next: the first multiple of interval after
// last that is later than now, skipping missed intervals; it saturates at math.MaxInt64
// instead of overflowing.
func nextPunctuation(last, interval, now int64) int64 {
	if now < last {
		now = last
	}
	missed := (now-last)/interval + 1
	if missed > (math.MaxInt64-last)/interval {
		return math.MaxInt64
	}
	return last + missed*interval
}

// Commit flushes the task's stores and calls the commit hook.
func (t *Task) Commit() error {
	var errs []error
	for _, st := range t.storeList {
		if err := st.Flush(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("task %s: commit: %w", t.id, err)
	}
	t.commitRequested = false
	if t.cfg.OnCommit != nil {
		return t.cfg.OnCommit(t)
	}
	return nil
}

// Close closes the processors, then the stores. It is idempotent.
func (t *Task) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	var errs []error
	if t.initialized {
		for _, n := range t.nodes {
			if err := n.close(); err != nil {
				errs = append(errs, t.wrap(n.spec().Name, fmt.Errorf("close: %w", err)))
			}
		}
	}
	errs = append(errs, t.closeStores())
	return errors.Join(errs...)
}

func (t *Task) closeStores() error {
	var errs []error
	for _, name := range t.storeOrder {
		if err := t.stores[name].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// storeFor returns the store name for the node s, which must be connected to it (or the
// store is global).
func (t *Task) storeFor(s *NodeSpec, name string) (any, error) {
	if slices.Contains(s.Stores, name) {
		if st, ok := t.stores[name]; ok {
			return st, nil
		}
	}
	if st, ok := t.cfg.GlobalStores[name]; ok {
		return st, nil
	}
	return nil, fmt.Errorf("processor %s is not connected to state store %q (connected: %v): %w", s.Name, name, s.Stores, processor.ErrNoSuchStore)
}
