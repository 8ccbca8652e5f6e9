package pmc

import (
	"fmt"
	"strings"
)

// Metric is a number derived from the counts of named events, as perf
// stat's comment column and the pmc-cloud-tools print them. Its inputs
// are perf event names; a Reading's counts match them by event (type and
// config), so "cpu-cycles" or "cycles:u" count as "cycles".
type Metric struct {
	Name    string   // what the metric is called ("IPC")
	Unit    string   // "", "%", "GHz", "K/sec"
	Formula string   // how it is computed, in words
	Inputs  []string // the events it needs
	// compute derives the metric from the inputs' counts, in the order
	// of Inputs, all counted; false when a denominator is 0.
	compute func(in []Count) (float64, bool)
}

// MetricValue is a metric computed from a reading: its value, or why it
// is not available (an input not in the reading, not supported, not
// counted, or a denominator of 0). A metric that is not available has no
// value, not 0.
type MetricValue struct {
	Name      string
	Unit      string
	Value     float64
	Available bool
	// Why says why the metric is not available; "" when it is.
	Why string
}

// String formats the value as perf stat does, or "not available (why)".
func (v MetricValue) String() string {
	if !v.Available {
		return fmt.Sprintf("%s not available (%s)", v.Name, v.Why)
	}
	return strings.TrimSpace(fmt.Sprintf("%.2f %s %s", v.Value, v.Unit, v.Name))
}

// Compute computes m from the counts of r.
func (m Metric) Compute(r Reading) MetricValue {
	out := MetricValue{Name: m.Name, Unit: m.Unit}
	in := make([]Count, len(m.Inputs))
	for i, name := range m.Inputs {
		c, ok := r.Find(name)
		switch {
		case !ok:
			out.Why = name + " was not counted with it"
		case c.State() == NotSupported:
			out.Why = name + " is not supported"
		case c.State() == NotCounted:
			out.Why = name + " was not counted (never on a PMU)"
		}
		if out.Why != "" {
			return out
		}
		in[i] = c
	}
	v, ok := m.compute(in)
	if !ok {
		out.Why = "a denominator is 0"
		return out
	}
	out.Value, out.Available = v, true
	return out
}

// Find returns the count of the event named (matched by PMU type and
// config, so an alias or a modifier matches too; by name when name does
// not parse) and true, or false when r has none.
func (r Reading) Find(name string) (Count, bool) {
	e, err := ParseEvent(name)
	if err != nil {
		return r.Get(name)
	}
	for _, c := range r.Counts {
		if c.Event.Type == e.Type && c.Event.Config == e.Config && c.Event.Config1 == e.Config1 && c.Event.Config2 == e.Config2 {
			return c, true
		}
	}
	return Count{}, false
}

// scaledOf is the scaled value of a counted count.
func scaledOf(c Count) float64 {
	v, _ := c.Scaled()
	return v
}

// ratio is the metric a/b × mul over the inputs a and b.
func ratio(name, unit, formula, a, b string, mul float64) Metric {
	return Metric{Name: name, Unit: unit, Formula: formula, Inputs: []string{a, b},
		compute: func(in []Count) (float64, bool) {
			den := scaledOf(in[1])
			if den == 0 {
				return 0, false
			}
			return scaledOf(in[0]) / den * mul, true
		}}
}

// hit is 100 minus the miss percentage m, as a metric of its own.
func hit(name, formula string, m Metric) Metric {
	return Metric{Name: name, Unit: "%", Formula: formula, Inputs: m.Inputs,
		compute: func(in []Count) (float64, bool) {
			v, ok := m.compute(in)
			return 100 - v, ok
		}}
}

// count is the scaled count of one event divided by div, as a column.
func count(name, event string, div float64) Metric {
	return Metric{Name: name, Formula: fmt.Sprintf("%s / %g", event, div), Inputs: []string{event},
		compute: func(in []Count) (float64, bool) { return scaledOf(in[0]) / div, true }}
}

// The metrics perf stat and the pmc-cloud-tools derive from the kernel's
// generic events (which the kernel maps to each vendor's events, so the
// formulas hold on Intel and AMD alike). Each is not available when an
// input is missing, not supported or not counted, or its denominator is 0.
var (
	// IPC is instructions per cycle: instructions / cycles.
	IPC = ratio("IPC", "", "instructions / cycles", "instructions", "cycles", 1)
	// CPI is cycles per instruction: cycles / instructions.
	CPI = ratio("CPI", "", "cycles / instructions", "cycles", "instructions", 1)
	// BranchMissPercent is 100 × branch-misses / branches.
	BranchMissPercent = ratio("branch-miss", "%", "100 × branch-misses / branches", "branch-misses", "branches", 100)
	// L1DMissPercent is 100 × L1-dcache-load-misses / L1-dcache-loads.
	L1DMissPercent = ratio("L1D-miss", "%", "100 × L1-dcache-load-misses / L1-dcache-loads", "L1-dcache-load-misses", "L1-dcache-loads", 100)
	// L1DHitPercent is 100 − L1DMissPercent.
	L1DHitPercent = hit("L1D-hit", "100 − 100 × L1-dcache-load-misses / L1-dcache-loads", L1DMissPercent)
	// LLCMissPercent is 100 × cache-misses / cache-references (the last
	// level cache, as perf stat's "of all cache refs").
	LLCMissPercent = ratio("LLC-miss", "%", "100 × cache-misses / cache-references", "cache-misses", "cache-references", 100)
	// LLCHitPercent is 100 − LLCMissPercent (pmcarch's LLC%).
	LLCHitPercent = hit("LLC-hit", "100 − 100 × cache-misses / cache-references", LLCMissPercent)
	// LLCLoadMissPercent is 100 × LLC-load-misses / LLC-loads.
	LLCLoadMissPercent = ratio("LLC-load-miss", "%", "100 × LLC-load-misses / LLC-loads", "LLC-load-misses", "LLC-loads", 100)
	// DTLBMissPercent is 100 × dTLB-load-misses / dTLB-loads.
	DTLBMissPercent = ratio("dTLB-miss", "%", "100 × dTLB-load-misses / dTLB-loads", "dTLB-load-misses", "dTLB-loads", 100)
	// ITLBMissPercent is 100 × iTLB-load-misses / iTLB-loads.
	ITLBMissPercent = ratio("iTLB-miss", "%", "100 × iTLB-load-misses / iTLB-loads", "iTLB-load-misses", "iTLB-loads", 100)
	// GHz is the clock the counted code ran at: cycles / task-clock
	// nanoseconds (perf stat's "GHz" beside cycles).
	GHz = ratio("GHz", "GHz", "cycles / task-clock (ns)", "cycles", "task-clock", 1)
)

// KPerSec is the rate of event per second of CPU time, in thousands:
// event / task-clock (ns) × 1e9 / 1e3 (perf stat's "K/sec" beside a
// software event).
func KPerSec(event string) Metric {
	return ratio(event+"-rate", "K/sec", event+" / task-clock (ns) × 1e6", event, "task-clock", 1e6)
}

// MetricSet is the columns a tool prints, the events that feed them
// (an event list: each {...} a group) and their metrics.
type MetricSet struct {
	Name    string
	Events  string
	Columns []Metric
}

// The column sets of the pmc-cloud-tools, from the generic events.
// Their originals program Intel's raw events; columns with no generic
// event (cpucache's L2 misses, tlbstat's page walk cycles) are left out,
// and tlbstat's DTLB%/ITLB% (walk cycles per cycle) become miss
// percentages.
var (
	// PMCArch is pmcarch's columns: K_CYCLES K_INSTR IPC BR_RETIRED
	// BR_MISPRED BMR% LLCREF LLCMISS LLC% (a hit percentage).
	PMCArch = MetricSet{Name: "pmcarch", Events: "{cycles,instructions},{branches,branch-misses},{cache-references,cache-misses}",
		Columns: []Metric{
			count("K_CYCLES", "cycles", 1e3), count("K_INSTR", "instructions", 1e3), named("IPC", IPC),
			count("BR_RETIRED", "branches", 1), count("BR_MISPRED", "branch-misses", 1), named("BMR%", BranchMissPercent),
			count("LLCREF", "cache-references", 1), count("LLCMISS", "cache-misses", 1), named("LLC%", LLCHitPercent),
		}}
	// CPUCache is cpucache's columns: CYCLES INSTR IPC L1DREAD L1DMISS
	// L1D% LLCREF LLCMISS LLC% (hit percentages).
	CPUCache = MetricSet{Name: "cpucache", Events: "{cycles,instructions},{L1-dcache-loads,L1-dcache-load-misses},{cache-references,cache-misses}",
		Columns: []Metric{
			count("CYCLES", "cycles", 1), count("INSTR", "instructions", 1), named("IPC", IPC),
			count("L1DREAD", "L1-dcache-loads", 1), count("L1DMISS", "L1-dcache-load-misses", 1), named("L1D%", L1DHitPercent),
			count("LLCREF", "cache-references", 1), count("LLCMISS", "cache-misses", 1), named("LLC%", LLCHitPercent),
		}}
	// TLBStat is tlbstat's columns: K_CYCLES K_INSTR IPC DTLB_WALKS
	// ITLB_WALKS DTLB_MISS% ITLB_MISS% (the walks being the TLB misses).
	TLBStat = MetricSet{Name: "tlbstat", Events: "{cycles,instructions},{dTLB-loads,dTLB-load-misses},{iTLB-loads,iTLB-load-misses}",
		Columns: []Metric{
			count("K_CYCLES", "cycles", 1e3), count("K_INSTR", "instructions", 1e3), named("IPC", IPC),
			count("DTLB_WALKS", "dTLB-load-misses", 1), count("ITLB_WALKS", "iTLB-load-misses", 1),
			named("DTLB_MISS%", DTLBMissPercent), named("ITLB_MISS%", ITLBMissPercent),
		}}
)

// named is m under a column's name.
func named(name string, m Metric) Metric {
	m.Name = name
	return m
}

// Compute computes every column of s from r.
func (s MetricSet) Compute(r Reading) []MetricValue {
	vs := make([]MetricValue, len(s.Columns))
	for i, m := range s.Columns {
		vs[i] = m.Compute(r)
	}
	return vs
}
