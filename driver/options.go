package driver

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/tributary-go/tributary/processor"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Option configures a [Driver]. Each option's doc gives its default and the Kafka Streams
// setting (StreamsConfig) it mirrors.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// ProcessingGuarantee is processing.guarantee.
type ProcessingGuarantee int

const (
	// AtLeastOnce is "at_least_once" (the default): consumer offsets are committed only
	// after every output and changelog record up to them is acknowledged, so a crash may
	// reprocess records but never loses one.
	AtLeastOnce ProcessingGuarantee = iota
	// ExactlyOnceV2 is "exactly_once_v2" (KIP-447): each worker has one transactional
	// producer, transactional.id "<application.id>-<process id>-<worker index>" (Kafka's
	// ActiveTaskCreator), and commits its output records, changelog records and consumer
	// offsets in one transaction per commit interval (default 100 ms under this guarantee, as
	// Kafka sets commit.interval.ms). Inputs and changelogs are read with read_committed. No
	// checkpoint file exists while a task runs (it is deleted when the task starts and written
	// only when it closes cleanly), so after a crash the task's local state is wiped and
	// restored from its changelog. A transaction that cannot commit (fenced producer, lost
	// generation) is aborted, the worker's tasks are closed dirty and the worker rejoins
	// (Kafka's TaskMigratedException).
	ExactlyOnceV2
)

// String returns Kafka's name of the guarantee.
func (g ProcessingGuarantee) String() string {
	switch g {
	case AtLeastOnce:
		return "at_least_once"
	case ExactlyOnceV2:
		return "exactly_once_v2"
	}
	return fmt.Sprintf("ProcessingGuarantee(%d)", int(g))
}

// ProductionError is a record a sink could not produce (Kafka's ProductionExceptionHandler
// input): the topic and partition it was sent to, the record's bytes and the cause.
type ProductionError struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Err       error
}

// Error implements error.
func (e *ProductionError) Error() string {
	return fmt.Sprintf("producing to %s-%d: %v", e.Topic, e.Partition, e.Err)
}

// Unwrap returns the cause.
func (e *ProductionError) Unwrap() error { return e.Err }

// ProductionHandler decides what happens when a sink's record cannot be produced after the
// client's retries (Kafka's ProductionExceptionHandler): Fail stops the application with the
// error, before the offsets of the input that caused it are committed; Continue drops the
// record and counts it. Changelog records are never skipped: their failure is always fatal.
type ProductionHandler func(err *ProductionError) processor.HandlerResponse

// TimestampExtractor is default.timestamp.extractor: it returns the timestamp of a consumed
// record in milliseconds, given the record and the highest timestamp seen so far on its
// partition (-1 before the first). A negative result or an error sends the record to the
// deserialization handler.
type TimestampExtractor func(r *kgo.Record, partitionTime int64) (int64, error)

// StateListener is told about state changes (Kafka's KafkaStreams.StateListener).
type StateListener func(newState, oldState State)

type config struct {
	applicationID     string
	bootstrap         []string
	stateDir          string
	concurrency       int
	commitInterval    time.Duration
	commitIntervalSet bool // CommitInterval was given: ExactlyOnceV2 keeps it
	guarantee         ProcessingGuarantee
	cacheMaxBytes     int64
	timestamps        TimestampExtractor
	onDeserialization processor.DeserializationHandler
	onProcessing      processor.ProcessingHandler
	onProduction      ProductionHandler
	deadLetterTopic   string
	kgoOpts           []kgo.Opt
	applicationServer string
	logger            *slog.Logger
	stateListener     StateListener
	restoreListener   changelog.RestoreListener
	replication       int16
	maxPollRecords    int
	pollInterval      time.Duration
	restoreBuffer     int64 // -1: the restorer's default
	numStandby        int
	acceptableLag     int64
	maxWarmups        int
	probingInterval   time.Duration
}

func defaultConfig() config {
	return config{
		bootstrap:       []string{"localhost:9092"},
		stateDir:        filepath.Join(os.TempDir(), "tributary"),
		concurrency:     runtime.GOMAXPROCS(0),
		commitInterval:  30 * time.Second,
		cacheMaxBytes:   10 << 20,
		replication:     -1,
		maxPollRecords:  1000,
		restoreBuffer:   -1,
		pollInterval:    100 * time.Millisecond,
		logger:          slog.Default(),
		acceptableLag:   10000,
		maxWarmups:      2,
		probingInterval: 10 * time.Minute,
	}
}

func (c *config) validate() error {
	var errs []error
	if c.applicationID == "" {
		errs = append(errs, errors.New("ApplicationID is required (application.id)"))
	}
	if len(c.bootstrap) == 0 {
		errs = append(errs, errors.New("BootstrapServers needs at least one address"))
	}
	if c.concurrency < 1 {
		errs = append(errs, fmt.Errorf("Concurrency %d: must be at least 1", c.concurrency))
	}
	if c.commitInterval <= 0 {
		errs = append(errs, fmt.Errorf("CommitInterval %v: must be positive", c.commitInterval))
	}
	if c.guarantee != AtLeastOnce && c.guarantee != ExactlyOnceV2 {
		errs = append(errs, fmt.Errorf("processing guarantee %s is not supported (at_least_once or exactly_once_v2)", c.guarantee))
	}
	if c.applicationServer != "" {
		if _, err := ParseHostInfo(c.applicationServer); err != nil {
			errs = append(errs, fmt.Errorf("ApplicationServer: %w", err))
		}
	}
	if c.numStandby < 0 {
		errs = append(errs, fmt.Errorf("NumStandbyReplicas %d: must not be negative", c.numStandby))
	}
	if c.acceptableLag < 0 {
		errs = append(errs, fmt.Errorf("AcceptableRecoveryLag %d: must not be negative", c.acceptableLag))
	}
	if c.maxWarmups < 1 {
		errs = append(errs, fmt.Errorf("MaxWarmupReplicas %d: must be at least 1", c.maxWarmups))
	}
	if c.probingInterval < time.Second {
		errs = append(errs, fmt.Errorf("ProbingRebalanceInterval %v: must be at least 1s", c.probingInterval))
	}
	if c.maxPollRecords < 1 {
		errs = append(errs, fmt.Errorf("MaxPollRecords %d: must be at least 1", c.maxPollRecords))
	}
	return errors.Join(errs...)
}

// ApplicationID sets application.id (required): the consumer group id, the prefix of
// internal topics and the name of the application's state directory.
func ApplicationID(id string) Option { return optionFunc(func(c *config) { c.applicationID = id }) }

// BootstrapServers sets bootstrap.servers, default "localhost:9092".
func BootstrapServers(addrs ...string) Option {
	return optionFunc(func(c *config) { c.bootstrap = append([]string(nil), addrs...) })
}

// StateDir sets state.dir, the root of the stores' directories, default
// os.TempDir()/tributary (Kafka: ${java.io.tmpdir}/kafka-streams). A task's persistent stores
// live in <state.dir>/<application.id>/<task id>.
func StateDir(dir string) Option { return optionFunc(func(c *config) { c.stateDir = dir }) }

// Concurrency sets the number of workers (num.stream.threads), default GOMAXPROCS. Each
// worker is a consumer-group member with its own Kafka client and runs its tasks one at a
// time; tasks are spread over the workers, and no task is ever processed by two at once.
func Concurrency(n int) Option { return optionFunc(func(c *config) { c.concurrency = n }) }

// CommitInterval sets commit.interval.ms, default 30 s, or 100 ms under [ExactlyOnceV2]
// (as Kafka's StreamsConfig sets it): how often each worker flushes its stores and caches,
// waits for its produced records and commits its consumer offsets (in one transaction under
// ExactlyOnceV2).
func CommitInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.commitInterval, c.commitIntervalSet = d, true })
}

// Guarantee sets processing.guarantee, default [AtLeastOnce].
func Guarantee(g ProcessingGuarantee) Option {
	return optionFunc(func(c *config) { c.guarantee = g })
}

// CacheMaxBytes sets statestore.cache.max.bytes (formerly cache.max.bytes.buffering),
// default 10 MiB: the record cache's budget, split evenly across workers. 0 turns caching
// off everywhere.
func CacheMaxBytes(n int64) Option { return optionFunc(func(c *config) { c.cacheMaxBytes = n }) }

// DefaultTimestampExtractor sets default.timestamp.extractor; the default uses each record's
// own timestamp (FailOnInvalidTimestamp: a negative timestamp goes to the deserialization
// handler). A source's own extractor (topology.Source.Timestamps) runs after it.
func DefaultTimestampExtractor(fn TimestampExtractor) Option {
	return optionFunc(func(c *config) { c.timestamps = fn })
}

// DeserializationHandler sets deserialization.exception.handler, default
// processor.LogAndFail logging to the driver's Logger (processor.LogAndFailTo; use
// processor.LogAndContinueTo(logger) for Kafka's LogAndContinue through it). With a DeadLetterTopic, records the handler skips or fails are sent
// there first.
func DeserializationHandler(h processor.DeserializationHandler) Option {
	return optionFunc(func(c *config) { c.onDeserialization = h })
}

// ProcessingHandler sets processing.exception.handler (KIP-1033), default
// processor.LogAndFailProcessing.
func ProcessingHandler(h processor.ProcessingHandler) Option {
	return optionFunc(func(c *config) { c.onProcessing = h })
}

// OnProductionError sets production.exception.handler, default: fail.
func OnProductionError(h ProductionHandler) Option {
	return optionFunc(func(c *config) { c.onProduction = h })
}

// DeadLetterTopic sets errors.deadletterqueue.topic.name (KIP-1034), default none. Every
// record the deserialization handler rejects (Continue or Fail) is first produced to this
// topic, unchanged, with headers naming the error and where the record came from:
// __streams.errors.exception, __streams.errors.message, __streams.errors.topic,
// __streams.errors.partition and __streams.errors.offset.
func DeadLetterTopic(topic string) Option {
	return optionFunc(func(c *config) { c.deadLetterTopic = topic })
}

// ClientOptions passes options to every franz-go client the driver creates (TLS, SASL,
// timeouts, fetch and batch tuning). The driver sets the seed brokers, the group, the
// balancer, the partitioner and the rebalance callbacks itself; options that change those
// break it.
func ClientOptions(opts ...kgo.Opt) Option {
	return optionFunc(func(c *config) { c.kgoOpts = append(c.kgoOpts, opts...) })
}

// ApplicationServer sets application.server, "host:port", default none: the endpoint of
// this instance's interactive-query server, shared with the other instances through the
// consumer group so that each knows which instance hosts which task.
func ApplicationServer(hostPort string) Option {
	return optionFunc(func(c *config) { c.applicationServer = hostPort })
}

// Logger sets the logger, default slog.Default().
func Logger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.logger = l }) }

// OnStateChange sets the state listener (KafkaStreams.setStateListener), default none. It
// is called synchronously on state changes; it must not block or call Close.
func OnStateChange(fn StateListener) Option {
	return optionFunc(func(c *config) { c.stateListener = fn })
}

// RestoreListener sets the global restore listener (KafkaStreams.setGlobalStateRestoreListener),
// default none; progress is also logged.
func RestoreListener(l changelog.RestoreListener) Option {
	return optionFunc(func(c *config) { c.restoreListener = l })
}

// ReplicationFactor sets replication.factor for the internal topics the driver creates,
// default -1 (the broker's default.replication.factor).
func ReplicationFactor(n int16) Option { return optionFunc(func(c *config) { c.replication = n }) }

// MaxPollRecords sets max.poll.records, default 1000 (Kafka Streams' default): the most
// records a worker takes from its client per loop.
func MaxPollRecords(n int) Option { return optionFunc(func(c *config) { c.maxPollRecords = n }) }

// RestoreBufferBytes sets how much each worker may hold while restoring to deduplicate a
// changelog's writes per key before writing them in key order (changelog.RestoreBufferBytes),
// default 64 MiB; 0 writes every record in log order. No Kafka setting: Kafka Streams
// restores record by record.
func RestoreBufferBytes(n int64) Option {
	return optionFunc(func(c *config) { c.restoreBuffer = max(n, 0) })
}

// NumStandbyReplicas sets num.standby.replicas, default 0: how many instances besides the
// active one keep a replica of each stateful task, replaying its changelogs, so that a failover
// restores only the tail. Replicas go to other instances (processes) than the active task's; with
// fewer instances there are fewer replicas. Standby stores can be queried with [StaleStores].
func NumStandbyReplicas(n int) Option { return optionFunc(func(c *config) { c.numStandby = n }) }

// AcceptableRecoveryLag sets acceptable.recovery.lag, default 10000 (KIP-441): an instance
// whose state for a task is at most this many changelog records behind counts as caught up and
// can be given the active task at once; a task is never moved to an instance that is further
// behind while a caught-up one exists. It gets a warmup replica instead. Under exactly-once a
// caught-up replica stays one record (the commit marker) behind per changelog partition, so 0
// there means a warmup is never caught up: keep it at least the number of a task's stores.
func AcceptableRecoveryLag(n int64) Option {
	return optionFunc(func(c *config) { c.acceptableLag = n })
}

// MaxWarmupReplicas sets max.warmup.replicas, default 2 (KIP-441): the most warmup replicas
// (standbys beyond NumStandbyReplicas, on an instance a task is meant to move to) handed out
// in one assignment.
func MaxWarmupReplicas(n int) Option { return optionFunc(func(c *config) { c.maxWarmups = n }) }

// ProbingRebalanceInterval sets probing.rebalance.interval.ms, default 10 minutes (KIP-441):
// how long after an assignment with warmup replicas a rebalance is triggered to move the
// tasks whose warmups have caught up. A worker also triggers it as soon as all of its warmups
// are within AcceptableRecoveryLag. At least one second.
func ProbingRebalanceInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.probingInterval = d })
}
