package perfsampler

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// selfChildEnv makes TestPerfRingSelfChild run: the test binary, started
// again as an unprivileged user, profiles itself.
const selfChildEnv = "FLAMEKIT_PERFRING_SELF_CHILD"

var selfResult = regexp.MustCompile(`PERFRING uid=(\d+) samples=(\d+) spin=(\d+) newthreads=(\d+) kernel=(\d+)`)

// TestPerfRingUnprivilegedSelf runs this test binary as nobody, profiling
// its own busy goroutines on threads created after the start, and checks
// that their samples came with user stacks that name the busy function.
func TestPerfRingUnprivilegedSelf(t *testing.T) {
	testenv.RequireRoot(t) // to become nobody
	if p, err := perfevent.Paranoid(); err != nil || p > 2 {
		testenv.SkipOrFail(t, "kernel.perf_event_paranoid is %d (%v): unprivileged self-profiling needs ≤2", p, err)
	}
	out := samplertest.RunAsNobody(t, "TestPerfRingSelfChild", selfChildEnv)
	m := selfResult.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no result line from the child:\n%s", out)
	}
	t.Logf("child: %s", m[0])
	if nobody, err := user.Lookup("nobody"); err != nil || string(m[1]) != nobody.Uid {
		t.Errorf("child ran as uid %s, want nobody's (%v)", m[1], err)
	}
}

// TestPerfRingSelfChild is the child of TestPerfRingUnprivilegedSelf.
func TestPerfRingSelfChild(t *testing.T) {
	if os.Getenv(selfChildEnv) == "" {
		t.Skip("helper process for TestPerfRingUnprivilegedSelf")
	}
	_, err := Start(samplertest.CPUClock(99))
	if !errors.Is(err, errs.ErrPermission) || !strings.Contains(err.Error(), "perf_event_paranoid") {
		t.Fatalf("system-wide as %d: %v; want ErrPermission naming perf_event_paranoid", os.Getuid(), err)
	}
	t.Logf("system-wide: %v", err)
	before, err := threadsOf(uint32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	old := map[uint32]bool{}
	for _, tid := range before {
		old[tid] = true
	}
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.PerThread = true
	s, err := Start(cfg) // kernel stacks asked for: falls back to user only
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Busy goroutines, each locked to its own thread, more of them than
	// the process has threads: however many idle threads the runtime kept,
	// it must start new ones for them after the events were opened.
	cpu0 := userCPU(t)
	var wg sync.WaitGroup
	for range len(before) + 4 {
		wg.Go(func() {
			runtime.LockOSThread()
			selfSpin(300 * time.Millisecond)
		})
	}
	wg.Wait()
	used := userCPU(t) - cpu0
	samples, st := samplertest.DrainAll(t, s)
	var total, spin, kernel, value uint64
	newThreads := map[uint32]bool{}
	for _, rs := range samples {
		total += rs.Count
		value += rs.Value
		if len(rs.Kernel) > 0 {
			kernel += rs.Count
		}
		for _, pc := range rs.User {
			if f := runtime.FuncForPC(uintptr(pc)); f != nil && strings.HasSuffix(f.Name(), ".selfSpin") {
				spin += rs.Count
				if !old[rs.TID] {
					newThreads[rs.TID] = true
				}
				break
			}
		}
	}
	sampled := time.Duration(value)
	fmt.Printf("PERFRING uid=%d samples=%d spin=%d newthreads=%d kernel=%d sampled=%v usercpu=%v stats=%+v\n",
		os.Getuid(), total, spin, len(newThreads), kernel, sampled, used, st)
	if spin < total*8/10 || len(newThreads) == 0 || kernel != 0 {
		t.Errorf("samples %d, in selfSpin %d, on new threads %d, with kernel stacks %d: "+
			"want most in selfSpin, some on new threads, none in the kernel", total, spin, len(newThreads), kernel)
	}
	// Every thread is covered: the sampled time is the user CPU time spent.
	if sampled < used*8/10 || sampled > used*12/10 {
		t.Errorf("sampled %v of %v user CPU time", sampled, used)
	}
}

// selfSpin burns CPU for d.
//
//go:noinline
func selfSpin(d time.Duration) uint64 { return samplertest.SpinFor(d) }

// userCPU returns the user CPU time this process has used.
func userCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano())
}

// goChildEnv makes TestPerfRingGoChild run: the test binary, started as a
// child, waits, then spins on threads it creates then.
const goChildEnv = "FLAMEKIT_PERFRING_GO_CHILD"

// TestPerfRingGoChildThreads profiles a Go child process by PID; it starts
// its busy goroutines, each locked to a new thread, only after sampling
// started, and their samples must come in, worth the CPU time it spent.
func TestPerfRingGoChildThreads(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := samplertest.CopyTestBinary(t, t.TempDir())
	cmd := exec.Command(bin, "-test.run=^TestPerfRingGoChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), goChildEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := uint32(cmd.Process.Pid)
	time.Sleep(100 * time.Millisecond) // past exec, before the spinning
	before, err := threadsOf(pid)
	if err != nil {
		t.Fatal(err)
	}
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{pid}
	cfg.PerThread = true
	cfg.UserOnly = true
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res := samplertest.NewResolver(t, int(pid), bin)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	samples, st := samplertest.DrainAll(t, s)
	old := map[uint32]bool{}
	for _, tid := range before {
		old[tid] = true
	}
	var value, spin uint64
	newThreads := map[uint32]uint64{}
	for _, rs := range samples {
		value += rs.Value
		for _, pc := range rs.User {
			if strings.HasSuffix(res.Name(pc), ".selfSpin") {
				spin += rs.Count
				if !old[rs.TID] {
					newThreads[rs.TID] += rs.Count
				}
				break
			}
		}
	}
	used := cmd.ProcessState.UserTime()
	sampled := time.Duration(value)
	t.Logf("%d threads at the start; selfSpin: %d samples, on new threads %v; sampled %v of %v user time; stats %+v",
		len(before), spin, newThreads, sampled, used, st)
	if len(newThreads) < 2 || spin < 200 {
		t.Errorf("selfSpin sampled %d times, on new threads %v: want ≥200, on ≥2 new threads", spin, newThreads)
	}
	// All the CPU time after the start was sampled (the child's own
	// start-up, before, takes some tens of ms).
	if d := sampled - used; d < -used/10-100*time.Millisecond || d > used/10 {
		t.Errorf("sampled %v of %v user CPU time", sampled, used)
	}
}

// TestPerfRingGoChild is the child of TestPerfRingGoChildThreads.
func TestPerfRingGoChild(t *testing.T) {
	if os.Getenv(goChildEnv) == "" {
		t.Skip("helper process for TestPerfRingGoChildThreads")
	}
	time.Sleep(400 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 { // more than the threads it has: the runtime must start some
		wg.Go(func() {
			runtime.LockOSThread()
			selfSpin(80 * time.Millisecond)
		})
	}
	wg.Wait()
}
