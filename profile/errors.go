package profile

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPermission reports that profiling was refused for lack of privilege.
// The wrapping error says what would allow it: a capability (CAP_PERFMON,
// CAP_BPF, CAP_SYS_ADMIN), a lower kernel.perf_event_paranoid, or
// profiling user space only.
var ErrPermission = errors.New("profile: permission denied")

// ErrNotSupported reports an event, target or backend this kernel or
// machine does not support, such as a hardware counter in a virtual
// machine without a PMU. It wraps errors.ErrUnsupported.
var ErrNotSupported = fmt.Errorf("profile: not supported: %w", errors.ErrUnsupported)

// ErrNoProcess reports a process of Options.PIDs that does not exist when
// Start is called. (A process that exits while it is profiled is not an
// error: its samples stay in the profile.)
var ErrNoProcess = errors.New("profile: no such process")

// Errors of this package carry its "profile: " prefix once: the functions
// that do the work return errors without it, and the exported functions
// and methods add it. Those that are of a kind callers branch on are made
// by kindOf or noProcess, which put the sentinel in the chain without its
// text (and its prefix) in the message.

// kindError is an error of a kind: errors.Is finds the sentinel and the
// cause in errs, and the message is msg alone.
type kindError struct {
	msg  string
	errs []error // the sentinel, then the cause when there is one
}

func (e *kindError) Error() string   { return e.msg }
func (e *kindError) Unwrap() []error { return e.errs }

// kindOf returns err as an error of kind (ErrPermission, ErrNotSupported,
// ErrNoProcess), with err's message.
func kindOf(kind, err error) error {
	return &kindError{msg: err.Error(), errs: []error{kind, err}}
}

// kindf returns an error of kind with a message of its own.
func kindf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), errs: []error{kind}}
}

// noProcess reports that process pid does not exist; cause is how that
// was found, or nil.
func noProcess(pid uint32, cause error) error {
	e := &kindError{msg: fmt.Sprintf("no process %d", pid), errs: []error{ErrNoProcess}}
	if cause != nil {
		e.errs = append(e.errs, cause)
	}
	return e
}

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

// prefixed adds the package prefix to an error of the work, at the API.
func prefixed(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("profile: %w", err)
}
