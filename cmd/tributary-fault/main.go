// Command tributary-fault is the full multi-process fault test of the Kafka runtime (make
// fault): a kfake broker in its own process (data in a directory), three instances of a
// count-by-key application with RocksDB stores in their own processes, 1M input records over
// 10k keys produced while a random instance is killed with SIGKILL every few seconds and
// started again, and at the end every key's count compared with the truth (see package
// internal/faulttest). It prints the kills survived and the counts compared, and exits 1
// when a count is missing or wrong for the guarantee.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tributary-go/tributary/internal/faulttest"
)

func main() {
	faulttest.RoleMain() // the children are this binary, re-executed
	cfg := faulttest.Config{}
	flag.IntVar(&cfg.Records, "records", 1_000_000, "input records")
	flag.IntVar(&cfg.Keys, "keys", 10_000, "distinct keys")
	flag.IntVar(&cfg.Instances, "instances", 3, "application processes")
	partitions := flag.Int("partitions", 6, "partitions of the input and output topics")
	flag.DurationVar(&cfg.ProduceFor, "produce-for", time.Minute, "spread the input's production over this long")
	flag.DurationVar(&cfg.KillEvery, "kill-every", 3*time.Second, "time between two kills")
	flag.IntVar(&cfg.KillsAfter, "kills-after", 2, "kills after the input is produced")
	flag.StringVar(&cfg.Guarantee, "guarantee", "at_least_once", "processing.guarantee: at_least_once or exactly_once_v2")
	flag.IntVar(&cfg.Standbys, "standbys", 0, "num.standby.replicas of the instances")
	flag.Int64Var(&cfg.AcceptableLag, "acceptable-lag", 0, "acceptable.recovery.lag of the instances (0: the default, 10000)")
	flag.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "bound on the whole run")
	flag.StringVar(&cfg.Dir, "dir", "", "work directory, kept (default: a temporary directory, removed unless the run fails)")
	flag.Parse()
	cfg.Partitions = int32(*partitions)
	cfg.Logf = func(format string, args ...any) {
		fmt.Printf("%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
	}
	res, err := faulttest.Run(context.Background(), cfg)
	fmt.Println(res)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tributary-fault: FAILED: %v\n(work directory: %s)\n", err, res.Dir)
		os.Exit(1)
	}
	if cfg.Guarantee == "exactly_once_v2" {
		fmt.Println("PASS: every count equals the truth")
		return
	}
	fmt.Println("PASS: no key missing, no count below the truth")
}
