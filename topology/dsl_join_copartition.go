package topology

import (
	"slices"

	"github.com/tributary-go/tributary/internal/engine"
)

// joinInputs are the two inputs of a join, by their node names, for the co-partitioning check
// of Build.
type joinInputs struct {
	op, name    string // the operation and the join's (merge or join) node
	left, right string // the nodes whose records the join's two sides read
}

// recordJoin notes a join of the nodes left and right for checkJoinCopartitioning.
func (sb *StreamsBuilder) recordJoin(op, name, left, right string) {
	sb.joins = append(sb.joins, joinInputs{op: op, name: name, left: left, right: right})
}

// fixedPartitionTopics returns the topics with a fixed partition count (repartition topics
// declared with Repartitioned.Partitions) that the sources upstream of node read, with their
// counts, in the order found.
func (sb *StreamsBuilder) fixedPartitionTopics(node string) (topics []string, counts []int) {
	seen := map[string]bool{}
	stack := []string{node}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		s, ok := sb.b.byName[n]
		if !ok {
			continue
		}
		if s.Kind == engine.Source {
			for _, topic := range s.Topics {
				if it, ok := sb.b.internal[topic]; ok && it.Partitions > 0 && !slices.Contains(topics, topic) {
					topics, counts = append(topics, topic), append(counts, it.Partitions)
				}
			}
			continue
		}
		for _, p := range slices.Backward(s.Parents) {
			stack = append(stack, p)
		}
	}
	return topics, counts
}

// checkJoinCopartitioning records a Build error for each join whose two inputs read
// repartition topics of fixed, different partition counts: the inputs of a join must be
// co-partitioned. Kafka Streams finds this at the first rebalance (CopartitionedTopicsEnforcer:
// "Following topics do not have the same number of partitions"); it is known at Build here.
// Inputs whose partition counts are only known at run time (source topics, repartition
// topics sized by the runtime) are not checked.
func (sb *StreamsBuilder) checkJoinCopartitioning() {
	for _, j := range sb.joins {
		lt, lc := sb.fixedPartitionTopics(j.left)
		rt, rc := sb.fixedPartitionTopics(j.right)
		if len(lt) == 0 || len(rt) == 0 {
			continue
		}
		if l, r := lc[0], rc[0]; l != r {
			sb.b.fail("%s %q: the inputs are not co-partitioned: the left input reads the repartition topic %q with %d partitions, the right input %q with %d (Repartitioned.Partitions); a join needs the same partition count on both sides",
				j.op, j.name, lt[0], l, rt[0], r)
		}
	}
}
