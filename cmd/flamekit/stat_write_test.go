package main

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/pmc"
)

// countsOf returns counts of the events of list, each with its raw value
// from raw and enabled 1 s, running the share of it from running.
func countsOf(t *testing.T, list string, raw []uint64, running []float64) []pmc.Count {
	t.Helper()
	groups, err := pmc.ParseEvents(list)
	if err != nil {
		t.Fatal(err)
	}
	var cs []pmc.Count
	for _, g := range groups {
		for _, e := range g {
			i := len(cs)
			cs = append(cs, pmc.Count{Event: e, Raw: raw[i], Enabled: 1e9, Running: uint64(running[i] * 1e9)})
		}
	}
	return cs
}

// TestStatFormatsMultiplexed: the counts of events that shared the PMU
// (multiplexed, which a machine without one cannot show) are scaled and
// end with perf's "  (50.00%)" in the table and the percentage running in
// the CSV and JSON; an event that never ran is <not counted> ("(0.00%)"
// running, as perf prints it), with the
// metrics of the others computed from the scaled counts (IPC 2.00 here,
// perf's "insn per cycle", and GHz from task-clock).
func TestStatFormatsMultiplexed(t *testing.T) {
	cs := countsOf(t, "task-clock,cycles,instructions,branches,branch-misses",
		[]uint64{500e6, 1e9, 2e9, 0, 0}, []float64{1, 0.5, 0.5, 0, 1})
	lines := statLines(pmc.Reading{Counts: cs}, time.Second, false)
	table := statFormat{unitWidth: 4}
	for i, want := range []string{
		"            500.00 msec task-clock                       #    0.500 CPUs utilized          \n",
		"        2000000000      cycles                           #    4.000 GHz                      (50.00%)\n",
		"        4000000000      instructions                     #    2.00  insn per cycle           (50.00%)\n",
		"     <not counted>      branches                                                      (0.00%)\n",
		"                 0      branch-misses                                                      \n",
	} {
		if got := table.line(lines[i]); got != want {
			t.Errorf("table row %d:\n %q\nwant\n %q", i+1, got, want)
		}
	}
	csv := statFormat{sep: ","}
	if got, want := csv.line(lines[2]), "4000000000,,instructions,500000000,50.00,2.00,insn per cycle\n"; got != want {
		t.Errorf("CSV row %q, want %q", got, want)
	}
	if got, want := csv.line(lines[3]), "<not counted>,,branches,0,0.00,,\n"; got != want {
		t.Errorf("CSV row %q, want %q", got, want)
	}
	json := statFormat{json: true}
	if got, want := json.line(lines[1]), `{"counter-value" : "2000000000.000000", "unit" : "", "event" : "cycles", "event-runtime" : 500000000, "pcnt-running" : 50.00, "metric-value" : 4.000000, "metric-unit" : "GHz"}`+"\n"; got != want {
		t.Errorf("JSON row\n %s\nwant\n %s", got, want)
	}
}

// TestStatMetricColumns: --metrics prints a metric set's columns, a
// header of their names and a row of values, "-" for those not available
// (IPC without instructions counted).
func TestStatMetricColumns(t *testing.T) {
	cs := countsOf(t, pmc.PMCArch.Events, []uint64{3e6, 0, 1000, 50, 2000, 500}, []float64{1, 0, 1, 1, 1, 1})
	sc := &statColumns{set: &pmc.PMCArch}
	got := sc.row(pmc.Reading{Counts: cs}, true, 1500*time.Millisecond)
	want := "            TIME   K_CYCLES    K_INSTR        IPC BR_RETIRED BR_MISPRED       BMR%     LLCREF    LLCMISS       LLC%\n" +
		"     1.500000000       3000          -          -       1000         50       5.00       2000        500      75.00\n"
	if got != want {
		t.Errorf("columns:\n%s\nwant\n%s", got, want)
	}
}

// TestStatMetricsNeedAPMU: --metrics counts hardware events; where none
// can be counted, stat says so in one line and exits 1.
func TestStatMetricsNeedAPMU(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	if _, err := os.Stat("/sys/bus/event_source/devices/cpu"); err == nil {
		t.Skip("this machine has a PMU")
	}
	r := runCLI(t, "", "", "stat", "--metrics", "pmcarch", "--", "true")
	r.wantFailure(t, "stat --metrics pmcarch", 1, `"cycles"`, "no PMU")
}

// TestStatGluedFlags: values glued to one-letter flags as perf takes them
// ("-x,", "-I100", "-etask-clock") are split from them, up to the command,
// whose own flags are left alone.
func TestStatGluedFlags(t *testing.T) {
	got := splitGluedFlags([]string{"-x,", "-I100", "-etask-clock", "-a", "-e", "-x", "--cgroup", "-p1", "sleep", "-x,"})
	want := "-x , -I 100 -e task-clock -a -e -x --cgroup -p1 sleep -x,"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q\nwant %q", strings.Join(got, " "), want)
	}
}

// FuzzParseStatFlags: any command line is parsed or refused with a usage
// error, never a panic.
func FuzzParseStatFlags(f *testing.F) {
	for _, s := range []string{"-x, -e cycles -- true", "-I100 -a", "-r 3 sleep 1", "-e {a,b -A", "-x", "--metrics pmcarch -C 0-3", "-p 1,2 -j"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		f, err := parseStatFlags(strings.Fields(line), io.Discard)
		if err == nil && len(f.groups) == 0 {
			t.Fatalf("%q: parsed without events", line)
		}
	})
}
