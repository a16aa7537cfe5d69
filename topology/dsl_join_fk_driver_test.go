package topology_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The foreign-key join on the Kafka runtime across two instances: orders (keyed by order)
// joined with customers (keyed by customer) through the subscription and response topics,
// which the runtime creates and sizes like the tables' topics. Each order's last result on
// the output topic equals the truth, after customers are renamed (responses for every
// subscribed order) and orders move to another customer (unsubscribed from the old one).
// Both topics are produced with Kafka's default partitioner, which the subscription and
// response topics' partitioning assumes.
func TestDSLForeignKeyJoinOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	c := newJoinCluster(t, "fk-orders", "fk-customers", "fk-out")
	sb := topology.NewStreamsBuilder()
	orders := topology.Table(sb, "fk-orders", strs, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
	customers := topology.Table(sb, "fk-customers", strs, topology.Materialized[string, string]{StoreType: topology.StoreInMemory})
	topology.JoinOnForeignKey(orders, customers,
		func(order string) string { customer, _, _ := strings.Cut(order, "|"); return customer },
		func(order, name string) string { _, amount, _ := strings.Cut(order, "|"); return amount + "@" + name }).
		ToStream().To("fk-out", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	startJoinInstances(t, c, top, "fkjoin")

	names := map[string]string{}
	orderOf := map[string]string{}
	var recs []*kgo.Record
	customer := func(i int) string { return fmt.Sprintf("c%02d", i) }
	for i := range 40 {
		names[customer(i)] = fmt.Sprintf("name%d", i)
		recs = append(recs, &kgo.Record{Topic: "fk-customers", Key: []byte(customer(i)), Value: []byte(names[customer(i)])})
	}
	for i := range 200 {
		orderOf[joinKey(i)] = fmt.Sprintf("%s|%d", customer(i%40), i)
		recs = append(recs, &kgo.Record{Topic: "fk-orders", Key: []byte(joinKey(i)), Value: []byte(orderOf[joinKey(i)])})
	}
	produceDefault(t, c, recs)
	truth := func() map[string]string {
		want := map[string]string{}
		for k, o := range orderOf {
			cust, amount, _ := strings.Cut(o, "|")
			want[k] = amount + "@" + names[cust]
		}
		return want
	}
	waitLastValues(t, c, "fk-out", truth())

	// Rename every fourth customer; move every seventh order to customer c39.
	recs = recs[:0]
	for i := 0; i < 40; i += 4 {
		names[customer(i)] = fmt.Sprintf("renamed%d", i)
		recs = append(recs, &kgo.Record{Topic: "fk-customers", Key: []byte(customer(i)), Value: []byte(names[customer(i)])})
	}
	for i := 0; i < 200; i += 7 {
		orderOf[joinKey(i)] = fmt.Sprintf("c39|%d", i)
		recs = append(recs, &kgo.Record{Topic: "fk-orders", Key: []byte(joinKey(i)), Value: []byte(orderOf[joinKey(i)])})
	}
	produceDefault(t, c, recs)
	waitLastValues(t, c, "fk-out", truth())
}

// produceDefault produces with Kafka's default partitioner (murmur2 of the key), as the
// foreign-key join expects of the other table's topic (Kafka's TableJoined.otherPartitioner
// defaults to it).
func produceDefault(t *testing.T, c *testutil.Cluster, recs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// waitLastValues waits until the last value of each key on topic equals want.
func waitLastValues(t *testing.T, c *testutil.Cluster, topic string, want map[string]string) {
	t.Helper()
	joinEventually(t, "last values of "+topic, func() string {
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		got := map[string]string{}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			f := cl.PollFetches(ctx)
			cancel()
			n := 0
			f.EachRecord(func(r *kgo.Record) {
				n++
				if r.Value == nil {
					delete(got, string(r.Key))
				} else {
					got[string(r.Key)] = string(r.Value)
				}
			})
			if n == 0 {
				break
			}
		}
		if maps.Equal(got, want) {
			return ""
		}
		diff := 0
		for k, v := range want {
			if got[k] != v {
				diff++
			}
		}
		return fmt.Sprintf("%d of %d keys differ (%d keys read)", diff, len(want), len(got))
	})
}
