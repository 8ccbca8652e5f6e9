package fleet

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// procInfo is what labels a process's samples.
type procInfo struct {
	executable  string // base name of its executable
	containerID string // a container runtime's 64-hex id, from its cgroup
	cgroup      string // its cgroup v2 path, when not a container's and not "/"
}

// containerIDPattern finds the id that Docker, containerd, CRI-O and podman
// put in their containers' cgroup paths (docker-ID.scope, cri-containerd-ID,
// .../docker/ID, libpod-ID.scope).
var containerIDPattern = regexp.MustCompile(`(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$`)

// KernelService is the service_name of kernel threads (kworker/0:1,
// ksoftirqd/1, ...), which have no executable: one service rather than one
// per thread name.
const KernelService = "kernel"

// lookupProc reads what labels pid's samples from /proc; a process that has
// exited is named by comm alone.
func lookupProc(pid int, comm string) procInfo {
	info := procInfo{executable: comm}
	if pid <= 0 {
		return info
	}
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	exe, err := os.Readlink(filepath.Join(dir, "exe"))
	switch {
	case err == nil:
		exe = strings.TrimSuffix(exe, " (deleted)")
		if base := filepath.Base(exe); base != "" && base != "/" && base != "." {
			info.executable = base
		}
	case errors.Is(err, fs.ErrNotExist):
		// The process is there but has no executable: a kernel thread.
		if _, serr := os.Stat(dir); serr == nil {
			info.executable = KernelService
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
		info.containerID, info.cgroup = parseCgroup(string(b))
	}
	return info
}

// parseCgroup returns the container id in a /proc/PID/cgroup file, or else
// its cgroup v2 path ("0::PATH") unless that is the root.
func parseCgroup(s string) (containerID, cgroup string) {
	for _, line := range strings.Split(s, "\n") {
		_, path, ok := strings.Cut(line, "::")
		if !strings.HasPrefix(line, "0::") || !ok {
			continue
		}
		if m := containerIDPattern.FindStringSubmatch(path); m != nil {
			return m[1], ""
		}
		if path != "/" {
			return "", path
		}
	}
	return "", ""
}
