package processor

import (
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/store/window"
)

// KeyValueStore returns the key-value store named name, connected to the processor (Kafka's
// context.getStateStore(name) cast to KeyValueStore<K, V>).
func KeyValueStore[K, V any](ctx BaseContext, name string) (*kv.Store[K, V], error) {
	return Store[*kv.Store[K, V]](ctx, name)
}

// SessionStore returns the session store named name, connected to the processor (Kafka's
// context.getStateStore(name) cast to SessionStore<K, AGG>).
func SessionStore[K, AGG any](ctx BaseContext, name string) (*session.Store[K, AGG], error) {
	return Store[*session.Store[K, AGG]](ctx, name)
}

// WindowStore returns the window store named name, connected to the processor (Kafka's
// context.getStateStore(name) cast to WindowStore<K, V>).
func WindowStore[K, V any](ctx BaseContext, name string) (*window.Store[K, V], error) {
	return Store[*window.Store[K, V]](ctx, name)
}
