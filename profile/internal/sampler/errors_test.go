package sampler

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
)

// TestMark checks that an error of a kind is found by errors.Is as its
// kind and its cause, and reads as its own message alone.
func TestMark(t *testing.T) {
	cause := fmt.Errorf("loading: %w", unix.EPERM)
	for _, c := range []struct {
		err   error
		kinds []error
		msg   string
	}{
		{Mark(errs.ErrPermission, cause), []error{errs.ErrPermission, unix.EPERM}, "loading: operation not permitted"},
		{Markf(errs.ErrNotSupported, "no %s", "cgroup"), []error{errs.ErrNotSupported, errors.ErrUnsupported}, "no cgroup"},
		{NoProcess(42, fs.ErrNotExist), []error{ErrNoProcess, fs.ErrNotExist}, "no process 42"},
		{NoProcess(42, nil), []error{ErrNoProcess}, "no process 42"},
	} {
		for _, k := range c.kinds {
			if !errors.Is(c.err, k) {
				t.Errorf("%q is not %v", c.err, k)
			}
		}
		if c.err.Error() != c.msg {
			t.Errorf("message %q, want %q", c.err, c.msg)
		}
	}
}
