package main

import (
	"math"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/pmc"
)

// statMetric is what perf stat prints beside a count (after "#"): a value
// formatted with format, and its unit.
type statMetric struct {
	ok     bool
	format string // "%8.3f", "%7.2f%%"
	value  float64
	unit   string // "CPUs utilized", "K/sec", "insn per cycle"
}

// statRatio is a ratio metric perf stat prints beside its numerator's
// count, computed by pmc, in perf's format and words.
type statRatio struct {
	metric       pmc.Metric
	format, unit string
}

// statRatios are the ratios perf stat prints beside hardware events.
var statRatios = []statRatio{
	{pmc.GHz, "%8.3f", "GHz"},
	{pmc.IPC, "%7.2f ", "insn per cycle"},
	{pmc.BranchMissPercent, "%7.2f%%", "of all branches"},
	{pmc.LLCMissPercent, "%8.3f %%", "of all cache refs"},
	{pmc.L1DMissPercent, "%7.2f%%", "of all L1-dcache accesses"},
	{pmc.LLCLoadMissPercent, "%7.2f%%", "of all LL-cache accesses"},
	{pmc.DTLBMissPercent, "%7.2f%%", "of all dTLB cache accesses"},
	{pmc.ITLBMissPercent, "%7.2f%%", "of all iTLB cache accesses"},
}

// statMetricOf is the metric perf stat prints beside c, one of the counts
// all (of the same CPU, or the totals), counted over wall time: CPUs
// utilized beside a clock, a ratio beside a hardware event whose
// denominator was counted, else the rate per second of the first clock
// counted (task-clock).
func statMetricOf(c pmc.Count, all []pmc.Count, wall float64) statMetric {
	if c.State() != pmc.Counted {
		return statMetric{}
	}
	if isClock(c.Event) {
		v, _ := c.Scaled()
		if wall <= 0 {
			return statMetric{}
		}
		return statMetric{ok: true, format: "%8.3f", value: v / wall, unit: "CPUs utilized"}
	}
	in := pmc.Reading{Counts: all}
	for _, r := range statRatios {
		if !sameEvent(c.Event, r.metric.Inputs[0]) {
			continue
		}
		den, ok := in.Find(r.metric.Inputs[1])
		if !ok {
			break
		}
		v := r.metric.Compute(pmc.Reading{Counts: []pmc.Count{c, den}})
		return statMetric{ok: v.Available, format: r.format, value: v.Value, unit: r.unit}
	}
	for _, clock := range all {
		ns, ok := clock.Scaled()
		if isClock(clock.Event) && ok && ns > 0 {
			v, _ := c.Scaled()
			rate, unit := perSecond(v / ns * 1e9)
			return statMetric{ok: true, format: "%8.3f", value: rate, unit: unit}
		}
	}
	return statMetric{}
}

// perSecond scales a rate per second as perf stat does: "G/sec", "M/sec"
// or "K/sec" above a billion, a million or a thousand, else "/sec".
func perSecond(v float64) (float64, string) {
	switch {
	case v > 1e9:
		return v / 1e9, "G/sec"
	case v > 1e6:
		return v / 1e6, "M/sec"
	case v > 1e3:
		return v / 1e3, "K/sec"
	}
	return v, "/sec"
}

// isClock reports whether e is a software clock (task-clock, cpu-clock),
// counted in nanoseconds and printed in msec.
func isClock(e pmc.Event) bool {
	return e.Type == unix.PERF_TYPE_SOFTWARE && (e.Config == unix.PERF_COUNT_SW_TASK_CLOCK || e.Config == unix.PERF_COUNT_SW_CPU_CLOCK)
}

// sameEvent reports whether e is the event called name, whatever it was
// called and its modifiers.
func sameEvent(e pmc.Event, name string) bool {
	n, err := pmc.ParseEvent(name)
	return err == nil && n.Type == e.Type && n.Config == e.Config && n.Config1 == e.Config1 && n.Config2 == e.Config2
}

// statValue is a count as perf stat prints it: clocks in msec, other
// events scaled by their PMU's scale in its unit; frac says whether it has
// decimals (a scale that is not a whole number).
func statValue(c pmc.Count) (v float64, unit string, frac bool) {
	if isClock(c.Event) {
		v, _ = c.Scaled()
		return v / 1e6, "msec", true
	}
	v, _ = c.Value()
	sc := c.Event.Scale
	return v, c.Event.Unit, sc != 0 && sc != math.Floor(sc)
}

// runningPercent is perf stat's percentage running: 100 × running /
// enabled, 100 when they are equal (both 0 for an event not supported).
func runningPercent(c pmc.Count) float64 {
	if c.Running == c.Enabled || c.Enabled == 0 {
		return 100
	}
	return 100 * float64(c.Running) / float64(c.Enabled)
}
