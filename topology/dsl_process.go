package topology

import (
	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/store"
)

// This file holds the DSL's bridge to the Processor API (Kafka Streams'
// StreamsBuilder.addStateStore, KStream.process and KStream.processValues): a processor of
// the user's, with the stores it names, becomes a node of a DSL program.

// The name prefixes of Kafka Streams' KStreamImpl.process and processValues.
const (
	processorPrefix     = "KSTREAM-PROCESSOR-"
	processValuesPrefix = "KSTREAM-PROCESSVALUES-"
)

// AddStateStore adds a store, built per task by b, that Process and ProcessValues can then
// connect to their processor by naming it in Processed.Stores (Kafka's
// StreamsBuilder.addStateStore). Add the store before the Process call that names it (Kafka
// connects stores when the topology is built, so it accepts them in either order); a store
// that no processor names is an error of Build. A nil b or a store name added twice is an
// error of Build.
func (sb *StreamsBuilder) AddStateStore(b store.Builder) {
	sb.b.AddStateStore(b)
}

// Processed configures Process and ProcessValues: the node's name and the stores its
// processor uses (Kafka's Named and stateStoreNames arguments of KStream.process).
type Processed struct {
	// Name names the node; default "KSTREAM-PROCESSOR-%010d" (Process) or
	// "KSTREAM-PROCESSVALUES-%010d" (ProcessValues). As in Kafka, a given name does not
	// advance the name counter (process(supplier, Named, ...) generates no name).
	Name string
	// Stores are the names of the stores the processor reads and writes; each must have been
	// added with StreamsBuilder.AddStateStore. The processor gets them from its context
	// (processor.KeyValueStore and the like). Global stores need not be named.
	Stores []string
}

// Process runs the processor supplier returns (one per task) on each record of the stream,
// and returns the stream of the records it forwards (Kafka's KStream.process; node
// KSTREAM-PROCESSOR-%010d). The processor may schedule punctuations and use the stores p
// names. Like Kafka, the result has no serdes and needs a repartition before a grouping or
// join, as the processor may have changed the key; use ProcessValues when it does not.
func Process[K, V, KOut, VOut any](s *KStream[K, V], supplier processor.Supplier[K, V, KOut, VOut], p ...Processed) *KStream[KOut, VOut] {
	cfg := oneProcessed(s.sb, "Process", p)
	name := processName(s.sb, cfg, processorPrefix)
	if supplier == nil {
		s.sb.b.fail("Process %q: nil processor supplier", name)
	} else {
		AddProcessor(s.sb.b, name, supplier, s.name)
		connectStores(s.sb, "Process", name, cfg.Stores)
	}
	return &KStream[KOut, VOut]{sb: s.sb, name: name, repartitionRequired: true}
}

// ProcessValues runs the fixed-key processor supplier returns (one per task) on each record
// of the stream, and returns the stream of the records it forwards (Kafka's
// KStream.processValues; node KSTREAM-PROCESSVALUES-%010d). A fixed-key processor cannot
// change the key, so the result keeps the stream's key serde and its need of a repartition
// (none unless the key changed upstream); its value serde is lost, as in Kafka.
func ProcessValues[K, V, VOut any](s *KStream[K, V], supplier processor.FixedKeySupplier[K, V, VOut], p ...Processed) *KStream[K, VOut] {
	cfg := oneProcessed(s.sb, "ProcessValues", p)
	name := processName(s.sb, cfg, processValuesPrefix)
	if supplier == nil {
		s.sb.b.fail("ProcessValues %q: nil processor supplier", name)
	} else {
		AddFixedKeyProcessor(s.sb.b, name, supplier, s.name)
		connectStores(s.sb, "ProcessValues", name, cfg.Stores)
	}
	return &KStream[K, VOut]{sb: s.sb, name: name, keys: s.keys, repartitionRequired: s.repartitionRequired}
}

func oneProcessed(sb *StreamsBuilder, op string, p []Processed) Processed {
	if len(p) > 1 {
		sb.b.fail("%s: more than one Processed", op)
	}
	if len(p) > 0 {
		return p[0]
	}
	return Processed{}
}

// processName returns Processed.Name, or generates a name; unlike most operations, a given
// name does not advance the counter (Kafka's process(supplier, Named, stores) uses the Named
// as is; only process(supplier, stores) calls newProcessorName).
func processName(sb *StreamsBuilder, cfg Processed, prefix string) string {
	if cfg.Name != "" {
		return cfg.Name
	}
	return sb.newName(prefix)
}

// connectStores connects the processor name to the stores, each of which must have been
// added.
func connectStores(sb *StreamsBuilder, op, name string, stores []string) {
	for _, st := range stores {
		sb.pendingStores = append(sb.pendingStores, pendingStore{op: op, processor: name, store: st})
	}
}

// connectPendingStores connects the stores Process and ProcessValues named, at Build, so
// that a store may be added before or after the call that names it, as in Kafka (which
// connects them when it writes the topology).
func (sb *StreamsBuilder) connectPendingStores() {
	for _, p := range sb.pendingStores {
		switch {
		case p.store == "":
			sb.b.fail("%s %q: an empty state store name", p.op, p.processor)
		case sb.b.stores[p.store] == nil:
			sb.b.fail("%s %q: state store %q is not added: add it with StreamsBuilder.AddStateStore", p.op, p.processor, p.store)
		case sb.b.stores[p.store].Global:
			sb.b.fail("%s %q: state store %q is a global store: processors read it without naming it", p.op, p.processor, p.store)
		default:
			sb.b.ConnectProcessorAndStateStores(p.processor, p.store)
		}
	}
	sb.pendingStores = nil
}

// pendingStore is a store a Process or ProcessValues node names, connected at Build.
type pendingStore struct{ op, processor, store string }
