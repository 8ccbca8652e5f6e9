package pmc

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenError explains err, an error opening e, with DefaultSysfs: see
// [Sysfs.OpenError].
func OpenError(e Event, err error) error { return DefaultSysfs.OpenError(e, err) }

// OpenError explains err, an error opening e (perf_event_open's, as
// internal/perfevent maps it). When it wraps ErrNotSupported it names the
// event and says why: a hardware event on a machine that exposes no CPU PMU
// (a virtual machine without one: the kernel answers ENOENT, or EOPNOTSUPP
// elsewhere), or a PMU that does not support it. Other errors are returned
// as they are. The message carries no package prefix: the caller's
// wrapping adds its own.
func (s Sysfs) OpenError(e Event, err error) error {
	if err == nil || !errors.Is(err, ErrNotSupported) {
		return err
	}
	switch {
	case e.hardware() && !s.hasCPUPMU():
		return fmt.Errorf("event %q: this machine exposes no PMU for it (no cpu PMU under %s, as in virtual machines without PMU passthrough): %w", e.Name, s.Root, err)
	case e.hardware():
		return fmt.Errorf("event %q: the CPU's PMU does not support it: %w", e.Name, err)
	case e.PMU != "":
		return fmt.Errorf("event %q: the %s PMU does not support it: %w", e.Name, e.PMU, err)
	}
	return fmt.Errorf("event %q: %w", e.Name, err)
}

// hardware reports whether e counts on the CPU's PMU: a generic hardware,
// cache or raw event, or an event of the cpu PMU.
func (e Event) hardware() bool {
	switch e.Type {
	case unix.PERF_TYPE_HARDWARE, unix.PERF_TYPE_HW_CACHE, unix.PERF_TYPE_RAW:
		return true
	}
	return e.PMU == "cpu" || e.PMU == "cpu_core" || e.PMU == "cpu_atom"
}

// hasCPUPMU reports whether the tree has a CPU PMU (cpu, or a hybrid
// machine's cpu_core and cpu_atom).
func (s Sysfs) hasCPUPMU() bool {
	for _, name := range []string{"cpu", "cpu_core", "cpu_atom"} {
		if _, err := s.readPMU(name); err == nil {
			return true
		}
	}
	return false
}

// noPMU says in one sentence that none of events can be opened because
// they are hardware events and the machine exposes no CPU PMU, or returns
// nil when that is not so. Its error wraps ErrNotSupported.
func (s Sysfs) noPMU(events []Event) error {
	names := make([]string, len(events))
	for i, e := range events {
		if !e.hardware() {
			return nil
		}
		names[i] = fmt.Sprintf("%q", e.Name)
	}
	if len(events) == 0 || s.hasCPUPMU() {
		return nil
	}
	return fmt.Errorf("this machine exposes no PMU for %s (no cpu PMU under %s, as in virtual machines without PMU passthrough): %w", strings.Join(names, ", "), s.Root, ErrNotSupported)
}
