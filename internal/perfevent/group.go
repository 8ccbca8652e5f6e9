package perfevent

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OpenGroup opens the event a on pid and cpu as Open does, as a member of
// leader's group (nil: a new group led by this event), with the extra
// perf_event_open flags given (unix.PERF_FLAG_PID_CGROUP, where pid is then
// a cgroup directory's file descriptor). Errors are mapped as Open's are.
func OpenGroup(a *unix.PerfEventAttr, pid, cpu int, leader *Event, flags int) (*Event, error) {
	group := -1
	if leader != nil {
		group = leader.fd
	}
	fd, err := unix.PerfEventOpen(a, pid, cpu, group, flags|unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return nil, openError(err, a, pid, cpu)
	}
	return &Event{fd: fd}, nil
}

// ID returns the kernel's id of the event (PERF_EVENT_IOC_ID), which
// group reads with PERF_FORMAT_ID tag each value with.
func (e *Event) ID() (uint64, error) {
	var id uint64
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(e.fd), uintptr(unix.PERF_EVENT_IOC_ID), uintptr(unsafe.Pointer(&id)))
	if errno != 0 {
		return 0, fmt.Errorf("perfevent: event id: %w", errno)
	}
	return id, nil
}

// EnableGroup, DisableGroup and ResetGroup start, stop and zero every
// event of the group e leads, together (PERF_IOC_FLAG_GROUP).
func (e *Event) EnableGroup() error {
	return e.ioctl("enable group", unix.PERF_EVENT_IOC_ENABLE, unix.PERF_IOC_FLAG_GROUP)
}

// DisableGroup stops every event of the group e leads; see EnableGroup.
func (e *Event) DisableGroup() error {
	return e.ioctl("disable group", unix.PERF_EVENT_IOC_DISABLE, unix.PERF_IOC_FLAG_GROUP)
}

// ResetGroup zeroes every event of the group e leads; see EnableGroup.
func (e *Event) ResetGroup() error {
	return e.ioctl("reset group", unix.PERF_EVENT_IOC_RESET, unix.PERF_IOC_FLAG_GROUP)
}

// Read reads the event's counts, in the layout its read_format asks for,
// into buf and returns the number of bytes read.
func (e *Event) Read(buf []byte) (int, error) {
	n, err := unix.Read(e.fd, buf)
	if err != nil {
		return 0, fmt.Errorf("perfevent: read counts: %w", err)
	}
	return n, nil
}
