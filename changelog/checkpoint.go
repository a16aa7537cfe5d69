package changelog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// CheckpointFile is the name of a task's checkpoint file in its state directory.
const CheckpointFile = ".checkpoint"

// ErrCorruptCheckpoint is wrapped by ReadCheckpoint's error when the file exists but cannot
// be parsed; the runtime then wipes the task's stores and restores them from the beginning.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint file")

// TopicPartition names a changelog partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Checkpoint maps changelog partitions to the offset of the last changelog record their
// stores hold, as Kafka's OffsetCheckpoint does: restoration resumes at that offset + 1.
type Checkpoint map[TopicPartition]int64

// checkpointVersion is the only version of Kafka's OffsetCheckpoint format.
const checkpointVersion = 0

// WriteCheckpoint writes cp to path in Kafka's OffsetCheckpoint text format — a version line
// "0", a count line, then one "topic partition offset" line per entry — atomically: to a
// temporary file that is synced and renamed over path. Entries with a negative offset are
// left out, as Kafka does.
func WriteCheckpoint(path string, cp Checkpoint) (err error) {
	keys := make([]TopicPartition, 0, len(cp))
	for tp, off := range cp {
		if off < 0 {
			continue
		}
		if tp.Topic == "" || strings.IndexFunc(tp.Topic, unicode.IsSpace) >= 0 {
			return fmt.Errorf("changelog: checkpoint %s: invalid topic name %q", path, tp.Topic)
		}
		keys = append(keys, tp)
	}
	slices.SortFunc(keys, func(a, b TopicPartition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition) - int(b.Partition)
	})
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d\n%d\n", checkpointVersion, len(keys))
	for _, tp := range keys {
		fmt.Fprintf(&buf, "%s %d %d\n", tp.Topic, tp.Partition, cp[tp])
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("changelog: writing checkpoint %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(buf.Bytes()); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("changelog: writing checkpoint %s: %w", path, err)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint file. A missing file is an empty checkpoint (restore
// from the beginning). A file that cannot be parsed gives an error wrapping
// ErrCorruptCheckpoint that names the file and the line.
func ReadCheckpoint(path string) (Checkpoint, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("changelog: reading checkpoint %s: %w", path, err)
	}
	cp, err := ParseCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("changelog: checkpoint %s: %w", path, err)
	}
	return cp, nil
}

// ParseCheckpoint parses the contents of a checkpoint file (see WriteCheckpoint). Its errors
// wrap ErrCorruptCheckpoint and name the line.
func ParseCheckpoint(data []byte) (Checkpoint, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return sc.Text(), true
	}
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("line %d: %s: %w", line, fmt.Sprintf(format, args...), ErrCorruptCheckpoint)
	}
	v, ok := next()
	if !ok {
		return nil, corrupt("empty file")
	}
	if version, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || version != checkpointVersion {
		return nil, corrupt("unknown version %q, want %d", v, checkpointVersion)
	}
	c, ok := next()
	if !ok {
		return nil, corrupt("missing entry count")
	}
	count, err := strconv.Atoi(strings.TrimSpace(c))
	if err != nil || count < 0 {
		return nil, corrupt("invalid entry count %q", c)
	}
	cp := make(Checkpoint, min(count, 1024))
	for i := 0; i < count; i++ {
		l, ok := next()
		if !ok {
			return nil, corrupt("expected %d entries, found %d", count, i)
		}
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, corrupt("malformed entry %q, want \"topic partition offset\"", l)
		}
		p, perr := strconv.ParseInt(f[1], 10, 32)
		off, oerr := strconv.ParseInt(f[2], 10, 64)
		if perr != nil || oerr != nil || p < 0 || off < 0 {
			return nil, corrupt("malformed entry %q", l)
		}
		tp := TopicPartition{Topic: f[0], Partition: int32(p)}
		if _, dup := cp[tp]; dup {
			return nil, corrupt("duplicate entry for %s-%d", tp.Topic, tp.Partition)
		}
		cp[tp] = off
	}
	if l, ok := next(); ok && strings.TrimSpace(l) != "" {
		return nil, corrupt("more entries than the count %d", count)
	}
	if err := sc.Err(); err != nil {
		return nil, corrupt("%v", err)
	}
	return cp, nil
}
