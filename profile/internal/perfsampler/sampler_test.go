package perfsampler

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
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

// TestPerfRingLost holds the reader back while a tiny ring overflows, and
// checks the overflow is counted.
func TestPerfRingLost(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := samplertest.CPUClock(10000)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.MaxStacks = 1
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr := s
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				samplertest.SpinFor(time.Millisecond)
			}
		}
	}()
	pr.mu.Lock() // the reader cannot empty the rings
	time.Sleep(300 * time.Millisecond)
	pr.mu.Unlock()
	// The kernel writes its LOST record once there is room again.
	time.Sleep(200 * time.Millisecond)
	close(stop)
	samples, st := samplertest.DrainAll(t, s)
	var n uint64
	for _, rs := range samples {
		n += rs.Count
	}
	t.Logf("%d samples kept, %d lost, failures %v", n, st.Lost, st.Failures)
	if st.Lost == 0 || st.Failures[sampler.FailureRingFull] != st.Lost {
		t.Errorf("lost %d, ring-full %d: want the same, non-zero", st.Lost, st.Failures[sampler.FailureRingFull])
	}
}

// TestPerfRingCloseReleases checks that close releases every file
// descriptor, is safe twice, and that drain afterwards fails.
func TestPerfRingCloseReleases(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	before := testenv.OpenFDs(t)
	cfg := samplertest.CPUClock(99)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.UserOnly = true
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	during := testenv.OpenFDs(t)
	samplertest.SpinFor(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if after := testenv.OpenFDs(t); after != before || during <= before {
		t.Errorf("fds: %d before, %d while sampling, %d after close", before, during, after)
	}
	if _, err := s.Drain(func(sampler.Sample) {}); err == nil {
		t.Error("drain after close succeeded")
	}
}

// TestPerfRingSystemWide samples every CPU and finds a C workload there,
// with kernel stacks, and no idle samples.
func TestPerfRingSystemWide(t *testing.T) {
	testenv.RequireRoot(t)
	bin := samplertest.BuildC(t, "split")
	cmd := samplertest.Start(t, bin)
	pid := uint32(cmd.Process.Pid)
	s, err := Start(samplertest.CPUClock(199))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Something in the kernel too, in case nothing else runs.
	defer samplertest.InKernel()()
	samples, st := samplertest.DrainUntil(t, s, 50, func(rs sampler.Sample) bool { return rs.PID == pid }, 10*time.Second)
	var total, work, kernel uint64
	for _, rs := range samples {
		if rs.PID == 0 {
			t.Fatalf("idle sample %+v", rs)
		}
		total += rs.Count
		if len(rs.Kernel) > 0 {
			kernel += rs.Count
		}
		if rs.PID == pid && rs.Comm == "split" {
			work += rs.Count
		}
	}
	t.Logf("%d samples, %d of the workload, %d with kernel stacks; stats %+v", total, work, kernel, st)
	if work < 50 || kernel == 0 {
		t.Errorf("%d workload samples, %d with kernel stacks: want ≥50 and some", work, kernel)
	}
}

// TestPerfRingTimed checks that timed mode hands over every sample with
// its time and CPU, besides the aggregated counts.
func TestPerfRingTimed(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.UserOnly = true
	cfg.Timed = true
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	start := uint64(ts.Nano())
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	samplertest.SpinFor(200 * time.Millisecond)
	samples, _ := samplertest.DrainAll(t, s)
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	end := uint64(ts.Nano())
	var timed, counted uint64
	for _, rs := range samples {
		if rs.Time == 0 { // the aggregates still carry every count
			counted += rs.Count
			continue
		}
		timed++
		if rs.Count != 1 || rs.Time < start || rs.Time > end || rs.CPU < 0 || rs.TID == 0 || len(rs.Kernel) != 0 {
			t.Fatalf("sample %+v: want count 1, a time in [%d, %d], a CPU, a TID, no kernel stack", rs, start, end)
		}
	}
	if timed < 20 || counted != timed {
		t.Fatalf("%d timed samples, %d counted in aggregates: want the same, at least 20", timed, counted)
	}
}

// TestPerfRingCgroup samples system-wide but keeps only a cgroup v2 that
// holds just a C workload.
func TestPerfRingCgroup(t *testing.T) {
	testenv.RequireRoot(t)
	dir := samplertest.Cgroup(t, "flamekit-perfring-")
	bin := samplertest.BuildC(t, "split")
	cmd := samplertest.Start(t, bin)
	pid := uint32(cmd.Process.Pid)
	if err := os.WriteFile(dir+"/cgroup.procs", []byte(strconv.Itoa(int(pid))), 0); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	cfg := samplertest.CPUClock(199)
	cfg.CgroupID = st.Ino
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	samples, _ := samplertest.DrainUntil(t, s, 30, nil, 10*time.Second)
	var work uint64
	for _, rs := range samples {
		if rs.PID != pid {
			t.Fatalf("sample of pid %d (%s) outside cgroup %s", rs.PID, rs.Comm, dir)
		}
		work += rs.Count
	}
	if work < 30 {
		t.Errorf("%d samples of the workload in its cgroup", work)
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

// TestPerfRingHardwareNotSupported checks a hardware event on a machine
// without a PMU fails with ErrNotSupported.
func TestPerfRingHardwareNotSupported(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := sampler.Config{EventType: unix.PERF_TYPE_HARDWARE, EventConfig: unix.PERF_COUNT_HW_CPU_CYCLES,
		Frequency: 99, PIDs: []uint32{uint32(os.Getpid())}, UserOnly: true}
	before := testenv.OpenFDs(t)
	s, err := Start(cfg)
	if err == nil {
		s.Close()
		t.Skip("this machine has a PMU")
	}
	if !errors.Is(err, errs.ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("%v: want ErrNotSupported", err)
	}
	if after := testenv.OpenFDs(t); after != before {
		t.Errorf("fds: %d before, %d after a failed start", before, after)
	}
}

// TestPerfRingKernelOnly samples only in the kernel: every sample has a
// kernel stack and no user stack.
func TestPerfRingKernelOnly(t *testing.T) {
	testenv.RequireRoot(t)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.KernelOnly = true
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := samplertest.InKernel()
	samples, _ := samplertest.DrainUntil(t, s, 10, nil, 10*time.Second)
	done()
	var n uint64
	for _, rs := range samples {
		if len(rs.Kernel) == 0 || rs.User != nil {
			t.Fatalf("sample %+v: want a kernel stack only", rs)
		}
		n += rs.Count
	}
	if n < 10 {
		t.Errorf("%d kernel samples", n)
	}
}
