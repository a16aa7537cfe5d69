package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// worker is one consumer-group member (Kafka's StreamThread): a franz-go client that
// consumes its tasks' input and produces their output and changelogs, and the tasks, run one
// record at a time on the worker's goroutine.
type worker struct {
	d      *Driver
	id     int
	ctx    context.Context
	client *kgo.Client
	// prod is the client that produces: client itself under at-least-once; under
	// exactly-once a transactional producer of its own (Kafka's thread producer), which
	// can be replaced when fenced without leaving the group.
	prod  *kgo.Client
	asg   *assignor
	cache *changelog.Cache
	log   func(msg string, args ...any)

	// ready is false while the worker rebalances or restores.
	ready atomic.Bool

	// mu is held while the worker processes, and by the rebalance callbacks.
	mu      sync.Mutex
	tasks   map[processor.TaskID]*runTask
	byTP    map[engine.TopicPartition]*runTask
	raws    []engine.RawRecord
	stopped bool     // set by shutdown: no task is created afterwards
	topics  []string // the source topics, subscribed by join

	lastCommit time.Time
	partCounts sync.Map // topic -> int, partition counts for sinks
	rr         atomic.Uint32

	// prodErr is the first fatal produce error; changelogOffsets the last offset
	// acknowledged per changelog partition. Both are written by produce promises.
	pmu              sync.Mutex
	prodErr          error
	changelogOffsets map[changelog.TopicPartition]int64
	skippedProduce   atomic.Int64

	// Under exactly_once_v2: inTxn says whether the worker's transaction is open (guarded
	// by txnMu, as tasks commit in parallel); topicIDCache holds topic ids for
	// TxnOffsetCommit (used with w.mu held).
	txnMu        sync.Mutex
	inTxn        bool
	topicIDCache map[string][16]byte

	// Standby replicas (standby.go), all guarded by w.mu: the standby tasks, the changelog
	// partition each replays, the client that fetches them, and the probing rebalance.
	standbys        map[processor.TaskID]*runTask
	sbByTP          map[changelog.TopicPartition]*sbTarget
	sbClient        *kgo.Client
	sbBatch         []kv.Entry
	probeAt         time.Time
	lastProbe       time.Time
	lastWarmupCheck time.Time
	lastOwned       time.Time
	// amu guards the standby part of the assignment, from the assignor to onAssigned.
	amu         sync.Mutex
	nextStandby []processor.TaskID
	nextWarmup  []processor.TaskID
	nextProbe   time.Duration
	// posMu guards sbPos, the standbys' positions published for lag queries.
	posMu sync.Mutex
	sbPos map[changelog.TopicPartition]sbPosition
}

// errTaskMigrated says that the worker's group generation is gone, so its tasks may belong
// to another member already (Kafka's TaskMigratedException): they are dropped without
// commit and the client rejoins.
var errTaskMigrated = errors.New("tasks migrated to another member")

// migrated reports whether an offset-commit error means the member is no longer in the
// generation that assigned its tasks.
func migrated(err error) bool {
	return errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.UnknownMemberID) ||
		errors.Is(err, kerr.RebalanceInProgress) || errors.Is(err, kerr.FencedInstanceID)
}

// rejoinable reports whether err is a group-management error after which the client rejoins
// the group by itself: kgo has already revoked the partitions as lost (onLost dropped the
// tasks, as Kafka Streams does on a TaskMigratedException) and retries the join after a
// backoff, as Kafka's consumer does. That is the case when the cause is a network error or a
// timeout (a join held by the coordinator past the connection's deadline while a killed
// member's session runs out), a retriable broker error, or a membership error that asks for a
// new join; any other broker error (an authorization failure, an invalid group id, a fenced
// static member) stays fatal.
func rejoinable(err error) bool {
	var gs *kgo.ErrGroupSession
	if !errors.As(err, &gs) || gs.Err == nil {
		return false
	}
	var ke *kerr.Error
	if !errors.As(gs.Err, &ke) {
		return true
	}
	return ke.Retriable || errors.Is(ke, kerr.IllegalGeneration) || errors.Is(ke, kerr.UnknownMemberID) ||
		errors.Is(ke, kerr.RebalanceInProgress) || errors.Is(ke, kerr.MemberIDRequired) ||
		errors.Is(ke, kerr.FencedMemberEpoch) || errors.Is(ke, kerr.StaleMemberEpoch)
}

// runTask is a task as the worker runs it.
type runTask struct {
	id      processor.TaskID
	task    *engine.Task
	inputs  []engine.TopicPartition
	offsets map[engine.TopicPartition]kgo.EpochOffset // next offsets to commit
	dirty   bool
	logged  []loggedStore
	dir     string // the task directory: <state.dir>/<application.id>/<task id>
	cpPath  string // its checkpoint file, "" when the task has no persistent logged store
	// partTime is the highest timestamp seen per input partition, for the default extractor.
	partTime map[engine.TopicPartition]int64
	// dropped and processed are the parts of the task's counts already added to the
	// driver's.
	dropped, processed int64
	// suspended is set from a revocation until the task is assigned back (or closed): it is
	// committed and must not process, punctuate or write.
	suspended bool
	// Standby tasks only (standby.go): pos is the next changelog offset to replay per logged
	// store's partition, cpPos the sum of pos at the last checkpoint, warmup whether the
	// replica is a warmup. restoreFrom is set on a promoted standby: where its restoration
	// starts.
	pos         map[changelog.TopicPartition]int64
	cpPos       int64
	warmup      bool
	restoreFrom map[changelog.TopicPartition]int64
}

// syncMetrics adds what the task dropped and processed since the last call to the driver's
// counters.
func (t *runTask) syncMetrics(d *Driver) {
	if n := t.task.DroppedRecords(); n != t.dropped {
		d.dropped.Add(n - t.dropped)
		t.dropped = n
	}
	if n := t.task.ProcessedRecords(); n != t.processed {
		d.processed.Add(n - t.processed)
		t.processed = n
	}
}

// loggedStore is a store of a task backed by a changelog partition.
type loggedStore struct {
	name       string
	tp         changelog.TopicPartition
	raw        kv.Engine // the engine under the logging and cache layers, which restoration writes
	persistent bool
}

func newWorker(d *Driver, id int, ctx context.Context, cacheBytes int64) (*worker, error) {
	w := &worker{
		d: d, id: id, ctx: ctx,
		tasks: map[processor.TaskID]*runTask{}, byTP: map[engine.TopicPartition]*runTask{},
		cache:            changelog.NewCache(cacheBytes),
		changelogOffsets: map[changelog.TopicPartition]int64{},
		topicIDCache:     map[string][16]byte{},
		standbys:         map[processor.TaskID]*runTask{},
		sbByTP:           map[changelog.TopicPartition]*sbTarget{},
	}
	w.log = func(msg string, args ...any) {
		d.cfg.logger.Info(msg, append([]any{"application", d.cfg.applicationID, "worker", id}, args...)...)
	}
	var subs []assignorSubtopology
	for _, s := range d.graph.Subtopologies {
		subs = append(subs, assignorSubtopology{ID: s.ID, Topics: s.SourceTopics})
	}
	w.asg = newAssignor(subs, d.host, d.processID, d.assignorConfig(), func(info AssignmentInfo) {
		d.setHostTasks(info.HostTasks, info.HostStandbys)
		w.setNextAssignment(info)
	})
	topics := make([]string, 0, len(d.topicSub))
	for t := range d.topicSub {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	opts := append(slices.Clone(d.cfg.kgoOpts),
		kgo.SeedBrokers(d.cfg.bootstrap...),
		kgo.ConsumerGroup(d.cfg.applicationID),
		kgo.Balancers(w.asg),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(w.onAssigned),
		kgo.OnPartitionsRevoked(w.onRevoked),
		kgo.OnPartitionsLost(w.onLost),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.ClientID(fmt.Sprintf("%s-worker-%d", d.cfg.applicationID, id)),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	if d.cfg.guarantee == ExactlyOnceV2 {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("driver: worker %d: client: %w", id, err)
	}
	w.client, w.prod = cl, cl
	if d.cfg.guarantee == ExactlyOnceV2 {
		if w.prod, err = w.newProducer(ctx); err != nil {
			cl.Close()
			return nil, err
		}
	}
	w.topics = topics
	return w, nil
}

// join subscribes the worker's client to the source topics, which starts its group
// membership. The driver creates every worker's client first and then joins them together,
// so that an instance's workers usually join the same generation (brokers' initial
// rebalance delay is meant for this; kfake has none).
func (w *worker) join() { w.client.AddConsumeTopics(w.topics...) }

// run is the worker's loop: poll, process, punctuate, commit; then shut down.
func (w *worker) run() {
	w.lastCommit = time.Now()
	var fatal error
	for fatal == nil && w.ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(w.ctx, w.d.cfg.pollInterval)
		fetches := w.client.PollRecords(pctx, w.d.cfg.maxPollRecords)
		cancel()

		if fetches.IsClientClosed() {
			break
		}
		w.mu.Lock()
		fatal = w.fetchErrors(fetches)
		if fatal == nil {
			fatal = w.process(fetches)
		}
		if fatal == nil {
			fatal = w.updateStandbys()
		}
		if fatal == nil {
			fatal = w.punctuate()
		}
		if fatal == nil && w.commitDue() {
			fatal = w.commit()
		}
		if fatal == nil {
			fatal = w.maintainStandbys()
		}
		if fatal != nil && w.eos() && !errors.Is(fatal, errTaskMigrated) && fenced(fatal) {
			fatal = fmt.Errorf("worker %d: %w (%w)", w.id, errTaskMigrated, fatal)
		}
		if errors.Is(fatal, errTaskMigrated) {
			w.dropTasks(fatal)
			// Rejoin (Kafka's handleTaskMigrated re-subscribes): the group hands the
			// tasks out again, to this worker or another, which restores them.
			w.client.ForceRebalance()
			fatal = nil
		}
		w.mu.Unlock()
		w.client.AllowRebalance()
	}
	if fatal != nil {
		w.d.fail(fatal)
	}
	w.shutdown(fatal == nil && w.d.Err() == nil)
}

// fetchErrors logs fetch errors. The client retries what can be retried; an error it
// reports without a topic (the client cannot fetch at all, e.g. after it was fenced or
// closed) stops the worker, except a lost group session that the client rejoins by itself
// (see rejoinable).
func (w *worker) fetchErrors(f kgo.Fetches) error {
	var fatal error
	f.EachError(func(topic string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if rejoinable(err) {
			w.d.cfg.logger.Warn("tributary: group session lost; rejoining", "worker", w.id, "error", err)
			return
		}
		if topic == "" && fatal == nil && !errors.Is(err, kgo.ErrClientClosed) {
			fatal = fmt.Errorf("worker %d: fetching: %w", w.id, err)
			return
		}
		w.d.cfg.logger.Warn("tributary: fetch error", "topic", topic, "partition", p, "error", err)
	})
	return fatal
}

// process hands the fetched records to their tasks and processes them all.
func (w *worker) process(f kgo.Fetches) error {
	var err error
	f.EachPartition(func(p kgo.FetchTopicPartition) {
		if err != nil || len(p.Records) == 0 {
			return
		}
		tp := engine.TopicPartition{Topic: p.Topic, Partition: p.Partition}
		t := w.byTP[tp]
		if t == nil {
			return // revoked meanwhile: the records are fetched again by the new owner
		}
		raws := w.raws[:0]
		for _, r := range p.Records {
			raw := engine.RawRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli()}
			if len(r.Headers) > 0 {
				raw.Headers = make(processor.Headers, len(r.Headers))
				for i, h := range r.Headers {
					raw.Headers[i] = processor.Header{Key: h.Key, Value: h.Value}
				}
			}
			if w.d.cfg.timestamps != nil {
				pt, seen := t.partTime[tp]
				if !seen {
					pt = -1
				}
				ts, terr := w.d.cfg.timestamps(r, pt)
				if terr != nil {
					ts = -1
					w.d.cfg.logger.Warn("tributary: timestamp extractor failed", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "error", terr)
				}
				raw.Timestamp = ts
				t.partTime[tp] = max(pt, ts)
			}
			raws = append(raws, raw)
		}
		w.raws = raws
		last := p.Records[len(p.Records)-1]
		aerr := t.task.AddRecords(tp.Topic, tp.Partition, raws)
		t.syncMetrics(w.d)
		if aerr != nil {
			err = w.annotate(t, aerr)
			return
		}
		clear(raws)
		t.offsets[tp] = kgo.EpochOffset{Epoch: last.LeaderEpoch, Offset: last.Offset + 1}
		t.dirty = true
	})
	if err != nil {
		return err
	}
	for _, t := range w.tasks {
		if t.suspended {
			continue
		}
		for {
			ok, perr := t.task.Process()
			if perr != nil {
				return w.annotate(t, perr)
			}
			if !ok {
				break
			}
		}
		if _, perr := t.task.MaybePunctuateStreamTime(); perr != nil {
			return w.annotate(t, perr)
		}
		t.syncMetrics(w.d)
	}
	return w.produceErr()
}

// annotate attaches the task to an error that does not name it.
func (w *worker) annotate(t *runTask, err error) error {
	var pe *processor.ProcessingError
	var de *processor.DeserializationError
	if errors.As(err, &pe) || errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("task %s: %w", t.id, err)
}

func (w *worker) punctuate() error {
	for _, t := range w.tasks {
		if t.suspended {
			continue
		}
		if _, err := t.task.MaybePunctuateSystemTime(); err != nil {
			return w.annotate(t, err)
		}
	}
	return w.produceErr()
}

func (w *worker) commitDue() bool {
	if time.Since(w.lastCommit) >= w.d.cfg.commitInterval {
		return true
	}
	for _, t := range w.tasks {
		if !t.suspended && t.task.CommitRequested() {
			return true
		}
	}
	return false
}

// commit is the at-least-once commit: flush every task's stores and caches (which sends
// their changelog records), wait until every produced record is acknowledged, commit the
// consumer offsets, then write the checkpoint files. The caller holds w.mu.
func (w *worker) commit() error {
	if w.eos() {
		return w.commitEOS()
	}
	w.lastCommit = time.Now()
	tasks := w.activeTasks()
	if err := parallel(len(tasks), runtime.GOMAXPROCS(0), func(i int) error {
		if err := tasks[i].task.Commit(); err != nil {
			return w.annotate(tasks[i], err)
		}
		return nil
	}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := w.prod.Flush(ctx); err != nil {
		return fmt.Errorf("worker %d: waiting for produced records: %w", w.id, err)
	}
	if err := w.produceErr(); err != nil {
		return err
	}
	offsets := map[string]map[int32]kgo.EpochOffset{}
	for _, t := range tasks {
		if !t.dirty {
			continue
		}
		for tp, o := range t.offsets {
			if offsets[tp.Topic] == nil {
				offsets[tp.Topic] = map[int32]kgo.EpochOffset{}
			}
			offsets[tp.Topic][tp.Partition] = o
		}
	}
	if len(offsets) > 0 {
		var cerr error
		w.client.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsgOffsetCommitRequest, resp *kmsgOffsetCommitResponse, err error) {
			if err != nil {
				cerr = err
				return
			}
			cerr = commitResponseErr(resp)
		})
		if cerr != nil {
			if migrated(cerr) {
				return fmt.Errorf("worker %d: committing offsets: %w (%w)", w.id, errTaskMigrated, cerr)
			}
			return fmt.Errorf("worker %d: committing offsets: %w", w.id, cerr)
		}
	}
	for _, t := range tasks {
		t.dirty = false
	}
	return parallel(len(tasks), runtime.GOMAXPROCS(0), func(i int) error { return w.checkpoint(tasks[i]) })
}

// activeTasks returns the worker's tasks that are not suspended; the caller holds w.mu.
func (w *worker) activeTasks() []*runTask {
	out := make([]*runTask, 0, len(w.tasks))
	for _, t := range w.tasks {
		if !t.suspended {
			out = append(out, t)
		}
	}
	return out
}

// taskList returns the worker's tasks in a slice; the caller holds w.mu.
func (w *worker) taskList() []*runTask {
	out := make([]*runTask, 0, len(w.tasks))
	for _, t := range w.tasks {
		out = append(out, t)
	}
	return out
}

// parallel runs fn(0..n-1) on up to width goroutines (inline when n is 1) and returns the
// errors joined: for per-task work that waits on the disk (opening, flushing and closing
// stores, checkpoint files), never for per-record work.
func parallel(n, width int, fn func(i int) error) error {
	if n <= 1 {
		if n == 1 {
			return fn(0)
		}
		return nil
	}
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, width) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkpoint writes the task's checkpoint file: the last changelog offset of each logged
// persistent store. The caller holds w.mu.
func (w *worker) checkpoint(t *runTask) error {
	if t.cpPath == "" {
		return nil
	}
	cp := changelog.Checkpoint{}
	w.pmu.Lock()
	for _, ls := range t.logged {
		if !ls.persistent {
			continue
		}
		if off, ok := w.changelogOffsets[ls.tp]; ok {
			cp[ls.tp] = off
		}
	}
	w.pmu.Unlock()
	if err := changelog.WriteCheckpoint(t.cpPath, cp); err != nil {
		return fmt.Errorf("task %s: writing checkpoint: %w", t.id, err)
	}
	return nil
}

func (w *worker) produceErr() error {
	w.pmu.Lock()
	defer w.pmu.Unlock()
	return w.prodErr
}

func (w *worker) setProduceErr(err error) {
	w.pmu.Lock()
	if w.prodErr == nil {
		w.prodErr = err
	}
	w.pmu.Unlock()
}

// Send implements engine.Collector: a sink's record, produced asynchronously. Its failure
// goes to the production handler.
func (w *worker) Send(r engine.OutRecord) error {
	if err := w.produceErr(); err != nil {
		return err
	}
	p := r.Partition
	if p < 0 {
		n, err := w.PartitionCount(r.Topic)
		if err != nil {
			return err
		}
		if r.Key == nil {
			p = int32(w.rr.Add(1) % uint32(n))
		} else {
			p = keyPartition(r.Key, n)
		}
	}
	if err := w.beginTxn(); err != nil {
		return err
	}
	buf := make([]byte, len(r.Key)+len(r.Value))
	rec := &kgo.Record{Topic: r.Topic, Partition: p, Timestamp: time.UnixMilli(r.Timestamp)}
	if r.Key != nil {
		rec.Key = buf[:len(r.Key):len(r.Key)]
		copy(rec.Key, r.Key)
	}
	if !r.Tombstone {
		rec.Value = buf[len(r.Key):]
		copy(rec.Value, r.Value)
	}
	if len(r.Headers) > 0 {
		rec.Headers = make([]kgo.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			rec.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	w.prod.Produce(context.Background(), rec, w.sinkPromise)
	return nil
}

func (w *worker) sinkPromise(r *kgo.Record, err error) {
	if err == nil {
		return
	}
	pe := &ProductionError{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Err: err}
	if h := w.d.cfg.onProduction; h != nil && h(pe) == processor.Continue {
		w.skippedProduce.Add(1)
		w.d.cfg.logger.Warn("tributary: dropping record that could not be produced", "topic", r.Topic, "partition", r.Partition, "error", err)
		return
	}
	w.setProduceErr(pe)
}

// CopiesRecords marks the worker as an engine.CopyingCollector: Send copies the key and value
// into the produced record before it returns, so sinks may hand it views of their bytes.
func (w *worker) CopiesRecords() {}

// PartitionCount implements engine.Collector.
func (w *worker) PartitionCount(topic string) (int, error) {
	if n, ok := w.partCounts.Load(topic); ok {
		return n.(int), nil
	}
	ctx, cancel := context.WithTimeout(w.ctx, waitTimeout)
	defer cancel()
	details, err := w.d.adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("partition count of %s: %w", topic, err)
	}
	td, ok := details[topic]
	if !ok || td.Err != nil || len(td.Partitions) == 0 {
		return 0, fmt.Errorf("sink topic %s does not exist", topic)
	}
	w.partCounts.Store(topic, len(td.Partitions))
	return len(td.Partitions), nil
}

// sendChangelog produces a changelog record to its explicit partition; failures are fatal.
func (w *worker) sendChangelog(r changelog.Record) error {
	if err := w.produceErr(); err != nil {
		return err
	}
	if err := w.beginTxn(); err != nil {
		return err
	}
	buf := make([]byte, len(r.Key)+len(r.Value))
	rec := &kgo.Record{Topic: r.Topic, Partition: r.Partition, Timestamp: time.UnixMilli(r.Timestamp)}
	rec.Key = buf[:len(r.Key):len(r.Key)]
	copy(rec.Key, r.Key)
	if r.Value != nil {
		rec.Value = buf[len(r.Key):]
		copy(rec.Value, r.Value)
	}
	w.prod.Produce(context.Background(), rec, w.changelogPromise)
	return nil
}

func (w *worker) changelogPromise(r *kgo.Record, err error) {
	if err != nil {
		w.setProduceErr(fmt.Errorf("producing to changelog %s-%d: %w", r.Topic, r.Partition, err))
		return
	}
	tp := changelog.TopicPartition{Topic: r.Topic, Partition: r.Partition}
	w.pmu.Lock()
	if o, ok := w.changelogOffsets[tp]; !ok || r.Offset > o {
		w.changelogOffsets[tp] = r.Offset
	}
	w.pmu.Unlock()
}

// onRevoked (eager rebalancing: every partition) commits every task and suspends it: its
// stores stay open, so that a task assigned back needs no restoration.
func (w *worker) onRevoked(_ context.Context, _ *kgo.Client, _ map[string][]int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ready.Store(false)
	w.d.updateRunning()
	if len(w.tasks) == 0 || w.d.Err() != nil {
		return
	}
	err := w.commit()
	switch {
	case errors.Is(err, errTaskMigrated):
		w.dropTasks(err)
		return
	case err != nil:
		w.d.fail(err)
		return
	}
	for _, t := range w.tasks {
		t.suspended = true
	}
	clear(w.byTP)
	w.reportOwned() // fresh offset sums for the join
}

// onLost drops every task without committing (the session was lost: another member may own
// them already).
func (w *worker) onLost(_ context.Context, _ *kgo.Client, _ map[string][]int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ready.Store(false)
	w.d.updateRunning()
	w.dropTasks(errors.New("group session lost"))
}

// dropTasks closes every task without committing, when the worker no longer owns them
// (Kafka's TaskMigratedException: close dirty and rejoin). It first waits, for a while, for
// the records in flight, so that no late acknowledgement moves the changelog offsets of a
// task this worker may own again later. The caller holds w.mu.
func (w *worker) dropTasks(why error) {
	if len(w.tasks) == 0 {
		return
	}
	w.log("tributary: dropping tasks without commit", "tasks", len(w.tasks), "why", why.Error())
	if w.eos() {
		// Their records are aborted; their stores, without a checkpoint file, are wiped
		// and restored when the tasks are created again.
		w.abortTxn()
	} else {
		w.flushFor(10 * time.Second)
	}
	w.releaseAll(false)
	// A fatal produce error of the dropped tasks is theirs: the new owner redoes the work.
	w.pmu.Lock()
	w.prodErr = nil
	w.pmu.Unlock()
	// The rejoin must not claim the dropped tasks (they would stay here, to be restored,
	// rather than go to a caught-up standby).
	w.reportOwned()
}

// flushFor waits up to d for the produced records in flight.
func (w *worker) flushFor(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_ = w.prod.Flush(ctx)
}

// releaseAll releases every task in parallel (checkpointing the active ones when clean;
// suspended ones were checkpointed when revoked) and forgets them. The caller holds w.mu.
func (w *worker) releaseAll(clean bool) {
	tasks := w.taskList()
	_ = parallel(len(tasks), runtime.GOMAXPROCS(0), func(i int) error {
		// Under exactly-once a suspended task's checkpoint is only written now.
		w.releaseTask(tasks[i], clean && (!tasks[i].suspended || w.eos()))
		return nil
	})
	clear(w.tasks)
	clear(w.byTP)
}

// onAssigned creates the newly assigned tasks (restoring their stores), resumes the
// suspended ones assigned back and closes the others.
func (w *worker) onAssigned(clientCtx context.Context, _ *kgo.Client, assigned map[string][]int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || w.ctx.Err() != nil {
		return // shutting down: the group is being left
	}
	// Restoration stops when the worker is asked to stop, not only when its client closes.
	ctx, cancel := context.WithCancel(clientCtx)
	defer cancel()
	defer context.AfterFunc(w.ctx, cancel)()
	fail := func(err error) {
		if w.ctx.Err() == nil {
			w.d.fail(err)
		}
	}
	want := map[processor.TaskID][]engine.TopicPartition{}
	for topic, parts := range assigned {
		sub, ok := w.d.topicSub[topic]
		if !ok {
			continue
		}
		for _, p := range parts {
			id := processor.TaskID{Subtopology: sub, Partition: p}
			want[id] = append(want[id], engine.TopicPartition{Topic: topic, Partition: p})
		}
	}
	for id, t := range w.tasks {
		if _, ok := want[id]; !ok {
			w.closeTask(t, true)
			delete(w.tasks, id)
		}
	}
	standby, warmup, probe := w.takeNextAssignment()
	// Standbys this worker no longer has are closed first, as the actives above: a sibling
	// worker of this instance may be waiting for their directories.
	for id, t := range w.standbys {
		if _, active := want[id]; !active && !slices.Contains(standby, id) {
			w.closeStandby(t, true)
			delete(w.standbys, id)
		}
	}
	// A standby assigned active here is promoted: it restores only the tail of its changelogs.
	var promoted []*runTask
	for id := range want {
		if _, ok := w.tasks[id]; !ok && w.standbys[id] != nil {
			t, err := w.promote(id)
			if err != nil {
				for _, p := range append(promoted, t) {
					w.releaseTask(p, false)
				}
				fail(err)
				return
			}
			promoted = append(promoted, t)
		}
	}
	// New tasks open their stores in parallel: opening a RocksDB store takes milliseconds.
	var newIDs []processor.TaskID
	for id := range want {
		if _, ok := w.tasks[id]; !ok && !slices.ContainsFunc(promoted, func(t *runTask) bool { return t.id == id }) {
			newIDs = append(newIDs, id)
		}
	}
	created := make([]*runTask, len(newIDs))
	if err := parallel(len(newIDs), 2*runtime.GOMAXPROCS(0), func(i int) (err error) {
		created[i], err = w.newTask(ctx, newIDs[i])
		return err
	}); err != nil {
		for _, t := range append(created, promoted...) {
			if t != nil {
				w.closeTask(t, false)
			}
		}
		fail(err)
		return
	}
	created = append(created, promoted...)
	for _, t := range created {
		w.tasks[t.id] = t
	}
	for id, tps := range want {
		t := w.tasks[id]
		t.suspended = false
		t.inputs = tps
		for _, tp := range tps {
			w.byTP[tp] = t
		}
	}
	err := w.restore(ctx, created)
	if errors.Is(err, changelog.ErrOffsetOutOfRange) {
		// A checkpoint points before the changelog's log start (records deleted or
		// compacted away) or past its end: Kafka treats the task as corrupted. Wipe the
		// new tasks and restore them in full.
		w.d.cfg.logger.Warn("tributary: checkpoint out of the changelog's range, wiping and restoring in full", "error", err)
		for i, t := range created {
			// Without its checkpoint the task's logged state is wiped when it is created
			// again (newTask); the file goes while the task still holds its directory.
			if t.cpPath != "" {
				if rerr := os.Remove(t.cpPath); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
					fail(fmt.Errorf("task %s: removing checkpoint: %w", t.id, rerr))
					return
				}
			}
			w.closeTask(t, false)
			delete(w.tasks, t.id)
			nt, nerr := w.newTask(ctx, t.id)
			if nerr != nil {
				fail(nerr)
				return
			}
			nt.inputs = t.inputs
			for _, tp := range nt.inputs {
				w.byTP[tp] = nt
			}
			w.tasks[nt.id] = nt
			created[i] = nt
		}
		err = w.restore(ctx, created)
	}
	if err != nil {
		fail(err)
		return
	}
	for _, t := range w.tasks {
		w.d.registerTask(t)
	}
	if err := w.syncStandbys(ctx, standby, warmup); err != nil {
		fail(err)
		return
	}
	w.probeAt = time.Time{}
	if probe > 0 && slices.ContainsFunc(warmup, func(id processor.TaskID) bool { return w.standbys[id] != nil }) {
		w.probeAt = time.Now().Add(probe)
	}
	w.reportOwned()
	w.log("tributary: tasks assigned", "tasks", len(w.tasks), "new", len(created)-len(promoted), "promoted", len(promoted))
	w.ready.Store(true)
	w.d.updateRunning()
}

// newTask creates an active task: its state directory (wiped when its checkpoint is missing
// or corrupt), its stores with the changelog and cache layers, and its processors.
func (w *worker) newTask(ctx context.Context, id processor.TaskID) (*runTask, error) {
	return w.newTaskAs(ctx, id, false)
}

// newTaskAs creates an active task, or a standby task: a standby keeps its checkpoint under
// exactly-once (it only ever holds committed records) and is never initialized.
func (w *worker) newTaskAs(ctx context.Context, id processor.TaskID, standby bool) (rt *runTask, err error) {
	d := w.d
	sub := d.subs[id.Subtopology]
	t := &runTask{
		id: id, offsets: map[engine.TopicPartition]kgo.EpochOffset{},
		partTime: map[engine.TopicPartition]int64{},
		dir:      filepath.Join(d.cfg.stateDir, d.cfg.applicationID, id.String()),
	}
	if err := d.acquireDir(ctx, t.dir); err != nil {
		return nil, fmt.Errorf("task %s: %w", id, err)
	}
	defer func() {
		if err != nil {
			d.releaseDir(t.dir)
		}
	}()
	// Only persistent logged stores have checkpoints: without one their files cannot be
	// trusted, so the task's directory is wiped and they are restored in full. (A persistent
	// store without logging is its own truth and is never wiped.)
	persistent, unloggedPersistent := false, false
	for _, name := range sub.Stores {
		b := d.graph.Stores[name].Builder
		logged := true
		if l, ok := b.(store.Logged); ok {
			logged = l.LoggingEnabled()
		}
		if b.Persistent() && logged {
			persistent = true
		}
		if b.Persistent() && !logged {
			unloggedPersistent = true
		}
	}
	var cp changelog.Checkpoint
	clearLogged := false // empty the logged persistent stores before restoring them in full
	if persistent {
		t.cpPath = filepath.Join(t.dir, changelog.CheckpointFile)
		_, statErr := os.Stat(t.cpPath)
		var err error
		cp, err = changelog.ReadCheckpoint(t.cpPath)
		if err != nil || statErr != nil {
			if err != nil {
				d.cfg.logger.Warn("tributary: corrupt checkpoint, wiping the task's logged state for a full restore", "task", id.String(), "error", err)
			}
			cp = nil
			if unloggedPersistent {
				clearLogged = true // the unlogged stores' files are their only copy
			} else if rerr := os.RemoveAll(t.dir); rerr != nil {
				return nil, fmt.Errorf("task %s: wiping state directory: %w", id, rerr)
			}
		} else if w.eos() && !standby {
			// Under exactly-once no checkpoint exists while the task runs (Kafka's
			// ProcessorStateManager deletes it once read): if the instance crashes, the
			// stores may hold uncommitted writes, and the missing checkpoint gets them wiped
			// and restored from the changelog's committed records on the next start.
			if rerr := os.Remove(t.cpPath); rerr != nil {
				return nil, fmt.Errorf("task %s: removing checkpoint: %w", id, rerr)
			}
		}
	}
	var et *engine.Task
	rctx := func() changelog.RecordContext {
		if et == nil {
			return changelog.RecordContext{Offset: -1}
		}
		return et.RecordContext()
	}
	open := func(_ *engine.Task, b store.Builder, dir string) (store.StateStore, error) {
		wb, ok := b.(kv.Wrappable)
		if !ok {
			return b.Build(dir)
		}
		logging, caching := true, false
		if l, ok := b.(store.Logged); ok {
			logging, caching = l.LoggingEnabled(), l.CachingEnabled()
		}
		return wb.BuildWith(dir, func(e kv.Engine) (kv.Engine, error) {
			out := e
			if logging && clearLogged && b.Persistent() {
				if err := clearEngine(e); err != nil {
					return nil, fmt.Errorf("task %s: emptying store %s for a full restore: %w", id, b.Name(), err)
				}
			}
			if logging {
				tp := changelog.TopicPartition{Topic: changelog.TopicName(d.cfg.applicationID, b.Name()), Partition: id.Partition}
				t.logged = append(t.logged, loggedStore{name: b.Name(), tp: tp, raw: e, persistent: b.Persistent()})
				// What this worker knew of the changelog from an earlier ownership of the
				// task is stale: the checkpoint alone says where the store's files are.
				w.pmu.Lock()
				delete(w.changelogOffsets, tp)
				if off, ok := cp[tp]; ok && b.Persistent() {
					w.changelogOffsets[tp] = off
				}
				w.pmu.Unlock()
				out = changelog.NewLoggedEngine(out, tp.Topic, tp.Partition, changelog.SenderFunc(w.sendChangelog), rctx)
			}
			if caching {
				out = changelog.NewCachedEngine(out, w.cache, rctx)
			}
			return out, nil
		})
	}
	et, err = engine.NewTask(d.graph, sub, id.Partition, engine.Config{
		ApplicationID:          d.cfg.applicationID,
		StateDir:               d.cfg.stateDir,
		Collector:              w,
		OnDeserializationError: w.deserializationHandler(),
		OnProcessingError:      d.cfg.onProcessing,
		GlobalStores:           d.globalStores,
		OpenStore:              open,
	})
	if err != nil {
		return nil, err
	}
	t.task = et
	return t, nil
}

// clearEngine deletes every key of e, in batches.
func clearEngine(e kv.Engine) error {
	for {
		c, err := e.Range(nil, nil, false)
		if err != nil {
			return err
		}
		var batch []kv.Entry
		for len(batch) < 1000 && c.Next() {
			batch = append(batch, kv.Entry{Key: bytes.Clone(c.Key()), Delete: true})
		}
		if err := c.Close(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if err := e.Write(batch); err != nil {
			return err
		}
	}
}

// restore restores the logged stores of the new tasks from their changelogs: persistent
// stores from their checkpoint, the others from the beginning. Then it initializes the tasks.
func (w *worker) restore(ctx context.Context, tasks []*runTask) error {
	var targets []changelog.RestoreTarget
	for _, t := range tasks {
		for _, ls := range t.logged {
			from := int64(0)
			if pos, ok := t.restoreFrom[ls.tp]; ok {
				from = pos // a promoted standby: only the tail
			} else if ls.persistent {
				w.pmu.Lock()
				if off, ok := w.changelogOffsets[ls.tp]; ok {
					from = off + 1
				}
				w.pmu.Unlock()
			}
			targets = append(targets, changelog.RestoreTarget{Store: ls.name, TopicPartition: ls.tp, Engine: ls.raw, From: from})
		}
	}
	if len(targets) > 0 {
		ropts := append(slices.Clone(w.d.cfg.kgoOpts), kgo.SeedBrokers(w.d.cfg.bootstrap...),
			kgo.ClientID(fmt.Sprintf("%s-worker-%d-restore", w.d.cfg.applicationID, w.id)))
		if w.eos() {
			// Only committed changelog records are restored; the restorer stops at the
			// last stable offset.
			ropts = append(ropts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		}
		rcl, err := kgo.NewClient(ropts...)
		if err != nil {
			return fmt.Errorf("worker %d: restore client: %w", w.id, err)
		}
		defer rcl.Close()
		opts := []changelog.RestoreOption{changelog.Logger(w.d.cfg.logger)}
		if w.d.cfg.restoreBuffer >= 0 {
			opts = append(opts, changelog.RestoreBufferBytes(w.d.cfg.restoreBuffer))
		}
		if w.d.cfg.restoreListener != nil {
			opts = append(opts, changelog.Listener(w.d.cfg.restoreListener))
		}
		next, err := changelog.NewRestorer(rcl, w.d.adm, opts...).Restore(ctx, targets)
		if err != nil {
			return fmt.Errorf("worker %d: restoring: %w", w.id, err)
		}
		w.pmu.Lock()
		for tp, n := range next {
			if n > 0 {
				w.changelogOffsets[tp] = max(w.changelogOffsets[tp], n-1)
			}
		}
		w.pmu.Unlock()
	}
	for _, t := range tasks {
		t.restoreFrom = nil
		if err := t.task.Init(); err != nil {
			return err
		}
	}
	return nil
}

// closeTask closes a task; clean means it was committed, so its checkpoint is written.
func (w *worker) closeTask(t *runTask, clean bool) {
	w.releaseTask(t, clean)
	for _, tp := range t.inputs {
		if w.byTP[tp] == t {
			delete(w.byTP, tp)
		}
	}
}

// releaseTask hides a task from queries, writes its checkpoint when clean, closes it and
// gives its directory back; it touches none of the worker's maps, so tasks can be released
// in parallel.
func (w *worker) releaseTask(t *runTask, clean bool) {
	w.d.unregisterTask(t)
	if clean {
		if err := w.checkpoint(t); err != nil {
			w.d.cfg.logger.Warn("tributary: closing task", "task", t.id.String(), "error", err)
		}
	}
	if err := t.task.Close(); err != nil {
		w.d.cfg.logger.Warn("tributary: closing task", "task", t.id.String(), "error", err)
	}
	w.d.releaseDir(t.dir)
}

// shutdown commits (when clean), closes every task and leaves the group.
func (w *worker) shutdown(clean bool) {
	w.mu.Lock()
	w.stopped = true
	if w.d.crashed.Load() {
		// A simulated crash (tests): no commit, no abort, no checkpoint.
		w.releaseAll(false)
		w.closeStandbys(false)
		w.mu.Unlock()
		w.ready.Store(false)
		w.closeClients()
		return
	}
	if clean && len(w.tasks) > 0 {
		if err := w.commit(); err != nil {
			w.d.fail(err)
			clean = false
		}
	}
	if !clean {
		if w.eos() {
			w.abortTxn()
		} else {
			// Deliver what was already sent (dead-letter records above all) before leaving.
			w.flushFor(5 * time.Second)
		}
	}
	w.releaseAll(clean)
	w.closeStandbys(true)
	w.mu.Unlock()
	w.ready.Store(false)
	w.closeClients()
}
