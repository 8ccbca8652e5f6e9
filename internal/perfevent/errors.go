package perfevent

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
)

// ErrPermission reports a perf_event_open the kernel refused for lack of
// privilege; the wrapping error says what would allow it. It is
// internal/errs' ErrPermission, which package profile returns too.
var ErrPermission = errs.ErrPermission

// ErrNotSupported reports an event this kernel or machine cannot count,
// such as a hardware counter in a virtual machine without a PMU. It is
// internal/errs' ErrNotSupported, which package profile returns too;
// errors.Is(ErrNotSupported, errors.ErrUnsupported) holds.
var ErrNotSupported = errs.ErrNotSupported

// ErrMalformed reports a ring-buffer record that cannot be decoded.
var ErrMalformed = errors.New("perfevent: malformed record")

// paranoidPath holds kernel.perf_event_paranoid.
const paranoidPath = "/proc/sys/kernel/perf_event_paranoid"

// Paranoid returns kernel.perf_event_paranoid: 2 allows unprivileged
// processes to profile their own user space, 1 also the kernel, 0 also
// whole CPUs, -1 everything.
func Paranoid() (int, error) {
	b, err := os.ReadFile(paranoidPath)
	if err != nil {
		return 0, fmt.Errorf("perfevent: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("perfevent: %s: %w", paranoidPath, err)
	}
	return n, nil
}

// openError maps a perf_event_open errno to ErrPermission or
// ErrNotSupported where one applies, keeping the errno in the chain.
func openError(err error, a *unix.PerfEventAttr, pid, cpu int) error {
	what := fmt.Sprintf("perfevent: perf_event_open(type %d, config %#x, pid %d, cpu %d): %v", a.Type, a.Config, pid, cpu, err)
	switch {
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
		return &openErr{what + "; " + permissionAdvice(a, pid), []error{ErrPermission, err}}
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENODEV) ||
		errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENOSYS) ||
		(errors.Is(err, unix.EINVAL) && a.Type != unix.PERF_TYPE_SOFTWARE):
		return &openErr{what + ": the event is not supported here", []error{ErrNotSupported, err}}
	}
	return &openErr{what, []error{err}}
}

// openErr is a perf_event_open error: its message says what was refused
// and what to do, and it wraps the errno and the sentinel that applies.
type openErr struct {
	msg  string
	errs []error
}

func (e *openErr) Error() string   { return e.msg }
func (e *openErr) Unwrap() []error { return e.errs }

// permissionAdvice says which setting would allow the refused open.
func permissionAdvice(a *unix.PerfEventAttr, pid int) string {
	p, err := Paranoid()
	if err != nil {
		p = -2 // unknown: the advice names no level
	}
	return adviceFor(a, pid, ownProcess(pid), p)
}

// adviceFor says what would allow an open refused at perf_event_paranoid
// level paranoid (-2: unknown), own telling whether pid is a process of
// the caller's user.
func adviceFor(a *unix.PerfEventAttr, pid int, own bool, paranoid int) string {
	need, why := 2, "profiling another user's process needs CAP_PERFMON or ptrace access to it"
	switch {
	case pid == -1:
		need, why = 0, "profiling whole CPUs needs CAP_PERFMON (or CAP_SYS_ADMIN)"
	case a.Bits&unix.PerfBitExcludeKernel == 0:
		need, why = 1, "kernel samples need CAP_PERFMON; sample user space only (exclude the kernel)"
	case own && paranoid > 2:
		// Debian's and Android's level 3 refuses every unprivileged open.
		why = "profiling even your own processes needs CAP_PERFMON at this level"
	case own:
		why = "profiling your own process was refused: a security policy (seccomp, a container's profile, an LSM) may forbid perf_event_open; CAP_PERFMON allows it"
	}
	if paranoid == -2 {
		return why
	}
	if paranoid > need {
		return fmt.Sprintf("%s, or lower kernel.perf_event_paranoid from %d to %d (sysctl -w kernel.perf_event_paranoid=%d)", why, paranoid, need, need)
	}
	return fmt.Sprintf("%s (kernel.perf_event_paranoid is %d)", why, paranoid)
}

// ownProcess reports whether pid (0: the caller) is a process of the
// caller's effective user.
func ownProcess(pid int) bool {
	if pid == 0 || pid == os.Getpid() {
		return true
	}
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d", pid), &st); err != nil {
		return false
	}
	return int(st.Uid) == os.Geteuid()
}
