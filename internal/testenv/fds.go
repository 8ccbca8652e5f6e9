package testenv

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// fdTable maps each open file descriptor of this process to what it
// refers to, as /proc/self/fd shows it: a path, "pipe:[INODE]",
// "socket:[INODE]", "anon_inode:bpf-map", "anon_inode:[perf_event]", ...
type fdTable map[int]string

// openFiles reads this process's descriptor table. The descriptor that
// reads the directory is gone by the time its link is read, so it is not
// listed.
func openFiles() (fdTable, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	t := fdTable{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // closed since the directory was read
		}
		t[fd] = target
	}
	return t, nil
}

// openedSince returns the descriptors of t that before did not have, or
// had for something else, in ascending order.
func (t fdTable) openedSince(before fdTable) []int {
	var fds []int
	for fd, target := range t {
		if was, ok := before[fd]; !ok || was != target {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	return fds
}

// describeFD says what descriptor fd, which refers to target, is: the
// target, and for a BPF object its kind, name and ID, so a leak report
// names the map or program left open.
func describeFD(fd int, target string) string {
	s := fmt.Sprintf("fd %d: %s", fd, target)
	switch target {
	case "anon_inode:bpf-map":
		if m, err := ebpf.NewMapFromFD(dupFD(fd)); err == nil {
			if info, err := m.Info(); err == nil {
				id, _ := info.ID()
				s += fmt.Sprintf(" (%s map %q, id %d)", info.Type, info.Name, id)
			}
			m.Close()
		}
	case "anon_inode:bpf-prog":
		if p, err := ebpf.NewProgramFromFD(dupFD(fd)); err == nil {
			if info, err := p.Info(); err == nil {
				id, _ := info.ID()
				s += fmt.Sprintf(" (%s program %q, id %d)", info.Type, info.Name, id)
			}
			p.Close()
		}
	case "anon_inode:bpf_link":
		if info := fdInfo(fd, "link_type", "link_id", "prog_id"); info != "" {
			s += " (" + info + ")"
		}
	}
	return s
}

// dupFD returns a duplicate of fd, or -1, for a wrapper that closes what
// it is given.
func dupFD(fd int) int {
	d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return d
}

// fdInfo returns the named fields of /proc/self/fdinfo/FD, as
// "name value" pairs joined by commas.
func fdInfo(fd int, names ...string) string {
	f, err := os.Open(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		return ""
	}
	defer f.Close()
	var fields []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if ok && slices.Contains(names, name) {
			fields = append(fields, name+" "+strings.TrimSpace(value))
		}
	}
	return strings.Join(fields, ", ")
}

// OpenFDs counts this process's open file descriptors, for tests that
// check that what they open is closed again.
func OpenFDs(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(ents)
}
