package perfsampler

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// requireOffCPU skips, or under CI fails, where the context switches of
// off-CPU recording cannot be sampled: they can as root, or with
// kernel.perf_event_paranoid ≤ 1.
func requireOffCPU(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if p, err := perfevent.Paranoid(); err != nil || p > 1 {
		testenv.SkipOrFail(t, "off-CPU recording needs root or kernel.perf_event_paranoid ≤ 1 (it is %d, %v)", p, err)
	}
}

// offCPUConfig records the off-CPU time of process pid, per thread.
func offCPUConfig(pid uint32) sampler.Config {
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{pid}
	cfg.PerThread = true
	cfg.OffCPU = &sampler.OffCPU{}
	return cfg
}

// schedstat returns the time thread tid of process pid has run, and the
// time it has waited runnable on a run queue, from its schedstat.
func schedstat(t *testing.T, pid, tid uint32) (run, wait time.Duration) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/schedstat", pid, tid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	r, err1 := strconv.ParseUint(f[0], 10, 64)
	w, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("schedstat %q", b)
	}
	return time.Duration(r), time.Duration(w)
}

// blockedIn sums the off-CPU time of thread tid's aggregated samples by
// the first function of names in their user stacks ("" for none), and
// returns it with the thread's whole blocked time and the number of on-CPU
// samples.
func blockedIn(samples []sampler.Sample, tid uint32, name func(uint64) string, names ...string) (by map[string]time.Duration, total time.Duration, onCPU uint64) {
	by = map[string]time.Duration{}
	for _, rs := range samples {
		if rs.Time != 0 {
			continue // timed: counted in the aggregates as well
		}
		if !rs.OffCPU {
			onCPU += rs.Count
			continue
		}
		if rs.TID != tid {
			continue
		}
		total += time.Duration(rs.Value)
		fn := ""
	frames:
		for _, pc := range rs.User {
			for _, n := range names {
				if name(pc) == n {
					fn = n
					break frames
				}
			}
		}
		by[fn] += time.Duration(rs.Value)
	}
	return by, total, onCPU
}

// drainBoth drains s, then its open blocks.
func drainBoth(t *testing.T, s *Sampler) ([]sampler.Sample, sampler.Stats) {
	t.Helper()
	samples, st := samplertest.DrainAll(t, s)
	st2, err := s.DrainOpen(func(rs sampler.Sample) { samples = append(samples, rs) })
	if err != nil {
		t.Fatal(err)
	}
	st.Lost += st2.Lost
	for k, v := range st2.Failures {
		st.Failures[k] += v
	}
	return samples, st
}

// TestPerfRingOffCPUSplit records the blocked time of a program whose main
// thread waits 3 ms for a pipe in wait_for_answer, then sleeps 2 ms in nap,
// round after round: the split is 60/40 (as the program measures it), and
// its blocked total is its
// wall time less its CPU time (a block lasts until the thread runs again,
// its wait on a run queue after its wakeup included). Built with
// frame pointers and without, its user stacks are walked by their call
// frame information: libc's frameless read and nanosleep must not hide the
// function that called them. With Wall, cpu-clock samples (few: it hardly
// runs) come with the blocks and change nothing of them. UserOnly leaves
// the kernel stacks out; Timed hands over every block on its own too.
func TestPerfRingOffCPUSplit(t *testing.T) {
	requireOffCPU(t)
	for _, tc := range []struct {
		name                  string
		flags                 []string
		wall, userOnly, timed bool
	}{
		{"fp", []string{"-O0", "-g", "-fno-omit-frame-pointer", "-pthread"}, false, true, true},
		{"cfi", []string{"-O2", "-g", "-fomit-frame-pointer", "-fno-optimize-sibling-calls", "-pthread"}, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := testenv.BuildC(t, "gcc", "offcpu_perf_split", []string{samplertest.Testdata(t, "offcpu_perf_split.c")}, tc.flags...)
			c := testenv.StartChild(t, exec.Command(bin))
			c.WaitLine(t, "ready")
			pid := uint32(c.Process.Pid)
			cfg := offCPUConfig(pid)
			cfg.OffCPU.Wall = tc.wall
			cfg.UserOnly, cfg.Timed = tc.userOnly, tc.timed
			cfg.Unwind = registryOf(t, pid)
			res := samplertest.NewResolver(t, int(pid), bin)
			run0, wait0 := schedstat(t, pid, pid)
			start, from := time.Now(), monotonicNow()
			s, err := Start(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			spentWait0, spentNap0 := spent(t, c)
			time.Sleep(1500 * time.Millisecond)
			spentWait1, spentNap1 := spent(t, c)
			samples, st := drainBoth(t, s)
			wall := time.Since(start)
			run1, wait1 := schedstat(t, pid, pid)
			by, total, onCPU := blockedIn(samples, pid, res.Name, "wait_for_answer", "nap")
			run, queued := run1-run0, wait1-wait0
			want := wall - run
			spentWait, spentNap := spentWait1-spentWait0, spentNap1-spentNap0
			t.Logf("main blocked %v: %v; wall %v, CPU %v (run-queue waits %v, most after wakeups, in blocks): want %v; "+
				"it measured wait_for_answer %v, nap %v meanwhile; %d on-CPU samples; stats %+v",
				total, by, wall, run, queued, want, spentWait, spentNap, onCPU, st)
			ask, nap := by["wait_for_answer"], by["nap"]
			// The program's own measure is the truth: on a loaded machine
			// wakeups are late, and the split drifts from 60/40.
			share, truth := float64(ask)/float64(ask+nap), float64(spentWait)/float64(spentWait+spentNap)
			if share < truth-0.03 || share > truth+0.03 || truth < 0.5 || truth > 0.7 {
				t.Errorf("wait_for_answer %v, nap %v: %.3f of their sum; the program measured %.3f (want about 0.6): want the same ± 0.03", ask, nap, share, truth)
			}
			for _, f := range []struct{ got, want time.Duration }{{ask, spentWait}, {nap, spentNap}} {
				if d := f.got - f.want; d < -f.want/20 || d > f.want/20 {
					t.Errorf("recorded %v where the program measured %v: want ± 5%%", f.got, f.want)
				}
			}
			if ask+nap < total*95/100 {
				t.Errorf("%v of %v blocked time in wait_for_answer or nap: want ≥95%%", ask+nap, total)
			}
			if d := total - want; d < -want/10 || d > want/10 {
				t.Errorf("blocked %v, want %v ± 10%% (wall %v less CPU %v)", total, want, wall, run)
			}
			if !tc.wall && onCPU > 0 {
				t.Errorf("%d on-CPU samples without Wall", onCPU)
			}
			checkSplitStacks(t, samples, pid, tc.userOnly)
			if tc.timed {
				checkTimedBlocks(t, samples, pid, from)
			}
		})
	}
}

// spent asks the split program for the time it has spent in
// wait_for_answer and nap.
func spent(t *testing.T, c *testenv.Child) (wait, nap time.Duration) {
	t.Helper()
	if _, err := c.In.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Sscan(c.WaitLine(t, "spent "), &wait, &nap); err != nil {
		t.Fatal(err)
	}
	return wait, nap
}

// checkSplitStacks checks that the off-CPU samples of thread tid have
// kernel stacks, or none with userOnly.
func checkSplitStacks(t *testing.T, samples []sampler.Sample, tid uint32, userOnly bool) {
	t.Helper()
	var blocks, withKernel uint64
	for _, rs := range samples {
		if rs.OffCPU && rs.TID == tid && rs.Time == 0 {
			blocks += rs.Count
			if len(rs.Kernel) > 0 {
				withKernel += rs.Count
			}
		}
	}
	if userOnly && withKernel > 0 || !userOnly && withKernel < blocks*9/10 {
		t.Errorf("%d of %d blocks with kernel stacks, user only %t", withKernel, blocks, userOnly)
	}
}

// checkTimedBlocks checks that thread tid's timed blocks, each ended
// after from, add up to its aggregated ones.
func checkTimedBlocks(t *testing.T, samples []sampler.Sample, tid uint32, from uint64) {
	t.Helper()
	var n, timed, value, timedValue uint64
	for _, rs := range samples {
		switch {
		case !rs.OffCPU || rs.TID != tid:
		case rs.Time == 0:
			n, value = n+rs.Count, value+rs.Value
		case rs.Count != 1 || rs.Time < from || rs.Time > monotonicNow() || rs.Value == 0 || rs.CPU < 0:
			t.Fatalf("timed block %+v: want one block ended after %d, on a CPU", rs, from)
		default:
			timed, timedValue = timed+1, timedValue+rs.Value
		}
	}
	if timed != n || timedValue != value || n == 0 {
		t.Errorf("%d timed blocks of %d ns, %d aggregated of %d ns: want the same", timed, timedValue, n, value)
	}
}

// startHold starts testdata/offcpu_perf_hold.c in mode, with frame
// pointers, and records its off-CPU time, walking its stacks through their
// call frame information; then it lets the program go on.
func startHold(t *testing.T, mode string) (*testenv.Child, *Sampler, *samplertest.Resolver) {
	t.Helper()
	bin := samplertest.BuildC(t, "offcpu_perf_hold", "-pthread")
	c := testenv.StartChild(t, exec.Command(bin, mode))
	c.WaitLine(t, "ready")
	pid := uint32(c.Process.Pid)
	cfg := offCPUConfig(pid)
	cfg.Unwind = registryOf(t, pid)
	res := samplertest.NewResolver(t, int(pid), bin)
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := c.In.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	return c, s, res
}

// TestPerfRingOffCPUHold checks that a thread blocked until the end of the
// recording is reported by DrainOpen, with the time it has been blocked,
// and only once.
func TestPerfRingOffCPUHold(t *testing.T) {
	requireOffCPU(t)
	start := time.Now() // the block may begin before startHold returns
	c, s, res := startHold(t, "hold")
	pid := uint32(c.Process.Pid)
	time.Sleep(400 * time.Millisecond)
	drained, _ := samplertest.DrainAll(t, s)
	by, _, _ := blockedIn(drained, pid, res.Name, "hold_forever")
	if by["hold_forever"] != 0 {
		t.Fatalf("a block in hold_forever drained while it lasts: %v", by)
	}
	var open []sampler.Sample
	if _, err := s.DrainOpen(func(rs sampler.Sample) { open = append(open, rs) }); err != nil {
		t.Fatal(err)
	}
	most := time.Since(start)
	var held []sampler.Sample
	for _, rs := range open {
		if rs.OffCPU && rs.TID == pid && len(rs.User) > 0 && slicesContainsName(rs.User, res.Name, "hold_forever") {
			held = append(held, rs)
		}
	}
	t.Logf("drained %v; open: %+v", by, held)
	if len(held) != 1 || held[0].Count != 1 || time.Duration(held[0].Value) < 300*time.Millisecond || time.Duration(held[0].Value) > most {
		t.Fatalf("open blocks in hold_forever %+v: want one, of 300 ms to %v", held, most)
	}
	again, _ := drainBoth(t, s)
	if by, _, _ := blockedIn(again, pid, res.Name, "hold_forever"); by["hold_forever"] != 0 {
		t.Errorf("the open block counted again: %v", by)
	}
}

// slicesContainsName reports whether a frame of stack is in function fn.
func slicesContainsName(stack []uint64, name func(uint64) string, fn string) bool {
	for _, pc := range stack {
		if name(pc) == fn {
			return true
		}
	}
	return false
}

// TestPerfRingOffCPUExit checks that a thread blocked when its process
// exits has its block ended by the exit: reported by Drain, not left open.
func TestPerfRingOffCPUExit(t *testing.T) {
	requireOffCPU(t)
	c, s, res := startHold(t, "exit")
	start := time.Now()
	c.Finish(t)
	most := time.Since(start)
	pid := uint32(c.Process.Pid)
	time.Sleep(50 * time.Millisecond) // past the records Drain leaves to the next (recordSlack)
	samples, st := samplertest.DrainAll(t, s)
	var blocked, lingered time.Duration
	var threads int
	for _, rs := range samples {
		if rs.Comm != "offcpu_perf_hol" {
			t.Errorf("sample %+v: want the command's name", rs)
		}
		switch {
		case !rs.OffCPU:
		case slicesContainsName(rs.User, res.Name, "blocked_until_exit"):
			blocked += time.Duration(rs.Value)
			threads++
			if rs.TID == pid {
				t.Errorf("blocked_until_exit on the main thread: %+v", rs)
			}
		case slicesContainsName(rs.User, res.Name, "linger"):
			lingered += time.Duration(rs.Value)
		}
	}
	t.Logf("blocked_until_exit %v (%d samples), linger %v, in %v; stats %+v", blocked, threads, lingered, most, st)
	if threads != 1 || blocked < 150*time.Millisecond || blocked > most {
		t.Errorf("blocked_until_exit %v in %d samples: want one block of 150 ms to %v", blocked, threads, most)
	}
	if lingered < 190*time.Millisecond || lingered > most {
		t.Errorf("linger %v: want 200 ms", lingered)
	}
	var open []sampler.Sample
	if _, err := s.DrainOpen(func(rs sampler.Sample) { open = append(open, rs) }); err != nil {
		t.Fatal(err)
	}
	if len(open) != 0 {
		t.Errorf("blocks still open after the exit: %+v", open)
	}
}

// TestPerfRingOffCPUPreemption records, in Wall mode, one of two CPU-bound
// programs sharing a CPU: it waits on the run queue about half the time,
// preempted, never blocked (on a busy machine, more than half), so it has
// next to no off-CPU time, and its cpu-clock samples are in its hot
// functions.
func TestPerfRingOffCPUPreemption(t *testing.T) {
	requireOffCPU(t)
	taskset := testenv.RequireTool(t, "taskset", "apt-get install util-linux")
	cpus, err := sampler.OnlineCPUs()
	if err != nil {
		t.Fatal(err)
	}
	cpu := strconv.Itoa(cpus[len(cpus)-1])
	bin := samplertest.BuildC(t, "split")
	target := testenv.StartChild(t, exec.Command(taskset, "-c", cpu, bin))
	testenv.StartChild(t, exec.Command(taskset, "-c", cpu, bin))
	pid := uint32(target.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // past exec
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe == bin || time.Now().After(deadline) {
			break
		}
	}
	cfg := offCPUConfig(pid)
	cfg.OffCPU.Wall = true
	res := samplertest.NewResolver(t, int(pid), bin)
	run0, wait0 := schedstat(t, pid, pid)
	start := time.Now()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(time.Second)
	samples, st := drainBoth(t, s)
	wall := time.Since(start)
	run1, wait1 := schedstat(t, pid, pid)
	_, blocked, _ := blockedIn(samples, pid, res.Name)
	var hot uint64
	for _, rs := range samples {
		if !rs.OffCPU && len(rs.User) > 0 && (res.Name(rs.User[0]) == "hot" || res.Name(rs.User[0]) == "cold") {
			hot += rs.Count
		}
	}
	run, queued := run1-run0, wait1-wait0
	t.Logf("ran %v, waited %v on the run queue, of %v; off CPU %v; %d cpu-clock samples in hot or cold; stats %+v",
		run, queued, wall, blocked, hot, st)
	if queued < wall/4 {
		t.Fatalf("the program waited %v of %v on the run queue: the CPU was not shared", queued, wall)
	}
	if blocked > wall/50 {
		t.Errorf("off CPU %v of %v: preemption counted as blocked", blocked, wall)
	}
	if want := uint64(run / time.Millisecond); hot < want*7/10 {
		t.Errorf("%d cpu-clock samples in hot or cold in %v of CPU time at 999 Hz", hot, run)
	}
}

// TestPerfRingOffCPULost records two threads ping-ponging over pipes (tens
// of thousands of switches a second) into one-page rings while the reader
// is held back: the overflow is counted, the blocks it cut are counted as
// unpaired, and no block lasts the time the records were lost (a switch
// in paired with a switch out from before the loss would).
func TestPerfRingOffCPULost(t *testing.T) {
	requireOffCPU(t)
	bin := samplertest.BuildC(t, "offcpu_perf_split", "-pthread")
	c := testenv.StartChild(t, exec.Command(bin, "quick"))
	c.WaitLine(t, "ready")
	cfg := offCPUConfig(uint32(c.Process.Pid))
	cfg.MaxStacks = 1
	cfg.Timed = true // every block on its own as well
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(100 * time.Millisecond)
	s.mu.Lock() // the reader cannot empty the rings
	time.Sleep(300 * time.Millisecond)
	s.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	samples, st := drainBoth(t, s)
	var blocks, long uint64
	var longest time.Duration
	for _, rs := range samples {
		if rs.OffCPU && rs.Time != 0 {
			blocks++
			longest = max(longest, time.Duration(rs.Value))
			if time.Duration(rs.Value) >= 100*time.Millisecond {
				long++
			}
		}
	}
	t.Logf("%d blocks, the longest %v; stats %+v", blocks, longest, st)
	if st.Lost == 0 || st.Failures[sampler.FailureRingFull] != st.Lost || st.Failures[sampler.FailureSwitchUnpaired] == 0 {
		t.Errorf("lost %d, failures %v: want records lost, counted as ring-full, and blocks as switch-unpaired", st.Lost, st.Failures)
	}
	if blocks < 100 {
		t.Errorf("%d blocks of a ping-pong in 600 ms, reading every 10 ms", blocks)
	}
	// A switch in recorded in another CPU's ring, before the full ring's
	// LOST record, can still pair with a switch out from before the loss
	// (seen once in CI: one block of 111 ms among 330): at most one such.
	if long > 1 {
		t.Errorf("%d blocks of 100 ms or more (the longest %v) in a ping-pong: pairings across the loss", long, longest)
	}
}
