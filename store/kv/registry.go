package kv

import "sync"

var (
	persistentMu sync.RWMutex
	persistent   func(name string) Supplier
)

// RegisterPersistent sets the supplier of persistent key-value stores that the DSL uses by
// default (Kafka's Stores.persistentKeyValueStore). Package store/rocksdb registers its
// engine when it is imported, the database/sql driver idiom:
//
//	import _ "github.com/tributary-go/tributary/store/rocksdb"
//
// so that programs that use only in-memory stores do not need cgo. A nil fn unregisters.
func RegisterPersistent(fn func(name string) Supplier) {
	persistentMu.Lock()
	defer persistentMu.Unlock()
	persistent = fn
}

// PersistentSupplier returns a supplier of persistent stores named name from the registered
// engine, and false when none is registered.
func PersistentSupplier(name string) (Supplier, bool) {
	persistentMu.RLock()
	fn := persistent
	persistentMu.RUnlock()
	if fn == nil {
		return nil, false
	}
	return fn(name), true
}
