package perfsampler

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
	"golang.org/x/sys/unix"
)

// TestPerfRingOffCPURefused checks what the perf backend cannot record
// off CPU is refused as not supported, saying why.
func TestPerfRingOffCPURefused(t *testing.T) {
	self := []uint32{uint32(os.Getpid())}
	for _, tc := range []struct {
		name string
		pids []uint32
		off  sampler.OffCPU
		want string
	}{
		{"system-wide", nil, sampler.OffCPU{}, "not the whole system"},
		{"state", self, sampler.OffCPU{State: sampler.BlockUninterruptible}, "cannot tell interruptible"},
		{"wakeups", self, sampler.OffCPU{Wakeups: true}, "cannot see wakeups"},
		{"kernel threads", self, sampler.OffCPU{Threads: sampler.ThreadsKernel}, "never kernel threads"},
	} {
		cfg := samplertest.CPUClock(99)
		cfg.PIDs = tc.pids
		cfg.OffCPU = &tc.off
		s, err := Start(cfg)
		if err == nil {
			s.Close()
			t.Errorf("%s: started", tc.name)
			continue
		}
		if !errors.Is(err, errs.ErrNotSupported) || !strings.Contains(err.Error(), tc.want) ||
			!strings.HasPrefix(err.Error(), "off-CPU recording ") || !strings.Contains(err.Error(), "eBPF backend") {
			t.Errorf("%s: %v; want ErrNotSupported saying %q and pointing to the eBPF backend", tc.name, err, tc.want)
		}
	}
}

// selfBlockRounds and selfBlockFor are how often and how long
// selfBlockedRead waits for a pipe in offCPUSelf.
const (
	selfBlockRounds = 10
	selfBlockFor    = 20 * time.Millisecond
)

// offCPUSelf records this process's off-CPU time while a goroutine waits
// for a pipe (a blocking read, on its own thread) in selfBlockedRead, ten
// times 20 ms, and returns the time recorded there and the time it took;
// or the error of Start.
func offCPUSelf(t *testing.T) (blocked, took time.Duration, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil { // blocking, unlike os.Pipe's
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	// The reading goroutine gets a thread of its own before Start, so
	// that its thread is one Start opens events for, not one the backend
	// finds later (a new thread's first blocks may come before it does).
	ready, begin, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		close(ready)
		<-begin
		for range selfBlockRounds {
			selfBlockedRead(t, p[0])
		}
	}()
	<-ready
	cfg := samplertest.CPUClock(99)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.OffCPU = &sampler.OffCPU{}
	start := time.Now()
	s, err := Start(cfg)
	if err != nil {
		close(begin)
		for range selfBlockRounds {
			syscall.Write(p[1], []byte{1})
		}
		<-done
		return 0, 0, err
	}
	defer s.Close()
	close(begin)
	for range selfBlockRounds {
		time.Sleep(selfBlockFor)
		syscall.Write(p[1], []byte{1})
	}
	<-done
	time.Sleep(10 * time.Millisecond)
	samples, _ := drainBoth(t, s)
	took = time.Since(start)
	for _, rs := range samples {
		for _, pc := range rs.User {
			if f := runtime.FuncForPC(uintptr(pc)); rs.OffCPU && f != nil && strings.HasSuffix(f.Name(), ".selfBlockedRead") {
				blocked += time.Duration(rs.Value)
				break
			}
		}
	}
	return blocked, took, nil
}

// selfBlockedRead waits for a byte on the pipe fd.
//
//go:noinline
func selfBlockedRead(t *testing.T, fd int) {
	var b [1]byte
	if _, err := syscall.Read(fd, b[:]); err != nil {
		t.Error(err)
	}
}

// checkSelf checks what offCPUSelf recorded.
func checkSelf(t *testing.T, blocked, took time.Duration) {
	t.Helper()
	if least := selfBlockRounds * selfBlockFor * 3 / 4; blocked < least || blocked > took {
		t.Errorf("%v blocked in selfBlockedRead in %v: want %v to %v", blocked, took, least, took)
	}
}

// TestPerfRingOffCPUSelf records this test's own off-CPU time.
func TestPerfRingOffCPUSelf(t *testing.T) {
	requireOffCPU(t)
	blocked, took, err := offCPUSelf(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v blocked in selfBlockedRead in %v", blocked, took)
	checkSelf(t, blocked, took)
}

// offCPUChildEnv makes TestPerfRingOffCPUSelfChild run.
const offCPUChildEnv = "FLAMEKIT_PERFRING_OFFCPU_CHILD"

var offCPUChildResult = regexp.MustCompile(`OFFCPU uid=(\d+) paranoid=(-?\d+) (refused|blocked=\S+ took=\S+)`)

// TestPerfRingOffCPUUnprivileged runs this test binary as nobody, recording
// its own off-CPU time: with kernel.perf_event_paranoid 2 (the default),
// which hides the kernel, where context switches happen, from unprivileged
// users, that is refused as a lack of permission saying what would allow
// it; at 1 or below it is recorded.
func TestPerfRingOffCPUUnprivileged(t *testing.T) {
	testenv.RequireRoot(t) // to become nobody
	out := samplertest.RunAsNobody(t, "TestPerfRingOffCPUSelfChild", offCPUChildEnv)
	m := offCPUChildResult.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no result line from the child:\n%s", out)
	}
	t.Logf("child: %s", m[0])
	if string(m[1]) == "0" {
		t.Errorf("the child ran as root")
	}
}

// TestPerfRingOffCPUPerfmon runs this test binary as nobody granted
// CAP_PERFMON alone, as a service may be: it records its own off-CPU time
// whatever kernel.perf_event_paranoid says.
func TestPerfRingOffCPUPerfmon(t *testing.T) {
	testenv.RequireRoot(t) // to become nobody
	out := samplertest.RunAsNobodyWith(t, "TestPerfRingOffCPUSelfChild", offCPUChildEnv, unix.CAP_PERFMON)
	m := offCPUChildResult.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no result line from the child:\n%s", out)
	}
	t.Logf("child: %s", m[0])
	if string(m[1]) == "0" || string(m[3]) == "refused" {
		t.Errorf("child as nobody with CAP_PERFMON: %s; want its off-CPU time recorded by a user other than root", m[0])
	}
}

// TestPerfRingOffCPUSelfChild is the child of
// TestPerfRingOffCPUUnprivileged and TestPerfRingOffCPUPerfmon.
func TestPerfRingOffCPUSelfChild(t *testing.T) {
	if os.Getenv(offCPUChildEnv) == "" {
		t.Skip("helper process for TestPerfRingOffCPUUnprivileged")
	}
	p, err := perfevent.Paranoid()
	if err != nil {
		t.Fatal(err)
	}
	blocked, took, err := offCPUSelf(t)
	if p >= 2 && !hasPerfmon(t) {
		if !errors.Is(err, errs.ErrPermission) || !strings.Contains(err.Error(), "kernel.perf_event_paranoid ≤ 1") ||
			!strings.Contains(err.Error(), "CAP_PERFMON") {
			t.Fatalf("off-CPU recording as uid %d with perf_event_paranoid %d: %v; want ErrPermission saying what allows it", os.Getuid(), p, err)
		}
		t.Logf("refused: %v", err)
		fmt.Printf("OFFCPU uid=%d paranoid=%d refused\n", os.Getuid(), p)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("OFFCPU uid=%d paranoid=%d blocked=%v took=%v\n", os.Getuid(), p, blocked, took)
	checkSelf(t, blocked, took)
}

// hasPerfmon says whether this process has CAP_PERFMON in its effective
// set.
func hasPerfmon(t *testing.T) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("CapEff %q: %v", v, err)
			}
			return caps&(1<<unix.CAP_PERFMON) != 0
		}
	}
	t.Fatal("no CapEff in /proc/self/status")
	return false
}
