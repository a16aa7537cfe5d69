package kvtest

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/store/kv"
)

// Model is the plain reference the engines are checked against: a map plus keys sorted on
// demand.
type Model struct {
	m map[string]string
}

// NewModel returns an empty reference.
func NewModel() *Model { return &Model{m: map[string]string{}} }

// Get returns the value of k.
func (r *Model) Get(k string) (string, bool) { v, ok := r.m[k]; return v, ok }

// Put writes v at k.
func (r *Model) Put(k, v string) { r.m[k] = v }

// Delete removes k and returns its old value.
func (r *Model) Delete(k string) (string, bool) {
	v, ok := r.m[k]
	delete(r.m, k)
	return v, ok
}

// Len returns the number of keys.
func (r *Model) Len() int { return len(r.m) }

// Range returns the keys in [from, to] (nil bounds open), ascending or descending.
func (r *Model) Range(from, to []byte, reverse bool) []kvb {
	keys := make([]string, 0, len(r.m))
	for k := range r.m {
		if from != nil && k < string(from) || to != nil && k > string(to) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	out := make([]kvb, len(keys))
	for i, k := range keys {
		out[i] = kvb{Key: []byte(k), Value: []byte(r.m[k])}
	}
	return out
}

// Prefix returns the keys starting with p, ascending.
func (r *Model) Prefix(p []byte) []kvb {
	var out []kvb
	for _, it := range r.Range(nil, nil, false) {
		if bytes.HasPrefix(it.Key, p) {
			out = append(out, it)
		}
	}
	return out
}

// Seed returns the seed for random tests: $TRIBUTARY_SEED if set, else def.
func Seed(t testing.TB, def uint64) uint64 {
	if s := os.Getenv("TRIBUTARY_SEED"); s != "" {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			def = v
		}
	}
	t.Logf("seed %d (set TRIBUTARY_SEED to replay)", def)
	return def
}

// RandomKey returns a short key over an alphabet chosen to exercise byte order and prefixes:
// 0x00, 0x01, 'a', 'b', 0xfe and 0xff, of length 0 to 3 (259 distinct keys).
func RandomKey(rng *rand.Rand) []byte {
	const alphabet = "\x00\x01ab\xfe\xff"
	k := make([]byte, rng.IntN(4))
	for i := range k {
		k[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return k
}

// RunModel applies ops random operations to an engine and to the reference, comparing every
// result: puts, gets, put-if-absent, deletes, write batches, ranges in both directions with
// open and closed bounds, prefix scans and entry counts (exact for non-persistent engines).
func RunModel(t *testing.T, open Opener, ops int) {
	e := openT(t, open)
	ref := NewModel()
	rng := rand.New(rand.NewPCG(Seed(t, 20261121), 1))
	bound := func() []byte {
		if rng.IntN(6) == 0 {
			return nil
		}
		return RandomKey(rng)
	}
	value := func() []byte { return []byte(strconv.Itoa(rng.IntN(1000))) }
	for i := 0; i < ops; i++ {
		k := RandomKey(rng)
		switch op := rng.IntN(100); {
		case op < 25:
			v := value()
			if err := e.Put(k, v); err != nil {
				t.Fatalf("op %d Put: %v", i, err)
			}
			ref.Put(string(k), string(v))
		case op < 40:
			v, found, err := e.Get(k)
			wv, wfound := ref.Get(string(k))
			if err != nil || found != wfound || string(v) != wv {
				t.Fatalf("op %d Get(%q) = %q, %v, %v; want %q, %v", i, k, v, found, err, wv, wfound)
			}
		case op < 50:
			v := value()
			old, found, err := e.PutIfAbsent(k, v)
			wv, wfound := ref.Get(string(k))
			if err != nil || found != wfound || string(old) != wv {
				t.Fatalf("op %d PutIfAbsent(%q) = %q, %v, %v; want %q, %v", i, k, old, found, err, wv, wfound)
			}
			if !wfound {
				ref.Put(string(k), string(v))
			}
		case op < 62:
			old, found, err := e.Delete(k)
			wv, wfound := ref.Delete(string(k))
			if err != nil || found != wfound || string(old) != wv {
				t.Fatalf("op %d Delete(%q) = %q, %v, %v; want %q, %v", i, k, old, found, err, wv, wfound)
			}
		case op < 70:
			batch := make([]kv.Entry, 1+rng.IntN(5))
			for j := range batch {
				batch[j] = kv.Entry{Key: RandomKey(rng), Value: value(), Delete: rng.IntN(3) == 0}
				if batch[j].Delete {
					ref.Delete(string(batch[j].Key))
				} else {
					ref.Put(string(batch[j].Key), string(batch[j].Value))
				}
			}
			if err := e.Write(batch); err != nil {
				t.Fatalf("op %d Write: %v", i, err)
			}
		case op < 88:
			from, to, reverse := bound(), bound(), rng.IntN(2) == 0
			got := collect(t)(e.Range(from, to, reverse))
			if want := pairs(ref.Range(from, to, reverse)); !slices.Equal(want, pairs(got)) {
				diff := cmp.Diff(want, pairs(got))
				t.Fatalf("op %d Range(%q, %q, reverse=%v) (-want +got):\n%s", i, from, to, reverse, diff)
			}
		case op < 95:
			p := RandomKey(rng)
			got := collect(t)(e.PrefixScan(p))
			if want := pairs(ref.Prefix(p)); !slices.Equal(want, pairs(got)) {
				diff := cmp.Diff(want, pairs(got))
				t.Fatalf("op %d PrefixScan(%q) (-want +got):\n%s", i, p, diff)
			}
		case op < 99:
			n, err := e.ApproximateNumEntries()
			if err != nil {
				t.Fatalf("op %d ApproximateNumEntries: %v", i, err)
			}
			if !e.Persistent() && n != int64(ref.Len()) {
				t.Fatalf("op %d ApproximateNumEntries() = %d, want %d", i, n, ref.Len())
			}
		default:
			if rng.IntN(20) == 0 {
				if err := e.Flush(); err != nil {
					t.Fatalf("op %d Flush: %v", i, err)
				}
			}
		}
	}
	got := collect(t)(e.Range(nil, nil, false))
	if diff := cmp.Diff(pairs(ref.Range(nil, nil, false)), pairs(got)); diff != "" {
		t.Fatalf("final contents (-want +got):\n%s", diff)
	}
}

// pairs turns items into printable pairs, so that nil and empty compare equal.
func pairs(items []kvb) [][2]string {
	out := make([][2]string, len(items))
	for i, it := range items {
		out[i] = [2]string{string(it.Key), string(it.Value)}
	}
	return out
}
