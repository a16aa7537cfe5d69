package rocksdb

import (
	"testing"

	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/kv/kvtest"
)

func openTest(t *testing.T) kv.Engine {
	t.Helper()
	e, err := Open("test-store", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEngineContract(t *testing.T) {
	kvtest.RunEngine(t, openTest)
}

func TestEngineModel(t *testing.T) {
	kvtest.RunModel(t, openTest, 100_000)
}
