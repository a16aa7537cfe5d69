package changelog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-go/tributary/store/kv"
)

// RestoreListener is told about restoration (Kafka Streams' StateRestoreListener). Its
// methods are called from the goroutine running [Restorer.Restore], one target at a time;
// they should return quickly.
type RestoreListener interface {
	// OnRestoreStart is called once per target before anything is restored, with the first
	// offset to restore and the end offset (exclusive: the offset after the last record to
	// restore). It is called for every target, also one with nothing to restore
	// (startOffset == endOffset).
	OnRestoreStart(tp TopicPartition, store string, startOffset, endOffset int64)
	// OnBatchRestored is called after each batch is written to the store, with the offset
	// of the batch's last record and the number of records in the batch.
	OnBatchRestored(tp TopicPartition, store string, batchEndOffset int64, numRestored int64)
	// OnRestoreEnd is called once per target when it is restored, with the number of
	// records written. It is not called for a target whose restoration failed or was
	// cancelled.
	OnRestoreEnd(tp TopicPartition, store string, totalRestored int64)
}

// RestoreTarget is one store to restore from its changelog partition.
type RestoreTarget struct {
	// Store is the store's name, used in errors, logs and listener calls.
	Store string
	// TopicPartition is the store's changelog partition.
	TopicPartition TopicPartition
	// Engine is the engine to write: the engine under the logging layer, so that what is
	// restored is not logged again. Restoration writes it with Engine.Write batches (a
	// RocksDB engine writes them without its WAL).
	Engine kv.Engine
	// From is the first offset to restore: the checkpointed offset, or 0 (any offset <= 0)
	// to restore from the start of the log.
	From int64
}

// ErrOffsetOutOfRange is wrapped by Restore's error when a target's From is above the
// partition's end offset, or is positive and below its log start offset (records after the
// checkpoint were deleted). The store no longer matches its changelog: as Kafka Streams does
// (TaskCorruptedException), wipe it and restore it again from offset 0.
var ErrOffsetOutOfRange = errors.New("restore offset out of the changelog's range")

// RestoreError is the error of restoring one store: it names the store and its changelog
// partition, and wraps the cause.
type RestoreError struct {
	Store     string
	Topic     string
	Partition int32
	Err       error
}

// Error implements error.
func (e *RestoreError) Error() string {
	return fmt.Sprintf("changelog: restoring store %q from %s partition %d: %v", e.Store, e.Topic, e.Partition, e.Err)
}

// Unwrap returns the cause.
func (e *RestoreError) Unwrap() error { return e.Err }

// RestoreOption configures a [Restorer].
type RestoreOption interface {
	apply(*restoreConfig)
}

type restoreOpt func(*restoreConfig)

func (o restoreOpt) apply(c *restoreConfig) { o(c) }

type restoreConfig struct {
	batchSize        int
	listener         RestoreListener
	logger           *slog.Logger
	progressInterval time.Duration
	stallWait        time.Duration
}

// DefaultRestoreBatchSize is the default number of records per Engine.Write during
// restoration. It is Kafka Streams' max.poll.records default (1000), which is what bounds
// Kafka's restore batches; bigger batches measured no faster (see BenchmarkRestore1M).
const DefaultRestoreBatchSize = 1000

// BatchSize sets the number of records written per Engine.Write, overriding
// [DefaultRestoreBatchSize]; values below 1 mean 1. Kafka Streams restores in batches of
// up to max.poll.records of its restore consumer.
func BatchSize(n int) RestoreOption {
	return restoreOpt(func(c *restoreConfig) { c.batchSize = max(n, 1) })
}

// Listener sets the listener told about restoration (Kafka Streams'
// KafkaStreams.setGlobalStateRestoreListener), overriding none.
func Listener(l RestoreListener) RestoreOption {
	return restoreOpt(func(c *restoreConfig) { c.listener = l })
}

// Logger sets the logger, overriding none: Restore logs at Info when it starts and ends
// and, while it runs, its progress every progress interval (see [ProgressInterval]), and
// each store at Debug.
func Logger(l *slog.Logger) RestoreOption {
	return restoreOpt(func(c *restoreConfig) { c.logger = l })
}

// ProgressInterval sets how often a long restoration logs its progress, overriding 10 s.
func ProgressInterval(d time.Duration) RestoreOption {
	return restoreOpt(func(c *restoreConfig) { c.progressInterval = d })
}

// Restorer restores stores from their changelog partitions with franz-go. It reads them
// with its client's direct partition consumption (AddConsumePartitions), so the client
// must not be in a consumer group, and must not consume anything else while Restore runs
// (Kafka Streams has its own restore consumer for the same reason). Restore calls are
// serialized.
//
// When a partition's records stop before its end offset (the last offsets were compacted
// away, or are a transaction's markers), Restore looks at the log with a fetch of its own,
// sent through a second client it opens with the client's connection options (the client's
// own fetch connection is busy with its long poll) and closes when it returns.
type Restorer struct {
	client *kgo.Client
	admin  *kadm.Client
	cfg    restoreConfig
	mu     sync.Mutex
}

// NewRestorer returns a Restorer that reads with client and lists offsets with admin.
func NewRestorer(client *kgo.Client, admin *kadm.Client, opts ...RestoreOption) *Restorer {
	cfg := restoreConfig{
		batchSize:        DefaultRestoreBatchSize,
		progressInterval: 10 * time.Second,
		stallWait:        100 * time.Millisecond,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	return &Restorer{client: client, admin: admin, cfg: cfg}
}

// restoring is the state of one target during Restore.
type restoring struct {
	target     *RestoreTarget
	start, end int64
	next       int64 // the offset after the last record taken
	written    int64 // the offset after the last record written
	restored   int64 // records written
	batch      []kv.Entry
	lastOffset int64 // the offset of the batch's last record
	consuming  bool
	done       bool
}

// Restore restores every target from its From offset up to the end offset its changelog
// partition has when Restore starts (listed with the admin client: the high watermark, or
// the last stable offset when the client reads committed records only), writing the engines
// in Engine.Write batches; a tombstone is an Entry with Delete set, and records without a
// key are skipped. Gaps in the offsets (compaction, transaction markers) are fine: a target
// is done when a record at or after its end offset arrives or, when the records stop first,
// when a look at the log finds none left before the end offset.
//
// Restore returns each target's next offset, the offset to checkpoint (the end offset).
// On error it returns, with the error, the offsets up to which the engines were written
// (nil if it failed before writing anything).
// Errors are *RestoreError values naming the store and partition (wrapping
// [ErrOffsetOutOfRange] when From is outside the log), or ctx.Err() when ctx is done.
func (r *Restorer) Restore(ctx context.Context, targets []RestoreTarget) (map[TopicPartition]int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(targets) == 0 {
		return map[TopicPartition]int64{}, nil
	}
	for _, opt := range []any{kgo.ConsumerGroup, kgo.ShareGroup} {
		if g, _ := r.client.OptValue(opt).(string); g != "" {
			return nil, fmt.Errorf("changelog: restoring: the client is in group %q; restoration needs a client without a group", g)
		}
	}
	byTP := make(map[TopicPartition]*restoring, len(targets))
	var topics []string
	for i := range targets {
		t := &targets[i]
		if t.Engine == nil {
			return nil, r.targetErr(t, errors.New("no engine"))
		}
		if _, dup := byTP[t.TopicPartition]; dup {
			return nil, r.targetErr(t, errors.New("two targets restore the same changelog partition"))
		}
		if !slices.Contains(topics, t.TopicPartition.Topic) {
			topics = append(topics, t.TopicPartition.Topic)
		}
		byTP[t.TopicPartition] = &restoring{target: t}
	}
	readCommitted := readsCommitted(r.client)
	if err := r.listOffsets(ctx, topics, readCommitted, targets, byTP); err != nil {
		return nil, err
	}

	run := &restoreRun{r: r, ctx: ctx, targets: targets, byTP: byTP, readCommitted: readCommitted, began: time.Now()}
	err := run.run()
	out := make(map[TopicPartition]int64, len(targets))
	for tp, st := range byTP {
		out[tp] = st.written
	}
	return out, err
}

// readsCommitted reports whether cl reads committed records only.
func readsCommitted(cl *kgo.Client) bool {
	switch v := cl.OptValue(kgo.FetchIsolationLevel).(type) {
	case int8: // what kgo v1.22 returns: the level's internal value
		return v == 1
	case kgo.IsolationLevel:
		return v == kgo.ReadCommitted()
	}
	return false
}

func (r *Restorer) targetErr(t *RestoreTarget, err error) error {
	return &RestoreError{Store: t.Store, Topic: t.TopicPartition.Topic, Partition: t.TopicPartition.Partition, Err: err}
}

// listOffsets sets each target's start and end offsets.
func (r *Restorer) listOffsets(ctx context.Context, topics []string, readCommitted bool, targets []RestoreTarget, byTP map[TopicPartition]*restoring) error {
	// The two listings at once: one round trip.
	var starts kadm.ListedOffsets
	var serr error
	listed := make(chan struct{})
	go func() {
		defer close(listed)
		starts, serr = r.admin.ListStartOffsets(ctx, topics...)
	}()
	var ends kadm.ListedOffsets
	var err error
	if readCommitted {
		ends, err = r.admin.ListCommittedOffsets(ctx, topics...)
	} else {
		ends, err = r.admin.ListEndOffsets(ctx, topics...)
	}
	<-listed
	if err == nil {
		err = serr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("changelog: restoring: listing the offsets of %v: %w", topics, err)
	}
	for i := range targets {
		t := &targets[i]
		if err := r.startEnd(t, byTP[t.TopicPartition], starts, ends); err != nil {
			return err
		}
	}
	return nil
}

func (r *Restorer) startEnd(t *RestoreTarget, st *restoring, starts, ends kadm.ListedOffsets) error {
	tp := t.TopicPartition
	s, sok := starts.Lookup(tp.Topic, tp.Partition)
	e, eok := ends.Lookup(tp.Topic, tp.Partition)
	switch {
	case !sok || !eok:
		return r.targetErr(t, errors.New("partition not found"))
	case s.Err != nil:
		return r.targetErr(t, fmt.Errorf("listing the log start offset: %w", s.Err))
	case e.Err != nil:
		return r.targetErr(t, fmt.Errorf("listing the end offset: %w", e.Err))
	}
	st.end = e.Offset
	st.start = max(t.From, s.Offset)
	if t.From > st.end || (t.From > 0 && t.From < s.Offset) {
		return r.targetErr(t, fmt.Errorf("offset %d is outside the log [%d, %d]: %w", t.From, s.Offset, st.end, ErrOffsetOutOfRange))
	}
	st.next, st.written = st.start, st.start
	return nil
}

// restoreRun is one call of Restore.
type restoreRun struct {
	r             *Restorer
	ctx           context.Context
	targets       []RestoreTarget
	byTP          map[TopicPartition]*restoring
	readCommitted bool
	remaining     int
	toRestore     int64 // records between the starts and ends, compaction gaps included
	restored      int64
	began         time.Time
	lastLog       time.Time
	topicIDs      map[string][16]byte
	probeClient   *kgo.Client
}

func (x *restoreRun) listener() RestoreListener { return x.r.cfg.listener }

func (x *restoreRun) run() error {
	cfg := &x.r.cfg
	add := map[string]map[int32]kgo.Offset{}
	for i := range x.targets {
		t := &x.targets[i]
		st := x.byTP[t.TopicPartition]
		if l := x.listener(); l != nil {
			l.OnRestoreStart(t.TopicPartition, t.Store, st.start, st.end)
		}
		if cfg.logger != nil {
			cfg.logger.Debug("restoring store", "store", t.Store, "topic", t.TopicPartition.Topic,
				"partition", t.TopicPartition.Partition, "start_offset", st.start, "end_offset", st.end)
		}
		if st.start >= st.end {
			x.finish(st)
			continue
		}
		x.remaining++
		x.toRestore += st.end - st.start
		st.batch = make([]kv.Entry, 0, min(cfg.batchSize, int(min(st.end-st.start, 1<<20))))
		tp := t.TopicPartition
		if add[tp.Topic] == nil {
			add[tp.Topic] = map[int32]kgo.Offset{}
		}
		add[tp.Topic][tp.Partition] = kgo.NewOffset().At(st.start)
		st.consuming = true
	}
	if x.remaining == 0 {
		return nil
	}
	if cfg.logger != nil {
		cfg.logger.Info("restoring stores", "stores", x.remaining, "records_to_restore", x.toRestore)
	}
	x.lastLog = time.Now()
	x.r.client.AddConsumePartitions(add)
	defer x.stopConsuming()
	defer func() {
		if x.probeClient != nil {
			x.probeClient.Close()
		}
	}()

	for x.remaining > 0 {
		if err := x.poll(); err != nil {
			return err
		}
	}
	if cfg.logger != nil {
		d := time.Since(x.began)
		cfg.logger.Info("restored stores", "stores", len(x.targets), "records", x.restored,
			"duration", d, "records_per_second", int64(float64(x.restored)/max(d.Seconds(), 1e-9)))
	}
	return nil
}

// stopConsuming removes the partitions still consumed (after an error).
func (x *restoreRun) stopConsuming() {
	var rm map[string][]int32
	for tp, st := range x.byTP {
		if st.consuming {
			if rm == nil {
				rm = map[string][]int32{}
			}
			rm[tp.Topic] = append(rm[tp.Topic], tp.Partition)
			st.consuming = false
		}
	}
	if rm != nil {
		x.r.client.RemoveConsumePartitions(rm)
	}
}

// poll takes one fetch and applies its records; when none come for a while, it looks
// whether the remaining targets are at their ends already (see probe).
func (x *restoreRun) poll() error {
	pctx, cancel := context.WithTimeout(x.ctx, x.r.cfg.stallWait)
	fetches := x.r.client.PollFetches(pctx)
	cancel()
	if err := x.ctx.Err(); err != nil {
		return err
	}
	progressed := false
	for i := range fetches {
		for j := range fetches[i].Topics {
			ft := &fetches[i].Topics[j]
			for k := range ft.Partitions {
				fp := &ft.Partitions[k]
				st := x.byTP[TopicPartition{Topic: ft.Topic, Partition: fp.Partition}]
				if st == nil || st.done {
					continue // not ours, or removed since
				}
				if fp.Err != nil {
					return x.r.targetErr(st.target, fmt.Errorf("fetching: %w", fp.Err))
				}
				if len(fp.Records) > 0 {
					progressed = true
				}
				if err := x.apply(st, fp.Records); err != nil {
					return err
				}
			}
		}
	}
	for _, fe := range fetches.Errors() {
		if fe.Topic != "" {
			continue // a partition error, handled above when it is ours
		}
		if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
			continue // the stall timeout
		}
		return fmt.Errorf("changelog: restoring: polling: %w", fe.Err)
	}
	if !progressed && x.remaining > 0 {
		return x.probeAll()
	}
	x.maybeLogProgress()
	return nil
}

// apply takes a partition's fetched records into the target's batches.
func (x *restoreRun) apply(st *restoring, recs []*kgo.Record) error {
	size := x.r.cfg.batchSize
	for _, rec := range recs {
		if rec.Offset >= st.end {
			return x.complete(st)
		}
		if rec.Offset < st.next {
			continue // already taken
		}
		st.next = rec.Offset + 1
		if rec.Key != nil {
			st.batch = append(st.batch, kv.Entry{Key: rec.Key, Value: rec.Value, Delete: rec.Value == nil})
			st.lastOffset = rec.Offset
			if len(st.batch) >= size {
				if err := x.write(st); err != nil {
					return err
				}
			}
		}
		if st.next >= st.end {
			return x.complete(st)
		}
	}
	return nil
}

// write writes the target's batch to its engine.
func (x *restoreRun) write(st *restoring) error {
	n := len(st.batch)
	if n > 0 {
		if err := st.target.Engine.Write(st.batch); err != nil {
			return x.r.targetErr(st.target, err)
		}
		clear(st.batch) // let the fetched records go
		st.batch = st.batch[:0]
		st.restored += int64(n)
		x.restored += int64(n)
		if l := x.listener(); l != nil {
			l.OnBatchRestored(st.target.TopicPartition, st.target.Store, st.lastOffset, int64(n))
		}
	}
	st.written = st.next
	return x.ctx.Err() // stop between batches when ctx is done
}

// complete writes the target's last batch and stops consuming its partition.
func (x *restoreRun) complete(st *restoring) error {
	st.next = st.end
	if err := x.write(st); err != nil {
		return err
	}
	tp := st.target.TopicPartition
	x.r.client.RemoveConsumePartitions(map[string][]int32{tp.Topic: {tp.Partition}})
	st.consuming = false
	x.remaining--
	x.finish(st)
	return nil
}

// finish tells the listener and the log that a target is restored.
func (x *restoreRun) finish(st *restoring) {
	st.done = true
	st.batch = nil
	t := st.target
	if l := x.listener(); l != nil {
		l.OnRestoreEnd(t.TopicPartition, t.Store, st.restored)
	}
	if lg := x.r.cfg.logger; lg != nil {
		lg.Debug("restored store", "store", t.Store, "topic", t.TopicPartition.Topic,
			"partition", t.TopicPartition.Partition, "records", st.restored, "next_offset", st.written)
	}
}

func (x *restoreRun) maybeLogProgress() {
	lg := x.r.cfg.logger
	if lg == nil || time.Since(x.lastLog) < x.r.cfg.progressInterval {
		return
	}
	x.lastLog = time.Now()
	d := time.Since(x.began)
	lg.Info("restoration in progress", "stores_remaining", x.remaining, "records_restored", x.restored,
		"records_to_restore", x.toRestore, "records_per_second", int64(float64(x.restored)/max(d.Seconds(), 1e-9)))
}

// probeAll is called when a poll brought nothing for a while: the remaining targets may
// be at their ends already with no record to show it, when the records just before the
// end offset are gone (compacted away) or are not data (a transaction's commit marker).
// kgo does not expose its fetch position (Kafka Streams asks its consumer's position), so
// probe asks the partition's leader directly.
func (x *restoreRun) probeAll() error {
	for tp, st := range x.byTP {
		if st.done {
			continue
		}
		done, err := x.probe(tp, st)
		if err != nil {
			if x.ctx.Err() != nil {
				return x.ctx.Err()
			}
			if x.r.cfg.logger != nil {
				x.r.cfg.logger.Debug("restore: looking for the end of the changelog failed; polling on",
					"store", st.target.Store, "topic", tp.Topic, "partition", tp.Partition, "err", err)
			}
			continue
		}
		if done {
			if err := x.complete(st); err != nil {
				return err
			}
		}
	}
	return nil
}

// probeBytes bounds the probe's fetch: enough for a few batches.
const probeBytes = 256 << 10

// probe fetches the partition from st.next, without waiting, and reports whether no data
// record is left before st.end (then the consumer has nothing more to give).
func (x *restoreRun) probe(tp TopicPartition, st *restoring) (bool, error) {
	if x.topicIDs == nil {
		x.topicIDs = map[string][16]byte{}
	}
	id, ok := x.topicIDs[tp.Topic]
	if !ok {
		md, err := x.r.admin.Metadata(x.ctx, tp.Topic)
		if err != nil {
			return false, err
		}
		td, ok := md.Topics[tp.Topic]
		if !ok || td.Err != nil {
			return false, fmt.Errorf("topic metadata: %v", td.Err)
		}
		id = td.ID
		x.topicIDs[tp.Topic] = id
	}
	leader, _, err := x.r.client.PartitionLeader(tp.Topic, tp.Partition)
	if err != nil {
		return false, err
	}
	if leader < 0 {
		return false, errors.New("no known leader")
	}
	if x.probeClient == nil {
		// The probe cannot go through the restore client: its fetch connection to the
		// leader is busy with the consumer's long poll (up to FetchMaxWait), and requests
		// on a connection are answered in order. A client with the same connection
		// options, but no consuming or producing, has an idle one.
		var opts []kgo.Opt
		for _, o := range x.r.client.Opts() {
			switch o.(type) {
			case kgo.ConsumerOpt, kgo.ProducerOpt, kgo.GroupOpt:
				continue
			}
			opts = append(opts, o)
		}
		if x.probeClient, err = kgo.NewClient(opts...); err != nil {
			return false, err
		}
	}
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = probeBytes
	if x.readCommitted {
		req.IsolationLevel = 1
	}
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = tp.Topic, id
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = tp.Partition
	rp.FetchOffset = st.next
	rp.PartitionMaxBytes = probeBytes
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(x.ctx, x.probeClient.Broker(int(leader)))
	if err != nil {
		return false, err
	}
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic != tp.Topic && t.TopicID != id {
			continue
		}
		for j := range t.Partitions {
			p := &t.Partitions[j]
			if p.Partition != tp.Partition {
				continue
			}
			iso := kgo.ReadUncommitted()
			if x.readCommitted {
				iso = kgo.ReadCommitted()
			}
			fp, nextOffset := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
				Offset: st.next, IsolationLevel: iso, Topic: tp.Topic, Partition: tp.Partition,
			}, p, kgo.DefaultDecompressor(), nil)
			if fp.Err != nil {
				return false, fp.Err
			}
			if len(fp.Records) > 0 { // in offset order
				return fp.Records[0].Offset >= st.end, nil
			}
			return nextOffset >= st.end, nil
		}
	}
	return false, errors.New("the partition is missing from the fetch response")
}
