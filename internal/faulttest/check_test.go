package faulttest

import (
	"strings"
	"testing"
)

// TestCheck: the comparison with the truth catches a missing key, a count below the truth,
// an unknown key, and (only under exactly-once) a count above it.
func TestCheck(t *testing.T) {
	truth := map[string]int64{"a": 2, "b": 3}
	for _, c := range []struct {
		name, guarantee string
		got             map[string]int64
		wantErr         string // "" for none
	}{
		{"equal", "at_least_once", map[string]int64{"a": 2, "b": 3}, ""},
		{"duplicates allowed", "at_least_once", map[string]int64{"a": 4, "b": 3}, ""},
		{"missing", "at_least_once", map[string]int64{"a": 2}, "1 keys missing [b]"},
		{"below", "at_least_once", map[string]int64{"a": 1, "b": 3}, "1 wrong counts [a=1<2]"},
		{"unknown", "at_least_once", map[string]int64{"a": 2, "b": 3, "c": 1}, "1 unknown keys [c]"},
		{"exactly once: above", "exactly_once_v2", map[string]int64{"a": 3, "b": 3}, "1 wrong counts [a=3>2]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res Result
			err := check(&res, truth, c.guarantee, map[string]map[string]int64{"output topic": c.got})
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatal(err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
	var res Result
	if err := check(&res, truth, "at_least_once", map[string]map[string]int64{"output topic": {"a": 4, "b": 3}}); err != nil {
		t.Fatal(err)
	}
	if res.OverCounted != 1 || res.Excess != 2 || res.Compared != 2 {
		t.Errorf("OverCounted %d, Excess %d, Compared %d; want 1, 2, 2", res.OverCounted, res.Excess, res.Compared)
	}
}
