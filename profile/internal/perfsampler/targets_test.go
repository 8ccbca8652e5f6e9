package perfsampler

import (
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

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
