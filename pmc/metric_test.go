package pmc

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// reading builds a reading of the named events with raw values, each
// enabled 1 s and running the given share of it (0: not counted).
func reading(t *testing.T, share float64, kv ...any) Reading {
	t.Helper()
	var r Reading
	for i := 0; i < len(kv); i += 2 {
		name := kv[i].(string)
		e, err := ParseEvent(name)
		if err != nil {
			e = Event{Name: name}
		}
		c := Count{Event: e, Raw: uint64(kv[i+1].(int)), Enabled: 1e9, Running: uint64(share * 1e9)}
		r.Counts = append(r.Counts, c)
	}
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestMetricFormulas: each metric is its documented formula over the
// scaled counts (a quarter running share scales both sides alike).
func TestMetricFormulas(t *testing.T) {
	r := reading(t, 0.25,
		"cpu-cycles", 2000, "instructions", 3000, "branches", 400, "branch-misses", 10,
		"L1-dcache-loads", 1000, "L1-dcache-load-misses", 50, "cache-references", 200, "cache-misses", 20,
		"LLC-loads", 80, "LLC-load-misses", 8, "dTLB-loads", 900, "dTLB-load-misses", 9,
		"iTLB-loads", 500, "iTLB-load-misses", 1, "page-faults", 30)
	// task-clock ran the whole time: 4000 ns.
	r.Counts = append(r.Counts, Count{Event: mustParse(t, "task-clock"), Raw: 4000, Enabled: 1e9, Running: 1e9})
	for _, tc := range []struct {
		m    Metric
		want float64
	}{
		{IPC, 1.5}, {CPI, 2.0 / 3}, {BranchMissPercent, 2.5}, {L1DMissPercent, 5}, {L1DHitPercent, 95},
		{LLCMissPercent, 10}, {LLCHitPercent, 90}, {LLCLoadMissPercent, 10}, {DTLBMissPercent, 1},
		{ITLBMissPercent, 0.2}, {GHz, 2000 * 4 / 4000.0}, {KPerSec("page-faults"), 30 * 4 / 4000.0 * 1e6},
	} {
		v := tc.m.Compute(r)
		if !v.Available || !near(v.Value, tc.want) {
			t.Errorf("%s (%s): %v, want %v", tc.m.Name, tc.m.Formula, v, tc.want)
		}
	}
	got := PMCArch.Compute(r)
	want := []float64{8, 12, 1.5, 1600, 40, 2.5, 800, 80, 90}
	for i, v := range got {
		if !v.Available || !near(v.Value, want[i]) {
			t.Errorf("pmcarch %s: %v, want %v", v.Name, v, want[i])
		}
	}
}

func mustParse(t *testing.T, name string) Event {
	t.Helper()
	e, err := ParseEvent(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestMetricNotAvailable: a metric whose input is missing, not supported
// or not counted, or whose denominator is 0, is not available, with the
// reason, and never 0.
func TestMetricNotAvailable(t *testing.T) {
	missing := reading(t, 1, "instructions", 10)
	notCounted := reading(t, 0, "instructions", 0, "cycles", 0)
	unsupported := reading(t, 1, "instructions", 10, "cycles", 0)
	unsupported.Counts[1].Err = ErrNotSupported
	zero := reading(t, 1, "instructions", 10, "cycles", 0)
	for _, tc := range []struct {
		name string
		r    Reading
		why  string
	}{
		{"missing", missing, "cycles was not counted with it"},
		{"not counted", notCounted, "instructions was not counted"},
		{"not supported", unsupported, "cycles is not supported"},
		{"zero cycles", zero, "denominator is 0"},
	} {
		v := IPC.Compute(tc.r)
		if v.Available || v.Value != 0 || !strings.Contains(v.Why, tc.why) || !strings.Contains(v.String(), "not available") {
			t.Errorf("%s: %+v (%s), want not available: %s", tc.name, v, v, tc.why)
		}
	}
	for _, v := range TLBStat.Compute(Reading{}) {
		if v.Available {
			t.Errorf("tlbstat %s from nothing: %v", v.Name, v)
		}
	}
}

// TestBoost: showboost's clock is the TSC rate times APERF/MPERF; where
// the msr PMU has no aperf (as in this VM, whose msr PMU has only tsc),
// its events are not supported.
func TestBoost(t *testing.T) {
	r := reading(t, 1, "msr/tsc/", 3_000_000_000, "msr/aperf/", 1_200_000, "msr/mperf/", 1_000_000)
	if v := Boost.Compute(r); !v.Available || !near(v.Value, 3.6) {
		t.Errorf("boost clock %v, want 3.6 GHz", v)
	}
	gs, err := ParseBoostEvents()
	if _, statErr := os.Stat("/sys/bus/event_source/devices/msr/events/aperf"); statErr != nil {
		if !errors.Is(err, ErrNotSupported) {
			t.Fatalf("no msr/aperf here, yet ParseBoostEvents gives %v, %v", gs, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCounter(AllCPUs(), gs...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	time.Sleep(100 * time.Millisecond)
	r, err = c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if v := Boost.Compute(r); !v.Available || v.Value < 0.1 || v.Value > 10 {
		t.Errorf("boost clock %v", v)
	}
}
