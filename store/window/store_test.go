package window_test

import (
	"testing"

	"github.com/tributary-go/tributary/store/window"
	"github.com/tributary-go/tributary/store/window/windowtest"
)

func TestContract(t *testing.T) {
	windowtest.Run(t, window.InMemorySupplier)
}

func TestModel(t *testing.T) {
	windowtest.RunModel(t, window.InMemorySupplier, 20_000)
}
