package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv"
)

// buildOffCPUSplit compiles the program whose main thread blocks 3 ms in
// wait_for_answer and 2 ms in nap each round (burning 2 ms in burn as
// well with "spin"), optimized and without frame pointers.
func buildOffCPUSplit(t *testing.T) string {
	t.Helper()
	return testenv.BuildC(t, "gcc", "offcpu_split", []string{"../../profile/testdata/offcpu_profile_split.c"},
		"-O2", "-fomit-frame-pointer", "-pthread")
}

// readFolded reads a folded file.
func readFolded(t *testing.T, path string) *flamegraph.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := flamegraph.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// foldedSum is the count of the stacks of p that contain sub.
func foldedSum(p *flamegraph.Profile, sub string) float64 {
	var n float64
	for _, st := range p.Stacks {
		if strings.Contains(st.Frames, sub) {
			n += st.Count
		}
	}
	return n
}

// checkSplit checks the 60/40 split of wait_for_answer and nap in stacks
// weighted by time, and their total against the main thread's time off
// CPU, its wall time less its CPU time as the program printed them on
// stdout ("wall_us cpu_us wait_us"), in unit units a microsecond.
func checkSplit(t *testing.T, what string, p *flamegraph.Profile, stdout string, unit float64) {
	t.Helper()
	var wallUS, cpuUS float64
	if _, err := fmt.Sscan(stdout, &wallUS, &cpuUS); err != nil {
		t.Fatalf("%s: the program's times %q: %v", what, stdout, err)
	}
	wait, nap := foldedSum(p, ";main;wait_for_answer;read;"), foldedSum(p, ";main;nap;")
	t.Logf("%s: %.0f in wait_for_answer, %.0f in nap; main thread off CPU %.0f µs", what, wait, nap, wallUS-cpuUS)
	if share := wait / (wait + nap); share < 0.55 || share > 0.65 {
		t.Errorf("%s: wait_for_answer has %.1f%% of the time blocked in it and nap, want 60 ± 5", what, 100*share)
	}
	if want := (wallUS - cpuUS) * unit; wait+nap < 0.85*want || wait+nap > 1.05*want {
		t.Errorf("%s: %.0f blocked in wait_for_answer and nap, want the main thread's %.0f off CPU, within 85%% and 105%%", what, wait+nap, want)
	}
}

// TestRecordOffCPU records the program's blocked time in each output:
// folded stacks in microseconds; a flame graph of its wakeups, titled,
// counted in us and coloured as chain graphs are, the answer's waker
// answer_later above the wait; a wall-clock pprof profile that pprof
// reads, its on-CPU and off-CPU samples labelled; perf script text of
// offcpu-time events that collapse folds to the same split, in
// nanoseconds.
func TestRecordOffCPU(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildOffCPUSplit(t)
	dir := t.TempDir()
	const rounds = 300

	folded := filepath.Join(dir, "x.folded")
	code, stdout, stderr := flamekit(t, "", "record", "--off-cpu", "-o", folded, "--", bin, fmt.Sprint(rounds))
	if code != 0 {
		t.Fatalf("record --off-cpu: exit %d: %s", code, stderr)
	}
	checkSplit(t, "folded", readFolded(t, folded), stdout, 1)

	svgPath := filepath.Join(dir, "x.svg")
	if code, _, stderr := flamekit(t, "", "record", "--wakeups", "-o", svgPath, "--", bin, fmt.Sprint(rounds)); code != 0 {
		t.Fatalf("record --wakeups: exit %d: %s", code, stderr)
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := checkSVG(t, svg)
	for _, want := range []string{"Off-Wake Time Flame Graph", "answer_later (", " us, "} {
		if !strings.Contains(text, want) {
			t.Errorf("the wakeups flame graph lacks %q", want)
		}
	}
	// The chain palette: the waker's frames aqua, the blocked ones blue.
	// (Either function is both: the helper thread blocks in answer_later,
	// and wait_for_answer's write wakes it.)
	aqua := func(r, g, b int) bool { return r >= 50 && r < 110 && g == b && g >= 165 && g < 220 }
	blue := func(r, g, b int) bool { return r == g && r >= 80 && r < 140 && b >= 205 }
	if !frameColored(t, svg, "answer_later", aqua) {
		t.Error("no answer_later frame is aqua: the waker's are not drawn as chain graphs draw them")
	}
	if !frameColored(t, svg, "wait_for_answer", blue) {
		t.Error("wait_for_answer is not blue: the blocked stacks are not drawn as chain graphs draw them")
	}

	pbPath := filepath.Join(dir, "x.pb.gz")
	if code, _, stderr := flamekit(t, "", "record", "--wall", "-F", "999", "-o", pbPath, "--", bin, fmt.Sprint(rounds), "spin"); code != 0 {
		t.Fatalf("record --wall: exit %d: %s", code, stderr)
	}
	f, err := os.Open(pbPath)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := pprofile.Parse(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st := pp.SampleType; len(st) != 2 || st[1].Type != "wall" || st[1].Unit != "microseconds" {
		t.Fatalf("sample types %v, want samples and wall/microseconds", st)
	}
	byState := map[string]map[string]int64{"on-cpu": {}, "off-cpu": {}}
	for _, s := range pp.Sample {
		state := s.Label["state"]
		if len(state) != 1 || byState[state[0]] == nil {
			t.Fatalf("sample labels %v: want state on-cpu or off-cpu", s.Label)
		}
		seen := map[string]bool{}
		for _, loc := range s.Location {
			for _, l := range loc.Line {
				if name := l.Function.Name; !seen[name] {
					seen[name] = true
					byState[state[0]][name] += s.Value[1]
				}
			}
		}
	}
	on, off := byState["on-cpu"], byState["off-cpu"]
	t.Logf("wall: on CPU %d µs in main, %d in burn; off CPU %d µs in wait_for_answer, %d in nap", on["main"], on["burn"], off["wait_for_answer"], off["nap"])
	if on["burn"] < on["main"]*8/10 || on["wait_for_answer"] > on["main"]/10 {
		t.Errorf("on CPU: %d µs in burn of %d in main, %d in wait_for_answer: want most in burn", on["burn"], on["main"], on["wait_for_answer"])
	}
	if off["wait_for_answer"]+off["nap"] < off["main"]*9/10 || off["burn"] > off["main"]/10 {
		t.Errorf("off CPU: %d µs in wait_for_answer and %d in nap of %d in main, %d in burn: want most in wait_for_answer and nap", off["wait_for_answer"], off["nap"], off["main"], off["burn"])
	}

	script := filepath.Join(dir, "run.perf")
	code, stdout, stderr = flamekit(t, "", "record", "--off-cpu", "-o", script, "--", bin, fmt.Sprint(rounds))
	if code != 0 {
		t.Fatalf("record --off-cpu -o run.perf: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), " offcpu-time: \n"); n < 2*rounds*9/10 {
		t.Errorf("%d offcpu-time events in the perf script text, want about %d (2 a round)", n, 2*rounds)
	}
	code, collapsed, stderr := flamekit(t, "", "collapse", script)
	if code != 0 {
		t.Fatalf("collapse: exit %d: %s", code, stderr)
	}
	cp, err := flamegraph.Parse(strings.NewReader(collapsed))
	if err != nil {
		t.Fatal(err)
	}
	checkSplit(t, "collapsed perf script", cp, stdout, 1000)
}

// frameColored reports whether a frame of function fn in an SVG flame
// graph has a fill for which is is true.
func frameColored(t *testing.T, svg []byte, fn string, is func(r, g, b int) bool) bool {
	t.Helper()
	frames := regexp.MustCompile(`<title>`+regexp.QuoteMeta(fn)+` \([^<]*</title><rect [^>]*fill="#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})"`).FindAllSubmatch(svg, -1)
	if len(frames) == 0 {
		t.Fatalf("no frame %s in the flame graph", fn)
	}
	for _, m := range frames {
		var rgb [3]int
		for i := range rgb {
			v, _ := strconv.ParseUint(string(m[i+1]), 16, 8)
			rgb[i] = int(v)
		}
		if is(rgb[0], rgb[1], rgb[2]) {
			return true
		}
	}
	return false
}

// TestRecordOffCPUFlagErrors gives record off-CPU flags that contradict
// each other, or that a backend cannot record: each is said once, and
// nothing is written.
func TestRecordOffCPUFlagErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.folded")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--off-cpu", "--min-block", "2ms", "--max-block", "1ms"}, 2, "--min-block 2ms is longer than --max-block 1ms"},
		{[]string{"--off-cpu", "--state", "bad"}, 2, `--state "bad": want any, interruptible or uninterruptible`},
		{[]string{"--off-cpu", "--threads", "idle"}, 2, `--threads "idle": want all, user or kernel`},
		{[]string{"--wall", "--off-cpu"}, 2, "give --wall or --off-cpu (--wakeups), not both"},
		{[]string{"--wakeups", "--wall"}, 2, "give --wall or --off-cpu (--wakeups), not both"},
		{[]string{"--off-cpu", "-e", "page-faults"}, 2, "-e, -F and -c apply to --wall and CPU profiles"},
		{[]string{"--wall", "-e", "page-faults"}, 2, `-e must be cpu-clock or task-clock, not "page-faults"`},
		{[]string{"--min-block", "1ms"}, 2, "give --off-cpu, --wakeups or --wall"},
		{[]string{"--wakeups", "--backend", "perf"}, 1, "flamekit record: profile: perf: off-CPU recording cannot see wakeups"},
	} {
		args := append(append([]string{"record", "-o", out}, c.args...), "--", "true")
		code, _, stderr := flamekit(t, "", args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("record %s: exit %d, %q; want exit %d, one line saying %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("record %s wrote %s", strings.Join(c.args, " "), out)
		}
	}
}

// TestRecordOffCPUNoBlocks records a command none of whose blocks is as
// long as --min-block: record says there was no blocked time, and writes
// nothing.
func TestRecordOffCPUNoBlocks(t *testing.T) {
	testenv.RequireRoot(t)
	sleep := testenv.RequireTool(t, "sleep", "coreutils")
	out := filepath.Join(t.TempDir(), "x.folded")
	code, _, stderr := flamekit(t, "", "record", "--off-cpu", "--min-block", "10s", "-o", out, "--", sleep, "0.2")
	if code != 1 || !strings.HasPrefix(stderr, "flamekit record: no blocked time from command ") {
		t.Errorf("exit %d, %q; want 1, no blocked time", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written", out)
	}
}

// TestRecordOffCPUGraphDefaults gives off-CPU, wakeup and wall flame
// graphs their titles, count name and palettes unless the command line
// gives its own.
func TestRecordOffCPUGraphDefaults(t *testing.T) {
	for _, c := range []struct {
		args             []string
		title, countName string
		colors           flamegraph.Palette
	}{
		{[]string{"--off-cpu"}, "Off-CPU Time Flame Graph", "us", flamegraph.PaletteIO},
		{[]string{"--wakeups"}, "Off-Wake Time Flame Graph", "us", flamegraph.PaletteChain},
		{[]string{"--wall"}, "Wall-Clock Flame Graph", "us", flamegraph.PaletteHot},
		{[]string{"--off-cpu", "--title", "mine", "--countname", "µs", "--colors", "hot"}, "mine", "µs", flamegraph.PaletteHot},
		{[]string{"--off-cpu", "--color", "blue"}, "Off-CPU Time Flame Graph", "us", flamegraph.PaletteBlue},
		{nil, "", "", flamegraph.PaletteHot},
	} {
		f, err := parseRecordFlags(append([]string{"-o", "x.svg"}, c.args...), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		o := f.graph.opts
		if o.Title != c.title || o.CountName != c.countName || o.Colors != c.colors {
			t.Errorf("record %s: title %q, count name %q, palette %v; want %q, %q, %v", strings.Join(c.args, " "), o.Title, o.CountName, o.Colors, c.title, c.countName, c.colors)
		}
	}
}
