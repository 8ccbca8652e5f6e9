package bpfsampler

import (
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

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
	samplertest.WaitCPUTime(t, pid, 700*time.Millisecond)
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
