package driver

// This file is the consumer-group balancer of the Kafka runtime, Tributary's equivalent of Kafka
// Streams' StreamsPartitionAssignor: it turns the group's members and the topology's
// sub-topologies into tasks, gives every task to exactly one member (balanced, and sticky to the
// member that already holds it so that its state need not be restored), and tells every member
// where all active tasks live (for interactive queries through application.server).
//
// Wire formats. Join metadata is a kmsg.ConsumerMemberMetadata (version 0; kgo may raise it to 3
// to add the member's rack) whose Topics are the member's topic interests and whose UserData is
// the subscription below. A member's assignment is a kmsg.ConsumerMemberAssignment (version 0)
// whose Topics are its partitions, sorted, and whose UserData is the assignment info below. Both
// UserData encodings start with a version byte (currently 1) and use unsigned varints
// (encoding/binary's Uvarint) for lengths and numbers; a string is its length then its bytes, a
// task is its sub-topology then its partition, a task list is its length then its tasks in
// ascending order.
//
//	subscription v1:    version=1, processID string, endpoint host string, endpoint port,
//	                    owned task list
//	assignment info v1: version=1, generation (zig-zag varint, binary.AppendVarint), active task
//	                    list, endpoint count, then per endpoint sorted by host and port: host
//	                    string, port, task list
//
// No endpoint is an empty host and port 0. Ports above 65535 and numbers above 2^31-1 are invalid.
//
// Compatibility rule: a later version only appends fields to the previous one. A decoder reads the
// fields it knows from a later version and ignores the rest (best effort, so a rolling upgrade
// works both ways); version 1 must have no trailing bytes; version 0 is invalid.

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
const asgVersion = 1

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
	// Standby are this member's standby tasks, warmups included, sorted.
	Standby []processor.TaskID
	// Warmup is the subset of Standby that are warmup replicas.
	Warmup []processor.TaskID
	// HostStandbys are every endpoint's standby tasks.
	HostStandbys map[HostInfo][]processor.TaskID
	// ProbeAfter is when to trigger a probing rebalance.
	ProbeAfter time.Duration
}

type asgConfig struct {
	numStandby      int
	acceptableLag   int64
	maxWarmups      int
	probingInterval time.Duration
	changelogs      map[int][]string
	endOffsets      func(topics []string) (map[string]map[int32]int64, error)
}

// assignor is the kgo.GroupBalancer of the Kafka runtime (Kafka Streams' StreamsPartitionAssignor).
// Its protocol is eager: on a rebalance a member gives up all its partitions, but the runtime
// keeps the tasks open and the assignment is sticky, so a task that stays put is not restored.
type assignor struct {
	subs      []assignorSubtopology // by ID, topics sorted
	endpoint  HostInfo
	processID string
	onAssign  func(AssignmentInfo)

	mu    sync.Mutex
	owned []processor.TaskID // sorted, no duplicates
}

var _ kgo.GroupBalancer = (*assignor)(nil)

// newAssignor returns the balancer of a member that runs the sub-topologies subs, serves
// interactive queries at endpoint (the zero HostInfo for none; otherwise a value from
// ParseHostInfo) and belongs to the process processID (all workers of one instance share it).
// Entries of subs with the same ID are merged. Every member of a group is expected to run the
// same topology: the leader makes the tasks from its own subs.
// onAssign, if not nil, receives every assignment this member is given, from ParseSyncAssignment.
func newAssignor(subs []assignorSubtopology, endpoint HostInfo, processID string, _ asgConfig, onAssign func(AssignmentInfo)) *assignor {
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
	return &assignor{subs: own, endpoint: endpoint, processID: processID, onAssign: onAssign}
}

// setOwned records the tasks this member currently holds (active, and later standby or
// suspended); the next join metadata carries them so that the leader can keep them here. It is
// safe to call concurrently with the group's use of the balancer.
func (a *assignor) setOwned(tasks []processor.TaskID, _ map[processor.TaskID]int64) {
	owned := slices.Clone(tasks)
	slices.SortFunc(owned, asgCompareTasks)
	owned = slices.Compact(owned)
	a.mu.Lock()
	a.owned = owned
	a.mu.Unlock()
}

// ProtocolName returns "tributary" (see asgProtocolName).
func (*assignor) ProtocolName() string { return asgProtocolName }

// IsCooperative returns false: the protocol is eager.
func (*assignor) IsCooperative() bool { return false }

// JoinGroupMetadata returns a ConsumerMemberMetadata with the topic interests and, as user data,
// this member's process id, endpoint and owned tasks. Equal inputs give equal bytes, so an
// unchanged member does not trigger a rebalance.
func (a *assignor) JoinGroupMetadata(interests []string, _ map[string][]int32, _ int32) []byte {
	a.mu.Lock()
	sub := asgSubscription{processID: a.processID, endpoint: a.endpoint, owned: a.owned}
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
// (partitions 0..N-1 of its co-partitioned topics are tasks 0..N-1), assigns them to the members
// and returns each member's partitions and AssignmentInfo. It fails if a source topic does not
// exist or the topics of a sub-topology have different partition counts. Every member is given
// tasks, whatever its topic interests; topics of no sub-topology of this member are not
// assigned.
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

	owned := make([][]processor.TaskID, len(g.members))
	for i := range g.members {
		owned[i] = g.members[i].sub.owned
	}
	active := asgAssign(owned, tasks, subIndex, len(subs))

	hostTasks := make(map[HostInfo][]processor.TaskID)
	for i := range g.members {
		if ep := g.members[i].sub.endpoint; ep != (HostInfo{}) {
			hostTasks[ep] = append(hostTasks[ep], active[i]...)
		}
	}
	for ep, ts := range hostTasks {
		slices.SortFunc(ts, asgCompareTasks)
		hostTasks[ep] = ts
	}

	hostEnc := asgAppendHostTasks(nil, hostTasks)
	plan := make(asgPlan, 0, len(g.members))
	for i := range g.members {
		byTopic := make(map[string][]int32)
		for _, t := range active[i] {
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
		kassn.UserData = asgAppendAssignmentHead(nil, g.generation, active[i], hostEnc)

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

// asgAssign gives each of tasks (sorted, unique) to one member and returns each member's tasks,
// sorted. owned[m] are the tasks member m claims (members in priority order); subIndex maps a
// sub-topology id to its index below nSubs.
//
// Members end with ⌊T/N⌋ or ⌈T/N⌉ tasks. A task stays with its first claimant unless that member
// claims more than its share, so the number of tasks that move is the least that balance
// allows. A member over its share gives back tasks of the sub-topology it holds most of; the
// tasks left over go, in id order, to the least loaded member, then the one with the fewest
// tasks of that sub-topology, then the first.
func asgAssign(owned [][]processor.TaskID, tasks []processor.TaskID, subIndex map[int]int, nSubs int) [][]processor.TaskID {
	n := len(owned)
	out := make([][]processor.TaskID, n)
	if n == 0 || len(tasks) == 0 {
		return out
	}
	taskIndex := make(map[processor.TaskID]int, len(tasks))
	for i, t := range tasks {
		taskIndex[t] = i
	}
	owner := make([]int, len(tasks))
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
	for m := range held {
		limit := base
		if len(held[m]) > base && extra > 0 {
			limit = base + 1
			extra--
		}
		for len(held[m]) > limit {
			// Give back the highest partition of the sub-topology m holds most of.
			counts := perSub[m*nSubs : (m+1)*nSubs]
			worst := 0
			for s := range counts {
				if counts[s] >= counts[worst] {
					worst = s
				}
			}
			for j := len(held[m]) - 1; j >= 0; j-- {
				i := held[m][j]
				if subIndex[tasks[i].Subtopology] == worst {
					owner[i] = -1
					held[m] = slices.Delete(held[m], j, j+1)
					counts[worst]--
					break
				}
			}
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
			if best < 0 || load < len(held[best]) ||
				(load == len(held[best]) && perSub[m*nSubs+s] < perSub[best*nSubs+s]) {
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

	for m := range held {
		slices.Sort(held[m])
		out[m] = make([]processor.TaskID, len(held[m]))
		for j, i := range held[m] {
			out[m][j] = tasks[i]
		}
	}
	return out
}

func asgCompareTasks(x, y processor.TaskID) int {
	if c := cmp.Compare(x.Subtopology, y.Subtopology); c != 0 {
		return c
	}
	return cmp.Compare(x.Partition, y.Partition)
}

// asgSubscription is the user data of a member's join metadata.
type asgSubscription struct {
	processID string
	endpoint  HostInfo
	owned     []processor.TaskID // sorted on encoding
}

func (s *asgSubscription) appendTo(dst []byte) []byte {
	dst = append(dst, asgVersion)
	dst = asgAppendString(dst, s.processID)
	dst = asgAppendEndpoint(dst, s.endpoint)
	return asgAppendTasks(dst, s.owned)
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
	return s, r.finish()
}

func asgAppendAssignmentInfo(dst []byte, info *AssignmentInfo) []byte {
	return asgAppendAssignmentHead(dst, info.Generation, info.Active, asgAppendHostTasks(nil, info.HostTasks))
}

// asgAppendAssignmentHead appends an assignment info whose encoded host tasks (the same for
// every member) are hostTasks.
func asgAppendAssignmentHead(dst []byte, generation int32, active []processor.TaskID, hostTasks []byte) []byte {
	dst = append(dst, asgVersion)
	dst = binary.AppendVarint(dst, int64(generation))
	dst = asgAppendTasks(dst, active)
	return append(dst, hostTasks...)
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
	n := r.count(3) // host length, port, task count: 3 bytes at least
	info.HostTasks = make(map[HostInfo][]processor.TaskID, n)
	for range n {
		h := r.endpoint()
		ts := r.tasks()
		if r.err != nil {
			break
		}
		if _, dup := info.HostTasks[h]; dup {
			r.fail("endpoint %q listed twice", h.String())
			break
		}
		info.HostTasks[h] = ts
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
