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
