package profile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// ErrPermission reports that profiling was refused for lack of privilege.
// The wrapping error says what would allow it: a capability (CAP_PERFMON,
// CAP_BPF, CAP_SYS_ADMIN), a lower kernel.perf_event_paranoid, or
// profiling user space only. It is the same error as the other flamekit
// packages return for a refusal.
var ErrPermission = errs.ErrPermission

// ErrNotSupported reports an event, target or backend this kernel or
// machine does not support, such as a hardware counter in a virtual
// machine without a PMU. errors.Is(ErrNotSupported, errors.ErrUnsupported)
// holds. It is the same error as the other flamekit packages return for
// what is not supported.
var ErrNotSupported = errs.ErrNotSupported

// ErrNoProcess reports a process of Options.PIDs that does not exist when
// Start is called. (A process that exits while it is profiled is not an
// error: its samples stay in the profile.)
var ErrNoProcess = sampler.ErrNoProcess

// ErrStopped is returned by Collect and Stop after the session stopped.
var ErrStopped = errors.New("profile: session stopped")

// backendsError is the failure of every backend Start tried, with each
// one's reason, in the order they were tried.
type backendsError struct {
	backends []Backend
	errs     []error
}

func (e *backendsError) Error() string {
	if len(e.errs) == 1 {
		return fmt.Sprintf("%s: %v", e.backends[0], e.errs[0])
	}
	parts := make([]string, len(e.errs))
	for i, err := range e.errs {
		parts[i] = fmt.Sprintf("%s: %v", e.backends[i], err)
	}
	return "no backend could record: " + strings.Join(parts, "; ")
}

func (e *backendsError) Unwrap() []error { return e.errs }

// prefixed adds the package prefix to an error of the work, at the API:
// the functions that do the work return errors without it.
func prefixed(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("profile: %w", err)
}
