package rocksdb

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/linxGnu/grocksdb"
)

// Checkpoint writes a consistent, openable copy of the store, data and offsets, to dir
// (RocksDB's Checkpoint): the memtables are flushed first, then the SST files are
// hard-linked (copied across file systems) and the metadata copied. dir must not exist; its
// parent must. Open the copy with Open or OpenReadOnly, or put it in place of a store with
// [Restore].
func (e *Engine) Checkpoint(dir string) error {
	if err := e.rlock("checkpoint", false); err != nil {
		return err
	}
	defer e.mu.RUnlock()
	path, err := filepath.Abs(dir)
	if err != nil {
		return storeErr(e.name, "checkpoint", &DBError{Path: dir, Err: err})
	}
	if _, err := os.Lstat(path); err == nil {
		return storeErr(e.name, "checkpoint", &DBError{Path: path, Err: fs.ErrExist})
	}
	cp, err := e.db.NewCheckpoint()
	if err != nil {
		return storeErr(e.name, "checkpoint", dbErr(path, err))
	}
	defer cp.Destroy()
	// A log size of 0 always flushes: with the WAL off, unflushed writes live only in the
	// memtables.
	if err := cp.CreateCheckpoint(path, 0); err != nil {
		return storeErr(e.name, "checkpoint", dbErr(path, err))
	}
	return nil
}

// Restore replaces the store directory dir with a copy of the checkpoint in checkpointDir
// (made by [Engine.Checkpoint]). The files are copied, not linked, so the checkpoint stays
// intact and reusable. The store at dir must be closed: if it is open, in this process or
// another, Restore fails with ErrLocked and changes nothing. A store opened on dir
// afterwards sees the checkpoint's data and offsets.
func Restore(checkpointDir, dir string) error {
	err := restore(checkpointDir, dir)
	if err != nil {
		return storeErr(filepath.Base(dir), "restore", err)
	}
	return nil
}

func restore(checkpointDir, dir string) error {
	src, err := filepath.Abs(checkpointDir)
	if err != nil {
		return &DBError{Path: checkpointDir, Err: err}
	}
	dst, err := filepath.Abs(dir)
	if err != nil {
		return &DBError{Path: dir, Err: err}
	}
	if _, err := os.Stat(filepath.Join(src, "CURRENT")); err != nil {
		return &DBError{Path: src, Err: fmt.Errorf("not a RocksDB checkpoint: %w", err)}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return &DBError{Path: dst, Err: err}
	}
	// Copy to a sibling first, so a failed copy leaves dir as it was.
	tmp, err := os.MkdirTemp(filepath.Dir(dst), filepath.Base(dst)+".restore-*")
	if err != nil {
		return &DBError{Path: dst, Err: err}
	}
	defer os.RemoveAll(tmp)
	if err := copyTree(src, tmp); err != nil {
		return &DBError{Path: src, Err: fmt.Errorf("copying to %s: %w", tmp, err)}
	}
	// destroyDir fails with ErrLocked if the store is open.
	if err := destroyDir(dst); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return &DBError{Path: dst, Err: err}
	}
	return nil
}

// copyTree copies the regular files and directories under src into the existing dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(p, target)
		default:
			return fmt.Errorf("%s: not a regular file", p)
		}
	})
}

func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

// Destroy deletes the store in dir: RocksDB's DestroyDB, then the directory with anything
// left in it. A missing dir is not an error. The store must be closed: if it is open, in
// this process or another, Destroy fails with ErrLocked and deletes nothing.
func Destroy(dir string) error {
	if err := destroyDir(dir); err != nil {
		return storeErr(filepath.Base(dir), "destroy", err)
	}
	return nil
}

func destroyDir(dir string) error {
	path, err := filepath.Abs(dir)
	if err != nil {
		return &DBError{Path: dir, Err: err}
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &DBError{Path: path, Err: err}
	}
	if !fi.IsDir() {
		return &DBError{Path: path, Err: errors.New("not a directory")}
	}
	// Refuse to wipe a directory that holds files but no RocksDB database: a wrong path
	// must not delete someone's data.
	if _, err := os.Stat(filepath.Join(path, "CURRENT")); err != nil {
		entries, rerr := os.ReadDir(path)
		if rerr != nil {
			return &DBError{Path: path, Err: rerr}
		}
		if len(entries) > 0 {
			return &DBError{Path: path, Err: errors.New("not a RocksDB store (no CURRENT file); refusing to delete it")}
		}
	}
	// DestroyDB takes the directory's lock, so it fails on a store that is open.
	opts := grocksdb.NewDefaultOptions()
	err = grocksdb.DestroyDb(path, opts)
	opts.Destroy()
	if err != nil {
		return dbErr(path, err)
	}
	if err := os.RemoveAll(path); err != nil {
		return &DBError{Path: path, Err: err}
	}
	return nil
}
