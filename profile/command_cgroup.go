package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// cgroupSeq numbers the cgroups the process makes for its commands.
var cgroupSeq atomic.Uint64

// cgroupNameTries bounds how many names makeCommandCgroup tries when it
// finds them taken.
const cgroupNameTries = 100

// cgroupRemoveTimeout bounds how long removing a command's cgroup waits
// for the command to exit and for the kernel to let it go from the cgroup,
// which it does only some time after the command's parent waited for it.
const cgroupRemoveTimeout = 2 * time.Second

// makeCommandCgroup makes a cgroup for a command under the cgroup2 mount
// root, named flamekit-<pid>-<seq>. A name that is taken was left by an
// earlier process with the same PID (that PID is ours now, so that
// process is gone): the directory is removed if it is empty, and the next
// number is tried if it is not.
func makeCommandCgroup(root string) (string, error) {
	for range cgroupNameTries {
		dir := filepath.Join(root, fmt.Sprintf("flamekit-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, fs.ErrExist) && unix.Rmdir(dir) == nil {
			err = os.Mkdir(dir, 0o755)
		}
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", sampler.Mark(ErrPermission, fmt.Errorf("making a cgroup for the command: %w", err))
		}
	}
	return "", fmt.Errorf("making a cgroup for the command: %d names under %s are taken by cgroups that hold processes", cgroupNameTries, root)
}

// removeCgroup removes the cgroup dir, retrying while the kernel says it
// is busy (it still holds processes, or a dead task not yet released)
// until the deadline.
func removeCgroup(dir string, deadline time.Time) error {
	pause := time.Millisecond
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return &os.PathError{Op: "rmdir", Path: dir, Err: err}
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}
