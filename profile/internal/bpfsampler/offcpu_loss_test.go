package bpfsampler

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// pingPong runs offcpu_pingpong (pairs of threads ping-ponging rounds
// times over pipes) under a sampler started with cfg (its PIDs set to the
// program), and returns the program's voluntary context switches during
// the rounds, what the sampler recorded up to DrainOpen, and how long the
// rounds took.
func pingPong(t *testing.T, cfg sampler.Config, pairs, rounds int) (switches uint64, samples []sampler.Sample, st sampler.Stats, took time.Duration) {
	t.Helper()
	bin := samplertest.BuildC(t, "offcpu_pingpong", "-O2", "-pthread")
	c := testenv.StartChild(t, exec.Command(bin, strconv.Itoa(pairs), strconv.Itoa(rounds)))
	c.WaitLine(t, "ready")
	cfg.PIDs = []uint32{uint32(c.Process.Pid)}
	s := startTest(t, cfg)
	start := time.Now()
	fmt.Fprintln(c.In, "go")
	first := number(t, c.WaitLine(t, "start "))
	last := number(t, c.WaitLine(t, "end "))
	took = time.Since(start)
	samples, st = drainOpen(t, s)
	c.Finish(t)
	return last - first, samples, st, took
}

// number parses a count the program printed.
func number(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// blocks sums the off-CPU samples' blocks (aggregated ones only).
func blocks(samples []sampler.Sample) uint64 {
	_, n := blockedTime(samples, func(sampler.Sample) bool { return true })
	return n
}

// checkSwitches checks that the blocks recorded, n, are the switches of
// pairs of threads counted by getrusage, give or take a few: the program's
// wait for the end of its input (open at the end), and one switch a
// thread as it exits (its last, to die, which is no block, is in its
// count; its switches after its joiner read the count, are not).
func checkSwitches(t *testing.T, n, switches uint64, pairs int) {
	t.Helper()
	slack := uint64(2*pairs + 2)
	if n+slack < switches || n > switches+slack {
		t.Errorf("%d blocks for %d voluntary switches: want as many, give or take %d", n, switches, slack)
	}
}

// TestOffCPUEveryBlock ping-pongs two threads 50,000 times (tens of
// thousands of switches a second): the blocks recorded are the program's
// voluntary context switches (see checkSwitches), none lost for want of
// room. The kernel does not run the programs at every switch (see the
// package's doc): on one machine, one to three blocks a run of 90,000
// switches had neither their switch in nor their wakeup seen, with no
// recursion misses, and were counted lost. The test allows that, up to
// one switch in 2,000.
func TestOffCPUEveryBlock(t *testing.T) {
	testenv.RequireRoot(t)
	switches, samples, st, took := pingPong(t, sampler.Config{OffCPU: &sampler.OffCPU{}}, 1, 50000)
	n := blocks(samples)
	t.Logf("%d voluntary switches in %v (%.0f/s), %d blocks recorded; %+v", switches, took, float64(switches)/took.Seconds(), n, st)
	checkSwitches(t, n, switches, 1)
	full := st.Failures[sampler.FailureBlockedFull] + st.Failures[sampler.FailureCountsFull] + st.Failures[sampler.FailureCountsError]
	if switches < 50000 || full != 0 || st.Lost*2000 > switches {
		t.Errorf("%d voluntary switches, %d blocks lost, %d of them for want of room: want 50,000 or more, none for want of room, and at most one in 2,000 unseen", switches, st.Lost, full)
	}
}

// TestOffCPUForcedLoss ping-pongs four pairs of threads with maps of four
// entries (blocked threads, counts and stacks): blocks that find no room
// are counted lost, by cause, so that the blocks kept and lost add up to
// the program's voluntary context switches.
func TestOffCPUForcedLoss(t *testing.T) {
	testenv.RequireRoot(t)
	cfg := sampler.Config{OffCPU: &sampler.OffCPU{}, PerThread: true, MaxStacks: 4}
	switches, samples, st, took := pingPong(t, cfg, 4, 10000)
	n := blocks(samples)
	t.Logf("%d voluntary switches in %v, %d blocks kept in %d entries; %+v", switches, took, n, len(samples), st)
	if st.Failures[sampler.FailureBlockedFull] == 0 || st.Failures[sampler.FailureCountsFull] == 0 {
		t.Errorf("no full map of blocked threads or counts counted: %+v", st)
	}
	// Within 1%: once in several runs, up to 0.3% of the blocks went
	// unaccounted with full maps (cause not found; see the report of
	// branch offcpu-bpf). Unaccounted blocks beyond that fail.
	if diff := int64(n+st.Lost) - int64(switches); diff*100 > int64(switches) || -diff*100 > int64(switches) {
		t.Errorf("%d blocks kept + %d lost, for %d voluntary switches: want as many, within 1%%", n, st.Lost, switches)
	}
	if st.LostValue == 0 {
		t.Errorf("no lost time counted with the lost blocks")
	}
}
