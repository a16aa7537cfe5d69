package faulttest

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// sessionReaper makes the harness's kfake broker expire the sessions of classic group members
// that died while waiting in JoinGroup, as a Kafka broker does.
//
// kfake (as of the version in go.mod) keeps such a member forever: a new member has no session
// timer while it waits in JoinGroup (its pending-member timer is stopped when it joins), the
// join response to its dead connection fails, and kfake only starts a member's session timer
// once a response reaches it; the pending-sync timer that would remove it is cancelled as soon
// as the leader's SyncGroup makes the group Stable. The leader has meanwhile assigned the dead
// member its share of the partitions, which nobody consumes until another membership change
// triggers a rebalance: with a SIGKILL landing on an instance restarted a moment before, the
// group's committed offsets stop short of the input's end. A Kafka broker
// (GroupCoordinator.completeAndScheduleNextHeartbeatExpiration on every member when the join
// completes, and pending-sync expiry in the Stable state too) removes the member after its
// session timeout.
//
// Such members also stall rebalances: kfake restarts a rebalance's deadline (the rebalance
// timeout) on every join, so while instances keep restarting more often than that, a
// rebalance waiting for a dead member that never rejoins does not complete.
//
// The reaper watches the group requests that carry a member id (JoinGroup, SyncGroup,
// Heartbeat, OffsetCommit, TxnOffsetCommit) and sends a LeaveGroup for any member not heard
// from for longer than its session timeout (plus a margin) while its group is Stable (live
// members of a Stable group heartbeat well within their session timeout, so this is the
// broker's session expiry), or, in any state, when moreover the connection it joined on is
// closed (read from /proc/net/tcp on Linux): a live member waiting in JoinGroup, however
// long, has its request pending on an open connection, so it is never removed.
type sessionReaper struct {
	kf         *kfake.Cluster
	log        io.Writer
	listenPort string // the cluster's port, as /proc/net/tcp writes it

	mu      sync.Mutex
	groups  map[string]struct{}
	seen    map[string]time.Time     // member id -> last request
	session map[string]time.Duration // member id -> session timeout
}

// reaperMargin is added to a member's session timeout before the reaper removes it.
const reaperMargin = time.Second

// startSessionReaper installs the reaper on kf and runs it until ctx ends; addr is the
// cluster's address, for the reaper's own client.
func startSessionReaper(ctx context.Context, kf *kfake.Cluster, addr []string, log io.Writer) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr...))
	if err != nil {
		return err
	}
	r := &sessionReaper{kf: kf, log: log, groups: map[string]struct{}{}, seen: map[string]time.Time{}, session: map[string]time.Duration{}}
	if len(addr) > 0 {
		r.listenPort = procPort(addr[0])
	}
	kf.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		r.observe(req)
		return nil, nil, false // observe only: the cluster handles every request
	})
	go func() {
		defer cl.Close()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.reap(ctx, cl)
			}
		}
	}()
	return nil
}

// observe notes the member a group request comes from.
func (r *sessionReaper) observe(req kmsg.Request) {
	var group, member string
	var session time.Duration
	switch q := req.(type) {
	case *kmsg.JoinGroupRequest:
		group, member, session = q.Group, q.MemberID, time.Duration(q.SessionTimeoutMillis)*time.Millisecond
	case *kmsg.SyncGroupRequest:
		group, member = q.Group, q.MemberID
	case *kmsg.HeartbeatRequest:
		group, member = q.Group, q.MemberID
	case *kmsg.OffsetCommitRequest:
		group, member = q.Group, q.MemberID
	case *kmsg.TxnOffsetCommitRequest:
		group, member = q.Group, q.MemberID
	default:
		return
	}
	if member == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.groups[group] = struct{}{}
	r.seen[member] = time.Now()
	if session > 0 {
		r.session[member] = session
	}
}

// reap removes the members of Stable groups whose session expired.
func (r *sessionReaper) reap(ctx context.Context, cl *kgo.Client) {
	r.mu.Lock()
	groups := make([]string, 0, len(r.groups))
	for g := range r.groups {
		groups = append(groups, g)
	}
	r.mu.Unlock()
	for _, group := range groups {
		gi := r.kf.GroupInfo(group)
		if gi == nil {
			continue
		}
		stable := gi.State == "Stable"
		var open map[string]bool // remote ports of the cluster's established connections
		if !stable {
			if open = r.openConns(); open == nil {
				continue
			}
		}
		now := time.Now()
		var expired []kmsg.LeaveGroupRequestMember
		r.mu.Lock()
		for _, m := range gi.Members {
			last, ok := r.seen[m.MemberID]
			session, sok := r.session[m.MemberID]
			if !ok || !sok || now.Sub(last) <= session+reaperMargin {
				continue
			}
			if !stable && open[procPort(m.ClientHost)] {
				continue
			}
			fmt.Fprintf(r.log, "faulttest kfake: session reaper: removing member %s of group %s (%s; client %s at %s, %d partitions assigned): nothing heard for %v, session timeout %v\n",
				m.MemberID, group, gi.State, m.ClientID, m.ClientHost, m.NumAssigned(), now.Sub(last).Round(time.Millisecond), session)
			lm := kmsg.NewLeaveGroupRequestMember()
			lm.MemberID = m.MemberID
			lm.Reason = kmsg.StringPtr("session timeout (faulttest session reaper)")
			expired = append(expired, lm)
			delete(r.seen, m.MemberID)
			delete(r.session, m.MemberID)
		}
		r.mu.Unlock()
		if len(expired) == 0 {
			continue
		}
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Group, req.Members = group, expired
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if _, err := req.RequestWith(rctx, cl); err != nil {
			fmt.Fprintf(r.log, "faulttest kfake: session reaper: LeaveGroup: %v\n", err)
		}
		cancel()
	}
}

// procPort returns the port of a host:port address in /proc/net/tcp's form (four upper-case
// hex digits), or "" if addr has none.
func procPort(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%04X", n)
}

// openConns returns the remote ports of the established TCP connections to the cluster's
// port, from /proc/net/tcp and /proc/net/tcp6 (the harness's clients and broker share the
// loopback interface), or nil when they cannot be read (not Linux).
func (r *sessionReaper) openConns() map[string]bool {
	if r.listenPort == "" {
		return nil
	}
	var open map[string]bool
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if open == nil {
			open = map[string]bool{}
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "01" { // 01: ESTABLISHED
				continue
			}
			_, local, _ := strings.Cut(fields[1], ":")
			_, remote, _ := strings.Cut(fields[2], ":")
			if local == r.listenPort {
				open[remote] = true
			}
		}
	}
	return open
}
