package main

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// otlpOffCPUProfileType is the profile type Pyroscope makes of the
// agent's off-CPU profiles over OTLP (off_cpu/nanoseconds, no period).
const otlpOffCPUProfileType = "off_cpu:off_cpu:nanoseconds::"

// TestAgentOTLPPyroscope is the end-to-end check of --otlp against a real
// Pyroscope's OTLP profiles route: the 70/30 split comes back within 3
// points under the service's name, with the hostname and --labels as
// labels; with --off-cpu, a program that sleeps 2 s has about 2 s of
// off_cpu; and every push was accepted.
func TestAgentOTLPPyroscope(t *testing.T) {
	server := startPyroscope(t)
	testenv.RequireRoot(t)
	since := time.Now()
	split := testenv.BuildC(t, "gcc", "fkotlpsplit", []string{filepath.Join("testdata", "split7030.c")}, "-O1", "-fno-omit-frame-pointer")
	// Naps, not one sleep: a process whose one block ends as it exits is
	// gone before the agent, which learns of it from that block, can name
	// it.
	sleeper := testenv.BuildC(t, "gcc", "fkotlpsleep", []string{filepath.Join("testdata", "naps.c")}, "-O1")

	agent := startAgent(t, "--otlp", server.URL(), "--every", "5s", "-F", "299", "--hostname", "otlp-host", "--labels", "test=otlp", "--max-backoff", "4s", "--off-cpu")

	// 10 s of CPU at 299 Hz make about 3000 samples: the split's standard
	// error is under 1 point.
	splitCPU := runWorkload(t, split, "10")
	// Resource attributes become labels under their own names (Pyroscope
	// keeps the dot unless -validation.disable-label-sanitization=false).
	selector := `{service_name="fkotlpsplit","host.name"="otlp-host",test="otlp"}`
	total, names := waitSelected(t, server, selector, since, splitCPU, time.Minute)
	seventy, thirty := names["hot_seventy"], names["hot_thirty"]
	share := 100 * float64(seventy) / float64(seventy+thirty)
	t.Logf("fkotlpsplit over OTLP: %v of CPU used, %v in Pyroscope; hot_seventy %v, hot_thirty %v: %.1f%%",
		splitCPU, time.Duration(total), time.Duration(seventy), time.Duration(thirty), share)
	if math.Abs(share-70) > 3 {
		t.Errorf("hot_seventy has %.1f%% of hot_seventy+hot_thirty, want 70 ± 3", share)
	}
	if float64(total) > 1.1*float64(splitCPU) {
		t.Errorf("Pyroscope has %v of fkotlpsplit's CPU time, more than the %v it used", time.Duration(total), splitCPU)
	}

	// Off-CPU time arrives in nanoseconds: about the 2 s it napped.
	runWorkload(t, sleeper, "2")
	var offCPU int64
	for deadline := time.Now().Add(time.Minute); offCPU < 1.5e9 && time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		offCPU, _ = server.selectTypeTotals(t, otlpOffCPUProfileType, `{service_name="fkotlpsleep"}`, since)
	}
	t.Logf("fkotlpsleep over OTLP: slept 2 s, %v of off_cpu in Pyroscope", time.Duration(offCPU))
	if offCPU < 1.5e9 || offCPU > 3e9 {
		t.Errorf("Pyroscope has %v of off_cpu for a program that slept 2 s", time.Duration(offCPU))
	}

	agent.stop(t)
	stats := agent.finalStats(t)
	t.Logf("agent: %v", stats)
	if t.Failed() {
		t.Logf("the agent's log:\n%s", agent.text())
	}
	if stats["pushed"] == 0 || stats["failed"] != 0 || stats["dropped"] != 0 || stats["rejected"] != 0 || stats["queued"] != 0 {
		t.Errorf("agent counts %v: want profiles pushed, none failed, dropped, rejected or left queued", stats)
	}
}
