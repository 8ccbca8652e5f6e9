package scope

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// The workload of testdata/phases.c: about 3 s in steady_phase, then a
// 200 ms burst in burst_phase at the start of each of 5 seconds, asleep
// the rest of them.
const phasesBursts = "5"

// buildPhases builds the workload.
func buildPhases(t *testing.T) string {
	t.Helper()
	return testenv.BuildC(t, "gcc", "scopephases", []string{filepath.Join("testdata", "phases.c")}, "-O0", "-fno-omit-frame-pointer")
}

func TestPhasesRecordedByPerf(t *testing.T) {
	perf := testenv.RequireTool(t, "perf", "apt-get install linux-perf")
	testenv.RequireSelfProfiling(t)
	bin := buildPhases(t)
	data := filepath.Join(t.TempDir(), "perf.data")
	checkPhases(t, func() *Profile {
		rec := exec.Command(perf, "record", "-q", "--no-buildid-cache", "-F", "999", "-g", "-o", data, "--", bin, phasesBursts)
		if out, err := rec.CombinedOutput(); err != nil {
			t.Fatalf("perf record: %v\n%s", err, out)
		}
		script := exec.Command(perf, "script", "-i", data)
		var stderr bytes.Buffer
		script.Stderr = &stderr
		out, err := script.Output()
		if err != nil {
			t.Fatalf("perf script: %v\n%s", err, stderr.Bytes())
		}
		p, err := ReadPerfScript(bytes.NewReader(out), PerfOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}, "steady_phase", "burst_phase")
}

func TestPhasesRecordedByProfile(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := buildPhases(t)
	checkPhases(t, func() *Profile {
		s, err := profile.Start(context.Background(), profile.Options{
			Command: exec.Command(bin, phasesBursts), Backend: profile.BackendPerf,
			Frequency: 999, UserOnly: true, Timed: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		select {
		case <-s.Done():
		case <-time.After(60 * time.Second):
			t.Fatal("the workload did not finish")
		}
		rec, err := s.Stop()
		if err != nil {
			t.Fatal(err)
		}
		p, err := FromRecording(rec, profile.FoldOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The recording's perf script text makes the same heat map.
		var text bytes.Buffer
		if err := rec.WritePerfScript(&text); err != nil {
			t.Fatal(err)
		}
		fromText, err := ReadPerfScript(&text, PerfOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := heatMapJSON(t, fromText), heatMapJSON(t, p); got != want {
			t.Errorf("the heat map of the recording's perf script text differs from the recording's:\n%s\n%s", got, want)
		}
		return p
	}, "steady_phase", "burst_phase")
}

// checkPhases checks the heat map of a phases workload: full columns of
// steadyFn, then in each burst second a stripe of about a fifth of the
// column (10 rows of 50) at the same offset, and a range over a stripe
// that is burstFn. A stripe is the shortest run of rows, wrapping from
// the column's top to the next column's bottom, that holds the lit rows of
// a column (a burst may straddle two seconds; the machine may leave a row
// of it without samples).
func phaseProblems(t *testing.T, p *Profile, steadyFn, burstFn string) []string {
	t.Helper()
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ix, err := NewIndex(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := ix.HeatMap()
	rows := len(h.Rows)
	full := 0
	type stripe struct{ col, start, n int } // start: offset rank (0 = the second's start)
	var stripes []stripe
	for c := range h.Columns {
		steady, burst, lit := 0, 0, make([]bool, rows)
		for r := range rows {
			lit[rows-1-r] = h.Values[c][r] > 0
			for _, sc := range ix.Cell(c, r) {
				switch frames := p.Stacks()[sc.Stack].Frames; {
				case strings.Contains(frames, steadyFn):
					steady += int(sc.Count)
				case strings.Contains(frames, burstFn):
					burst += int(sc.Count)
				}
			}
		}
		start, n := arc(lit)
		t.Logf("column %d: rows %d to %d of %d lit, %d %s and %d %s samples", c, start, start+n-1, rows, steady, steadyFn, burst, burstFn)
		switch {
		case steady > 0 && burst == 0 && n >= rows*4/5:
			full++
		case burst > 0 && steady == 0:
			stripes = append(stripes, stripe{c, start, n})
		}
	}
	if full == 0 {
		fail("no column of %s is full (4/5 of its rows lit)", steadyFn)
	}
	var first *stripe
	whole := 0
	for i, s := range stripes {
		if s.n > rows/5+3 {
			fail("column %d: a stripe of %d rows, want about %d", s.col, s.n, rows/5)
		}
		if s.n < rows/5-3 {
			continue // the last burst, cut short
		}
		whole++
		if first == nil {
			first = &stripes[i]
			continue
		}
		if d := (s.start - first.start + rows) % rows; d > 3 && d < rows-3 {
			fail("the stripe moved from row %d (column %d) to row %d (column %d)", first.start, first.col, s.start, s.col)
		}
	}
	if whole < 2 {
		fail("%d stripes of about %d rows, want 2 or more: %v", whole, rows/5, stripes)
		return problems
	}
	// The range over the first stripe, from the start of its first row to
	// the end of its last.
	rowSeconds := 1 / float64(rows)
	r := Range{Start: float64(first.col) + float64(first.start)*rowSeconds}
	r.End = r.Start + float64(first.n)*rowSeconds
	fp, err := ix.Range(r)
	if err != nil {
		t.Fatal(err)
	}
	var burst float64
	for _, s := range fp.Stacks {
		if strings.Contains(s.Frames, burstFn) {
			burst += s.Count
		}
	}
	if share := burst / fp.Total(); share < 0.95 {
		fail("range %v: %s has %.0f%% of the %v samples, want 95%% or more", r, burstFn, 100*share, fp.Total())
	}
	return problems
}

// checkPhases records a phases workload with record and checks its shape
// (phaseProblems). The shape is one of time, which a busy machine can
// spoil (a starved process leaves rows without samples): a recording that
// does not show it is made again, twice at most, and the test fails when
// none does.
func checkPhases(t *testing.T, record func() *Profile, steadyFn, burstFn string) {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		problems := phaseProblems(t, record(), steadyFn, burstFn)
		if len(problems) == 0 {
			return
		}
		if i == attempts {
			t.Fatalf("attempt %d of %d: %s", i, attempts, strings.Join(problems, "; "))
		}
		t.Logf("attempt %d of %d: %s", i, attempts, strings.Join(problems, "; "))
	}
}

// arc returns the shortest cyclic run of lit that holds every true: its
// first index and its length (0 when none is lit).
func arc(lit []bool) (start, n int) {
	rows := len(lit)
	gap, gapEnd, run := 0, -1, 0
	for i := range 2 * rows { // twice round, for the gap that wraps
		if lit[i%rows] {
			run = 0
			continue
		}
		if run++; run > gap && run <= rows {
			gap, gapEnd = run, i%rows
		}
	}
	if gap == rows {
		return 0, 0
	}
	return (gapEnd + 1) % rows, rows - gap
}

// The same workload in JavaScript (testdata/phases.js), profiled by
// node --cpu-prof: the .cpuprofile's idle samples are left out.
func TestPhasesRecordedByNode(t *testing.T) {
	node := testenv.RequireTool(t, "node", "apt-get install nodejs")
	dir := t.TempDir()
	checkPhases(t, func() *Profile {
		cmd := exec.Command(node, "--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", "phases.cpuprofile", "--cpu-prof-interval", "1000", filepath.Join("testdata", "phases.js"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		f, err := os.Open(filepath.Join(dir, "phases.cpuprofile"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, format, err := Read(f, ReadOptions{})
		if err != nil || format != FormatCPUProfile {
			t.Fatalf("Read: %v, format %q", err, format)
		}
		return p
	}, "steadyPhase", "burstPhase")
}

// heatMapJSON returns p's heat map in FlameScope's JSON.
func heatMapJSON(t *testing.T, p *Profile) string {
	t.Helper()
	h, err := p.HeatMap(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
