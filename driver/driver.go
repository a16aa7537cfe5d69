package driver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// State is the state of a [Driver] (Kafka's KafkaStreams.State).
type State int

// The states. A driver goes CREATED → REBALANCING ⇄ RUNNING → PENDING_SHUTDOWN →
// NOT_RUNNING; a fatal error takes it to ERROR, which is final (Close leaves it there).
const (
	Created State = iota
	Rebalancing
	Running
	PendingShutdown
	NotRunning
	Error
)

// String returns Kafka's name of the state.
func (s State) String() string {
	switch s {
	case Created:
		return "CREATED"
	case Rebalancing:
		return "REBALANCING"
	case Running:
		return "RUNNING"
	case PendingShutdown:
		return "PENDING_SHUTDOWN"
	case NotRunning:
		return "NOT_RUNNING"
	case Error:
		return "ERROR"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ErrNotRunning is returned by Start on a driver that is not in state CREATED (or that was
// closed while starting), and by QueryMetadataForKey before the driver knows its topics.
var ErrNotRunning = errors.New("driver is not running")

// Driver runs a topology on a Kafka cluster (Kafka Streams' KafkaStreams): any number of
// instances with the same application id share the work, each running the tasks the
// consumer group gives it, keeping their stores in the state directory and backing them up
// to changelog topics.
type Driver struct {
	cfg   config
	top   *topology.Topology
	graph *engine.Graph
	host  HostInfo
	// processID is the instance's process id, in the group subscriptions and in the
	// transactional ids under exactly_once_v2 (see processIdentity).
	processID string

	// topicSub maps each source topic to its sub-topology; subTasks is each
	// sub-topology's task count (its source topics' partition count).
	topicSub map[string]int
	subs     map[int]*engine.Subtopology
	subTasks map[int]int

	admin   *kgo.Client
	adm     *kadm.Client
	workers []*worker

	// global holds the global stores and their thread (nil without global stores);
	// globalStores are the stores, by name, which every task reads (see global.go).
	global       *globalState
	globalStores map[string]store.StateStore

	mu        sync.RWMutex
	state     State
	tasks     map[processor.TaskID]*runTask // running tasks of every worker, for queries
	standbys  map[processor.TaskID]*runTask // standby tasks of every worker, for stale queries
	hostTasks map[HostInfo][]processor.TaskID
	// hostStandbys are every endpoint's standby tasks, as of the last rebalance.
	hostStandbys map[HostInfo][]processor.TaskID
	err          error // the first fatal error
	started      bool
	closed       bool
	done         chan struct{}
	wg           sync.WaitGroup
	runCtx       context.Context // the workers' context, cancelled by stop
	cancel       context.CancelFunc
	stopOnce     sync.Once

	dropped   atomic.Int64
	processed atomic.Int64
	// crashed makes the workers stop as if the process died (tests only).
	crashed atomic.Bool

	// dirs holds the task directories in use by this instance's workers: a task moving
	// from one worker to another waits until the first has closed it.
	dirMu sync.Mutex
	dirs  map[string]chan struct{}
}

// acquireDir waits until no other worker of this instance uses the task directory dir, then
// takes it.
func (d *Driver) acquireDir(ctx context.Context, dir string) error {
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		d.dirMu.Lock()
		if d.dirs == nil {
			d.dirs = map[string]chan struct{}{}
		}
		held, ok := d.dirs[dir]
		if !ok {
			d.dirs[dir] = make(chan struct{})
			d.dirMu.Unlock()
			return nil
		}
		d.dirMu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			return fmt.Errorf("task directory %s still in use by another worker after %v", dir, waitTimeout)
		}
	}
}

// releaseDir gives the task directory dir back.
func (d *Driver) releaseDir(dir string) {
	d.dirMu.Lock()
	if ch, ok := d.dirs[dir]; ok {
		close(ch)
		delete(d.dirs, dir)
	}
	d.dirMu.Unlock()
}

// ProcessedRecords returns the number of records processed so far by this instance's tasks.
func (d *Driver) ProcessedRecords() int64 { return d.processed.Load() }

// DroppedRecords returns the number of records skipped so far by the deserialization and
// processing handlers (Kafka's dropped-records metric, summed over tasks).
func (d *Driver) DroppedRecords() int64 { return d.dropped.Load() }

// SkippedProductions returns the number of output records dropped by the production handler.
func (d *Driver) SkippedProductions() int64 {
	var n int64
	d.mu.RLock()
	workers := d.workers
	d.mu.RUnlock()
	for _, w := range workers {
		n += w.skippedProduce.Load()
	}
	return n
}

// New returns a driver for the topology t. Nothing connects to Kafka before Start.
func New(t *topology.Topology, opts ...Option) (*Driver, error) {
	if t == nil {
		return nil, errors.New("driver: nil topology")
	}
	g, ok := engine.GraphOf(t)
	if !ok {
		return nil, errors.New("driver: topology has no compiled graph (use topology.Builder.Build)")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.guarantee == ExactlyOnceV2 && !cfg.commitIntervalSet {
		cfg.commitInterval = eosCommitInterval
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("driver: %w", err)
	}
	g = g.ForApplication(cfg.applicationID) // internal topics are "<application.id>-<name>"
	d := &Driver{
		cfg: cfg, top: t, graph: g,
		topicSub: map[string]int{}, subs: map[int]*engine.Subtopology{}, subTasks: map[int]int{},
		tasks: map[processor.TaskID]*runTask{}, standbys: map[processor.TaskID]*runTask{}, done: make(chan struct{}),
	}
	// The process id (Kafka's StateDirectory.initializeProcessId) names the instance in the
	// group's subscriptions, so that standbys go to other instances, and in the
	// transactional ids under exactly_once_v2; it survives restarts.
	pid, err := processIdentity(filepath.Join(cfg.stateDir, cfg.applicationID))
	if err != nil {
		return nil, fmt.Errorf("driver: process id: %w", err)
	}
	d.processID = pid
	d.runCtx, d.cancel = context.WithCancel(context.Background())
	if cfg.applicationServer != "" {
		d.host, _ = ParseHostInfo(cfg.applicationServer)
	}
	for _, s := range g.Subtopologies {
		d.subs[s.ID] = s
		for _, n := range s.Nodes {
			if n.Kind == engine.Source && n.Pattern != nil {
				return nil, fmt.Errorf("driver: source %s subscribes to a pattern (%s): the Kafka runtime does not support pattern sources yet", n.Name, n.Pattern)
			}
		}
		for _, topic := range s.SourceTopics {
			d.topicSub[topic] = s.ID
		}
	}
	return d, nil
}

// State returns the current state.
func (d *Driver) State() State {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.state
}

func (d *Driver) setState(s State) {
	d.mu.Lock()
	old := d.state
	if old == s || old == Error || old == NotRunning || (old == PendingShutdown && s != NotRunning && s != Error) {
		d.mu.Unlock()
		return
	}
	d.state = s
	d.mu.Unlock()
	d.cfg.logger.Info("tributary: state change", "application", d.cfg.applicationID, "from", old.String(), "to", s.String())
	if d.cfg.stateListener != nil {
		d.cfg.stateListener(s, old)
	}
}

// updateRunning recomputes RUNNING versus REBALANCING from the workers.
func (d *Driver) updateRunning() {
	d.mu.RLock()
	workers := d.workers
	d.mu.RUnlock()
	for _, w := range workers {
		if !w.ready.Load() {
			d.setState(Rebalancing)
			return
		}
	}
	d.setState(Running)
}

// fail records the first fatal error and stops every worker.
func (d *Driver) fail(err error) {
	d.mu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.mu.Unlock()
	d.cfg.logger.Error("tributary: fatal error, stopping", "application", d.cfg.applicationID, "error", err)
	d.setState(Error)
	d.stop()
}

func (d *Driver) stop() {
	d.stopOnce.Do(d.cancel)
}

// Err returns the error that stopped the driver, if any.
func (d *Driver) Err() error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.err
}

// Done returns a channel closed when every worker has stopped (after Close, or after a
// fatal error).
func (d *Driver) Done() <-chan struct{} { return d.done }

// Start checks the topics, creates the missing internal topics and starts the workers; it
// returns once they run. Processing continues until Close or a fatal error (see Done and
// Err). A source topic that does not exist, or a changelog topic with the wrong number of
// partitions, is an error here.
func (d *Driver) Start(ctx context.Context) error {
	d.mu.Lock()
	if d.started || d.closed {
		d.mu.Unlock()
		return fmt.Errorf("driver: Start: %w", ErrNotRunning)
	}
	d.started = true
	d.mu.Unlock()

	admin, err := kgo.NewClient(append(slices.Clone(d.cfg.kgoOpts), kgo.SeedBrokers(d.cfg.bootstrap...))...)
	if err != nil {
		return d.startFailed(fmt.Errorf("driver: admin client: %w", err))
	}
	d.admin, d.adm = admin, kadm.NewClient(admin)
	if err := d.prepareTopics(ctx); err != nil {
		return d.startFailed(err)
	}
	if len(d.graph.Globals) > 0 {
		// Kafka's KafkaStreams.start: the global stores are bootstrapped before any
		// stream thread starts.
		g, err := startGlobal(ctx, d)
		if err != nil {
			return d.startFailed(err)
		}
		d.global = g
	}
	perWorker := d.cfg.cacheMaxBytes / int64(d.cfg.concurrency)
	var workers []*worker
	for i := range d.cfg.concurrency {
		w, err := newWorker(d, i, d.runCtx, perWorker)
		if err != nil {
			for _, w := range workers {
				w.closeClients()
			}
			return d.startFailed(err)
		}
		workers = append(workers, w)
	}
	d.mu.Lock()
	if d.closed || d.runCtx.Err() != nil {
		d.mu.Unlock()
		for _, w := range workers {
			w.closeClients()
		}
		return d.startFailed(fmt.Errorf("driver: closed while starting: %w", ErrNotRunning))
	}
	d.workers = workers
	d.mu.Unlock()
	d.setState(Rebalancing)
	for _, w := range workers {
		w.join()
	}
	for _, w := range workers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			w.run()
		}()
	}
	if d.global != nil {
		go d.global.run()
	}
	go func() {
		d.wg.Wait()
		if d.global != nil {
			d.stop() // the workers are gone: the global thread stops too
			<-d.global.done
			d.global.close(d.Err() == nil)
		}
		d.admin.Close()
		close(d.done)
	}()
	return nil
}

func (d *Driver) startFailed(err error) error {
	if d.global != nil {
		d.global.close(false)
		d.global = nil
	}
	if d.admin != nil {
		d.admin.Close()
	}
	d.mu.Lock()
	d.err = err
	d.mu.Unlock()
	d.setState(Error)
	close(d.done)
	return err
}

// Run starts the driver and processes until ctx is done or a fatal error stops it; then it
// closes the driver. It returns the fatal error, or nil after a shutdown through ctx.
func (d *Driver) Run(ctx context.Context) error {
	if err := d.Start(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-d.done:
	}
	if err := d.Close(); err != nil {
		return err
	}
	return d.Err()
}

// Close shuts down gracefully: each worker finishes the records it holds, flushes its
// stores and caches, waits for its produced records, commits its offsets, writes its
// checkpoint files, closes its tasks and leaves the group. After a fatal error the tasks are
// closed without committing. Close is idempotent; it returns the fatal error, if any.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		<-d.done
		return d.Err()
	}
	d.closed = true
	started := d.started
	d.mu.Unlock()
	if !started {
		d.setState(NotRunning)
		close(d.done)
		return nil
	}
	d.setState(PendingShutdown)
	d.stop()
	<-d.done
	d.setState(NotRunning)
	return d.Err()
}

// prepareTopics checks the source topics and creates the changelog topics that are missing.
func (d *Driver) prepareTopics(ctx context.Context) error {
	var sources []string
	for t := range d.topicSub {
		if _, internal := d.graph.Internal[t]; !internal {
			sources = append(sources, t)
		}
	}
	sort.Strings(sources)
	details, err := d.adm.ListTopics(ctx, sources...)
	if err != nil {
		return fmt.Errorf("driver: listing source topics: %w", err)
	}
	var errs []error
	for _, t := range sources {
		td, ok := details[t]
		if !ok || td.Err != nil {
			cause := "does not exist"
			if ok && td.Err != nil && !errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
				cause = "cannot be described: " + td.Err.Error()
			}
			errs = append(errs, fmt.Errorf("source topic %s (sub-topology %d) %s", t, d.topicSub[t], cause))
			continue
		}
		sub := d.topicSub[t]
		d.mu.Lock()
		d.subTasks[sub] = max(d.subTasks[sub], len(td.Partitions))
		d.mu.Unlock()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	wants := map[string]want{}
	if err := d.sizeInternalTopics(wants); err != nil {
		return err
	}
	// Changelog topics: one partition per task of the store's sub-topology.
	for _, s := range d.graph.Subtopologies {
		for _, name := range s.Stores {
			b := d.graph.Stores[name].Builder
			cfgs := changelog.KeyValueTopicConfig()
			if l, ok := b.(store.Logged); ok {
				if !l.LoggingEnabled() {
					continue
				}
				maps.Copy(cfgs, l.LogConfig())
			}
			if c, ok := b.(store.ChangelogConfigured); ok {
				cfgs = c.ChangelogTopicConfig()
			}
			wants[changelog.TopicName(d.cfg.applicationID, name)] = want{partitions: d.subTasks[s.ID], configs: cfgs, store: name}
		}
	}
	if len(wants) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(wants))
	existing, err := d.adm.ListTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("driver: listing changelog topics: %w", err)
	}
	for _, name := range names {
		w := wants[name]
		if td, ok := existing[name]; ok && td.Err == nil {
			if len(td.Partitions) != w.partitions {
				errs = append(errs, fmt.Errorf("%s has %d partitions, want %d (one per task)", w.describe(name), len(td.Partitions), w.partitions))
			}
			continue
		}
		cfgs := map[string]*string{}
		for k, v := range w.configs {
			cfgs[k] = kadm.StringPtr(v)
		}
		resp, err := d.adm.CreateTopic(ctx, int32(w.partitions), d.cfg.replication, cfgs, name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("creating %s: %w", w.describe(name), err))
			continue
		}
		d.cfg.logger.Info("tributary: created topic", "topic", name, "partitions", w.partitions, "what", w.describe(name))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	return d.waitTopicsReady(ctx, names, wants)
}

// waitTopicsReady waits until every partition of the new topics has a leader that answers
// offset requests (a broker may take a moment after CreateTopics).
func (d *Driver) waitTopicsReady(ctx context.Context, names []string, wants map[string]want) error {
	deadline := time.Now().Add(waitTimeout)
	for {
		ends, err := d.adm.ListEndOffsets(ctx, names...)
		missing := ""
		if err == nil {
			for _, name := range names {
				for p := range wants[name].partitions {
					if o, ok := ends.Lookup(name, int32(p)); !ok || o.Err != nil {
						missing = fmt.Sprintf("%s-%d", name, p)
					}
				}
			}
		}
		if err == nil && missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("partition %s has no leader", missing)
			}
			return fmt.Errorf("driver: waiting for changelog topics: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sizeInternalTopics works out the partition count of each internal topic — its own, or
// that of the sub-topology writing to it, as Kafka sizes repartition topics — and with it the
// task count of the sub-topologies reading it; it adds the topics to wants.
func (d *Driver) sizeInternalTopics(wants map[string]want) error {
	if len(d.graph.Internal) == 0 {
		return nil
	}
	// The sub-topologies' task counts from their external source topics alone, before any
	// internal topic is sized: an internal topic read beside external topics is sized to
	// match them (they must be co-partitioned), as Kafka's CopartitionedTopicsEnforcer sizes
	// the repartition topics of a join to the other input's partition count.
	d.mu.RLock()
	external := maps.Clone(d.subTasks)
	d.mu.RUnlock()
	counts := map[string]int{}
	var errs []error
	for name, it := range d.graph.Internal {
		sub, read := d.topicSub[name]
		if e := external[sub]; read && e > 0 {
			if it.Partitions != 0 && it.Partitions != e {
				errs = append(errs, fmt.Errorf("repartition topic %s has %d partitions, but sub-topology %d reads it beside source topics of %d partitions: they must be co-partitioned", name, it.Partitions, sub, e))
				continue
			}
			counts[name] = e
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	for range len(d.graph.Internal) + 1 {
		progress := false
		for name, it := range d.graph.Internal {
			if _, done := counts[name]; done {
				continue
			}
			n := it.Partitions
			if n == 0 {
				known := true
				for _, sub := range d.graph.Subtopologies {
					for _, node := range sub.Nodes {
						if node.Kind == engine.Sink && node.Topic == name {
							d.mu.RLock()
							tasks := d.subTasks[sub.ID]
							d.mu.RUnlock()
							if tasks == 0 {
								known = false
							}
							n = max(n, tasks)
						}
					}
				}
				if !known || n == 0 {
					continue
				}
			}
			counts[name] = n
			progress = true
			if sub, ok := d.topicSub[name]; ok {
				d.mu.Lock()
				d.subTasks[sub] = max(d.subTasks[sub], n)
				d.mu.Unlock()
			}
		}
		if !progress {
			break
		}
	}
	for name, it := range d.graph.Internal {
		n, ok := counts[name]
		if !ok {
			return fmt.Errorf("driver: cannot size internal topic %s: no sub-topology with known partitions writes to it", name)
		}
		cfgs := changelog.RepartitionTopicConfig()
		maps.Copy(cfgs, it.Config)
		wants[name] = want{partitions: n, configs: cfgs, kind: "internal topic"}
	}
	return nil
}

// want is a changelog topic to have.
type want struct {
	partitions int
	configs    map[string]string
	store      string // the store of a changelog
	kind       string // "internal topic", or "" for a changelog
}

// describe names the topic for messages.
func (w want) describe(name string) string {
	if w.kind != "" {
		return w.kind + " " + name
	}
	return "changelog topic " + name + " of store " + w.store
}

// registerTask makes a task visible to interactive queries; unregisterTask hides it.
func (d *Driver) registerTask(t *runTask) {
	d.mu.Lock()
	d.tasks[t.id] = t
	d.mu.Unlock()
}

func (d *Driver) unregisterTask(t *runTask) {
	d.mu.Lock()
	if d.tasks[t.id] == t {
		delete(d.tasks, t.id)
	}
	d.mu.Unlock()
}

// setHostTasks records the latest view of which endpoint hosts which active and standby
// task.
func (d *Driver) setHostTasks(m, standbys map[HostInfo][]processor.TaskID) {
	d.mu.Lock()
	d.hostTasks = m
	d.hostStandbys = standbys
	d.mu.Unlock()
}

// waitTimeout is how long shutdown and commits wait for the broker.
const waitTimeout = 30 * time.Second
