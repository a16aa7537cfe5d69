package rocksdb

import (
	"path/filepath"

	"github.com/tributary-go/tributary/store/kv"
)

func init() {
	kv.RegisterPersistent(func(name string) kv.Supplier { return Supplier(name) })
}

// Supplier supplies RocksDB engines for the store name (Kafka's
// Stores.persistentKeyValueStore). Each task's store lives in <dir>/rocksdb/<name>, dir being
// the task's directory, as in Kafka Streams. Importing the package registers it as the
// persistent engine of the DSL (kv.RegisterPersistent).
func Supplier(name string, opts ...Option) kv.Supplier { return supplier{name, opts} }

type supplier struct {
	name string
	opts []Option
}

func (s supplier) Name() string     { return s.name }
func (s supplier) Persistent() bool { return true }
func (s supplier) Open(dir string) (kv.Engine, error) {
	return Open(s.name, filepath.Join(dir, "rocksdb", s.name), s.opts...)
}
