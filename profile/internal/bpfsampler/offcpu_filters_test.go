package bpfsampler

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// recordOffCPU records process p off CPU with cfg (by CFI) for d, and
// returns everything up to DrainOpen.
func recordOffCPU(t *testing.T, p *offCPUProgram, cfg sampler.Config, d time.Duration) ([]sampler.Sample, sampler.Stats) {
	t.Helper()
	cfg.Unwind = newRegistry(t)
	s := startTest(t, cfg)
	if _, err := cfg.Unwind.AddProcess(p.pid, unwindObjects(snapshot(t, int(p.pid)))); err != nil {
		t.Fatal(err)
	}
	samplertest.DrainAll(t, s) // before the mappings were known
	time.Sleep(d)
	return drainOpen(t, s)
}

// TestOffCPUBlockBounds records offcpu_split (blocks of 3 ms in
// wait_for_answer, 2 ms in nap) with MinBlock, then MaxBlock, of 2.5 ms,
// in Timed mode: every block logged is within the bound, the aggregated
// counts add up to the log, and the function on the bound's side has most
// blocks (nap may sleep past 2.5 ms on a busy machine; wait_for_answer
// never less).
func TestOffCPUBlockBounds(t *testing.T) {
	testenv.RequireRoot(t)
	p := startOffCPUProgram(t, "offcpu_split")
	const bound = 2500 * time.Microsecond
	for _, min := range []bool{true, false} {
		off := sampler.OffCPU{MaxBlock: bound}
		kept, gone := "nap", "wait_for_answer"
		if min {
			off = sampler.OffCPU{MinBlock: bound}
			kept, gone = gone, kept
		}
		cfg := offCPUConfig(p.pid, off)
		cfg.Timed = true
		samples, st := recordOffCPU(t, p, cfg, time.Second)
		var logged, loggedNs, aggregated, aggregatedNs, inKept, inGone uint64
		for _, rs := range samples {
			if !rs.OffCPU || rs.TID != p.pid {
				continue
			}
			switch {
			case p.has(rs.User, gone):
				inGone += rs.Count
			case p.has(rs.User, kept):
				inKept += rs.Count
			}
			if rs.Time == 0 {
				aggregated += rs.Count
				aggregatedNs += rs.Value
				continue
			}
			logged++
			loggedNs += rs.Value
			if d := time.Duration(rs.Value); (min && d < bound) || (!min && d > bound) || rs.Count != 1 || rs.CPU < 0 {
				t.Errorf("min %t: logged block %+v (%v) beyond %v", min, rs, d, bound)
			}
		}
		t.Logf("min %t: %d blocks logged (%v), %d aggregated (%v), %d in %s, %d in %s; %+v", min, logged, time.Duration(loggedNs), aggregated, time.Duration(aggregatedNs), inKept, kept, inGone, gone, st)
		// Under MaxBlock a few of wait_for_answer's reads may be short:
		// a main thread held off the CPU while the helper answers finds
		// the answer there. At most 1 in 20.
		if logged < 50 || logged != aggregated || loggedNs != aggregatedNs || inGone*2 > inKept || (!min && inGone*20 > inKept) {
			t.Errorf("min %t: want at least 50 blocks, logged as aggregated, most in %s", min, kept)
		}
	}
}

// TestOffCPUStackHalves records offcpu_split with UserOnly, then
// KernelOnly: its blocks have the one stack asked for.
func TestOffCPUStackHalves(t *testing.T) {
	testenv.RequireRoot(t)
	p := startOffCPUProgram(t, "offcpu_split")
	for _, user := range []bool{true, false} {
		cfg := offCPUConfig(p.pid, sampler.OffCPU{})
		cfg.UserOnly, cfg.KernelOnly = user, !user
		samples, _ := recordOffCPU(t, p, cfg, 500*time.Millisecond)
		var n uint64
		for _, rs := range samples {
			if !rs.OffCPU {
				continue
			}
			n += rs.Count
			if (len(rs.User) > 0) != user || (len(rs.Kernel) > 0) == user {
				t.Errorf("user only %t: block with user stack %x, kernel stack %x", user, rs.User, rs.Kernel)
			}
		}
		if n < 50 {
			t.Errorf("user only %t: %d blocks", user, n)
		}
	}
}

// TestOffCPUStates records offcpu_states, whose main thread waits for a
// vfork child uninterruptibly (vfork_wait: kernel_clone waits for the
// child) and sleeps interruptibly (nap: do_nanosleep), by state: each
// state keeps its wait and not the other's. (The kernel stacks tell them
// apart: libc's clone has no call frame information where it calls the
// kernel, so the user stack's walk skips vfork_wait.) Every kernel stack
// starts at the scheduler, not in the tracing.
func TestOffCPUStates(t *testing.T) {
	testenv.RequireRoot(t)
	p := startOffCPUProgram(t, "offcpu_states")
	ks := readKallsyms(t)
	states := []struct {
		state      sampler.BlockState
		kept, gone string
	}{
		{sampler.BlockInterruptible, "do_nanosleep", "kernel_clone"},
		{sampler.BlockUninterruptible, "kernel_clone", "do_nanosleep"},
	}
	for _, c := range states {
		samples, _ := recordOffCPU(t, p, offCPUConfig(p.pid, sampler.OffCPU{State: c.state}), 500*time.Millisecond)
		var kept, gone uint64
		for _, rs := range samples {
			if !rs.OffCPU || rs.TID != p.pid {
				continue
			}
			names := make([]string, len(rs.Kernel))
			for i, pc := range rs.Kernel {
				names[i] = ks.name(pc)
			}
			if len(names) == 0 || !strings.Contains(names[0], "schedule") {
				t.Errorf("kernel stack %q: want the scheduler at its leaf", names)
			}
			switch {
			case slices.Contains(names, c.kept):
				kept += rs.Count
			case slices.Contains(names, c.gone):
				gone += rs.Count
			}
		}
		t.Logf("state %d: %d blocks in %s, %d in %s", c.state, kept, c.kept, gone, c.gone)
		if kept < 30 || gone != 0 {
			t.Errorf("state %d: %d blocks in %s, %d in %s: want the first only", c.state, kept, c.kept, gone, c.gone)
		}
	}
}

// TestOffCPUThreads records every thread of the machine off CPU, kernel
// threads only, then user threads only: each sees blocks, and none of
// the other kind.
func TestOffCPUThreads(t *testing.T) {
	testenv.RequireRoot(t)
	samplertest.Start(t, samplertest.BuildC(t, "offcpu_split"))
	for _, kernel := range []bool{true, false} {
		threads := sampler.ThreadsUser
		if kernel {
			threads = sampler.ThreadsKernel
		}
		s := startTest(t, sampler.Config{OffCPU: &sampler.OffCPU{Threads: threads}})
		time.Sleep(500 * time.Millisecond)
		samples, _ := drainOpen(t, s)
		var n, known uint64
		for _, rs := range samples {
			n += rs.Count
			kthread, ok := kernelThread(rs.PID)
			if !ok {
				continue // gone
			}
			known += rs.Count
			if kthread != kernel || (kernel && len(rs.User) > 0) {
				t.Errorf("kernel threads only %t: block of %d (%s), kernel thread %t, user stack %x", kernel, rs.PID, rs.Comm, kthread, rs.User)
			}
		}
		t.Logf("kernel threads only %t: %d blocks, %d of live threads", kernel, n, known)
		if known < 10 {
			t.Errorf("kernel threads only %t: %d blocks of live threads", kernel, known)
		}
	}
}

// kernelThread reports whether process pid is a kernel thread
// (PF_KTHREAD in /proc/PID/stat), and whether it could tell.
func kernelThread(pid uint32) (kthread, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false, false
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 7 {
		return false, false
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return flags&0x00200000 != 0, err == nil
}

// TestOffCPUWall records offcpu_split in Wall mode: its on-CPU samples
// (cpu-clock, in nanoseconds) come with its blocks.
func TestOffCPUWall(t *testing.T) {
	testenv.RequireRoot(t)
	p := startOffCPUProgram(t, "offcpu_split")
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{p.pid}
	cfg.OffCPU = &sampler.OffCPU{Wall: true}
	samples, st := recordOffCPU(t, p, cfg, time.Second)
	var on, off uint64
	var onNs, offNs uint64
	for _, rs := range samples {
		if rs.OffCPU {
			off += rs.Count
			offNs += rs.Value
		} else {
			on += rs.Count
			onNs += rs.Value
		}
	}
	t.Logf("%d on-CPU samples (%v), %d blocks (%v); %+v", on, time.Duration(onNs), off, time.Duration(offNs), st)
	if on == 0 || off < 100 || onNs < on*500_000 {
		t.Errorf("want on-CPU samples of about 1 ms each and blocks")
	}
}
