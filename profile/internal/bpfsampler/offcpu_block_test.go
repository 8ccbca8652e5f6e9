package bpfsampler

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// blockInInput starts recording offcpu_input off CPU (by CFI: libc's
// read has no frame), then makes it block anew in wait_for_input (it
// blocked before the recording started, which is not seen) and returns
// when it has.
func blockInInput(t *testing.T) (*offCPUProgram, *Sampler) {
	t.Helper()
	p := startOffCPUProgram(t, "offcpu_input")
	cfg := offCPUConfig(p.pid, sampler.OffCPU{})
	cfg.Unwind = newRegistry(t)
	s := startTest(t, cfg)
	if _, err := cfg.Unwind.AddProcess(p.pid, unwindObjects(snapshot(t, int(p.pid)))); err != nil {
		t.Fatal(err)
	}
	if _, err := p.In.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	p.WaitLine(t, "got")
	return p, s
}

// checkInputBlock checks that samples hold one block of p in
// wait_for_input, with its user and kernel stacks, of about want (with,
// under the same key, perhaps one short block more: the read of the end of
// its input, if it came before the input was closed).
func checkInputBlock(t *testing.T, p *offCPUProgram, samples []sampler.Sample, st sampler.Stats, want time.Duration) {
	t.Helper()
	var found int
	for _, rs := range samples {
		if !rs.OffCPU || rs.PID != p.pid || rs.Value < uint64(want/2) {
			continue
		}
		found++
		d := time.Duration(rs.Value)
		if rs.Count > 2 || d < want-50*time.Millisecond || d > want+500*time.Millisecond || !p.has(rs.User, "wait_for_input") || len(rs.Kernel) == 0 {
			t.Errorf("block %+v (%v; user %q): want one block of about %v in wait_for_input, with a kernel stack", rs, d, p.names(rs.User), want)
		}
	}
	if found != 1 {
		t.Errorf("%d blocks of about %v in %+v, want 1", found, want, samples)
	}
	if len(st.Failures) != 0 {
		t.Errorf("failures %v", st.Failures)
	}
}

// TestOffCPUBlockAcrossDrains blocks offcpu_input for a second while the
// sampler drains ten times, then lets it read and exit: the block's
// stacks, stored in the generation drained first, are still there when it
// ends (the program does not block there again, which would store them
// anew).
func TestOffCPUBlockAcrossDrains(t *testing.T) {
	testenv.RequireRoot(t)
	p, s := blockInInput(t)
	start := time.Now()
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		samples, st := samplertest.DrainAll(t, s)
		if st.Lost != 0 || len(st.Failures) != 0 {
			t.Fatalf("drain while blocked: %+v, %+v", samples, st)
		}
	}
	if _, err := p.In.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	p.Finish(t)
	blocked := time.Since(start)
	samples, st := samplertest.DrainAll(t, s)
	checkInputBlock(t, p, samples, st, blocked)
}

// TestOffCPUOpenAtStop leaves offcpu_input blocked to the end of the
// recording, across drains: DrainOpen reports the block, as long as it
// has lasted, and the sampler holds no blocked thread after it.
func TestOffCPUOpenAtStop(t *testing.T) {
	testenv.RequireRoot(t)
	p, s := blockInInput(t)
	start := time.Now()
	for range 5 {
		time.Sleep(100 * time.Millisecond)
		samplertest.DrainAll(t, s)
	}
	blocked := time.Since(start)
	samples, st := drainOpen(t, s)
	checkInputBlock(t, p, samples, st, blocked)
	if n := mapLen(t, s.objs.Blocked); n != 0 {
		t.Errorf("%d blocked threads after DrainOpen", n)
	}
	if more, _ := samplertest.DrainAll(t, s); len(more) != 0 {
		t.Errorf("samples after DrainOpen: %+v", more)
	}
}

// TestOffCPUExitWhileBlocked kills offcpu_input while it is blocked: the
// block ends when the killed thread runs to exit, and its last switch
// (to die) leaves nothing in the map of blocked threads. A process then
// started with the same PID inherits no block of the dead one.
func TestOffCPUExitWhileBlocked(t *testing.T) {
	testenv.RequireRoot(t)
	p, s := blockInInput(t)
	start := time.Now()
	time.Sleep(300 * time.Millisecond)
	if err := p.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	blocked := time.Since(start)
	samples, st := samplertest.DrainAll(t, s)
	checkInputBlock(t, p, samples, st, blocked)
	var v []byte
	if err := s.objs.Blocked.Lookup(p.pid, &v); !errors.Is(err, ebpf.ErrKeyNotExist) {
		t.Errorf("the dead thread %d is still in the blocked map: %v", p.pid, err)
	}

	time.Sleep(300 * time.Millisecond)
	reused := startWithPID(t, p.pid, p.bin)
	reused.WaitLine(t, "ready")
	reused.Finish(t)
	samples, _ = samplertest.DrainAll(t, s)
	for _, rs := range samples {
		if rs.PID == p.pid && (rs.Comm != "reused" || rs.Value > uint64(200*time.Millisecond)) {
			t.Errorf("the process reusing PID %d has the block %+v (%v): want none of the dead process's", p.pid, rs, time.Duration(rs.Value))
		}
	}
}

// startWithPID starts a copy of bin named "reused" as process pid, which
// must be free (through /proc/sys/kernel/ns_last_pid; another process
// started meanwhile may take it: it tries again).
func startWithPID(t *testing.T, pid uint32, bin string) *testenv.Child {
	t.Helper()
	reused := filepath.Join(t.TempDir(), "reused")
	if err := os.Link(bin, reused); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", fmt.Appendf(nil, "%d", pid-1), 0); err != nil {
			testenv.SkipOrFail(t, "cannot choose the next PID: %v", err)
		}
		c := testenv.StartChild(t, exec.Command(reused))
		if uint32(c.Process.Pid) == pid {
			return c
		}
		c.Process.Kill()
		c.Wait()
	}
	t.Fatalf("PID %d not reused in 20 tries", pid)
	return nil
}

// TestOffCPUWakerOfAnotherProcess wakes offcpu_input, the target, from
// this test's process by writing to its input: the block's waker is this
// process, which is announced (for its mappings: its frames are named)
// though it is no target. The waker's kernel stack starts at
// try_to_wake_up, not in the tracing.
func TestOffCPUWakerOfAnotherProcess(t *testing.T) {
	testenv.RequireRoot(t)
	p := startOffCPUProgram(t, "offcpu_input")
	var a samplertest.Announced
	cfg := offCPUConfig(p.pid, sampler.OffCPU{Wakeups: true})
	a.Count(&cfg)
	s := startTest(t, cfg)
	for _, b := range []string{"x", "y"} { // the first block began before the start
		waitSleeping(t, p.pid)
		if _, err := p.In.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
		p.WaitLine(t, "got")
	}
	samples, _ := samplertest.DrainAll(t, s)
	time.Sleep(100 * time.Millisecond) // the last batch of announcements
	self := uint32(os.Getpid())
	ks := readKallsyms(t)
	var woken int
	for _, rs := range samples {
		if rs.OffCPU && rs.PID == p.pid && rs.Waker != nil && rs.Waker.PID == self && len(rs.Waker.User) > 0 && len(rs.Waker.Kernel) > 0 {
			woken++
			if leaf := ks.name(rs.Waker.Kernel[0]); leaf != "try_to_wake_up" {
				t.Errorf("the waker's kernel stack starts in %s, want try_to_wake_up", leaf)
			}
		}
	}
	if woken != 1 || a.Of(self) != 1 {
		t.Errorf("%d blocks woken by this process (%d) with its stacks, announced %d times: want 1, 1; samples %+v", woken, self, a.Of(self), samples)
	}
}

// waitSleeping waits, for at most a second, until process pid sleeps (state
// S in /proc/PID/stat).
func waitSleeping(t *testing.T, pid uint32) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "S" {
			return
		}
	}
	t.Fatalf("process %d does not sleep", pid)
}
