package profile

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/pmc"
)

// Event is a perf event to sample on.
type Event struct {
	Name   string // as given: "cpu-clock", "page-faults", "cycles:u", "software/config=2/", ...
	Type   uint32 // perf_event_attr type: PERF_TYPE_SOFTWARE, PERF_TYPE_HARDWARE, a PMU's type
	Config uint64 // perf_event_attr config
	// Unit is what a sample's period counts: "nanoseconds" for the clocks,
	// else "events".
	Unit string
	// PMC is the event as package pmc parsed it: its PMU, every config
	// word and its modifiers.
	PMC pmc.Event
}

// ParseEvent returns the event perf's -e names ("" means cpu-clock): any
// event package pmc parses (pmc.ParseEvent), such as "page-faults",
// "context-switches", "cycles:u", "L1-dcache-load-misses",
// "software/config=2/" or "cpu/event=0x3c,umask=0x0/". Software events work
// everywhere; hardware ones need a PMU, which virtual machines often lack
// (then Start returns ErrNotSupported); events of PMUs without an overflow
// interrupt (msr) parse but cannot be sampled. An event pmc cannot parse is
// an error wrapping ErrNotSupported and pmc's sentinel.
func ParseEvent(name string) (Event, error) {
	if name == "" {
		name = "cpu-clock"
	}
	e, err := pmc.ParseEvent(name)
	if err != nil {
		return Event{}, eventError{err}
	}
	unit := "events"
	if e.Type == unix.PERF_TYPE_SOFTWARE && (e.Config == unix.PERF_COUNT_SW_CPU_CLOCK || e.Config == unix.PERF_COUNT_SW_TASK_CLOCK) {
		unit = "nanoseconds"
	}
	return Event{Name: e.Name, Type: e.Type, Config: e.Config, Unit: unit, PMC: e}, nil
}

// eventError is pmc's error parsing an event, said with this package's
// prefix (once) and wrapping ErrNotSupported besides pmc's sentinel.
type eventError struct{ err error }

func (e eventError) Error() string {
	return "profile: " + ErrNotSupported.Error() + ": " + strings.TrimPrefix(e.err.Error(), "pmc: ")
}

func (e eventError) Unwrap() []error { return []error{ErrNotSupported, e.err} }

// samplingError says why ev cannot be sampled, before anything is opened:
// its PMU has no overflow interrupt, or it has a modifier sampling does not
// take. UserOnly and KernelOnly are the session's; :u and :k are mapped to
// them by samplingModes.
func samplingError(ev Event) error {
	e := ev.PMC
	switch {
	case !e.Sampleable:
		return fmt.Errorf("%w: event %q: the %s PMU has no overflow interrupt: its events can be counted but not sampled", ErrNotSupported, ev.Name, e.PMU)
	case e.ExcludeGuest || e.ExcludeHost || e.ExcludeIdle || e.Pinned || e.Attr().Sample_type != 0:
		return fmt.Errorf("%w: event %q: modifiers G, H, I, D and S do not apply to sampling (u, k and p do)", ErrNotSupported, ev.Name)
	case e.ExcludeUser && e.ExcludeKernel:
		return fmt.Errorf("%w: event %q: it counts neither user nor kernel mode, so it has nothing to sample", ErrNotSupported, ev.Name)
	}
	return nil
}

// samplingModes returns the session's UserOnly and KernelOnly with the
// event's :u or :k applied; an error when they contradict each other.
func samplingModes(ev Event, userOnly, kernelOnly bool) (bool, bool, error) {
	userOnly = userOnly || ev.PMC.ExcludeKernel
	kernelOnly = kernelOnly || ev.PMC.ExcludeUser
	if userOnly && kernelOnly {
		return false, false, fmt.Errorf("the modifiers of event %q exclude the mode UserOnly or KernelOnly keeps", ev.Name)
	}
	return userOnly, kernelOnly, nil
}
