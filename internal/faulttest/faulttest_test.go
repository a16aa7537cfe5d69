package faulttest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tributary-go/tributary/internal/faulttest"
)

// TestMain runs the children's roles when the test binary is re-executed by Run.
func TestMain(m *testing.M) {
	faulttest.RoleMain()
	os.Exit(m.Run())
}

// TestFaultShort is the CI version of make fault: 100k records over 10k keys produced over
// ~15s to 3 instances, one killed with SIGKILL every ~2s and started again; under
// at-least-once no count may be missing or below the truth.
func TestFaultShort(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process fault test: skipped with -short")
	}
	res, err := faulttest.Run(context.Background(), faulttest.Config{
		Records:    100_000,
		Keys:       10_000,
		ProduceFor: 15 * time.Second,
		KillEvery:  2 * time.Second,
		Timeout:    3 * time.Minute,
		Logf:       t.Logf,
	})
	t.Log(res)
	if err != nil {
		t.Fatalf("%v (work directory kept: %s)", err, res.Dir)
	}
	if res.Kills < 3 {
		t.Errorf("only %d kills", res.Kills)
	}
}

// TestFaultExactlyOnce is TestFaultShort under exactly_once_v2: every key's count, on the
// output topic and in the store's changelog (both read with read_committed), equals the
// truth exactly, after instances are killed with SIGKILL and restarted.
//
// It is opt-in (TRIBUTARY_FAULT_EOS=1, or make fault FAULT_GUARANTEE=exactly_once_v2): its
// first runs stalled with the group's committed offsets stuck short of the input's end after
// kills (under investigation; see the issue 8 note), so it is not in CI yet.
func TestFaultExactlyOnce(t *testing.T) {
	if testing.Short() || os.Getenv("TRIBUTARY_FAULT_EOS") == "" {
		t.Skip("opt-in: TRIBUTARY_FAULT_EOS=1 (starts a broker and three application processes)")
	}
	res, err := faulttest.Run(context.Background(), faulttest.Config{
		Records:    50_000,
		Keys:       5_000,
		ProduceFor: 10 * time.Second,
		KillEvery:  2 * time.Second,
		Guarantee:  "exactly_once_v2",
		Timeout:    3 * time.Minute,
		Dir:        os.Getenv("TRIBUTARY_FAULT_WORKDIR"), // kept when set
		Logf:       t.Logf,
	})
	t.Log(res)
	if err != nil {
		t.Fatalf("%v (work directory kept: %s)", err, res.Dir)
	}
	if res.Kills < 2 {
		t.Errorf("only %d kills", res.Kills)
	}
}
