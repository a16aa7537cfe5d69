package topology_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/topology"
)

// Build rejects joins whose inputs read repartition topics of fixed, different partition
// counts. Kafka finds it at the first rebalance, in the CopartitionedTopicsEnforcer
// ("Following topics do not have the same number of partitions": CopartitionedTopicsEnforcerTest.
// shouldThrowAnExceptionIfRepartitionTopicConfigsWithEnforcedNumOfPartitionsHaveDifferentNumOfPartitions
// and shouldNotThrowAnExceptionWhenRepartitionTopicConfigsWithEnforcedNumOfPartitionsAreValid);
// here Build reports it.

func fixedRepartition(s *topology.KStream[string, string], name string, n int) *topology.KStream[string, string] {
	return topology.Repartition(s, topology.Repartitioned[string, string]{Name: name, Partitions: n})
}

func TestJoinCopartitioningStreamStream(t *testing.T) {
	joiner := func(v, o string) string { return v + o }
	w := topology.JoinWindowsOfTimeDifferenceWithNoGrace(time.Minute)
	for _, c := range []struct {
		name        string
		left, right int // 0: no Repartition
		wantErr     bool
	}{
		{"different counts", 2, 3, true},
		{"same counts", 3, 3, false},
		{"left fixed only", 2, 0, false},
		{"right fixed only", 0, 5, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sb := topology.NewStreamsBuilder()
			left := topology.Stream(sb, "left", strs)
			right := topology.Stream(sb, "right", strs)
			if c.left > 0 {
				left = fixedRepartition(left, "l", c.left)
			}
			if c.right > 0 {
				right = fixedRepartition(right, "r", c.right)
			}
			// A stateless operation between the repartition and the join does not hide it.
			right = right.FilterNot(func(_, v string) bool { return v == "" })
			topology.Join(left, right, joiner, w).To("out", topology.Produced[string, string]{Values: serde.String})
			_, err := sb.Build()
			switch {
			case c.wantErr && err == nil:
				t.Fatal("Build() succeeded, want a co-partitioning error")
			case !c.wantErr && err != nil:
				t.Fatalf("Build() = %v", err)
			case c.wantErr:
				for _, want := range []string{`"l-repartition" with 2 partitions`, `"r-repartition" with 3`, "Join", "co-partitioned"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Build() = %v, want it to contain %q", err, want)
					}
				}
			}
		})
	}
}

func TestJoinCopartitioningStreamTable(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	clicks := fixedRepartition(topology.Stream(sb, "clicks", strs), "clicks", 4)
	users := topology.ToTable(fixedRepartition(topology.Stream(sb, "users", strs), "users", 6),
		topology.Materialized[string, string]{Name: "users-store"})
	topology.LeftJoinTable(clicks, users, func(v, u string, _ bool) string { return v + u }).To("out")
	_, err := sb.Build()
	if err == nil || !strings.Contains(err.Error(), `"clicks-repartition" with 4 partitions`) || !strings.Contains(err.Error(), `"users-repartition" with 6`) {
		t.Fatalf("Build() = %v, want a co-partitioning error naming both topics", err)
	}
}

func TestJoinCopartitioningTableTable(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	a := topology.ToTable(fixedRepartition(topology.Stream(sb, "a", strs), "a", 2), topology.Materialized[string, string]{Name: "a-store"})
	b := topology.ToTable(fixedRepartition(topology.Stream(sb, "b", strs), "b", 2), topology.Materialized[string, string]{Name: "b-store"})
	c := topology.ToTable(fixedRepartition(topology.Stream(sb, "c", strs), "c", 8), topology.Materialized[string, string]{Name: "c-store"})
	concat := func(v, o string) string { return v + o }
	topology.JoinTables(a, b, concat).ToStream().To("ab")
	topology.JoinTables(a, c, concat).ToStream().To("ac")
	_, err := sb.Build()
	if err == nil || strings.Count(err.Error(), "co-partitioned") != 1 || !strings.Contains(err.Error(), `"c-repartition" with 8`) {
		t.Fatalf("Build() = %v, want one co-partitioning error (a with c)", err)
	}
}
