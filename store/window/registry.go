package window

import "sync"

var (
	persistentMu sync.RWMutex
	persistent   func(name string, opts Options) (Supplier, error)
)

// RegisterPersistent sets the supplier of persistent window stores that the DSL uses by
// default (Kafka's Stores.persistentTimestampedWindowStore). Package store/rocksdb registers
// its engine when it is imported (kv.RegisterPersistent's idiom). A nil fn unregisters.
func RegisterPersistent(fn func(name string, opts Options) (Supplier, error)) {
	persistentMu.Lock()
	defer persistentMu.Unlock()
	persistent = fn
}

// PersistentSupplier returns a supplier of persistent window stores named name from the
// registered engine; ok is false when none is registered, err reports invalid options.
func PersistentSupplier(name string, opts Options) (s Supplier, ok bool, err error) {
	persistentMu.RLock()
	fn := persistent
	persistentMu.RUnlock()
	if fn == nil {
		return nil, false, nil
	}
	s, err = fn(name, opts)
	return s, true, err
}
