package rocksdb

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-go/tributary/store"
)

const helperEnv = "TRIBUTARY_ROCKSDB_HELPER_DIR"

// TestHelperProcess is not a test: run by the tests below as another process (the test
// binary re-executed), it opens the store in $TRIBUTARY_ROCKSDB_HELPER_DIR, prints "ready",
// and holds the store open until its stdin closes.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for the lock tests")
	}
	e, err := Open("helper", dir)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	if err := e.Put([]byte("from"), []byte("helper")); err != nil {
		os.Exit(3)
	}
	os.Stdout.WriteString("ready\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := e.Close(); err != nil {
		os.Exit(4)
	}
	os.Exit(0)
}

// holdInOtherProcess starts the helper process on dir and returns once it holds the store;
// release closes its stdin and waits for it to exit.
func holdInOtherProcess(t *testing.T, dir string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper process: read %q, %v; want \"ready\"", line, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("helper process: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// checkErr asserts that err is a *store.Error for op "open" of store name, matches target and
// names path.
func checkErr(t *testing.T, err error, name string, target error, path string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one matching %v", target)
	}
	if !errors.Is(err, target) {
		t.Errorf("error %q does not match %v", err, target)
	}
	var se *store.Error
	if !errors.As(err, &se) || se.Store != name || se.Op != "open" {
		t.Errorf("error %q (%T) is not a *store.Error for store %q, op open", err, err, name)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path %s", err, path)
	}
}

func TestLockedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	release := holdInOtherProcess(t, dir)
	start := time.Now()
	_, err := Open("mine", dir)
	checkErr(t, err, "mine", ErrLocked, dir)
	t.Log(err)
	var de *DBError
	if !errors.As(err, &de) || de.Path != dir || !strings.Contains(de.Err.Error(), "LOCK") {
		t.Errorf("cause %#v: want a *DBError with the path and RocksDB's message", de)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("Open without retries took %v", time.Since(start))
	}
	// Reading is allowed while the other process writes.
	r, err := OpenReadOnly("reader", dir)
	if err != nil {
		t.Fatalf("OpenReadOnly while another process holds the store: %v", err)
	}
	_ = r.Close()
	// Once the other process has closed the store, it opens.
	release()
	e := mustOpen(t, dir)
	wantGet(t, e, "from", "helper", true)
}

func TestOpenRetriesUntilTheLockIsReleased(t *testing.T) {
	dir := t.TempDir()
	release := holdInOtherProcess(t, dir)
	go func() {
		time.Sleep(300 * time.Millisecond)
		release()
	}()
	e, err := Open("mine", dir, OpenRetries(50, 50*time.Millisecond))
	if err != nil {
		t.Fatalf("Open with retries: %v", err)
	}
	defer e.Close()
	wantGet(t, e, "from", "helper", true)
}

func TestOpenRetriesGiveUp(t *testing.T) {
	dir := t.TempDir()
	holder := mustOpen(t, dir)
	start := time.Now()
	_, err := Open("second", dir, OpenRetries(3, 20*time.Millisecond))
	checkErr(t, err, "second", ErrLocked, dir)
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("Open gave up after %v, want at least 3 backoffs of 20ms", d)
	}
	_ = holder
}

// Another open Engine in this process holds the lock too.
func TestLockedInProcess(t *testing.T) {
	dir := t.TempDir()
	first := mustOpen(t, dir)
	_, err := Open("second", dir)
	checkErr(t, err, "second", ErrLocked, dir)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir)
}

func TestUnwritableDirectoryUnderAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "regular-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "store")
	_, err := Open("s", dir)
	checkErr(t, err, "s", syscall.ENOTDIR, dir)
	// The file itself as the directory.
	_, err = Open("s", file)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Open(a regular file) = %v, want an error naming it", err)
	}
}

func TestUnwritableDirectoryPermissions(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	parent := filepath.Join(t.TempDir(), "readonly")
	if err := os.Mkdir(parent, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(parent, 0o700) })
	dir := filepath.Join(parent, "store")
	_, err := Open("s", dir)
	checkErr(t, err, "s", fs.ErrPermission, dir)
}

// corrupt writes a store, closes it and overwrites its files whose names match with garbage.
func corrupt(t *testing.T, match func(name string) bool, garbage string) string {
	t.Helper()
	dir := t.TempDir()
	e, err := Open("s", dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, e, "a", "1")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ent := range entries {
		if match(ent.Name()) {
			if err := os.WriteFile(filepath.Join(dir, ent.Name()), []byte(garbage), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no file to corrupt in %s", dir)
	}
	return dir
}

func TestCorruptedStore(t *testing.T) {
	cases := map[string]func(t *testing.T) string{
		"CURRENT": func(t *testing.T) string {
			return corrupt(t, func(n string) bool { return n == "CURRENT" }, "\x00garbage\xff")
		},
		"CURRENT naming a missing MANIFEST": func(t *testing.T) string {
			return corrupt(t, func(n string) bool { return n == "CURRENT" }, "MANIFEST-999999\n")
		},
		"MANIFEST": func(t *testing.T) string {
			return corrupt(t, func(n string) bool { return strings.HasPrefix(n, "MANIFEST-") }, strings.Repeat("garbage ", 64))
		},
		"SST": func(t *testing.T) string {
			return corrupt(t, func(n string) bool { return strings.HasSuffix(n, ".sst") }, strings.Repeat("garbage ", 64))
		},
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			dir := make(t)
			_, err := Open("s", dir)
			if name == "CURRENT naming a missing MANIFEST" {
				// RocksDB reports a missing file, not corruption: the error still names the
				// store's directory and keeps RocksDB's message.
				if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "MANIFEST-999999") {
					t.Errorf("Open = %v, want an error naming %s and the missing MANIFEST", err, dir)
				}
				return
			}
			checkErr(t, err, "s", ErrCorrupt, dir)
			if !strings.Contains(err.Error(), "Corruption:") {
				t.Errorf("error %q lost RocksDB's message", err)
			}
			_, err = OpenReadOnly("s", dir)
			checkErr(t, err, "s", ErrCorrupt, dir)
			// The remedy: destroy and start again.
			if err := Destroy(dir); err != nil {
				t.Fatalf("Destroy(corrupted store): %v", err)
			}
			e := mustOpen(t, dir)
			wantGet(t, e, "a", "", false)
		})
	}
}

func TestOpenReadOnlyMissingStore(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenReadOnly("s", dir)
	checkErr(t, err, "s", fs.ErrNotExist, dir)
	_, err = OpenReadOnly("s", filepath.Join(dir, "nope"))
	checkErr(t, err, "s", fs.ErrNotExist, filepath.Join(dir, "nope"))
}

func TestInvalidOptions(t *testing.T) {
	for name, opt := range map[string]Option{
		"WriteBufferSize":      WriteBufferSize(0),
		"MaxWriteBufferNumber": MaxWriteBufferNumber(0),
		"MaxOpenFiles":         MaxOpenFiles(0),
		"BlockCacheSize":       BlockCacheSize(-1),
		"BlockSize":            BlockSize(0),
		"BloomFilterBits":      BloomFilterBits(-1),
		"TargetFileSizeBase":   TargetFileSizeBase(0),
		"OpenRetries":          OpenRetries(-1, 0),
	} {
		dir := filepath.Join(t.TempDir(), "s")
		_, err := Open("s", dir, opt)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Open with a bad %s = %v, want an error naming the option", name, err)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("Open with a bad %s created %s", name, dir)
		}
	}
	if _, err := Open("s", ""); err == nil {
		t.Error("Open with an empty directory succeeded")
	}
}

func TestDestroyRefusesADirectoryWithoutAStore(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(precious, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Destroy(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "not a RocksDB store") {
		t.Fatalf("Destroy(dir without a store) = %v; want an error naming the directory", err)
	}
	if _, err := os.Stat(precious); err != nil {
		t.Fatalf("Destroy deleted a file that was not a store's: %v", err)
	}
}
