package pmc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// touchPages touches n fresh anonymous pages: n minor page faults.
func touchPages(t *testing.T, n int) {
	t.Helper()
	pg := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, n*pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	unix.Madvise(mem, unix.MADV_NOHUGEPAGE)
	for i := 0; i < n; i++ {
		mem[i*pg] = 1
	}
}

// TestGroupEnabledTogether: a group's events are enabled, disabled and
// reset together and read in one read(), so they share their times, and
// page faults taken while the group is disabled count in none of them.
func TestGroupEnabledTogether(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := NewCounter(ThisThread(), events(t, "{page-faults,minor-faults,task-clock}")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	for _, cnt := range before.Counts {
		if cnt.State() != NotCounted {
			t.Errorf("%s before Enable: %v %+v, want not counted", cnt.Event.Name, cnt.State(), cnt)
		}
	}
	const n = 3000
	if err := c.Enable(); err != nil {
		t.Fatal(err)
	}
	touchPages(t, n)
	if err := c.Disable(); err != nil {
		t.Fatal(err)
	}
	touchPages(t, n) // not counted
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	pf, minor := scaled(t, r, "page-faults"), scaled(t, r, "minor-faults")
	if pf < n || pf > n+n/10 || minor != pf {
		t.Errorf("%d pages touched while enabled, %d more while disabled: page-faults %v, minor-faults %v", n, n, pf, minor)
	}
	for _, cnt := range r.Counts[1:] {
		if cnt.Enabled != r.Counts[0].Enabled || cnt.Running != r.Counts[0].Running {
			t.Errorf("%s enabled/running %d/%d, the leader's %d/%d", cnt.Event.Name, cnt.Enabled, cnt.Running, r.Counts[0].Enabled, r.Counts[0].Running)
		}
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	r, err = c.Read()
	if err != nil {
		t.Fatal(err)
	}
	for _, cnt := range r.Counts {
		if cnt.Raw != 0 {
			t.Errorf("%s after Reset: %d", cnt.Event.Name, cnt.Raw)
		}
	}
}

// TestUnsupportedEventLeavesGroupCounting: a hardware event that cannot
// be opened (no PMU here) is reported NotSupported, naming the event and
// the missing PMU, while the software events of its group count; where
// the machine has a PMU, the event counts.
func TestUnsupportedEventLeavesGroupCounting(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := NewCounter(ThisThread(), events(t, "{cycles,page-faults},instructions,task-clock")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	touchPages(t, 100)
	c.Disable()
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if pf := scaled(t, r, "page-faults"); pf < 100 {
		t.Errorf("page-faults %v, want at least 100", pf)
	}
	scaled(t, r, "task-clock")
	cyc, _ := r.Get("cycles")
	if cyc.State() == Counted {
		if v, _ := cyc.Scaled(); v <= 0 {
			t.Errorf("cycles counted %v", v)
		}
		return
	}
	if cyc.State() != NotSupported || !errors.Is(cyc.Err, ErrNotSupported) || !errors.Is(cyc.Err, errors.ErrUnsupported) {
		t.Fatalf("cycles: %v, %v", cyc.State(), cyc.Err)
	}
	for _, want := range []string{"cycles", "no PMU"} {
		if !strings.Contains(cyc.Err.Error(), want) {
			t.Errorf("error %q does not say %q", cyc.Err, want)
		}
	}
}

// TestWeakGroup: a group that cannot be opened whole (a pinned member:
// only a leader may be pinned) fails without :W; with :W it is opened as
// separate events, which all count, as perf stat's weak groups do.
func TestWeakGroup(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if c, err := NewCounter(ThisThread(), events(t, "{task-clock,page-faults:D}")...); err == nil {
		c.Close()
		t.Fatal("a group with a pinned member opened: the test no longer shows a group that cannot be opened")
	}
	c, err := NewCounter(ThisThread(), events(t, "{task-clock,page-faults:D}:W,cs")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	touchPages(t, 500)
	c.Disable()
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if pf := scaled(t, r, "page-faults:D"); pf < 500 {
		t.Errorf("page-faults:D %v after 500 pages", pf)
	}
	if tc := scaled(t, r, "task-clock"); tc <= 0 {
		t.Errorf("task-clock %v", tc)
	}
	scaled(t, r, "cs")
}

// TestMaxPrecise: :P opens at the most precise level the PMU takes (the
// software PMU ignores precision; a hardware PMU without it refuses the
// higher levels, and the counter tries the lower ones).
func TestMaxPrecise(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pf, err := ParseEvent("page-faults:P")
	if err != nil {
		t.Fatal(err)
	}
	if e := pf.MostPrecise(); e.MaxPrecise || e.Precise > 3 || e.Name != "page-faults:P" {
		t.Errorf("page-faults:P at its most precise: %+v", e)
	}
	if e, _ := ParseEvent("page-faults:pp"); e.MostPrecise() != e {
		t.Errorf("MostPrecise changed an event without :P: %+v", e.MostPrecise())
	}
	c, err := NewCounter(ThisThread(), events(t, "page-faults:P")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	touchPages(t, 300)
	c.Disable()
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if pf := scaled(t, r, "page-faults:P"); pf < 300 {
		t.Errorf("page-faults:P %v after 300 pages", pf)
	}
}

// TestHardwareCounts: where the machine has a PMU, cycles and
// instructions count in one group; elsewhere the test skips with the
// errno (and fails with FLAMEKIT_REQUIRE_PMU=1).
func TestHardwareCounts(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := NewCounter(ThisThread(), events(t, "{cycles:u,instructions:u}")...)
	if errors.Is(err, ErrNotSupported) {
		testenv.RequirePMU(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	touchPages(t, 1000)
	c.Disable()
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	for _, cnt := range r.Counts {
		if v, ok := cnt.Scaled(); !ok || v < 1000 {
			t.Errorf("%s: %v %v", cnt.Event.Name, cnt.State(), v)
		}
	}
	if ipc := IPC.Compute(r); !ipc.Available || ipc.Value <= 0 {
		t.Errorf("IPC %+v", ipc)
	}
}

// TestOnlyUnsupportedEvents: a counter none of whose events can be opened
// is an error wrapping ErrNotSupported, said on one line that names each
// event.
func TestOnlyUnsupportedEvents(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	c, err := NewCounter(ThisThread(), events(t, "cycles,instructions")...)
	if err == nil {
		c.Close()
		t.Skip("this machine has a PMU that counts cycles")
	}
	if !errors.Is(err, ErrNotSupported) {
		t.Fatalf("err %v does not wrap ErrNotSupported", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, `"cycles", "instructions"`) {
		t.Errorf("want one line naming cycles and instructions, got %q", msg)
	}
}

// TestProcessThreads: a Process counter counts every thread of the
// process — those it had when the counter was opened (a counter on the
// process id alone would count its main thread only) and those it
// creates later (inherit): task-clock of two threads spinning 150 ms each
// is their CPU time, as the process's rusage says.
func TestProcessThreads(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := workload(t)
	for _, mode := range []string{"prethreads", "threads"} {
		child := testenv.StartChild(t, exec.Command(bin, mode, "2", "150"))
		child.WaitLine(t, "ready")
		c, err := NewCounter(Process(child.Process.Pid), events(t, "task-clock")...)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Enable(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(child.In, "go")
		child.WaitLine(t, "done")
		child.In.Close()
		if err := child.Wait(); err != nil {
			t.Fatal(err)
		}
		r, err := c.Read()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		tc := time.Duration(scaled(t, r, "task-clock"))
		ru := child.ProcessState.SysUsage().(*syscall.Rusage)
		rus := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
		t.Logf("%s: task-clock of the process %v, rusage user+sys %v", mode, tc, rus)
		if tc < 290*time.Millisecond || tc > rus+rus/10+10*time.Millisecond {
			t.Errorf("%s: two threads spinning 150 ms: task-clock %v, rusage %v", mode, tc, rus)
		}
	}
}

// TestCommandNothingCounted: a command none of whose events can be
// opened does not run on uncounted: NewCounter fails, and the command
// has been killed and waited for.
func TestCommandNothingCounted(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cmd := exec.Command("sleep", "30")
	c, err := NewCounter(Command(cmd), events(t, "cycles")...)
	if err == nil {
		c.Close()
		cmd.Process.Kill()
		cmd.Wait()
		t.Skip("this machine has a PMU that counts cycles")
	}
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("err %v does not wrap ErrNotSupported", err)
	}
	if cmd.Process == nil {
		t.Fatal("the command was not started")
	}
	if cmd.ProcessState == nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("NewCounter failed (%v) and left its command running", err)
	}
}

// TestProcesses: a counter on two processes counts every thread of both:
// task-clock of two programs spinning 150 ms each is their CPU time.
func TestProcesses(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := workload(t)
	var children []*testenv.Child
	var pids []int
	for range 2 {
		child := testenv.StartChild(t, exec.Command(bin, "threads", "1", "150"))
		child.WaitLine(t, "ready")
		children = append(children, child)
		pids = append(pids, child.Process.Pid)
	}
	target := Processes(pids...)
	if want := fmt.Sprintf("processes %d %d", pids[0], pids[1]); target.String() != want {
		t.Errorf("target %q, want %q", target, want)
	}
	c, err := NewCounter(target, events(t, "task-clock")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Enable(); err != nil {
		t.Fatal(err)
	}
	var rus time.Duration
	for _, child := range children {
		fmt.Fprintln(child.In, "go")
		child.WaitLine(t, "done")
		child.In.Close()
		if err := child.Wait(); err != nil {
			t.Fatal(err)
		}
		ru := child.ProcessState.SysUsage().(*syscall.Rusage)
		rus += time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	}
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	tc := time.Duration(scaled(t, r, "task-clock"))
	if tc < 290*time.Millisecond || tc > rus+rus/10+10*time.Millisecond {
		t.Errorf("two processes spinning 150 ms: task-clock %v, rusage %v", tc, rus)
	}
}

// TestIntervalsSumToTotal: the deltas between consecutive readings of a
// running counter add up to the last reading exactly, raw values and
// times alike.
func TestIntervalsSumToTotal(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	child := testenv.StartChild(t, exec.Command(workload(t), "spin", "400"))
	child.WaitLine(t, "ready")
	c, err := NewCounter(Process(child.Process.Pid), events(t, "{task-clock,context-switches},page-faults")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	c.Enable()
	prev, sum := start, make([]Count, len(start.Counts))
	for i := 0; i < 5; i++ {
		time.Sleep(40 * time.Millisecond)
		r, err := c.Read()
		if err != nil {
			t.Fatal(err)
		}
		d := r.Sub(prev)
		for j := range sum {
			sum[j].add(d.Counts[j])
		}
		prev = r
	}
	total := prev.Sub(start)
	for j, want := range total.Counts {
		if sum[j].Raw != want.Raw || sum[j].Enabled != want.Enabled || sum[j].Running != want.Running {
			t.Errorf("%s: intervals sum to %+v, total %+v", want.Event.Name, sum[j], want)
		}
	}
	if tc := total.Counts[0]; tc.State() != Counted || tc.Raw == 0 {
		t.Errorf("task-clock of a spinning program: %v %+v", tc.State(), tc)
	}
}

// TestPerCPU: a counter on every CPU breaks its counts down per CPU,
// and they add up to the total; cpu-clock on a CPU runs the whole time
// it is enabled.
func TestPerCPU(t *testing.T) {
	testenv.RequireRoot(t)
	cpus, err := OnlineCPUs()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCounter(AllCPUs(), events(t, "cpu-clock,context-switches")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	time.Sleep(100 * time.Millisecond)
	c.Disable()
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.PerCPU) != len(cpus) {
		t.Fatalf("%d CPUs broken down, %d online", len(r.PerCPU), len(cpus))
	}
	for j, total := range r.Counts {
		var sum Count
		for _, pc := range r.PerCPU {
			sum.add(pc.Counts[j])
		}
		if sum.Raw != total.Raw || sum.Enabled != total.Enabled {
			t.Errorf("%s: CPUs sum to %+v, total %+v", total.Event.Name, sum, total)
		}
	}
	for _, pc := range r.PerCPU {
		clk := pc.Counts[0]
		if clk.Raw < 90*uint64(time.Millisecond) || float64(clk.Raw) < 0.95*float64(clk.Enabled) {
			t.Errorf("CPU %d: cpu-clock %v over %v enabled", pc.CPU, time.Duration(clk.Raw), time.Duration(clk.Enabled))
		}
	}
}

// TestCgroup: a counter on a cgroup counts the program moved into it
// (task-clock of its spinning) and nothing of a program outside it.
func TestCgroup(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, "/sys/fs/cgroup/unified/cgroup.procs", "mount cgroup2 on /sys/fs/cgroup/unified")
	dir := filepath.Join("/sys/fs/cgroup/unified", fmt.Sprintf("flamekit-pmc-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := workload(t)
	inside := testenv.StartChild(t, exec.Command(bin, "threads", "1", "300"))
	outside := testenv.StartChild(t, exec.Command(bin, "threads", "1", "300"))
	t.Cleanup(func() {
		inside.Process.Kill()
		inside.Wait()
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove the cgroup: %v", err)
		}
	})
	inside.WaitLine(t, "ready")
	outside.WaitLine(t, "ready")
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(inside.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	c, err := NewCounter(Cgroup(dir), events(t, "task-clock")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	fmt.Fprintln(outside.In, "go")
	outside.WaitLine(t, "done")
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if tc, _ := r.Counts[0].Scaled(); tc > float64(20*time.Millisecond) {
		t.Errorf("task-clock of an idle cgroup while a program outside spun 300 ms: %v", time.Duration(tc))
	}
	fmt.Fprintln(inside.In, "go")
	inside.WaitLine(t, "done")
	r2, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	tc := time.Duration(scaled(t, r2.Sub(r), "task-clock"))
	t.Logf("task-clock of the cgroup while its program spun 300 ms: %v (CPUs: %d)", tc, len(r2.PerCPU))
	if tc < 250*time.Millisecond || tc > 400*time.Millisecond {
		t.Errorf("task-clock of the cgroup while its program spun 300 ms: %v", tc)
	}
}

// TestOneCPU: a counter on one CPU breaks its counts down for that CPU
// only.
func TestOneCPU(t *testing.T) {
	testenv.RequireRoot(t)
	c, err := NewCounter(CPUs(0), events(t, "cpu-clock")...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Enable()
	time.Sleep(20 * time.Millisecond)
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.PerCPU) != 1 || r.PerCPU[0].CPU != 0 || r.PerCPU[0].Counts[0].Raw != r.Counts[0].Raw || r.Counts[0].Raw < uint64(15*time.Millisecond) {
		t.Errorf("one CPU: %+v", r)
	}
}
