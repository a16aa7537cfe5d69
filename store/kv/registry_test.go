package kv_test

import (
	"testing"

	"github.com/tributary-go/tributary/store/kv"
)

func TestRegisterPersistent(t *testing.T) {
	kv.RegisterPersistent(nil)
	if _, ok := kv.PersistentSupplier("s"); ok {
		t.Fatal("PersistentSupplier with nothing registered: ok")
	}
	kv.RegisterPersistent(func(name string) kv.Supplier { return kv.InMemorySupplier(name) })
	t.Cleanup(func() { kv.RegisterPersistent(nil) })
	s, ok := kv.PersistentSupplier("s")
	if !ok || s.Name() != "s" {
		t.Fatalf("PersistentSupplier(s) = %v, %v", s, ok)
	}
}
