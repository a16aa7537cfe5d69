package faulttest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/serde"
	_ "github.com/tributary-go/tributary/store/rocksdb" // the DSL's persistent stores
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Environment variables that select and configure a child process's role.
const (
	envRole      = "TRIBUTARY_FAULT_ROLE" // "kfake" or "app"
	envDir       = "TRIBUTARY_FAULT_DIR"  // kfake: its DataDir; app: its state directory
	envBootstrap = "TRIBUTARY_FAULT_BOOTSTRAP"
	envGuarantee = "TRIBUTARY_FAULT_GUARANTEE"
	envInstance  = "TRIBUTARY_FAULT_INSTANCE"
	envStandbys  = "TRIBUTARY_FAULT_STANDBYS" // num.standby.replicas
	envLag       = "TRIBUTARY_FAULT_ACCEPTABLE_LAG"
)

// Names of the application and its topics.
const (
	ApplicationID = "tributary-fault"
	InputTopic    = "fault-input"
	OutputTopic   = "fault-counts"
	StoreName     = "counts"
)

// RoleMain runs the child role selected by the environment, if any, and then exits the
// process; without a role it returns at once. Call it first thing in main (or TestMain) of
// every binary that runs [Run], since Run starts its children by re-executing
// os.Executable.
func RoleMain() {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	var err error
	switch role {
	case "kfake":
		err = runKfake(os.Getenv(envDir))
	case "app":
		standbys, _ := strconv.Atoi(os.Getenv(envStandbys))
		lag, _ := strconv.ParseInt(os.Getenv(envLag), 10, 64)
		err = runApp(os.Getenv(envBootstrap), os.Getenv(envDir), os.Getenv(envGuarantee), os.Getenv(envInstance), standbys, lag)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "faulttest %s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// stopped is closed when the parent closes the child's stdin (or dies) or sends SIGTERM or
// SIGINT: the child's cue to shut down cleanly.
func stopped() <-chan struct{} {
	ch := make(chan struct{})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	go func() {
		select {
		case <-sig:
		case <-eof:
		}
		close(ch)
	}()
	return ch
}

// runKfake serves a one-broker kfake cluster on a free port of 127.0.0.1, keeping its data
// in dir, and prints "ADDR host:port" on stdout once it listens.
func runKfake(dir string) error {
	if dir == "" {
		return fmt.Errorf("%s is empty", envDir)
	}
	stop := stopped()
	kf, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.DataDir(dir),
		kfake.DefaultNumPartitions(1),
		// A killed member must leave the group quickly, so the group may use a short session.
		kfake.GroupMinSessionTimeout(500*time.Millisecond),
	)
	if err != nil {
		return err
	}
	defer kf.Close()
	if os.Getenv("TRIBUTARY_FAULT_NO_REAPER") == "" { // set to see kfake keep dead joiners
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := startSessionReaper(ctx, kf, kf.ListenAddrs(), os.Stderr); err != nil {
			return err
		}
	}
	fmt.Printf("ADDR %s\n", strings.Join(kf.ListenAddrs(), ","))
	<-stop
	return nil
}

// Topology returns the application: the count of the input's records by key, in a RocksDB
// store named [StoreName] backed up to its changelog topic, its updates written to
// [OutputTopic] as (key, count) with the count as a big-endian int64.
func Topology() (*topology.Topology, error) {
	sb := topology.NewStreamsBuilder()
	in := topology.Stream(sb, InputTopic, topology.Consumed[string, string]{Keys: serde.String, Values: serde.String})
	counts := topology.Count(topology.GroupByKey(in, topology.Grouped[string, string]{Keys: serde.String, Values: serde.String}),
		topology.Materialized[string, int64]{Name: StoreName, StoreType: topology.StoreRocksDB})
	counts.ToStream().To(OutputTopic, topology.Produced[string, int64]{Keys: serde.String, Values: serde.Int64})
	return sb.Build()
}

// parseGuarantee maps Kafka's processing.guarantee names to the driver's.
func parseGuarantee(s string) (driver.ProcessingGuarantee, error) {
	switch s {
	case "", "at_least_once":
		return driver.AtLeastOnce, nil
	case "exactly_once_v2":
		return driver.ExactlyOnceV2, nil
	}
	return 0, fmt.Errorf("unknown processing guarantee %q (at_least_once or exactly_once_v2)", s)
}

// runApp runs one instance of the application until told to stop, then closes it cleanly.
func runApp(bootstrap, stateDir, guarantee, instance string, standbys int, acceptableLag int64) error {
	g, err := parseGuarantee(guarantee)
	if err != nil {
		return err
	}
	stop := stopped()
	top, err := Topology()
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if os.Getenv("TRIBUTARY_FAULT_LOG") == "info" { // the driver's progress in the instances' logs
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("instance", instance)
	var extra []driver.Option
	if acceptableLag > 0 {
		extra = append(extra, driver.AcceptableRecoveryLag(acceptableLag))
	}
	d, err := driver.New(top, append([]driver.Option{
		driver.ApplicationID(ApplicationID),
		driver.BootstrapServers(strings.Split(bootstrap, ",")...),
		driver.StateDir(stateDir),
		driver.Guarantee(g),
		driver.NumStandbyReplicas(standbys),
		driver.Concurrency(1),
		driver.CommitInterval(500 * time.Millisecond),
		driver.Logger(logger),
		driver.ClientOptions(
			kgo.FetchMaxWait(100*time.Millisecond),
			kgo.SessionTimeout(2*time.Second),
			kgo.HeartbeatInterval(300*time.Millisecond),
			kgo.RebalanceTimeout(10*time.Second),
			kgo.MetadataMinAge(100*time.Millisecond),
		),
	}, extra...)...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := d.Start(ctx); err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "STARTED %s\n", instance)
	_ = w.Flush()
	select {
	case <-stop:
		return d.Close()
	case <-d.Done():
		cerr := d.Close()
		if err := d.Err(); err != nil {
			return fmt.Errorf("the driver stopped: %w", err)
		}
		return cerr
	}
}
