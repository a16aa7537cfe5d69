package topology

import (
	"strings"
	"testing"

	"github.com/tributary-go/tributary/processor"
	"github.com/tributary-go/tributary/serde"
)

func TestMermaid(t *testing.T) {
	b := NewBuilder()
	s := dsrc(b, "source", "input")
	dprocWithNewStores(b, "counter", []string{"counts"}, s)
	dsink(b, "sink", "output", "counter")
	dsrcPattern(b, "events", "events-.*")
	dsink(b, "end", "input", "events")
	dglobal(b, "countries", "countries-source", "countries", "countries-loader")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	got := top.Mermaid()
	want := `flowchart LR
    t_input(["input"])
    t_output(["output"])
    t_events___(["/events-.*/"])
    t_countries(["countries"])
    subgraph sub_0 ["Sub-topology 0"]
        n_source["source"]
        n_counter["counter"]
        n_sink["sink"]
        s_counts[("counts")]
    end
    subgraph sub_1 ["Sub-topology 1"]
        n_events["events"]
        n_end["end"]
    end
    subgraph sub_2 ["Sub-topology 2 (global store)"]
        n_countries_source["countries-source"]
        n_countries_loader["countries-loader"]
        s_countries[("countries")]
    end
    t_input --> n_source
    n_source --> n_counter
    n_counter -.- s_counts
    n_counter --> n_sink
    n_sink --> t_output
    t_events___ --> n_events
    n_events --> n_end
    n_end --> t_input
    t_countries --> n_countries_source
    n_countries_source --> n_countries_loader
    n_countries_loader -.- s_countries
`
	if got != want {
		t.Errorf("Mermaid() =\n%s\nwant\n%s", got, want)
	}
	for _, name := range []string{"source", "counter", "sink", "events", "end", "countries-source", "countries-loader", "counts", "countries", "input", "output", "events-.*"} {
		if !strings.Contains(got, `"`+name+`"`) && !strings.Contains(got, `"/`+name+`/"`) {
			t.Errorf("Mermaid() has no label %q", name)
		}
	}
	if again := top.Mermaid(); again != got {
		t.Error("Mermaid() is not deterministic")
	}
}

// Names that are not Mermaid ids are sanitized, colliding ids get a suffix, labels escape
// what a quoted label cannot hold, and a TopicChooser is drawn as a topic node.
func TestMermaidSanitizes(t *testing.T) {
	b := NewBuilder()
	s := dsrc(b, `in "quoted"`, "topic#1")
	dproc(b, "a-b", s)
	dproc(b, "a_b", s)
	AddSink(b, "x", Sink[string, string]{
		TopicChooser: func(string, string, processor.RecordMetadata) string { return "t" },
		ChooserName:  "<chooser>", Keys: serde.String, Values: serde.String,
	}, "a-b")
	top, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	got := top.Mermaid()
	for _, want := range []string{
		`    t_topic_1(["topic#35;1"])` + "\n",
		`    t__chooser_(["#lt;chooser#gt;"])` + "\n",
		`        n_in__quoted_["in #quot;quoted#quot;"]` + "\n",
		`        n_a_b["a-b"]` + "\n",
		`        n_a_b_2["a_b"]` + "\n",
		"    n_in__quoted_ --> n_a_b\n",
		"    n_in__quoted_ --> n_a_b_2\n",
		"    n_x --> t__chooser_\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Mermaid() =\n%s\nwant it to contain %q", got, want)
		}
	}
}

func TestMermaidEmpty(t *testing.T) {
	top, err := NewBuilder().Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := top.Mermaid(); got != "flowchart LR\n" {
		t.Errorf("Mermaid() = %q", got)
	}
}
