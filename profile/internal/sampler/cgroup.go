package sampler

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
)

// Cgroup2Mount returns where the cgroup v2 hierarchy is mounted
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems). It fails
// with errs.ErrNotSupported when none is.
func Cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "36 35 0:30 / /sys/fs/cgroup rw,... shared:9 - cgroup2 cgroup2 rw"
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields := strings.Fields(pre)
		if ok && len(fields) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return fields[4], nil
		}
	}
	return "", Markf(errs.ErrNotSupported, "no cgroup v2 hierarchy is mounted")
}

// CgroupID returns the id of a cgroup v2 (the inode of its directory), as
// Config.CgroupID takes it, given its path, absolute or relative to the
// cgroup2 mount.
func CgroupID(path string) (uint64, error) {
	if !filepath.IsAbs(path) {
		root, err := Cgroup2Mount()
		if err != nil {
			return 0, err
		}
		path = filepath.Join(root, path)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("cgroup %s: %w", path, err)
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		return 0, fmt.Errorf("%s is not a cgroup v2 directory", path)
	}
	var s unix.Stat_t
	if err := unix.Stat(path, &s); err != nil {
		return 0, fmt.Errorf("cgroup %s: %w", path, err)
	}
	return s.Ino, nil
}
