package kv_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/tributary-go/tributary/store/kv"
)

// splitKeys cuts fuzz input into keys at each 0x2c (',') byte.
func splitKeys(data []byte) [][]byte { return bytes.Split(data, []byte(",")) }

// FuzzKeyOrder checks that engines order arbitrary keys by bytes.Compare and that inclusive
// ranges and prefix scans select exactly the keys a filter over the sorted keys selects.
func FuzzKeyOrder(f *testing.F) {
	f.Add([]byte("b,a,c"), []byte("a"), []byte("b"))
	f.Add([]byte("a\x00,a,\xff,\x00,ab,a\xff"), []byte("a"), []byte("a\xff"))
	f.Add([]byte(",\xff\xff,\xff,\x00\x00"), []byte(""), []byte("\xff"))
	f.Add([]byte("k1,k10,k2,k20,k3"), []byte("k10"), []byte("k2"))
	f.Fuzz(func(t *testing.T, data, from, to []byte) {
		for _, open := range []func() kv.Engine{
			func() kv.Engine { return kv.NewMemory("fuzz") },
			func() kv.Engine { e, _ := kv.NewLRU("fuzz", 1<<16); return e },
		} {
			e := open()
			keys := splitKeys(data)
			for _, k := range keys {
				if err := e.Put(k, k); err != nil {
					t.Fatal(err)
				}
			}
			slices.SortFunc(keys, bytes.Compare)
			keys = slices.CompactFunc(keys, bytes.Equal)
			check := func(what string, c kv.Bytes, err error, want [][]byte) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				var got [][]byte
				for c.Next() {
					if !bytes.Equal(c.Key(), c.Value()) {
						t.Fatalf("%s: value %q under key %q", what, c.Value(), c.Key())
					}
					got = append(got, bytes.Clone(c.Key()))
				}
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(got, want, bytes.Equal) {
					t.Fatalf("%s = %q, want %q", what, got, want)
				}
			}
			c, err := e.Range(nil, nil, false)
			check("All", c, err, keys)
			var in, pre [][]byte
			for _, k := range keys {
				if bytes.Compare(k, from) >= 0 && bytes.Compare(k, to) <= 0 {
					in = append(in, k)
				}
				if bytes.HasPrefix(k, from) {
					pre = append(pre, k)
				}
			}
			c, err = e.Range(from, to, false)
			check("Range", c, err, in)
			slices.Reverse(in)
			c, err = e.Range(from, to, true)
			check("ReverseRange", c, err, in)
			c, err = e.PrefixScan(from)
			check("PrefixScan", c, err, pre)
			_ = e.Close()
		}
	})
}

func FuzzPrefixEnd(f *testing.F) {
	f.Add([]byte("ab"))
	f.Add([]byte("a\xff"))
	f.Add([]byte("\xff\xff"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, p []byte) {
		end := kv.PrefixEnd(p)
		if end == nil {
			for _, c := range p {
				if c != 0xff {
					t.Fatalf("PrefixEnd(%q) = nil, but the prefix is not all 0xff", p)
				}
			}
			return
		}
		if bytes.Compare(end, p) <= 0 || bytes.HasPrefix(end, p) {
			t.Fatalf("PrefixEnd(%q) = %q: not above every key with the prefix", p, end)
		}
		// Every key with the prefix sorts below end; p's successor in its own length is end.
		for _, suffix := range [][]byte{nil, {0}, {0xff, 0xff, 0xff}} {
			if k := append(bytes.Clone(p), suffix...); bytes.Compare(k, end) >= 0 {
				t.Fatalf("key %q with prefix %q is not below PrefixEnd %q", k, p, end)
			}
		}
	})
}
