package driver

// This file is the consumer-group balancer of the Kafka runtime, Tributary's equivalent of Kafka
// Streams' StreamsPartitionAssignor with its HighAvailabilityTaskAssignor (KIP-441): it turns the
// group's members and the topology's sub-topologies into tasks, gives every task to exactly one
// member (balanced, sticky to the member that already holds it, and preferring members whose
// instance has the task's state caught up so that it need not be restored), places standby
// replicas (num.standby.replicas) and warmup replicas (max.warmup.replicas) of stateful tasks,
// and tells every member where all active and standby tasks live (for interactive queries
// through application.server).
//
// Wire formats. Join metadata is a kmsg.ConsumerMemberMetadata (version 0; kgo may raise it to 3
// to add the member's rack) whose Topics are the member's topic interests and whose UserData is
// the subscription below. A member's assignment is a kmsg.ConsumerMemberAssignment (version 0)
// whose Topics are its partitions (of its active tasks), sorted, and whose UserData is the
// assignment info below. Both UserData encodings start with a version byte (currently 2) and use
// unsigned varints (encoding/binary's Uvarint) for lengths and numbers; a string is its length
// then its bytes, a task is its sub-topology then its partition, a task list is its length then
// its tasks in ascending order.
//
//	subscription v1:    version=1, processID string, endpoint host string, endpoint port,
//	                    owned task list
//	subscription v2:    the fields of v1 (with version=2), then the task offset sums: count,
//	                    then per task in ascending order: sub-topology, partition, offset sum
//	                    (zig-zag varint, binary.AppendVarint; >= 0, or -2 for Kafka's
//	                    Task.LATEST_OFFSET)
//	assignment info v1: version=1, generation (zig-zag varint), active task list, endpoint
//	                    count, then per endpoint sorted by host and port: host string, port,
//	                    task list
//	assignment info v2: the fields of v1 (with version=2), then the standby task list (warmups
//	                    included), the warmup task list (a subset of the standby list), the
//	                    host standbys (the same layout as the endpoints of v1), and the probing
//	                    delay in milliseconds (0 for none)
//
// No endpoint is an empty host and port 0. Ports above 65535 and numbers above 2^31-1 are invalid.
//
// Compatibility rule: a later version only appends fields to the previous one. A decoder reads the
// fields it knows from a later version and ignores the rest (best effort, so a rolling upgrade
// works both ways); a version this code writes or an earlier one must have no trailing bytes;
// version 0 is invalid. Version 1 data decodes with no offset sums and no standbys.

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-go/tributary/processor"
)

// asgProtocolName is the group protocol of the assignor. Kafka Streams calls its protocol
// "stream"; ours has its own name because its user data is not Kafka Streams' SubscriptionInfo,
// so a Java Kafka Streams instance and a Tributary one started with the same application.id are
// refused by the broker (INCONSISTENT_GROUP_PROTOCOL) instead of misreading each other.
const asgProtocolName = "tributary"

// asgVersion is the version of the subscription and assignment-info encodings this code writes.
const asgVersion = 2

// asgLatestOffset is the offset sum of a task a member runs as active, Kafka's
// Task.LATEST_OFFSET: the member is caught up whatever the changelog end offsets.
const asgLatestOffset = -2

// asgConfig configures the balancer beyond the topology (Kafka's AssignorConfiguration).
type asgConfig struct {
	numStandby      int           // num.standby.replicas (default 0)
	acceptableLag   int64         // acceptable.recovery.lag (Kafka default 10000)
	maxWarmups      int           // max.warmup.replicas (Kafka default 2; below 1, no warmups and no lag-driven moves)
	probingInterval time.Duration // probing.rebalance.interval.ms (Kafka default 10 min)
	// changelogs are the changelog topics of each sub-topology's logged stores (sub ID -> topics);
	// a sub-topology with none is stateless: its tasks get no standbys and never lag.
	changelogs map[int][]string
	// endOffsets returns the end offsets of the given changelog topics (topic -> partition -> end offset),
	// called by the group leader inside BalanceOrError. nil, or an error, means lags are unknown: then a
	// member reporting any state for a task counts as caught up and one reporting none as not.
	endOffsets func(topics []string) (map[string]map[int32]int64, error)
}

// assignorSubtopology is one sub-topology as the assignor sees it: its id and the source topics
// its tasks read (all co-partitioned).
type assignorSubtopology struct {
	ID     int
	Topics []string
}

// HostInfo is an application.server endpoint (Kafka Streams' HostInfo): where a member's
// interactive queries are served. The zero HostInfo means no endpoint.
type HostInfo struct {
	Host string
	Port int
}

// String returns "host:port", with an IPv6 host in brackets ("[::1]:80"), or "" for the zero
// HostInfo. ParseHostInfo reads it back.
func (h HostInfo) String() string {
	if h == (HostInfo{}) {
		return ""
	}
	return net.JoinHostPort(h.Host, strconv.Itoa(h.Port))
}

// ParseHostInfo parses an application.server value, "host:port" (an IPv6 host in brackets, as in
// "[::1]:8080"). The host must not be empty and the port must be decimal digits between 1 and
// 65535. The empty string is the zero HostInfo (no endpoint, application.server's default).
func ParseHostInfo(s string) (HostInfo, error) {
	if s == "" {
		return HostInfo{}, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return HostInfo{}, fmt.Errorf("driver: invalid endpoint %q, want host:port: %w", s, err)
	}
	if host == "" {
		return HostInfo{}, fmt.Errorf("driver: invalid endpoint %q: empty host", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > math.MaxUint16 || strings.TrimLeft(port, "0123456789") != "" {
		return HostInfo{}, fmt.Errorf("driver: invalid endpoint %q: port %q is not a number between 1 and 65535", s, port)
	}
	return HostInfo{Host: host, Port: n}, nil
}

// AssignmentInfo is what a member learns from a rebalance (Kafka Streams' AssignmentInfo).
type AssignmentInfo struct {
	// Generation is the group generation the assignment belongs to (0 if the leader did not
	// know it).
	Generation int32
	// Active are this member's tasks, sorted.
	Active []processor.TaskID
	// HostTasks are every endpoint's active tasks, sorted; the tasks of members that share an
	// endpoint (workers of one instance) are merged, and members without an endpoint are
	// omitted.
	HostTasks map[HostInfo][]processor.TaskID
	// Standby are this member's standby tasks (Kafka Streams' standby replicas,
	// num.standby.replicas), warmup replicas included, sorted. The member keeps their state
	// up to date from the changelogs without processing.
	Standby []processor.TaskID
	// Warmup is the subset of Standby that are warmup replicas (KIP-441, max.warmup.replicas):
	// tasks whose active this member should take over once it has caught up, sorted.
	Warmup []processor.TaskID
	// HostStandbys are every endpoint's standby tasks (warmups included), sorted and merged
	// per endpoint like HostTasks (Kafka Streams' standbyPartitionsByHost); nil if there are
	// none (and from version 1 data).
	HostStandbys map[HostInfo][]processor.TaskID
	// ProbeAfter, if above 0, says that warmup replicas were assigned: the member should
	// trigger a rebalance after this long so that caught-up warmups take over their actives
	// (Kafka Streams' probing rebalance, probing.rebalance.interval.ms).
	ProbeAfter time.Duration
}

// assignor is the kgo.GroupBalancer of the Kafka runtime (Kafka Streams' StreamsPartitionAssignor).
// Its protocol is eager: on a rebalance a member gives up all its partitions, but the runtime
// keeps the tasks open and the assignment is sticky, so a task that stays put is not restored.
type assignor struct {
	subs      []assignorSubtopology // by ID, topics sorted
	endpoint  HostInfo
	processID string
	cfg       asgConfig // changelog topics sorted and unique
	onAssign  func(AssignmentInfo)

	mu    sync.Mutex
	owned []processor.TaskID         // sorted, no duplicates
	sums  map[processor.TaskID]int64 // offset sums of tasks with state here, owned tasks excluded
}

var _ kgo.GroupBalancer = (*assignor)(nil)

// newAssignor returns the balancer of a member that runs the sub-topologies subs, serves
// interactive queries at endpoint (the zero HostInfo for none; otherwise a value from
// ParseHostInfo) and belongs to the process processID (all workers of one instance share it).
// Entries of subs with the same ID are merged. Every member of a group is expected to run the
// same topology and configuration: the leader makes the tasks from its own subs and balances
// with its own cfg. onAssign, if not nil, receives every assignment this member is given, from
// ParseSyncAssignment.
func newAssignor(subs []assignorSubtopology, endpoint HostInfo, processID string, cfg asgConfig, onAssign func(AssignmentInfo)) *assignor {
	byID := make(map[int][]string, len(subs))
	for _, s := range subs {
		byID[s.ID] = append(byID[s.ID], s.Topics...)
	}
	own := make([]assignorSubtopology, 0, len(byID))
	for id, topics := range byID {
		slices.Sort(topics)
		own = append(own, assignorSubtopology{ID: id, Topics: slices.Compact(topics)})
	}
	slices.SortFunc(own, func(x, y assignorSubtopology) int { return cmp.Compare(x.ID, y.ID) })
	changelogs := make(map[int][]string, len(cfg.changelogs))
	for id, topics := range cfg.changelogs {
		if len(topics) > 0 {
			topics = slices.Clone(topics)
			slices.Sort(topics)
			changelogs[id] = slices.Compact(topics)
		}
	}
	cfg.changelogs = changelogs
	return &assignor{subs: own, endpoint: endpoint, processID: processID, cfg: cfg, onAssign: onAssign}
}

// setOwned records the member's running active tasks and, for other tasks it has state for (its
// standby tasks, and task directories on disk), their offset sums: the sum over the task's
// changelog partitions of the next offset to restore from (Kafka's task offset sums). Active
// tasks are reported as caught up (Kafka's Task.LATEST_OFFSET, -2) without being in offsetSums;
// an entry of offsetSums for an active task is ignored. The next join metadata carries them so
// that the leader can keep the tasks here or move them to where their state is. It is safe to
// call concurrently with the group's use of the balancer.
func (a *assignor) setOwned(active []processor.TaskID, offsetSums map[processor.TaskID]int64) {
	owned := slices.Clone(active)
	slices.SortFunc(owned, asgCompareTasks)
	owned = slices.Compact(owned)
	var sums map[processor.TaskID]int64
	for t, s := range offsetSums {
		if _, isOwned := slices.BinarySearchFunc(owned, t, asgCompareTasks); isOwned {
			continue
		}
		if sums == nil {
			sums = make(map[processor.TaskID]int64, len(offsetSums))
		}
		sums[t] = s
	}
	a.mu.Lock()
	a.owned = owned
	a.sums = sums
	a.mu.Unlock()
}

// ProtocolName returns "tributary" (see asgProtocolName).
func (*assignor) ProtocolName() string { return asgProtocolName }

// IsCooperative returns false: the protocol is eager.
func (*assignor) IsCooperative() bool { return false }

// JoinGroupMetadata returns a ConsumerMemberMetadata with the topic interests and, as user data,
// this member's process id, endpoint, owned tasks and task offset sums. Equal inputs give equal
// bytes, so an unchanged member does not trigger a rebalance.
func (a *assignor) JoinGroupMetadata(interests []string, _ map[string][]int32, _ int32) []byte {
	a.mu.Lock()
	sub := asgSubscription{processID: a.processID, endpoint: a.endpoint, owned: a.owned, offsetSums: a.sums}
	userData := sub.appendTo(nil)
	a.mu.Unlock()

	topics := slices.Clone(interests)
	slices.Sort(topics)
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Version = 0
	meta.Topics = slices.Compact(topics)
	meta.UserData = userData
	return meta.AppendTo(nil)
}

// ParseSyncAssignment decodes this member's assignment, hands its AssignmentInfo to onAssign and
// returns its partitions by topic.
func (a *assignor) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	var kassn kmsg.ConsumerMemberAssignment
	if err := kassn.ReadFrom(assignment); err != nil {
		return nil, fmt.Errorf("driver: invalid group assignment (%d bytes): %w", len(assignment), err)
	}
	info, err := asgDecodeAssignmentInfo(kassn.UserData)
	if err != nil {
		return nil, err
	}
	parts := make(map[string][]int32, len(kassn.Topics))
	for _, t := range kassn.Topics {
		parts[t.Topic] = append(parts[t.Topic], t.Partitions...)
	}
	if a.onAssign != nil {
		a.onAssign(info)
	}
	return parts, nil
}

// MemberBalancer decodes every member's join metadata and returns the balancer of this
// generation, and the topics whose partition counts it needs: every member's interests and this
// member's source topics.
func (a *assignor) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	g := &asgGroup{a: a, members: make([]asgMember, 0, len(members))}
	topics := make(map[string]struct{})
	for _, s := range a.subs {
		for _, t := range s.Topics {
			topics[t] = struct{}{}
		}
	}
	for i := range members {
		m := &members[i]
		var meta kmsg.ConsumerMemberMetadata
		if err := meta.ReadFrom(m.ProtocolMetadata); err != nil {
			return nil, nil, fmt.Errorf("driver: member %q sent invalid join metadata: %w", m.MemberID, err)
		}
		sub, err := asgDecodeSubscription(meta.UserData)
		if err != nil {
			return nil, nil, fmt.Errorf("driver: member %q: %w", m.MemberID, err)
		}
		for _, t := range meta.Topics {
			topics[t] = struct{}{}
		}
		g.members = append(g.members, asgMember{id: m.MemberID, sub: sub})
	}
	slices.SortStableFunc(g.members, func(x, y asgMember) int { return strings.Compare(x.id, y.id) })
	for i := 1; i < len(g.members); i++ {
		if g.members[i].id == g.members[i-1].id {
			return nil, nil, fmt.Errorf("driver: member %q joined twice", g.members[i].id)
		}
	}
	return g, topics, nil
}

// asgMember is a member of the generation being balanced.
type asgMember struct {
	id  string
	sub asgSubscription
}

// asgGroup balances one generation; it is the kgo.GroupMemberBalancer of assignor.
type asgGroup struct {
	a          *assignor
	members    []asgMember // by member id
	generation int32
}

var (
	_ kgo.GroupMemberBalancerOrError = (*asgGroup)(nil)
	_ kgo.GroupMemberBalancerInfo    = (*asgGroup)(nil)
)

// SetBalanceInfo records the generation being balanced into; it goes into every AssignmentInfo.
func (g *asgGroup) SetBalanceInfo(info kgo.BalanceInfo) { g.generation = info.Generation }

// Balance is BalanceOrError without the error, which kgo never calls (it calls BalanceOrError);
// on an error it returns nil.
func (g *asgGroup) Balance(topics map[string]int32) kgo.IntoSyncAssignment {
	plan, err := g.BalanceOrError(topics)
	if err != nil {
		return nil
	}
	return plan
}

// BalanceOrError makes the tasks of every sub-topology from the partition counts of its topics
// (partitions 0..N-1 of its co-partitioned topics are tasks 0..N-1), assigns active, warmup and
// standby tasks to the members (see asgPlace; the end offsets of the changelog topics come from
// the configuration's endOffsets) and returns each member's partitions and AssignmentInfo. It
// fails if a source topic does not exist or the topics of a sub-topology have different
// partition counts. Every member is given tasks, whatever its topic interests; topics of no
// sub-topology of this member are not assigned.
func (g *asgGroup) BalanceOrError(topics map[string]int32) (kgo.IntoSyncAssignment, error) {
	subs := g.a.subs
	// Tasks, sorted by id since subs are sorted by ID.
	var tasks []processor.TaskID
	subIndex := make(map[int]int, len(subs))
	for si, s := range subs {
		subIndex[s.ID] = si
		n := int32(-1)
		for _, t := range s.Topics {
			c, ok := topics[t]
			if !ok {
				return nil, fmt.Errorf("driver: source topic %q of sub-topology %d does not exist", t, s.ID)
			}
			if c < 0 {
				c = 0
			}
			if n >= 0 && c != n {
				return nil, asgCopartitionError(s, topics)
			}
			n = c
		}
		for p := int32(0); p < n; p++ {
			tasks = append(tasks, processor.TaskID{Subtopology: s.ID, Partition: p})
		}
	}

	pl := asgPlace(g.a.cfg, g.members, tasks, subIndex, len(subs))

	hostTasks := make(map[HostInfo][]processor.TaskID)
	var hostStandbys map[HostInfo][]processor.TaskID
	if pl.standbys > 0 {
		hostStandbys = make(map[HostInfo][]processor.TaskID)
	}
	for i := range g.members {
		if ep := g.members[i].sub.endpoint; ep != (HostInfo{}) {
			hostTasks[ep] = append(hostTasks[ep], pl.active[i]...)
			if hostStandbys != nil {
				hostStandbys[ep] = append(hostStandbys[ep], pl.standby[i]...)
			}
		}
	}
	for _, m := range []map[HostInfo][]processor.TaskID{hostTasks, hostStandbys} {
		for ep, ts := range m {
			slices.SortFunc(ts, asgCompareTasks)
			m[ep] = ts
		}
	}
	var probe time.Duration
	if pl.warmups > 0 && g.a.cfg.probingInterval > 0 {
		probe = g.a.cfg.probingInterval
	}

	hostEnc := asgAppendHostTasks(nil, hostTasks)
	hostStandbyEnc := asgAppendHostTasks(nil, hostStandbys)
	plan := make(asgPlan, 0, len(g.members))
	for i := range g.members {
		byTopic := make(map[string][]int32)
		for _, t := range pl.active[i] {
			for _, topic := range subs[subIndex[t.Subtopology]].Topics {
				if t.Partition < topics[topic] {
					byTopic[topic] = append(byTopic[topic], t.Partition)
				}
			}
		}
		kassn := kmsg.NewConsumerMemberAssignment()
		kassn.Version = 0
		for topic, parts := range byTopic {
			slices.Sort(parts)
			at := kmsg.NewConsumerMemberAssignmentTopic()
			at.Topic = topic
			at.Partitions = parts
			kassn.Topics = append(kassn.Topics, at)
		}
		slices.SortFunc(kassn.Topics, func(x, y kmsg.ConsumerMemberAssignmentTopic) int { return strings.Compare(x.Topic, y.Topic) })
		ud := asgAppendAssignmentHead(nil, g.generation, pl.active[i], hostEnc)
		kassn.UserData = asgAppendAssignmentTail(ud, pl.standby[i], pl.warmup[i], hostStandbyEnc, probe)

		sa := kmsg.NewSyncGroupRequestGroupAssignment()
		sa.MemberID = g.members[i].id
		sa.MemberAssignment = kassn.AppendTo(nil)
		plan = append(plan, sa)
	}
	return plan, nil
}

// asgCopartitionError names the sub-topology whose topics are not co-partitioned, with every
// topic's partition count (Kafka Streams' CopartitionedTopicsEnforcer).
func asgCopartitionError(s assignorSubtopology, topics map[string]int32) error {
	counts := make([]string, len(s.Topics))
	for i, t := range s.Topics {
		counts[i] = fmt.Sprintf("%s=%d", t, topics[t])
	}
	return fmt.Errorf("driver: co-partitioned source topics of sub-topology %d have different partition counts: %s",
		s.ID, strings.Join(counts, ", "))
}

// asgPlan is the result of a balance: each member's SyncGroup assignment, by member id.
type asgPlan []kmsg.SyncGroupRequestGroupAssignment

// IntoSyncAssignment returns the plan itself.
func (p asgPlan) IntoSyncAssignment() []kmsg.SyncGroupRequestGroupAssignment { return p }

// asgPlacement is the result of asgPlace: each member's tasks, sorted, by member index.
type asgPlacement struct {
	active, standby, warmup [][]processor.TaskID
	standbys                int // standby replicas assigned, warmups included
	warmups                 int // warmup replicas assigned
}

// asgPlace assigns tasks (sorted, unique; subIndex maps a sub-topology id to its index below
// nSubs) to members (in priority order), following Kafka Streams' HighAvailabilityTaskAssignor
// (KIP-441) in a simpler form:
//
//  1. Actives: the balanced sticky assignment of asgAssign, where a task nobody runs goes, among
//     the members with room, to the one whose process has the lowest lag on it (caught-up
//     processes first), and a member over its share gives back first the tasks another process
//     with room has caught up on.
//  2. Warmups (Kafka's TaskMovement.assignActiveTaskMovements): a stateful task given to a
//     member whose process is not caught up goes instead, if some process is, to the caught-up
//     member with the lowest lag (then the fewest actives, then member order), leaving the
//     assignment unbalanced for a while; the member chosen first gets a warmup replica of the
//     task while fewer than cfg.maxWarmups have been handed out. Once it reports that it caught
//     up (after the probing rebalance), step 1 gives it the task. If no process is caught up, or
//     cfg.maxWarmups is below 1, the balanced choice stays (someone must restore).
//  3. Standbys (Kafka's StandbyTaskAssignor, without rack awareness): every stateful task gets up
//     to cfg.numStandby replicas, a warmup counting as one, each on a process holding no other
//     replica of the task (so never on the active's process): the member whose process has the
//     lowest lag on it, then one that has state for it itself, then the one with the fewest
//     tasks (active and standby), then the first. Fewer eligible processes give fewer standbys.
//
// The lags are those of asgComputeLags. Equal input gives equal output.
func asgPlace(cfg asgConfig, members []asgMember, tasks []processor.TaskID, subIndex map[int]int, nSubs int) asgPlacement {
	n := len(members)
	pl := asgPlacement{
		active:  make([][]processor.TaskID, n),
		standby: make([][]processor.TaskID, n),
		warmup:  make([][]processor.TaskID, n),
	}
	if n == 0 || len(tasks) == 0 {
		return pl
	}
	l := asgComputeLags(cfg, members, tasks)
	owned := make([][]processor.TaskID, n)
	for m := range members {
		owned[m] = members[m].sub.owned
	}
	owner := asgAssign(owned, tasks, subIndex, nSubs, l)

	// 2. Warmups.
	actives := make([]int, n)
	for _, m := range owner {
		actives[m]++
	}
	warmupOf := make([]int, len(tasks)) // member with a warmup of the task, or -1
	for i := range warmupOf {
		warmupOf[i] = -1
	}
	if cfg.maxWarmups > 0 {
		for i := range tasks {
			a := owner[i]
			if !l.stateful[i] || l.caughtUp(l.proc[a], i) {
				continue
			}
			best := -1
			for m := range n {
				if !l.caughtUp(l.proc[m], i) {
					continue
				}
				if best < 0 {
					best = m
				} else if c := l.compare(m, best, i); c < 0 || (c == 0 && actives[m] < actives[best]) {
					best = m
				}
			}
			if best < 0 {
				continue
			}
			owner[i] = best
			actives[a]--
			actives[best]++
			if pl.warmups < cfg.maxWarmups {
				warmupOf[i] = a
				pl.warmups++
			}
		}
	}

	// 3. Standbys.
	load := actives // active and standby tasks of each member
	standby := make([][]int, n)
	var used []int // processes holding a replica of the task
	for i := range tasks {
		if !l.stateful[i] {
			continue
		}
		used = append(used[:0], l.proc[owner[i]])
		need := cfg.numStandby
		if w := warmupOf[i]; w >= 0 {
			standby[w] = append(standby[w], i)
			load[w]++
			used = append(used, l.proc[w])
			need--
		}
		for ; need > 0; need-- {
			best := -1
			for m := range n {
				if slices.Contains(used, l.proc[m]) {
					continue
				}
				if best < 0 {
					best = m
				} else if c := l.compare(m, best, i); c < 0 || (c == 0 && load[m] < load[best]) {
					best = m
				}
			}
			if best < 0 {
				break
			}
			standby[best] = append(standby[best], i)
			load[best]++
			used = append(used, l.proc[best])
		}
	}

	for i, m := range owner {
		pl.active[m] = append(pl.active[m], tasks[i])
		if w := warmupOf[i]; w >= 0 {
			pl.warmup[w] = append(pl.warmup[w], tasks[i])
		}
	}
	for m, is := range standby {
		slices.Sort(is)
		for _, i := range is {
			pl.standby[m] = append(pl.standby[m], tasks[i])
		}
		pl.standbys += len(is)
	}
	return pl
}

// asgLags are the lags of the group's processes on the tasks being assigned (Kafka's
// ClientState.computeTaskLags and lagFor). Lags are per process, not per member: the members
// with one process id are workers of one instance and share its state directory.
type asgLags struct {
	proc       []int               // process index of each member (processes in order of first member)
	stateful   []bool              // by task index: its sub-topology has changelog topics
	noState    []int64             // by task index: the lag of a process without state for the task
	lags       map[[2]int]int64    // {process, task index}: the lag of a process with state
	has        map[[2]int]struct{} // {member, task index}: the member itself runs or has state for the task
	acceptable int64               // acceptable.recovery.lag, at least 0
}

// asgComputeLags computes every process's lag on every task: 0 on a stateless task; on a
// stateful one the least over its members of 0 if the member runs it or reports offset sum -2
// (Task.LATEST_OFFSET), or end-sum minus its offset sum if it reports one (end-sum: the sum of
// the end offsets of the task's changelog partitions; an offset sum above end-sum means state
// from another changelog, to be restored from scratch: lag end-sum, as in Kafka), else end-sum
// (the whole changelog to restore). When the end offsets are unknown (cfg.endOffsets nil or
// failing) a member reporting an offset sum counts as lag 0 and one reporting none as
// math.MaxInt64.
func asgComputeLags(cfg asgConfig, members []asgMember, tasks []processor.TaskID) *asgLags {
	l := &asgLags{
		proc:       make([]int, len(members)),
		stateful:   make([]bool, len(tasks)),
		noState:    make([]int64, len(tasks)),
		lags:       make(map[[2]int]int64),
		has:        make(map[[2]int]struct{}),
		acceptable: max(cfg.acceptableLag, 0),
	}
	procs := make(map[string]int)
	for m := range members {
		p, ok := procs[members[m].sub.processID]
		if !ok {
			p = len(procs)
			procs[members[m].sub.processID] = p
		}
		l.proc[m] = p
	}
	taskIndex := make(map[processor.TaskID]int, len(tasks))
	var topics []string
	for i, t := range tasks {
		taskIndex[t] = i
		if cl := cfg.changelogs[t.Subtopology]; len(cl) > 0 {
			l.stateful[i] = true
			if i == 0 || tasks[i-1].Subtopology != t.Subtopology {
				topics = append(topics, cl...)
			}
		}
	}
	if len(topics) == 0 {
		return l
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	var ends map[string]map[int32]int64
	known := false
	if cfg.endOffsets != nil {
		if e, err := cfg.endOffsets(topics); err == nil {
			ends, known = e, true
		}
	}
	endSum := make([]int64, len(tasks))
	for i, t := range tasks {
		if !l.stateful[i] {
			continue
		}
		if !known {
			l.noState[i] = math.MaxInt64
			continue
		}
		var sum int64
		for _, topic := range cfg.changelogs[t.Subtopology] {
			if e := ends[topic][t.Partition]; e > 0 {
				sum = asgSaturatingAdd(sum, e)
			}
		}
		endSum[i], l.noState[i] = sum, sum
	}
	for m := range members {
		p := l.proc[m]
		set := func(i int, lag int64) {
			l.has[[2]int{m, i}] = struct{}{}
			if old, ok := l.lags[[2]int{p, i}]; !ok || lag < old {
				l.lags[[2]int{p, i}] = lag
			}
		}
		for _, t := range members[m].sub.owned {
			if i, ok := taskIndex[t]; ok && l.stateful[i] {
				set(i, 0)
			}
		}
		for t, sum := range members[m].sub.offsetSums {
			i, ok := taskIndex[t]
			switch {
			case !ok || !l.stateful[i] || (sum < 0 && sum != asgLatestOffset):
			case sum == asgLatestOffset || !known:
				set(i, 0)
			case sum <= endSum[i]:
				set(i, endSum[i]-sum)
			default:
				set(i, endSum[i])
			}
		}
	}
	return l
}

func asgSaturatingAdd(x, y int64) int64 {
	if x > math.MaxInt64-y {
		return math.MaxInt64
	}
	return x + y
}

// lag returns the lag of process p on task i.
func (l *asgLags) lag(p, i int) int64 {
	if !l.stateful[i] {
		return 0
	}
	if v, ok := l.lags[[2]int{p, i}]; ok {
		return v
	}
	return l.noState[i]
}

// caughtUp reports whether process p is caught up on task i: its lag is at most
// acceptable.recovery.lag (Kafka's HighAvailabilityTaskAssignor.tasksToCaughtUpClients).
func (l *asgLags) caughtUp(p, i int) bool { return l.lag(p, i) <= l.acceptable }

// compare orders members m and n for task i: the lower lag of its process first, then a member
// that has state for the task itself; 0 if neither is preferred.
func (l *asgLags) compare(m, n, i int) int {
	if !l.stateful[i] {
		return 0
	}
	if c := cmp.Compare(l.lag(l.proc[m], i), l.lag(l.proc[n], i)); c != 0 {
		return c
	}
	_, hm := l.has[[2]int{m, i}]
	_, hn := l.has[[2]int{n, i}]
	switch {
	case hm == hn:
		return 0
	case hm:
		return -1
	}
	return 1
}

// asgAssign gives each of tasks (sorted, unique) to one member and returns each task's member.
// owned[m] are the tasks member m claims (members in priority order); subIndex maps a
// sub-topology id to its index below nSubs; l, if not nil, has the lags of the members'
// processes.
//
// Members end with ⌊T/N⌋ or ⌈T/N⌉ tasks. A task stays with its first claimant unless that member
// claims more than its share, so the number of tasks that move is the least that balance
// allows. A member over its share gives back first tasks that a process other than its own, one
// of whose members holds less than its share, is caught up on, then of those tasks the ones of
// the sub-topology it holds most of, highest partition first. The tasks left over go, in id
// order, to the member whose process has the lowest lag, then one that has state for the task,
// then the least loaded member, then the one with the fewest tasks of that sub-topology, then
// the first.
func asgAssign(owned [][]processor.TaskID, tasks []processor.TaskID, subIndex map[int]int, nSubs int, l *asgLags) []int {
	n := len(owned)
	owner := make([]int, len(tasks))
	if n == 0 || len(tasks) == 0 {
		return owner
	}
	taskIndex := make(map[processor.TaskID]int, len(tasks))
	for i, t := range tasks {
		taskIndex[t] = i
	}
	for i := range owner {
		owner[i] = -1
	}
	held := make([][]int, n)       // task indexes, ascending
	perSub := make([]int, n*nSubs) // member m, sub index s at m*nSubs+s
	for m, ts := range owned {
		for _, t := range ts {
			if i, ok := taskIndex[t]; ok && owner[i] < 0 {
				owner[i] = m
				held[m] = append(held[m], i)
				perSub[m*nSubs+subIndex[t.Subtopology]]++
			}
		}
		slices.Sort(held[m])
	}

	base, extra := len(tasks)/n, len(tasks)%n
	// warm reports whether member m should rather give back task i: a process other than m's
	// has state for it (a standby or warmup, or a directory on disk), is caught up on it and
	// has a member that will have room. A process without state does not count, even when the
	// changelog is short enough for it to be caught up by definition: given the choice, an
	// overloaded member gives back stateless tasks and tasks someone holds a replica of.
	warm := func(m, i int) bool {
		if l == nil || !l.stateful[i] {
			return false
		}
		for r := range held {
			if _, has := l.lags[[2]int{l.proc[r], i}]; has && len(held[r]) < base && l.proc[r] != l.proc[m] && l.caughtUp(l.proc[r], i) {
				return true
			}
		}
		return false
	}
	var warmBuf []bool
	for m := range held {
		limit := base
		if len(held[m]) > base && extra > 0 {
			limit = base + 1
			extra--
		}
		if len(held[m]) <= limit {
			continue
		}
		warmBuf = warmBuf[:0]
		for _, i := range held[m] {
			warmBuf = append(warmBuf, warm(m, i))
		}
		for len(held[m]) > limit {
			counts := perSub[m*nSubs : (m+1)*nSubs]
			// Tasks in descending order: a sub-topology's highest partition comes first, and
			// among sub-topologies with as many tasks the last one wins.
			pick := len(held[m]) - 1
			for j := pick - 1; j >= 0; j-- {
				wj, wp := warmBuf[j], warmBuf[pick]
				sj, sp := subIndex[tasks[held[m][j]].Subtopology], subIndex[tasks[held[m][pick]].Subtopology]
				if (wj && !wp) || (wj == wp && counts[sj] > counts[sp]) {
					pick = j
				}
			}
			i := held[m][pick]
			owner[i] = -1
			counts[subIndex[tasks[i].Subtopology]]--
			held[m] = slices.Delete(held[m], pick, pick+1)
			warmBuf = slices.Delete(warmBuf, pick, pick+1)
		}
	}

	for i, t := range tasks {
		if owner[i] >= 0 {
			continue
		}
		s := subIndex[t.Subtopology]
		best := -1
		for m := range held {
			load := len(held[m])
			if load > base || (load == base && extra == 0) {
				continue
			}
			if best < 0 {
				best = m
				continue
			}
			c := 0
			if l != nil {
				c = l.compare(m, best, i)
			}
			if c < 0 || (c == 0 && (load < len(held[best]) ||
				(load == len(held[best]) && perSub[m*nSubs+s] < perSub[best*nSubs+s]))) {
				best = m
			}
		}
		if best < 0 { // cannot happen: the free slots equal the unowned tasks
			best = 0
		}
		if len(held[best]) == base {
			extra--
		}
		owner[i] = best
		held[best] = append(held[best], i)
		perSub[best*nSubs+s]++
	}
	return owner
}

func asgCompareTasks(x, y processor.TaskID) int {
	if c := cmp.Compare(x.Subtopology, y.Subtopology); c != 0 {
		return c
	}
	return cmp.Compare(x.Partition, y.Partition)
}

// asgSubscription is the user data of a member's join metadata.
type asgSubscription struct {
	processID  string
	endpoint   HostInfo
	owned      []processor.TaskID         // sorted on encoding
	offsetSums map[processor.TaskID]int64 // nil if empty; since version 2
}

func (s *asgSubscription) appendTo(dst []byte) []byte {
	dst = append(dst, asgVersion)
	dst = asgAppendString(dst, s.processID)
	dst = asgAppendEndpoint(dst, s.endpoint)
	dst = asgAppendTasks(dst, s.owned)
	// Version 2.
	sums := make([]processor.TaskID, 0, len(s.offsetSums))
	for t := range s.offsetSums {
		sums = append(sums, t)
	}
	slices.SortFunc(sums, asgCompareTasks)
	dst = binary.AppendUvarint(dst, uint64(len(sums)))
	for _, t := range sums {
		dst = binary.AppendUvarint(dst, uint64(max(t.Subtopology, 0)))
		dst = binary.AppendUvarint(dst, uint64(max(t.Partition, 0)))
		dst = binary.AppendVarint(dst, s.offsetSums[t])
	}
	return dst
}

func asgDecodeSubscription(b []byte) (asgSubscription, error) {
	r, err := asgNewReader(b, "subscription")
	if err != nil {
		return asgSubscription{}, err
	}
	var s asgSubscription
	s.processID = r.string()
	s.endpoint = r.endpoint()
	s.owned = r.tasks()
	if r.version >= 2 {
		n := r.count(3) // sub-topology, partition, sum: 3 bytes at least
		if n > 0 {
			s.offsetSums = make(map[processor.TaskID]int64, n)
		}
		for range n {
			sub := r.uvarint(math.MaxInt32)
			part := r.uvarint(math.MaxInt32)
			sum := r.varint()
			if r.err != nil {
				break
			}
			t := processor.TaskID{Subtopology: int(sub), Partition: int32(part)}
			if sum < 0 && sum != asgLatestOffset {
				r.fail("task %s has offset sum %d", t, sum)
				break
			}
			if _, dup := s.offsetSums[t]; dup {
				r.fail("task %s has two offset sums", t)
				break
			}
			s.offsetSums[t] = sum
		}
	}
	if err := r.finish(); err != nil {
		return asgSubscription{}, err
	}
	return s, nil
}

func asgAppendAssignmentInfo(dst []byte, info *AssignmentInfo) []byte {
	dst = asgAppendAssignmentHead(dst, info.Generation, info.Active, asgAppendHostTasks(nil, info.HostTasks))
	return asgAppendAssignmentTail(dst, info.Standby, info.Warmup, asgAppendHostTasks(nil, info.HostStandbys), info.ProbeAfter)
}

// asgAppendAssignmentHead appends the version 1 fields of an assignment info whose encoded host
// tasks (the same for every member) are hostTasks.
func asgAppendAssignmentHead(dst []byte, generation int32, active []processor.TaskID, hostTasks []byte) []byte {
	dst = append(dst, asgVersion)
	dst = binary.AppendVarint(dst, int64(generation))
	dst = asgAppendTasks(dst, active)
	return append(dst, hostTasks...)
}

// asgMaxProbeMillis bounds the probing delay so that it fits a time.Duration.
const asgMaxProbeMillis = math.MaxInt64 / int64(time.Millisecond)

// asgAppendAssignmentTail appends the version 2 fields of an assignment info whose encoded host
// standbys (the same for every member) are hostStandbys. probe is rounded up to milliseconds.
func asgAppendAssignmentTail(dst []byte, standby, warmup []processor.TaskID, hostStandbys []byte, probe time.Duration) []byte {
	dst = asgAppendTasks(dst, standby)
	dst = asgAppendTasks(dst, warmup)
	dst = append(dst, hostStandbys...)
	ms := int64(0)
	if probe > 0 {
		ms = int64((probe + time.Millisecond - 1) / time.Millisecond)
	}
	return binary.AppendUvarint(dst, uint64(ms))
}

// asgAppendHostTasks appends the endpoints of an assignment info, sorted, with their tasks.
func asgAppendHostTasks(dst []byte, hostTasks map[HostInfo][]processor.TaskID) []byte {
	hosts := make([]HostInfo, 0, len(hostTasks))
	for h := range hostTasks {
		hosts = append(hosts, h)
	}
	slices.SortFunc(hosts, func(x, y HostInfo) int {
		if c := strings.Compare(x.Host, y.Host); c != 0 {
			return c
		}
		return cmp.Compare(x.Port, y.Port)
	})
	dst = binary.AppendUvarint(dst, uint64(len(hosts)))
	for _, h := range hosts {
		dst = asgAppendEndpoint(dst, h)
		dst = asgAppendTasks(dst, hostTasks[h])
	}
	return dst
}

func asgDecodeAssignmentInfo(b []byte) (AssignmentInfo, error) {
	r, err := asgNewReader(b, "assignment info")
	if err != nil {
		return AssignmentInfo{}, err
	}
	var info AssignmentInfo
	gen := r.varint()
	if gen < math.MinInt32 || gen > math.MaxInt32 {
		r.fail("generation %d out of range", gen)
	}
	info.Generation = int32(gen)
	info.Active = r.tasks()
	info.HostTasks = r.hostTasks()
	if info.HostTasks == nil {
		info.HostTasks = map[HostInfo][]processor.TaskID{}
	}
	if r.version >= 2 {
		info.Standby = r.tasks()
		info.Warmup = r.tasks()
		for _, t := range info.Warmup {
			if !slices.Contains(info.Standby, t) {
				r.fail("warmup task %s is not a standby task", t)
				break
			}
		}
		info.HostStandbys = r.hostTasks()
		info.ProbeAfter = time.Duration(r.uvarint(uint64(asgMaxProbeMillis))) * time.Millisecond
	}
	if err := r.finish(); err != nil {
		return AssignmentInfo{}, err
	}
	return info, nil
}

func asgAppendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func asgAppendEndpoint(dst []byte, h HostInfo) []byte {
	dst = asgAppendString(dst, h.Host)
	return binary.AppendUvarint(dst, uint64(max(h.Port, 0)))
}

func asgAppendTasks(dst []byte, ts []processor.TaskID) []byte {
	if !slices.IsSortedFunc(ts, asgCompareTasks) {
		ts = slices.Clone(ts)
		slices.SortFunc(ts, asgCompareTasks)
	}
	dst = binary.AppendUvarint(dst, uint64(len(ts)))
	for _, t := range ts {
		dst = binary.AppendUvarint(dst, uint64(max(t.Subtopology, 0)))
		dst = binary.AppendUvarint(dst, uint64(max(t.Partition, 0)))
	}
	return dst
}

// asgReader decodes the user-data encodings; the first error sticks and later reads return
// zero values.
type asgReader struct {
	what    string // "subscription" or "assignment info", for errors
	b       []byte
	version byte
	err     error
}

func asgNewReader(b []byte, what string) (*asgReader, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("driver: empty %s", what)
	}
	if b[0] == 0 {
		return nil, fmt.Errorf("driver: invalid %s version 0", what)
	}
	return &asgReader{what: what, b: b[1:], version: b[0]}, nil
}

func (r *asgReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("driver: invalid %s (version %d): %s", r.what, r.version, fmt.Sprintf(format, args...))
	}
}

// finish returns the first error, or one for bytes left over in a version this code writes. A
// later version may have appended fields, which are ignored.
func (r *asgReader) finish() error {
	if r.err == nil && r.version <= asgVersion && len(r.b) > 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

func (r *asgReader) uvarint(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong number")
		return 0
	}
	r.b = r.b[n:]
	if v > max {
		r.fail("number %d above %d", v, max)
		return 0
	}
	return v
}

func (r *asgReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a list length whose elements take at least minSize bytes each, so that a
// corrupt length cannot make a large allocation.
func (r *asgReader) count(minSize int) int {
	n := r.uvarint(math.MaxInt32)
	if n > uint64(len(r.b)/minSize) {
		r.fail("list of %d elements in %d bytes", n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *asgReader) string() string {
	n := r.uvarint(math.MaxInt32)
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("string of %d bytes in %d", n, len(r.b))
	}
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *asgReader) endpoint() HostInfo {
	host := r.string()
	port := r.uvarint(math.MaxUint16)
	return HostInfo{Host: host, Port: int(port)}
}

// hostTasks reads endpoints with their tasks; nil if there are none.
func (r *asgReader) hostTasks() map[HostInfo][]processor.TaskID {
	n := r.count(3) // host length, port, task count: 3 bytes at least
	if n == 0 {
		return nil
	}
	hosts := make(map[HostInfo][]processor.TaskID, n)
	for range n {
		h := r.endpoint()
		ts := r.tasks()
		if r.err != nil {
			return nil
		}
		if _, dup := hosts[h]; dup {
			r.fail("endpoint %q listed twice", h.String())
			return nil
		}
		hosts[h] = ts
	}
	return hosts
}

func (r *asgReader) tasks() []processor.TaskID {
	n := r.count(2)
	if r.err != nil || n == 0 {
		return nil
	}
	ts := make([]processor.TaskID, 0, n)
	for range n {
		sub := r.uvarint(math.MaxInt32)
		part := r.uvarint(math.MaxInt32)
		if r.err != nil {
			return nil
		}
		ts = append(ts, processor.TaskID{Subtopology: int(sub), Partition: int32(part)})
	}
	return ts
}
