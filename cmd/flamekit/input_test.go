package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/golden"
)

// TestCutGzipFails feeds collapse, render and diff a gzipped perf script
// cut short, as a file and on stdin: each exits 1, says the stream was cut,
// and writes no graph.
func TestCutGzipFails(t *testing.T) {
	whole, err := os.ReadFile("../../testdata/perf-script-real.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.gz")
	if err := os.WriteFile(cut, whole[:len(whole)*3/4], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"collapse", cut},
		{"render", cut},
		{"render", "-o", out, "-"},
		{"diff", "-o", out, "../../testdata/perf-script-real.txt.gz", cut},
	} {
		code, stdout, stderr := flamekit(t, string(whole[:len(whole)/2]), args...)
		if code != 1 || !strings.Contains(stderr, "gzip stream cut short") || stdout != "" {
			t.Errorf("%v: exit %d, %d bytes out, stderr %q; want exit 1 and the cut named", args, code, len(stdout), stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", args, out)
		}
	}
}

// TestUnknownFormatSuggestsFormat checks that input of no known format is
// an error that lists what was tried and names --format.
func TestUnknownFormatSuggestsFormat(t *testing.T) {
	code, _, stderr := flamekit(t, "Hello, world.\nThis is not a profile.\n", "render")
	if code != 1 || !strings.Contains(stderr, "perf script") || !strings.Contains(stderr, "--format perf|pprof|bpftrace|folded") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if n := strings.Count(stderr, "\n"); n != 1 {
		t.Errorf("the error takes %d lines, want 1: %q", n, stderr)
	}
}

// TestLongFirstLine renders a folded file whose first stack is 100 KB long
// (frames of the real capture, repeated), which detection used to call an
// unknown format.
func TestLongFirstLine(t *testing.T) {
	code, folded, stderr := flamekit(t, "", "collapse", realCapture(t))
	if code != 0 {
		t.Fatalf("collapse: exit %d: %s", code, stderr)
	}
	first, _, _ := strings.Cut(folded, "\n")
	frames := first[:strings.LastIndexByte(first, ' ')]
	long := frames
	for len(long) < 100<<10 {
		long += ";" + frames
	}
	code, svg, stderr := flamekit(t, long+" 3\n"+folded, "render")
	if code != 0 || !strings.Contains(checkSVG(t, []byte(svg)), "entry_SYSCALL_64_after_hwframe") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestRenderReportsCutStacks renders and diffs a profile with a stack deeper
// than the depth bound: the graph is drawn, and one line on stderr says how
// many stacks were cut and how deep the deepest was.
func TestRenderReportsCutStacks(t *testing.T) {
	code, folded, stderr := flamekit(t, "", "collapse", realCapture(t))
	if code != 0 {
		t.Fatalf("collapse: exit %d: %s", code, stderr)
	}
	first, _, _ := strings.Cut(folded, "\n")
	frames := first[:strings.LastIndexByte(first, ' ')]
	deep := frames
	for strings.Count(deep, ";") < 5000 {
		deep += ";" + frames
	}
	depth := strings.Count(deep, ";") + 1
	dir := t.TempDir()
	before := filepath.Join(dir, "before.folded")
	if err := os.WriteFile(before, []byte(folded), 0o644); err != nil {
		t.Fatal(err)
	}
	after := filepath.Join(dir, "after.folded")
	if err := os.WriteFile(after, []byte(deep+" 1000000000000\n"+folded), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"render", after}, {"diff", before, after}} {
		code, svg, stderr := flamekit(t, "", args...)
		if code != 0 || !strings.Contains(svg, flamegraph.CutFrame) {
			t.Errorf("%v: exit %d, stderr %q, cut frame drawn: %v", args, code, stderr, strings.Contains(svg, flamegraph.CutFrame))
		}
		want := "1 stack(s) deeper than 4096 frames (the deepest has " + itoa(depth) + ")"
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "--max-depth") {
			t.Errorf("%v: stderr %q, want one line saying %q", args, stderr, want)
		}
	}
	code, _, stderr = flamekit(t, "", "render", "--max-depth", "-1", after)
	if code != 0 || stderr != "" {
		t.Errorf("--max-depth -1: exit %d, stderr %q", code, stderr)
	}
}

// TestRenderUnits checks the count name of graphs: nanoseconds for a
// cpu-clock perf script, unless --countname says otherwise (samples, for
// flamegraph.pl's bytes); samples for folded stacks.
func TestRenderUnits(t *testing.T) {
	perf := realCapture(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"render", perf}, " nanoseconds, 100%)"},
		{[]string{"render", "--countname", "samples", perf}, " samples, 100%)"},
		{[]string{"render", "../../flamegraph/testdata/basic.folded"}, " samples, 100%)"},
	} {
		code, svg, stderr := flamekit(t, "", tt.args...)
		if code != 0 || !strings.Contains(svg, "<title>all (") || !strings.Contains(svg, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; the root's tooltip does not end in %q", tt.args, code, stderr, tt.want)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("main;a 1\n"))
	zw.Close()
	if code, svg, _ := flamekit(t, gz.String(), "render"); code != 0 || !strings.Contains(svg, " samples, 100%)") {
		t.Errorf("gzipped folded stacks: exit %d", code)
	}
}

func itoa(n int) string {
	var b []byte
	return string(flamegraph.AppendCount(b, float64(n)))
}

// TestCollapseAll checks that --all, which the CLI turns into --kernel and
// --jit, gives stackcollapse-perf.pl --all's output on a real java capture,
// which has kernel and JIT frames, and the same as the two flags.
func TestCollapseAll(t *testing.T) {
	const capture = "../../flamegraph/collapse/testdata/perf/java.txt.gz"
	want := string(golden.Read(t, "../../flamegraph/collapse/testdata/perf/java.all.perl.folded.gz"))
	if !strings.Contains(want, "_[k]") || !strings.Contains(want, "_[j]") {
		t.Fatal("the golden lacks kernel or JIT frames")
	}
	for _, flags := range [][]string{{"--all"}, {"--kernel", "--jit"}} {
		code, got, stderr := flamekit(t, "", append(append([]string{"collapse"}, flags...), capture)...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", flags, code, stderr)
		}
		if got != want {
			t.Errorf("%v: output differs from stackcollapse-perf.pl --all (%d bytes, want %d)", flags, len(got), len(want))
		}
	}
}

// TestCollapseWarnsOfWhatItLeftOut feeds collapse a real capture with a
// junk line and without the blank line after its last sample: the folded
// stacks are written, and stderr says, once each, which line was skipped
// and that the last sample was left out.
func TestCollapseWarnsOfWhatItLeftOut(t *testing.T) {
	in := string(golden.Read(t, "../../testdata/perf-script-real.txt.gz"))
	first := strings.Index(in, "\n\n") + 2
	in = in[:first] + "this is not perf script\n" + strings.TrimRight(in[first:], "\n") + "\n"
	code, out, stderr := flamekit(t, in, "collapse")
	if code != 0 || !strings.Contains(out, "entry_SYSCALL_64_after_hwframe") {
		t.Fatalf("exit %d, %d bytes out, stderr %q", code, len(out), stderr)
	}
	junkLine := strings.Count(in[:first], "\n") + 1
	for _, want := range []string{
		fmt.Sprintf(`flamekit: stdin: skipped 1 malformed line(s); first at line %d: "this is not perf script"`, junkLine) + "\n",
		"flamekit: stdin: the input ends inside a sample (no blank line after it); that sample was left out\n",
	} {
		if strings.Count(stderr, want) != 1 {
			t.Errorf("stderr %q, want once %q", stderr, want)
		}
	}
	if n := strings.Count(stderr, "\n"); n != 2 {
		t.Errorf("stderr has %d lines, want 2: %q", n, stderr)
	}
}
