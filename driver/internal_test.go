package driver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/examples/wordcount"
	"github.com/tributary-go/tributary/internal/engine"
	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/store/kv"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
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

// A repartition topic read beside an external topic is sized to match it, whatever the
// partition count of the sub-topology writing it (Kafka's CopartitionedTopicsEnforcer sizes a
// join's repartition topics so); a fixed count that does not match is an error of Start
// naming both counts.
func TestRepartitionTopicCopartitioned(t *testing.T) {
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for topic, n := range map[string]int32{"wide": 4, "narrow": 2, "merged": 1} {
		if err := c.CreateTopic(topic, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	build := func(partitions int) *topology.Topology {
		sb := topology.NewStreamsBuilder()
		c := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
		rekeyed := topology.SelectKey(topology.Stream(sb, "wide", c), func(_, v string) string { return v })
		topology.Repartition(rekeyed, topology.Repartitioned[string, string]{Name: "rekeyed", Keys: serde.String, Values: serde.String, Partitions: partitions}).
			Merge(topology.Stream(sb, "narrow", c)).To("merged", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
		top, err := sb.Build()
		if err != nil {
			t.Fatal(err)
		}
		return top
	}
	d, err := driver.New(build(0), driver.ApplicationID("copart"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()),
		driver.CommitInterval(100*time.Millisecond), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := len(c.Kfake().PartitionInfos("copart-rekeyed-repartition")); n != 2 {
		t.Errorf("repartition topic has %d partitions, want 2 (the narrow topic's, which it is read beside)", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Produce(ctx, &kgo.Record{Topic: "wide", Key: []byte("k"), Value: []byte("w")}, &kgo.Record{Topic: "narrow", Key: []byte("k"), Value: []byte("n")}); err != nil {
		t.Fatal(err)
	}
	if recs, err := c.Consume(ctx, "merged", 2); err != nil || len(recs) != 2 {
		t.Fatalf("merged: %d records, %v", len(recs), err)
	}

	d2, err := driver.New(build(3), driver.ApplicationID("copart3"), driver.BootstrapServers(c.Addrs()...), driver.StateDir(t.TempDir()), driver.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	err = d2.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "has 3 partitions") || !strings.Contains(err.Error(), "of 2 partitions") {
		t.Fatalf("Start: %v, want an error naming 3 and 2 partitions", err)
	}
}
