package perfsampler

import (
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingPIDSplit profiles a C program whose two functions take 3/4
// and 1/4 of its CPU time, by PID, and checks the split and the callers.
func TestPerfRingPIDSplit(t *testing.T) {
	testenv.RequireSelfProfiling(t) // its own children: no root needed
	bin := samplertest.BuildC(t, "split")
	cmd := samplertest.Start(t, bin)
	pid := uint32(cmd.Process.Pid)
	time.Sleep(50 * time.Millisecond) // past exec
	var announced []uint32
	cfg := samplertest.CPUClock(997)
	cfg.PIDs = []uint32{pid}
	cfg.OnNewProcess = func(p uint32) { announced = append(announced, p) }
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res := samplertest.NewResolver(t, int(pid), bin)
	samples, st := samplertest.DrainUntil(t, s, 1000, nil, 30*time.Second)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	var total, withMain, withKernel uint64
	for _, rs := range samples {
		if rs.PID != pid || rs.Comm != "split" || rs.CPU != -1 || rs.Value < rs.Count*500_000 {
			t.Fatalf("sample %+v: want pid %d, comm split, cpu -1, ~1 ms per sample", rs, pid)
		}
		total += rs.Count
		if len(rs.Kernel) > 0 {
			withKernel += rs.Count
		}
		if len(rs.User) == 0 {
			continue
		}
		counts[res.Name(rs.User[0])] += rs.Count
		if len(rs.User) > 1 && res.Name(rs.User[1]) == "main" {
			withMain += rs.Count
		}
	}
	t.Logf("%d samples: %v, %d called from main, %d with kernel stacks; stats %+v", total, counts, withMain, withKernel, st)
	if total < 1000 {
		t.Fatalf("%d samples in 30 s at 997 Hz", total)
	}
	hot, cold := counts["hot"], counts["cold"]
	if share := float64(hot) / float64(hot+cold); share < 0.71 || share > 0.79 || hot+cold < total*9/10 {
		t.Errorf("hot %d, cold %d of %d: want 75%% ± 4 of them, and ≥90%% of all", hot, cold, total)
	}
	if withMain < (hot+cold)*9/10 {
		t.Errorf("%d of %d samples have main as caller", withMain, hot+cold)
	}
	if len(announced) != 1 || announced[0] != pid {
		t.Errorf("OnNewProcess got %v, want [%d]", announced, pid)
	}
}

// TestPerfRingLaterThreads checks that threads a process creates after
// sampling started are sampled.
func TestPerfRingLaterThreads(t *testing.T) {
	testenv.RequireSelfProfiling(t) // its own children: no root needed
	bin := samplertest.BuildC(t, "later_threads", "-pthread")
	cmd := samplertest.Start(t, bin)
	pid := uint32(cmd.Process.Pid)
	time.Sleep(50 * time.Millisecond)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{pid}
	cfg.PerThread = true
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res := samplertest.NewResolver(t, int(pid), bin)
	samples, st := samplertest.DrainUntil(t, s, 600, nil, 30*time.Second)
	used := samplertest.ProcessCPUTime(t, pid)
	tids := map[uint32]uint64{}
	var spin, value uint64
	for _, rs := range samples {
		value += rs.Value
		if len(rs.User) > 0 && res.Name(rs.User[0]) == "spinner" {
			spin += rs.Count
			tids[rs.TID] += rs.Count
		}
	}
	sampled := time.Duration(value)
	t.Logf("spinner: %d samples on threads %v; sampled %v of %v CPU time; stats %+v", spin, tids, sampled, used, st)
	if len(tids) != 3 || tids[pid] != 0 || spin < 300 {
		t.Errorf("spinner sampled %d times on threads %v: want ≥300 on 3 threads created after the start", spin, tids)
	}
	// Every thread is covered: the sampled time is the CPU time spent
	// (/proc counts it in 10 ms ticks).
	if d := sampled - used; d < -used/10-50*time.Millisecond || d > used/10+50*time.Millisecond {
		t.Errorf("sampled %v of %v CPU time", sampled, used)
	}
	if st.Failures[sampler.FailureLateThread] != 0 {
		t.Errorf("%d threads attached late: inherit should cover them", st.Failures[sampler.FailureLateThread])
	}
}

// TestPerfRingChildren profiles a shell by PID that starts commands after
// sampling started: each child process is announced, and its samples carry
// its own name.
func TestPerfRingChildren(t *testing.T) {
	testenv.RequireSelfProfiling(t) // its own children: no root needed
	bin := samplertest.BuildC(t, "burst")
	cmd := exec.Command("sh", "-c", "sleep 0.2; "+bin+"; "+bin+"; "+bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	var mu sync.Mutex
	announced := map[uint32]int{}
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{uint32(cmd.Process.Pid)}
	cfg.OnNewProcess = func(pid uint32) {
		mu.Lock()
		announced[pid]++
		mu.Unlock()
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	samples, _ := samplertest.DrainAll(t, s)
	bursts := map[uint32]uint64{}
	for _, rs := range samples {
		if rs.Comm == "burst" {
			bursts[rs.PID] += rs.Count
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("announced %v; burst samples per pid %v", announced, bursts)
	if len(bursts) != 3 {
		t.Errorf("burst samples in processes %v: want 3 children", bursts)
	}
	// Twice (fork, exec) when the FORK record is read first; once, after
	// the exec, when the child's ring is read before its parent's.
	for pid := range bursts {
		if n := announced[pid]; n < 1 || n > 2 {
			t.Errorf("child %d announced %d times, want once or twice (fork, exec)", pid, n)
		}
	}
}
