package topology

import "testing"

// Kafka Streams' Murmur3Test.testMurmur3_128 (seed 123).
func TestMurmur3Hash128(t *testing.T) {
	cases := map[string][2]int64{
		"21":                         {5857341059704281894, -5288187638297930763},
		"foobar":                     {-351361463397418609, 8959716011862540668},
		"a-little-bit-long-string":   {8836256500583638442, -198172363548498523},
		"a-little-bit-longer-string": {1838346159335108511, 8794688210320490705},
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": {-4024021876037397259, -1482317706335141238},
		"abc": {1489494923063836066, -5440978547625122829},
	}
	for in, want := range cases {
		got := murmur3Hash128Seed([]byte(in), 123)
		if int64(got[0]) != want[0] || int64(got[1]) != want[1] {
			t.Errorf("murmur3(%q) = %d, %d; want %d, %d", in, int64(got[0]), int64(got[1]), want[0], want[1])
		}
	}
}
