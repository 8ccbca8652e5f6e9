package pmc

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Target is what a Counter counts: a thread, a process, a command it
// starts, CPUs or a cgroup. The zero Target is ThisThread.
type Target struct {
	kind   targetKind
	pids   []int
	cpus   []int
	cgroup string
	cmd    *exec.Cmd
}

type targetKind int

const (
	targetThread targetKind = iota
	targetProcess
	targetCommand
	targetCPUs
	targetCgroup
)

// ThisThread counts the calling OS thread only (pid 0). A goroutine
// moves between threads: call runtime.LockOSThread before NewCounter and
// keep it locked while counting.
func ThisThread() Target { return Target{kind: targetThread} }

// Process counts every thread of process pid, those it has and those it
// creates while counted. A counter opened on a process id alone counts
// only its main thread, so NewCounter opens one counter per thread listed
// in /proc/PID/task, with inherit set: threads (and child processes) a
// counted thread creates afterwards are counted by the kernel into its
// creator's counter. Threads created while the counters are being opened
// by a thread not yet counted would escape, so NewCounter lists
// /proc/PID/task again after opening and opens counters on threads it had
// not seen, until a listing brings none. A thread that a thread had just
// been given its counter created in that window (the time to open one
// counter) is then counted twice: once inherited, once on its own.
func Process(pid int) Target { return Processes(pid) }

// Processes counts every thread of each process given, as Process counts
// one, the counts of all of them summed.
func Processes(pids ...int) Target { return Target{kind: targetProcess, pids: pids} }

// Command starts cmd (which must not have been started) stopped at its
// exec by ptrace, opens the counters on it with inherit, so that its
// children and threads are counted with it, enables them and lets it run:
// counting starts at the program's first instruction, as perf stat's does.
// The caller waits for cmd (cmd.Wait) and reads the counter afterwards,
// when the counts of every child that has exited have been added in. It
// needs ptrace access to one's own child (not refused unless
// kernel.yama.ptrace_scope is 3); cmd.SysProcAttr.Ptrace is set.
func Command(cmd *exec.Cmd) Target { return Target{kind: targetCommand, cmd: cmd} }

// CPUs counts everything that runs on the CPUs given (pid -1), which
// needs CAP_PERFMON or kernel.perf_event_paranoid at most 0. Readings
// break the counts down per CPU.
func CPUs(cpus ...int) Target { return Target{kind: targetCPUs, cpus: cpus} }

// AllCPUs counts everything on every online CPU; see CPUs.
func AllCPUs() Target { return Target{kind: targetCPUs} }

// Cgroup counts the tasks of the cgroup v2 directory dir (such as
// /sys/fs/cgroup/unified/my.slice) and its descendants on every online
// CPU (PERF_FLAG_PID_CGROUP: the kernel counts per CPU while a task of
// the cgroup runs there). It needs what CPUs needs. Readings break the
// counts down per CPU.
func Cgroup(dir string) Target { return Target{kind: targetCgroup, cgroup: dir} }

// String describes the target.
func (t Target) String() string {
	switch t.kind {
	case targetProcess:
		if len(t.pids) == 1 {
			return fmt.Sprintf("process %d", t.pids[0])
		}
		return fmt.Sprintf("processes %s", strings.Trim(fmt.Sprint(t.pids), "[]"))
	case targetCommand:
		if t.cmd != nil {
			return fmt.Sprintf("command %s", t.cmd.Path)
		}
		return "command"
	case targetCPUs:
		if t.cpus == nil {
			return "all CPUs"
		}
		return fmt.Sprintf("CPUs %v", t.cpus)
	case targetCgroup:
		return "cgroup " + t.cgroup
	}
	return "this thread"
}

// onlineCPUsPath lists the CPUs that are online.
const onlineCPUsPath = "/sys/devices/system/cpu/online"

// OnlineCPUs returns the numbers of the online CPUs.
func OnlineCPUs() ([]int, error) {
	b, err := os.ReadFile(onlineCPUsPath)
	if err != nil {
		return nil, fmt.Errorf("pmc: %w", err)
	}
	cpus, err := ParseCPUList(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%w, in %s", err, onlineCPUsPath)
	}
	return cpus, nil
}

// ParseCPUList parses a CPU list as the kernel writes it and perf's -C
// takes it, "0-3,5,7-8", into the CPUs' numbers (each below maxCPUs).
func ParseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= maxCPUs {
			return nil, fmt.Errorf("pmc: bad CPU list %q (want CPU numbers and ranges below %d: 0-3,5)", s, maxCPUs)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// maxCPUs bounds the CPU numbers a list may name (the kernel's NR_CPUS is
// at most 8192).
const maxCPUs = 1 << 16

// threads lists the thread ids of process pid.
func threads(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("pmc: threads of process %d: %w", pid, err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
