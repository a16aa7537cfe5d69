package driver

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tributary-go/tributary/processor"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type (
	kmsgOffsetCommitRequest  = kmsg.OffsetCommitRequest
	kmsgOffsetCommitResponse = kmsg.OffsetCommitResponse
)

// commitResponseErr returns the first partition error of an offset commit.
func commitResponseErr(resp *kmsg.OffsetCommitResponse) error {
	if resp == nil {
		return nil
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return err
			}
		}
	}
	return nil
}

// The headers of a dead-letter record (KIP-1034's names).
const (
	HeaderErrorException = "__streams.errors.exception"
	HeaderErrorMessage   = "__streams.errors.message"
	HeaderErrorTopic     = "__streams.errors.topic"
	HeaderErrorPartition = "__streams.errors.partition"
	HeaderErrorOffset    = "__streams.errors.offset"
)

// deserializationHandler returns the task's deserialization handler: the configured one
// (default LogAndFail, logging to the driver's Logger), after sending the record to the dead-letter topic when one is set.
func (w *worker) deserializationHandler() processor.DeserializationHandler {
	h := w.d.cfg.onDeserialization
	if h == nil {
		h = processor.LogAndFailTo(w.d.cfg.logger)
	}
	dlq := w.d.cfg.deadLetterTopic
	if dlq == "" {
		return h
	}
	return func(err *processor.DeserializationError) processor.HandlerResponse {
		rec := &kgo.Record{Topic: dlq, Timestamp: time.UnixMilli(max(err.Timestamp, 0))}
		rec.Key = append([]byte(nil), err.Key...)
		if err.Value != nil {
			rec.Value = append([]byte(nil), err.Value...)
		}
		for _, hd := range err.Headers {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: hd.Key, Value: append([]byte(nil), hd.Value...)})
		}
		rec.Headers = append(rec.Headers,
			kgo.RecordHeader{Key: HeaderErrorException, Value: []byte("DeserializationError")},
			kgo.RecordHeader{Key: HeaderErrorMessage, Value: []byte(err.Err.Error())},
			kgo.RecordHeader{Key: HeaderErrorTopic, Value: []byte(err.Topic)},
			kgo.RecordHeader{Key: HeaderErrorPartition, Value: []byte(strconv.Itoa(int(err.Partition)))},
			kgo.RecordHeader{Key: HeaderErrorOffset, Value: []byte(strconv.FormatInt(err.Offset, 10))},
		)
		n, perr := w.PartitionCount(dlq)
		if perr != nil {
			w.setProduceErr(perr)
			return processor.Fail
		}
		if rec.Key != nil {
			rec.Partition = keyPartition(rec.Key, n)
		} else {
			rec.Partition = int32(w.rr.Add(1) % uint32(n))
		}
		if berr := w.beginTxn(); berr != nil {
			w.setProduceErr(berr)
			return processor.Fail
		}
		w.prod.Produce(context.Background(), rec, w.deadLetterPromise)
		return h(err)
	}
}

// deadLetterPromise makes a failure to produce to the dead-letter topic fatal: the record
// would otherwise be lost.
func (w *worker) deadLetterPromise(r *kgo.Record, err error) {
	if err != nil {
		w.setProduceErr(fmt.Errorf("producing to the dead-letter topic %s-%d: %w", r.Topic, r.Partition, err))
	}
}
