package testutil

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Cluster is an embedded Kafka broker for integration tests and local runs: franz-go's
// kfake, an in-process Kafka that speaks the protocol (topics and configs, consumer groups,
// transactions, compaction), listening on 127.0.0.1. Point a driver, or any Kafka client,
// at [Cluster.Addrs]. Its helpers create topics and produce and consume records
// synchronously; [Cluster.Kfake] gives the kfake cluster itself, for what they do not
// cover (fault injection with Control, Compact, moving partition leaders).
//
// A Cluster's methods are safe for concurrent use.
type Cluster struct {
	kf    *kfake.Cluster
	addrs []string
	auto  bool

	mu     sync.Mutex
	client *kgo.Client // the helpers' client, made on first use
	closed bool
}

// ClusterOption configures [NewCluster].
type ClusterOption interface {
	apply(*clusterConfig)
}

type clusterOpt func(*clusterConfig)

func (o clusterOpt) apply(c *clusterConfig) { o(c) }

type clusterConfig struct {
	brokers    int
	ports      []int
	dataDir    string
	partitions int
	auto       bool
	kfake      []kfake.Opt
}

// ClusterBrokers sets the number of brokers, overriding 1. Partition leaders are spread
// over them.
func ClusterBrokers(n int) ClusterOption {
	return clusterOpt(func(c *clusterConfig) { c.brokers = max(n, 1) })
}

// ClusterPorts sets the brokers' ports on 127.0.0.1, one broker per port, overriding one
// broker on a random free port (so it also sets the number of brokers).
func ClusterPorts(ports ...int) ClusterOption {
	return clusterOpt(func(c *clusterConfig) { c.ports = ports })
}

// ClusterDataDir makes the cluster keep its topics, records, groups and offsets in dir, and
// reload them from dir when a Cluster is started on it again, overriding keeping everything
// in memory.
func ClusterDataDir(dir string) ClusterOption {
	return clusterOpt(func(c *clusterConfig) { c.dataDir = dir })
}

// ClusterDefaultPartitions sets the number of partitions of the topics created without one
// (CreateTopic with partitions <= 0, and auto-created topics), overriding 1 (Kafka's
// num.partitions default).
func ClusterDefaultPartitions(n int) ClusterOption {
	return clusterOpt(func(c *clusterConfig) { c.partitions = max(n, 1) })
}

// ClusterAutoCreateTopics lets producing to, or consuming from, a missing topic create it
// with the default number of partitions (Kafka's auto.create.topics.enable), overriding no
// auto-creation: by default topics must be created first, as a Kafka Streams deployment's
// usually are.
func ClusterAutoCreateTopics() ClusterOption {
	return clusterOpt(func(c *clusterConfig) { c.auto = true })
}

// ClusterKfakeOptions passes options to kfake.NewCluster, after those the other options
// set (so they win): broker configs, SASL, TLS, a logger, and the rest.
func ClusterKfakeOptions(opts ...kfake.Opt) ClusterOption {
	return clusterOpt(func(c *clusterConfig) { c.kfake = append(c.kfake, opts...) })
}

// NewCluster starts an embedded broker. Without options it is one broker on a random port
// of 127.0.0.1, in memory, with no topics. Close it when done.
func NewCluster(opts ...ClusterOption) (*Cluster, error) {
	cfg := clusterConfig{brokers: 1, partitions: 1}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	kopts := []kfake.Opt{kfake.NumBrokers(cfg.brokers), kfake.DefaultNumPartitions(cfg.partitions)}
	if len(cfg.ports) > 0 {
		kopts = append(kopts, kfake.Ports(cfg.ports...))
	}
	if cfg.dataDir != "" {
		kopts = append(kopts, kfake.DataDir(cfg.dataDir))
	}
	if cfg.auto {
		kopts = append(kopts, kfake.AllowAutoTopicCreation())
	}
	kf, err := kfake.NewCluster(append(kopts, cfg.kfake...)...)
	if err != nil {
		return nil, fmt.Errorf("testutil: starting the embedded Kafka cluster: %w", err)
	}
	return &Cluster{kf: kf, addrs: kf.ListenAddrs(), auto: cfg.auto}, nil
}

// Addrs returns the brokers' host:port addresses, the bootstrap servers.
func (c *Cluster) Addrs() []string { return append([]string(nil), c.addrs...) }

// Kfake returns the kfake cluster, for fault injection (Control, ControlKey), compaction
// (Compact), retention (ApplyRetention), leadership changes and the rest of its API.
func (c *Cluster) Kfake() *kfake.Cluster { return c.kf }

// errClusterClosed is returned by the helpers after Close.
var errClusterClosed = errors.New("testutil: cluster is closed")

// helper returns the helpers' client.
func (c *Cluster) helper() (*kgo.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClusterClosed
	}
	if c.client == nil {
		opts := []kgo.Opt{kgo.SeedBrokers(c.addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner())}
		if c.auto {
			opts = append(opts, kgo.AllowAutoTopicCreation())
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return nil, fmt.Errorf("testutil: cluster client: %w", err)
		}
		c.client = cl
	}
	return c.client, nil
}

// CreateTopic creates topic with partitions partitions (the default number if
// partitions <= 0) and the topic configs (nil for none), such as cleanup.policy. An
// existing topic is an error that wraps kerr.TopicAlreadyExists.
func (c *Cluster) CreateTopic(topic string, partitions int32, configs map[string]string) error {
	cl, err := c.helper()
	if err != nil {
		return err
	}
	if partitions <= 0 {
		partitions = -1
	}
	var cfg map[string]*string
	if len(configs) > 0 {
		cfg = make(map[string]*string, len(configs))
		for k, v := range configs {
			cfg[k] = &v
		}
	}
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, -1, cfg, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("testutil: creating topic %s: %w", topic, err)
	}
	return nil
}

// Produce writes records and waits until the broker has them all. Each record goes to its
// Topic and to the partition in its Partition field (kgo's ManualPartitioner: set it, the
// key does not choose it); its headers and timestamp travel with it (a zero Timestamp
// becomes the current time). It returns the first error.
func (c *Cluster) Produce(ctx context.Context, records ...*kgo.Record) error {
	cl, err := c.helper()
	if err != nil {
		return err
	}
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		return fmt.Errorf("testutil: producing: %w", err)
	}
	return nil
}

// Consume reads topic from the start of every partition, as a consumer outside any group
// reading committed records only (read_committed, as the consumers of an exactly-once
// application do), until it has n records, and returns them: in offset order within a
// partition, in arrival order across partitions (so when the topic holds more than n
// records, which ones make the n is not fixed). When ctx ends first it returns the records
// read so far and an error that wraps ctx.Err().
func (c *Cluster) Consume(ctx context.Context, topic string, n int) ([]*kgo.Record, error) {
	if _, err := c.helper(); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, nil
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.addrs...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	}
	if c.auto {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("testutil: consuming %s: %w", topic, err)
	}
	defer cl.Close()
	out := make([]*kgo.Record, 0, n)
	for len(out) < n {
		fs := cl.PollRecords(ctx, n-len(out))
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("testutil: consuming %s: read %d of %d records: %w", topic, len(out), n, err)
		}
		if err := fs.Err0(); err != nil {
			return out, fmt.Errorf("testutil: consuming %s: %w", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out, nil
}

// Close stops the helpers' client and the cluster. It is idempotent.
func (c *Cluster) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	cl := c.client
	c.client = nil
	c.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
	c.kf.Close()
}
