package driver

// Standby replicas (Kafka Streams' StandbyTask and num.standby.replicas, KIP-441 warmups).
//
// A standby task is a task whose stores are open but whose processors are not: the worker
// keeps replaying the changelog partitions of its stores into them, through a second,
// group-less kgo client that consumes those partitions directly (read_committed under
// exactly-once, so a standby never holds uncommitted writes). The worker's loop drains that
// client without waiting, between the records of its active tasks, so no goroutine per task
// or per record is needed and a standby is never written by two goroutines.
//
// When the assignment makes a standby active on the same worker, the task is promoted: its
// stores stay open and only the changelog records past the standby's position are restored
// (the tail). An active task that becomes a standby is committed, closed cleanly (its
// checkpoint written) and reopened as a standby, which reads on from the checkpoint.
//
// Standby checkpoints are written when a standby has replayed 10,000 records since its last
// one (Kafka's StateManagerUtil OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT) and when it closes.
// The assignor reads them (and the checkpoints of task directories no worker holds) to
// compute every instance's lag per task: a task goes to an instance that is caught up, and an
// instance meant to take a task it is far behind on gets a warmup replica first; the worker
// holding warmups triggers a rebalance once they have caught up (or after the probing
// interval).

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// standbyCheckpointDelta is how many changelog records a standby replays between two
// checkpoints (Kafka's OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT).
const standbyCheckpointDelta = 10_000

// ownedRefresh is how often a worker recomputes the task offset sums it reports to the group.
const ownedRefresh = 2 * time.Second

// sbTarget is one changelog partition a standby replays.
type sbTarget struct {
	task  *runTask
	store string
	raw   kv.Engine
}

// LagInfo is how far a local store replica is behind its changelog (Kafka's LagInfo,
// KIP-535).
type LagInfo struct {
	// CurrentOffsetPosition is the next changelog offset the replica will apply; for a
	// running active task it is the end offset.
	CurrentOffsetPosition int64
	// EndOffsetPosition is the changelog partition's end offset.
	EndOffsetPosition int64
	// OffsetLag is EndOffsetPosition - CurrentOffsetPosition, never negative. Under
	// exactly-once a caught-up standby reads 1: its position stops before the changelog's
	// last commit marker, which a read_committed consumer never sees as a record.
	OffsetLag int64
}

// setNextAssignment keeps the standby part of the assignment the group just gave the worker;
// onAssigned applies it.
func (w *worker) setNextAssignment(info AssignmentInfo) {
	w.amu.Lock()
	w.nextStandby = slices.Clone(info.Standby)
	w.nextWarmup = slices.Clone(info.Warmup)
	w.nextProbe = info.ProbeAfter
	w.amu.Unlock()
}

func (w *worker) takeNextAssignment() (standby, warmup []processor.TaskID, probe time.Duration) {
	w.amu.Lock()
	defer w.amu.Unlock()
	standby, warmup, probe = w.nextStandby, w.nextWarmup, w.nextProbe
	w.nextStandby, w.nextWarmup, w.nextProbe = nil, nil, 0
	return standby, warmup, probe
}

// promote turns the worker's standby id into an active task: it stops replaying it and sets
// it to restore only the changelog records after its position. The caller holds w.mu and
// restores and initializes the task next (or releases it on an error).
func (w *worker) promote(id processor.TaskID) (*runTask, error) {
	t := w.standbys[id]
	w.stopStandby(t)
	delete(w.standbys, id)
	w.d.unregisterStandby(t)
	t.restoreFrom = map[changelog.TopicPartition]int64{}
	w.pmu.Lock()
	for _, ls := range t.logged {
		pos := t.pos[ls.tp]
		t.restoreFrom[ls.tp] = pos
		delete(w.changelogOffsets, ls.tp)
		if pos > 0 {
			w.changelogOffsets[ls.tp] = pos - 1
		}
	}
	w.pmu.Unlock()
	t.pos = nil
	if w.eos() && t.cpPath != "" {
		// An active task under exactly-once runs without a checkpoint (see newTask).
		if err := os.Remove(t.cpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return t, fmt.Errorf("task %s: removing checkpoint on promotion: %w", id, err)
		}
	}
	w.log("tributary: standby promoted to active", "task", id.String())
	return t, nil
}

// syncStandbys makes the worker's standby tasks those of ids (minus any it runs active):
// it closes the standbys it no longer has, opens the new ones and starts replaying them from
// their checkpoints. The caller holds w.mu.
func (w *worker) syncStandbys(ctx context.Context, ids, warmups []processor.TaskID) error {
	want := map[processor.TaskID]bool{}
	for _, id := range ids {
		if _, active := w.tasks[id]; !active && w.d.subs[id.Subtopology] != nil {
			want[id] = true
		}
	}
	for id, t := range w.standbys {
		if !want[id] {
			w.closeStandby(t, true)
			delete(w.standbys, id)
		}
	}
	var newIDs []processor.TaskID
	for id := range want {
		if _, ok := w.standbys[id]; !ok {
			newIDs = append(newIDs, id)
		}
	}
	slices.SortFunc(newIDs, asgCompareTasks)
	created := make([]*runTask, len(newIDs))
	if err := parallel(len(newIDs), 2*runtime.GOMAXPROCS(0), func(i int) (err error) {
		created[i], err = w.newTaskAs(ctx, newIDs[i], true)
		return err
	}); err != nil {
		for _, t := range created {
			if t != nil {
				w.releaseTask(t, false)
			}
		}
		return err
	}
	if len(created) > 0 {
		if err := w.ensureStandbyClient(); err != nil {
			for _, t := range created {
				w.releaseTask(t, false)
			}
			return err
		}
	}
	for _, t := range created {
		w.startStandby(t)
	}
	w.setPositions()
	for _, t := range w.standbys {
		t.warmup = false
	}
	for _, id := range warmups {
		if t := w.standbys[id]; t != nil {
			t.warmup = true
		}
	}
	if len(created) > 0 || len(ids) > 0 {
		w.log("tributary: standby tasks assigned", "standbys", len(w.standbys), "new", len(created), "warmups", len(warmups))
	}
	return nil
}

// standbyOffset is where a standby's replay starts: its position, or the log start when it
// has none (a changelog's first offset need not be 0: compacted-and-deleted window
// changelogs, deleted records).
func standbyOffset(pos int64) kgo.Offset {
	if pos <= 0 {
		return kgo.NewOffset().AtStart()
	}
	return kgo.NewOffset().At(pos)
}

// startStandby makes the newly opened t one of the worker's standbys: its positions are its
// checkpoint's (the changelog offsets newTaskAs read), and its changelog partitions are added
// to the standby client from there. The caller holds w.mu and calls setPositions.
func (w *worker) startStandby(t *runTask) {
	t.pos = map[changelog.TopicPartition]int64{}
	add := map[string]map[int32]kgo.Offset{}
	w.pmu.Lock()
	for _, ls := range t.logged {
		pos := int64(0)
		if off, ok := w.changelogOffsets[ls.tp]; ok && ls.persistent {
			pos = off + 1
		}
		delete(w.changelogOffsets, ls.tp) // an active owner's figure; a standby has pos
		t.pos[ls.tp] = pos
		w.sbByTP[ls.tp] = &sbTarget{task: t, store: ls.name, raw: ls.raw}
		if add[ls.tp.Topic] == nil {
			add[ls.tp.Topic] = map[int32]kgo.Offset{}
		}
		add[ls.tp.Topic][ls.tp.Partition] = standbyOffset(pos)
	}
	w.pmu.Unlock()
	t.cpPos = sumPos(t.pos)
	w.standbys[t.id] = t
	w.d.registerStandby(t)
	if len(add) > 0 {
		w.sbClient.AddConsumePartitions(add)
	}
}

func sumPos(pos map[changelog.TopicPartition]int64) int64 {
	var n int64
	for _, p := range pos {
		n += p
	}
	return n
}

// ensureStandbyClient creates the worker's standby client on first use: a direct consumer
// of changelog partitions (no group), reading committed records only under exactly-once.
func (w *worker) ensureStandbyClient() error {
	if w.sbClient != nil {
		return nil
	}
	opts := append(slices.Clone(w.d.cfg.kgoOpts), kgo.SeedBrokers(w.d.cfg.bootstrap...),
		kgo.ClientID(fmt.Sprintf("%s-worker-%d-standby", w.d.cfg.applicationID, w.id)),
		// No reset: a position outside the changelog (a checkpoint past its end, records
		// deleted before it) is reported, and the standby is wiped and replayed in full, as
		// Kafka treats a corrupted task (updateStandbys).
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		kgo.FetchMaxWait(w.d.cfg.pollInterval*5))
	if w.eos() {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("worker %d: standby client: %w", w.id, err)
	}
	w.sbClient = cl
	return nil
}

// stopStandby stops replaying t's changelog partitions. The caller holds w.mu.
func (w *worker) stopStandby(t *runTask) {
	rm := map[string][]int32{}
	for _, ls := range t.logged {
		if w.sbByTP[ls.tp] != nil && w.sbByTP[ls.tp].task == t {
			delete(w.sbByTP, ls.tp)
			rm[ls.tp.Topic] = append(rm[ls.tp.Topic], ls.tp.Partition)
		}
	}
	if w.sbClient != nil && len(rm) > 0 {
		w.sbClient.RemoveConsumePartitions(rm)
	}
	w.setPositions()
}

// closeStandby stops replaying a standby and closes it, writing its checkpoint first when
// clean. The caller holds w.mu and removes it from w.standbys.
func (w *worker) closeStandby(t *runTask, clean bool) {
	w.stopStandby(t)
	w.d.unregisterStandby(t)
	if clean {
		if err := w.checkpointStandby(t); err != nil {
			w.d.cfg.logger.Warn("tributary: closing standby task", "task", t.id.String(), "error", err)
		}
	}
	if err := t.task.Close(); err != nil {
		w.d.cfg.logger.Warn("tributary: closing standby task", "task", t.id.String(), "error", err)
	}
	w.d.releaseDir(t.dir)
}

// closeStandbys closes every standby (at shutdown). The caller holds w.mu.
func (w *worker) closeStandbys(clean bool) {
	for id, t := range w.standbys {
		w.closeStandby(t, clean)
		delete(w.standbys, id)
	}
	if w.sbClient != nil {
		w.sbClient.Close()
		w.sbClient = nil
	}
}

// checkpointStandby flushes a standby's persistent stores and writes its checkpoint: the
// last changelog offset replayed into each.
func (w *worker) checkpointStandby(t *runTask) error {
	if t.cpPath == "" {
		return nil
	}
	cp := changelog.Checkpoint{}
	for _, ls := range t.logged {
		if !ls.persistent {
			continue
		}
		if err := ls.raw.Flush(); err != nil {
			return fmt.Errorf("task %s: flushing standby store %s: %w", t.id, ls.name, err)
		}
		if pos := t.pos[ls.tp]; pos > 0 {
			cp[ls.tp] = pos - 1
		}
	}
	if err := changelog.WriteCheckpoint(t.cpPath, cp); err != nil {
		return fmt.Errorf("task %s: writing standby checkpoint: %w", t.id, err)
	}
	t.cpPos = sumPos(t.pos)
	return nil
}

// updateStandbys applies the changelog records the standby client has fetched, without
// waiting for more. A store that cannot be written is an error naming it. The caller holds
// w.mu.
func (w *worker) updateStandbys() error {
	if w.sbClient == nil || len(w.sbByTP) == 0 {
		return nil
	}
	// A nil context makes kgo drain what is buffered and return without waiting; a cancelled
	// one would return at once without draining.
	//lint:ignore SA1012 nil is kgo's documented "do not block" poll.
	fetches := w.sbClient.PollRecords(nil, 10*w.d.cfg.maxPollRecords)
	var corrupted []*runTask
	fetches.EachError(func(topic string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		tgt := w.sbByTP[changelog.TopicPartition{Topic: topic, Partition: p}]
		if tgt != nil && errors.Is(err, kerr.OffsetOutOfRange) {
			if !slices.Contains(corrupted, tgt.task) {
				corrupted = append(corrupted, tgt.task)
			}
			w.d.cfg.logger.Warn("tributary: standby position out of the changelog's range, wiping it for a full replay",
				"task", tgt.task.id.String(), "store", tgt.store, "topic", topic, "partition", p, "position", tgt.task.pos[changelog.TopicPartition{Topic: topic, Partition: p}])
			return
		}
		w.d.cfg.logger.Warn("tributary: standby fetch error", "topic", topic, "partition", p, "error", err)
	})
	var err error
	moved := false
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if err != nil || len(p.Records) == 0 {
			return
		}
		tp := changelog.TopicPartition{Topic: p.Topic, Partition: p.Partition}
		tgt := w.sbByTP[tp]
		if tgt == nil || slices.Contains(corrupted, tgt.task) {
			return // no longer a standby here, or wiped below: replayed from the start
		}
		pos := tgt.task.pos[tp]
		batch := w.sbBatch[:0]
		for _, r := range p.Records {
			if r.Offset < pos {
				continue
			}
			pos = r.Offset + 1
			if r.Key == nil {
				continue
			}
			batch = append(batch, kv.Entry{Key: r.Key, Value: r.Value, Delete: r.Value == nil})
		}
		if len(batch) > 0 {
			if werr := tgt.raw.Write(batch); werr != nil {
				err = fmt.Errorf("standby task %s: replaying changelog %s-%d into store %s: %w", tgt.task.id, tp.Topic, tp.Partition, tgt.store, werr)
				return
			}
		}
		clear(batch)
		w.sbBatch = batch[:0]
		if pos != tgt.task.pos[tp] {
			tgt.task.pos[tp] = pos
			moved = true
		}
	})
	if moved {
		w.setPositions()
	}
	if err != nil {
		return err
	}
	for _, t := range corrupted {
		if err := w.resetStandby(t); err != nil {
			return err
		}
	}
	return nil
}

// resetStandby wipes a standby whose changelog position is out of range (Kafka's
// TaskCorruptedException): it closes it without a checkpoint, deletes its directory and opens
// it again empty, replaying its changelogs from their start. The caller holds w.mu.
func (w *worker) resetStandby(t *runTask) error {
	// Without its checkpoint the task's logged state is wiped when it opens again (newTaskAs,
	// which keeps unlogged persistent stores); the file goes while the directory is held.
	if t.cpPath != "" {
		if err := os.Remove(t.cpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("standby task %s: removing checkpoint: %w", t.id, err)
		}
	}
	w.closeStandby(t, false)
	delete(w.standbys, t.id)
	nt, err := w.newTaskAs(w.ctx, t.id, true)
	if err != nil {
		return fmt.Errorf("standby task %s: reopening after a wipe: %w", t.id, err)
	}
	nt.warmup = t.warmup
	w.startStandby(nt) // no checkpoint: from the log start
	w.setPositions()
	return nil
}

// setPositions publishes the standbys' positions for AllLocalStorePartitionLags. The caller
// holds w.mu.
func (w *worker) setPositions() {
	pos := make(map[changelog.TopicPartition]sbPosition, len(w.sbByTP))
	for tp, tgt := range w.sbByTP {
		pos[tp] = sbPosition{store: tgt.store, pos: tgt.task.pos[tp]}
	}
	w.posMu.Lock()
	w.sbPos = pos
	w.posMu.Unlock()
}

// sbPosition is a standby changelog partition's store and next offset to apply.
type sbPosition struct {
	store string
	pos   int64
}

// maintainStandbys runs every loop: it checkpoints the standbys that moved far enough,
// refreshes the task offset sums the worker reports to the group, and triggers the probing
// rebalance once the worker's warmups have caught up or the probing interval is over. The
// caller holds w.mu.
func (w *worker) maintainStandbys() error {
	for _, t := range w.standbys {
		if sumPos(t.pos)-t.cpPos >= standbyCheckpointDelta {
			if err := w.checkpointStandby(t); err != nil {
				return err
			}
		}
	}
	now := time.Now()
	if now.Sub(w.lastOwned) >= ownedRefresh {
		w.reportOwned()
	}
	if w.probeAt.IsZero() {
		return nil
	}
	probe := !now.Before(w.probeAt)
	// The early trigger (not in Kafka, which only probes on the interval) is rate-limited:
	// a check every second at most, and no forced rebalance within 5 s of the last one.
	if !probe && now.Sub(w.lastWarmupCheck) >= time.Second && now.Sub(w.lastProbe) >= 5*time.Second {
		probe = w.warmupsCaughtUp()
		w.lastWarmupCheck = time.Now()
	}
	if probe {
		w.lastProbe = now
		w.log("tributary: probing rebalance (warmup replicas)", "caught_up", now.Before(w.probeAt))
		w.probeAt = time.Time{}
		w.reportOwned() // the leader sees the warmups' fresh offset sums
		w.client.ForceRebalance()
	}
	return nil
}

// warmupsCaughtUp reports whether every warmup replica of the worker is within
// AcceptableRecoveryLag of its changelogs' ends. The caller holds w.mu.
func (w *worker) warmupsCaughtUp() bool {
	var topics []string
	warm := 0
	for _, t := range w.standbys {
		if !t.warmup {
			continue
		}
		warm++
		for _, ls := range t.logged {
			topics = append(topics, ls.tp.Topic)
		}
	}
	if warm == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(w.ctx, 2*time.Second) // on the processing loop: keep it short
	defer cancel()
	ends, err := w.d.listEnds(ctx, slices.Compact(slices.Sorted(slices.Values(topics))))
	if err != nil {
		return false
	}
	for _, t := range w.standbys {
		if !t.warmup {
			continue
		}
		var lag int64
		for _, ls := range t.logged {
			end, ok := ends.Lookup(ls.tp.Topic, ls.tp.Partition)
			if !ok || end.Err != nil {
				return false
			}
			l := end.Offset - t.pos[ls.tp]
			if w.eos() {
				l-- // a read_committed replica stops before the last commit marker
			}
			lag += max(l, 0)
		}
		if lag > w.d.cfg.acceptableLag {
			return false
		}
	}
	return true
}

func (d *Driver) listEnds(ctx context.Context, topics []string) (kadm.ListedOffsets, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if d.cfg.guarantee == ExactlyOnceV2 {
		return d.adm.ListCommittedOffsets(ctx, topics...)
	}
	return d.adm.ListEndOffsets(ctx, topics...)
}

// reportOwned tells the assignor which tasks the worker runs and the offset sums of the
// tasks it has other state for: its standbys, and the task directories on disk that no
// worker of this instance holds (Kafka's TaskManager.getTaskOffsetSums). The caller holds
// w.mu.
func (w *worker) reportOwned() {
	w.lastOwned = time.Now()
	active := make([]processor.TaskID, 0, len(w.tasks))
	for id := range w.tasks {
		active = append(active, id)
	}
	sums := map[processor.TaskID]int64{}
	for id, t := range w.standbys {
		sums[id] = sumPos(t.pos)
	}
	maps.Copy(sums, w.d.onDiskOffsetSums(w.tasks, w.standbys))
	w.asg.setOwned(active, sums)
}

// onDiskOffsetSums returns the offset sums (the sum of next offsets to restore) of the task
// directories under the application's state directory that have a checkpoint and that no
// worker of this instance holds, skipping the tasks in the given maps.
func (d *Driver) onDiskOffsetSums(skip ...map[processor.TaskID]*runTask) map[processor.TaskID]int64 {
	root := filepath.Join(d.cfg.stateDir, d.cfg.applicationID)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	out := map[processor.TaskID]int64{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		id, err := processor.ParseTaskID(e.Name())
		if err != nil || d.subs[id.Subtopology] == nil {
			continue
		}
		held := false
		for _, m := range skip {
			if _, ok := m[id]; ok {
				held = true
			}
		}
		dir := filepath.Join(root, e.Name())
		d.dirMu.Lock()
		if _, ok := d.dirs[dir]; ok {
			held = true
		}
		d.dirMu.Unlock()
		if held {
			continue
		}
		cp, err := changelog.ReadCheckpoint(filepath.Join(dir, changelog.CheckpointFile))
		if err != nil || len(cp) == 0 {
			continue
		}
		var sum int64
		for _, off := range cp {
			sum += off + 1
		}
		out[id] = sum
	}
	return out
}

// registerStandby makes a standby visible to queries with StaleStores; unregisterStandby
// hides it.
func (d *Driver) registerStandby(t *runTask) {
	d.mu.Lock()
	d.standbys[t.id] = t
	d.mu.Unlock()
}

func (d *Driver) unregisterStandby(t *runTask) {
	d.mu.Lock()
	if d.standbys[t.id] == t {
		delete(d.standbys, t.id)
	}
	d.mu.Unlock()
}

// LocalStandbyTasks returns the ids of the standby tasks (warmups included) this instance
// holds now, sorted.
func (d *Driver) LocalStandbyTasks() []processor.TaskID {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ids := slices.Collect(maps.Keys(d.standbys))
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
	return ids
}

// AllLocalStorePartitionLags returns, for every store replica this instance holds (the
// stores of its running active tasks and of its standbys), how far it is behind its changelog
// partition, by store name and partition (Kafka's KafkaStreams.allLocalStorePartitionLags,
// KIP-535). A running active task is at the end of its changelog (lag 0). It asks the brokers
// for the end offsets.
func (d *Driver) AllLocalStorePartitionLags(ctx context.Context) (map[string]map[int32]LagInfo, error) {
	positions := map[changelog.TopicPartition]sbPosition{}
	d.mu.RLock()
	workers := d.workers
	for _, t := range d.tasks {
		for _, ls := range t.logged {
			positions[ls.tp] = sbPosition{store: ls.name, pos: -1} // -1: at the end
		}
	}
	d.mu.RUnlock()
	for _, w := range workers {
		w.posMu.Lock()
		for tp, p := range w.sbPos {
			if _, active := positions[tp]; !active {
				positions[tp] = p
			}
		}
		w.posMu.Unlock()
	}
	out := map[string]map[int32]LagInfo{}
	if len(positions) == 0 {
		return out, nil
	}
	topicSet := map[string]bool{}
	for tp := range positions {
		topicSet[tp.Topic] = true
	}
	if d.adm == nil {
		return nil, fmt.Errorf("driver: AllLocalStorePartitionLags: %w", ErrNotRunning)
	}
	ends, err := d.listEnds(ctx, slices.Sorted(maps.Keys(topicSet)))
	if err != nil {
		return nil, fmt.Errorf("driver: AllLocalStorePartitionLags: listing changelog end offsets: %w", err)
	}
	for tp, p := range positions {
		end, ok := ends.Lookup(tp.Topic, tp.Partition)
		if !ok || end.Err != nil {
			continue
		}
		li := LagInfo{CurrentOffsetPosition: p.pos, EndOffsetPosition: end.Offset}
		if p.pos < 0 {
			li.CurrentOffsetPosition = end.Offset
		}
		li.OffsetLag = max(li.EndOffsetPosition-li.CurrentOffsetPosition, 0)
		if out[p.store] == nil {
			out[p.store] = map[int32]LagInfo{}
		}
		out[p.store][tp.Partition] = li
	}
	return out, nil
}

// assignorConfig returns the balancer's settings: standbys, warmups and the changelog topics
// of each sub-topology, whose end offsets the group leader lists to compute lags.
func (d *Driver) assignorConfig() asgConfig {
	changelogs := map[int][]string{}
	for _, s := range d.graph.Subtopologies {
		for _, name := range s.Stores {
			if l, ok := d.graph.Stores[name].Builder.(store.Logged); ok && !l.LoggingEnabled() {
				continue
			}
			changelogs[s.ID] = append(changelogs[s.ID], changelog.TopicName(d.cfg.applicationID, name))
		}
	}
	return asgConfig{
		numStandby:      d.cfg.numStandby,
		acceptableLag:   d.cfg.acceptableLag,
		maxWarmups:      d.cfg.maxWarmups,
		probingInterval: d.cfg.probingInterval,
		changelogs:      changelogs,
		endOffsets: func(topics []string) (map[string]map[int32]int64, error) {
			ends, err := d.listEnds(d.runCtx, topics)
			if err != nil {
				return nil, err
			}
			out := map[string]map[int32]int64{}
			ends.Each(func(o kadm.ListedOffset) {
				if o.Err != nil {
					return
				}
				if out[o.Topic] == nil {
					out[o.Topic] = map[int32]int64{}
				}
				out[o.Topic][o.Partition] = o.Offset
			})
			return out, nil
		},
	}
}

// holdsTask reports whether this instance holds task id, active or standby.
func (d *Driver) holdsTask(id processor.TaskID) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, active := d.tasks[id]
	_, standby := d.standbys[id]
	return active || standby
}
