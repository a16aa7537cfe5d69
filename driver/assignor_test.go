package driver

import (
	"fmt"
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

// asgTestMember is one group member in the tests: its balancer and what it was last assigned.
type asgTestMember struct {
	id       string
	a        *assignor
	info     AssignmentInfo
	parts    map[string][]int32
	assigned int // calls of onAssign
}

func asgNewTestMember(id string, subs []assignorSubtopology, ep HostInfo, processID string) *asgTestMember {
	m := &asgTestMember{id: id}
	m.a = newAssignor(subs, ep, processID, asgConfig{}, func(info AssignmentInfo) {
		m.info = info
		m.assigned++
	})
	return m
}

func asgInterests(subs []assignorSubtopology) []string {
	var ts []string
	for _, s := range subs {
		ts = append(ts, s.Topics...)
	}
	slices.Sort(ts)
	return slices.Compact(ts)
}

// asgRebalance runs one generation through the balancer API only: every member's join metadata,
// the first member balancing as leader (members handed over in reverse order, as the balancer
// must not rely on it), every member parsing its assignment. brokerTopics are the topics that
// exist and their partition counts. It returns the balance error, if any.
func asgRebalance(t testing.TB, gen int32, brokerTopics map[string]int32, members ...*asgTestMember) error {
	t.Helper()
	join := make([]kmsg.JoinGroupResponseMember, 0, len(members))
	for i := len(members) - 1; i >= 0; i-- {
		m := members[i]
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = m.id
		jm.ProtocolMetadata = m.a.JoinGroupMetadata(asgInterests(m.a.subs), nil, gen-1)
		join = append(join, jm)
	}
	leader := members[0].a
	mb, topics, err := leader.MemberBalancer(join)
	if err != nil {
		t.Fatalf("MemberBalancer: %v", err)
	}
	for _, m := range members {
		for _, topic := range asgInterests(m.a.subs) {
			if _, ok := topics[topic]; !ok {
				t.Fatalf("MemberBalancer topics %v lack %q", topics, topic)
			}
		}
	}
	mb.(kgo.GroupMemberBalancerInfo).SetBalanceInfo(kgo.BalanceInfo{Generation: gen})
	counts := make(map[string]int32)
	for topic := range topics {
		if n, ok := brokerTopics[topic]; ok {
			counts[topic] = n
		}
	}
	into, err := mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(counts)
	if err != nil {
		return err
	}
	sync := into.IntoSyncAssignment()
	if len(sync) != len(members) {
		t.Fatalf("%d assignments for %d members", len(sync), len(members))
	}
	for _, sa := range sync {
		var m *asgTestMember
		for _, c := range members {
			if c.id == sa.MemberID {
				m = c
			}
		}
		if m == nil {
			t.Fatalf("assignment for unknown member %q", sa.MemberID)
		}
		before := m.assigned
		m.parts, err = m.a.ParseSyncAssignment(sa.MemberAssignment)
		if err != nil {
			t.Fatalf("member %s: ParseSyncAssignment: %v", m.id, err)
		}
		if m.assigned != before+1 {
			t.Fatalf("member %s: onAssign called %d times, want 1", m.id, m.assigned-before)
		}
		if m.info.Generation != gen {
			t.Errorf("member %s: generation %d, want %d", m.id, m.info.Generation, gen)
		}
	}
	return nil
}

// asgMustRebalance is asgRebalance that fails the test on a balance error.
func asgMustRebalance(t testing.TB, gen int32, brokerTopics map[string]int32, members ...*asgTestMember) {
	t.Helper()
	if err := asgRebalance(t, gen, brokerTopics, members...); err != nil {
		t.Fatalf("BalanceOrError: %v", err)
	}
}

// asgCheck verifies the invariants of an assignment: every task on exactly one member, each
// member's partitions exactly those of its tasks, per-member counts within 1 of each other, and
// the same, complete HostTasks on every member. It returns the owner of every task.
func asgCheck(t *testing.T, subs []assignorSubtopology, brokerTopics map[string]int32, members ...*asgTestMember) map[processor.TaskID]string {
	t.Helper()
	owner := make(map[processor.TaskID]string)
	minN, maxN := int(^uint(0)>>1), 0
	hosts := make(map[HostInfo][]processor.TaskID)
	for _, m := range members {
		if !slices.IsSortedFunc(m.info.Active, asgCompareTasks) {
			t.Errorf("member %s: Active %v not sorted", m.id, m.info.Active)
		}
		want := make(map[string][]int32)
		for _, task := range m.info.Active {
			if prev, dup := owner[task]; dup {
				t.Errorf("task %s on %s and %s", task, prev, m.id)
			}
			owner[task] = m.id
			for _, s := range subs {
				if s.ID != task.Subtopology {
					continue
				}
				for _, topic := range s.Topics {
					want[topic] = append(want[topic], task.Partition)
				}
			}
		}
		got := make(map[string][]int32)
		for topic, ps := range m.parts {
			if len(ps) > 0 {
				got[topic] = ps
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("member %s: partitions %v, want %v (tasks %v)", m.id, got, want, m.info.Active)
		}
		minN, maxN = min(minN, len(m.info.Active)), max(maxN, len(m.info.Active))
		if ep := m.a.endpoint; ep != (HostInfo{}) {
			hosts[ep] = append(hosts[ep], m.info.Active...)
		}
	}
	total := 0
	for _, s := range subs {
		n := brokerTopics[s.Topics[0]]
		total += int(n)
		for p := range n {
			if _, ok := owner[processor.TaskID{Subtopology: s.ID, Partition: p}]; !ok {
				t.Errorf("task %d_%d not assigned", s.ID, p)
			}
		}
	}
	if len(owner) != total {
		t.Errorf("%d tasks assigned, want %d", len(owner), total)
	}
	if maxN-minN > 1 {
		t.Errorf("unbalanced: members hold between %d and %d tasks", minN, maxN)
	}
	for ep, ts := range hosts {
		slices.SortFunc(ts, asgCompareTasks)
		hosts[ep] = ts
	}
	for _, m := range members {
		got := make(map[HostInfo][]processor.TaskID)
		for ep, ts := range m.info.HostTasks {
			got[ep] = ts
		}
		for ep, ts := range hosts {
			if len(ts) == 0 && got[ep] == nil {
				got[ep] = ts
			}
		}
		if !reflect.DeepEqual(got, hosts) {
			t.Errorf("member %s: HostTasks %v, want %v", m.id, m.info.HostTasks, hosts)
		}
	}
	return owner
}

// asgFeedBack makes every member claim the tasks it was just assigned, as the runtime does.
func asgFeedBack(members ...*asgTestMember) {
	for _, m := range members {
		m.a.setOwned(m.info.Active, nil)
	}
}

func asgMoves(before, after map[processor.TaskID]string) int {
	moves := 0
	for task, o := range before {
		if n, ok := after[task]; ok && n != o {
			moves++
		}
	}
	return moves
}

func asgTasks(ids ...string) []processor.TaskID {
	ts := make([]processor.TaskID, len(ids))
	for i, s := range ids {
		id, err := processor.ParseTaskID(s)
		if err != nil {
			panic(err)
		}
		ts[i] = id
	}
	return ts
}

var asgOneSub = []assignorSubtopology{{ID: 0, Topics: []string{"orders", "payments"}}}

var asgOneSubTopics = map[string]int32{"orders": 8, "payments": 8}

func asgThreeMembers(subs []assignorSubtopology) []*asgTestMember {
	return []*asgTestMember{
		asgNewTestMember("m0", subs, HostInfo{"h0", 8080}, "p0"),
		asgNewTestMember("m1", subs, HostInfo{"h1", 8080}, "p1"),
		asgNewTestMember("m2", subs, HostInfo{"h2", 8080}, "p2"),
	}
}

func TestAssignorCopartitionedTopics(t *testing.T) {
	ms := asgThreeMembers(asgOneSub)
	asgMustRebalance(t, 7, asgOneSubTopics, ms...)
	asgCheck(t, asgOneSub, asgOneSubTopics, ms...)
	for i, want := range []int{3, 3, 2} {
		if got := len(ms[i].info.Active); got != want {
			t.Errorf("member %s holds %d tasks, want %d", ms[i].id, got, want)
		}
	}
	for _, m := range ms {
		if !slices.Equal(m.parts["orders"], m.parts["payments"]) {
			t.Errorf("member %s: orders %v and payments %v differ", m.id, m.parts["orders"], m.parts["payments"])
		}
		if len(m.info.HostTasks) != 3 {
			t.Errorf("member %s: HostTasks has %d endpoints, want 3", m.id, len(m.info.HostTasks))
		}
	}
	// Deterministic: tasks round-robin over the members in member-id order.
	if want := asgTasks("0_0", "0_3", "0_6"); !slices.Equal(ms[0].info.Active, want) {
		t.Errorf("m0 holds %v, want %v", ms[0].info.Active, want)
	}
}

func TestAssignorStickyScaleOut(t *testing.T) {
	for _, newID := range []string{"m3", "a-first"} { // the new member sorts last, then first
		t.Run(newID, func(t *testing.T) {
			ms := asgThreeMembers(asgOneSub)
			asgMustRebalance(t, 1, asgOneSubTopics, ms...)
			before := asgCheck(t, asgOneSub, asgOneSubTopics, ms...)
			asgFeedBack(ms...)

			ms = append(ms, asgNewTestMember(newID, asgOneSub, HostInfo{"h3", 8080}, "p3"))
			asgMustRebalance(t, 2, asgOneSubTopics, ms...)
			after := asgCheck(t, asgOneSub, asgOneSubTopics, ms...)
			// 8 tasks on 4 members is 2 each: the two members with 3 give one each.
			if moves := asgMoves(before, after); moves != 2 {
				t.Errorf("%d tasks moved, want 2", moves)
			}
			for _, m := range ms {
				if len(m.info.Active) != 2 {
					t.Errorf("member %s holds %d tasks, want 2", m.id, len(m.info.Active))
				}
			}

			asgFeedBack(ms...)
			asgMustRebalance(t, 3, asgOneSubTopics, ms...)
			again := asgCheck(t, asgOneSub, asgOneSubTopics, ms...)
			if moves := asgMoves(after, again); moves != 0 {
				t.Errorf("%d tasks moved with the same members, want 0", moves)
			}
		})
	}
}

func TestAssignorMemberLeaves(t *testing.T) {
	ms := asgThreeMembers(asgOneSub)
	asgMustRebalance(t, 1, asgOneSubTopics, ms...)
	asgCheck(t, asgOneSub, asgOneSubTopics, ms...)
	asgFeedBack(ms...)
	kept := map[string][]processor.TaskID{"m0": ms[0].info.Active, "m2": ms[2].info.Active}

	rest := []*asgTestMember{ms[2], ms[0]} // m2 leads now
	asgMustRebalance(t, 2, asgOneSubTopics, rest...)
	asgCheck(t, asgOneSub, asgOneSubTopics, rest...)
	for _, m := range rest {
		if len(m.info.Active) != 4 {
			t.Errorf("member %s holds %d tasks, want 4", m.id, len(m.info.Active))
		}
		for _, task := range kept[m.id] {
			if !slices.Contains(m.info.Active, task) {
				t.Errorf("member %s lost its task %s", m.id, task)
			}
		}
	}
	if len(ms[0].info.HostTasks) != 2 {
		t.Errorf("HostTasks %v still lists the member that left", ms[0].info.HostTasks)
	}
}

var asgTwoSubs = []assignorSubtopology{
	{ID: 0, Topics: []string{"clicks"}},
	{ID: 1, Topics: []string{"users", "profiles"}},
}

var asgTwoSubsTopics = map[string]int32{"clicks": 4, "users": 6, "profiles": 6}

func TestAssignorTwoSubtopologies(t *testing.T) {
	ms := asgThreeMembers(asgTwoSubs)
	asgMustRebalance(t, 1, asgTwoSubsTopics, ms...)
	asgCheck(t, asgTwoSubs, asgTwoSubsTopics, ms...)
	// 10 tasks: 4/3/3, and each sub-topology spread (4 → 2/1/1, 6 → 2/2/2).
	for i, want := range [][2]int{{2, 2}, {1, 2}, {1, 2}} {
		var got [2]int
		for _, task := range ms[i].info.Active {
			got[task.Subtopology]++
		}
		if got != want {
			t.Errorf("member %s holds %v tasks of each sub-topology, want %v", ms[i].id, got, want)
		}
	}

	// Scale out and in again, sticky and balanced throughout.
	asgFeedBack(ms...)
	ms = append(ms, asgNewTestMember("m3", asgTwoSubs, HostInfo{}, "p3"))
	asgMustRebalance(t, 2, asgTwoSubsTopics, ms...)
	asgCheck(t, asgTwoSubs, asgTwoSubsTopics, ms...)
	if eps := len(ms[3].info.HostTasks); eps != 3 {
		t.Errorf("HostTasks has %d endpoints, want 3 (m3 has none)", eps)
	}
	asgFeedBack(ms...)
	ms = ms[1:]
	asgMustRebalance(t, 3, asgTwoSubsTopics, ms...)
	asgCheck(t, asgTwoSubs, asgTwoSubsTopics, ms...)
}

func TestAssignorSameProcessMembers(t *testing.T) {
	// Two workers of one instance (same process id and endpoint) and one of another.
	ep := HostInfo{"shared", 9000}
	ms := []*asgTestMember{
		asgNewTestMember("w0", asgOneSub, ep, "p0"),
		asgNewTestMember("w1", asgOneSub, ep, "p0"),
		asgNewTestMember("w2", asgOneSub, HostInfo{"other", 9000}, "p1"),
	}
	asgMustRebalance(t, 1, asgOneSubTopics, ms...)
	asgCheck(t, asgOneSub, asgOneSubTopics, ms...)
	if len(ms[0].info.Active) != 3 || len(ms[1].info.Active) != 3 {
		t.Errorf("workers of one process hold %d and %d tasks, want 3 each", len(ms[0].info.Active), len(ms[1].info.Active))
	}
	if got := len(ms[2].info.HostTasks[ep]); got != 6 {
		t.Errorf("the shared endpoint lists %d tasks, want the 6 of both workers", got)
	}
}

func TestAssignorConflictingClaims(t *testing.T) {
	ms := asgThreeMembers(asgOneSub)
	// m2 and m1 both claim 0_1 and 0_2: m1, first in member order, keeps them.
	ms[2].a.setOwned(asgTasks("0_2", "0_1"), nil)
	ms[1].a.setOwned(asgTasks("0_1", "0_2", "0_5"), nil)
	ms[0].a.setOwned(asgTasks("0_7", "0_99", "5_0"), nil) // tasks that no longer exist are ignored
	asgMustRebalance(t, 1, asgOneSubTopics, ms...)
	owner := asgCheck(t, asgOneSub, asgOneSubTopics, ms...)
	for task, want := range map[string]string{"0_1": "m1", "0_2": "m1", "0_5": "m1", "0_7": "m0"} {
		id, _ := processor.ParseTaskID(task)
		if owner[id] != want {
			t.Errorf("task %s on %s, want %s", task, owner[id], want)
		}
	}
}

func TestAssignorFewerTasksThanMembers(t *testing.T) {
	subs := []assignorSubtopology{{ID: 3, Topics: []string{"t"}}}
	topics := map[string]int32{"t": 2}
	ms := []*asgTestMember{
		asgNewTestMember("a", subs, HostInfo{"a", 1}, "pa"),
		asgNewTestMember("b", subs, HostInfo{"b", 1}, "pb"),
		asgNewTestMember("c", subs, HostInfo{"c", 1}, "pc"),
	}
	asgMustRebalance(t, 1, topics, ms...)
	asgCheck(t, subs, topics, ms...)
	if len(ms[2].info.Active) != 0 || ms[2].parts["t"] != nil {
		t.Errorf("member c holds %v %v, want nothing", ms[2].info.Active, ms[2].parts)
	}
}

// TestAssignorRandomized checks the invariants and that exactly the unavoidable number of
// claimed tasks moves, over random groups, topologies and claims.
func TestAssignorRandomized(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		nSubs := 1 + rng.IntN(4)
		var subs []assignorSubtopology
		topics := make(map[string]int32)
		for s := range nSubs {
			sub := assignorSubtopology{ID: s * 2}
			n := int32(rng.IntN(20))
			for k := range 1 + rng.IntN(2) {
				name := fmt.Sprintf("t%d-%d", s, k)
				sub.Topics = append(sub.Topics, name)
				topics[name] = n
			}
			subs = append(subs, sub)
		}
		var ms []*asgTestMember
		for m := range 1 + rng.IntN(12) {
			ms = append(ms, asgNewTestMember(fmt.Sprintf("m%02d", m), subs, HostInfo{fmt.Sprintf("h%d", m%3), 80}, "p"))
		}
		// Random claims, some conflicting.
		first := make(map[processor.TaskID]string)
		claimed := make(map[string]int)
		for _, m := range ms {
			var owned []processor.TaskID
			for _, s := range subs {
				for p := range topics[s.Topics[0]] {
					if rng.IntN(len(ms)+1) == 0 {
						owned = append(owned, processor.TaskID{Subtopology: s.ID, Partition: p})
					}
				}
			}
			m.a.setOwned(owned, nil)
			for _, task := range owned {
				if _, ok := first[task]; !ok {
					first[task] = m.id
					claimed[m.id]++
				}
			}
		}
		name := fmt.Sprintf("iter %d", iter)
		t.Run(name, func(t *testing.T) {
			asgMustRebalance(t, 1, topics, ms...)
			owner := asgCheck(t, subs, topics, ms...)
			total := len(owner)
			base, extra := total/len(ms), total%len(ms)
			keepable, over := 0, 0
			for _, m := range ms {
				keepable += min(claimed[m.id], base)
				if claimed[m.id] > base {
					over++
				}
			}
			keepable += min(extra, over)
			if moves := asgMoves(first, owner); moves != len(first)-keepable {
				t.Errorf("%d claimed tasks moved, want %d", moves, len(first)-keepable)
			}
		})
		if t.Failed() {
			return
		}
	}
}

func TestAssignorMissingTopic(t *testing.T) {
	ms := asgThreeMembers(asgOneSub)
	err := asgRebalance(t, 1, map[string]int32{"orders": 8}, ms...)
	if err == nil || !strings.Contains(err.Error(), `source topic "payments"`) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v, want source topic \"payments\" does not exist", err)
	}
}

func TestAssignorCopartitionMismatch(t *testing.T) {
	ms := asgThreeMembers(asgOneSub)
	err := asgRebalance(t, 1, map[string]int32{"orders": 8, "payments": 4}, ms...)
	if err == nil {
		t.Fatal("no error for orders=8, payments=4")
	}
	for _, want := range []string{"sub-topology 0", "orders=8", "payments=4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %q", err, want)
		}
	}
}

func TestAssignorBadMemberMetadata(t *testing.T) {
	a := newAssignor(asgOneSub, HostInfo{}, "p", asgConfig{}, nil)
	good := kmsg.NewJoinGroupResponseMember()
	good.MemberID = "good"
	good.ProtocolMetadata = a.JoinGroupMetadata([]string{"orders"}, nil, 0)

	withUserData := func(ud []byte) []byte {
		meta := kmsg.NewConsumerMemberMetadata()
		meta.Topics = []string{"orders"}
		meta.UserData = ud
		return meta.AppendTo(nil)
	}
	for name, metadata := range map[string][]byte{
		"garbage":           {0xff, 0x01, 0x02},
		"empty":             nil,
		"no user data":      withUserData(nil),
		"version 0":         withUserData([]byte{0, 0, 0, 0, 0}),
		"truncated":         withUserData([]byte{1, 5, 'a'}),
		"trailing":          withUserData([]byte{1, 0, 0, 0, 0, 9}),
		"huge task count":   withUserData([]byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}),
		"port out of range": withUserData([]byte{1, 0, 1, 'h', 0xff, 0xff, 0x04, 0}),
	} {
		t.Run(name, func(t *testing.T) {
			bad := kmsg.NewJoinGroupResponseMember()
			bad.MemberID = "bad-member-7"
			bad.ProtocolMetadata = metadata
			_, _, err := a.MemberBalancer([]kmsg.JoinGroupResponseMember{good, bad})
			if err == nil || !strings.Contains(err.Error(), "bad-member-7") {
				t.Fatalf("err = %v, want one naming bad-member-7", err)
			}
		})
	}
}

func TestAssignorBadAssignment(t *testing.T) {
	called := false
	a := newAssignor(asgOneSub, HostInfo{}, "p", asgConfig{}, func(AssignmentInfo) { called = true })
	info := AssignmentInfo{
		Generation: 3,
		Active:     asgTasks("0_1", "0_4"),
		HostTasks:  map[HostInfo][]processor.TaskID{{"h", 1}: asgTasks("0_1", "0_4"), {"g", 2}: asgTasks("0_0")},
	}
	userData := asgAppendAssignmentInfo(nil, &info)
	kassn := kmsg.NewConsumerMemberAssignment()
	kassn.Topics = []kmsg.ConsumerMemberAssignmentTopic{{Topic: "orders", Partitions: []int32{1, 4}}}
	kassn.UserData = userData
	valid := kassn.AppendTo(nil)

	parts, err := a.ParseSyncAssignment(valid)
	if err != nil || !called || !reflect.DeepEqual(parts, map[string][]int32{"orders": {1, 4}}) {
		t.Fatalf("valid assignment: %v %v (onAssign called: %v)", parts, err, called)
	}
	for n := range len(valid) {
		called = false
		if _, err := a.ParseSyncAssignment(valid[:n]); err == nil || called {
			t.Errorf("assignment cut to %d of %d bytes: err %v, onAssign called %v", n, len(valid), err, called)
		}
	}
	for n := range len(userData) {
		if _, err := asgDecodeAssignmentInfo(userData[:n]); err == nil {
			t.Errorf("assignment info cut to %d of %d bytes decoded", n, len(userData))
		}
	}
	dup := []byte{1, 0, 0, 2, 1, 'h', 1, 0, 1, 'h', 1, 0}
	if _, err := asgDecodeAssignmentInfo(dup); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate endpoint: err = %v", err)
	}
	for _, ud := range [][]byte{nil, {0}, {1}, {1, 0, 0xff}, append(slices.Clone(userData), 0)} {
		kassn.UserData = ud
		called = false
		if _, err := a.ParseSyncAssignment(kassn.AppendTo(nil)); err == nil || called {
			t.Errorf("user data %x: err %v, onAssign called %v", ud, err, called)
		}
	}

	sub := asgSubscription{processID: "proc", endpoint: HostInfo{"h", 80}, owned: asgTasks("0_1", "2_3")}
	enc := sub.appendTo(nil)
	for n := range len(enc) {
		if _, err := asgDecodeSubscription(enc[:n]); err == nil {
			t.Errorf("subscription cut to %d of %d bytes decoded", n, len(enc))
		}
	}
}

// TestAssignorNewerVersions: a later version appends fields, which this version ignores.
func TestAssignorNewerVersions(t *testing.T) {
	sub := asgSubscription{processID: "proc", endpoint: HostInfo{"h", 80}, owned: asgTasks("0_1", "2_3"),
		offsetSums: map[processor.TaskID]int64{{Subtopology: 1, Partition: 2}: 77}}
	enc := append(sub.appendTo(nil), 0xde, 0xad)
	if _, err := asgDecodeSubscription(enc); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("version 2 with trailing bytes: err = %v", err)
	}
	enc[0] = 3
	got, err := asgDecodeSubscription(enc)
	if err != nil || !reflect.DeepEqual(got, sub) {
		t.Errorf("version 3 subscription: %+v %v, want %+v", got, err, sub)
	}

	info := AssignmentInfo{Generation: -5, Active: asgTasks("1_0"), HostTasks: map[HostInfo][]processor.TaskID{{"h", 80}: asgTasks("1_0")}}
	encInfo := append(asgAppendAssignmentInfo(nil, &info), 7, 7, 7)
	encInfo[0] = 9
	gotInfo, err := asgDecodeAssignmentInfo(encInfo)
	if err != nil || !reflect.DeepEqual(gotInfo, info) {
		t.Errorf("version 9 assignment info: %+v %v, want %+v", gotInfo, err, info)
	}
}

// TestAssignorRackMetadata: kgo rewrites the join metadata as version 3 with the member's rack
// when the client has one; the balancer must still read it.
func TestAssignorRackMetadata(t *testing.T) {
	a := newAssignor(asgOneSub, HostInfo{"h", 1}, "p", asgConfig{}, nil)
	a.setOwned(asgTasks("0_2"), nil)
	var meta kmsg.ConsumerMemberMetadata
	if err := meta.ReadFrom(a.JoinGroupMetadata([]string{"orders", "payments"}, nil, 4)); err != nil {
		t.Fatal(err)
	}
	rack := "eu-1a"
	meta.Rack, meta.Version = &rack, 3
	jm := kmsg.NewJoinGroupResponseMember()
	jm.MemberID = "m"
	jm.ProtocolMetadata = meta.AppendTo(nil)
	mb, _, err := a.MemberBalancer([]kmsg.JoinGroupResponseMember{jm})
	if err != nil {
		t.Fatal(err)
	}
	if got := mb.(*asgGroup).members[0].sub.owned; !slices.Equal(got, asgTasks("0_2")) {
		t.Errorf("owned = %v, want [0_2]", got)
	}
}

func TestAssignorJoinMetadata(t *testing.T) {
	a := newAssignor(asgTwoSubs, HostInfo{"::1", 80}, "proc-1", asgConfig{}, nil)
	if a.ProtocolName() != "tributary" || a.IsCooperative() {
		t.Errorf("protocol %q cooperative %v, want tributary, eager", a.ProtocolName(), a.IsCooperative())
	}
	a.setOwned(asgTasks("1_3", "0_2", "1_3", "0_0"), nil)
	first := a.JoinGroupMetadata([]string{"clicks", "profiles", "users"}, nil, 1)
	a.setOwned(asgTasks("0_0", "0_2", "1_3"), nil)
	second := a.JoinGroupMetadata([]string{"clicks", "profiles", "users"}, map[string][]int32{"clicks": {0}}, 2)
	if !slices.Equal(first, second) {
		t.Errorf("join metadata differs for the same owned tasks:\n%x\n%x", first, second)
	}
	var meta kmsg.ConsumerMemberMetadata
	if err := meta.ReadFrom(first); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(meta.Topics, []string{"clicks", "profiles", "users"}) {
		t.Errorf("topics %v", meta.Topics)
	}
	sub, err := asgDecodeSubscription(meta.UserData)
	want := asgSubscription{processID: "proc-1", endpoint: HostInfo{"::1", 80}, owned: asgTasks("0_0", "0_2", "1_3")}
	if err != nil || !reflect.DeepEqual(sub, want) {
		t.Errorf("subscription %+v %v, want %+v", sub, err, want)
	}
}

func TestAssignorMergesSubtopologies(t *testing.T) {
	a := newAssignor([]assignorSubtopology{{ID: 1, Topics: []string{"b"}}, {ID: 0, Topics: []string{"a"}}, {ID: 1, Topics: []string{"c", "b"}}}, HostInfo{}, "p", asgConfig{}, nil)
	want := []assignorSubtopology{{ID: 0, Topics: []string{"a"}}, {ID: 1, Topics: []string{"b", "c"}}}
	if !reflect.DeepEqual(a.subs, want) {
		t.Errorf("subs %v, want %v", a.subs, want)
	}
}

func TestAssignorNoMembers(t *testing.T) {
	a := newAssignor(asgOneSub, HostInfo{}, "p", asgConfig{}, nil)
	mb, topics, err := a.MemberBalancer(nil)
	if err != nil || len(topics) != 2 {
		t.Fatalf("MemberBalancer(nil): %v %v", topics, err)
	}
	into := mb.Balance(asgOneSubTopics)
	if into == nil || len(into.IntoSyncAssignment()) != 0 {
		t.Fatalf("Balance with no members: %v", into)
	}
}

func TestHostInfo(t *testing.T) {
	for _, c := range []struct {
		in   string
		want HostInfo
	}{
		{"localhost:8080", HostInfo{"localhost", 8080}},
		{"[::1]:80", HostInfo{"::1", 80}},
		{"10.0.0.1:65535", HostInfo{"10.0.0.1", 65535}},
		{"", HostInfo{}},
	} {
		got, err := ParseHostInfo(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseHostInfo(%q) = %v, %v, want %v", c.in, got, err, c.want)
		}
		if s := got.String(); s != c.in {
			t.Errorf("%#v.String() = %q, want %q", got, s, c.in)
		}
	}
	for _, bad := range []string{"localhost", "localhost:", ":8080", "localhost:0", "localhost:65536",
		"localhost:-1", "localhost:+80", "localhost:http", "::1:80", "[::1]", "a:b:c"} {
		if h, err := ParseHostInfo(bad); err == nil {
			t.Errorf("ParseHostInfo(%q) = %v, want an error", bad, h)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("ParseHostInfo(%q): error %q does not quote the input", bad, err)
		}
	}
}

func FuzzAssignorDecode(f *testing.F) {
	sub := asgSubscription{processID: "proc", endpoint: HostInfo{"h", 80}, owned: asgTasks("0_1", "2_3")}
	f.Add(sub.appendTo(nil))
	info := AssignmentInfo{Generation: 2, Active: asgTasks("0_1"), HostTasks: map[HostInfo][]processor.TaskID{{"h", 80}: asgTasks("0_1")}}
	f.Add(asgAppendAssignmentInfo(nil, &info))
	kassn := kmsg.NewConsumerMemberAssignment()
	kassn.Topics = []kmsg.ConsumerMemberAssignmentTopic{{Topic: "orders", Partitions: []int32{1}}}
	kassn.UserData = asgAppendAssignmentInfo(nil, &info)
	f.Add(kassn.AppendTo(nil))
	f.Add(newAssignor(asgOneSub, HostInfo{"h", 1}, "p", asgConfig{}, nil).JoinGroupMetadata([]string{"orders"}, nil, 0))
	f.Add([]byte{})
	f.Add([]byte{2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	// Version 2 with offset sums, standbys, warmups, host standbys and probing.
	sub.offsetSums = map[processor.TaskID]int64{{Subtopology: 0, Partition: 2}: 900, {Subtopology: 0, Partition: 3}: asgLatestOffset}
	f.Add(sub.appendTo(nil))
	info.Standby, info.Warmup = asgTasks("0_2", "0_3"), asgTasks("0_3")
	info.HostStandbys = map[HostInfo][]processor.TaskID{{"h", 80}: asgTasks("0_2", "0_3"), {"g", 1}: nil}
	info.ProbeAfter = 10 * time.Minute
	f.Add(asgAppendAssignmentInfo(nil, &info))
	// Version 1 data.
	f.Add([]byte{1, 4, 'p', 'r', 'o', 'c', 1, 'h', 80, 1, 0, 1})
	f.Add([]byte{1, 4, 1, 0, 1, 1, 1, 'h', 80, 1, 0, 1})

	a := newAssignor(asgOneSub, HostInfo{}, "p", asgConfig{}, func(AssignmentInfo) {})
	stateful := newAssignor(asgOneSub, HostInfo{}, "p", asgConfig{
		numStandby: 2, acceptableLag: 100, maxWarmups: 2, probingInterval: time.Minute,
		changelogs: map[int][]string{0: {"store-changelog"}},
		endOffsets: func([]string) (map[string]map[int32]int64, error) {
			return map[string]map[int32]int64{"store-changelog": {0: 1000, 1: 50, 2: 1000, 3: 0}}, nil
		},
	}, func(AssignmentInfo) {})
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := asgDecodeSubscription(data); err == nil {
			again, err := asgDecodeSubscription(s.appendTo(nil))
			slices.SortFunc(s.owned, asgCompareTasks)
			if err != nil || !reflect.DeepEqual(again, s) {
				t.Errorf("subscription %+v re-encoded as %+v, %v", s, again, err)
			}
		}
		if info, err := asgDecodeAssignmentInfo(data); err == nil {
			again, err := asgDecodeAssignmentInfo(asgAppendAssignmentInfo(nil, &info))
			if err != nil || len(again.HostTasks) != len(info.HostTasks) || len(again.Active) != len(info.Active) ||
				len(again.Standby) != len(info.Standby) || len(again.Warmup) != len(info.Warmup) ||
				len(again.HostStandbys) != len(info.HostStandbys) || again.ProbeAfter != info.ProbeAfter {
				t.Errorf("assignment info %+v re-encoded as %+v, %v", info, again, err)
			}
		}
		_, _ = a.ParseSyncAssignment(data)
		wrapped := kmsg.NewConsumerMemberAssignment()
		wrapped.UserData = data
		_, _ = a.ParseSyncAssignment(wrapped.AppendTo(nil))

		meta := kmsg.NewConsumerMemberMetadata()
		meta.Topics = []string{"orders"}
		meta.UserData = data
		for _, md := range [][]byte{data, meta.AppendTo(nil)} {
			jm := kmsg.NewJoinGroupResponseMember()
			jm.MemberID = "fuzz"
			jm.ProtocolMetadata = md
			for _, b := range []*assignor{a, stateful} {
				if mb, _, err := b.MemberBalancer([]kmsg.JoinGroupResponseMember{jm}); err == nil {
					_, _ = mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(asgOneSubTopics)
				}
			}
		}
	})
}

func BenchmarkAssign(b *testing.B) {
	subs := []assignorSubtopology{
		{ID: 0, Topics: []string{"a"}},
		{ID: 1, Topics: []string{"b", "c"}},
		{ID: 2, Topics: []string{"d"}},
	}
	topics := map[string]int32{"a": 64, "b": 64, "c": 64, "d": 64}
	var ms []*asgTestMember
	for i := range 100 {
		ms = append(ms, asgNewTestMember(fmt.Sprintf("member-%03d", i), subs, HostInfo{fmt.Sprintf("host-%d", i/4), 8080}, fmt.Sprintf("p%d", i/4)))
	}
	// A steady-state group: every member claims what it was given last time, then two
	// members are replaced.
	asgMustRebalance(b, 1, topics, ms...)
	asgFeedBack(ms...)
	ms[10] = asgNewTestMember("member-new-a", subs, HostInfo{"host-new", 8080}, "pn")
	ms[50] = asgNewTestMember("member-new-b", subs, HostInfo{"host-new", 8080}, "pn")
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
