package symbolize

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/jit"
)

// TestProcOpenInRoot checks the rules for files a profiled process wrote:
// links resolve inside its root, a final link, a FIFO, another user's file
// and an oversized file are refused.
func TestProcOpenInRoot(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mkfile := func(path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("1000 10 f\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// /tmp in the "container" is an absolute link: it must resolve inside root.
	mkfile(filepath.Join(root, "var/tmp/perf-1.map"))
	mkfile(filepath.Join(outside, "perf-1.map"))
	if err := os.Symlink("/var/tmp", filepath.Join(root, "tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "perf-1.map"), filepath.Join(root, "var/tmp/perf-2.map")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(root, "var/tmp/perf-3.map"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(root, "var/tmp/perf-4.map")
	mkfile(big)
	if err := os.Truncate(big, jit.MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	dir, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	owners := []uint32{uint32(os.Getuid())}

	f, err := openInRoot(dir, "/tmp/perf-1.map")
	if err != nil {
		t.Fatal(err)
	}
	var st, want unix.Stat_t
	unix.Fstat(int(f.Fd()), &st)
	unix.Stat(filepath.Join(root, "var/tmp/perf-1.map"), &want)
	if st.Ino != want.Ino {
		t.Error("opened a file outside the root")
	}
	if err := checkOwned(f, owners); err != nil {
		t.Errorf("own file: %v", err)
	}
	f.Close()

	if _, err := openInRoot(dir, "/tmp/perf-2.map"); !errors.Is(err, ErrUnsafeFile) {
		t.Errorf("final symlink: %v, want ErrUnsafeFile", err)
	}
	if _, err := openInRoot(dir, "/tmp/perf-9.map"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v, want ErrNotExist", err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := openInRoot(dir, "/tmp/perf-3.map")
		if err == nil {
			err = checkOwned(f, owners)
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnsafeFile) {
			t.Errorf("FIFO: %v, want ErrUnsafeFile", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO hung")
	}
	f, err = openInRoot(dir, "/tmp/perf-4.map")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkOwned(f, owners); !errors.Is(err, errFileTooLarge) {
		t.Errorf("big file: %v, want errFileTooLarge", err)
	}
	f.Close()

	if os.Geteuid() != 0 {
		return // only root can give a file to another user
	}
	other := filepath.Join(root, "var/tmp/perf-5.map")
	mkfile(other)
	if err := os.Chown(other, 12345, 12345); err != nil {
		t.Fatal(err)
	}
	f, err = openInRoot(dir, "/tmp/perf-5.map")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := checkOwned(f, []uint32{1000}); !errors.Is(err, ErrUnsafeFile) {
		t.Errorf("another user's file: %v, want ErrUnsafeFile", err)
	}
	if err := checkOwned(f, []uint32{12345}); err != nil {
		t.Errorf("the process user's file: %v", err)
	}
}
