package bpfsampler

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestBPFForcedLoss samples everything (idle included) into maps of four
// entries, with six busy processes among them (so more than four entries
// are wanted however the CPUs are shared): samples that find no room must
// be counted lost, so that the samples kept plus the samples lost equal
// the program's runs.
func TestBPFForcedLoss(t *testing.T) {
	testenv.RequireRoot(t)
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	bin := samplertest.BuildC(t, "split")
	for range 6 {
		samplertest.Start(t, bin)
	}
	cfg := samplertest.CPUClock(999)
	cfg.IncludeIdle = true
	cfg.PerThread = true
	cfg.MaxStacks = 4
	s := startTest(t, cfg)
	time.Sleep(500 * time.Millisecond)
	stopEvents(t, s)
	ps, err := s.objs.OnSample.Stats()
	if err != nil {
		t.Fatal(err)
	}
	samples, st := samplertest.DrainAll(t, s)
	var kept uint64
	for _, rs := range samples {
		kept += rs.Count
	}
	t.Logf("%d runs: %d samples in %d entries, %+v", ps.RunCount, kept, len(samples), st)
	if len(samples) > 4 || st.Lost == 0 || st.Lost != st.Failures[sampler.FailureCountsFull] || st.LostValue < st.Lost*500_000 {
		t.Errorf("4 entries at most, and lost samples with their periods: got %d entries, %+v", len(samples), st)
	}
	if kept+st.Lost != ps.RunCount {
		t.Errorf("%d samples kept + %d lost != %d program runs", kept, st.Lost, ps.RunCount)
	}
	if st.Failures[sampler.FailureUserStackFull]+st.Failures[sampler.FailureKernelStackFull] == 0 {
		t.Errorf("no full stack map counted with room for 4 stacks: %+v", st)
	}
}

// TestBPFNewProcess checks that OnNewProcess hears of a process started
// after the sampler and of the exec of a process started before it that
// never ran on a CPU meanwhile.
func TestBPFNewProcess(t *testing.T) {
	testenv.RequireRoot(t)
	waiting := exec.Command("sh", "-c", "read x; exec sleep 0.2")
	in, err := waiting.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := waiting.Start(); err != nil {
		t.Fatal(err)
	}
	defer waiting.Wait()
	defer in.Close()
	time.Sleep(50 * time.Millisecond) // blocked in read

	got := make(chan uint32, 1024)
	cfg := samplertest.CPUClock(99)
	cfg.OnNewProcess = func(pid uint32) { got <- pid }
	s := startTest(t, cfg)
	later := exec.Command("true")
	if err := later.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	want := map[uint32]string{uint32(later.Process.Pid): "started later", uint32(waiting.Process.Pid): "exec"}
	deadline := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case pid := <-got:
			delete(want, pid)
		case <-deadline:
			t.Fatalf("OnNewProcess not called for %v", want)
		}
	}
	samples, _ := samplertest.DrainAll(t, s)
	for _, rs := range samples {
		if rs.PID == 0 {
			t.Fatalf("idle sample without IncludeIdle: %+v", rs)
		}
	}
}

// TestBPFPIDChildren checks that the PID filter takes in a process the
// target starts after the sampler: a shell that, once told, runs a busy
// program under timeout(1).
func TestBPFPIDChildren(t *testing.T) {
	testenv.RequireRoot(t)
	bin := samplertest.BuildC(t, "split")
	sh := exec.Command("sh", "-c", `read x; timeout 0.5 "$0"`, bin)
	in, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer sh.Wait()
	defer in.Close()
	other := samplertest.Start(t, bin)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{uint32(sh.Process.Pid)}
	s := startTest(t, cfg)
	if _, err := in.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if err := sh.Wait(); err == nil || sh.ProcessState.ExitCode() != 124 {
		t.Fatalf("shell: %v, want timeout's exit status 124", err)
	}
	samples, st := samplertest.DrainAll(t, s)
	var child uint64
	for _, rs := range samples {
		switch {
		case rs.PID == uint32(other.Process.Pid):
			t.Fatalf("sample of a process outside the filter: %+v", rs)
		case rs.Comm == "split" && rs.PID != uint32(sh.Process.Pid):
			child += rs.Count
		}
	}
	t.Logf("%d samples of the child; %+v", child, st)
	if child < 5 { // ~250 on an idle machine
		t.Errorf("%d samples of the target's child in 0.5 s at 499 Hz", child)
	}
	if n := mapLen(t, s.objs.Pids); n != 1 {
		t.Errorf("%d processes in the PID filter after the children exited, want 1", n)
	}
}

// TestBPFTimed checks the timed log: each sample of the workload once,
// with its CPU and thread and a time within the run, in time order on each
// CPU, and as many as the aggregated counts hold.
func TestBPFTimed(t *testing.T) {
	testenv.RequireRoot(t)
	cmd := samplertest.Start(t, samplertest.BuildC(t, "split"))
	pid := uint32(cmd.Process.Pid)
	time.Sleep(50 * time.Millisecond)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{pid}
	cfg.Timed = true
	start := monotonicNow(t)
	s := startTest(t, cfg)
	time.Sleep(time.Second)
	stopEvents(t, s)
	end := monotonicNow(t)
	samples, st := samplertest.DrainAll(t, s)
	var aggregated, timed uint64
	last := map[int32]uint64{}
	for _, rs := range samples {
		if rs.Time == 0 {
			aggregated += rs.Count
			continue
		}
		timed++
		if rs.PID != pid || rs.TID != pid || rs.CPU < 0 || rs.Count != 1 || rs.Time < start || rs.Time > end || len(rs.User) == 0 {
			t.Fatalf("timed sample %+v: want pid and tid %d, a CPU, count 1, a time in [%d, %d], a user stack", rs, pid, start, end)
		}
		if rs.Time <= last[rs.CPU] {
			t.Fatalf("CPU %d: time %d after %d", rs.CPU, rs.Time, last[rs.CPU])
		}
		last[rs.CPU] = rs.Time
	}
	t.Logf("%d timed, %d aggregated samples; %+v", timed, aggregated, st)
	if timed < 50 || timed != aggregated || len(st.Failures) != 0 {
		t.Errorf("%d timed samples, %d aggregated, failures %v: want the same number, no failures", timed, aggregated, st.Failures)
	}
}

// TestBPFCgroupKernelOnly samples system-wide but keeps only a cgroup v2
// that holds a program looping on read(2), and only kernel stacks.
func TestBPFCgroupKernelOnly(t *testing.T) {
	testenv.RequireRoot(t)
	dir := samplertest.Cgroup(t, "flamekit-bpf-")
	sub := dir + "/child" // the filter covers descendants
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(sub) })
	cmd := samplertest.Start(t, samplertest.BuildC(t, "readloop"))
	pid := uint32(cmd.Process.Pid)
	if err := os.WriteFile(sub+"/cgroup.procs", []byte(strconv.Itoa(int(pid))), 0); err != nil {
		t.Fatal(err)
	}
	var fi unix.Stat_t
	if err := unix.Stat(dir, &fi); err != nil {
		t.Fatal(err)
	}
	cfg := samplertest.CPUClock(199)
	cfg.CgroupID = fi.Ino
	cfg.KernelOnly = true
	s := startTest(t, cfg)
	time.Sleep(700 * time.Millisecond)
	samples, _ := samplertest.DrainAll(t, s)
	var n, kernel uint64
	for _, rs := range samples {
		if rs.PID != pid || rs.User != nil {
			t.Fatalf("sample %+v: want only pid %d (cgroup %s), no user stack", rs, pid, dir)
		}
		n += rs.Count
		if len(rs.Kernel) > 0 {
			kernel += rs.Count
		}
	}
	if n < 30 || kernel < n/2 {
		t.Errorf("%d samples of the workload in its cgroup, %d with kernel stacks", n, kernel)
	}
}

// TestBPFCloseReleases checks that close (twice) leaves no program, map,
// file descriptor or goroutine of the sampler behind.
func TestBPFCloseReleases(t *testing.T) {
	testenv.RequireRoot(t)
	fds, goroutines := testenv.OpenFDs(t), runtime.NumGoroutine()
	cfg := samplertest.CPUClock(99)
	cfg.Timed = true
	cfg.OnNewProcess = func(uint32) {}
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	s := startTest(t, cfg)
	var progs []ebpf.ProgramID
	var maps []ebpf.MapID // those of the programs, .rodata included
	for _, p := range []*ebpf.Program{s.objs.OnSample, s.objs.OnExec, s.objs.OnExit, s.objs.OnFork} {
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := info.ID()
		progs = append(progs, id)
		ids, _ := info.MapIDs()
		maps = append(maps, ids...)
	}
	if len(progs) != 4 || len(s.links) != 5 || len(maps) < 10 {
		t.Fatalf("programs %v, %d links, maps %v", progs, len(s.links), maps)
	}
	time.Sleep(200 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	// The kernel frees programs and maps shortly after their last
	// reference goes (links are released from a work queue).
	left := func() (n int) {
		for _, id := range progs {
			if p, err := ebpf.NewProgramFromID(id); err == nil {
				p.Close()
				n++
			}
		}
		for _, id := range maps {
			if m, err := ebpf.NewMapFromID(id); err == nil {
				m.Close()
				n++
			}
		}
		return n
	}
	for i := 0; left() > 0; i++ {
		if i == 100 {
			t.Fatalf("%d of programs %v and maps %v remain after close", left(), progs, maps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := testenv.OpenFDs(t); n != fds {
		t.Errorf("%d open fds after close, %d before start", n, fds)
	}
	for i := 0; runtime.NumGoroutine() > goroutines; i++ {
		if i == 100 {
			t.Fatalf("%d goroutines after close, %d before start", runtime.NumGoroutine(), goroutines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
