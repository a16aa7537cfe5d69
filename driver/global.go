package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/store"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// This file holds the global state of an instance: Kafka Streams' GlobalStreamThread with
// its GlobalStateManagerImpl and GlobalStateUpdateTask.
//
// Every instance holds every global store whole: it reads all the partitions of the store's
// topic, without a consumer group. At Start, before any worker runs a task, the stores are
// bootstrapped: the topics are read up to the end offsets listed then. Afterwards one
// goroutine per instance (the global thread) keeps reading them and updating the stores,
// flushing them and writing the checkpoint file <state.dir>/<application.id>/global/.checkpoint
// every commit interval and at Close. The checkpoint maps each partition of a persistent
// store's topic to the next offset to read, as Kafka's global checkpoint does, so a restart
// reads only the tail; a persistent store without checkpointed offsets is emptied and read
// from the start, an in-memory one always is. The topic is the store's changelog: its
// logging is off and no changelog topic is created for it.
//
// The records go through the global store's processor (a GlobalKTable's writes them to the
// store), during the bootstrap too: Kafka's GlobalKTable restores the raw bytes instead,
// which ends in the same store. The tasks' processors read the stores through their
// context, by name, as they read the stores of their own task.
//
// Differences from Kafka Streams: a partition counts as bootstrapped once a record at or
// after its listed end offset minus one was read, so a topic ending with a transaction
// marker never finishes its bootstrap (Kafka asks the consumer for its position); an offset
// out of range (a checkpoint beyond the log's start after retention) resumes at the start
// of the partition without emptying the store first; and global stores have no record
// cache.

// globalDirName is the global state's directory under <state.dir>/<application.id>.
const globalDirName = "global"

// globalState is the instance's global stores and the thread that keeps them up to date.
type globalState struct {
	d      *Driver
	dir    string
	cpPath string
	tasks  []*engine.Task
	// byTopic maps each global topic to the task whose source reads it; persistent says
	// whether its store is persistent (its offsets are checkpointed); parts is its
	// partition count.
	byTopic    map[string]*engine.Task
	persistent map[string]bool
	parts      map[string]int32
	// next is the next offset to read of each partition.
	next     map[changelog.TopicPartition]int64
	partTime map[changelog.TopicPartition]int64
	client   *kgo.Client
	raws     []engine.RawRecord
	done     chan struct{}
}

// globalCollector refuses what a global processor sends: global stores' processors have no
// sinks.
type globalCollector struct{}

func (globalCollector) Send(r engine.OutRecord) error {
	return fmt.Errorf("a global store's processor cannot write to topic %s", r.Topic)
}

func (globalCollector) PartitionCount(topic string) (int, error) {
	return 0, fmt.Errorf("a global store's processor cannot write to topic %s", topic)
}

// startGlobal opens the global stores, bootstraps them from their topics and returns the
// global state, ready to run. It fills d.globalStores, which the workers' tasks read.
func startGlobal(ctx context.Context, d *Driver) (_ *globalState, err error) {
	g := &globalState{
		d: d, dir: filepath.Join(d.cfg.stateDir, d.cfg.applicationID, globalDirName),
		byTopic: map[string]*engine.Task{}, persistent: map[string]bool{}, parts: map[string]int32{},
		next: map[changelog.TopicPartition]int64{}, partTime: map[changelog.TopicPartition]int64{},
		done: make(chan struct{}),
	}
	g.cpPath = filepath.Join(g.dir, changelog.CheckpointFile)
	defer func() {
		if err != nil {
			g.close(false)
		}
	}()
	var topics []string
	topicStore := map[string]string{}
	for _, sub := range d.graph.Globals {
		for _, name := range sub.Stores {
			spec := d.graph.Stores[name]
			topics = append(topics, spec.GlobalTopic)
			topicStore[spec.GlobalTopic] = name
			g.persistent[spec.GlobalTopic] = spec.Builder.Persistent()
		}
	}
	details, err := d.adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("driver: listing global topics: %w", err)
	}
	var errs []error
	for _, t := range topics {
		td, ok := details[t]
		if !ok || td.Err != nil || len(td.Partitions) == 0 {
			errs = append(errs, fmt.Errorf("topic %s of global store %s does not exist", t, topicStore[t]))
			continue
		}
		g.parts[t] = int32(len(td.Partitions))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("driver: %w", err)
	}

	// The checkpoint: the next offset of each partition of the persistent stores' topics.
	cp, cpErr := changelog.ReadCheckpoint(g.cpPath)
	if cpErr != nil {
		d.cfg.logger.Warn("tributary: corrupt global checkpoint, reading the global topics from the start", "path", g.cpPath, "error", cpErr)
		cp = nil
	}
	fresh := map[string]bool{} // topics read from the start: their persistent stores are emptied
	for _, t := range topics {
		found := false
		for p := range g.parts[t] {
			tp := changelog.TopicPartition{Topic: t, Partition: p}
			if off, ok := cp[tp]; ok && g.persistent[t] {
				g.next[tp], found = off, true
			} else {
				g.next[tp] = 0
			}
		}
		fresh[t] = !found
	}
	if err := os.MkdirAll(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("driver: global state directory: %w", err)
	}
	onDeser := d.cfg.onDeserialization
	if onDeser == nil {
		onDeser = processor.LogAndFailTo(d.cfg.logger)
	}
	stores := map[string]store.StateStore{}
	for _, sub := range d.graph.Globals {
		topic := d.graph.Stores[sub.Stores[0]].GlobalTopic
		open := func(_ *engine.Task, b store.Builder, _ string) (store.StateStore, error) {
			wb, ok := b.(kv.Wrappable)
			if !ok {
				return b.Build(g.dir)
			}
			return wb.BuildWith(g.dir, func(e kv.Engine) (kv.Engine, error) {
				if b.Persistent() && fresh[topic] {
					if err := clearEngine(e); err != nil {
						return nil, fmt.Errorf("emptying global store %s for a full restore: %w", b.Name(), err)
					}
				}
				return e, nil
			})
		}
		t, err := engine.NewTask(d.graph, sub, 0, engine.Config{
			ApplicationID:          d.cfg.applicationID,
			StateDir:               d.cfg.stateDir,
			Collector:              globalCollector{},
			OnDeserializationError: onDeser,
			OnProcessingError:      d.cfg.onProcessing,
			GlobalStores:           stores,
			OpenStore:              open,
		})
		if err != nil {
			return nil, fmt.Errorf("driver: global store: %w", err)
		}
		g.tasks = append(g.tasks, t)
		if dir := t.Dir(); dir != "" && dir != g.dir {
			_ = os.Remove(dir) // the task directory NewTask made and the stores do not use
		}
		for _, name := range t.StoreNames() {
			stores[name], _ = t.Store(name)
		}
		g.byTopic[topic] = t
	}
	for _, t := range g.tasks {
		if err := t.Init(); err != nil {
			return nil, fmt.Errorf("driver: global store: %w", err)
		}
	}

	offsets := map[string]map[int32]kgo.Offset{}
	for tp, off := range g.next {
		if offsets[tp.Topic] == nil {
			offsets[tp.Topic] = map[int32]kgo.Offset{}
		}
		offsets[tp.Topic][tp.Partition] = kgo.NewOffset().At(off)
	}
	g.client, err = kgo.NewClient(append(slices.Clone(d.cfg.kgoOpts),
		kgo.SeedBrokers(d.cfg.bootstrap...),
		kgo.ConsumePartitions(offsets),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.ClientID(d.cfg.applicationID+"-global-consumer"),
	)...)
	if err != nil {
		return nil, fmt.Errorf("driver: global consumer: %w", err)
	}
	if err := g.bootstrap(ctx, topics); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.globalStores = stores
	d.mu.Unlock()
	return g, nil
}

// bootstrap reads the global topics up to the end offsets they have now (Kafka's
// GlobalStateManagerImpl.restoreState), then flushes the stores and writes the checkpoint.
func (g *globalState) bootstrap(ctx context.Context, topics []string) error {
	d := g.d
	ends, err := d.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("driver: listing the end offsets of the global topics: %w", err)
	}
	if err := ends.Error(); err != nil {
		return fmt.Errorf("driver: listing the end offsets of the global topics: %w", err)
	}
	end := map[changelog.TopicPartition]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		end[changelog.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
	})
	started := time.Now()
	behind := func() bool {
		for tp, e := range end {
			if g.next[tp] < e {
				return true
			}
		}
		return false
	}
	for behind() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.runCtx.Err(); err != nil {
			return fmt.Errorf("driver: closed while bootstrapping the global stores: %w", ErrNotRunning)
		}
		if err := g.poll(ctx); err != nil {
			return err
		}
	}
	if err := g.flush(); err != nil {
		return err
	}
	d.cfg.logger.Info("tributary: global stores bootstrapped", "application", d.cfg.applicationID, "partitions", len(end), "took", time.Since(started))
	return nil
}

// poll takes one fetch of the global topics and applies it.
func (g *globalState) poll(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, g.d.cfg.pollInterval)
	fetches := g.client.PollRecords(pctx, g.d.cfg.maxPollRecords)
	cancel()
	for _, fe := range fetches.Errors() {
		if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, kgo.ErrClientClosed) {
			continue
		}
		return fmt.Errorf("driver: global consumer: topic %s partition %d: %w", fe.Topic, fe.Partition, fe.Err)
	}
	return g.apply(fetches)
}

// apply runs the fetched records through the global stores' processors (Kafka's
// GlobalStateUpdateTask.update).
func (g *globalState) apply(f kgo.Fetches) error {
	var err error
	f.EachPartition(func(p kgo.FetchTopicPartition) {
		if err != nil || len(p.Records) == 0 {
			return
		}
		t := g.byTopic[p.Topic]
		if t == nil {
			return
		}
		tp := changelog.TopicPartition{Topic: p.Topic, Partition: p.Partition}
		raws := g.raws[:0]
		for _, r := range p.Records {
			raw := engine.RawRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli()}
			if len(r.Headers) > 0 {
				raw.Headers = make(processor.Headers, len(r.Headers))
				for i, h := range r.Headers {
					raw.Headers[i] = processor.Header{Key: h.Key, Value: h.Value}
				}
			}
			if g.d.cfg.timestamps != nil {
				pt, seen := g.partTime[tp]
				if !seen {
					pt = -1
				}
				ts, terr := g.d.cfg.timestamps(r, pt)
				if terr != nil {
					ts = -1
					g.d.cfg.logger.Warn("tributary: timestamp extractor failed", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "error", terr)
				}
				raw.Timestamp = ts
				g.partTime[tp] = max(pt, ts)
			}
			raws = append(raws, raw)
		}
		g.raws = raws
		// The task was made for partition 0: its one queue per topic takes every
		// partition's records, processed in the order they were fetched.
		if err = t.AddRecords(p.Topic, 0, raws); err != nil {
			err = fmt.Errorf("driver: global store of topic %s: %w", p.Topic, err)
			return
		}
		clear(raws)
		for {
			ok, perr := t.Process()
			if perr != nil {
				err = fmt.Errorf("driver: global store of topic %s: %w", p.Topic, perr)
				return
			}
			if !ok {
				break
			}
		}
		g.next[tp] = p.Records[len(p.Records)-1].Offset + 1
	})
	return err
}

// flush flushes the global stores and writes the checkpoint of the persistent ones (Kafka's
// GlobalStateUpdateTask.flushState).
func (g *globalState) flush() error {
	for _, t := range g.tasks {
		if err := t.Commit(); err != nil {
			return fmt.Errorf("driver: flushing global stores: %w", err)
		}
	}
	cp := changelog.Checkpoint{}
	for tp, off := range g.next {
		if g.persistent[tp.Topic] {
			cp[tp] = off
		}
	}
	if len(cp) == 0 {
		return nil
	}
	if err := changelog.WriteCheckpoint(g.cpPath, cp); err != nil {
		return fmt.Errorf("driver: writing the global checkpoint: %w", err)
	}
	return nil
}

// run is the global thread's loop: it reads the global topics and updates the stores until
// the driver stops, flushing and checkpointing every commit interval. A failure is fatal to
// the driver, as in Kafka.
func (g *globalState) run() {
	defer close(g.done)
	ctx := g.d.runCtx
	last := time.Now()
	for ctx.Err() == nil {
		if err := g.poll(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			g.d.fail(err)
			return
		}
		if time.Since(last) >= g.d.cfg.commitInterval {
			if err := g.flush(); err != nil {
				g.d.fail(err)
				return
			}
			last = time.Now()
		}
	}
}

// close stops the consumer and closes the stores, after a last flush and checkpoint when
// clean. The workers must be done with the stores.
func (g *globalState) close(clean bool) {
	if g.client != nil {
		g.client.Close()
	}
	if clean {
		if err := g.flush(); err != nil {
			g.d.cfg.logger.Warn("tributary: closing the global stores", "error", err)
		}
	}
	for _, t := range g.tasks {
		if err := t.Close(); err != nil {
			g.d.cfg.logger.Warn("tributary: closing the global stores", "error", err)
		}
	}
}
