package topology

import (
	"errors"
	"testing"

	"github.com/tributary-go/tributary/serde"
)

// The wire formats of the subscription and response topics (see dsl_join_fk.go) round-trip,
// and malformed records are reported, not panicked on.
func TestFKJoinWireFormats(t *testing.T) {
	subs := &fkSubscriptionSerde[string]{keys: serde.String, topic: "t-pk"}
	for _, in := range []fkSubscription[string]{
		{hash: [2]uint64{1, 2}, hasHash: true, instruction: fkInstrPropagateOnlyIfAny, pk: "k", partition: 3, hasPartition: true},
		{instruction: fkInstrDeleteAndPropagate, pk: ""},
	} {
		b, err := subs.Serialize("t", in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := subs.Deserialize("t", b)
		if err != nil || out != in {
			t.Errorf("subscription %+v -> %x -> %+v, %v", in, b, out, err)
		}
	}
	resps := &fkResponseSerde[string]{values: serde.String}
	for _, in := range []fkResponse[string]{
		{hash: [2]uint64{1 << 63, 7}, hasHash: true, foreign: "v", hasForeign: true, partition: 1, hasPartition: true},
		{hasForeign: true},
		{},
	} {
		b, err := resps.Serialize("t", in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := resps.Deserialize("t", b)
		if err != nil || out != in {
			t.Errorf("response %+v -> %x -> %+v, %v", in, b, out, err)
		}
	}
	for _, b := range [][]byte{nil, {0}, {1, 0, 0}, {0, 9, 0}, {0, 0, fkFlagHash, 1, 2}, {0, 0, fkFlagPartition, 1}} {
		if _, err := subs.Deserialize("t", b); !errors.Is(err, errFKWire) {
			t.Errorf("subscription %x: err %v, want errFKWire", b, err)
		}
	}
	for _, b := range [][]byte{nil, {0}, {1, 0}, {0, fkFlagHash, 1}, {0, fkFlagPartition, 1, 2}} {
		if _, err := resps.Deserialize("t", b); !errors.Is(err, errFKWire) {
			t.Errorf("response %x: err %v, want errFKWire", b, err)
		}
	}
}
