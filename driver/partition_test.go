package driver

import "testing"

// Golden values from Kafka's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
func TestMurmur2MatchesKafka(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	} {
		if got := int32(murmur2([]byte(c.in))); got != c.want {
			t.Errorf("murmur2(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// Kafka's BuiltInPartitioner.partitionForKey: toPositive(murmur2(key)) % numPartitions.
func TestKeyPartition(t *testing.T) {
	// murmur2("foobar") = -790332482; toPositive = -790332482 & 0x7fffffff = 1357151166.
	if got, want := keyPartition([]byte("foobar"), 8), int32(1357151166%8); got != want {
		t.Errorf("keyPartition(foobar, 8) = %d, want %d", got, want)
	}
	for p := 1; p < 50; p++ {
		if got := keyPartition([]byte("abc"), p); got < 0 || int(got) >= p {
			t.Fatalf("keyPartition(abc, %d) = %d: out of range", p, got)
		}
	}
}
