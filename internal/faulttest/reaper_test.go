package faulttest

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// deadJoiner joins group as a new member over a raw connection and closes the connection
// while its JoinGroup waits for the rebalance: a process killed in its first join. It returns
// the member id.
func deadJoiner(t *testing.T, addr, group, topic string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("dead-joiner"))
	join := func(member string, corr int32, wait bool) string {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Version = 5
		req.Group, req.MemberID, req.ProtocolType = group, member, "consumer"
		req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 2000, 10000
		meta := kmsg.NewConsumerMemberMetadata()
		meta.Topics = []string{topic}
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name, p.Metadata = "range", meta.AppendTo(nil)
		req.Protocols = append(req.Protocols, p)
		if _, err := conn.Write(f.AppendRequest(nil, req, corr)); err != nil {
			t.Fatal(err)
		}
		if !wait {
			return ""
		}
		var size [4]byte
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(conn, body); err != nil {
			t.Fatal(err)
		}
		resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.Version = req.Version
		if err := resp.ReadFrom(body[4:]); err != nil {
			t.Fatal(err)
		}
		return resp.MemberID
	}
	member := join("", 1, true) // MEMBER_ID_REQUIRED with the id
	if member == "" {
		t.Fatal("no member id")
	}
	join(member, 2, false) // waits for the live member to rejoin: killed meanwhile
	time.Sleep(300 * time.Millisecond)
	return member
}

// deadJoinerGroup runs a live member and a dead joiner against a kfake cluster, with or
// without the session reaper, and returns the group once the rebalance is long over.
func deadJoinerGroup(t *testing.T, reaper bool, revoke time.Duration) (*kfake.GroupInfo, string) {
	const group, topic = "g", "t"
	kf, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if reaper {
		if err := startSessionReaper(ctx, kf, kf.ListenAddrs(), os.Stderr); err != nil {
			t.Fatal(err)
		}
	}
	live, err := kgo.NewClient(kgo.SeedBrokers(kf.ListenAddrs()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.Balancers(kgo.RangeBalancer()), kgo.SessionTimeout(2*time.Second), kgo.HeartbeatInterval(300*time.Millisecond),
		kgo.RebalanceTimeout(10*time.Second),
		// The live member takes a while to rejoin, so that the dead joiner waits in JoinGroup.
		kgo.OnPartitionsRevoked(func(context.Context, *kgo.Client, map[string][]int32) { time.Sleep(revoke) }))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	go func() {
		for ctx.Err() == nil {
			live.PollFetches(ctx)
		}
	}()
	if _, err := kf.WaitGroupStable(ctx, group, 1); err != nil {
		t.Fatal(err)
	}
	dead := deadJoiner(t, kf.ListenAddrs()[0], group, topic)
	time.Sleep(revoke + 2*time.Second + 2*time.Second + 2*reaperMargin) // rebalance, session timeout, reaper
	return kf.GroupInfo(group), dead
}

// TestSessionReaperRemovesDeadJoiner shows the kfake behaviour the session reaper works around
// (a member whose connection died while it waited in JoinGroup stays in the group with its
// partitions, past its session timeout) and that the reaper removes it as a Kafka broker
// would.
func TestSessionReaperRemovesDeadJoiner(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for session timeouts")
	}
	hasDead := func(g *kfake.GroupInfo, dead string) (bool, int) {
		for _, m := range g.Members {
			if m.MemberID == dead {
				return true, m.NumAssigned()
			}
		}
		return false, 0
	}
	g, dead := deadJoinerGroup(t, false, time.Second)
	if in, n := hasDead(g, dead); in {
		t.Logf("without the reaper, kfake keeps the dead joiner %s (state %s, %d partitions assigned to it) past its session timeout", dead, g.State, n)
	} else {
		t.Logf("without the reaper, kfake removed the dead joiner (fixed upstream?)")
	}
	// The live member rejoins after 1s (the dead joiner is removed once the group is Stable)
	// or after 5s (it is removed while the group waits in PreparingRebalance).
	for _, revoke := range []time.Duration{time.Second, 5 * time.Second} {
		g, dead = deadJoinerGroup(t, true, revoke)
		if in, n := hasDead(g, dead); in || g.State != "Stable" || g.NumAssigned() != 2 {
			t.Fatalf("with the reaper (rejoin after %v): dead joiner still a member: %v (%d partitions); state %s, %d partitions assigned", revoke, in, n, g.State, g.NumAssigned())
		}
	}
}
