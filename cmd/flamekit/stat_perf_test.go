package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// statWorkload builds pmc's test program, which touches N fresh pages
// ("pages N": N page faults), sleeps 1 ms N times ("sleep N") or spins
// ("spin MS"), printing "ready" and "done" on stdout.
func statWorkload(t *testing.T) string {
	return testenv.BuildC(t, "gcc", "workload", []string{"../../pmc/testdata/workload.c"}, "-O1", "-pthread")
}

// perfStat runs perf stat with args and returns its stderr lines, where
// it prints its counts.
func perfStat(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("perf", append([]string{"stat"}, args...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("perf stat %v: %v", args, err)
		}
	}
	return strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
}

// TestStatLikePerf runs flamekit stat and perf stat on the same runs, in
// each output format, and compares what scripts read: the same lines, the
// same fields in the same order, the same units, events and metric units,
// "<not supported>" on the same events — every field but the numbers —
// and, for the table, the same columns (line by line, the event names and
// the "#" at the same place, lines as long).
func TestStatLikePerf(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	testenv.RequireTool(t, "perf", "linux-perf")
	bin := statWorkload(t)
	pages := []string{"--", bin, "pages", "3000"}
	sleeps := []string{"--", bin, "sleep", "250"}
	cases := []struct {
		name string
		args []string
		root bool // counts CPUs
	}{
		{"table", pages, false},
		{"table events", append([]string{"-e", "task-clock,page-faults,cs,cycles,instructions"}, pages...), false},
		{"csv", append([]string{"-x,", "-e", "task-clock,page-faults,cs,cycles,instructions"}, pages...), false},
		{"csv semicolon", append([]string{"-x", ";", "-e", "page-faults,task-clock,cycles"}, pages...), false},
		{"csv default events", append([]string{"-x,"}, pages...), false},
		{"json", append([]string{"-j", "-e", "task-clock,page-faults,cycles"}, pages...), false},
		{"table repeated", append([]string{"-r", "3", "-e", "task-clock,page-faults,cycles"}, pages...), false},
		{"csv repeated", append([]string{"-x,", "-r", "3", "-e", "task-clock,page-faults,cycles"}, pages...), false},
		{"json repeated", append([]string{"-j", "-r", "3", "-e", "task-clock,page-faults,cycles"}, pages...), false},
		{"table intervals", append([]string{"-I", "100", "-e", "task-clock,cs,cycles"}, sleeps...), false},
		{"csv intervals", append([]string{"-x,", "-I", "100", "-e", "task-clock,cs,cycles"}, sleeps...), false},
		{"json intervals", append([]string{"-j", "-I", "100", "-e", "task-clock,cs,cycles"}, sleeps...), false},
		{"table per CPU", []string{"-a", "-A", "-e", "cpu-clock,page-faults,cycles", "--", "sleep", "0.1"}, true},
		{"csv per CPU", []string{"-x,", "-a", "-A", "-e", "cpu-clock,page-faults,cycles", "--", "sleep", "0.1"}, true},
		{"json per CPU", []string{"-j", "-a", "-A", "-e", "cpu-clock,page-faults,cycles", "--", "sleep", "0.1"}, true},
		{"table system wide", []string{"-a", "--", "sleep", "0.1"}, true},
		{"table per CPU intervals", []string{"-I", "100", "-a", "-A", "-e", "cpu-clock,cycles", "--", "sleep", "0.25"}, true},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			if c.root {
				testenv.RequireRoot(t)
			}
			want := perfStat(t, c.args...)
			r := runCLI(t, "", "", append([]string{"stat"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %q", r.code, r.stderr)
			}
			got := r.stderr
			if strings.Contains(c.name, "intervals") {
				// The runs' lengths differ by a few ms: compare the
				// rows both have, two intervals at least.
				n := min(len(want), len(got))
				if n < 5 {
					t.Fatalf("too few interval rows: %q, perf stat's %q", got, want)
				}
				want, got = want[:n], got[:n]
			}
			if len(got) != len(want) {
				t.Fatalf("%d lines, perf stat prints %d:\n%s\nperf stat:\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for i := range want {
				if strings.Contains(c.name, "intervals") && strings.Contains(got[i]+want[i], "<not counted>") {
					// A program that did not run at all in an
					// interval (a loaded machine) has its events not
					// counted there, in one run and not the other.
					continue
				}
				if g, w := shapeOf(got[i]), shapeOf(want[i]); g != w {
					t.Errorf("line %d:\n  %q\nperf stat's:\n  %q\n(shapes %q and %q)", i+1, got[i], want[i], g, w)
				}
			}
		})
	}
}

var (
	statNumber    = regexp.MustCompile(`[0-9][0-9.]*`)
	statRate      = regexp.MustCompile(`[KMG]?/sec`)
	statJSONValue = regexp.MustCompile(`"counter-value" : "N"`)
	statColumn    = regexp.MustCompile(`[a-z<]`) // where a row's unit or event starts
	statNoise     = regexp.MustCompile(`  \( \+-[ N0-9.]+% \)$`)
)

// shapeOf is a line of perf stat's output without what varies from run to
// run: numbers become N ("CPU0" too, and the unit of a rate, K/sec or
// /sec), and for the table the line's length and where its event name
// and "#" start are kept.
func shapeOf(line string) string {
	s := statRate.ReplaceAllString(statNumber.ReplaceAllString(line, "N"), "/sec")
	s = statJSONValue.ReplaceAllString(s, `"counter-value" : N`)
	if strings.HasPrefix(line, "{") || strings.Count(line, ",") >= 3 || strings.Count(line, ";") >= 3 {
		return s // CSV and JSON: the fields, numbers aside
	}
	// A table row: its words and, for a count's row, where its columns
	// start and its length; a count's variation over runs (shown unless
	// 0.00%, which it is in some runs only) aside.
	if strings.Contains(line, "#") {
		line = statNoise.ReplaceAllString(line, "")
		s = statNoise.ReplaceAllString(s, "")
	}
	s = strings.Join(strings.Fields(s), " ")
	if !strings.Contains(line, "#") && !strings.Contains(line, "<not") {
		return s
	}
	name := statColumn.FindStringIndex(line)
	return fmt.Sprintf("%s @%d #%d len %d", s, name[0], strings.Index(line, "#"), len(line))
}
