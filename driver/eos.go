package driver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// eosCommitInterval is commit.interval.ms under exactly_once_v2 (Kafka's StreamsConfig
// EOS_DEFAULT_COMMIT_INTERVAL_MS).
const eosCommitInterval = 100 * time.Millisecond

// eosTransactionTimeout is transaction.timeout.ms under exactly_once_v2 (Kafka Streams sets
// its producers' default to 10 s); ClientOptions(kgo.TransactionTimeout(...)) overrides it.
const eosTransactionTimeout = 10 * time.Second

// processFileName is the file in <state.dir>/<application.id> holding the instance's process
// id (Kafka's StateDirectory.PROCESS_FILE_NAME), so that a restarted instance reuses its
// transactional ids and fences the transactions its previous run left open.
const processFileName = "kafka-streams-process-metadata"

// processIdentity returns the instance's process id, read from its process file in the
// application's state directory or created (a random UUID) and written there (Kafka's
// StateDirectory.initializeProcessId).
func processIdentity(dir string) (string, error) {
	path := filepath.Join(dir, processFileName)
	var f struct {
		ProcessID string `json:"processId"`
	}
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &f) == nil && f.ProcessID != "" {
		return f.ProcessID, nil
	}
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	f.ProcessID = fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating state directory: %w", err)
	}
	b, _ := json.Marshal(f)
	// Written to a temporary file and renamed, so that a process killed meanwhile leaves no
	// torn file: a lost process id means new transactional ids, and the previous run's open
	// transactions then wait for the broker's transaction timeout instead of being fenced.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return "", fmt.Errorf("writing process file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("writing process file: %w", err)
	}
	return f.ProcessID, nil
}

// transactionalID is the worker's transactional.id under exactly_once_v2: Kafka's
// "<application.id>-<processId>-<threadIdx>" (ActiveTaskCreator); threads count from 1.
func (w *worker) transactionalID() string {
	return w.d.cfg.applicationID + "-" + w.d.processID + "-" + strconv.Itoa(w.id+1)
}

// eos reports whether the worker runs under exactly_once_v2.
func (w *worker) eos() bool { return w.d.cfg.guarantee == ExactlyOnceV2 }

// beginTxn begins the worker's transaction unless one is open (Kafka's
// StreamsProducer.maybeBeginTransaction): called before every record the worker produces.
func (w *worker) beginTxn() error {
	if !w.eos() {
		return nil
	}
	w.txnMu.Lock()
	defer w.txnMu.Unlock()
	if w.inTxn {
		return nil
	}
	if err := w.prod.BeginTransaction(); err != nil {
		return fmt.Errorf("worker %d: beginning transaction: %w", w.id, err)
	}
	w.inTxn = true
	return nil
}

// fenced reports whether err means the worker's producer or its group membership was
// fenced, so that the tasks may belong to another member (Kafka's TaskMigratedException
// under exactly-once).
func fenced(err error) bool {
	return migrated(err) || errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) ||
		errors.Is(err, kerr.TransactionAbortable) || errors.Is(err, kerr.OperationNotAttempted) ||
		errors.Is(err, kerr.StaleMemberEpoch) || errors.Is(err, kerr.GroupIDNotFound) ||
		errors.Is(err, kerr.InvalidTxnState)
}

// commitEOS is the exactly-once commit: flush every task's stores and caches (their
// changelog records join the open transaction), wait for every produced record, add the
// consumer offsets to the transaction and commit it. No checkpoint is written. Whatever fails
// aborts the transaction; a fenced producer or member returns errTaskMigrated, so that the
// worker drops its tasks' dirty state and rejoins. The caller holds w.mu.
func (w *worker) commitEOS() error {
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
		if fenced(err) {
			return fmt.Errorf("worker %d: producing: %w (%w)", w.id, errTaskMigrated, err)
		}
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
	w.txnMu.Lock()
	inTxn := w.inTxn
	w.txnMu.Unlock()
	if !inTxn {
		// Nothing was produced since the last commit: the offsets alone are the commit, and
		// a plain offset commit (fenced by the group generation like a transactional one) is
		// as atomic. franz-go ends no transaction that produced nothing.
		if len(offsets) > 0 {
			if err := w.commitOffsets(ctx, offsets); err != nil {
				return err
			}
		}
		for _, t := range tasks {
			t.dirty = false
		}
		return nil
	}
	if len(offsets) > 0 {
		if err := w.txnOffsets(ctx, offsets); err != nil {
			w.abortTxn()
			if fenced(err) {
				return fmt.Errorf("worker %d: committing offsets in the transaction: %w (%w)", w.id, errTaskMigrated, err)
			}
			return fmt.Errorf("worker %d: committing offsets in the transaction: %w", w.id, err)
		}
	}
	w.txnMu.Lock()
	err := w.prod.EndTransaction(ctx, kgo.TryCommit)
	w.inTxn = false
	w.txnMu.Unlock()
	if err != nil {
		w.abortTxn()
		if fenced(err) {
			return fmt.Errorf("worker %d: committing the transaction: %w (%w)", w.id, errTaskMigrated, err)
		}
		return fmt.Errorf("worker %d: committing the transaction: %w", w.id, err)
	}
	for _, t := range tasks {
		t.dirty = false
	}
	return nil
}

// abortTxn aborts the open transaction, if any: the records not yet sent are dropped and the
// sent ones are aborted, so that read_committed consumers never see them.
func (w *worker) abortTxn() {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	w.txnMu.Lock()
	defer w.txnMu.Unlock()
	if err := w.prod.AbortBufferedRecords(ctx); err != nil {
		w.d.cfg.logger.Warn("tributary: aborting buffered records", "worker", w.id, "error", err)
	}
	if err := w.prod.EndTransaction(ctx, kgo.TryAbort); err != nil {
		w.d.cfg.logger.Warn("tributary: aborting the transaction", "worker", w.id, "error", err)
	}
	w.inTxn = false
	// A producer whose id failed (fenced, or an end whose outcome is unknown) is replaced,
	// as Kafka re-initializes the thread's producer: the new one's InitProducerId bumps the
	// epoch of the transactional id, which aborts whatever the broker still holds open.
	// Until then the open transaction's pending offsets would block every member's offset
	// fetch (UNSTABLE_OFFSET_COMMIT).
	if w.stopped {
		return // shutting down: the clients close next
	}
	if _, _, err := w.prod.ProducerID(ctx); err != nil {
		w.log("tributary: replacing the transactional producer", "error", err.Error())
		w.prod.Close()
		p, perr := w.newProducer(w.ctx)
		if perr != nil {
			w.prod = w.client // produces fail (not transactional) until the driver stops
			w.d.fail(perr)
			return
		}
		w.prod = p
	}
}

// newProducer creates and initializes the worker's transactional producer (Kafka's
// initTransactions, before any task runs): it fences the transactions a previous producer
// with the same transactional id left open.
func (w *worker) newProducer(ctx context.Context) (*kgo.Client, error) {
	d := w.d
	opts := append([]kgo.Opt{kgo.TransactionTimeout(eosTransactionTimeout)}, d.cfg.kgoOpts...) // the user's options may override the timeout
	opts = append(opts,
		kgo.SeedBrokers(d.cfg.bootstrap...),
		kgo.TransactionalID(w.transactionalID()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ClientID(fmt.Sprintf("%s-worker-%d-producer", d.cfg.applicationID, w.id)),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("driver: worker %d: producer: %w", w.id, err)
	}
	ictx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if _, _, err := cl.ProducerID(ictx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("driver: worker %d: initializing transactional id %s: %w", w.id, w.transactionalID(), err)
	}
	return cl, nil
}

// closeClients closes the worker's clients.
func (w *worker) closeClients() {
	w.client.Close()
	if w.prod != w.client {
		w.prod.Close()
	}
}

// txnOffsets adds the consumer offsets to the open transaction (AddOffsetsToTxn, then
// TxnOffsetCommit with the member's generation for KIP-447 fencing).
func (w *worker) txnOffsets(ctx context.Context, offsets map[string]map[int32]kgo.EpochOffset) error {
	pid, epoch, err := w.prod.ProducerID(ctx)
	if err != nil {
		return err
	}
	group := w.d.cfg.applicationID
	txnID := w.transactionalID()
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = txnID, pid, epoch, group
	for try := 0; ; try++ {
		resp, err := add.RequestWith(ctx, w.prod)
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if errors.Is(err, kerr.ConcurrentTransactions) && try < 50 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("AddOffsetsToTxn: %w", err)
		}
		break
	}
	ids, err := w.topicIDs(ctx, offsets)
	if err != nil {
		return err
	}
	member, gen := w.client.GroupMetadata()
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = txnID, group, pid, epoch
	req.Generation, req.MemberID = gen, member
	for topic, parts := range offsets {
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic, rt.TopicID = topic, ids[topic]
		for p, o := range parts {
			rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = p, o.Offset, o.Epoch
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, w.client)
	if err != nil {
		return fmt.Errorf("TxnOffsetCommit: %w", err)
	}
	var errs []error
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				errs = append(errs, fmt.Errorf("TxnOffsetCommit %s-%d: %w", t.Topic, p.Partition, err))
			}
		}
	}
	return errors.Join(errs...)
}

// topicIDs returns the ids of the topics of offsets (TxnOffsetCommit v6 names topics by
// id), cached.
func (w *worker) topicIDs(ctx context.Context, offsets map[string]map[int32]kgo.EpochOffset) (map[string][16]byte, error) {
	out := make(map[string][16]byte, len(offsets))
	var missing []string
	for topic := range offsets {
		if id, ok := w.topicIDCache[topic]; ok {
			out[topic] = id
		} else {
			missing = append(missing, topic)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	details, err := w.d.adm.ListTopics(ctx, missing...)
	if err != nil {
		return nil, fmt.Errorf("topic ids: %w", err)
	}
	for _, topic := range missing {
		td, ok := details[topic]
		if !ok || td.Err != nil {
			return nil, fmt.Errorf("topic id of %s: not found", topic)
		}
		w.topicIDCache[topic] = [16]byte(td.ID)
		out[topic] = [16]byte(td.ID)
	}
	return out, nil
}

// commitOffsets commits offsets outside of any transaction; a lost generation returns
// errTaskMigrated.
func (w *worker) commitOffsets(ctx context.Context, offsets map[string]map[int32]kgo.EpochOffset) error {
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
	return nil
}
