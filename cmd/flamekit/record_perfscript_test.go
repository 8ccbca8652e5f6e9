package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// spacedSource is a C++ program whose process name and hot function have
// spaces in them: it names itself "hot worker 2" (a digit after a space,
// which a reader could take for the PID) and spins in spin<unsigned int>
// ("void spin<unsigned int>(int)" demangled) for argv[1] milliseconds,
// saying "ready" first.
const spacedSource = `#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
volatile unsigned long sink;
static long now_ms(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
template <typename T> __attribute__((noinline)) void spin(int rounds) {
	for (T i = 0; i < (T)rounds * 100000; i++) sink += i;
}
int main(int argc, char **argv) {
	prctl(PR_SET_NAME, "hot worker 2");
	puts("ready");
	fflush(stdout);
	long end = now_ms() + atol(argv[1]);
	while (now_ms() < end) spin<unsigned int>(10);
	return 0;
}
`

// buildSpaced builds spacedSource.
func buildSpaced(t *testing.T) string {
	t.Helper()
	src := testenv.WriteSource(t, "spaced.cc", spacedSource)
	return testenv.BuildC(t, "g++", "spaced", []string{src}, "-O1", "-fno-omit-frame-pointer")
}

// spacedStack is the stack of spacedSource's hot function as collapse
// --all folds it: the comm's spaces are '_', the function's are kept, its
// argument list goes.
const spacedStack = "hot_worker_2;_start;__libc_start_main;__libc_start_call_main;main;void spin<unsigned int>"

// TestRecordPerfScript records a command to -o run.perf, on each backend,
// and the same to stdout with --format perf-script: perf script text whose
// samples are the command's, in time order, that collapse folds into its
// stacks, names with spaces and all.
func TestRecordPerfScript(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildSpaced(t)
	dir := t.TempDir()
	for _, backend := range []string{"bpf", "perf"} {
		r := runCLI(t, dir, "", "record", "--backend", backend, "-F", "999", "-o", "run.perf", "--", bin, "1000")
		if r.code != 0 {
			t.Fatalf("%s: record -o run.perf: exit %d: %q", backend, r.code, r.stderr)
		}
		text, err := os.ReadFile(filepath.Join(dir, "run.perf"))
		if err != nil {
			t.Fatal(err)
		}
		checkPerfScript(t, backend+" -o run.perf", string(text), 200, "hot worker_2", "")

		r = runCLI(t, dir, "", "record", "--backend", backend, "-F", "999", "--format", "perf-script", "--", bin, "1000")
		if r.code != 0 {
			t.Fatalf("%s: record --format perf-script: exit %d: %q", backend, r.code, r.stderr)
		}
		checkPerfScript(t, backend+" on stdout", r.stdout, 200, "hot worker_2", "")
		for _, in := range []string{filepath.Join(dir, "run.perf"), "-"} {
			c := runCLI(t, dir, r.stdout, "collapse", "--all", in)
			if c.code != 0 {
				t.Fatalf("collapse --all %s: exit %d: %q", in, c.code, c.stderr)
			}
			if !strings.Contains(c.stdout, spacedStack+" ") {
				t.Errorf("%s: collapse --all %s lacks %q:\n%.3000s", backend, in, spacedStack, c.stdout)
			}
		}
		os.Remove(filepath.Join(dir, "run.perf"))
	}
	wantFiles(t, "record -o run.perf", dir)
}

// TestRecordPerfScriptTargets records perf script text of a running
// process (-p) and of the whole system (-a): its samples are there, each
// with the process's PID.
func TestRecordPerfScriptTargets(t *testing.T) {
	testenv.RequireRoot(t)
	child := testenv.StartChild(t, exec.Command(buildSpaced(t), "10000"))
	child.WaitLine(t, "ready")
	pid := strconv.Itoa(child.Process.Pid)
	for _, target := range [][]string{{"-p", pid}, {"-a"}} {
		args := append([]string{"record", "-F", "499", "-d", "1s", "--format", "perf-script"}, target...)
		r := runCLI(t, "", "", args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %q", args, r.code, r.stderr)
		}
		checkPerfScript(t, strings.Join(args, " "), r.stdout, 50, "hot worker_2", pid)
	}
}

// TestRecordPerfScriptNoSamples records a process that sleeps to
// run.perf: no samples, no file.
func TestRecordPerfScriptNoSamples(t *testing.T) {
	testenv.RequireRoot(t)
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	dir := t.TempDir()
	r := runCLI(t, dir, "", "record", "-p", strconv.Itoa(sleeper.Process.Pid), "-d", "1s", "-o", "run.perf")
	r.wantFailure(t, "record -o run.perf of a sleeping process", 1, "no samples", "nothing written")
	wantFiles(t, "record -o run.perf", dir)
}

// checkPerfScript checks perf script text: sample headers in time order,
// each "COMM PID/TID [CPU] SECONDS.MICROS: PERIOD EVENT:", followed by
// frame lines ("\tADDR SYMBOL (MODULE)") and a blank line; at least min
// samples of comm (and, unless pid is given, at least half of them), all
// of process pid when it is given, mostly in spin<unsigned int>.
func checkPerfScript(t *testing.T, what, text string, min int, comm, pid string) {
	t.Helper()
	samples, ours, hot := 0, 0, 0
	last := -1.0
	for _, sample := range strings.Split(strings.TrimSuffix(text, "\n\n"), "\n\n") {
		lines := strings.Split(sample, "\n")
		f := strings.Fields(strings.TrimSuffix(lines[0], " "))
		n := len(f)
		if n < 6 || !strings.HasSuffix(f[n-1], ":") || !strings.HasSuffix(f[n-3], ":") || !strings.HasPrefix(f[n-4], "[") || !strings.Contains(f[n-5], "/") {
			t.Fatalf("%s: not a sample header: %q", what, lines[0])
		}
		at, err := strconv.ParseFloat(strings.TrimSuffix(f[n-3], ":"), 64)
		if err != nil || at < last {
			t.Fatalf("%s: time of %q not after %.6f (%v)", what, lines[0], last, err)
		}
		last = at
		samples++
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "\t") || !strings.HasSuffix(l, ")") || !strings.Contains(l, " (") {
				t.Fatalf("%s: not a frame line: %q", what, l)
			}
		}
		if strings.Join(f[:n-5], " ") != comm {
			continue
		}
		ours++
		if p, _, _ := strings.Cut(f[n-5], "/"); pid != "" && p != pid {
			t.Errorf("%s: sample of %s has pid %s, want %s", what, comm, p, pid)
		}
		if strings.Contains(sample, " void spin<unsigned int>(int) (") {
			hot++
		}
	}
	if ours < min || ours < samples/2 && pid == "" || hot < ours/2 {
		t.Errorf("%s: %d samples, %d of %q, %d in spin<unsigned int>: want at least %d of %q, mostly in spin:\n%.3000s",
			what, samples, ours, comm, hot, min, comm, text)
	}
}
