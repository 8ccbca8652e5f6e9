package profile

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Event is a perf event to sample on.
type Event struct {
	Name   string // as perf names it: "cpu-clock", "page-faults", "cycles", ...
	Type   uint32 // perf_event_attr type: PERF_TYPE_SOFTWARE, PERF_TYPE_HARDWARE
	Config uint64 // perf_event_attr config
	// Unit is what a sample's period counts: "nanoseconds" for the clocks,
	// else "events".
	Unit string
}

// events lists the events ParseEvent knows, by perf's names and aliases.
// Software events work everywhere; hardware ones need a PMU, which virtual
// machines often lack (then Start returns ErrNotSupported).
var events = []struct {
	names []string
	ev    Event
}{
	{[]string{"cpu-clock"}, Event{"cpu-clock", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, "nanoseconds"}},
	{[]string{"task-clock"}, Event{"task-clock", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_TASK_CLOCK, "nanoseconds"}},
	{[]string{"page-faults", "faults"}, Event{"page-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS, "events"}},
	{[]string{"minor-faults"}, Event{"minor-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MIN, "events"}},
	{[]string{"major-faults"}, Event{"major-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MAJ, "events"}},
	{[]string{"context-switches", "cs"}, Event{"context-switches", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES, "events"}},
	{[]string{"cpu-migrations", "migrations"}, Event{"cpu-migrations", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_MIGRATIONS, "events"}},
	{[]string{"cycles", "cpu-cycles"}, Event{"cycles", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES, "events"}},
	{[]string{"instructions"}, Event{"instructions", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_INSTRUCTIONS, "events"}},
	{[]string{"cache-references"}, Event{"cache-references", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_REFERENCES, "events"}},
	{[]string{"cache-misses"}, Event{"cache-misses", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_MISSES, "events"}},
	{[]string{"branches", "branch-instructions"}, Event{"branches", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_INSTRUCTIONS, "events"}},
	{[]string{"branch-misses"}, Event{"branch-misses", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_MISSES, "events"}},
}

// ParseEvent returns the event perf calls name ("" means cpu-clock).
func ParseEvent(name string) (Event, error) {
	if name == "" {
		name = "cpu-clock"
	}
	for _, e := range events {
		if slices.Contains(e.names, strings.ToLower(name)) {
			return e.ev, nil
		}
	}
	var known []string
	for _, e := range events {
		known = append(known, e.names[0])
	}
	return Event{}, fmt.Errorf("profile: %w: unknown event %q (known: %s)", ErrNotSupported, name, strings.Join(known, ", "))
}
