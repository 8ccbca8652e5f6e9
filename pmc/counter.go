package pmc

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/perfevent"
)

// readFormat is how every counter is read: a group at a time, with the
// times it was enabled and running, each value tagged with its id.
const readFormat = FormatGroup | FormatTotalTimeEnabled | FormatTotalTimeRunning | FormatID

// Counter counts groups of events on a Target. Each group is opened
// (disabled) on each thread or CPU of the target, its events in one
// kernel group: scheduled onto the PMU together, enabled, disabled and
// reset together (PERF_IOC_FLAG_GROUP) and read together, atomically, in
// one read(). An event that cannot be opened in its group is left out of
// it and reported NotSupported, while the others count, as perf stat
// does; when a group's first event cannot be opened, the next one leads.
type Counter struct {
	target    Target
	events    []Event // every group's events, in order
	unsupport []error // per event: why it could not be opened (no prefix)
	instances []*instance
	perCPU    []int // CPUs of the per-CPU breakdown, or nil
}

// instance is one group opened on one thread or CPU.
type instance struct {
	cpu    int
	leader *perfevent.Event
	fds    []*perfevent.Event
	index  map[uint64]int // event id -> index in Counter.events
	buf    []byte
}

// NewCounter opens the groups on t, disabled (except a Command target,
// which runs as soon as its counters are open, with them enabled). It
// fails when no event at all can be opened, or when opening fails for a
// reason other than an unsupported event (a permission, a missing
// process): then its error wraps perfevent's ErrPermission or the errno,
// and a Command target's command, killed before its first instruction,
// has been waited for.
func NewCounter(t Target, groups ...Group) (*Counter, error) {
	c := &Counter{target: t}
	groups = mostPrecise(groups)
	for _, g := range groups {
		c.events = append(c.events, g...)
	}
	if len(c.events) == 0 {
		return nil, errors.New("pmc: no events to count")
	}
	c.unsupport = make([]error, len(c.events))
	var err error
	switch t.kind {
	case targetThread:
		err = c.openOn(groups, 0, -1, 0, false)
	case targetProcess:
		err = c.openProcesses(groups, t.pids)
	case targetCommand:
		err = c.startCommand(groups, t)
	case targetCPUs:
		err = c.openCPUs(groups, t.cpus, -1, 0)
	case targetCgroup:
		err = c.openCgroup(groups, t.cgroup)
	}
	if err == nil && len(c.instances) == 0 {
		err = fmt.Errorf("pmc: no event could be opened on %s", t)
		if why := DefaultSysfs.noPMU(c.events); why != nil {
			err = fmt.Errorf("%w: %w", err, why)
		} else if why := joinLine(c.unsupport); why != nil {
			err = fmt.Errorf("%w: %w", err, why)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// openOn opens every group on one thread (or cgroup fd with flags) and CPU.
func (c *Counter) openOn(groups []Group, pid, cpu, flags int, inherit bool) error {
	first := 0
	for _, g := range groups {
		if err := c.openGroup(g, first, pid, cpu, flags, inherit); err != nil {
			return err
		}
		first += len(g)
	}
	return nil
}

// openGroup opens group g, whose first event is c.events[first], on one
// thread and CPU. An event the machine cannot count is left out; a weak
// group (:W) that cannot be opened whole is opened as separate events.
func (c *Counter) openGroup(g Group, first, pid, cpu, flags int, inherit bool) error {
	in := &instance{cpu: cpu, index: map[uint64]int{}}
	for i, e := range g {
		idx := first + i
		fd, err := c.openEvent(e, pid, cpu, in.leader, flags, inherit)
		if errors.Is(err, ErrNotSupported) {
			if c.unsupport[idx] == nil {
				c.unsupport[idx] = OpenError(e, err)
			}
			continue
		}
		if err != nil && in.leader != nil && len(g) > 1 && e.Weak {
			in.close()
			for j, e := range g {
				if err := c.openGroup(Group{e}, first+j, pid, cpu, flags, inherit); err != nil {
					return err
				}
			}
			return nil
		}
		if err != nil {
			in.close()
			return fmt.Errorf("pmc: %s on %s: %w", e.Name, c.target, err)
		}
		id, err := fd.ID()
		if err != nil {
			fd.Close()
			in.close()
			return fmt.Errorf("pmc: %w", err)
		}
		if in.leader == nil {
			in.leader = fd
		}
		in.fds = append(in.fds, fd)
		in.index[id] = idx
	}
	if in.leader != nil {
		in.buf = make([]byte, 8*(3+2*len(in.fds)))
		c.instances = append(c.instances, in)
	}
	return nil
}

// openEvent opens one event for counting, in leader's group (or leading
// its own when leader is nil), disabled when it leads.
func (c *Counter) openEvent(e Event, pid, cpu int, leader *perfevent.Event, flags int, inherit bool) (*perfevent.Event, error) {
	a := e.Attr()
	a.Read_format = readFormat
	if leader == nil {
		a.Bits |= unix.PerfBitDisabled
	}
	if inherit {
		a.Bits |= unix.PerfBitInherit
	}
	return perfevent.OpenGroup(&a, pid, cpu, leader, flags)
}

// openProcesses opens the groups on every thread of each process; see
// Process.
func (c *Counter) openProcesses(groups []Group, pids []int) error {
	if len(pids) == 0 {
		return errors.New("pmc: no process to count")
	}
	for _, pid := range pids {
		if err := c.openProcess(groups, pid); err != nil {
			return err
		}
	}
	return nil
}

// openProcess opens the groups on every thread of pid with inherit.
func (c *Counter) openProcess(groups []Group, pid int) error {
	seen := map[int]bool{}
	for round := 0; ; round++ {
		tids, err := threads(pid)
		if err != nil {
			return err
		}
		added := 0
		for _, tid := range tids {
			if seen[tid] {
				continue
			}
			seen[tid] = true
			added++
			err := c.openOn(groups, tid, -1, 0, true)
			if errors.Is(err, unix.ESRCH) {
				continue // the thread exited since it was listed
			}
			if err != nil {
				return err
			}
		}
		if added == 0 || round == 100 {
			return nil
		}
	}
}

// openCPUs opens the groups on each CPU of cpus (all online ones when
// nil), for everything (pid -1) or a cgroup (pid its fd, with flags).
func (c *Counter) openCPUs(groups []Group, cpus []int, pid, flags int) error {
	if cpus == nil {
		var err error
		if cpus, err = OnlineCPUs(); err != nil {
			return err
		}
	}
	c.perCPU = cpus
	for _, cpu := range cpus {
		if err := c.openOn(groups, pid, cpu, flags, false); err != nil {
			return err
		}
	}
	return nil
}

// openCgroup opens the groups on every online CPU for the cgroup dir.
func (c *Counter) openCgroup(groups []Group, dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("pmc: cgroup: %w", err)
	}
	defer f.Close()
	return c.openCPUs(groups, nil, int(f.Fd()), unix.PERF_FLAG_PID_CGROUP)
}

// startCommand starts t's command stopped at its exec, opens the groups
// on it with inherit, enables them and lets it run; see Command.
func (c *Counter) startCommand(groups []Group, t Target) error {
	cmd := t.cmd
	if cmd == nil || cmd.Process != nil {
		return errors.New("pmc: Command needs an exec.Cmd not yet started")
	}
	// The tracer is the thread that started the child: ptrace requests
	// must come from it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Ptrace = true
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pmc: start %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil || !ws.Stopped() {
		cmd.Process.Kill()
		return fmt.Errorf("pmc: %s did not stop at its exec (status %#x): %v", cmd.Path, uint32(ws), err)
	}
	err := c.openOn(groups, pid, -1, 0, true)
	if err == nil && len(c.instances) == 0 {
		err = errNothingOpened
	}
	if err == nil {
		err = c.Enable()
	}
	if err != nil {
		cmd.Process.Kill()
	}
	if derr := unix.PtraceDetach(pid); derr != nil && err == nil {
		cmd.Process.Kill()
		err = fmt.Errorf("pmc: let %s run: %w", cmd.Path, derr)
	}
	if err != nil {
		cmd.Wait() // killed before it ran: reaped, not left behind
	}
	if err == errNothingOpened {
		return nil // NewCounter says why
	}
	return err
}

// errNothingOpened stops a command none of whose events could be opened.
var errNothingOpened = errors.New("pmc: no event could be opened")

// Events returns the events counted, every group's, in order: the order
// of Reading.Counts.
func (c *Counter) Events() []Event { return c.events }

// Enable starts counting every group (each group's events together).
func (c *Counter) Enable() error { return c.each((*perfevent.Event).EnableGroup) }

// Disable stops counting every group.
func (c *Counter) Disable() error { return c.each((*perfevent.Event).DisableGroup) }

// Reset zeroes every group's counts (not their enabled and running
// times, which the kernel keeps running: Sub of two readings is how to
// measure an interval).
func (c *Counter) Reset() error { return c.each((*perfevent.Event).ResetGroup) }

func (c *Counter) each(f func(*perfevent.Event) error) error {
	for _, in := range c.instances {
		if err := f(in.leader); err != nil {
			return fmt.Errorf("pmc: %s: %w", c.target, err)
		}
	}
	return nil
}

// Read reads every group, each in one read(), and returns the counts
// summed over the target's threads and CPUs, and per CPU for CPU and
// cgroup targets. Events that could not be opened are there, NotSupported.
func (c *Counter) Read() (Reading, error) {
	r := Reading{Time: time.Now(), Counts: c.blank()}
	cpuAt := map[int]int{}
	for i, cpu := range c.perCPU {
		cpuAt[cpu] = i
		r.PerCPU = append(r.PerCPU, CPUCounts{CPU: cpu, Counts: c.blank()})
	}
	for _, in := range c.instances {
		n, err := in.leader.Read(in.buf)
		if err != nil {
			return Reading{}, fmt.Errorf("pmc: %s: %w", c.target, err)
		}
		raw, err := DecodeRead(in.buf[:n], readFormat)
		if err != nil {
			return Reading{}, err
		}
		for _, v := range raw.Values {
			idx, ok := in.index[v.ID]
			if !ok {
				return Reading{}, fmt.Errorf("%w: unknown event id %d", ErrMalformedRead, v.ID)
			}
			cnt := Count{Raw: v.Value, Enabled: raw.Enabled, Running: raw.Running}
			r.Counts[idx].add(cnt)
			if i, ok := cpuAt[in.cpu]; ok {
				r.PerCPU[i].Counts[idx].add(cnt)
			}
		}
	}
	return r, nil
}

// blank returns a zero count of every event, with why those not supported
// are not.
func (c *Counter) blank() []Count {
	cs := make([]Count, len(c.events))
	for i, e := range c.events {
		cs[i] = Count{Event: e}
		if c.unsupport[i] != nil {
			cs[i].Err = fmt.Errorf("pmc: %w", c.unsupport[i])
		}
	}
	return cs
}

// Close closes every counter.
func (c *Counter) Close() error {
	var errs []error
	for _, in := range c.instances {
		errs = append(errs, in.close())
	}
	c.instances = nil
	return errors.Join(errs...)
}

func (in *instance) close() error {
	var errs []error
	for _, fd := range in.fds {
		errs = append(errs, fd.Close())
	}
	in.fds = nil
	return errors.Join(errs...)
}

// mostPrecise returns groups with each :P event at the most precise level
// the PMU takes (Event.MostPrecise), copied, the caller's left as they are.
func mostPrecise(groups []Group) []Group {
	out := make([]Group, len(groups))
	for i, g := range groups {
		out[i] = make(Group, len(g))
		for j, e := range g {
			out[i][j] = e.MostPrecise()
		}
	}
	return out
}
