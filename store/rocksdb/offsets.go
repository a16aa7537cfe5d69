package rocksdb

import (
	"encoding/binary"
	"fmt"

	"github.com/tributary-go/tributary/store/kv"
)

// Persisted offsets (Faust's persisted_offset / set_persisted_offset): the changelog layer
// records, inside the database, the changelog offset up to which the store's data is
// written, so that on restart it restores only the records after it. They live in their own
// column family ("tributary.offsets"), never seen by Range, PrefixScan or
// ApproximateNumEntries.

// offsetKey encodes topic-partition: the topic's bytes, 0x00 (never in a Kafka topic
// name), then the partition as 4 big-endian bytes.
func offsetKey(topic string, partition int32) []byte {
	k := make([]byte, 0, len(topic)+5)
	k = append(k, topic...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(partition))
}

func offsetRecord(topic string, partition int32, offset int64) (key, value []byte) {
	return offsetKey(topic, partition), binary.BigEndian.AppendUint64(nil, uint64(offset))
}

// Offset returns the offset persisted for the changelog topic-partition, and whether there
// is one.
func (e *Engine) Offset(topic string, partition int32) (offset int64, found bool, err error) {
	if err := e.rlock("offset", false); err != nil {
		return 0, false, err
	}
	defer e.mu.RUnlock()
	if e.offsets == nil { // a read-only store written before offsets existed
		return 0, false, nil
	}
	s, err := e.db.GetCF(e.ro, e.offsets, offsetKey(topic, partition))
	if err != nil {
		return 0, false, e.fail("offset", err)
	}
	defer s.Free()
	if !s.Exists() {
		return 0, false, nil
	}
	b := s.Data()
	if len(b) != 8 {
		return 0, false, storeErr(e.name, "offset", &DBError{Path: e.path, Kind: ErrCorrupt,
			Err: fmt.Errorf("offset of %s-%d has %d bytes, want 8", topic, partition, len(b))})
	}
	return int64(binary.BigEndian.Uint64(b)), true, nil
}

// SetOffset persists offset for the changelog topic-partition. Like every write, it is
// durable after the next Flush or Close.
func (e *Engine) SetOffset(topic string, partition int32, offset int64) error {
	if err := e.rlock("set-offset", true); err != nil {
		return err
	}
	defer e.mu.RUnlock()
	k, v := offsetRecord(topic, partition, offset)
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if err := e.db.PutCF(e.wo, e.offsets, k, v); err != nil {
		return e.fail("set-offset", err)
	}
	return nil
}

// WriteWithOffset applies batch (as Write does) and persists offset for the changelog
// topic-partition, in one atomic RocksDB write batch: after a crash the store holds either
// both or neither, so the offset always describes the data.
func (e *Engine) WriteWithOffset(batch []kv.Entry, topic string, partition int32, offset int64) error {
	return e.write("write-with-offset", batch, topic, partition, offset, true)
}
