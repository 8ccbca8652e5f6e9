package perfevent

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Event is an open perf event file descriptor.
type Event struct {
	fd int
}

// Open opens the event a on thread pid (0 the caller, -1 any) and CPU cpu
// (-1 any), close-on-exec. Errors wrap ErrPermission or ErrNotSupported
// where those apply, and the errno.
func Open(a *unix.PerfEventAttr, pid, cpu int) (*Event, error) {
	return OpenGroup(a, pid, cpu, nil, 0)
}

// FD returns the file descriptor, for polling.
func (e *Event) FD() int { return e.fd }

// Enable starts counting.
func (e *Event) Enable() error { return e.ioctl("enable", unix.PERF_EVENT_IOC_ENABLE, 0) }

// Disable stops counting.
func (e *Event) Disable() error { return e.ioctl("disable", unix.PERF_EVENT_IOC_DISABLE, 0) }

// SetOutput sends e's records to the ring buffer of to, which must be on
// the same CPU.
func (e *Event) SetOutput(to *Event) error {
	return e.ioctl("set output", unix.PERF_EVENT_IOC_SET_OUTPUT, to.fd)
}

func (e *Event) ioctl(what string, req uint, arg int) error {
	if err := unix.IoctlSetInt(e.fd, req, arg); err != nil {
		return fmt.Errorf("perfevent: %s: %w", what, err)
	}
	return nil
}

// Close closes the file descriptor; a ring buffer mapped from it must be
// closed as well to release the event.
func (e *Event) Close() error {
	if e.fd < 0 {
		return nil
	}
	err := unix.Close(e.fd)
	e.fd = -1
	if err != nil {
		return fmt.Errorf("perfevent: close: %w", err)
	}
	return nil
}
