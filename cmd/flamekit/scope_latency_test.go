package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/scope"
)

// sleepsCapture runs scope's sleeps workload (4 rounds of 20 1.1 ms sleeps
// in ppoll and a 100 ms one in clock_nanosleep) and returns the file of
// the offcpu-time samples it prints of its own sleeps, timed as it slept.
func sleepsCapture(t *testing.T) string {
	t.Helper()
	bin := testenv.BuildC(t, "gcc", "sleeps", []string{"../../scope/testdata/sleeps.c"}, "-O1", "-g", "-rdynamic", "-fno-omit-frame-pointer")
	out, err := exec.Command(bin, "4", "20", "--perf-script").Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	path := filepath.Join(t.TempDir(), "sleeps.perf")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readBlocks(t *testing.T, path string) *scope.Blocks {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := scope.ReadOffCPU(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScopeLatency(t *testing.T) {
	capture := sleepsCapture(t)
	b := readBlocks(t, capture)

	// --format hist: the histograms, all blocks' then each function's.
	var want bytes.Buffer
	if err := b.WriteHistograms(&want, true); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--format", "hist", "--by-func"}, {"--by-func", "-o", "-", "--format=hist"}} {
		got := scopeRun(t, append([]string{"--latency", capture}, args...)...)
		if got != want.String() {
			t.Errorf("%q:\n%s\nwant\n%s", args, got, want.String())
		}
	}
	hist := want.String()
	for _, s := range []string{"      1024 -> 2047       : ", "     65536 -> 131071     : ", "function = ppoll\n", "function = clock_nanosleep\n", "count: 84\n"} {
		if !strings.Contains(hist, s) {
			t.Errorf("the histograms lack %q:\n%s", s, hist)
		}
	}

	// --format json (or a .json file): the map, with --step.
	dir := t.TempDir()
	scopeRun(t, "--latency", "--step", "100ms", "-o", filepath.Join(dir, "m.json"), capture)
	data, err := os.ReadFile(filepath.Join(dir, "m.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got, wantMap map[string]any
	m, err := b.LatencyMap(scope.LatencyOptions{Step: 1e8})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := json.Marshal(m)
	json.Unmarshal(w, &wantMap)
	if err := json.Unmarshal(data, &got); err != nil || !reflect.DeepEqual(got, wantMap) || got["step"] != 0.1 {
		t.Errorf("the JSON is not the map of 100 ms columns (%v):\n%.300s\nwant\n%.300s", err, data, w)
	}

	// The page, on stdout or in a .html file, with --title.
	page := scopeRun(t, "--latency", capture, "--title", "sleeps <waits>")
	var wantPage bytes.Buffer
	if err := scope.WriteLatencyPage(&wantPage, b, scope.LatencyPageOptions{Title: "sleeps <waits>"}); err != nil {
		t.Fatal(err)
	}
	if page != wantPage.String() || !strings.Contains(page, "<h1>sleeps &lt;waits&gt;</h1>") {
		t.Errorf("the page is not WriteLatencyPage's: %.300q", page)
	}
	scopeRun(t, "--latency", "-o", filepath.Join(dir, "p.html"), capture)
	if data, _ := os.ReadFile(filepath.Join(dir, "p.html")); !bytes.Contains(data, []byte(`data-b="16"`)) {
		t.Errorf("p.html has no cell of the 100 ms bucket: %.200q", data)
	}
}

func TestScopeLatencyErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cpu := write("cpu.perf", "prog 1 [000] 1.000000: 1 cpu-clock: \n\t  4005d6 main (/bin/prog)\n\n")
	sums := write("sums.perf", "sshd  708098 [000] 18446744069.414584:     286392 offcpu-time: \n\t    79a864f1c8bb ppoll+0x4b (/usr/lib/libc.so.6)\n")
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--latency", "-o", filepath.Join(out, "p.html"), cpu}, 1, []string{"cpu.perf", "no off-CPU samples"}},
		{[]string{"--latency", "--format", "hist", sums}, 1, []string{"sums.perf", "without a timestamp", "--off-cpu-thresh 0"}},
		{[]string{"--latency", "--rows", "20", sums}, 2, []string{"--rows does not apply to --latency"}},
		{[]string{"--latency", "--range", "1,2", sums}, 2, []string{"--range does not apply"}},
		{[]string{"--latency", "--format", "svg", sums}, 2, []string{`unknown --format "svg"`, "html, json or hist"}},
		{[]string{"--latency", "-o", filepath.Join(out, "x.svg"), sums}, 2, []string{"unknown extension", ".txt"}},
		{[]string{"--latency", "--by-func", "--format", "json", sums}, 2, []string{"--by-func applies to"}},
		{[]string{"--latency", "--step", "-1s", sums}, 2, []string{"--step -1s"}},
		{[]string{"--step", "1s", sums}, 2, []string{"--step needs --latency"}},
		{[]string{"--by-func", sums}, 2, []string{"--by-func needs --latency"}},
		{[]string{"--latency", "--step", "1ns", "--format", "json", write("far.perf", "a 1 [000] 1.0: 5 offcpu-time: \n\nb 1 [000] 1000.0: 5 offcpu-time: \n")}, 1, []string{"step out of range", "1ns"}},
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
