package scope

import (
	"bytes"
	"context"
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
const (
	phasesBursts = "5"
	steadyFn     = "steady_phase"
	burstFn      = "burst_phase"
)

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
	checkPhases(t, p)
}

func TestPhasesRecordedByProfile(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := buildPhases(t)
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
	checkPhases(t, p)
}

// checkPhases checks the heat map of the workload: full columns of
// steady_phase, then in each burst second a stripe of about a fifth of the
// column (10 rows of 50) at the same offset, and a range over a stripe
// that is burst_phase.
func checkPhases(t *testing.T, p *Profile) {
	t.Helper()
	ix, err := NewIndex(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := ix.HeatMap()
	rows := len(h.Rows)
	full, stripes := 0, [][]int{}
	for c := range h.Columns {
		steady, burst, lit := 0, 0, []int{}
		for r := range rows {
			if h.Values[c][r] > 0 {
				lit = append(lit, r)
			}
			for _, sc := range ix.Cell(c, r) {
				switch frames := p.Stacks()[sc.Stack].Frames; {
				case strings.Contains(frames, steadyFn):
					steady += int(sc.Count)
				case strings.Contains(frames, burstFn):
					burst += int(sc.Count)
				}
			}
		}
		t.Logf("column %d: %d rows lit, %d steady, %d burst samples", c, len(lit), steady, burst)
		switch {
		case steady > 0 && burst == 0 && len(lit) >= rows*4/5:
			full++
		case burst > 0 && steady == 0:
			stripes = append(stripes, lit)
		}
	}
	if full == 0 {
		t.Errorf("no column of steady_phase is full (4/5 of its rows lit)")
	}
	// A burst may straddle two columns; the stripes of 2 columns at
	// least lie whole in one.
	whole := 0
	var first []int
	for _, lit := range stripes {
		if len(lit) < rows/5-3 || len(lit) > rows/5+3 || lit[len(lit)-1]-lit[0] != len(lit)-1 {
			continue // cut by a column's edge, or sparse
		}
		whole++
		if first == nil {
			first = lit
			continue
		}
		if d := lit[0] - first[0]; d < -2 || d > 2 {
			t.Errorf("the stripe moved from rows %v to %v", first, lit)
		}
	}
	if whole < 2 {
		t.Fatalf("%d whole stripes of %d rows, want 2 or more; stripes: %v", whole, rows/5, stripes)
	}
	// The range over the first whole stripe, as FlameScope's page selects
	// it: from the start of its lowest row to the end of its top one.
	for c := range h.Columns {
		if !sameRows(h.Values[c], first) {
			continue
		}
		r := Range{
			Start: float64(c) + h.Rows[first[len(first)-1]]/1000,
			End:   float64(c) + (h.Rows[first[0]]+1000/float64(rows))/1000,
		}
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
			t.Errorf("range %v: burst_phase has %.0f%% of the %v samples, want 95%% or more", r, 100*share, fp.Total())
		}
		return
	}
}

// sameRows reports whether the lit rows of a column are lit.
func sameRows(col []int, lit []int) bool {
	n := 0
	for r, v := range col {
		if v > 0 {
			if n >= len(lit) || lit[n] != r {
				return false
			}
			n++
		}
	}
	return n == len(lit)
}
