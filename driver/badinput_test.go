package driver_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-go/tributary/driver"
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/testutil"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Bad input at scale: 60,000 records over 4 partitions of "numbers", of which 10,000 are
// garbage (3 bytes, which serde.Int64 rejects) mixed in among 50,000 good ones (value 1),
// summed per key by sumTopology (so each key's sum is its count of good records).
const (
	biPartitions = 4
	biTotal      = 60000
	biGarbage    = 10000
	biKeys       = 100
)

// biPos is where a record sits in the input.
type biPos struct {
	partition int32
	offset    int64
}

// biInput is the input's layout: the good count per key, every garbage record's position
// and, per partition, the offset of its first garbage record.
type biInput struct {
	good         map[string]int64
	garbage      map[biPos]bool
	firstGarbage [biPartitions]int64
}

// biCluster starts a broker with "numbers", "sums" and "dlq" (4 partitions each) and writes
// the input. Record i goes to partition i%4 at offset i/4; on each partition every 6th
// offset (offset%6 == 5) holds garbage, so each partition holds 2,500 garbage records, the
// first of them at offset 5 (after five good ones).
func biCluster(t *testing.T) (*testutil.Cluster, biInput) {
	t.Helper()
	c, err := testutil.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, topic := range []string{"numbers", "sums", "dlq"} {
		if err := c.CreateTopic(topic, biPartitions, nil); err != nil {
			t.Fatal(err)
		}
	}
	in := biInput{good: map[string]int64{}, garbage: map[biPos]bool{}}
	for p := range in.firstGarbage {
		in.firstGarbage[p] = -1
	}
	one := binary.BigEndian.AppendUint64(nil, 1)
	recs := make([]*kgo.Record, 0, biTotal)
	for i := range biTotal {
		p, off := int32(i%biPartitions), int64(i/biPartitions)
		k := fmt.Sprintf("k%03d", (i*7)%biKeys)
		r := &kgo.Record{Topic: "numbers", Key: []byte(k), Partition: p}
		if off%6 == 5 {
			r.Value = []byte{0xde, 0xad, byte(i)}
			in.garbage[biPos{p, off}] = true
			if in.firstGarbage[p] < 0 {
				in.firstGarbage[p] = off
			}
		} else {
			r.Value = one
			in.good[k]++
		}
		recs = append(recs, r)
	}
	if len(in.garbage) != biGarbage {
		t.Fatalf("layout: %d garbage records, want %d", len(in.garbage), biGarbage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	return c, in
}

// biWaitCounted waits until the store holds exactly the good counts and the driver counts
// every garbage record as dropped.
func biWaitCounted(t *testing.T, d *driver.Driver, in biInput) {
	t.Helper()
	eventually(t, "counts", 20*time.Second, func() string {
		if err := d.Err(); err != nil {
			t.Fatalf("driver failed: %v", err)
		}
		return diffCounts(sums(t, d), in.good)
	})
	eventually(t, "dropped", 10*time.Second, func() string {
		if n := d.DroppedRecords(); n != biGarbage {
			return fmt.Sprintf("dropped %d, want %d", n, biGarbage)
		}
		return ""
	})
}

func TestBadInputAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("bad input at scale: skipped in -short")
	}
	quiet := driver.Logger(discardLogger())

	// LogAndContinue: each good record is counted once (one instance, no rebalance, so even
	// at_least_once does not reprocess) and each garbage record is dropped and counted.
	for _, g := range []driver.ProcessingGuarantee{driver.AtLeastOnce, driver.ExactlyOnceV2} {
		t.Run("LogAndContinue/"+g.String(), func(t *testing.T) {
			c, in := biCluster(t)
			d := startSum(t, c, quiet, driver.Guarantee(g),
				driver.DeserializationHandler(processor.LogAndContinue))
			biWaitCounted(t, d, in)
			if got := biSumsOutput(t, c, g == driver.ExactlyOnceV2); diffCounts(got, in.good) != "" {
				t.Errorf("sums topic: %s", diffCounts(got, in.good))
			}
		})
	}

	// A dead-letter topic: every garbage record arrives there once, unchanged, with KIP-1034
	// headers naming its topic, partition and offset; the good records are counted.
	t.Run("DeadLetterTopic", func(t *testing.T) {
		c, in := biCluster(t)
		d := startSum(t, c, quiet, driver.DeserializationHandler(processor.LogAndContinue), driver.DeadLetterTopic("dlq"))
		biWaitCounted(t, d, in)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		dead, err := c.Consume(ctx, "dlq", biGarbage)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[biPos]bool{}
		bad := 0
		for _, r := range dead {
			h := map[string]string{}
			for _, hd := range r.Headers {
				h[hd.Key] = string(hd.Value)
			}
			p, perr := strconv.ParseInt(h[driver.HeaderErrorPartition], 10, 32)
			off, oerr := strconv.ParseInt(h[driver.HeaderErrorOffset], 10, 64)
			pos := biPos{int32(p), off}
			if perr != nil || oerr != nil || h[driver.HeaderErrorTopic] != "numbers" || !in.garbage[pos] || seen[pos] ||
				len(r.Value) != 3 || r.Value[0] != 0xde || h[driver.HeaderErrorException] == "" ||
				!strings.Contains(h[driver.HeaderErrorMessage], "Int64") {
				if bad++; bad <= 5 {
					t.Errorf("dead letter %x headers %v: want a garbage record, unchanged, once, with headers naming numbers, its partition and offset", r.Value, h)
				}
			}
			seen[pos] = true
		}
		if len(seen) != biGarbage {
			t.Errorf("%d distinct garbage records in the dead-letter topic, want %d", len(seen), biGarbage)
		}
		// Nothing more than the garbage records.
		if n := countRecords(t, c, "dlq"); n != biGarbage {
			t.Errorf("dead-letter topic holds %d records, want %d", n, biGarbage)
		}
	})

	// LogAndFail (the default): the driver stops in ERROR with an error naming the topic,
	// partition and offset of a partition's first garbage record, and no partition's
	// committed offset goes past its first garbage record.
	t.Run("LogAndFail", func(t *testing.T) {
		c, in := biCluster(t)
		d := startSum(t, c, quiet)
		select {
		case <-d.Done():
		case <-time.After(20 * time.Second):
			t.Fatal("driver did not stop on garbage")
		}
		if d.State() != driver.Error {
			t.Errorf("state %s, want ERROR", d.State())
		}
		err := d.Err()
		var de *processor.DeserializationError
		if !errors.As(err, &de) {
			t.Fatalf("Err() = %v, want a DeserializationError", err)
		}
		if de.Topic != "numbers" || de.Partition < 0 || de.Partition >= biPartitions || de.Offset != in.firstGarbage[de.Partition] {
			t.Errorf("error at %s-%d offset %d, want numbers at the first garbage record of a partition %v", de.Topic, de.Partition, de.Offset, in.firstGarbage)
		}
		want := fmt.Sprintf("numbers-%d", de.Partition)
		if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, strconv.FormatInt(de.Offset, 10)) || !strings.Contains(msg, "offset") {
			t.Errorf("error text %q does not name %s and offset %d", msg, want, de.Offset)
		}
		adm, aerr := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...))
		if aerr != nil {
			t.Fatal(aerr)
		}
		defer adm.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		offs, ferr := kadm.NewClient(adm).FetchOffsets(ctx, "sum")
		if ferr != nil {
			t.Fatal(ferr)
		}
		for p := range int32(biPartitions) {
			o, ok := offs.Lookup("numbers", p)
			if !ok {
				continue // nothing committed
			}
			if o.Err != nil {
				t.Errorf("committed offset of numbers-%d: %v", p, o.Err)
				continue
			}
			if o.At > in.firstGarbage[p] {
				t.Errorf("numbers-%d committed at %d, past its first garbage record at %d", p, o.At, in.firstGarbage[p])
			}
		}
	})
}

// biSumsOutput reads the sums topic from the start (read_committed if committed) and
// returns the last sum per key.
func biSumsOutput(t *testing.T, c *testutil.Cluster, committed bool) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, r := range readTopic(t, c, "sums", committed) {
		got[string(r.Key)] = int64(binary.BigEndian.Uint64(r.Value))
	}
	return got
}
