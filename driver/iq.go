package driver

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/store/session"
	"github.com/tributary-go/tributary/store/window"
)

// ErrUnknownStore is returned by interactive queries for a store the topology does not have.
var ErrUnknownStore = errors.New("unknown state store")

// ErrStoreNotAvailable is returned by interactive queries when no local task holds the store
// right now (Kafka's InvalidStateStoreException): the instance is rebalancing or restoring,
// or the store's tasks all live on other instances. Retry, or ask the host that
// QueryMetadataForKey names.
var ErrStoreNotAvailable = errors.New("state store not available on this instance")

// KeyValueStore returns a read-only view of the key-value store name across this instance's
// running tasks (Kafka's KafkaStreams.store with QueryableStoreTypes.keyValueStore): Get,
// Range, ReverseRange, All, ReverseAll, PrefixScan and ApproximateNumEntries, through
// cursors that must be closed. Ranges are merged across tasks into one sorted sequence.
//
// The view is a snapshot of the tasks the instance runs now; after a rebalance, ask again.
// K and V must be the store's types.
func KeyValueStore[K, V any](d *Driver, name string) (*kv.Composite[K, V], error) {
	stores, err := localStores[*kv.Store[K, V]](d, name)
	if err != nil {
		return nil, err
	}
	return kv.NewComposite(stores)
}

// SessionStore returns a read-only view of the session store name across this instance's
// running tasks (QueryableStoreTypes.sessionStore): Fetch, FetchRange, FindSessions,
// FetchSession and their backward variants, merged across tasks.
func SessionStore[K, AGG any](d *Driver, name string) (*session.Composite[K, AGG], error) {
	stores, err := localStores[*session.Store[K, AGG]](d, name)
	if err != nil {
		return nil, err
	}
	return session.NewComposite(stores)
}

// WindowStore returns a read-only view of the window store name across this instance's
// running tasks (QueryableStoreTypes.windowStore): Get, Fetch, FetchKeyRange, FetchAll, All
// and their backward variants, merged across tasks.
func WindowStore[K, V any](d *Driver, name string) (*window.Composite[K, V], error) {
	stores, err := localStores[*window.Store[K, V]](d, name)
	if err != nil {
		return nil, err
	}
	return window.NewComposite(stores)
}

// localStores returns the instances of store name in the running tasks, in task order, as S.
func localStores[S any](d *Driver, name string) ([]S, error) {
	if _, ok := d.graph.Stores[name]; !ok {
		return nil, fmt.Errorf("driver: %q: %w", name, ErrUnknownStore)
	}
	d.mu.RLock()
	if st, ok := d.globalStores[name]; ok { // a global store: the instance holds it whole
		d.mu.RUnlock()
		typed, ok := st.(S)
		if !ok {
			var want S
			return nil, fmt.Errorf("driver: store %q is a %T, not a %T", name, st, want)
		}
		return []S{typed}, nil
	}
	state := d.state
	ids := make([]processor.TaskID, 0, len(d.tasks))
	for id := range d.tasks {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
	var stores []S
	for _, id := range ids {
		st, ok := d.tasks[id].task.Store(name)
		if !ok {
			continue
		}
		typed, ok := st.(S)
		if !ok {
			d.mu.RUnlock()
			var want S
			return nil, fmt.Errorf("driver: store %q is a %T, not a %T", name, st, want)
		}
		stores = append(stores, typed)
	}
	d.mu.RUnlock()
	if len(stores) == 0 {
		return nil, fmt.Errorf("driver: store %q (state %s): %w", name, state, ErrStoreNotAvailable)
	}
	return stores, nil
}

// KeyQueryMetadata says where a key of a store lives (Kafka's KeyQueryMetadata): the
// instance running the task of the key's partition, and the partition.
type KeyQueryMetadata struct {
	ActiveHost HostInfo
	Partition  int32
	Task       processor.TaskID
}

// StreamsMetadata describes one instance of the application (Kafka's StreamsMetadata): its
// endpoint, the stores and tasks it hosts, and the partitions it reads.
type StreamsMetadata struct {
	Host            HostInfo
	StateStoreNames []string
	Tasks           []processor.TaskID
	TopicPartitions []changelog.TopicPartition
}

// subOfStore returns the sub-topology that owns a store.
func (d *Driver) subOfStore(name string) (int, error) {
	for _, s := range d.graph.Subtopologies {
		if slices.Contains(s.Stores, name) {
			return s.ID, nil
		}
	}
	return 0, fmt.Errorf("driver: %q: %w", name, ErrUnknownStore)
}

// QueryMetadataForKey returns where key of store lives (Kafka's
// KafkaStreams.queryMetadataForKey): the partition is the default partitioner's
// (murmur2 of the key serialized by keys, as Kafka's producer), and the host is the
// application.server of the instance whose worker runs that task. ActiveHost is the zero
// HostInfo when no instance with an endpoint runs it (yet).
func QueryMetadataForKey[K any](d *Driver, store string, key K, keys serde.Serializer[K]) (KeyQueryMetadata, error) {
	sub, err := d.subOfStore(store)
	if err != nil {
		return KeyQueryMetadata{}, err
	}
	d.mu.RLock()
	n := d.subTasks[sub]
	hosts := d.hostTasks
	d.mu.RUnlock()
	if n == 0 {
		return KeyQueryMetadata{}, fmt.Errorf("driver: QueryMetadataForKey(%q): %w", store, ErrNotRunning)
	}
	kb, err := keys.Serialize(changelog.TopicName(d.cfg.applicationID, store), key)
	if err != nil {
		return KeyQueryMetadata{}, fmt.Errorf("driver: QueryMetadataForKey(%q): %w", store, err)
	}
	md := KeyQueryMetadata{Partition: keyPartition(kb, n)}
	md.Task = processor.TaskID{Subtopology: sub, Partition: md.Partition}
	for h, tasks := range hosts {
		if slices.Contains(tasks, md.Task) {
			md.ActiveHost = h
			break
		}
	}
	return md, nil
}

// AllMetadata returns every instance of the application that has an application.server
// endpoint, as of the last rebalance (Kafka's KafkaStreams.metadataForAllStreamsClients),
// sorted by endpoint.
func (d *Driver) AllMetadata() []StreamsMetadata {
	d.mu.RLock()
	hosts := d.hostTasks
	d.mu.RUnlock()
	var out []StreamsMetadata
	for h, tasks := range hosts {
		md := StreamsMetadata{Host: h, Tasks: slices.Clone(tasks)}
		storeSet := map[string]bool{}
		for _, id := range tasks {
			s := d.subs[id.Subtopology]
			if s == nil {
				continue
			}
			for _, name := range s.Stores {
				storeSet[name] = true
			}
			for _, topic := range s.SourceTopics {
				md.TopicPartitions = append(md.TopicPartitions, changelog.TopicPartition{Topic: topic, Partition: id.Partition})
			}
		}
		for name := range storeSet {
			md.StateStoreNames = append(md.StateStoreNames, name)
		}
		sort.Strings(md.StateStoreNames)
		out = append(out, md)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host.String() < out[j].Host.String() })
	return out
}

// LocalTasks returns the ids of the tasks this instance runs now, sorted.
func (d *Driver) LocalTasks() []processor.TaskID {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ids := make([]processor.TaskID, 0, len(d.tasks))
	for id := range d.tasks {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
	return ids
}

// Host returns this instance's application.server endpoint (zero when none is set).
func (d *Driver) Host() HostInfo { return d.host }
