package topology

import (
	"fmt"

	"github.com/tributary-go/tributary/processor"
)

// Test hooks for the external tests of sendOldValues (dsl_change_test.go), which need the
// TopologyTestDriver of package testutil, itself importing this package: Kafka's tests call
// KTableImpl.enableSendingOldValues and sendingOldValueEnabled, and attach a
// MockApiProcessor to a table's node (Topology.addProcessor(..., table.name)).

// EnableSendingOldValuesForTest is t.enableSendingOldValues(force).
func EnableSendingOldValuesForTest[K, V any](t *KTable[K, V], force bool) bool {
	return t.enableSendingOldValues(force)
}

// SendingOldValueEnabledForTest is Kafka's KTableImpl.sendingOldValueEnabled.
func SendingOldValueEnabledForTest[K, V any](t *KTable[K, V]) bool { return t.st.sendOldValues }

// CaptureChangesForTest attaches a processor named name to t's node that appends each
// Change it receives to *out as "key:Change(new,old)@ts", "null" for an absent value
// (Kafka's MockApiProcessor with KeyValueTimestamp and Change.toString's shape).
func CaptureChangesForTest[K, V any](t *KTable[K, V], name string, out *[]string) {
	AddProcessor(t.sb.b, name, processor.Func(func(_ processor.Context[struct{}, struct{}], r processor.Record[K, Change[V]]) error {
		c := r.Value()
		nv, ov := "null", "null"
		if c.HasNew {
			nv = fmt.Sprint(c.New)
		}
		if c.HasOld {
			ov = fmt.Sprint(c.Old)
		}
		*out = append(*out, fmt.Sprintf("%v:Change(%s,%s)@%d", r.Key(), nv, ov, r.Timestamp()))
		return nil
	}), t.Name())
}
