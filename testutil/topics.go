package testutil

import (
	"fmt"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

// TestRecord is a record going into or coming out of a test topic (Kafka's TestRecord). A
// tombstone has Tombstone set and a zero Value; a record with a null key has NullKey set and
// a zero Key.
type TestRecord[K, V any] struct {
	Key       K
	NullKey   bool
	Value     V
	Tombstone bool
	Timestamp int64 // milliseconds since the epoch
	Headers   processor.Headers
}

// TestInputTopic pipes records into one topic of a driver (Kafka's TestInputTopic). Records
// piped without a timestamp get the topic's current time, which then advances by the
// auto-advance step.
type TestInputTopic[K, V any] struct {
	d       *TopologyTestDriver
	topic   string
	keys    serde.Serializer[K]
	values  serde.Serializer[V]
	now     int64
	advance int64
	// keyView and valueView are the serializers as serde.Viewers, or nil: a view copied into
	// the driver's chunks costs no allocation of its own.
	keyView   serde.Viewer[K]
	valueView serde.Viewer[V]
	state     *topicState // the driver's, once a record was piped
}

// InputOption configures a TestInputTopic.
type InputOption func(*inputOptions)

type inputOptions struct {
	start   time.Time
	advance time.Duration
}

// StartTime sets the time of the first record piped without a timestamp (default: the
// driver's wall-clock start).
func StartTime(t time.Time) InputOption { return func(o *inputOptions) { o.start = t } }

// AutoAdvance sets how much the topic's time advances after each record piped without a
// timestamp (default 0).
func AutoAdvance(d time.Duration) InputOption { return func(o *inputOptions) { o.advance = d } }

// CreateInputTopic returns an input topic of d (Kafka's createInputTopic).
func CreateInputTopic[K, V any](d *TopologyTestDriver, topic string, keys serde.Serializer[K], values serde.Serializer[V], opts ...InputOption) *TestInputTopic[K, V] {
	o := inputOptions{start: time.UnixMilli(d.wall)}
	for _, opt := range opts {
		opt(&o)
	}
	t := &TestInputTopic[K, V]{d: d, topic: topic, keys: keys, values: values, now: o.start.UnixMilli(), advance: o.advance.Milliseconds()}
	t.keyView, _ = keys.(serde.Viewer[K])
	t.valueView, _ = values.(serde.Viewer[V])
	return t
}

// serialize serializes v with s, or views it with view and copies the view: the result is
// the record's own, handed over to the task.
func serialize[T any](d *TopologyTestDriver, s serde.Serializer[T], view serde.Viewer[T], topic string, v T) ([]byte, error) {
	if view == nil {
		return s.Serialize(topic, v)
	}
	b, err := view.View(topic, v)
	if err != nil {
		return nil, err
	}
	return d.in.copy(b), nil
}

// AdvanceTime moves the topic's current time forward.
func (t *TestInputTopic[K, V]) AdvanceTime(by time.Duration) { t.now += by.Milliseconds() }

func (t *TestInputTopic[K, V]) nextTime() int64 {
	ts := t.now
	t.now += t.advance
	return ts
}

// PipeRecord pipes r with its own timestamp.
func (t *TestInputTopic[K, V]) PipeRecord(r TestRecord[K, V]) error {
	raw := engine.RawRecord{Topic: t.topic, Timestamp: r.Timestamp, Headers: r.Headers}
	var err error
	if !r.NullKey {
		if raw.Key, err = serialize(t.d, t.keys, t.keyView, t.topic, r.Key); err != nil {
			return fmt.Errorf("testutil: input topic %s: key: %w", t.topic, err)
		}
		if raw.Key == nil {
			raw.Key = []byte{} // a key, not a null one
		}
	}
	if !r.Tombstone {
		if raw.Value, err = serialize(t.d, t.values, t.valueView, t.topic, r.Value); err != nil {
			return fmt.Errorf("testutil: input topic %s: value: %w", t.topic, err)
		}
		if raw.Value == nil {
			raw.Value = []byte{} // a value, not a tombstone
		}
	}
	return t.d.pipe(&t.state, raw)
}

// PipeInput pipes a record with the topic's current time.
func (t *TestInputTopic[K, V]) PipeInput(key K, value V) error {
	return t.PipeRecord(TestRecord[K, V]{Key: key, Value: value, Timestamp: t.nextTime()})
}

// PipeInputWithTimestamp pipes a record with timestamp ts (milliseconds).
func (t *TestInputTopic[K, V]) PipeInputWithTimestamp(key K, value V, ts int64) error {
	return t.PipeRecord(TestRecord[K, V]{Key: key, Value: value, Timestamp: ts})
}

// PipeTombstone pipes a record with no value (a null value in Kafka) at the topic's time.
func (t *TestInputTopic[K, V]) PipeTombstone(key K) error {
	return t.PipeRecord(TestRecord[K, V]{Key: key, Tombstone: true, Timestamp: t.nextTime()})
}

// PipeValue pipes a record with no key (a null key in Kafka) at the topic's time.
func (t *TestInputTopic[K, V]) PipeValue(value V) error {
	v, err := serialize(t.d, t.values, t.valueView, t.topic, value)
	if err != nil {
		return fmt.Errorf("testutil: input topic %s: value: %w", t.topic, err)
	}
	if v == nil {
		v = []byte{}
	}
	return t.d.pipe(&t.state, engine.RawRecord{Topic: t.topic, Value: v, Timestamp: t.nextTime()})
}

// PipeRecordList pipes records with their own timestamps, stopping at the first error.
func (t *TestInputTopic[K, V]) PipeRecordList(records []TestRecord[K, V]) error {
	for _, r := range records {
		if err := t.PipeRecord(r); err != nil {
			return err
		}
	}
	return nil
}

// PipeKeyValueList pipes key-value pairs with the topic's time, advancing it after each.
func (t *TestInputTopic[K, V]) PipeKeyValueList(pairs []cursor.KeyValue[K, V]) error {
	for _, p := range pairs {
		if err := t.PipeInput(p.Key, p.Value); err != nil {
			return err
		}
	}
	return nil
}

// PipeValueList pipes values with no key, with the topic's time.
func (t *TestInputTopic[K, V]) PipeValueList(values []V) error {
	for _, v := range values {
		if err := t.PipeValue(v); err != nil {
			return err
		}
	}
	return nil
}

// TestOutputTopic reads what the topology wrote to one topic (Kafka's TestOutputTopic).
// Reading consumes: two TestOutputTopics of the same topic share one queue.
type TestOutputTopic[K, V any] struct {
	d      *TopologyTestDriver
	topic  string
	keys   serde.Deserializer[K]
	values serde.Deserializer[V]
}

// CreateOutputTopic returns an output topic of d (Kafka's createOutputTopic).
func CreateOutputTopic[K, V any](d *TopologyTestDriver, topic string, keys serde.Deserializer[K], values serde.Deserializer[V]) *TestOutputTopic[K, V] {
	return &TestOutputTopic[K, V]{d: d, topic: topic, keys: keys, values: values}
}

// QueueSize returns the number of records not read yet.
func (o *TestOutputTopic[K, V]) QueueSize() int {
	q := o.d.outputs[o.topic]
	if q == nil {
		return 0
	}
	return q.size()
}

// Clear drops the records not read yet.
func (o *TestOutputTopic[K, V]) Clear() {
	if q := o.d.outputs[o.topic]; q != nil {
		q.clear()
	}
}

// IsEmpty reports whether every record was read.
func (o *TestOutputTopic[K, V]) IsEmpty() bool { return o.QueueSize() == 0 }

// ReadRecord reads the next record; ErrNoRecord if there is none.
func (o *TestOutputTopic[K, V]) ReadRecord() (TestRecord[K, V], error) {
	var r TestRecord[K, V]
	if o.d.closed {
		return r, ErrClosed
	}
	q := o.d.outputs[o.topic]
	if q == nil || q.size() == 0 {
		return r, fmt.Errorf("%w %s", ErrNoRecord, o.topic)
	}
	key, value, tombstone, ts, headers := q.next()
	r.Timestamp, r.Headers, r.Tombstone, r.NullKey = ts, headers, tombstone, key == nil
	var err error
	if key != nil {
		if r.Key, err = o.keys.Deserialize(o.topic, key); err != nil {
			return r, fmt.Errorf("testutil: output topic %s: key: %w", o.topic, err)
		}
	}
	if !tombstone {
		if r.Value, err = o.values.Deserialize(o.topic, value); err != nil {
			return r, fmt.Errorf("testutil: output topic %s: value: %w", o.topic, err)
		}
	}
	return r, nil
}

// ReadKeyValue reads the next record as a key-value pair.
func (o *TestOutputTopic[K, V]) ReadKeyValue() (cursor.KeyValue[K, V], error) {
	r, err := o.ReadRecord()
	return cursor.KeyValue[K, V]{Key: r.Key, Value: r.Value}, err
}

// ReadValue reads the next record's value.
func (o *TestOutputTopic[K, V]) ReadValue() (V, error) {
	r, err := o.ReadRecord()
	return r.Value, err
}

// ReadRecordsToList reads every record left.
func (o *TestOutputTopic[K, V]) ReadRecordsToList() ([]TestRecord[K, V], error) {
	var out []TestRecord[K, V]
	for !o.IsEmpty() {
		r, err := o.ReadRecord()
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadKeyValuesToList reads every record left as key-value pairs.
func (o *TestOutputTopic[K, V]) ReadKeyValuesToList() ([]cursor.KeyValue[K, V], error) {
	var out []cursor.KeyValue[K, V]
	for !o.IsEmpty() {
		kv, err := o.ReadKeyValue()
		if err != nil {
			return out, err
		}
		out = append(out, kv)
	}
	return out, nil
}

// ReadValuesToList reads every value left.
func (o *TestOutputTopic[K, V]) ReadValuesToList() ([]V, error) {
	var out []V
	for !o.IsEmpty() {
		v, err := o.ReadValue()
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ReadKeyValuesToMap reads every record left into a map: the last value of each key wins and
// a tombstone removes the key (Kafka's readKeyValuesToMap). It is a function because the map
// needs comparable keys.
func ReadKeyValuesToMap[K comparable, V any](o *TestOutputTopic[K, V]) (map[K]V, error) {
	out := map[K]V{}
	for !o.IsEmpty() {
		r, err := o.ReadRecord()
		if err != nil {
			return out, err
		}
		if r.Tombstone {
			delete(out, r.Key)
		} else {
			out[r.Key] = r.Value
		}
	}
	return out, nil
}
