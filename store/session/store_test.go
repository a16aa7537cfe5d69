package session_test

import (
	"testing"

	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/store/session/sessiontest"
)

func memSupplier(_ testing.TB, name string, opts session.Options) (session.Supplier, error) {
	return session.InMemorySupplier(name, opts)
}

func TestInMemoryContract(t *testing.T) {
	sessiontest.Run(t, memSupplier)
}

func TestInMemoryModel(t *testing.T) {
	sessiontest.RunModel(t, memSupplier, 20_000)
}
