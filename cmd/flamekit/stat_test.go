package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// csvRows splits stat's CSV output into rows of fields.
func csvRows(t *testing.T, lines []string) [][]string {
	t.Helper()
	var rows [][]string
	for _, l := range lines {
		rows = append(rows, strings.Split(l, ","))
	}
	return rows
}

// csvValue returns the count of event in CSV rows (the value before the
// unit and the event), summed over the rows that have it (a row of an
// interval where the event was <not counted> adds nothing), and how many
// rows do.
func csvValue(t *testing.T, rows [][]string, event string) (float64, int) {
	t.Helper()
	var sum float64
	n := 0
	for _, r := range rows {
		for i := 2; i < len(r); i++ {
			if r[i] != event {
				continue
			}
			n++
			if r[i-2] == "<not counted>" {
				break
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(r[i-2]), 64)
			if err != nil {
				t.Fatalf("row %q: value %q of %s: %v", r, r[i-2], event, err)
			}
			sum += v
			break
		}
	}
	return sum, n
}

// TestStatCountsPageFaults: a program touching N fresh pages takes N page
// faults more than one touching none: the counts of two runs differ by N,
// within 2%.
func TestStatCountsPageFaults(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := statWorkload(t)
	count := func(pages int) float64 {
		r := runCLI(t, "", "", "stat", "-x,", "-e", "page-faults,task-clock", "--", bin, "pages", strconv.Itoa(pages))
		if r.code != 0 {
			t.Fatalf("exit %d: %q", r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "done") {
			t.Errorf("the command's stdout %q did not reach stdout", r.stdout)
		}
		v, n := csvValue(t, csvRows(t, r.stderr), "page-faults")
		if n != 1 {
			t.Fatalf("%d page-faults rows in %q", n, r.stderr)
		}
		return v
	}
	base, touched := count(0), count(20000)
	if d := touched - base; d < 20000*0.98 || d > 20000*1.02 {
		t.Errorf("touching 20000 pages: %v page faults, %v touching none: %v more, want 20000", touched, base, d)
	}
}

// TestStatIntervalsAddUp: -I 100 prints a row of each event every 100 ms,
// stamped with increasing times, whose counts add up to the run's: a
// program sleeping 1 ms 400 times switches context 400 times or a few
// more, as a run without -I counts.
func TestStatIntervalsAddUp(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := statWorkload(t)
	r := runCLI(t, "", "", "stat", "-x,", "-I", "100", "-e", "context-switches,page-faults", "--", bin, "sleep", "400")
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	rows := csvRows(t, r.stderr)
	if len(rows) < 6 || len(rows)%2 != 0 {
		t.Fatalf("want two rows an interval, three intervals or more (400 ms): %q", r.stderr)
	}
	last := 0.0
	for i, row := range rows {
		at, err := strconv.ParseFloat(strings.TrimSpace(row[0]), 64)
		if err != nil || (i%2 == 0 && at <= last) || (i%2 == 1 && at != last) {
			t.Fatalf("row %d: time %q after %v", i+1, row[0], last)
		}
		last = at
	}
	switches, n := csvValue(t, rows, "context-switches")
	if n != len(rows)/2 || switches < 400 || switches > 500 {
		t.Errorf("intervals add up to %v context switches in %d rows, want 400 to 500", switches, n)
	}
	total := runCLI(t, "", "", "stat", "-x,", "-e", "context-switches,page-faults", "--", bin, "sleep", "400")
	totalSwitches, _ := csvValue(t, csvRows(t, total.stderr), "context-switches")
	faults, _ := csvValue(t, rows, "page-faults")
	totalFaults, _ := csvValue(t, csvRows(t, total.stderr), "page-faults")
	if d := faults - totalFaults; d < -10 || d > 10 || totalSwitches < 400 || totalSwitches > 500 {
		t.Errorf("intervals add up to %v page faults, a run counts %v (and %v context switches)", faults, totalFaults, totalSwitches)
	}
}

// TestStatRepeat: -r 3 runs the command 3 times and prints the mean of
// each count with its variation: a "( +- N% )" column in the table, a
// "N%" field after the event in the CSV, "variance" in the JSON, and the
// mean elapsed time with its variation.
func TestStatRepeat(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := statWorkload(t)
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	// Each run appends a line to runs, and touches 5000 pages more than the
	// one before: 5000, 10000, 15000, a mean of 10000 and more.
	script := fmt.Sprintf(`echo run >> %s; %s pages $((5000 * $(wc -l < %s)))`, runs, bin, runs)
	r := runCLI(t, "", "", "stat", "-x,", "-r", "3", "-e", "page-faults,task-clock", "--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "run"); n != 3 {
		t.Errorf("the command ran %d times, want 3", n)
	}
	rows := csvRows(t, r.stderr)
	faults, _ := csvValue(t, rows, "page-faults")
	if faults < 10000 || faults > 10000*1.1 {
		t.Errorf("mean of 5000, 10000 and 15000 page faults and the program's own: %v", faults)
	}
	for _, row := range rows {
		if len(row) != 8 || !strings.HasSuffix(row[3], "%") {
			t.Errorf("row %q: want 8 fields, the variation (N%%) fourth", row)
		}
	}
	// The faults' standard error: 5000/√3 of a mean of 10000, about 29%.
	if v, _ := strconv.ParseFloat(strings.TrimSuffix(rows[0][3], "%"), 64); v < 25 || v > 30 {
		t.Errorf("page-faults vary by %v%%, want about 29%% (5000/√3 of 10000)", v)
	}
	os.Remove(runs)

	r = runCLI(t, "", "", "stat", "-r", "2", "-e", "page-faults", "--", bin, "pages", "100")
	out := strings.Join(r.stderr, "\n")
	for _, want := range []string{"(2 runs):", "page-faults", "seconds time elapsed", " +- "} {
		if !strings.Contains(out, want) {
			t.Errorf("table of -r 2 does not say %q:\n%s", want, out)
		}
	}
	r = runCLI(t, "", "", "stat", "-j", "-r", "2", "-e", "page-faults", "--", bin, "pages", "100")
	var row map[string]any
	if len(r.stderr) != 1 || json.Unmarshal([]byte(r.stderr[0]), &row) != nil || row["variance"] == nil {
		t.Errorf("JSON of -r 2: want one line with variance, got %q", r.stderr)
	}
}

// TestStatPerCPU: -a -A counts on each online CPU: a row of each event
// for each, cpu-clock about the run's length on each (it counts idle time
// too).
func TestStatPerCPU(t *testing.T) {
	testenv.RequireRoot(t)
	r := runCLI(t, "", "", "stat", "-x,", "-a", "-A", "-e", "cpu-clock,context-switches", "--", "sleep", "0.3")
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Fatal(err)
	}
	online := onlineCount(t, strings.TrimSpace(string(b)))
	rows := csvRows(t, r.stderr)
	if len(rows) != 2*online {
		t.Fatalf("%d rows, want 2 for each of %d CPUs: %q", len(rows), online, r.stderr)
	}
	for i, row := range rows[:online] {
		if row[0] != fmt.Sprintf("CPU%d", i) || row[3] != "cpu-clock" {
			t.Errorf("row %q: want CPU%d's cpu-clock", row, i)
			continue
		}
		if ms, _ := strconv.ParseFloat(row[1], 64); ms < 250 || ms > 1000 {
			t.Errorf("CPU%d: cpu-clock %v ms over a 300 ms run", i, ms)
		}
	}
}

// onlineCount counts the CPUs of a kernel CPU list.
func onlineCount(t *testing.T, list string) int {
	n := 0
	for _, part := range strings.Split(list, ",") {
		lo, hi, ok := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if ok {
			b, _ = strconv.Atoi(hi)
		}
		n += b - a + 1
	}
	return n
}

// TestStatCgroup: --cgroup counts the tasks of a cgroup: a command that
// moves itself into the cgroup and spins 200 ms there has that task-clock
// counted.
func TestStatCgroup(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, "/sys/fs/cgroup/unified/cgroup.procs", "mount cgroup2 on /sys/fs/cgroup/unified")
	bin := statWorkload(t)
	dir := filepath.Join("/sys/fs/cgroup/unified", fmt.Sprintf("flamekit-stat-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove the cgroup: %v", err)
		}
	})
	script := fmt.Sprintf("echo $$ > %s/cgroup.procs && exec %s spin 200", dir, bin)
	r := runCLI(t, "", "", "stat", "-x,", "--cgroup", dir, "-e", "task-clock", "--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	ms, n := csvValue(t, csvRows(t, r.stderr), "task-clock")
	if n != 1 || ms < 180 || ms > 400 {
		t.Errorf("task-clock of a cgroup where a program spun 200 ms: %v ms (%d rows)", ms, n)
	}
}

// startStat starts flamekit stat with args, its counts going to errb,
// and waits until it has opened its counters (its perf events show in
// /proc/PID/fd), so that a signal then ends counting.
func startStat(t *testing.T, errb *bytes.Buffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(flamekitBinary(t), append([]string{"stat"}, args...)...)
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	fds := fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid)
	for start := time.Now(); time.Since(start) < cliTimeout; time.Sleep(10 * time.Millisecond) {
		ents, _ := os.ReadDir(fds)
		for _, e := range ents {
			if l, _ := os.Readlink(filepath.Join(fds, e.Name())); strings.Contains(l, "perf_event") {
				return cmd
			}
		}
	}
	t.Fatalf("flamekit stat %v opened no counter", args)
	return nil
}

// TestStatSignals: SIGTERM or Ctrl-C (SIGINT) ends the counting of a
// process or of the system, and the counts are printed; stat exits as
// perf stat does on SIGINT, 128 plus the signal. A counted command gets
// the signal, and its status is stat's.
func TestStatSignals(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := statWorkload(t)
	child := testenv.StartChild(t, exec.Command(bin, "threads", "1", "100"))
	child.WaitLine(t, "ready")
	pid := strconv.Itoa(child.Process.Pid)
	for _, c := range []struct {
		name string
		sig  syscall.Signal
		args []string
		root bool
	}{
		{"TERM_process", syscall.SIGTERM, []string{"-x,", "-e", "task-clock,page-faults", "-p", pid}, false},
		{"INT_process", syscall.SIGINT, []string{"-x,", "-e", "task-clock,page-faults", "-p", pid}, false},
		{"TERM_system", syscall.SIGTERM, []string{"-x,", "-e", "cpu-clock,page-faults", "-a"}, true},
		{"TERM_command", syscall.SIGTERM, []string{"-x,", "-e", "task-clock,page-faults", "--", bin, "sleep", "100000"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.root {
				testenv.RequireRoot(t)
			}
			var errb bytes.Buffer
			cmd := startStat(t, &errb, c.args...)
			cmd.Process.Signal(c.sig)
			cmd.Wait()
			if got, want := commandStatus(cmd.ProcessState), 128+int(c.sig); got != want {
				t.Errorf("exit status %d, want %d (stderr %q)", got, want, errb.String())
			}
			// (A process that sleeps all along has its events <not counted>.)
			rows := csvRows(t, strings.Split(strings.TrimSpace(errb.String()), "\n"))
			if len(rows) != 2 || len(rows[1]) != 7 || rows[1][2] != "page-faults" {
				t.Errorf("want the counts of both events, got %q", errb.String())
			}
		})
	}
	fmt.Fprintln(child.In, "go")
	child.WaitLine(t, "done")
}

// TestStatProcesses: -p counts every thread of each process given until
// they have all exited: two programs whose two threads spin 100 ms each
// have 400 ms of task-clock counted, and stat ends with them.
func TestStatProcesses(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := statWorkload(t)
	var children []*testenv.Child
	var pids []string
	for range 2 {
		child := testenv.StartChild(t, exec.Command(bin, "threads", "2", "100"))
		child.WaitLine(t, "ready")
		children = append(children, child)
		pids = append(pids, strconv.Itoa(child.Process.Pid))
	}
	var errb bytes.Buffer
	cmd := startStat(t, &errb, "-x,", "-e", "task-clock", "-p", strings.Join(pids, ","))
	for _, child := range children {
		fmt.Fprintln(child.In, "go")
		child.WaitLine(t, "done")
		child.In.Close()
		child.Wait()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stat -p: %v (%q)", err, errb.String())
		}
	case <-time.After(cliTimeout):
		t.Fatalf("stat -p still counts %v %v after they exited", cliTimeout, pids)
	}
	ms, n := csvValue(t, csvRows(t, strings.Split(strings.TrimSpace(errb.String()), "\n")), "task-clock")
	if n != 1 || ms < 380 || ms > 600 {
		t.Errorf("task-clock of two processes whose two threads spun 100 ms: %v ms (%q)", ms, errb.String())
	}
}

// TestStatNotSupported: an event the machine cannot count is listed as
// <not supported> where perf lists it, and the others counted (exit 0);
// when nothing can be counted, stat says why in one line naming the event
// and exits 1.
func TestStatNotSupported(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	if _, err := os.Stat("/sys/bus/event_source/devices/cpu"); err == nil {
		t.Skip("this machine has a PMU: cycles counts")
	}
	r := runCLI(t, "", "", "stat", "-x,", "-e", "cycles,page-faults,{instructions,task-clock}", "--", "true")
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	want := []string{"<not supported>,,cycles,", "N,,page-faults,", "<not supported>,,instructions,", "N,msec,task-clock,"}
	if len(r.stderr) != len(want) {
		t.Fatalf("rows %q, want %d", r.stderr, len(want))
	}
	for i, w := range want {
		if got := statNumber.ReplaceAllString(r.stderr[i], "N"); !strings.HasPrefix(got, w) {
			t.Errorf("row %d %q, want %q...", i+1, r.stderr[i], w)
		}
	}
	r = runCLI(t, "", "", "stat", "-e", "cycles", "--", "sleep", "10")
	r.wantFailure(t, "stat -e cycles", 1, `"cycles"`, "no PMU")
}

// TestStatExitStatus: stat exits with the command's status, as perf stat
// does ("perf stat -- false" exits 1); a command killed by a signal makes
// it 128 plus the signal.
func TestStatExitStatus(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	for script, want := range map[string]int{"exit 0": 0, "false": 1, "exit 3": 3, "kill -TERM $$": 143} {
		r := runCLI(t, "", "", "stat", "-x,", "-e", "task-clock", "--", "sh", "-c", script)
		if r.code != want {
			t.Errorf("stat -- sh -c %q: exit %d, want %d", script, r.code, want)
		}
		if len(r.stderr) != 1 || !strings.Contains(r.stderr[0], ",task-clock,") {
			t.Errorf("stat -- sh -c %q: counts %q", script, r.stderr)
		}
	}
}

// TestStatOutputFile: -o writes the counts to a file, and stdout and
// stderr are the command's.
func TestStatOutputFile(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "counts.csv")
	r := runCLI(t, "", "", "stat", "-o", out, "-x,", "-e", "page-faults", "--", "sh", "-c", "echo out; echo err >&2")
	if r.code != 0 || r.stdout != "out\n" || strings.Join(r.stderr, "\n") != "err" {
		t.Fatalf("exit %d, stdout %q, stderr %q: want the command's", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ",page-faults,") {
		t.Errorf("-o file holds %q", b)
	}
	wantFiles(t, "stat -o", dir, "counts.csv")
}

// TestStatUsageErrors: a bad event, flag or combination is said once, in
// one line, and stat exits 2 without running the command.
func TestStatUsageErrors(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	cmd := []string{"--", "touch", ran}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-e", "cyclez"}, []string{`unknown event "cyclez"`, "cycles"}},
		{[]string{"-e", "{cycles"}, []string{"malformed"}},
		{[]string{"-A"}, []string{"-A", "-a"}},
		{[]string{"-x,", "-j"}, []string{"-x", "-j"}},
		{[]string{"-a", "-C", "0"}, []string{"one of"}},
		{[]string{"-C", "5-1"}, []string{"bad CPU list"}},
		{[]string{"-r", "0"}, []string{"-r"}},
		{[]string{"-I", "1"}, []string{"-I"}},
		{[]string{"--metrics", "pmcfoo"}, []string{"pmcarch"}},
		{[]string{"-p", "x"}, []string{"bad PID"}},
		{nil, []string{"nothing to count"}},
	} {
		args := append([]string{"stat"}, c.args...)
		if c.args != nil {
			args = append(args, cmd...)
		}
		r := runCLI(t, dir, "", args...)
		r.wantFailure(t, strings.Join(args, " "), 2, c.want...)
	}
	wantFiles(t, "stat with bad flags", dir)
}
