package rocksdb

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tributary-go/tributary/store"
)

var (
	// ErrLocked reports that a store's directory is locked: its LOCK file is held by another
	// process, or by another open Engine in this process. RocksDB allows one writer per
	// directory; open it read-only ([OpenReadOnly]) to share it, or retry with [OpenRetries].
	ErrLocked = errors.New("rocksdb: directory is locked by another process or open store")
	// ErrCorrupt reports that RocksDB found the store's files corrupted (its error text starts
	// with "Corruption:"). The usual remedy is to delete the store ([Destroy]) and restore it
	// from its changelog or a checkpoint ([Restore]).
	ErrCorrupt = errors.New("rocksdb: store is corrupted")
)

// DBError is the cause inside the *store.Error that this package returns when RocksDB or the
// file system fails: it names the store's directory, classifies the failure with a sentinel
// (ErrLocked, ErrCorrupt, or nil when there is none) and keeps the original error (RocksDB's
// message, or an *fs.PathError). errors.Is matches both the sentinel and the original error.
type DBError struct {
	Path string // the store's directory (or the checkpoint directory for Checkpoint and Restore)
	Kind error  // ErrLocked, ErrCorrupt, or nil
	Err  error  // the underlying error, as RocksDB or the OS reported it
}

// Error implements error: "<path>: <kind>: <original message>".
func (e *DBError) Error() string {
	if e.Kind != nil {
		return fmt.Sprintf("%s: %v: %v", e.Path, e.Kind, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the sentinel (if any) and the underlying error.
func (e *DBError) Unwrap() []error {
	if e.Kind != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Err}
}

// classify returns the sentinel matching a RocksDB error message, or nil.
func classify(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Corruption:"):
		return ErrCorrupt
	// Another process holds the lock: "IO error: While lock file: <dir>/LOCK: Resource
	// temporarily unavailable". This process holds it: "IO error: lock hold by current
	// process, acquire time ... : <dir>/LOCK: No locks available".
	case strings.Contains(msg, "While lock file"),
		strings.Contains(msg, "lock hold by current process"),
		strings.Contains(msg, "/LOCK: Resource temporarily unavailable"):
		return ErrLocked
	}
	return nil
}

// dbErr wraps an error of RocksDB or the OS that concerns path.
func dbErr(path string, err error) *DBError {
	return &DBError{Path: path, Kind: classify(err), Err: err}
}

// storeErr builds the *store.Error this package returns.
func storeErr(name, op string, err error) error {
	return &store.Error{Store: name, Op: op, Err: err}
}
