package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/scope"
)

// phasesCapture is scope's perf script capture of its phases workload: a
// steady phase, then a 200 ms burst in burst_phase each second.
const phasesCapture = "../../scope/testdata/phases.perf.gz"

// phasesStripe is a range over one burst of phasesCapture (seconds 4.04 to
// 4.24 from its first whole second) and a steady range.
var phasesStripe, phasesSteady = scope.Range{Start: 4.04, End: 4.24}, scope.Range{Start: 2.04, End: 2.24}

func readScope(t *testing.T, path string) *scope.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, _, err := scope.Read(f, scope.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func scopeRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := flamekit(t, "", append([]string{"scope"}, args...)...)
	if code != 0 {
		t.Fatalf("scope %q: exit %d: %s", args, code, stderr)
	}
	return stdout
}

func TestScopeJSONIsTheHeatMap(t *testing.T) {
	p := readScope(t, phasesCapture)
	for _, rows := range []int{0, 30} {
		args := []string{"--format", "json", phasesCapture}
		if rows != 0 {
			args = append(args, "--rows", itoa(rows))
		}
		var got scope.HeatMap
		if err := json.Unmarshal([]byte(scopeRun(t, args...)), &got); err != nil {
			t.Fatal(err)
		}
		want, err := p.HeatMap(scope.Options{Rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Errorf("--rows %d: the JSON is not the heat map:\n%.300s\nwant\n%.300s", rows, g, w)
		}
	}
}

func TestScopeIncludeIdle(t *testing.T) {
	const capture = "../../scope/testdata/gen-idle.perf.gz"
	sum := func(args ...string) int {
		var h scope.HeatMap
		if err := json.Unmarshal([]byte(scopeRun(t, append(args, "--format", "json", capture)...)), &h); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, col := range h.Values {
			for _, v := range col {
				n += v
			}
		}
		return n
	}
	busy, all := sum(), sum("--include-idle")
	if p := readScope(t, capture); all != p.Len() || busy >= all {
		t.Errorf("heat map sums: %d without idle, %d with, of %d samples", busy, all, p.Len())
	}
}

func TestScopeRange(t *testing.T) {
	p := readScope(t, phasesCapture)
	want, err := p.Range(phasesStripe, scope.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var folded strings.Builder
	want.WriteTo(&folded)
	if !strings.Contains(folded.String(), ";burst_phase ") || strings.Contains(folded.String(), "steady_phase") {
		t.Fatalf("the stripe's range is not the burst:\n%s", folded.String())
	}
	if got := scopeRun(t, "--range", phasesStripe.String(), "--format", "folded", phasesCapture); got != folded.String() {
		t.Errorf("--format folded:\n%s\nwant\n%s", got, folded.String())
	}

	dir := t.TempDir()
	svgPath := filepath.Join(dir, "range.svg")
	scopeRun(t, "--range", phasesStripe.String(), "-o", svgPath, phasesCapture)
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	if text := checkSVG(t, svg); !strings.Contains(text, "burst_phase") || !strings.Contains(text, "Flame Graph: 4.04,4.24 s") {
		t.Errorf("the range's SVG lacks burst_phase or its title")
	}

	pbPath := filepath.Join(dir, "range.pb.gz")
	scopeRun(t, "--range", phasesStripe.String(), "-o", pbPath, phasesCapture)
	f, err := os.Open(pbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pp, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	burst := false
	for _, s := range pp.Sample {
		total += s.Value[0]
		burst = burst || s.Location[0].Line[0].Function.Name == "burst_phase"
	}
	if total != int64(want.Total()) || !burst {
		t.Errorf("pprof: %d samples (want %v), burst_phase a leaf: %v", total, want.Total(), burst)
	}
}

func TestScopeRangeVs(t *testing.T) {
	p := readScope(t, phasesCapture)
	before, err := p.Range(phasesStripe, scope.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := p.Range(phasesSteady, scope.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	flamegraph.Diff(before, after, flamegraph.DiffOptions{}).WriteTo(&want)
	got := scopeRun(t, "--range", phasesStripe.String(), "--vs", phasesSteady.String(), "--format", "folded", phasesCapture)
	if got != want.String() {
		t.Errorf("--vs folded:\n%s\nwant\n%s", got, want.String())
	}
	if !regexp.MustCompile(`(?m);burst_phase \d+ 0$`).MatchString(got) || !regexp.MustCompile(`(?m);steady_phase 0 \d+$`).MatchString(got) {
		t.Errorf("the differential stacks do not go from burst_phase to steady_phase:\n%s", got)
	}
	svg := scopeRun(t, "--range", phasesStripe.String(), "--vs", phasesSteady.String(), phasesCapture)
	if !strings.Contains(checkSVG(t, []byte(svg)), "Differential: 4.04,4.24 s to 2.04,2.24 s") {
		t.Error("the differential SVG lacks its title")
	}
}

// pageMeta returns the JSON data of a scope page.
func pageMeta(t *testing.T, page string) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`<script type="application/json" id="fk-meta">([^<]*)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page has no data")
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(m[1]), &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

func TestScopePage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args       []string
		rows, view float64
	}{
		{nil, 100, 50},
		{[]string{"--rows", "20"}, 100, 20},
		{[]string{"--rows", "30"}, 30, 30},
	} {
		out := filepath.Join(dir, "scope.html")
		scopeRun(t, append(c.args, "-o", out, phasesCapture)...)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		meta := pageMeta(t, page)
		if meta["rows"] != c.rows || meta["view"] != c.view || meta["columns"] != 8.0 || meta["title"] != "flamekit scope: "+phasesCapture {
			t.Errorf("%q: rows %v, view %v, columns %v, title %v; want %v, %v, 8, the file", c.args, meta["rows"], meta["view"], meta["columns"], meta["title"], c.rows, c.view)
		}
		// Self-contained: no element loads anything.
		if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]*\b(src|href)=`).FindString(page); m != "" {
			t.Errorf("%q: the page loads something: %s", c.args, m)
		}
	}
	// On stdout by default.
	if page := scopeRun(t, phasesCapture); !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Errorf("stdout: %.100q", page)
	}
}

func TestScopeErrors(t *testing.T) {
	dir := t.TempDir()
	untimed := filepath.Join(dir, "untimed.perf")
	os.WriteFile(untimed, []byte("prog 123 cpu-clock:\n\t  4005d6 main (/bin/prog)\n\nprog 123 cpu-clock:\n\t  4005d6 main (/bin/prog)\n\n"), 0o644)
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"-o", filepath.Join(out, "p.html"), untimed}, 1, []string{"untimed.perf", "without a timestamp", `line 1: "prog 123 cpu-clock:"`}},
		{[]string{"--range", "1,1.01", "-o", filepath.Join(out, "r.svg"), phasesCapture}, 1, []string{"no samples in range", "1,1.01"}},
		{[]string{"--range", "40,41", "-o", filepath.Join(out, "r.folded"), phasesCapture}, 1, []string{"range outside the profile", "40,41", "8 s"}},
		{[]string{"--range", "3,2", "-o", filepath.Join(out, "r.folded"), phasesCapture}, 1, []string{"range outside the profile", "3,2"}},
		{[]string{"--range", "4,5", "--vs", "7,9", "-o", filepath.Join(out, "r.folded"), phasesCapture}, 1, []string{"range outside the profile", "7,9"}},
		{[]string{"--range", "4,5", "-o", filepath.Join(out, "p.html"), phasesCapture}, 2, []string{"--range writes folded, svg or pprof"}},
		{[]string{"--format", "svg", phasesCapture}, 2, []string{"needs --range"}},
		{[]string{"--vs", "1,2", phasesCapture}, 2, []string{"--vs needs --range"}},
		{[]string{"--range", "4,5", "--vs", "1,2", "--format", "pprof", phasesCapture}, 2, []string{"not pprof"}},
		{[]string{"--rows", "5", phasesCapture}, 2, []string{"--rows 5"}},
		{[]string{"--format", "png", phasesCapture}, 2, []string{`unknown --format "png"`}},
		{[]string{"-o", filepath.Join(out, "x.png"), phasesCapture}, 2, []string{"unknown extension"}},
		{[]string{filepath.Join(dir, "missing.perf")}, 1, []string{"missing.perf"}},
		{[]string{"--inverted", "-o", filepath.Join(out, "p.html"), phasesCapture}, 2, []string{"--inverted"}},
		{[]string{"--inverted", "-o", filepath.Join(out, "p.html"), "-a", "-d", "1s"}, 2, []string{"--inverted"}},
	} {
		code, stdout, stderr := flamekit(t, "", append([]string{"scope"}, c.args...)...)
		r := cliResult{code: code, stdout: stdout}
		if s := strings.TrimRight(stderr, "\n"); s != "" {
			r.stderr = strings.Split(s, "\n")
		}
		r.wantFailure(t, strings.Join(c.args, " "), c.code, c.want...)
		if stdout != "" {
			t.Errorf("%q: wrote %d bytes to stdout", c.args, len(stdout))
		}
	}
	wantFiles(t, "after the failures", out)
}
