package symbolize

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/flamekit/flamekit/internal/jit"
	"golang.org/x/sys/unix"
)

// ErrUnsafeFile reports a file that another user could have planted or
// swapped: a symbolic link, not a regular file, or not owned by the
// profiled process's user or by root. Perf maps and jitdumps are written by
// the profiled process; make sure that process (or root) owns them. It
// comes wrapped, in the errors of [Process.Refresh], with the file's path.
var ErrUnsafeFile = errors.New("refusing file: a symbolic link, not a regular file, or owned by neither the process's user nor root")

// errFileTooLarge reports a JIT source (perf map or jitdump) larger than
// jit.MaxFileSize.
var errFileTooLarge = errors.New("file too large")

// openFlags opens for reading without following a final symbolic link and
// without blocking on a FIFO someone put in the file's place.
const openFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC

// openInRoot opens name, an absolute path as the profiled process sees it,
// inside root, an open directory that is the process's root
// (/proc/PID/root). Every symbolic link on the way resolves inside root
// (openat2 RESOLVE_IN_ROOT), so a container cannot point us at the host's
// files; the last component must not be a link (ErrUnsafeFile).
func openInRoot(root *os.File, name string) (*os.File, error) {
	rel := strings.TrimLeft(name, "/")
	fd, err := unix.Openat2(int(root.Fd()), rel, &unix.OpenHow{
		Flags:   openFlags,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOSYS) { // before Linux 5.6
		fd, err = unix.Openat(int(root.Fd()), rel, openFlags, 0)
	}
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("%w: %s", ErrUnsafeFile, name)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// checkOwned accepts a regular file no larger than jit.MaxFileSize owned by root
// or by one of owners: the rule for files the profiled process wrote.
func checkOwned(f *os.File, owners []uint32) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || (st.Uid != 0 && !slices.Contains(owners, st.Uid)) {
		return fmt.Errorf("%w: %s (owner %d, mode %#o)", ErrUnsafeFile, f.Name(), st.Uid, st.Mode)
	}
	if st.Size > jit.MaxFileSize {
		return fmt.Errorf("%w: %s is %d bytes, the limit is %d", errFileTooLarge, f.Name(), st.Size, jit.MaxFileSize)
	}
	return nil
}

// limitedReader reads r up to the size cap, so a file that grows after
// checkOwned still cannot make us read without bound.
func limitedReader(r io.Reader) io.Reader { return io.LimitReader(r, jit.MaxFileSize) }
