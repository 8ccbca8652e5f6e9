package main

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// agentProcess is a running `flamekit agent` whose stderr (its log) the
// test reads.
type agentProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  []string
}

// startAgent starts flamekit agent with args and waits until it samples.
func startAgent(t *testing.T, args ...string) *agentProcess {
	t.Helper()
	a := &agentProcess{cmd: exec.Command(flamekitBinary(t), append([]string{"agent"}, args...)...), done: make(chan struct{})}
	stderr, err := a.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sampling := make(chan struct{})
	go func() {
		defer close(a.done)
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			a.mu.Lock()
			a.log = append(a.log, sc.Text())
			a.mu.Unlock()
			if strings.Contains(sc.Text(), "sampling the system") {
				once.Do(func() { close(sampling) })
			}
		}
		io.Copy(io.Discard, stderr)
		a.cmd.Wait()
	}()
	t.Cleanup(func() { a.cmd.Process.Kill(); <-a.done })
	select {
	case <-sampling:
	case <-a.done:
		t.Fatalf("the agent exited: %s", a.text())
	case <-time.After(time.Minute):
		t.Fatalf("the agent did not start sampling in a minute: %s", a.text())
	}
	return a
}

func (a *agentProcess) text() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.log, "\n")
}

// stop sends SIGTERM and waits for the agent to flush and exit.
func (a *agentProcess) stop(t *testing.T) {
	t.Helper()
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(time.Minute):
		t.Fatalf("the agent did not exit within a minute of SIGTERM: %s", a.text())
	}
	if code := commandStatus(a.cmd.ProcessState); code != 0 {
		t.Errorf("the agent exited with status %d: %s", code, a.text())
	}
}

// statsPattern finds the agent's counts in a log line.
var statsPattern = regexp.MustCompile(`pushed=(\d+) failed=(\d+) retried=(\d+) dropped=(\d+) rejected=(\d+) queued=(\d+)`)

// finalStats returns the counts of the agent's last log line that has them.
func (a *agentProcess) finalStats(t *testing.T) map[string]uint64 {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.log) - 1; i >= 0; i-- {
		if m := statsPattern.FindStringSubmatch(a.log[i]); m != nil {
			s := map[string]uint64{}
			for j, name := range []string{"pushed", "failed", "retried", "dropped", "rejected", "queued"} {
				s[name], _ = strconv.ParseUint(m[j+1], 10, 64)
			}
			return s
		}
	}
	t.Fatalf("no counts in the agent's log: %s", strings.Join(a.log, "\n"))
	return nil
}

// maxMemory returns the largest of a field of the memory the agent logged
// ("VmRSS", "RssAnon"), in KiB.
func (a *agentProcess) maxMemory(field string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	most := 0
	for _, l := range a.log {
		if _, after, ok := strings.Cut(l, field+"="); ok {
			digits := strings.IndexFunc(after, func(r rune) bool { return r < '0' || r > '9' })
			n, _ := strconv.Atoi(after[:max(digits, 0)])
			most = max(most, n)
		}
	}
	return most
}

// runWorkload runs bin with args to the end and returns the CPU time it
// used.
func runWorkload(t *testing.T, bin string, args ...string) time.Duration {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// waitIngested polls Pyroscope until the service's CPU total reaches 90% of
// cpu (what the workload used), or fails t after timeout.
func waitIngested(t *testing.T, s *pyroscopeServer, service string, since time.Time, cpu, timeout time.Duration) (int64, map[string]int64) {
	t.Helper()
	return waitSelected(t, s, fmt.Sprintf("{service_name=%q}", service), since, cpu, timeout)
}

// waitSelected is waitIngested of the series a label selector picks.
func waitSelected(t *testing.T, s *pyroscopeServer, selector string, since time.Time, cpu, timeout time.Duration) (int64, map[string]int64) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		total, names := s.selectTotals(t, selector, since)
		if float64(total) >= 0.9*float64(cpu) {
			return total, names
		}
		if time.Now().After(deadline) {
			t.Fatalf("Pyroscope has %v of %s's CPU time after %v, want about the %v it used", time.Duration(total), selector, timeout, cpu)
		}
		time.Sleep(2 * time.Second)
	}
}

// TestAgentPyroscope is the end-to-end check against a real Pyroscope:
// a 70/30 split comes back within 3 points, a stripped Go program's
// functions come back named, and a workload that ran while Pyroscope was
// stopped for 25 s arrives whole once it is back, nothing dropped.
func TestAgentPyroscope(t *testing.T) {
	server := startPyroscope(t)
	testenv.RequireRoot(t)
	since := time.Now()
	split := testenv.BuildC(t, "gcc", "fksplit", []string{filepath.Join("testdata", "split7030.c")}, "-O1", "-fno-omit-frame-pointer")
	outage := testenv.BuildC(t, "gcc", "fkoutage", []string{filepath.Join("testdata", "split7030.c")}, "-O1", "-fno-omit-frame-pointer")
	stripped := buildStrippedGo(t)

	agent := startAgent(t, "--pyroscope", server.URL(), "--every", "5s", "-F", "299", "--labels", "test=e2e", "--max-backoff", "4s")

	// 10 s of CPU at 299 Hz make about 3000 samples: the split's standard
	// error is under 1 point.
	splitCPU := runWorkload(t, split, "10")
	strippedCPU := runWorkload(t, stripped, "6s")

	total, names := waitIngested(t, server, "fksplit", since, splitCPU, time.Minute)
	seventy, thirty := names["hot_seventy"], names["hot_thirty"]
	share := 100 * float64(seventy) / float64(seventy+thirty)
	t.Logf("fksplit: %v of CPU used, %v in Pyroscope; hot_seventy %v, hot_thirty %v: %.1f%%",
		splitCPU, time.Duration(total), time.Duration(seventy), time.Duration(thirty), share)
	if math.Abs(share-70) > 3 {
		t.Errorf("hot_seventy has %.1f%% of hot_seventy+hot_thirty, want 70 ± 3", share)
	}
	_, names = waitIngested(t, server, "fkstripped", since, strippedCPU, time.Minute)
	for _, fn := range []string{"main.strippedAlpha", "main.strippedBeta"} {
		if names[fn] == 0 {
			t.Errorf("the stripped Go program's %s is not in its flame graph; names: %v", fn, keys(names))
		}
	}

	// Pyroscope goes away for 25 s while a workload runs.
	server.stop(t)
	down := time.Now()
	outageCPU := runWorkload(t, outage, "5")
	time.Sleep(25*time.Second - time.Since(down))
	server.start(t)
	t.Logf("Pyroscope was down %v; back after %v", 25*time.Second, time.Since(down))
	total, _ = waitIngested(t, server, "fkoutage", since, outageCPU, 2*time.Minute)
	t.Logf("fkoutage (run while Pyroscope was down): %v of CPU used, %v in Pyroscope", outageCPU, time.Duration(total))
	if float64(total) > 1.1*float64(outageCPU) {
		t.Errorf("Pyroscope has %v of fkoutage's CPU time, more than the %v it used", time.Duration(total), outageCPU)
	}

	agent.stop(t)
	stats := agent.finalStats(t)
	t.Logf("agent: %v; its largest RSS %d KiB (anonymous %d KiB)", stats, agent.maxMemory("VmRSS"), agent.maxMemory("RssAnon"))
	if t.Failed() {
		t.Logf("the agent's log:\n%s", agent.text())
	}
	if stats["dropped"] != 0 || stats["rejected"] != 0 || stats["queued"] != 0 {
		t.Errorf("agent counts %v: want nothing dropped, rejected or left queued", stats)
	}
	if stats["failed"] == 0 || stats["retried"] == 0 {
		t.Errorf("agent counts %v: the pushes while Pyroscope was down should have failed and been retried", stats)
	}
	if n := strings.Count(agent.text(), "push failed"); uint64(n) != stats["failed"] {
		t.Errorf("%d push failures logged, %d counted", n, stats["failed"])
	}
}

// buildStrippedGo builds testdata/stripped.go.txt without symbol tables
// (-ldflags=-s -w) as fkstripped.
func buildStrippedGo(t *testing.T) string {
	t.Helper()
	gobin := testenv.RequireTool(t, "go", "install Go")
	src, err := os.ReadFile(filepath.Join("testdata", "stripped.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, src, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fkstripped")
	cmd := exec.Command(gobin, "build", "-ldflags=-s -w", "-o", bin, main)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if syms, err := f.Symbols(); !errors.Is(err, elf.ErrNoSymbols) {
		t.Fatalf("fkstripped has %d symbols (%v), want none", len(syms), err)
	}
	return bin
}

func keys(m map[string]int64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
