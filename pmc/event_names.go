package pmc

import (
	"strings"

	"golang.org/x/sys/unix"
)

// namedEvent is a generic event perf names without a PMU.
type namedEvent struct {
	names  []string // perf's name first, then its aliases
	typ    uint32
	config uint64
}

// genericEvents are perf's generic hardware and software events, by the
// names and aliases `perf list hw sw` prints.
var genericEvents = []namedEvent{
	{[]string{"cycles", "cpu-cycles"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES},
	{[]string{"instructions"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_INSTRUCTIONS},
	{[]string{"cache-references"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_REFERENCES},
	{[]string{"cache-misses"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_MISSES},
	{[]string{"branches", "branch-instructions"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
	{[]string{"branch-misses"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_MISSES},
	{[]string{"bus-cycles"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BUS_CYCLES},
	{[]string{"stalled-cycles-frontend", "idle-cycles-frontend"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
	{[]string{"stalled-cycles-backend", "idle-cycles-backend"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
	{[]string{"ref-cycles"}, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_REF_CPU_CYCLES},

	{[]string{"cpu-clock"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK},
	{[]string{"task-clock"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_TASK_CLOCK},
	{[]string{"page-faults", "faults"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS},
	{[]string{"context-switches", "cs"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES},
	{[]string{"cpu-migrations", "migrations"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_MIGRATIONS},
	{[]string{"minor-faults"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MIN},
	{[]string{"major-faults"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MAJ},
	{[]string{"alignment-faults"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_ALIGNMENT_FAULTS},
	{[]string{"emulation-faults"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_EMULATION_FAULTS},
	{[]string{"dummy"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_DUMMY},
	{[]string{"bpf-output"}, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_BPF_OUTPUT},
	{[]string{"cgroup-switches"}, unix.PERF_TYPE_SOFTWARE, swCgroupSwitches},
}

// swCgroupSwitches is PERF_COUNT_SW_CGROUP_SWITCHES (Linux 5.13).
const swCgroupSwitches = 11

// lookupGeneric returns the generic event perf calls name (case-insensitive,
// as perf matches them).
func lookupGeneric(name string) (namedEvent, bool) {
	lower := strings.ToLower(name)
	for _, e := range genericEvents {
		for _, n := range e.names {
			if n == lower {
				return e, true
			}
		}
	}
	return namedEvent{}, false
}
