package pmc

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// workload builds testdata/workload.c once per test.
func workload(t *testing.T) string {
	t.Helper()
	return testenv.BuildC(t, "gcc", "workload", []string{"testdata/workload.c"}, "-O1", "-pthread")
}

// events parses the event names, each a group of its own unless grouped.
func events(t *testing.T, list string) []Group {
	t.Helper()
	gs, err := ParseEvents(list)
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

// countCommand runs the workload with args under a Command counter of the
// events, and returns the reading after it exited and its rusage.
func countCommand(t *testing.T, bin, list string, args ...string) (Reading, *syscall.Rusage) {
	t.Helper()
	testenv.RequireSelfProfiling(t)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	c, err := NewCounter(Command(cmd), events(t, list)...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	r, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	return r, cmd.ProcessState.SysUsage().(*syscall.Rusage)
}

// scaled returns the scaled count of the event named, failing t when it
// has none.
func scaled(t *testing.T, r Reading, name string) float64 {
	t.Helper()
	c, ok := r.Get(name)
	if !ok {
		t.Fatalf("no count of %s in %+v", name, r.Counts)
	}
	v, ok := c.Scaled()
	if !ok {
		t.Fatalf("%s: %v (%v)", name, c.State(), c.Err)
	}
	return v
}

// TestCommandPageFaults: a program touching N fresh pages takes N more
// page faults than the same program touching none (within 1%), and
// perf's count agrees with the rusage the kernel reports at wait.
func TestCommandPageFaults(t *testing.T) {
	bin := workload(t)
	const n = 20000
	base, _ := countCommand(t, bin, "page-faults,minor-faults", "pages", "0")
	r, ru := countCommand(t, bin, "page-faults,minor-faults", "pages", strconv.Itoa(n))
	got := scaled(t, r, "page-faults") - scaled(t, base, "page-faults")
	if math.Abs(got-n) > n/100 {
		t.Errorf("touching %d pages: %v more page faults than touching none (base %v)", n, got, scaled(t, base, "page-faults"))
	}
	t.Logf("%d pages: %v page faults more than none; rusage minflt+majflt %d, page-faults %v", n, got, ru.Minflt+ru.Majflt, scaled(t, r, "page-faults"))
	if minor := scaled(t, r, "minor-faults"); minor > scaled(t, r, "page-faults") {
		t.Errorf("minor faults %v > page faults %v", minor, scaled(t, r, "page-faults"))
	}
	// rusage counts from fork, perf from exec: rusage may hold a few more.
	rus := float64(ru.Minflt + ru.Majflt)
	if pf := scaled(t, r, "page-faults"); pf > rus || rus-pf > n/100 {
		t.Errorf("page-faults %v, rusage minflt+majflt %v", pf, rus)
	}
}

// TestCommandContextSwitches: a program sleeping N times switches out at
// least N times voluntarily, and perf's count matches its rusage.
func TestCommandContextSwitches(t *testing.T) {
	bin := workload(t)
	const n = 200
	r, ru := countCommand(t, bin, "context-switches", "sleep", strconv.Itoa(n))
	cs := scaled(t, r, "context-switches")
	t.Logf("%d sleeps: %v context switches; rusage nvcsw %d nivcsw %d", n, cs, ru.Nvcsw, ru.Nivcsw)
	if cs < n {
		t.Errorf("sleeping %d times: %v context switches", n, cs)
	}
	rus := float64(ru.Nvcsw + ru.Nivcsw)
	if math.Abs(cs-rus) > 0.02*rus+5 {
		t.Errorf("context-switches %v, rusage nvcsw+nivcsw %v (nvcsw %d)", cs, rus, ru.Nvcsw)
	}
}

// TestCommandTaskClock: task-clock of a program spinning 300 ms of CPU
// time agrees with the user+system time of its rusage.
func TestCommandTaskClock(t *testing.T) {
	bin := workload(t)
	r, ru := countCommand(t, bin, "task-clock", "spin", "300")
	tc := time.Duration(scaled(t, r, "task-clock"))
	rus := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	t.Logf("task-clock %v, rusage user+sys %v", tc, rus)
	if tc < 300*time.Millisecond || math.Abs(float64(tc-rus)) > 0.05*float64(rus)+float64(10*time.Millisecond) {
		t.Errorf("task-clock %v, rusage user+sys %v", tc, rus)
	}
}

// TestCommandChildren: a Command counter counts the command's children
// (inherit): a shell running the page-touching program twice takes the
// faults of both.
func TestCommandChildren(t *testing.T) {
	bin := workload(t)
	sh := testenv.RequireTool(t, "sh", "")
	const n = 10000
	script := fmt.Sprintf("%s pages %d >/dev/null && %s pages %d >/dev/null", bin, n, bin, n)
	r, ru := countCommand(t, sh, "page-faults", "-c", script)
	pf := scaled(t, r, "page-faults")
	// The rusage wait4 reports includes the children the shell waited for.
	rus := float64(ru.Minflt + ru.Majflt)
	t.Logf("sh running two programs touching %d pages each: %v page faults, rusage minflt+majflt %v", n, pf, rus)
	if pf < 2*n || pf > rus || rus-pf > n/100 {
		t.Errorf("two children touching %d pages each: %v page faults, rusage %v", n, pf, rus)
	}
}
