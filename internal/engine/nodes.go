package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// Node is the runtime form of a node in one task.
type Node interface {
	spec() *NodeSpec
	init(t *Task) error
	close() error
	// connect adds child as a successor; it fails if child cannot receive this node's
	// records (the graph is checked before, so this is a safeguard).
	connect(child Node) error
}

// receiver is a node that takes Record[K, V] from its parents.
type receiver[K, V any] interface {
	Node
	process(r processor.Record[K, V]) error
}

// connectAll converts children to receivers of Record[K, V].
func connectTo[K, V any](from *NodeSpec, children *[]receiver[K, V], child Node) error {
	r, ok := child.(receiver[K, V])
	if !ok {
		return fmt.Errorf("node %s (records of %s) cannot be a parent of %s (records of %s)", from.Name, from.OutType, child.spec().Name, child.spec().InType)
	}
	*children = append(*children, r)
	return nil
}

// wrap attributes a processor's error to the node, unless a node downstream already did.
func (t *Task) wrap(node string, err error) error {
	if err == nil {
		return nil
	}
	var pe *processor.ProcessingError
	if errors.As(err, &pe) {
		return err
	}
	var de *processor.DeserializationError
	if errors.As(err, &de) {
		return err
	}
	return &processor.ProcessingError{Task: t.id, Node: node, Record: t.meta, HasInput: t.hasMeta, Err: err}
}

// nodeCtx implements processor.BaseContext for one node of one task.
type nodeCtx struct {
	t *Task
	s *NodeSpec
}

func (c *nodeCtx) ApplicationID() string    { return c.t.cfg.ApplicationID }
func (c *nodeCtx) TaskID() processor.TaskID { return c.t.id }
func (c *nodeCtx) StreamTime() int64        { return c.t.streamTime }
func (c *nodeCtx) SystemTime() int64        { return c.t.cfg.Clock() }
func (c *nodeCtx) Commit()                  { c.t.commitRequested = true }

// RecordDropped counts a record the processor skipped in the task's dropped-records metric
// (what Kafka's DSL processors record in droppedRecordsSensor); the DSL calls it.
func (c *nodeCtx) RecordDropped()                      { c.t.dropped++ }
func (c *nodeCtx) StateStore(name string) (any, error) { return c.t.storeFor(c.s, name) }

func (c *nodeCtx) RecordMetadata() (processor.RecordMetadata, bool) {
	return c.t.meta, c.t.hasMeta
}

// WithRecordMetadata runs fn with md as the metadata of the record being processed, then
// puts back what was there: the DSL's cache flush listeners forward each flushed entry
// with the metadata of the record that wrote it, as Kafka's flush listeners set the record
// context of the cached entry before forwarding.
func (c *nodeCtx) WithRecordMetadata(md processor.RecordMetadata, fn func() error) error {
	t := c.t
	meta, has := t.meta, t.hasMeta
	t.meta, t.hasMeta = md, true
	err := fn()
	t.meta, t.hasMeta = meta, has
	return err
}

func (c *nodeCtx) Schedule(interval time.Duration, typ processor.PunctuationType, fn processor.Punctuator) (processor.Cancellable, error) {
	return c.t.schedule(c.s.Name, interval, typ, fn)
}

// --- sources ---

// SourceConfig is the typed configuration of a source node.
type SourceConfig[K, V any] struct {
	Keys       serde.Deserializer[K]
	Values     serde.Deserializer[V]
	Timestamps func(r processor.Record[K, V], md processor.RecordMetadata, partitionTime int64) (int64, error)
}

// NewSourceSpec returns the spec of a source node producing Record[K, V].
func NewSourceSpec[K, V any](name string, cfg SourceConfig[K, V]) *NodeSpec {
	s := &NodeSpec{Kind: Source, Name: name, OutType: typeNames[K, V](), Out: Out[K, V]()}
	borrow, _ := cfg.Values.(serde.Borrower[V])
	s.New = func(s *NodeSpec) Node { return &sourceNode[K, V]{s: s, cfg: cfg, borrow: borrow} }
	return s
}

type sourceNode[K, V any] struct {
	s        *NodeSpec
	cfg      SourceConfig[K, V]
	borrow   serde.Borrower[V] // the value deserializer, when it can keep the consumed bytes
	t        *Task
	children []receiver[K, V]
}

func (n *sourceNode[K, V]) spec() *NodeSpec { return n.s }
func (n *sourceNode[K, V]) init(t *Task) error {
	n.t = t
	return nil
}
func (n *sourceNode[K, V]) close() error { return nil }
func (n *sourceNode[K, V]) connect(child Node) error {
	return connectTo(n.s, &n.children, child)
}

// newQueue returns the queue of one input partition of this source.
func (n *sourceNode[K, V]) newQueue(topic string, partition int32) queue {
	return &typedQueue[K, V]{src: n, topic: topic, partition: partition, partitionTime: -1}
}

// decode deserializes a raw record into out and extracts its timestamp; out is written once,
// in place (records are copied enough on their way through the nodes).
func (n *sourceNode[K, V]) decode(raw *RawRecord, partitionTime int64, out *processor.Record[K, V]) error {
	var key K
	var value V
	var err error
	hasKey := raw.Key != nil
	if hasKey {
		if key, err = n.cfg.Keys.Deserialize(raw.Topic, raw.Key); err != nil {
			return fmt.Errorf("key: %w", err)
		}
	}
	hasValue := raw.Value != nil
	if hasValue {
		if n.borrow != nil {
			value, err = n.borrow.DeserializeBorrowed(raw.Topic, raw.Value)
		} else {
			value, err = n.cfg.Values.Deserialize(raw.Topic, raw.Value)
		}
		if err != nil {
			return fmt.Errorf("value: %w", err)
		}
	}
	ts := raw.Timestamp
	if n.cfg.Timestamps != nil {
		md := processor.RecordMetadata{Topic: raw.Topic, Partition: raw.Partition, Offset: raw.Offset}
		rec := processor.MakeRecord(key, hasKey, value, hasValue, ts, raw.Headers)
		if ts, err = n.cfg.Timestamps(rec, md, partitionTime); err != nil {
			return fmt.Errorf("timestamp extractor: %w", err)
		}
	}
	if ts < 0 {
		return fmt.Errorf("invalid (negative) timestamp %d", ts)
	}
	*out = processor.MakeRecord(key, hasKey, value, hasValue, ts, raw.Headers)
	return nil
}

func (n *sourceNode[K, V]) forward(r processor.Record[K, V]) error {
	for _, c := range n.children {
		if err := c.process(r); err != nil {
			return n.t.wrap(c.spec().Name, err)
		}
	}
	return nil
}

// --- processors ---

// NewProcessorSpec returns the spec of a processor node.
func NewProcessorSpec[KIn, VIn, KOut, VOut any](name string, supplier processor.Supplier[KIn, VIn, KOut, VOut]) *NodeSpec {
	s := &NodeSpec{Kind: Processor, Name: name, InType: typeNames[KIn, VIn](), OutType: typeNames[KOut, VOut](),
		Out: Out[KOut, VOut](), Accepts: Accepts[KIn, VIn]()}
	s.New = func(s *NodeSpec) Node { return &procNode[KIn, VIn, KOut, VOut]{s: s, supplier: supplier} }
	return s
}

type procNode[KIn, VIn, KOut, VOut any] struct {
	nodeCtx
	s        *NodeSpec
	supplier processor.Supplier[KIn, VIn, KOut, VOut]
	p        processor.Processor[KIn, VIn, KOut, VOut]
	// fn is the function of a processor.Func processor, called directly.
	fn       func(ctx processor.Context[KOut, VOut], r processor.Record[KIn, VIn]) error
	children []receiver[KOut, VOut]
}

// funcProcessor is implemented by processor.Func's processors.
type funcProcessor[KIn, VIn, KOut, VOut any] interface {
	ProcessFunc() func(ctx processor.Context[KOut, VOut], r processor.Record[KIn, VIn]) error
}

func (n *procNode[KIn, VIn, KOut, VOut]) spec() *NodeSpec { return n.s }

func (n *procNode[KIn, VIn, KOut, VOut]) connect(child Node) error {
	return connectTo(n.s, &n.children, child)
}

func (n *procNode[KIn, VIn, KOut, VOut]) init(t *Task) error {
	n.nodeCtx = nodeCtx{t: t, s: n.s}
	n.p = n.supplier()
	if n.p == nil {
		return fmt.Errorf("processor %s: supplier returned nil", n.s.Name)
	}
	if f, ok := n.p.(funcProcessor[KIn, VIn, KOut, VOut]); ok {
		n.fn = f.ProcessFunc()
	}
	return n.p.Init(n)
}

func (n *procNode[KIn, VIn, KOut, VOut]) close() error {
	if n.p == nil {
		return nil
	}
	return n.p.Close()
}

func (n *procNode[KIn, VIn, KOut, VOut]) process(r processor.Record[KIn, VIn]) error {
	var err error
	if n.fn != nil {
		err = n.fn(n, r)
	} else {
		err = n.p.Process(r)
	}
	if err != nil {
		return n.t.wrap(n.s.Name, err)
	}
	return nil
}

// Forward implements processor.Context.
func (n *procNode[KIn, VIn, KOut, VOut]) Forward(r processor.Record[KOut, VOut]) error {
	if n.t.closed {
		return n.t.wrap(n.s.Name, ErrTaskClosed)
	}
	for _, c := range n.children {
		if err := c.process(r); err != nil {
			return err
		}
	}
	return nil
}

// ForwardTo implements processor.Context.
func (n *procNode[KIn, VIn, KOut, VOut]) ForwardTo(child string, r processor.Record[KOut, VOut]) error {
	for _, c := range n.children {
		if c.spec().Name == child {
			return c.process(r)
		}
	}
	return n.t.wrap(n.s.Name, fmt.Errorf("forward to %q: not a child of %s (children: %v)", child, n.s.Name, childNames(n.children)))
}

func childNames[K, V any](cs []receiver[K, V]) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.spec().Name
	}
	return out
}

// NewFixedKeyProcessorSpec returns the spec of a fixed-key processor node.
func NewFixedKeyProcessorSpec[K, VIn, VOut any](name string, supplier processor.FixedKeySupplier[K, VIn, VOut]) *NodeSpec {
	s := &NodeSpec{Kind: Processor, Name: name, InType: typeNames[K, VIn](), OutType: typeNames[K, VOut](),
		Out: Out[K, VOut](), Accepts: Accepts[K, VIn]()}
	s.New = func(s *NodeSpec) Node { return &fixedNode[K, VIn, VOut]{s: s, supplier: supplier} }
	return s
}

type fixedNode[K, VIn, VOut any] struct {
	nodeCtx
	s        *NodeSpec
	supplier processor.FixedKeySupplier[K, VIn, VOut]
	p        processor.FixedKeyProcessor[K, VIn, VOut]
	children []receiver[K, VOut]
}

func (n *fixedNode[K, VIn, VOut]) spec() *NodeSpec { return n.s }

func (n *fixedNode[K, VIn, VOut]) connect(child Node) error {
	return connectTo(n.s, &n.children, child)
}

func (n *fixedNode[K, VIn, VOut]) init(t *Task) error {
	n.nodeCtx = nodeCtx{t: t, s: n.s}
	n.p = n.supplier()
	if n.p == nil {
		return fmt.Errorf("processor %s: supplier returned nil", n.s.Name)
	}
	return n.p.Init(n)
}

func (n *fixedNode[K, VIn, VOut]) close() error {
	if n.p == nil {
		return nil
	}
	return n.p.Close()
}

func (n *fixedNode[K, VIn, VOut]) process(r processor.Record[K, VIn]) error {
	if err := n.p.Process(processor.FixedKey(r)); err != nil {
		return n.t.wrap(n.s.Name, err)
	}
	return nil
}

// Forward implements processor.FixedKeyContext.
func (n *fixedNode[K, VIn, VOut]) Forward(r processor.FixedKeyRecord[K, VOut]) error {
	if n.t.closed {
		return n.t.wrap(n.s.Name, ErrTaskClosed)
	}
	rec := r.Record()
	for _, c := range n.children {
		if err := c.process(rec); err != nil {
			return err
		}
	}
	return nil
}

// ForwardTo implements processor.FixedKeyContext.
func (n *fixedNode[K, VIn, VOut]) ForwardTo(child string, r processor.FixedKeyRecord[K, VOut]) error {
	for _, c := range n.children {
		if c.spec().Name == child {
			return c.process(r.Record())
		}
	}
	return n.t.wrap(n.s.Name, fmt.Errorf("forward to %q: not a child of %s (children: %v)", child, n.s.Name, childNames(n.children)))
}

// --- sinks ---

// SinkConfig is the typed configuration of a sink node.
type SinkConfig[K, V any] struct {
	Topic       string
	Chooser     func(key K, value V, md processor.RecordMetadata) string
	ChooserName string
	Keys        serde.Serializer[K]
	Values      serde.Serializer[V]
	// Partitioner returns the partition for a record, or ok=false to use the default
	// (murmur2 of the key bytes).
	Partitioner func(topic string, key K, value V, numPartitions int) (partition int32, ok bool)
}

// NewSinkSpec returns the spec of a sink node taking Record[K, V].
func NewSinkSpec[K, V any](name string, cfg SinkConfig[K, V]) *NodeSpec {
	s := &NodeSpec{Kind: Sink, Name: name, Topic: cfg.Topic, TopicChooser: cfg.ChooserName,
		InType: typeNames[K, V](), Accepts: Accepts[K, V]()}
	s.New = func(s *NodeSpec) Node { return &sinkNode[K, V]{s: s, cfg: cfg} }
	return s
}

type sinkNode[K, V any] struct {
	s   *NodeSpec
	cfg SinkConfig[K, V]
	t   *Task
	// keyView and valueView are the serializers as serde.Viewers, when the task's collector
	// copies what it keeps (CopyingCollector); nil otherwise.
	keyView   serde.Viewer[K]
	valueView serde.Viewer[V]
}

func (n *sinkNode[K, V]) spec() *NodeSpec { return n.s }
func (n *sinkNode[K, V]) init(t *Task) error {
	n.t = t
	if _, ok := t.cfg.Collector.(CopyingCollector); ok {
		n.keyView, _ = n.cfg.Keys.(serde.Viewer[K])
		n.valueView, _ = n.cfg.Values.(serde.Viewer[V])
	}
	return nil
}
func (n *sinkNode[K, V]) close() error { return nil }
func (n *sinkNode[K, V]) connect(child Node) error {
	return fmt.Errorf("sink %s cannot have children (%s)", n.s.Name, child.spec().Name)
}

func (n *sinkNode[K, V]) process(r processor.Record[K, V]) error {
	topic := n.s.Topic // the spec's: internal topics are renamed per application
	if n.cfg.Chooser != nil {
		topic = n.cfg.Chooser(r.Key(), r.Value(), n.t.meta)
		if topic == "" {
			return n.t.wrap(n.s.Name, errors.New("topic chooser returned an empty topic"))
		}
	}
	out := OutRecord{Topic: topic, Partition: -1, Timestamp: r.Timestamp(), Headers: r.Headers(), Tombstone: r.IsTombstone()}
	var err error
	if r.HasKey() {
		if n.keyView != nil {
			out.Key, err = n.keyView.View(topic, r.Key())
		} else {
			out.Key, err = n.cfg.Keys.Serialize(topic, r.Key())
		}
		if err != nil {
			return n.t.wrap(n.s.Name, fmt.Errorf("key: %w", err))
		}
		if out.Key == nil {
			out.Key = []byte{} // a key, not a null one
		}
	}
	if !r.IsTombstone() {
		if n.valueView != nil {
			out.Value, err = n.valueView.View(topic, r.Value())
		} else {
			out.Value, err = n.cfg.Values.Serialize(topic, r.Value())
		}
		if err != nil {
			return n.t.wrap(n.s.Name, fmt.Errorf("value: %w", err))
		}
	}
	if n.cfg.Partitioner != nil {
		count, err := n.t.cfg.Collector.PartitionCount(topic)
		if err != nil {
			return n.t.wrap(n.s.Name, err)
		}
		if p, ok := n.cfg.Partitioner(topic, r.Key(), r.Value(), count); ok {
			if p < 0 || int(p) >= count {
				return n.t.wrap(n.s.Name, fmt.Errorf("partitioner chose partition %d of topic %s, which has %d", p, topic, count))
			}
			out.Partition = p
		}
	}
	if err := n.t.cfg.Collector.Send(out); err != nil {
		return n.t.wrap(n.s.Name, err)
	}
	return nil
}

// typeNames names the types of Record[K, V] for messages ("string, int64"); called when
// building, not per record. (A pointer keeps %T from printing <nil> for interface types.)
func typeNames[K, V any]() string {
	var k K
	var v V
	return fmt.Sprintf("%T", &k)[1:] + ", " + fmt.Sprintf("%T", &v)[1:]
}
