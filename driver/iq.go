package driver

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

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

// StoreQueryOption narrows or widens the replicas an interactive query reads (Kafka's
// StoreQueryParameters).
type StoreQueryOption func(*storeQuery)

type storeQuery struct {
	stale     bool
	partition int32 // -1: every partition
}

// StaleStores lets a query read standby replicas as well as active tasks (Kafka's
// StoreQueryParameters.enableStaleStores, KIP-535): a standby may lag behind its active task
// (see Driver.AllLocalStorePartitionLags), but it answers while the active instance is down or
// rebalancing. Where this instance holds a partition both ways, the active task is read.
func StaleStores() StoreQueryOption { return func(q *storeQuery) { q.stale = true } }

// Partition restricts a query to the store's partition p (Kafka's
// StoreQueryParameters.withPartition): only the task of that partition is read, and
// ErrStoreNotAvailable is returned when this instance does not hold it.
func Partition(p int32) StoreQueryOption { return func(q *storeQuery) { q.partition = p } }

// KeyValueStore returns a read-only view of the key-value store name across this instance's
// running tasks (Kafka's KafkaStreams.store with QueryableStoreTypes.keyValueStore): Get,
// Range, ReverseRange, All, ReverseAll, PrefixScan and ApproximateNumEntries, through
// cursors that must be closed. Ranges are merged across tasks into one sorted sequence.
// With StaleStores the view includes the instance's standby replicas; with Partition, one
// partition only.
//
// The view is a snapshot of the tasks the instance runs now; after a rebalance, ask again.
// K and V must be the store's types.
func KeyValueStore[K, V any](d *Driver, name string, opts ...StoreQueryOption) (*kv.Composite[K, V], error) {
	stores, err := localStores[*kv.Store[K, V]](d, name, opts)
	if err != nil {
		return nil, err
	}
	return kv.NewComposite(stores)
}

// SessionStore returns a read-only view of the session store name across this instance's
// running tasks (QueryableStoreTypes.sessionStore): Fetch, FetchRange, FindSessions,
// FetchSession and their backward variants, merged across tasks.
// Options as for KeyValueStore.
func SessionStore[K, AGG any](d *Driver, name string, opts ...StoreQueryOption) (*session.Composite[K, AGG], error) {
	stores, err := localStores[*session.Store[K, AGG]](d, name, opts)
	if err != nil {
		return nil, err
	}
	return session.NewComposite(stores)
}

// WindowStore returns a read-only view of the window store name across this instance's
// running tasks (QueryableStoreTypes.windowStore): Get, Fetch, FetchKeyRange, FetchAll, All
// and their backward variants, merged across tasks.
// Options as for KeyValueStore.
func WindowStore[K, V any](d *Driver, name string, opts ...StoreQueryOption) (*window.Composite[K, V], error) {
	stores, err := localStores[*window.Store[K, V]](d, name, opts)
	if err != nil {
		return nil, err
	}
	return window.NewComposite(stores)
}

// localStores returns the instances of store name in the running tasks (and standbys, when
// the options allow stale stores), in task order, as S.
func localStores[S any](d *Driver, name string, opts []StoreQueryOption) ([]S, error) {
	q := storeQuery{partition: -1}
	for _, o := range opts {
		o(&q)
	}
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
	from := map[processor.TaskID]*runTask{}
	if q.stale {
		maps.Copy(from, d.standbys)
	}
	maps.Copy(from, d.tasks) // an active task wins over a standby of the same id
	ids := make([]processor.TaskID, 0, len(from))
	for id := range from {
		if q.partition < 0 || id.Partition == q.partition {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
	var stores []S
	for _, id := range ids {
		st, ok := from[id].task.Store(name)
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
		if q.partition >= 0 {
			return nil, fmt.Errorf("driver: store %q partition %d (state %s, stale stores %t): %w", name, q.partition, state, q.stale, ErrStoreNotAvailable)
		}
		return nil, fmt.Errorf("driver: store %q (state %s, stale stores %t): %w", name, state, q.stale, ErrStoreNotAvailable)
	}
	return stores, nil
}

// KeyQueryMetadata says where a key of a store lives (Kafka's KeyQueryMetadata): the
// instance running the task of the key's partition, the instances holding standby replicas
// of it (which a query with StaleStores can read), and the partition.
type KeyQueryMetadata struct {
	ActiveHost   HostInfo
	StandbyHosts []HostInfo // sorted
	Partition    int32
	Task         processor.TaskID
}

// StreamsMetadata describes one instance of the application (Kafka's StreamsMetadata): its
// endpoint, the stores and tasks it hosts, and the partitions it reads; and likewise for its
// standby replicas.
type StreamsMetadata struct {
	Host                   HostInfo
	StateStoreNames        []string
	Tasks                  []processor.TaskID
	TopicPartitions        []changelog.TopicPartition
	StandbyStateStoreNames []string
	StandbyTasks           []processor.TaskID
	StandbyTopicPartitions []changelog.TopicPartition
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
	standbys := d.hostStandbys
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
	for h, tasks := range standbys {
		if slices.Contains(tasks, md.Task) {
			md.StandbyHosts = append(md.StandbyHosts, h)
		}
	}
	slices.SortFunc(md.StandbyHosts, compareHosts)
	return md, nil
}

// AllMetadata returns every instance of the application that has an application.server
// endpoint, as of the last rebalance (Kafka's KafkaStreams.metadataForAllStreamsClients),
// sorted by endpoint.
func (d *Driver) AllMetadata() []StreamsMetadata {
	d.mu.RLock()
	hosts := d.hostTasks
	standbys := d.hostStandbys
	d.mu.RUnlock()
	all := map[HostInfo]bool{}
	for h := range hosts {
		all[h] = true
	}
	for h := range standbys {
		all[h] = true
	}
	var out []StreamsMetadata
	for h := range all {
		md := StreamsMetadata{Host: h, Tasks: slices.Clone(hosts[h]), StandbyTasks: slices.Clone(standbys[h])}
		md.StateStoreNames, md.TopicPartitions = d.describeTasks(md.Tasks)
		md.StandbyStateStoreNames, md.StandbyTopicPartitions = d.describeTasks(md.StandbyTasks)
		out = append(out, md)
	}
	sort.Slice(out, func(i, j int) bool { return compareHosts(out[i].Host, out[j].Host) < 0 })
	return out
}

// describeTasks returns the stores of the tasks' sub-topologies, sorted, and the tasks'
// source partitions.
func (d *Driver) describeTasks(tasks []processor.TaskID) ([]string, []changelog.TopicPartition) {
	storeSet := map[string]bool{}
	var tps []changelog.TopicPartition
	for _, id := range tasks {
		s := d.subs[id.Subtopology]
		if s == nil {
			continue
		}
		for _, name := range s.Stores {
			storeSet[name] = true
		}
		for _, topic := range s.SourceTopics {
			tps = append(tps, changelog.TopicPartition{Topic: topic, Partition: id.Partition})
		}
	}
	var names []string
	for name := range storeSet {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, tps
}

// compareHosts orders endpoints by host, then port.
func compareHosts(x, y HostInfo) int {
	if c := strings.Compare(x.Host, y.Host); c != 0 {
		return c
	}
	return cmp.Compare(x.Port, y.Port)
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
