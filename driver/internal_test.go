package driver_test

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
)

// An internal (repartition) topic of the topology is created by the driver as
// "<application.id>-<name>", with the partition count of the sub-topology that writes to it
// and Kafka's RepartitionTopicConfig; the words flow through it and are counted. (The DSL
// declares such topics; here the word count's words topic is declared internal by hand.)
func TestInternalTopicCreated(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic(wordcount.InputTopic, 3, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic(wordcount.OutputTopic, 1, nil); err != nil {
		t.Fatal(err)
	}
	top, err := wordcount.Partitioned(kv.InMemorySupplier(wordcount.StoreName))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := engine.GraphOf(top)
	g.Internal = map[string]engine.InternalTopic{wordcount.WordsTopic: {}}

	d, err := driver.New(top, driver.ApplicationID("rep"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
		driver.CommitInterval(100*time.Millisecond), driver.Concurrency(1), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	name := "rep-" + wordcount.WordsTopic
	info := c.Kfake().TopicInfo(name)
	if info == nil {
		t.Fatalf("internal topic %s not created", name)
	}
	want := map[string]string{"cleanup.policy": "delete", "segment.bytes": "52428800", "retention.ms": "-1", "message.timestamp.type": "CreateTime"}
	for k, v := range want {
		if got := info.Configs[k]; got == nil || *got != v {
			t.Errorf("%s: %s = %v, want %s", name, k, got, v)
		}
	}
	if n := len(c.Kfake().PartitionInfos(name)); n != 3 {
		t.Errorf("%s has %d partitions, want 3 (the input's)", name, n)
	}
	truth := map[string]int64{}
	produceLines(t, c, []string{"a b", "b c", "c"}, truth)
	eventually(t, "counts through the internal topic", 30*time.Second, func() string { return diffCounts(latestOutput(t, c), truth) })
}
