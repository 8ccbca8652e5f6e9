package perfevent

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
)

// TestSentinelsShared checks that the sentinels are internal/errs', which
// package profile returns too, and that an open error names this package
// once.
func TestSentinelsShared(t *testing.T) {
	if ErrPermission != errs.ErrPermission || ErrNotSupported != errs.ErrNotSupported {
		t.Errorf("perfevent's sentinels (%v, %v) are not internal/errs'", ErrPermission, ErrNotSupported)
	}
	sw := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE}}.Attr()
	err := openError(unix.EACCES, &sw, -1, 0)
	if !errors.Is(err, errs.ErrPermission) {
		t.Errorf("%v is not errs.ErrPermission", err)
	}
	if n := strings.Count(err.Error(), "perfevent:"); n != 1 || !strings.HasPrefix(err.Error(), "perfevent: perf_event_open(") {
		t.Errorf("%q: want it to start with the package prefix, once", err)
	}
}

// TestPermissionAdvice checks what a refused open is told to do: the
// caller's own process is not called another user's, whose advice names
// ptrace; the level that allows it is named with the sysctl.
func TestPermissionAdvice(t *testing.T) {
	user := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Bits: unix.PerfBitExcludeKernel}
	kernel := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE}
	for _, c := range []struct {
		name     string
		attr     *unix.PerfEventAttr
		pid      int
		own      bool
		paranoid int
		want     []string
		not      []string
	}{
		{"own process at 3", &user, 0, true, 3, []string{"your own processes", "from 3 to 2"}, []string{"another user"}},
		{"own process at 2", &user, 0, true, 2, []string{"your own process was refused", "security policy", "is 2)"}, []string{"another user", "lower"}},
		{"another user's at 2", &user, 1, false, 2, []string{"another user's process", "ptrace", "is 2)"}, nil},
		{"another user's at 3", &user, 1, false, 3, []string{"another user's process", "from 3 to 2"}, nil},
		{"kernel samples at 2", &kernel, 0, true, 2, []string{"kernel samples", "from 2 to 1"}, nil},
		{"whole CPUs at 1", &user, -1, false, 1, []string{"whole CPUs", "from 1 to 0"}, nil},
		{"unknown level", &user, 0, true, -2, []string{"your own process"}, []string{"paranoid"}},
	} {
		got := adviceFor(c.attr, c.pid, c.own, c.paranoid)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q does not say %q", c.name, got, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q says %q", c.name, got, n)
			}
		}
	}
	if !ownProcess(0) || !ownProcess(unix.Getpid()) {
		t.Error("ownProcess: the caller's own process is not its own")
	}
}
