package driver

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-go/tributary/processor"
)

// Tests of standby and warmup replicas and lag-aware placement (Kafka Streams'
// HighAvailabilityTaskAssignor, KIP-441).

// asgStatefulSubs: sub-topology 0 has a logged store, sub-topology 1 is stateless.
var asgStatefulSubs = []assignorSubtopology{
	{ID: 0, Topics: []string{"orders"}},
	{ID: 1, Topics: []string{"clicks"}},
}

// asgEnds returns an endOffsets function where every partition of every topic ends at end, and
// records the topics it is asked for.
func asgEnds(end int64, asked *[][]string) func([]string) (map[string]map[int32]int64, error) {
	return func(topics []string) (map[string]map[int32]int64, error) {
		if asked != nil {
			*asked = append(*asked, slices.Clone(topics))
		}
		out := make(map[string]map[int32]int64, len(topics))
		for _, t := range topics {
			ps := make(map[int32]int64)
			for p := range int32(64) {
				ps[p] = end
			}
			out[t] = ps
		}
		return out, nil
	}
}

// asgStatefulCfg is a configuration where sub-topology 0 of asgStatefulSubs (or asgOneSub) has
// one changelog topic whose partitions all end at 1000, and 100 is an acceptable lag.
func asgStatefulCfg(numStandby int) asgConfig {
	return asgConfig{
		numStandby:      numStandby,
		acceptableLag:   100,
		maxWarmups:      2,
		probingInterval: 10 * time.Minute,
		changelogs:      map[int][]string{0: {"app-store-changelog"}},
		endOffsets:      asgEnds(1000, nil),
	}
}

func asgNewCfgMember(id string, subs []assignorSubtopology, ep HostInfo, processID string, cfg asgConfig) *asgTestMember {
	m := &asgTestMember{id: id}
	m.a = newAssignor(subs, ep, processID, cfg, func(info AssignmentInfo) {
		m.info = info
		m.assigned++
	})
	return m
}

// asgReport makes every member claim its active tasks and report offset sums for its standby
// tasks (warmups included): sum(task) for each, as the runtime does after restoring them.
func asgReport(sum func(m *asgTestMember, task processor.TaskID) int64, members ...*asgTestMember) {
	for _, m := range members {
		sums := make(map[processor.TaskID]int64)
		for _, t := range m.info.Standby {
			sums[t] = sum(m, t)
		}
		m.a.setOwned(m.info.Active, sums)
	}
}

// asgReplicaCheck verifies the invariants of standby placement: every task has exactly one
// active; Standby and Warmup sorted, Warmup within Standby; no process holds two replicas of a
// task; at most maxWarmups warmups; the same HostStandbys (merged per endpoint) and ProbeAfter on
// every member. It returns the active member and the standby members of every task.
func asgReplicaCheck(t *testing.T, tasks []processor.TaskID, maxWarmups int, members ...*asgTestMember) (map[processor.TaskID]string, map[processor.TaskID][]string) {
	t.Helper()
	owner := make(map[processor.TaskID]string)
	standbys := make(map[processor.TaskID][]string)
	procs := make(map[processor.TaskID][]string)
	hosts := make(map[HostInfo][]processor.TaskID)
	warmups := 0
	for _, m := range members {
		for _, l := range [][]processor.TaskID{m.info.Active, m.info.Standby, m.info.Warmup} {
			if !slices.IsSortedFunc(l, asgCompareTasks) {
				t.Errorf("member %s: %v not sorted", m.id, l)
			}
		}
		for _, task := range m.info.Warmup {
			if !slices.Contains(m.info.Standby, task) {
				t.Errorf("member %s: warmup %s is not a standby", m.id, task)
			}
		}
		warmups += len(m.info.Warmup)
		for _, task := range m.info.Active {
			if prev, dup := owner[task]; dup {
				t.Errorf("task %s active on %s and %s", task, prev, m.id)
			}
			owner[task] = m.id
			procs[task] = append(procs[task], m.a.processID)
		}
		for _, task := range m.info.Standby {
			standbys[task] = append(standbys[task], m.id)
			procs[task] = append(procs[task], m.a.processID)
		}
		if ep := m.a.endpoint; ep != (HostInfo{}) && len(m.info.Standby) > 0 {
			hosts[ep] = append(hosts[ep], m.info.Standby...)
		}
	}
	for _, task := range tasks {
		if _, ok := owner[task]; !ok {
			t.Errorf("task %s has no active", task)
		}
	}
	if len(owner) != len(tasks) {
		t.Errorf("%d tasks active, want %d", len(owner), len(tasks))
	}
	for task, ps := range procs {
		slices.Sort(ps)
		if len(slices.Compact(ps)) != len(ps) {
			t.Errorf("task %s: a process holds two replicas (active %s, standbys %v)", task, owner[task], standbys[task])
		}
	}
	if warmups > max(maxWarmups, 0) {
		t.Errorf("%d warmups, at most %d allowed", warmups, maxWarmups)
	}
	for ep, ts := range hosts {
		slices.SortFunc(ts, asgCompareTasks)
		hosts[ep] = ts
	}
	for _, m := range members {
		got := make(map[HostInfo][]processor.TaskID)
		for ep, ts := range m.info.HostStandbys {
			if len(ts) > 0 {
				got[ep] = ts
			}
		}
		if !reflect.DeepEqual(got, hosts) {
			t.Errorf("member %s: HostStandbys %v, want %v", m.id, m.info.HostStandbys, hosts)
		}
		if m.info.ProbeAfter != members[0].info.ProbeAfter {
			t.Errorf("member %s: ProbeAfter %v, member %s: %v", m.id, m.info.ProbeAfter, members[0].id, members[0].info.ProbeAfter)
		}
		if (warmups > 0) != (m.info.ProbeAfter > 0) && members[0].a.cfg.probingInterval > 0 {
			t.Errorf("member %s: ProbeAfter %v with %d warmups", m.id, m.info.ProbeAfter, warmups)
		}
	}
	return owner, standbys
}

func asgAllTasks(subs []assignorSubtopology, topics map[string]int32) []processor.TaskID {
	var ts []processor.TaskID
	for _, s := range subs {
		for p := range topics[s.Topics[0]] {
			ts = append(ts, processor.TaskID{Subtopology: s.ID, Partition: p})
		}
	}
	return ts
}

func asgCounts(members ...*asgTestMember) (active, standby []int) {
	for _, m := range members {
		active = append(active, len(m.info.Active))
		standby = append(standby, len(m.info.Standby))
	}
	return active, standby
}

func asgSpread(ns []int) int { return slices.Max(ns) - slices.Min(ns) }

func TestAssignorStandbyOtherProcesses(t *testing.T) {
	cfg := asgStatefulCfg(1)
	topics := map[string]int32{"orders": 8}
	subs := []assignorSubtopology{{ID: 0, Topics: []string{"orders"}}}
	ms := []*asgTestMember{
		asgNewCfgMember("a0", subs, HostInfo{"ha", 1}, "pa", cfg),
		asgNewCfgMember("a1", subs, HostInfo{"ha", 1}, "pa", cfg),
		asgNewCfgMember("b0", subs, HostInfo{"hb", 1}, "pb", cfg),
		asgNewCfgMember("b1", subs, HostInfo{"hb", 1}, "pb", cfg),
	}
	asgMustRebalance(t, 1, topics, ms...)
	tasks := asgAllTasks(subs, topics)
	owner, standbys := asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
	for _, task := range tasks {
		if len(standbys[task]) != 1 {
			t.Errorf("task %s has standbys %v, want 1", task, standbys[task])
			continue
		}
		if owner[task][0] == standbys[task][0][0] {
			t.Errorf("task %s: active on %s and its standby on %s, one process", task, owner[task], standbys[task][0])
		}
	}
	active, standby := asgCounts(ms...)
	if asgSpread(active) > 0 || asgSpread(standby) > 0 {
		t.Errorf("actives %v standbys %v, want 2 each", active, standby)
	}
	for _, m := range ms {
		if len(m.info.Warmup) != 0 || m.info.ProbeAfter != 0 {
			t.Errorf("member %s: warmups %v probe %v in a fresh group", m.id, m.info.Warmup, m.info.ProbeAfter)
		}
		if len(m.info.HostStandbys[HostInfo{"ha", 1}]) != 4 || len(m.info.HostStandbys[HostInfo{"hb", 1}]) != 4 {
			t.Errorf("member %s: HostStandbys %v, want 4 tasks per endpoint", m.id, m.info.HostStandbys)
		}
	}
}

func TestAssignorMoreStandbysThanProcesses(t *testing.T) {
	cfg := asgStatefulCfg(5)
	topics := map[string]int32{"orders": 6}
	subs := []assignorSubtopology{{ID: 0, Topics: []string{"orders"}}}
	ms := []*asgTestMember{
		asgNewCfgMember("m0", subs, HostInfo{"h0", 1}, "p0", cfg),
		asgNewCfgMember("m1", subs, HostInfo{"h1", 1}, "p1", cfg),
		asgNewCfgMember("m2", subs, HostInfo{"h2", 1}, "p2", cfg),
		asgNewCfgMember("m3", subs, HostInfo{"h2", 1}, "p2", cfg), // p2 has two workers
	}
	asgMustRebalance(t, 1, topics, ms...)
	_, standbys := asgReplicaCheck(t, asgAllTasks(subs, topics), cfg.maxWarmups, ms...)
	for task, sb := range standbys {
		if len(sb) != 2 {
			t.Errorf("task %s has standbys %v, want 2 (3 processes)", task, sb)
		}
	}

	// One process: no standbys at all, and no HostStandbys.
	one := []*asgTestMember{asgNewCfgMember("solo", subs, HostInfo{"h", 1}, "p", cfg), asgNewCfgMember("solo2", subs, HostInfo{"h", 1}, "p", cfg)}
	asgMustRebalance(t, 2, topics, one...)
	asgReplicaCheck(t, asgAllTasks(subs, topics), cfg.maxWarmups, one...)
	for _, m := range one {
		if len(m.info.Standby) != 0 || m.info.HostStandbys != nil {
			t.Errorf("member %s: standbys %v, host standbys %v with one process", m.id, m.info.Standby, m.info.HostStandbys)
		}
	}
}

func TestAssignorStatelessNoStandbys(t *testing.T) {
	cfg := asgStatefulCfg(1)
	var asked [][]string
	cfg.changelogs = map[int][]string{0: {"s-b-changelog", "s-a-changelog", "s-b-changelog"}, 7: {"gone-changelog"}}
	cfg.endOffsets = asgEnds(1000, &asked)
	topics := map[string]int32{"orders": 4, "clicks": 4}
	ms := asgThreeMembersCfg(asgStatefulSubs, cfg)
	asgMustRebalance(t, 1, topics, ms...)
	_, standbys := asgReplicaCheck(t, asgAllTasks(asgStatefulSubs, topics), cfg.maxWarmups, ms...)
	for task, sb := range standbys {
		if task.Subtopology != 0 {
			t.Errorf("stateless task %s has standbys %v", task, sb)
		} else if len(sb) != 1 {
			t.Errorf("task %s has standbys %v, want 1", task, sb)
		}
	}
	if want := [][]string{{"s-a-changelog", "s-b-changelog"}}; !reflect.DeepEqual(asked, want) {
		t.Errorf("endOffsets asked for %v, want %v", asked, want)
	}

	// A topology with no changelogs does not ask for end offsets.
	asked = nil
	cfg.changelogs = nil
	ms = asgThreeMembersCfg(asgStatefulSubs, cfg)
	asgMustRebalance(t, 1, topics, ms...)
	if asked != nil {
		t.Errorf("endOffsets called for a stateless topology: %v", asked)
	}
	for _, m := range ms {
		if len(m.info.Standby) != 0 {
			t.Errorf("member %s: standbys %v in a stateless topology", m.id, m.info.Standby)
		}
	}
}

func asgThreeMembersCfg(subs []assignorSubtopology, cfg asgConfig) []*asgTestMember {
	return []*asgTestMember{
		asgNewCfgMember("m0", subs, HostInfo{"h0", 8080}, "p0", cfg),
		asgNewCfgMember("m1", subs, HostInfo{"h1", 8080}, "p1", cfg),
		asgNewCfgMember("m2", subs, HostInfo{"h2", 8080}, "p2", cfg),
	}
}

// caughtUpSum reports a standby as fully restored (offset sum = end offset sum 1000).
func caughtUpSum(*asgTestMember, processor.TaskID) int64 { return 1000 }

func TestAssignorStandbySticky(t *testing.T) {
	cfg := asgStatefulCfg(1)
	topics := map[string]int32{"orders": 6}
	subs := []assignorSubtopology{{ID: 0, Topics: []string{"orders"}}}
	ms := asgThreeMembersCfg(subs, cfg)
	asgMustRebalance(t, 1, topics, ms...)
	tasks := asgAllTasks(subs, topics)
	owner, standbys := asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)

	// The same members, another leader and order: nothing moves.
	asgReport(caughtUpSum, ms...)
	again := []*asgTestMember{ms[2], ms[0], ms[1]}
	asgMustRebalance(t, 2, topics, again...)
	owner2, standbys2 := asgReplicaCheck(t, tasks, cfg.maxWarmups, again...)
	if !reflect.DeepEqual(owner, owner2) || !reflect.DeepEqual(standbys, standbys2) {
		t.Errorf("replicas moved:\nactive %v -> %v\nstandby %v -> %v", owner, owner2, standbys, standbys2)
	}

	// A member that has the state of a standby keeps it even when another member holds fewer
	// tasks: m2 reports state for every task it has no active of, m0 and m1 report nothing.
	ms = asgThreeMembersCfg(subs, cfg)
	ms[0].a.setOwned(asgTasks("0_0", "0_1", "0_2"), nil)
	ms[1].a.setOwned(asgTasks("0_3", "0_4"), nil)
	ms[2].a.setOwned(asgTasks("0_5"), map[processor.TaskID]int64{
		{Subtopology: 0, Partition: 0}: 990, {Subtopology: 0, Partition: 1}: 995, {Subtopology: 0, Partition: 2}: 1000,
		{Subtopology: 0, Partition: 3}: 999, {Subtopology: 0, Partition: 4}: 100,
	})
	asgMustRebalance(t, 3, topics, ms...)
	_, standbys = asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
	// 0_2 leaves m0 (over its share) for m2, which is caught up on it.
	if !slices.Equal(ms[2].info.Active, asgTasks("0_2", "0_5")) {
		t.Errorf("m2 active %v, want [0_2 0_5]", ms[2].info.Active)
	}
	for _, task := range asgTasks("0_0", "0_1", "0_3", "0_4") {
		if !slices.Equal(standbys[task], []string{"m2"}) {
			t.Errorf("task %s: standbys %v, want m2's (it has the state)", task, standbys[task])
		}
	}
}

func TestAssignorStandbyFailover(t *testing.T) {
	cfg := asgStatefulCfg(1)
	topics := map[string]int32{"orders": 6}
	subs := []assignorSubtopology{{ID: 0, Topics: []string{"orders"}}}
	ms := asgThreeMembersCfg(subs, cfg)
	ms = append(ms, asgNewCfgMember("m3", subs, HostInfo{"h3", 8080}, "p3", cfg))
	asgMustRebalance(t, 1, topics, ms...)
	tasks := asgAllTasks(subs, topics)
	_, standbys := asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
	asgReport(func(*asgTestMember, processor.TaskID) int64 { return 990 }, ms...) // standbys 10 behind

	for gone := range ms {
		t.Run(ms[gone].id+" leaves", func(t *testing.T) {
			rest := slices.Delete(slices.Clone(ms), gone, gone+1)
			saved := make([]AssignmentInfo, len(rest))
			for i, m := range rest {
				saved[i] = m.info
			}
			defer func() {
				for i, m := range rest {
					m.info = saved[i]
				}
			}()
			lost := ms[gone].info.Active
			asgMustRebalance(t, 2, topics, rest...)
			owner, _ := asgReplicaCheck(t, tasks, cfg.maxWarmups, rest...)
			for _, task := range lost {
				if want := standbys[task][0]; owner[task] != want {
					t.Errorf("task %s of %s went to %s, want %s (its standby)", task, ms[gone].id, owner[task], want)
				}
			}
		})
	}
}

func TestAssignorWarmupScaleOut(t *testing.T) {
	cfg := asgStatefulCfg(0)
	topics := map[string]int32{"orders": 8}
	subs := []assignorSubtopology{{ID: 0, Topics: []string{"orders"}}}
	ms := asgThreeMembersCfg(subs, cfg)
	asgMustRebalance(t, 1, topics, ms...)
	tasks := asgAllTasks(subs, topics)
	before, _ := asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
	asgReport(caughtUpSum, ms...)

	// An empty member joins three caught-up ones: it only warms up, the actives stay.
	ms = append(ms, asgNewCfgMember("m3", subs, HostInfo{"h3", 8080}, "p3", cfg))
	asgMustRebalance(t, 2, topics, ms...)
	after, _ := asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("actives moved to a member without state: %v -> %v", before, after)
	}
	m3 := ms[3]
	if len(m3.info.Warmup) != cfg.maxWarmups || !slices.Equal(m3.info.Standby, m3.info.Warmup) || len(m3.info.Active) != 0 {
		t.Errorf("m3: active %v standby %v warmup %v, want %d warmups only", m3.info.Active, m3.info.Standby, m3.info.Warmup, cfg.maxWarmups)
	}
	for _, m := range ms {
		if m.info.ProbeAfter != 10*time.Minute {
			t.Errorf("member %s: ProbeAfter %v, want 10m", m.id, m.info.ProbeAfter)
		}
	}
	warmed := m3.info.Warmup

	// Not caught up yet (lag 500 > 100): nothing changes.
	asgReport(func(m *asgTestMember, _ processor.TaskID) int64 { return 500 }, ms...)
	asgMustRebalance(t, 3, topics, ms...)
	if again, _ := asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...); !reflect.DeepEqual(again, before) || !slices.Equal(m3.info.Warmup, warmed) {
		t.Errorf("restoring warmups: actives %v, warmups %v; want %v, %v", again, m3.info.Warmup, before, warmed)
	}

	// Caught up: the next balance gives it its share, the tasks it warmed up.
	asgReport(func(m *asgTestMember, _ processor.TaskID) int64 { return 950 }, ms...)
	asgMustRebalance(t, 4, topics, ms...)
	asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
	if !slices.Equal(m3.info.Active, warmed) {
		t.Errorf("m3 active %v, want its warmups %v", m3.info.Active, warmed)
	}
	for _, m := range ms {
		if len(m.info.Active) != 2 || len(m.info.Standby) != 0 || m.info.ProbeAfter != 0 {
			t.Errorf("member %s: active %v standby %v probe %v, want 2 actives and no probing", m.id, m.info.Active, m.info.Standby, m.info.ProbeAfter)
		}
	}
}

// TestAssignorWarmupConverges: scaling out with one warmup at a time reaches a balanced
// assignment in a few probing rebalances, moving only caught-up tasks.
func TestAssignorWarmupConverges(t *testing.T) {
	cfg := asgStatefulCfg(1)
	cfg.maxWarmups = 1
	topics := map[string]int32{"orders": 12, "clicks": 6}
	ms := asgThreeMembersCfg(asgStatefulSubs, cfg)
	asgMustRebalance(t, 1, topics, ms...)
	tasks := asgAllTasks(asgStatefulSubs, topics)
	asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
	asgReport(caughtUpSum, ms...)
	ms = append(ms, asgNewCfgMember("m3", asgStatefulSubs, HostInfo{"h3", 8080}, "p3", cfg))
	for gen := int32(2); ; gen++ {
		if gen > 12 {
			t.Fatal("no balanced assignment after 10 probing rebalances")
		}
		// Members own what they were given; whatever ran or was a standby is restored.
		asgMustRebalance(t, gen, topics, ms...)
		asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
		asgReport(caughtUpSum, ms...)
		if ms[0].info.ProbeAfter == 0 {
			active, _ := asgCounts(ms...)
			if asgSpread(active) > 1 {
				t.Errorf("no probing rebalance but actives %v", active)
			}
			break
		}
	}
}

func TestAssignorUnknownLags(t *testing.T) {
	failing := func([]string) (map[string]map[int32]int64, error) { return nil, errors.New("no leader") }
	topics := map[string]int32{"orders": 6}
	subs := []assignorSubtopology{{ID: 0, Topics: []string{"orders"}}}
	for _, c := range []struct {
		name string
		ends func([]string) (map[string]map[int32]int64, error)
		// m0 runs every task; m1 reports offset sum 3 for 0_0 and 0_1: caught up only when
		// lags are unknown (else its lag is 997); m2 has no state.
		m0, m1, m1Warmup, m2Warmup []processor.TaskID
	}{
		{"nil", nil, asgTasks("0_2", "0_3", "0_4", "0_5"), asgTasks("0_0", "0_1"), nil, asgTasks("0_4", "0_5")},
		{"error", failing, asgTasks("0_2", "0_3", "0_4", "0_5"), asgTasks("0_0", "0_1"), nil, asgTasks("0_4", "0_5")},
		// Nobody else is caught up: m0 keeps running everything, one warmup each.
		{"known", asgEnds(1000, nil), asgAllTasks(subs, topics), nil, asgTasks("0_2"), asgTasks("0_3")},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := asgStatefulCfg(0)
			cfg.endOffsets = c.ends
			ms := asgThreeMembersCfg(subs, cfg)
			ms[0].a.setOwned(asgAllTasks(subs, topics), nil)
			ms[1].a.setOwned(nil, map[processor.TaskID]int64{{Subtopology: 0, Partition: 0}: 3, {Subtopology: 0, Partition: 1}: 3})
			asgMustRebalance(t, 1, topics, ms...)
			asgReplicaCheck(t, asgAllTasks(subs, topics), cfg.maxWarmups, ms...)
			if !slices.Equal(ms[0].info.Active, c.m0) {
				t.Errorf("m0 active %v, want %v", ms[0].info.Active, c.m0)
			}
			if !slices.Equal(ms[1].info.Active, c.m1) || !slices.Equal(ms[1].info.Warmup, c.m1Warmup) {
				t.Errorf("m1 active %v warmups %v, want %v, %v", ms[1].info.Active, ms[1].info.Warmup, c.m1, c.m1Warmup)
			}
			if !slices.Equal(ms[2].info.Warmup, c.m2Warmup) || len(ms[2].info.Active) != 0 {
				t.Errorf("m2 active %v warmups %v, want warmups %v", ms[2].info.Active, ms[2].info.Warmup, c.m2Warmup)
			}
		})
	}
}

// TestAssignorLags checks asgComputeLags directly: per process minimum, LATEST, offset sums above
// the end offsets, stateless tasks.
func TestAssignorLags(t *testing.T) {
	cfg := asgStatefulCfg(0)
	cfg.changelogs = map[int][]string{0: {"c1", "c2"}}
	cfg.endOffsets = func(topics []string) (map[string]map[int32]int64, error) {
		return map[string]map[int32]int64{"c1": {0: 100, 1: 50}, "c2": {0: 20}}, nil // c2 1 missing: 0
	}
	tasks := asgTasks("0_0", "0_1", "1_0")
	members := []asgMember{
		{id: "a", sub: asgSubscription{processID: "p", offsetSums: map[processor.TaskID]int64{{Subtopology: 0, Partition: 0}: 100}}},
		{id: "b", sub: asgSubscription{processID: "p", offsetSums: map[processor.TaskID]int64{{Subtopology: 0, Partition: 0}: 115, {Subtopology: 0, Partition: 1}: 60}}},
		{id: "c", sub: asgSubscription{processID: "q", offsetSums: map[processor.TaskID]int64{{Subtopology: 0, Partition: 0}: -2}}},
		{id: "d", sub: asgSubscription{processID: "r", owned: asgTasks("0_1")}},
		{id: "e", sub: asgSubscription{processID: "s"}},
	}
	l := asgComputeLags(cfg, members, tasks)
	want := [][]int64{ // process p, q, r, s; tasks 0_0, 0_1, 1_0
		{5, 50, 0}, // p: min(120-100, 120-115); 0_1: 60 > 50 means restore from scratch: 50
		{0, 50, 0},
		{120, 0, 0},
		{120, 50, 0},
	}
	for p, row := range want {
		for i, w := range row {
			if got := l.lag(p, i); got != w {
				t.Errorf("process %d task %s: lag %d, want %d", p, tasks[i], got, w)
			}
		}
	}
	if _, ok := l.has[[2]int{0, 1}]; ok {
		t.Error("member a has no state for 0_1")
	}
	if l.compare(1, 0, 1) >= 0 {
		t.Error("member b (state for 0_1) should come before a")
	}

	cfg.endOffsets = nil
	l = asgComputeLags(cfg, members, tasks)
	for p, row := range [][]int64{{0, 0, 0}, {0, math.MaxInt64, 0}, {math.MaxInt64, 0, 0}, {math.MaxInt64, math.MaxInt64, 0}} {
		for i, w := range row {
			if got := l.lag(p, i); got != w {
				t.Errorf("unknown ends: process %d task %s: lag %d, want %d", p, tasks[i], got, w)
			}
		}
	}
}

// TestAssignorNoWarmupsConfigured: with max.warmup.replicas below 1 the balanced assignment
// stands (a member without state restores).
func TestAssignorNoWarmupsConfigured(t *testing.T) {
	cfg := asgStatefulCfg(0)
	cfg.maxWarmups = 0
	topics := map[string]int32{"orders": 8}
	subs := []assignorSubtopology{{ID: 0, Topics: []string{"orders"}}}
	ms := asgThreeMembersCfg(subs, cfg)
	asgMustRebalance(t, 1, topics, ms...)
	asgReport(caughtUpSum, ms...)
	ms = append(ms, asgNewCfgMember("m3", subs, HostInfo{"h3", 8080}, "p3", cfg))
	asgMustRebalance(t, 2, topics, ms...)
	asgReplicaCheck(t, asgAllTasks(subs, topics), 0, ms...)
	if active, _ := asgCounts(ms...); asgSpread(active) != 0 {
		t.Errorf("actives %v, want 2 each", active)
	}
}

// TestAssignorReplicasRandomized checks the replica invariants over random groups, topologies,
// claims, offset sums and configurations.
func TestAssignorReplicasRandomized(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var withWarmups, withStandbys, balancedChecks int
	for iter := range 400 {
		nSubs := 1 + rng.IntN(3)
		var subs []assignorSubtopology
		topics := make(map[string]int32)
		cfg := asgConfig{
			numStandby:      rng.IntN(4),
			acceptableLag:   int64(rng.IntN(3)) * 50,
			maxWarmups:      rng.IntN(4),
			probingInterval: time.Duration(rng.IntN(2)) * time.Minute,
			changelogs:      map[int][]string{},
		}
		end := int64(rng.IntN(3)) * 100
		switch rng.IntN(3) {
		case 0:
		case 1:
			cfg.endOffsets = asgEnds(end, nil)
		case 2:
			cfg.endOffsets = func([]string) (map[string]map[int32]int64, error) { return nil, errors.New("x") }
		}
		for s := range nSubs {
			name := fmt.Sprintf("t%d", s)
			subs = append(subs, assignorSubtopology{ID: s, Topics: []string{name}})
			topics[name] = int32(rng.IntN(12))
			if rng.IntN(3) > 0 {
				cfg.changelogs[s] = []string{name + "-changelog"}
			}
		}
		tasks := asgAllTasks(subs, topics)
		nProcs := 1 + rng.IntN(5)
		var ms []*asgTestMember
		for m := range 1 + rng.IntN(8) {
			p := rng.IntN(nProcs)
			ms = append(ms, asgNewCfgMember(fmt.Sprintf("m%02d", m), subs, HostInfo{fmt.Sprintf("h%d", p), 80}, fmt.Sprintf("p%d", p), cfg))
		}
		for _, m := range ms {
			var owned []processor.TaskID
			sums := make(map[processor.TaskID]int64)
			for _, task := range tasks {
				switch rng.IntN(len(ms) + 3) {
				case 0:
					owned = append(owned, task)
				case 1:
					sums[task] = int64(rng.IntN(int(end) + 2))
				case 2:
					sums[task] = asgLatestOffset
				}
			}
			m.a.setOwned(owned, sums)
		}
		allCaughtUp := cfg.endOffsets != nil && end <= cfg.acceptableLag && rng.IntN(2) == 0
		if allCaughtUp {
			cfg.endOffsets = asgEnds(end, nil)
			for _, m := range ms {
				m.a.cfg = cfg
			}
		}
		t.Run(fmt.Sprintf("iter %d", iter), func(t *testing.T) {
			asgMustRebalance(t, 1, topics, ms...)
			_, standbys := asgReplicaCheck(t, tasks, cfg.maxWarmups, ms...)
			procs := make(map[string]bool)
			for _, m := range ms {
				procs[m.a.processID] = true
			}
			for _, task := range tasks {
				want := 0
				if len(cfg.changelogs[task.Subtopology]) > 0 {
					want = min(cfg.numStandby, len(procs)-1)
				}
				if got := len(standbys[task]); got != want && !(got == 1 && want == 0) {
					t.Errorf("task %s: %d standbys %v, want %d", task, got, standbys[task], want)
				}
			}
			if active, _ := asgCounts(ms...); allCaughtUp && len(tasks) > 0 {
				balancedChecks++
				if asgSpread(active) > 1 {
					t.Errorf("every process caught up, but actives %v", active)
				}
			}
			for _, m := range ms {
				if len(m.info.Warmup) > 0 {
					withWarmups++
					break
				}
			}
			for _, m := range ms {
				if len(m.info.Standby) > len(m.info.Warmup) {
					withStandbys++
					break
				}
			}
			// Deterministic: the same input balances the same way.
			first := make([]AssignmentInfo, len(ms))
			for i, m := range ms {
				first[i] = m.info
			}
			asgMustRebalance(t, 1, topics, ms...)
			for i, m := range ms {
				if !reflect.DeepEqual(m.info, first[i]) {
					t.Errorf("member %s: %+v then %+v", m.id, first[i], m.info)
				}
			}
		})
		if t.Failed() {
			return
		}
	}
	// The random cases cover what they are meant to.
	if withWarmups < 10 || withStandbys < 50 || balancedChecks < 20 {
		t.Errorf("%d groups with warmups, %d with standbys, %d all caught up: too few", withWarmups, withStandbys, balancedChecks)
	}
	t.Logf("%d groups with warmups, %d with standbys, %d all caught up", withWarmups, withStandbys, balancedChecks)
}

func TestAssignorEncodingV2(t *testing.T) {
	sub := asgSubscription{processID: "proc", endpoint: HostInfo{"h", 80}, owned: asgTasks("0_1", "2_3"),
		offsetSums: map[processor.TaskID]int64{{Subtopology: 0, Partition: 2}: 12345, {Subtopology: 1, Partition: 0}: -2, {Subtopology: 0, Partition: 0}: 0}}
	enc := sub.appendTo(nil)
	if enc[0] != 2 {
		t.Errorf("subscription version %d, want 2", enc[0])
	}
	if got, err := asgDecodeSubscription(enc); err != nil || !reflect.DeepEqual(got, sub) {
		t.Errorf("subscription round trip: %+v %v, want %+v", got, err, sub)
	}
	for n := range len(enc) {
		if _, err := asgDecodeSubscription(enc[:n]); err == nil {
			t.Errorf("subscription cut to %d of %d bytes decoded", n, len(enc))
		}
	}

	info := AssignmentInfo{
		Generation:   4,
		Active:       asgTasks("0_1"),
		HostTasks:    map[HostInfo][]processor.TaskID{{"h", 80}: asgTasks("0_1"), {"g", 81}: asgTasks("0_0")},
		Standby:      asgTasks("0_0", "0_2"),
		Warmup:       asgTasks("0_2"),
		HostStandbys: map[HostInfo][]processor.TaskID{{"h", 80}: asgTasks("0_0", "0_2"), {"g", 81}: asgTasks("0_1")},
		ProbeAfter:   90 * time.Second,
	}
	encInfo := asgAppendAssignmentInfo(nil, &info)
	if got, err := asgDecodeAssignmentInfo(encInfo); err != nil || !reflect.DeepEqual(got, info) {
		t.Errorf("assignment info round trip: %+v %v, want %+v", got, err, info)
	}
	for n := range len(encInfo) {
		if _, err := asgDecodeAssignmentInfo(encInfo[:n]); err == nil {
			t.Errorf("assignment info cut to %d of %d bytes decoded", n, len(encInfo))
		}
	}
	sub1ms := AssignmentInfo{HostTasks: map[HostInfo][]processor.TaskID{}, ProbeAfter: time.Microsecond}
	if got, err := asgDecodeAssignmentInfo(asgAppendAssignmentInfo(nil, &sub1ms)); err != nil || got.ProbeAfter != time.Millisecond {
		t.Errorf("1µs probe: %v %v, want 1ms", got.ProbeAfter, err)
	}
}

// TestAssignorDecodeV1: version 1 data (a member or leader not upgraded yet) decodes with no
// offset sums and no standbys.
func TestAssignorDecodeV1(t *testing.T) {
	v1sub := []byte{1}
	v1sub = asgAppendString(v1sub, "proc")
	v1sub = asgAppendEndpoint(v1sub, HostInfo{"h", 80})
	v1sub = asgAppendTasks(v1sub, asgTasks("0_1", "2_3"))
	want := asgSubscription{processID: "proc", endpoint: HostInfo{"h", 80}, owned: asgTasks("0_1", "2_3")}
	if got, err := asgDecodeSubscription(v1sub); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("v1 subscription: %+v %v, want %+v", got, err, want)
	}
	if _, err := asgDecodeSubscription(append(slices.Clone(v1sub), 0)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("v1 subscription with a trailing byte: err = %v", err)
	}

	host := map[HostInfo][]processor.TaskID{{"h", 80}: asgTasks("0_1")}
	v1info := []byte{1, 6} // version, generation 3
	v1info = asgAppendTasks(v1info, asgTasks("0_1"))
	v1info = asgAppendHostTasks(v1info, host)
	wantInfo := AssignmentInfo{Generation: 3, Active: asgTasks("0_1"), HostTasks: host}
	if got, err := asgDecodeAssignmentInfo(v1info); err != nil || !reflect.DeepEqual(got, wantInfo) {
		t.Errorf("v1 assignment info: %+v %v, want %+v", got, err, wantInfo)
	}
	if _, err := asgDecodeAssignmentInfo(append(slices.Clone(v1info), 0)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("v1 assignment info with a trailing byte: err = %v", err)
	}

	// A v1 member in a v2 group: the leader reads it as a member without state.
	a := newAssignor(asgOneSub, HostInfo{"h0", 1}, "p0", asgStatefulCfg(1), nil)
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{"orders", "payments"}
	meta.UserData = v1sub
	jm := kmsg.NewJoinGroupResponseMember()
	jm.MemberID = "old"
	jm.ProtocolMetadata = meta.AppendTo(nil)
	jm2 := kmsg.NewJoinGroupResponseMember()
	jm2.MemberID = "new"
	jm2.ProtocolMetadata = a.JoinGroupMetadata([]string{"orders", "payments"}, nil, 0)
	mb, _, err := a.MemberBalancer([]kmsg.JoinGroupResponseMember{jm, jm2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(asgOneSubTopics); err != nil {
		t.Fatal(err)
	}
}

func TestAssignorBadV2Data(t *testing.T) {
	base := asgSubscription{processID: "p"}
	head := base.appendTo(nil)
	head = head[:len(head)-1] // without the offset sum count
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"sum -3":          {append(slices.Clone(head), 1, 0, 0, 5), "offset sum -3"},
		"sum twice":       {append(slices.Clone(head), 2, 0, 0, 2, 0, 0, 4), "two offset sums"},
		"huge sum count":  {append(slices.Clone(head), 0xff, 0xff, 0xff, 0x7f), "elements"},
		"overlong varint": {append(slices.Clone(head), 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "overlong"},
	} {
		if _, err := asgDecodeSubscription(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}

	info := AssignmentInfo{Active: asgTasks("0_1"), HostTasks: map[HostInfo][]processor.TaskID{}}
	ihead := asgAppendAssignmentHead(nil, 1, info.Active, asgAppendHostTasks(nil, nil))
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"warmup not standby": {asgAppendAssignmentTail(slices.Clone(ihead), asgTasks("0_0"), asgTasks("0_2"), []byte{0}, 0), "warmup task 0_2"},
		"probe too long":     {append(asgAppendAssignmentTail(slices.Clone(ihead), nil, nil, []byte{0}, 0)[:len(ihead)+3], 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "above"},
		"dup host standby":   {append(asgAppendTasks(asgAppendTasks(slices.Clone(ihead), nil), nil), 2, 1, 'h', 1, 0, 1, 'h', 1, 0, 0), "twice"},
		"huge standby count": {append(slices.Clone(ihead), 0xff, 0xff, 0xff, 0x7f), "elements"},
	} {
		if _, err := asgDecodeAssignmentInfo(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

func TestAssignorSetOwnedSums(t *testing.T) {
	a := newAssignor(asgOneSub, HostInfo{"h", 1}, "p", asgConfig{}, nil)
	a.setOwned(asgTasks("0_1", "0_0"), map[processor.TaskID]int64{{Subtopology: 0, Partition: 1}: 5, {Subtopology: 0, Partition: 3}: 7})
	first := a.JoinGroupMetadata([]string{"orders"}, nil, 0)
	a.setOwned(asgTasks("0_0", "0_1"), map[processor.TaskID]int64{{Subtopology: 0, Partition: 3}: 7})
	if second := a.JoinGroupMetadata([]string{"orders"}, nil, 0); !slices.Equal(first, second) {
		t.Errorf("join metadata differs for the same state:\n%x\n%x", first, second)
	}
	var meta kmsg.ConsumerMemberMetadata
	if err := meta.ReadFrom(first); err != nil {
		t.Fatal(err)
	}
	sub, err := asgDecodeSubscription(meta.UserData)
	want := asgSubscription{processID: "p", endpoint: HostInfo{"h", 1}, owned: asgTasks("0_0", "0_1"),
		offsetSums: map[processor.TaskID]int64{{Subtopology: 0, Partition: 3}: 7}}
	if err != nil || !reflect.DeepEqual(sub, want) {
		t.Errorf("subscription %+v %v, want %+v (sums of active tasks dropped)", sub, err, want)
	}
}

// BenchmarkAssignStandby is BenchmarkAssign with every sub-topology stateful, two standbys per
// task and reported offset sums.
func BenchmarkAssignStandby(b *testing.B) {
	subs := []assignorSubtopology{
		{ID: 0, Topics: []string{"a"}},
		{ID: 1, Topics: []string{"b", "c"}},
		{ID: 2, Topics: []string{"d"}},
	}
	topics := map[string]int32{"a": 64, "b": 64, "c": 64, "d": 64}
	cfg := asgStatefulCfg(2)
	cfg.changelogs = map[int][]string{0: {"a-changelog"}, 1: {"b-changelog", "c-changelog"}, 2: {"d-changelog"}}
	var ms []*asgTestMember
	for i := range 100 {
		ms = append(ms, asgNewCfgMember(fmt.Sprintf("member-%03d", i), subs, HostInfo{fmt.Sprintf("host-%d", i/4), 8080}, fmt.Sprintf("p%d", i/4), cfg))
	}
	asgMustRebalance(b, 1, topics, ms...)
	asgReport(func(*asgTestMember, processor.TaskID) int64 { return 990 }, ms...)
	ms[10] = asgNewCfgMember("member-new-a", subs, HostInfo{"host-new", 8080}, "pn", cfg)
	ms[50] = asgNewCfgMember("member-new-b", subs, HostInfo{"host-new", 8080}, "pn", cfg)
	join := make([]kmsg.JoinGroupResponseMember, len(ms))
	for i, m := range ms {
		join[i] = kmsg.JoinGroupResponseMember{MemberID: m.id, ProtocolMetadata: m.a.JoinGroupMetadata([]string{"a", "b", "c", "d"}, nil, 1)}
	}
	leader := ms[0].a
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		mb, _, err := leader.MemberBalancer(join)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(topics); err != nil {
			b.Fatal(err)
		}
	}
}
