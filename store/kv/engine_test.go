package kv_test

import (
	"testing"

	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/kv/kvtest"
)

func openMemory(t *testing.T) kv.Engine { return kv.NewMemory("mem-" + t.Name()) }

// openBigLRU opens an LRU engine larger than any test's key space, so it never evicts and
// must behave exactly like the sorted in-memory engine.
func openBigLRU(t *testing.T) kv.Engine {
	e, err := kv.NewLRU("lru-"+t.Name(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestMemoryContract(t *testing.T) { kvtest.RunEngine(t, openMemory) }
func TestLRUContract(t *testing.T)    { kvtest.RunEngine(t, openBigLRU) }

func TestMemoryModel(t *testing.T) { kvtest.RunModel(t, openMemory, 100_000) }
func TestLRUModel(t *testing.T)    { kvtest.RunModel(t, openBigLRU, 100_000) }
