package profile_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// buildOffCPUSplit compiles testdata/offcpu_profile_split.c optimized and
// without frame pointers: its stacks through libc's read and nanosleep
// wrappers are walked by call frame information.
func buildOffCPUSplit(t *testing.T) string {
	t.Helper()
	return testenv.BuildC(t, "gcc", "offcpu_split", []string{filepath.Join("testdata", "offcpu_profile_split.c")},
		"-O2", "-fomit-frame-pointer", "-pthread")
}

// testBackend is the backend a test of both backends runs: the last word
// of its name (TestX/perf), else BPF.
func testBackend(t *testing.T) profile.Backend {
	if strings.HasSuffix(t.Name(), "/perf") {
		return profile.BackendPerf
	}
	return profile.BackendBPF
}

// splitRun is a run of offcpu_profile_split under a session: its profile,
// the main thread's samples folded (by microseconds), and the main
// thread's wall time, CPU time and time runnable waiting for a CPU over
// its rounds, as it measured them.
type splitRun struct {
	p                     *profile.Profile
	main                  *flamegraph.Profile
	wallUS, cpuUS, waitUS float64
	mainTID               int
}

// runSplit runs offcpu_profile_split with args under a session of opts
// (Command and PerThread set here) until it exits.
func runSplit(t *testing.T, opts profile.Options, args ...string) splitRun {
	t.Helper()
	cmd := exec.Command(buildOffCPUSplit(t), args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	opts.Command, opts.PerThread = cmd, true
	_, p := runOptions(t, opts)
	r := splitRun{p: p, mainTID: cmd.Process.Pid}
	if _, err := fmt.Sscan(out.String(), &r.wallUS, &r.cpuUS, &r.waitUS); err != nil {
		t.Fatalf("the program's times %q: %v", out.String(), err)
	}
	mainOnly := *p
	mainOnly.Samples = nil
	for _, s := range p.Samples {
		if s.TID == r.mainTID {
			mainOnly.Samples = append(mainOnly.Samples, s)
		}
	}
	r.main = mainOnly.Folded(profile.FoldOptions{})
	return r
}

// sum is the microseconds of the stacks of p for which has is true.
func sum(p *flamegraph.Profile, has func(frames string) bool) float64 {
	var n float64
	for _, st := range p.Stacks {
		if has(st.Frames) {
			n += st.Count
		}
	}
	return n
}

func all(string) bool { return true }

// TestOffCPUSplit records the blocked time of a main thread that waits
// 3 ms for a pipe's answer, then sleeps 2 ms, each round: the profile
// counts microseconds, gives the wait and the nap 60/40 of the main
// thread's blocked time within 5 points, and a blocked total within 10%
// of its wall time less its CPU time. (The stacks of the first blocks,
// before the session has the process's unwind tables, may be cut short:
// 10% of the time is left for them.)
func TestOffCPUSplit(t *testing.T) {
	bothBackends(t, func(t *testing.T) {
		r := runSplit(t, profile.Options{Backend: testBackend(t), Mode: profile.ModeOffCPU}, "500")
		if r.p.Event.Name != "off-cpu" || r.p.Event.Unit != "microseconds" || r.main.Unit != "microseconds" {
			t.Errorf("event %+v, folded unit %q: want off-cpu in microseconds", r.p.Event, r.main.Unit)
		}
		total := sum(r.main, all)
		wait := sum(r.main, contains(";main;wait_for_answer;read;"))
		nap := sum(r.main, contains(";main;nap;"))
		t.Logf("main thread: %.0f µs blocked, %.0f in wait_for_answer, %.0f in nap; wall %.0f µs, CPU %.0f µs; %d lost, failures %v",
			total, wait, nap, r.wallUS, r.cpuUS, r.p.Lost, r.p.Failures)
		if wait+nap < 0.9*total {
			t.Errorf("%.0f of %.0f µs blocked in wait_for_answer and nap, want 90%%\n%s", wait+nap, total, dump(r.main))
		}
		if share := wait / (wait + nap); share < 0.55 || share > 0.65 {
			t.Errorf("wait_for_answer has %.1f%% of the blocked time of wait_for_answer and nap, want 60 ± 5\n%s", 100*share, dump(r.main))
		}
		if offCPU := r.wallUS - r.cpuUS; total < 0.9*offCPU || total > 1.1*offCPU {
			t.Errorf("main thread blocked %.0f µs, want its wall time less its CPU time, %.0f µs, within 10%%", total, offCPU)
		}
		var blocks uint64
		for _, s := range r.p.Samples {
			if s.TID == r.mainTID && s.OffCPU {
				blocks += s.Count
			}
		}
		if blocks < 990 {
			t.Errorf("%d blocks of the main thread, want about 1000 (2 a round)", blocks)
		}
	})
}

// TestOffCPUWakeups records the same program with its wakers: the stacks
// of the wait for the answer go on, after "--", with the helper's
// answer_later, which wrote it.
func TestOffCPUWakeups(t *testing.T) {
	r := runSplit(t, profile.Options{Backend: profile.BackendBPF, Mode: profile.ModeOffCPU, Wakeups: true}, "300")
	wait := sum(r.main, contains(";main;wait_for_answer;read;"))
	woken := sum(r.main, func(frames string) bool {
		blocked, waker, ok := strings.Cut(frames, ";--;")
		return ok && strings.Contains(blocked, ";main;wait_for_answer;read;") && strings.Contains(waker, ";answer_later_[w];")
	})
	t.Logf("%.0f µs in wait_for_answer, %.0f woken by answer_later", wait, woken)
	if wait == 0 || woken < 0.9*wait {
		t.Errorf("%.0f of %.0f µs of wait_for_answer woken by answer_later_[w] after --, want 90%%\n%s", woken, wait, dump(r.main))
	}
}

// TestWallSplit records the program burning 2 ms of CPU each round as
// well, on-CPU samples and off-CPU time together: the on-CPU stacks name
// burn, the blocked ones (ending in [off-cpu]) wait_for_answer and nap,
// and the main thread's microseconds add up to its wall time within 10%,
// less the time it was preempted: a thread runnable but waiting for a
// CPU is neither on CPU nor blocked. (Its time waiting for a CPU after a
// wakeup, in its blocks, is not told apart from preemption: the bound is
// its wall time less all its waits for a CPU.)
func TestWallSplit(t *testing.T) {
	bothBackends(t, func(t *testing.T) {
		r := runSplit(t, profile.Options{Backend: testBackend(t), Mode: profile.ModeWall, Frequency: 999}, "300", "spin")
		if r.p.Event.Name != "wall" || r.main.Unit != "microseconds" {
			t.Errorf("event %+v, folded unit %q: want wall in microseconds", r.p.Event, r.main.Unit)
		}
		offCPU := func(frames string) bool { return strings.HasSuffix(frames, ";"+profile.OffCPUFrame) }
		onCPU := func(frames string) bool { return !offCPU(frames) }
		total, blocked := sum(r.main, all), sum(r.main, offCPU)
		burn := sum(r.main, func(f string) bool { return onCPU(f) && strings.Contains(f, ";main;burn") })
		waits := sum(r.main, func(f string) bool {
			return offCPU(f) && (strings.Contains(f, ";main;wait_for_answer;") || strings.Contains(f, ";main;nap;"))
		})
		t.Logf("main thread: %.0f µs, %.0f blocked (%.0f in wait_for_answer and nap), %.0f on CPU in burn; wall %.0f µs, CPU %.0f µs, waiting for a CPU %.0f µs",
			total, blocked, waits, burn, r.wallUS, r.cpuUS, r.waitUS)
		if on := total - blocked; burn < 0.8*on {
			t.Errorf("%.0f of the %.0f µs on CPU in burn, want 80%%\n%s", burn, on, dump(r.main))
		}
		if waits < 0.9*blocked {
			t.Errorf("%.0f of the %.0f µs blocked in wait_for_answer and nap, want 90%%\n%s", waits, blocked, dump(r.main))
		}
		if total < 0.9*(r.wallUS-r.waitUS) || total > 1.1*r.wallUS {
			t.Errorf("main thread: %.0f µs on and off CPU, want its wall time, %.0f µs, less up to its %.0f µs waiting for a CPU, within 10%%\n%s", total, r.wallUS, r.waitUS, dump(r.main))
		}
	})
}

// TestOffCPUBlockedThroughout records a command that sleeps through the
// whole recording: its block, still open at Stop, is in the profile with
// the time it has been blocked, about the recording's length.
func TestOffCPUBlockedThroughout(t *testing.T) {
	bothBackends(t, func(t *testing.T) {
		testenv.RequireRoot(t)
		sleep := testenv.RequireTool(t, "sleep", "coreutils")
		before := time.Now()
		s, err := profile.Start(context.Background(), profile.Options{Command: exec.Command(sleep, "100"), Backend: testBackend(t), Mode: profile.ModeOffCPU})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		started := time.Now()
		time.Sleep(1500 * time.Millisecond)
		// The command starts during Start, and sleeps from then on, until
		// Stop takes its block still open.
		least := time.Since(started)
		p, err := s.Stop()
		if err != nil {
			t.Fatal(err)
		}
		most := time.Since(before)
		folded := p.Folded(profile.FoldOptions{})
		slept := time.Duration(sum(folded, func(f string) bool { return strings.HasPrefix(f, "sleep;") && strings.Contains(f, "nanosleep") })) * time.Microsecond
		t.Logf("sleep blocked %v; the recording took %v from Start's return, %v from its call", slept, least, most)
		if slept < least*95/100 || slept > most {
			t.Errorf("sleep blocked %v, want the recording's length, between %v and %v\n%s", slept, least, most, dump(folded))
		}
	})
}

// TestOffCPUExitWhileBlocked records a command whose child is killed while
// it blocks (offcpu_profile_exit: after a 10 ms sleep and 200 ms of CPU,
// it pauses until killed, 1.5 s after it started): the child's block,
// ended by its exit, is in the profile with the time left, under its
// function, named after it exited.
func TestOffCPUExitWhileBlocked(t *testing.T) {
	bothBackends(t, func(t *testing.T) {
		bin := testenv.BuildC(t, "gcc", "offcpu_exit", []string{filepath.Join("testdata", "offcpu_profile_exit.c")},
			"-O2", "-fno-omit-frame-pointer")
		cmd := exec.Command("/bin/sh", "-c", `"$0" & pid=$!; sleep 1.5; kill $pid; wait`, bin)
		_, p := runOptions(t, profile.Options{Command: cmd, Backend: testBackend(t), Mode: profile.ModeOffCPU})
		folded := p.Folded(profile.FoldOptions{})
		blocked := time.Duration(sum(folded, contains(";block_until_killed;"))) * time.Microsecond
		t.Logf("block_until_killed blocked %v; failures %v", blocked, p.Failures)
		// 1.5 s less its start, a little more when sleep oversleeps.
		if blocked < 800*time.Millisecond || blocked > 1800*time.Millisecond {
			t.Errorf("block_until_killed blocked %v, want about 1.3 s\n%s", blocked, dump(folded))
		}
	})
}
