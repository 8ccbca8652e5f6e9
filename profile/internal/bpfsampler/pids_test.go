package bpfsampler

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestBPFPIDSplit profiles, by PID, a C program whose two functions take
// 3/4 and 1/4 of its CPU time and a program looping on read(2), beside a
// third busy program that must not show up; it checks the split, the
// kernel stacks and that both targets were announced on their first
// sample.
func TestBPFPIDSplit(t *testing.T) {
	testenv.RequireRoot(t)
	split := samplertest.BuildC(t, "split")
	read := samplertest.BuildC(t, "readloop")
	target := samplertest.Start(t, split)
	other := samplertest.Start(t, split)
	reader := samplertest.Start(t, read)
	pid, otherPID, readPID := uint32(target.Process.Pid), uint32(other.Process.Pid), uint32(reader.Process.Pid)
	time.Sleep(50 * time.Millisecond) // past exec

	var mu sync.Mutex
	var announced []uint32
	cfg := samplertest.CPUClock(1999) // enough samples for the split on a busy machine
	cfg.PIDs = []uint32{pid, readPID}
	cfg.OnNewProcess = func(p uint32) {
		mu.Lock()
		defer mu.Unlock()
		announced = append(announced, p)
	}
	s := startTest(t, cfg)
	res := samplertest.NewResolver(t, int(pid), split)
	ksyms := readKallsyms(t)
	// Until the targets have run long enough, however busy the machine.
	base, readBase := samplertest.CPUTime(t, pid), samplertest.CPUTime(t, readPID)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if samplertest.CPUTime(t, pid)-base > time.Second && samplertest.CPUTime(t, readPID)-readBase > 300*time.Millisecond {
			break
		}
	}
	samples, st := samplertest.DrainAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	counts := map[string]uint64{}
	var total, withMain, readTotal, readKernel, readSyscall, readVFS uint64
	for _, rs := range samples {
		switch {
		case rs.PID == readPID:
			readTotal += rs.Count
			if len(rs.Kernel) > 0 {
				readKernel += rs.Count
			}
			if slices.ContainsFunc(rs.Kernel, func(pc uint64) bool { return ksyms.name(pc) == "do_syscall_64" }) {
				readSyscall += rs.Count
			}
			if slices.ContainsFunc(rs.Kernel, func(pc uint64) bool {
				n := ksyms.name(pc)
				return n == "ksys_read" || n == "vfs_read"
			}) {
				readVFS += rs.Count
			}
			continue
		case rs.PID != pid:
			t.Fatalf("sample of pid %d (%s) outside the filter %v (other busy pid %d)", rs.PID, rs.Comm, cfg.PIDs, otherPID)
		}
		if rs.Comm != "split" || rs.CPU != -1 || rs.TID != 0 || rs.Value < rs.Count*250_000 {
			t.Fatalf("sample %+v: want comm split, cpu -1, tid 0, ~0.5 ms per sample", rs)
		}
		total += rs.Count
		if len(rs.User) == 0 {
			continue
		}
		counts[res.Name(rs.User[0])] += rs.Count
		if len(rs.User) > 1 && res.Name(rs.User[1]) == "main" {
			withMain += rs.Count
		}
	}
	t.Logf("split: %d samples: %v, %d called from main; readzero: %d samples, %d with kernel stacks, %d in a system call, %d in read(2)'s; stats %+v",
		total, counts, withMain, readTotal, readKernel, readSyscall, readVFS, st)
	if total < 1000 {
		t.Fatalf("%d samples of split in 1 s of its CPU time at 1999 Hz", total)
	}
	hot, cold := counts["hot"], counts["cold"]
	if share := float64(hot) / float64(hot+cold); share < 0.71 || share > 0.79 || hot+cold < total*9/10 {
		t.Errorf("hot %d, cold %d of %d: want 75%% ± 4 of them, and ≥90%% of all", hot, cold, total)
	}
	if withMain < (hot+cold)*9/10 {
		t.Errorf("%d of %d samples have main as caller", withMain, hot+cold)
	}
	// On a virtual machine many samples land where the system call's
	// entry enables interrupts (in do_syscall_64 or below it), not in
	// read(2)'s own functions: see profile's TestWorkloadKernelFrames.
	if readTotal < 200 || readKernel < readTotal*2/5 || readSyscall < readKernel*9/10 || readVFS < readKernel/4 {
		t.Errorf("readzero: %d samples, %d with kernel stacks, %d of them in a system call (want 90%%), %d under ksys_read/vfs_read (want 25%%)", readTotal, readKernel, readSyscall, readVFS)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(announced)
	if want := []uint32{min(pid, readPID), max(pid, readPID)}; !slices.Equal(announced, want) {
		t.Errorf("OnNewProcess got %v, want %v", announced, want)
	}
}

// TestBPFContinuous drains twice while sampling goes on: each drain holds
// the samples since the previous one (their sum of periods matches the
// CPU time the workload ran meanwhile) and leaves the drained maps empty.
func TestBPFContinuous(t *testing.T) {
	testenv.RequireRoot(t)
	cmd := samplertest.Start(t, samplertest.BuildC(t, "split"))
	pid := uint32(cmd.Process.Pid)
	time.Sleep(50 * time.Millisecond)
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{pid}
	cfg.UserOnly = true
	s := startTest(t, cfg)
	last := samplertest.CPUTime(t, pid)
	for round := range 2 {
		time.Sleep(time.Second)
		old := s.gen
		samples, st := samplertest.DrainAll(t, s)
		now := samplertest.CPUTime(t, pid)
		ran := now - last
		last = now
		var n, sum uint64
		for _, rs := range samples {
			if rs.Kernel != nil {
				t.Fatalf("kernel stack in a user-only profile: %+v", rs)
			}
			n += rs.Count
			sum += rs.Value
		}
		t.Logf("drain %d: %d samples, %v sampled, %v run; %+v", round, n, time.Duration(sum), ran, st)
		if d := time.Duration(sum); d < ran*85/100 || d > ran*115/100 {
			t.Errorf("drain %d: samples cover %v, the workload ran %v since the previous drain", round, d, ran)
		}
		if c, k := mapLen(t, s.counts[old]), mapLen(t, s.stacks[old]); c != 0 || k != 0 {
			t.Errorf("drain %d left %d counts and %d stacks in generation %d", round, c, k, old)
		}
	}
}
