package changelog_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-go/tributary/changelog"
)

// Kafka Streams: ProcessorStateManager.storeChangelogTopic(applicationId, storeName).
func TestTopicName(t *testing.T) {
	if got := changelog.TopicName("word-count-app", "Counts"); got != "word-count-app-Counts-changelog" {
		t.Errorf("TopicName = %q", got)
	}
}

// Kafka Streams: UnwindowedChangelogTopicConfig (cleanup.policy=compact) and
// WindowedChangelogTopicConfig (compact,delete; retention.ms = retention + 1 day).
func TestTopicConfigs(t *testing.T) {
	if diff := cmp.Diff(map[string]string{"cleanup.policy": "compact", "retention.ms": "-1"}, changelog.KeyValueTopicConfig()); diff != "" {
		t.Errorf("KeyValueTopicConfig (-want +got):\n%s", diff)
	}
	want := map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "172800000"} // 1 day + 1 day
	if diff := cmp.Diff(want, changelog.WindowedTopicConfig(24*time.Hour)); diff != "" {
		t.Errorf("WindowedTopicConfig (-want +got):\n%s", diff)
	}
}

// The file format is Kafka's OffsetCheckpoint: version 0, a count, "topic partition offset".
func TestCheckpointRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), changelog.CheckpointFile)
	cp := changelog.Checkpoint{
		{Topic: "app-b-changelog", Partition: 1}: 200,
		{Topic: "app-a-changelog", Partition: 0}: 100,
		{Topic: "app-c-changelog", Partition: 2}: -1, // unknown offset: not written
	}
	if err := changelog.WriteCheckpoint(path, cp); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wantText := "0\n2\napp-a-changelog 0 100\napp-b-changelog 1 200\n"
	if string(data) != wantText {
		t.Errorf("file = %q, want %q", data, wantText)
	}
	got, err := changelog.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	delete(cp, changelog.TopicPartition{Topic: "app-c-changelog", Partition: 2})
	if diff := cmp.Diff(cp, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after the write, want only the checkpoint", len(entries))
	}
}

func TestMissingCheckpointIsEmpty(t *testing.T) {
	cp, err := changelog.ReadCheckpoint(filepath.Join(t.TempDir(), "nope"))
	if err != nil || len(cp) != 0 {
		t.Fatalf("ReadCheckpoint(missing) = %v, %v; want empty, nil", cp, err)
	}
}

func TestCorruptCheckpoint(t *testing.T) {
	cases := map[string]string{
		"empty":         "",
		"bad version":   "1\n0\n",
		"bad count":     "0\nx\n",
		"short":         "0\n2\nt 0 1\n",
		"malformed":     "0\n1\nt 0\n",
		"bad partition": "0\n1\nt x 1\n",
		"negative":      "0\n1\nt 0 -5\n",
		"extra":         "0\n1\nt 0 1\nu 0 2\n",
		"duplicate":     "0\n2\nt 0 1\nt 0 2\n",
	}
	for name, text := range cases {
		path := filepath.Join(t.TempDir(), changelog.CheckpointFile)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := changelog.ReadCheckpoint(path)
		if !errors.Is(err, changelog.ErrCorruptCheckpoint) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error = %v; want ErrCorruptCheckpoint naming %s", name, err, path)
		}
	}
}

func TestWriteCheckpointRejectsBadTopic(t *testing.T) {
	path := filepath.Join(t.TempDir(), changelog.CheckpointFile)
	if err := changelog.WriteCheckpoint(path, changelog.Checkpoint{{Topic: "a b", Partition: 0}: 1}); err == nil {
		t.Error("a topic with a space was written")
	}
	if err := changelog.WriteCheckpoint(filepath.Join(path, "under-a-missing-dir"), changelog.Checkpoint{}); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// FuzzParseCheckpoint: no input panics; what parses writes back and parses to the same.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("0\n2\napp-a-changelog 0 100\napp-b-changelog 1 200\n"))
	f.Add([]byte("0\n0\n"))
	f.Add([]byte("0\n1\nt 2147483647 9223372036854775807\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := changelog.ParseCheckpoint(data)
		if err != nil {
			if !errors.Is(err, changelog.ErrCorruptCheckpoint) {
				t.Fatalf("error %v does not wrap ErrCorruptCheckpoint", err)
			}
			return
		}
		path := filepath.Join(t.TempDir(), "cp")
		if err := changelog.WriteCheckpoint(path, cp); err != nil {
			t.Fatalf("parsed %v but cannot write it: %v", cp, err)
		}
		back, err := changelog.ReadCheckpoint(path)
		if err != nil || !cmp.Equal(cp, back) {
			t.Fatalf("round trip: %v -> %v, %v", cp, back, err)
		}
	})
}
