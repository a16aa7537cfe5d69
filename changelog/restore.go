package changelog

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
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
	// of the batch's last record and the number of records in the batch. With
	// deduplication (see [RestoreBufferBytes]) a batch is a window: numRestored counts the
	// changelog records it took, superseded ones included, although only the last write of
	// each key was written. Either way the counts add up to the records restored (those
	// with a key), and batchEndOffset increases.
	OnBatchRestored(tp TopicPartition, store string, batchEndOffset int64, numRestored int64)
	// OnRestoreEnd is called once per target when it is restored, with the number of
	// records restored (the sum of the batches' counts). It is not called for a target
	// whose restoration failed or was cancelled.
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
	bufferBytes      int64
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

// DefaultRestoreBufferBytes is the default of [RestoreBufferBytes]: 64 MiB, windows of
// up to 32 MiB.
const DefaultRestoreBufferBytes = 64 << 20

// RestoreBufferBytes bounds the memory that a Restore holds to deduplicate the changelogs
// it reads, overriding [DefaultRestoreBufferBytes]; 0 or less turns deduplication off (the
// records are then written as they come, in batches of [BatchSize]).
//
// A changelog partition replays many writes of the same keys (its tail is not compacted yet,
// and aggregations update the same keys all the time), while a store needs only the last.
// So Restore takes each store's records into a window. When the windows hold half of n,
// the largest goes to a goroutine of Restore's that writes the last write of each of its
// keys, in key order (which RocksDB's memtable and B-trees insert much faster than random
// keys), in Engine.Write batches of [BatchSize], while Restore reads on into new windows,
// the other half. A store ends in the state of applying every record in order; on the way
// it goes through states that no prefix of its changelog gives, which does not matter, as
// a store is not used before it is restored (and on an error, Restore returns the offsets
// of the windows written whole).
//
// A record counts its key and value lengths plus 96 bytes (its framing in the fetched
// batch, its entries in the window), superseded records too: a window refers to the fetched
// records rather than copying them, and a fetched batch stays in memory as long as any of
// its records is in a window.
//
// Bigger windows hold more writes of each key, so fewer are written: restoring a changelog
// of 1,000,000 records over 100,000 keys writes 690,000 with n = 32 MiB, 500,000 with
// 64 MiB and 310,000 with 128 MiB (see BenchmarkRestore1M).
func RestoreBufferBytes(n int64) RestoreOption {
	return restoreOpt(func(c *restoreConfig) { c.bufferBytes = min(max(n, 0), maxRestoreBufferBytes) })
}

// maxRestoreBufferBytes bounds RestoreBufferBytes so that a window's entries can be
// numbered with 32 bits (a record counts windowRecordOverhead bytes at least).
const maxRestoreBufferBytes = 1 << 38

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
		bufferBytes:      DefaultRestoreBufferBytes,
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
	next       int64      // the offset after the last record taken
	written    int64      // the offset after the last record written
	restored   int64      // records written
	batch      []kv.Entry // the batch, when deduplication is off
	lastOffset int64      // the offset of the batch's last record
	win        *window    // the window being filled, when deduplication is on
	dedup      bool       // whether the next window deduplicates as records come
	consuming  bool
	done       bool // every record taken
}

// Restore restores every target from its From offset up to the end offset its changelog
// partition has when Restore starts (listed with the admin client: the high watermark, or
// the last stable offset when the client reads committed records only), writing the engines
// in Engine.Write batches, deduplicated (see [RestoreBufferBytes]); a tombstone is an Entry
// with Delete set, and records without a key are skipped. The engines are written from a
// goroutine of Restore's, which has ended when Restore returns; the listener is called from
// Restore's own. Gaps in the offsets (compaction, transaction markers) are fine: a target
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

	run := &restoreRun{r: r, ctx: ctx, targets: targets, byTP: byTP, readCommitted: readCommitted, began: time.Now(), seed: maphash.MakeSeed()}
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

	// The windows (when deduplication is on): each target fills one; a writer goroutine
	// writes one at a time.
	filling  int64        // the bytes of the windows being filled
	seed     maphash.Seed // the windows' hash seed
	free     []*window    // written windows, emptied, for reuse
	jobs     chan *windowJob
	written  chan *windowJob
	inflight *windowJob // the window being written
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
		if cfg.bufferBytes > 0 {
			st.win = x.newWindow(false)
		} else {
			st.batch = make([]kv.Entry, 0, min(cfg.batchSize, int(min(st.end-st.start, 1<<20))))
		}
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
	defer x.stopWriter()

	for x.remaining > 0 {
		if err := x.poll(); err != nil {
			return err
		}
	}
	if err := x.await(); err != nil {
		return err
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
	if err := x.checkWriter(); err != nil {
		return err
	}
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

// apply takes a partition's fetched records into the target's window or batch.
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
			if st.win != nil {
				n := st.win.add(rec.Key, rec.Value, rec.Offset, x.seed)
				if x.filling += n; x.filling >= max(x.r.cfg.bufferBytes/2, 1) {
					if err := x.handOver(x.largestWindow(), false); err != nil {
						return err
					}
				}
			} else {
				st.batch = append(st.batch, kv.Entry{Key: rec.Key, Value: rec.Value, Delete: rec.Value == nil})
				st.lastOffset = rec.Offset
				if len(st.batch) >= size {
					if err := x.write(st); err != nil {
						return err
					}
				}
			}
		}
		if st.next >= st.end {
			return x.complete(st)
		}
	}
	return nil
}

// write writes the target's batch to its engine (when deduplication is off).
func (x *restoreRun) write(st *restoring) error {
	n := len(st.batch)
	if n > 0 {
		if err := st.target.Engine.Write(st.batch); err != nil {
			return x.r.targetErr(st.target, err)
		}
		clear(st.batch) // let the fetched records go
		st.batch = st.batch[:0]
		x.restoredBatch(st, st.lastOffset, int64(n))
	}
	st.written = st.next
	return x.ctx.Err() // stop between batches when ctx is done
}

// restoredBatch counts n records written up to offset end.
func (x *restoreRun) restoredBatch(st *restoring, end, n int64) {
	st.restored += n
	x.restored += n
	if l := x.listener(); l != nil {
		l.OnBatchRestored(st.target.TopicPartition, st.target.Store, end, n)
	}
}

// complete writes the target's last batch or window and stops consuming its partition.
func (x *restoreRun) complete(st *restoring) error {
	st.next = st.end
	st.done = true
	tp := st.target.TopicPartition
	x.r.client.RemoveConsumePartitions(map[string][]int32{tp.Topic: {tp.Partition}})
	st.consuming = false
	x.remaining--
	if st.win != nil {
		return x.handOver(st, true) // finished when written
	}
	if err := x.write(st); err != nil {
		return err
	}
	x.finish(st)
	return nil
}

// windowJob is a window handed to the writer.
type windowJob struct {
	st   *restoring
	win  *window
	next int64 // the target's next offset when the window was handed over
	last bool  // whether it is the target's last window
	// Set by the writer.
	unique int // the keys written
	err    error
}

// newWindow returns an empty window, reusing a written one if there is one.
func (x *restoreRun) newWindow(dedup bool) *window {
	var w *window
	if n := len(x.free); n > 0 {
		w, x.free = x.free[n-1], x.free[:n-1]
	} else {
		w = &window{}
	}
	w.dedup = dedup
	return w
}

// largestWindow returns the target with the largest window being filled.
func (x *restoreRun) largestWindow() *restoring {
	var big *restoring
	for _, st := range x.byTP {
		if st.win != nil && !st.done && (big == nil || st.win.bytes > big.win.bytes) {
			big = st
		}
	}
	return big
}

// handOver hands the target's window to the writer, once it has written the previous one,
// and gives the target a new window unless last.
func (x *restoreRun) handOver(st *restoring, last bool) error {
	w := st.win
	x.filling -= w.bytes
	if last {
		st.win = nil
	} else {
		st.win = x.newWindow(st.dedup)
		if st.dedup { // the hash table goes with the target
			st.win.table = w.table
			clear(st.win.table)
		}
	}
	w.table = nil
	if err := x.await(); err != nil {
		return err
	}
	if x.jobs == nil {
		x.jobs, x.written = make(chan *windowJob, 1), make(chan *windowJob, 1)
		go x.writer(x.jobs, x.written)
	}
	x.inflight = &windowJob{st: st, win: w, next: st.next, last: last}
	x.jobs <- x.inflight
	return nil
}

// await waits for the writer to write its window, if it has one, and takes the result.
func (x *restoreRun) await() error {
	if x.inflight == nil {
		return nil
	}
	return x.windowWritten(<-x.written)
}

// checkWriter takes the writer's result if it has written its window.
func (x *restoreRun) checkWriter() error {
	if x.inflight == nil {
		return nil
	}
	select {
	case job := <-x.written:
		return x.windowWritten(job)
	default:
		return nil
	}
}

// windowWritten takes the writer's result: the offsets and counts, the listener's and the
// log's news when it was the target's last window, and the choice of the target's next
// windows' way to deduplicate.
func (x *restoreRun) windowWritten(job *windowJob) error {
	x.inflight = nil
	st, w := job.st, job.win
	defer func() {
		w.reset()
		x.free = append(x.free, w)
	}()
	if job.err != nil {
		return job.err
	}
	st.written = job.next
	if w.records > 0 {
		x.restoredBatch(st, w.lastOffset, w.records)
		st.dedup = w.adapt(job.unique)
	}
	if job.last {
		x.finish(st)
	}
	return x.ctx.Err()
}

// stopWriter stops the writer goroutine, after it has written its window if it has one.
func (x *restoreRun) stopWriter() {
	if x.jobs == nil {
		return
	}
	_ = x.await() // Restore returns another error
	close(x.jobs)
}

// writer writes the windows it is handed, one at a time, and hands them back.
func (x *restoreRun) writer(jobs <-chan *windowJob, written chan<- *windowJob) {
	var sc sortScratch
	var batch []kv.Entry
	for job := range jobs {
		job.unique, job.err = x.writeWindow(job, &sc, &batch)
		written <- job
	}
}

// writeWindow writes the job's window to the target's engine, the last write of each key
// in key order, in batches (in buf), and returns the number of keys.
func (x *restoreRun) writeWindow(job *windowJob, sc *sortScratch, buf *[]kv.Entry) (int, error) {
	w, t := job.win, job.st.target
	order := w.sorted(sc)
	size := x.r.cfg.batchSize
	for i := 0; i < len(order); i += size {
		if i > 0 {
			if err := x.ctx.Err(); err != nil {
				return len(order), err // stop between batches when ctx is done
			}
		}
		batch := (*buf)[:0]
		for _, k := range order[i:min(i+size, len(order))] {
			batch = append(batch, w.entries[k.i])
		}
		err := t.Engine.Write(batch)
		clear(batch) // let the fetched records go
		*buf = batch
		if err != nil {
			return len(order), x.r.targetErr(t, err)
		}
	}
	return len(order), nil
}

// finish tells the listener and the log that a target is restored.
func (x *restoreRun) finish(st *restoring) {
	st.done = true
	st.batch = nil
	st.win = nil
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

// window is a target's deduplication window: the records taken since it was last written
// (see [RestoreBufferBytes]).
//
// While it deduplicates as records come (dedup), a hash table finds each key's entry, which
// the key's later records overwrite; otherwise entries has every record, and sorting drops
// the superseded ones. Either way, writing it sorts what is left by key.
type window struct {
	entries    []kv.Entry // in the order their keys (or records) came
	keys       []sortKey  // keys[i] is entries[i]'s, until sorted
	table      []uint64   // open addressing: 0 empty, else the hash's high 32 bits | index+1
	dedup      bool       // whether the hash table is used
	records    int64      // the records taken
	bytes      int64      // their size, as RestoreBufferBytes counts it
	lastOffset int64      // the offset of the last record taken
	first      []byte
	lcp        int // the length of the prefix that all the keys share: first[:lcp]
	stale      int // keys[:stale] have prefixes taken after a longer lcp
}

// sortKey is an entry of a window, to sort: prefix holds the 8 bytes of its key after the
// prefix that all the window's keys share, big-endian and zero-padded, so that most keys
// are told apart, and ordered, by integers (and a radix sort can do most of the work).
type sortKey struct {
	prefix uint64
	i      uint32 // the entry's index
	n      uint32 // the key's length
}

// windowRecordOverhead is what a record costs a window beyond its key and value: about
// its framing in the fetched batch, its entry and sort key, and its share of the table.
const windowRecordOverhead = 96

// add takes a record into the window and returns what it counts for RestoreBufferBytes.
func (w *window) add(key, value []byte, offset int64, seed maphash.Seed) int64 {
	if w.records == 0 {
		w.first, w.lcp, w.stale = key, len(key), 0
	} else if len(key) < w.lcp || !bytes.Equal(key[:w.lcp], w.first[:w.lcp]) {
		w.lcp = commonPrefixLen(w.first[:w.lcp], key)
		w.stale = len(w.keys)
	}
	e := kv.Entry{Key: key, Value: value, Delete: value == nil}
	sk := sortKey{prefix: prefix8(key[w.lcp:]), i: uint32(len(w.entries)), n: uint32(len(key))}
	if !w.dedup || !w.overwrite(e, sk, seed) {
		w.entries = append(w.entries, e)
		w.keys = append(w.keys, sk)
	}
	w.records++
	w.lastOffset = offset
	n := int64(len(key)+len(value)) + windowRecordOverhead
	w.bytes += n
	return n
}

const hashTagMask = ^uint64(1<<32 - 1)

// overwrite replaces the entry of e's key and returns true or, when the key is new, enters
// it in the hash table as the next entry to be appended and returns false. sk is e's sort
// key.
func (w *window) overwrite(e kv.Entry, sk sortKey, seed maphash.Seed) bool {
	if 2*(len(w.entries)+1) > len(w.table) {
		w.grow(seed)
	}
	h := maphash.Bytes(seed, e.Key)
	tag := h & hashTagMask
	mask := uint64(len(w.table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := w.table[i]
		if s == 0 {
			w.table[i] = tag | uint64(len(w.entries)+1)
			return false
		}
		if s&hashTagMask == tag {
			if j := uint32(s) - 1; w.isKey(j, e.Key, sk) {
				w.entries[j] = e
				return true
			}
		}
	}
}

// isKey reports whether entry j's key is key, whose sort key is sk.
func (w *window) isKey(j uint32, key []byte, sk sortKey) bool {
	k := w.keys[j]
	if k.n != sk.n {
		return false
	}
	if int(j) >= w.stale && int(sk.n) <= w.lcp+8 {
		return k.prefix == sk.prefix // the prefixes hold the keys whole
	}
	return bytes.Equal(w.entries[j].Key, key)
}

// grow doubles the hash table (it holds at most half as many keys as it has slots).
func (w *window) grow(seed maphash.Seed) {
	n := max(2*len(w.table), 1024)
	w.table = make([]uint64, n)
	mask := uint64(n - 1)
	for j := range w.entries {
		h := maphash.Bytes(seed, w.entries[j].Key)
		i := h & mask
		for w.table[i] != 0 {
			i = (i + 1) & mask
		}
		w.table[i] = h&hashTagMask | uint64(j+1)
	}
}

// reset empties the window, letting the fetched records go.
func (w *window) reset() {
	clear(w.entries)
	w.entries = w.entries[:0]
	w.keys = w.keys[:0]
	w.table = nil
	w.first = nil
	w.records, w.bytes, w.lcp, w.stale = 0, 0, 0, 0
}

// A window starts out appending every record, to be deduplicated when it is sorted: that
// is cheapest unless a few keys take most of the records (as an aggregation's few hot keys
// do), when looking each record's key up in the hash table, which then stays small, and
// sorting only the distinct keys measures faster. So a window written with fewer than
// dedupOnRatio distinct keys per record starts using the hash table, and one with more than
// dedupOffRatio stops; windows of fewer than adaptMinRecords records (a target's last, or
// written early for another's room) tell too little.
const (
	dedupOnRatio    = 0.15
	dedupOffRatio   = 0.3
	adaptMinRecords = 4096
)

// adapt returns whether the target's next windows deduplicate as records come, after this
// one, of unique distinct keys, is written.
func (w *window) adapt(unique int) bool {
	if w.records < adaptMinRecords {
		return w.dedup
	}
	ratio := float64(unique) / float64(w.records)
	switch {
	case !w.dedup && ratio < dedupOnRatio:
		return true
	case w.dedup && ratio > dedupOffRatio:
		return false
	}
	return w.dedup
}

// sortScratch is the sorting buffer, kept for the next window.
type sortScratch struct{ b []sortKey }

// radixMin is the number of entries from which a window is radix sorted.
const radixMin = 256

// sorted returns the window's entries to write, in key order: the last entry of each key.
// It reorders w.keys.
func (w *window) sorted(sc *sortScratch) []sortKey {
	for i := range w.keys[:w.stale] {
		w.keys[i].prefix = prefix8(w.entries[i].Key[w.lcp:])
	}
	w.stale = 0
	n := len(w.keys)
	if n < radixMin {
		slices.SortFunc(w.keys, func(a, b sortKey) int {
			if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
				return c
			}
			return w.compare(a, b)
		})
	} else {
		w.keys, sc.b = radixSort(w.keys, slices.Grow(sc.b[:0], n)[:n])
		// The radix sort ordered the prefixes, stably: order the runs of equal ones.
		keys := w.keys
		for i := 0; i < n; {
			j := i + 1
			for j < n && keys[j].prefix == keys[i].prefix {
				j++
			}
			if j-i > 1 {
				w.sortRun(keys[i:j])
			}
			i = j
		}
	}
	keys := w.keys
	out := keys[:0] // in place: out never passes i
	for i := range keys {
		if i+1 < n && w.sameKey(keys[i], keys[i+1]) {
			continue // superseded by a later record of its key
		}
		out = append(out, keys[i])
	}
	return out
}

// sortRun sorts a run of entries of equal prefixes, in arrival order, by key and arrival.
func (w *window) sortRun(run []sortKey) {
	whole := w.lcp + 8
	for _, k := range run {
		if k.n != run[0].n || int(k.n) > whole {
			slices.SortFunc(run, w.compare)
			return
		}
	}
	// The prefixes hold the keys whole, and they are all the same: one key.
}

// compare orders two entries of equal prefixes by key, then by arrival.
func (w *window) compare(a, b sortKey) int {
	whole := w.lcp + 8
	if int(a.n) <= whole && int(b.n) <= whole {
		// The prefixes hold the keys whole: the shorter comes first ("a" < "a\x00").
		if c := cmp.Compare(a.n, b.n); c != 0 {
			return c
		}
	} else if c := bytes.Compare(w.entries[a.i].Key[w.lcp:], w.entries[b.i].Key[w.lcp:]); c != 0 {
		return c
	}
	return cmp.Compare(a.i, b.i)
}

// sameKey reports whether two entries, next to each other in key order, have the same key.
func (w *window) sameKey(a, b sortKey) bool {
	if a.prefix != b.prefix || a.n != b.n {
		return false
	}
	if int(a.n) <= w.lcp+8 {
		return true
	}
	return bytes.Equal(w.entries[a.i].Key[w.lcp+8:], w.entries[b.i].Key[w.lcp+8:])
}

// radixSort sorts a by prefix, stably, least significant byte first, using b (as long as
// a) for scratch; it returns the sorted slice and the other one.
func radixSort(a, b []sortKey) (sorted, scratch []sortKey) {
	var counts [8][256]int
	for i := range a {
		p := a[i].prefix
		counts[0][byte(p)]++
		counts[1][byte(p>>8)]++
		counts[2][byte(p>>16)]++
		counts[3][byte(p>>24)]++
		counts[4][byte(p>>32)]++
		counts[5][byte(p>>40)]++
		counts[6][byte(p>>48)]++
		counts[7][byte(p>>56)]++
	}
	for d := range counts {
		c := &counts[d]
		shift := 8 * uint(d)
		if c[byte(a[0].prefix>>shift)] == len(a) {
			continue // all the same byte here
		}
		sum := 0
		for v, k := range c {
			c[v] = sum
			sum += k
		}
		for _, k := range a {
			v := byte(k.prefix >> shift)
			b[c[v]] = k
			c[v]++
		}
		a, b = b, a
	}
	return a, b
}

// prefix8 returns the first 8 bytes of b as a big-endian integer, zero-padded.
func prefix8(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	var p uint64
	for i, c := range b {
		p |= uint64(c) << (56 - 8*uint(i))
	}
	return p
}

// commonPrefixLen returns the length of the longest common prefix of a and b.
func commonPrefixLen(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
