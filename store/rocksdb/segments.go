package rocksdb

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tributary-go/tributary/store/kv"
)

// segmentFactory opens, drops and lists the RocksDB databases of a window or session
// store's segments, each in dir/<segment name> (Kafka's layout: a database per segment).
type segmentFactory struct {
	dir  string
	opts []Option
}

func (f *segmentFactory) Persistent() bool { return true }

// Open opens (creating it if needed) the database of the named segment.
func (f *segmentFactory) Open(name string) (kv.Engine, error) {
	return Open(name, filepath.Join(f.dir, name), f.opts...)
}

// Drop deletes the database of a closed segment.
func (f *segmentFactory) Drop(name string) error {
	return Destroy(filepath.Join(f.dir, name))
}

// Existing returns the names of the segment directories in dir (none if dir is missing);
// the segmented engine ignores names that are not its segments'. A directory left behind by
// a crash during a drop is reopened and dropped again once stream time passes it.
func (f *segmentFactory) Existing() ([]string, error) {
	entries, err := os.ReadDir(f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &DBError{Path: f.dir, Err: err}
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
