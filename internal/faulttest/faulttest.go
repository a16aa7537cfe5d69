// Package faulttest is a multi-process fault test of the Kafka runtime (package driver):
// a kfake broker in its own process keeping its data in a directory, several instances of a
// count-by-key application (RocksDB store, one application id, one state directory each) in
// their own processes, an input of many records over many keys produced while they run, and
// a random instance killed with SIGKILL every few seconds and started again on its state
// directory. At the end every key's count, in the output topic (last update per key) and in
// the store's changelog topic, is compared with the truth: under at-least-once no key may be
// missing or below the truth (duplicates are allowed); under exactly-once every count must
// equal the truth.
//
// [Run] starts its children by re-executing os.Executable with an environment variable
// naming their role, so every binary that calls Run must call [RoleMain] first: the
// package's own tests (TestFaultShort and TestFaultExactlyOnceShort, the short versions run
// by go test) and the command cmd/tributary-fault (the full version, make fault).
package faulttest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tributary-go/tributary/changelog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Config sizes a fault run.
type Config struct {
	// Records is the number of input records, Keys the number of distinct keys they spread
	// over (record i has key i mod Keys, so every key gets Records/Keys records, give or
	// take one).
	Records, Keys int
	// Instances is the number of application processes (default 3), Partitions the number of
	// partitions of the input and output topics (default 6).
	Instances  int
	Partitions int32
	// ProduceFor spreads the production of the input over this long, so the kills land while
	// there is work (default 10s).
	ProduceFor time.Duration
	// KillEvery is the mean time between two kills (default 3s; each wait is drawn
	// uniformly from [KillEvery/2, 3*KillEvery/2]). Kills stop once the input is
	// produced; KillsAfter more kills (default 1) are done after that, while the instances
	// catch up.
	KillEvery  time.Duration
	KillsAfter int
	// Guarantee is Kafka's processing.guarantee: "at_least_once" (default) or
	// "exactly_once_v2".
	Guarantee string
	// Standbys is num.standby.replicas of the instances (default 0): with 1, a killed
	// instance's tasks are promoted from replicas on the others.
	Standbys int
	// AcceptableLag is the instances' acceptable.recovery.lag (0: the driver's default,
	// 10,000). Below a task's changelog size, a restarted instance gets warmup replicas
	// instead of its old tasks, which stay on (or are promoted on) the instances that are
	// caught up.
	AcceptableLag int64
	// Timeout bounds the whole run (default 5 minutes).
	Timeout time.Duration
	// Dir holds the broker's data, the instances' state directories and the children's
	// logs; default a temporary directory removed at the end (kept when the run fails).
	Dir string
	// Seed seeds the choice of the instance to kill (default: time-based).
	Seed uint64
	// Logf receives progress lines (default: none).
	Logf func(format string, args ...any)
}

// Result is what a run did and found.
type Result struct {
	Records, Keys int // input produced
	Kills         int // instances killed with SIGKILL (and started again)
	// OutputRecords and ChangelogRecords are the records read from the output and
	// changelog topics; OutputKeys and StoreKeys the distinct keys found there.
	OutputRecords, ChangelogRecords int
	OutputKeys, StoreKeys           int
	// Compared is the number of (key, count) pairs compared with the truth (output and
	// store), OverCounted the keys counted more than their truth (allowed under
	// at-least-once) and Excess the sum of the surplus.
	Compared    int
	OverCounted int
	Excess      int64
	Elapsed     time.Duration
	Dir         string // the work directory (removed unless the run failed or Config.Dir was set)
}

// String is the summary line that make fault prints and the test logs.
func (r Result) String() string {
	return fmt.Sprintf("kills survived: %d; records produced: %d over %d keys; output: %d records, %d keys; store (changelog): %d records, %d keys; counts compared: %d; keys over-counted: %d (surplus %d); %v",
		r.Kills, r.Records, r.Keys, r.OutputRecords, r.OutputKeys, r.ChangelogRecords, r.StoreKeys, r.Compared, r.OverCounted, r.Excess, r.Elapsed.Round(time.Millisecond))
}

func (c *Config) defaults() error {
	if c.Records <= 0 || c.Keys <= 0 || c.Keys > c.Records {
		return fmt.Errorf("faulttest: Records %d and Keys %d: need 0 < Keys <= Records", c.Records, c.Keys)
	}
	if c.Instances <= 0 {
		c.Instances = 3
	}
	if c.Partitions <= 0 {
		c.Partitions = 6
	}
	if c.ProduceFor <= 0 {
		c.ProduceFor = 10 * time.Second
	}
	if c.KillEvery <= 0 {
		c.KillEvery = 3 * time.Second
	}
	if c.KillsAfter < 0 {
		c.KillsAfter = 0
	} else if c.KillsAfter == 0 {
		c.KillsAfter = 1
	}
	if c.Guarantee == "" {
		c.Guarantee = "at_least_once"
	}
	if _, err := parseGuarantee(c.Guarantee); err != nil {
		return fmt.Errorf("faulttest: %w", err)
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return nil
}

// Key returns the key of input record i.
func Key(i, keys int) string { return fmt.Sprintf("key-%06d", i%keys) }

// Run does a fault run and checks the counts. It returns an error when the check fails or
// the run cannot complete; the Result is filled as far as the run went. Every process it
// starts is stopped before it returns.
func Run(ctx context.Context, cfg Config) (res Result, err error) {
	start := time.Now()
	if err := cfg.defaults(); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	exe, err := os.Executable()
	if err != nil {
		return res, fmt.Errorf("faulttest: %w", err)
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tributary-fault-"); err != nil {
			return res, fmt.Errorf("faulttest: %w", err)
		}
		defer func() {
			if err == nil {
				_ = os.RemoveAll(dir)
			}
		}()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("faulttest: %w", err)
	}
	res.Dir = dir
	defer func() { res.Elapsed = time.Since(start) }()
	r := &runner{cfg: cfg, exe: exe, dir: dir, rng: rand.New(rand.NewPCG(cfg.Seed, 0))}
	defer r.stopAll()

	// The broker.
	broker, err := r.start("kfake", []string{envRole + "=kfake", envDir + "=" + filepath.Join(dir, "kfake")})
	if err != nil {
		return res, err
	}
	addr, err := broker.readLine(ctx, "ADDR ", 30*time.Second)
	if err != nil {
		return res, err
	}
	r.bootstrap = addr
	cfg.Logf("kfake broker (pid %d) at %s, data in %s", broker.cmd.Process.Pid, addr, filepath.Join(dir, "kfake"))
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return res, fmt.Errorf("faulttest: client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, t := range []string{InputTopic, OutputTopic} {
		resp, err := adm.CreateTopic(ctx, cfg.Partitions, 1, nil, t)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			return res, fmt.Errorf("faulttest: creating topic %s: %w", t, err)
		}
	}

	// The instances.
	r.apps = make([]*proc, cfg.Instances)
	for i := range r.apps {
		if err := r.startApp(ctx, i); err != nil {
			return res, err
		}
	}
	cfg.Logf("%d instances of %s running (%s)", cfg.Instances, ApplicationID, cfg.Guarantee)

	// The input, produced while a killer kills.
	truth := make(map[string]int64, cfg.Keys)
	for i := range cfg.Records {
		truth[Key(i, cfg.Keys)]++
	}
	res.Records, res.Keys = cfg.Records, cfg.Keys
	produced := make(chan error, 1)
	go func() { produced <- produce(ctx, cl, cfg) }()
	kills, killErr := r.killLoop(ctx, produced)
	res.Kills = kills
	if killErr != nil {
		return res, killErr
	}
	cfg.Logf("input produced: %d records over %d keys; %d kills so far", cfg.Records, cfg.Keys, kills)

	// Wait until the group has committed the whole input: the outputs are then acknowledged.
	if err := r.waitCommitted(ctx, adm); err != nil {
		return res, err
	}
	if err := r.appsAlive(); err != nil {
		return res, err
	}

	// Compare.
	eos := cfg.Guarantee == "exactly_once_v2"
	out, n, err := lastValues(ctx, cl, adm, OutputTopic, eos)
	if err != nil {
		return res, err
	}
	res.OutputRecords, res.OutputKeys = n, len(out)
	store, n, err := lastValues(ctx, cl, adm, changelog.TopicName(ApplicationID, StoreName), eos)
	if err != nil {
		return res, err
	}
	res.ChangelogRecords, res.StoreKeys = n, len(store)
	err = check(&res, truth, cfg.Guarantee, map[string]map[string]int64{"output topic": out, "store changelog": store})
	if err == nil {
		err = r.stopApps()
	}
	return res, err
}

// check compares the counts of every source with the truth.
func check(res *Result, truth map[string]int64, guarantee string, sources map[string]map[string]int64) error {
	var problems []string
	for name, got := range sources {
		var missing, under, extra []string
		for k, want := range truth {
			n, ok := got[k]
			switch {
			case !ok:
				missing = append(missing, k)
			case n < want:
				under = append(under, fmt.Sprintf("%s=%d<%d", k, n, want))
			case n > want && guarantee == "exactly_once_v2":
				under = append(under, fmt.Sprintf("%s=%d>%d", k, n, want))
			case n > want:
				if name == "output topic" {
					res.OverCounted++
					res.Excess += n - want
				}
			}
			if ok {
				res.Compared++
			}
		}
		for k := range got {
			if _, ok := truth[k]; !ok {
				extra = append(extra, k)
			}
		}
		if len(missing)+len(under)+len(extra) > 0 {
			slices.Sort(missing)
			slices.Sort(under)
			slices.Sort(extra)
			problems = append(problems, fmt.Sprintf("%s: %d keys missing %v, %d wrong counts %v, %d unknown keys %v",
				name, len(missing), head(missing), len(under), head(under), len(extra), head(extra)))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("faulttest: counts differ from the truth (%s): %s", guarantee, strings.Join(problems, "; "))
	}
	return nil
}

func head(s []string) []string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// produce writes the input, record i keyed Key(i), spread evenly over cfg.ProduceFor.
func produce(ctx context.Context, cl *kgo.Client, cfg Config) error {
	const batch = 1000
	batches := (cfg.Records + batch - 1) / batch
	start := time.Now()
	recs := make([]*kgo.Record, 0, batch)
	for b := range batches {
		recs = recs[:0]
		for i := b * batch; i < min((b+1)*batch, cfg.Records); i++ {
			recs = append(recs, &kgo.Record{Topic: InputTopic, Key: []byte(Key(i, cfg.Keys)), Value: []byte("v")})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return fmt.Errorf("faulttest: producing the input: %w", err)
		}
		due := start.Add(time.Duration(int64(cfg.ProduceFor) * int64(b+1) / int64(batches)))
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// lastValues reads topic from the start up to its current end and returns the last count
// per key (a changelog value may carry a timestamp first: the count is its last 8 bytes)
// and the number of records read.
func lastValues(ctx context.Context, cl *kgo.Client, adm *kadm.Client, topic string, committed bool) (map[string]int64, int, error) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("faulttest: end offsets of %s: %w", topic, err)
	}
	want := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = kgo.NewOffset().AtStart()
			remaining[o.Partition] = o.Offset
		}
	})
	got := map[string]int64{}
	if len(want) == 0 {
		return got, 0, nil
	}
	opts := []kgo.Opt{kgo.SeedBrokers(cl.OptValue(kgo.SeedBrokers).([]string)...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: want}), kgo.FetchMaxWait(100 * time.Millisecond)}
	if committed {
		// Under exactly-once only committed records count, and transaction markers take the
		// last offsets (no record is there): read committed records until none comes for 2 s.
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	c, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	n, idle := 0, 0
	for len(remaining) > 0 && (!committed || idle < 7) {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := c.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, n, fmt.Errorf("faulttest: reading %s: %w", topic, err)
		}
		if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, n, fmt.Errorf("faulttest: reading %s: %w", topic, err)
		}
		before := n
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := remaining[r.Partition]; !ok || r.Offset >= end {
				return
			}
			n++
			if len(r.Value) >= 8 {
				got[string(r.Key)] = int64(binary.BigEndian.Uint64(r.Value[len(r.Value)-8:]))
			} else if r.Value == nil {
				delete(got, string(r.Key))
			}
			if r.Offset+1 >= remaining[r.Partition] {
				delete(remaining, r.Partition)
			}
		})
		if n == before {
			idle++
		} else {
			idle = 0
		}
	}
	return got, n, nil
}

// runner owns the child processes.
type runner struct {
	cfg       Config
	exe, dir  string
	bootstrap string
	rng       *rand.Rand

	mu    sync.Mutex
	procs []*proc // every process started, for stopAll
	apps  []*proc // the current process of each instance
}

// proc is one child process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line
	log    string      // path of its stderr
	done   chan struct{}
	err    error // its exit status, after done
	killed bool
}

// start starts a child of the given role environment, its stderr appended to a log file.
func (r *runner) start(name string, env []string) (*proc, error) {
	logPath := filepath.Join(r.dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("faulttest: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(r.exe)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("faulttest: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("faulttest: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("faulttest: starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 16), log: logPath, done: make(chan struct{})}
	r.mu.Lock()
	r.procs = append(r.procs, p)
	r.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// readLine waits for the child's stdout line starting with prefix and returns the rest.
func (p *proc) readLine(ctx context.Context, prefix string, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case l := <-p.lines:
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return rest, nil
			}
		case <-p.done:
			return "", fmt.Errorf("faulttest: %s exited before %q: %v; %s", p.name, prefix, p.err, p.tail())
		case <-t.C:
			return "", fmt.Errorf("faulttest: %s: no %q after %v; %s", p.name, prefix, timeout, p.tail())
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// tail returns the end of the child's log.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return fmt.Sprintf("log %s ends with:\n%s", p.log, b)
}

// kill kills the child with SIGKILL and waits for it.
func (p *proc) kill() {
	p.killed = true
	_ = p.cmd.Process.Kill()
	<-p.done
}

// startApp starts (or starts again) instance i on its state directory.
func (r *runner) startApp(ctx context.Context, i int) error {
	name := fmt.Sprintf("app-%d", i)
	p, err := r.start(name, []string{
		envRole + "=app", envDir + "=" + filepath.Join(r.dir, name), envBootstrap + "=" + r.bootstrap,
		envGuarantee + "=" + r.cfg.Guarantee, envInstance + "=" + name, envStandbys + "=" + strconv.Itoa(r.cfg.Standbys), envLag + "=" + strconv.FormatInt(r.cfg.AcceptableLag, 10),
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.apps[i] = p
	r.mu.Unlock()
	_, err = p.readLine(ctx, "STARTED ", time.Minute)
	return err
}

// appsAlive reports an instance that exited without being killed.
func (r *runner) appsAlive() error {
	for _, p := range r.apps {
		select {
		case <-p.done:
			return fmt.Errorf("faulttest: %s exited on its own: %v; %s", p.name, p.err, p.tail())
		default:
		}
	}
	return nil
}

// killLoop kills a random instance every KillEvery and starts it again, until the input is
// produced and KillsAfter more kills are done. It returns the number of kills.
func (r *runner) killLoop(ctx context.Context, produced <-chan error) (int, error) {
	kills, after := 0, -1
	// The kills come every KillEvery on average, jittered by up to half of it either way so
	// that they land at every phase of the instances' commit cycle and rebalances.
	next := func() time.Duration {
		return r.cfg.KillEvery/2 + time.Duration(r.rng.Int64N(int64(r.cfg.KillEvery)+1))
	}
	tick := time.NewTimer(next())
	defer tick.Stop()
	for after < r.cfg.KillsAfter {
		select {
		case err := <-produced:
			if err != nil {
				return kills, err
			}
			after = 0
			produced = nil
		case <-tick.C:
			if err := r.appsAlive(); err != nil {
				return kills, err
			}
			i := r.rng.IntN(len(r.apps))
			p := r.apps[i]
			p.kill()
			kills++
			r.cfg.Logf("kill %d: %s (pid %d) killed with SIGKILL; starting it again", kills, p.name, p.cmd.Process.Pid)
			if err := r.startApp(ctx, i); err != nil {
				return kills, err
			}
			if after >= 0 {
				after++
			}
			tick.Reset(next())
		case <-ctx.Done():
			return kills, fmt.Errorf("faulttest: %w", ctx.Err())
		}
	}
	return kills, nil
}

// waitCommitted waits until the application's group has committed the end of every input
// partition.
func (r *runner) waitCommitted(ctx context.Context, adm *kadm.Client) error {
	last := time.Now()
	for {
		ends, err := adm.ListEndOffsets(ctx, InputTopic)
		if err == nil {
			err = ends.Error()
		}
		if err != nil {
			return fmt.Errorf("faulttest: end offsets of %s: %w", InputTopic, err)
		}
		committed, err := adm.FetchOffsets(ctx, ApplicationID)
		var total, done int64
		complete := err == nil
		ends.Each(func(o kadm.ListedOffset) {
			total += o.Offset
			c, ok := committed.Lookup(InputTopic, o.Partition)
			if !ok || c.At < o.Offset {
				complete = false
			}
			if ok {
				done += min(c.At, o.Offset)
			}
		})
		if complete {
			r.cfg.Logf("the group committed all %d input records", total)
			return nil
		}
		if err := r.appsAlive(); err != nil {
			return err
		}
		if time.Since(last) > 3*time.Second {
			last = time.Now()
			r.cfg.Logf("waiting for the group: %d of %d input records committed", done, total)
			r.stallReport(ctx, adm, ends, committed)
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("faulttest: waiting for the group to commit the input (%d of %d): %w", done, total, ctx.Err())
		}
	}
}

// stopApps closes every instance cleanly (stdin closed) and reports one that fails to.
func (r *runner) stopApps() error {
	var errs []error
	for _, p := range r.apps {
		_ = p.stdin.Close()
	}
	for _, p := range r.apps {
		select {
		case <-p.done:
			if p.err != nil {
				errs = append(errs, fmt.Errorf("faulttest: %s did not shut down cleanly: %v; %s", p.name, p.err, p.tail()))
			}
		case <-time.After(30 * time.Second):
			errs = append(errs, fmt.Errorf("faulttest: %s did not shut down within 30s", p.name))
		}
	}
	return errors.Join(errs...)
}

// stopAll kills every child still running.
func (r *runner) stopAll() {
	r.mu.Lock()
	procs := slices.Clone(r.procs)
	r.mu.Unlock()
	for _, p := range procs {
		select {
		case <-p.done:
		default:
			p.kill()
		}
	}
}

// stallReport logs, while the group has not committed the whole input, each input
// partition's committed offset, end and last stable offset, and the transactions open on the
// broker: what a stalled run is waiting for.
func (r *runner) stallReport(ctx context.Context, adm *kadm.Client, ends kadm.ListedOffsets, committed kadm.OffsetResponses) {
	lso, _ := adm.ListCommittedOffsets(ctx, InputTopic, OutputTopic, changelog.TopicName(ApplicationID, StoreName))
	var parts []string
	ends.Each(func(o kadm.ListedOffset) {
		c, _ := committed.Lookup(InputTopic, o.Partition)
		l, _ := lso.Lookup(InputTopic, o.Partition)
		parts = append(parts, fmt.Sprintf("p%d committed=%d end=%d lso=%d", o.Partition, c.At, o.Offset, l.Offset))
	})
	slices.Sort(parts)
	r.cfg.Logf("  input: %s", strings.Join(parts, "; "))
	lso.Each(func(l kadm.ListedOffset) {
		if l.Topic == InputTopic {
			return
		}
		r.cfg.Logf("  %s p%d lso=%d", l.Topic, l.Partition, l.Offset)
	})
	if groups, err := adm.DescribeGroups(ctx, ApplicationID); err != nil {
		r.cfg.Logf("  group: %v", err)
	} else if g, ok := groups[ApplicationID]; ok {
		r.cfg.Logf("  group %s: state %s, %d members", g.Group, g.State, len(g.Members))
		for _, m := range g.Members {
			var assigned []string
			if c, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range c.Topics {
					assigned = append(assigned, fmt.Sprintf("%s%v", t.Topic, t.Partitions))
				}
			}
			r.cfg.Logf("    member %s (client %s, host %s): %v", m.MemberID, m.ClientID, m.ClientHost, assigned)
		}
	}
	txns, err := adm.DescribeTransactions(ctx)
	if err != nil {
		r.cfg.Logf("  transactions: %v", err)
	}
	for _, t := range txns.Sorted() {
		if t.State != "Ongoing" {
			continue
		}
		r.cfg.Logf("  open transaction %s (producer %d epoch %d) since %v (timeout %dms): %v",
			t.TxnID, t.ProducerID, t.ProducerEpoch, time.Since(time.UnixMilli(t.StartTimestamp)).Round(time.Millisecond), t.TimeoutMillis, t.Topics)
	}
}
