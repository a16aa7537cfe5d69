package topology

import (
	"strconv"

	"github.com/tributary-go/tributary/processor"
)

// Branched configures one branch of Split (Kafka's Branched): its name, and what to do with
// the branch's stream.
type Branched[K, V any] struct {
	// Name is the branch's name, appended to the splitter's name to name the branch node and
	// its entry in the map of branches; default: the branch's position (1, 2, … in the order
	// of Branch calls; 0 for the default branch).
	Name string
	// Chain, if set, is applied to the branch's stream; what it returns goes in the map of
	// branches, unless nil (Kafka's Branched.withFunction).
	Chain func(*KStream[K, V]) *KStream[K, V]
	// Consume, if set (and Chain is not), receives the branch's stream, which then stays
	// out of the map of branches (Kafka's Branched.withConsumer).
	Consume func(*KStream[K, V])
}

// BranchedKStream adds branches to a Split (Kafka's BranchedKStream). Each record goes to the
// first branch whose predicate it satisfies, else to the default branch if there is one, else
// nowhere.
type BranchedKStream[K, V any] struct {
	s        *KStream[K, V]
	splitter string
	preds    []func(K, V) bool
	children []string
	branches map[string]*KStream[K, V]
	done     bool
}

// Split splits the stream into branches by predicates (Kafka's KStream.split; node
// KSTREAM-BRANCH-%010d, or the Named). Add branches with Branch, then end with DefaultBranch
// or NoDefaultBranch.
func (s *KStream[K, V]) Split(named ...Named) *BranchedKStream[K, V] {
	bs := &BranchedKStream[K, V]{s: s, splitter: s.sb.nameOr("Split", named, branchPrefix), branches: map[string]*KStream[K, V]{}}
	AddProcessor(s.sb.b, bs.splitter, func() processor.Processor[K, V, K, V] {
		// Branches are added after the splitter, before Build; a task creates its
		// processors after Build, so the lists are complete here.
		return &splitProc[K, V]{preds: bs.preds, children: bs.children}
	}, s.name)
	return bs
}

// Branch adds a branch taking the records that satisfy pred and no earlier branch's
// predicate (Kafka's BranchedKStream.branch). Its node is the splitter's name followed by
// the branch's name or position; creating it advances the name counter, as in Kafka.
func (bs *BranchedKStream[K, V]) Branch(pred func(key K, value V) bool, b ...Branched[K, V]) *BranchedKStream[K, V] {
	if pred == nil {
		bs.s.sb.b.fail("Branch of %q: nil predicate", bs.splitter)
		return bs
	}
	if bs.done {
		bs.s.sb.b.fail("Branch of %q: added after DefaultBranch or NoDefaultBranch", bs.splitter)
		return bs
	}
	bs.preds = append(bs.preds, pred)
	bs.branch(len(bs.preds), b)
	return bs
}

// DefaultBranch adds the branch taking the records no predicate took, and returns the
// branches by name (Kafka's BranchedKStream.defaultBranch): the branch nodes' names, for the
// branches without a Consume or with a Chain returning a stream.
func (bs *BranchedKStream[K, V]) DefaultBranch(b ...Branched[K, V]) map[string]*KStream[K, V] {
	if bs.done {
		bs.s.sb.b.fail("DefaultBranch of %q: called after DefaultBranch or NoDefaultBranch", bs.splitter)
		return bs.branches
	}
	bs.branch(0, b)
	bs.done = true
	return bs.branches
}

// NoDefaultBranch returns the branches by name, as DefaultBranch, and drops the records no
// predicate took (Kafka's BranchedKStream.noDefaultBranch).
func (bs *BranchedKStream[K, V]) NoDefaultBranch() map[string]*KStream[K, V] {
	bs.done = true
	return bs.branches
}

func (bs *BranchedKStream[K, V]) branch(index int, b []Branched[K, V]) {
	var cfg Branched[K, V]
	if len(b) > 1 {
		bs.s.sb.b.fail("Branch of %q: more than one Branched", bs.splitter)
	}
	if len(b) > 0 {
		cfg = b[0]
	}
	name := bs.splitter + strconv.Itoa(index)
	if cfg.Name != "" {
		name = bs.splitter + cfg.Name
	}
	bs.children = append(bs.children, name)
	bs.s.sb.newName(name) // Kafka burns an index for each branch (newProcessorName(branchChildName))
	AddProcessor(bs.s.sb.b, name, passThrough[K, V](), bs.splitter)
	branch := bs.s.child(name)
	switch {
	case cfg.Chain != nil:
		if out := cfg.Chain(branch); out != nil {
			bs.branches[name] = out
		}
	case cfg.Consume != nil:
		cfg.Consume(branch)
	default:
		bs.branches[name] = branch
	}
}

type splitProc[K, V any] struct {
	ctx      processor.Context[K, V]
	preds    []func(K, V) bool
	children []string // one per predicate, then the default branch's if any
}

func (p *splitProc[K, V]) Init(ctx processor.Context[K, V]) error { p.ctx = ctx; return nil }
func (p *splitProc[K, V]) Close() error                           { return nil }
func (p *splitProc[K, V]) Process(r processor.Record[K, V]) error {
	for i, pred := range p.preds {
		if pred(r.Key(), r.Value()) {
			return p.ctx.ForwardTo(p.children[i], r)
		}
	}
	if len(p.children) > len(p.preds) {
		return p.ctx.ForwardTo(p.children[len(p.preds)], r)
	}
	return nil
}
