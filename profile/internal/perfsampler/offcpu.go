package perfsampler

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// checkOffCPU refuses what off-CPU recording (cfg.OffCPU) cannot do in
// this backend, saying why.
func checkOffCPU(cfg sampler.Config) error {
	off := cfg.OffCPU
	switch {
	case len(cfg.PIDs) == 0:
		return sampler.Markf(errs.ErrNotSupported, "off-CPU recording follows processes (PIDs, a command, self), "+
			"not the whole system or a cgroup: use the eBPF backend")
	case off.State != sampler.BlockAny:
		return sampler.Markf(errs.ErrNotSupported, "off-CPU recording cannot tell interruptible from "+
			"uninterruptible sleeps (a switch record says only whether the thread was preempted): use the eBPF backend")
	case off.Wakeups:
		return sampler.Markf(errs.ErrNotSupported, "off-CPU recording cannot see wakeups "+
			"(the waker is often another process, whose events it does not open): use the eBPF backend")
	case off.Threads == sampler.ThreadsKernel:
		return sampler.Markf(errs.ErrNotSupported, "off-CPU recording follows user processes, "+
			"never kernel threads: use the eBPF backend")
	case off.MaxBlock != 0 && off.MaxBlock < off.MinBlock:
		return fmt.Errorf("off-CPU maximum block %v below the minimum %v", off.MaxBlock, off.MinBlock)
	}
	return nil
}

// switchOptions returns the context-switch event of off-CPU recording: a
// sample, with the thread's stacks, at every switch out, and a switch
// record at every switch out and in. It counts in the kernel, where
// switches happen, whatever cfg.UserOnly (which leaves out the kernel
// stack instead): kernel.perf_event_paranoid 2 hides it from unprivileged
// users.
func switchOptions(cfg sampler.Config) perfevent.SampleOptions {
	o := sampleOptions(cfg)
	o.Event = unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CONTEXT_SWITCHES}
	o.Frequency, o.Period = 0, 1
	o.ExcludeKernel, o.ExcludeUser = false, false
	o.NoKernelStack = cfg.UserOnly
	o.Identifier, o.SwitchRecords, o.Task = true, true, true
	return o
}

// offCPUAttrs returns the attributes of the events off-CPU recording opens
// on each thread and CPU: the context-switch event, and with OffCPU.Wall
// cfg's event as well (without task records, which the first sends). The
// rings they share decode with one layout: both carry periods and ids, and
// times in their LOST records.
func offCPUAttrs(cfg sampler.Config) (switches unix.PerfEventAttr, wall *unix.PerfEventAttr) {
	switches = switchOptions(cfg).Attr()
	switches.Sample_type |= unix.PERF_SAMPLE_PERIOD
	if cfg.OffCPU.Wall {
		o := sampleOptions(cfg)
		o.Task, o.Identifier, o.SampleIDAll = false, true, true
		a := o.Attr()
		a.Sample_type |= unix.PERF_SAMPLE_PERIOD
		wall = &a
	}
	return switches, wall
}

// openOffCPU opens the off-CPU events for pid on the i-th CPU.
func (s *Sampler) openOffCPU(pid, i int) error {
	a, wall := offCPUAttrs(s.cfg)
	ev, err := perfevent.Open(&a, pid, s.cpus[i])
	if errors.Is(err, errs.ErrPermission) {
		return permissionError(err)
	}
	if err != nil {
		return err
	}
	id, err := ev.ID()
	if err != nil {
		ev.Close()
		return err
	}
	s.blocks.switchIDs[id] = true
	s.attr = a
	if err := s.addEvent(ev, i); err != nil || wall == nil {
		return err
	}
	if ev, err = perfevent.Open(wall, pid, s.cpus[i]); err != nil {
		return err
	}
	return s.addEvent(ev, i)
}

// permissionError is the refusal of the context-switch event, err, as
// errs.ErrPermission saying what would allow it (perfevent's advice, to
// exclude the kernel, does not apply: the switches are in the kernel).
func permissionError(err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		errno = unix.EACCES
	}
	setting := "kernel.perf_event_paranoid ≤ 1"
	if p, perr := perfevent.Paranoid(); perr == nil {
		setting = fmt.Sprintf("kernel.perf_event_paranoid ≤ 1 (it is %d: sysctl -w kernel.perf_event_paranoid=1)", p)
	}
	return sampler.Mark(errs.ErrPermission, fmt.Errorf("off-CPU recording samples context switches, "+
		"which happen in the kernel: even for a process's own threads it needs CAP_PERFMON or %s: perf_event_open: %w", setting, errno))
}

// endBlock aggregates a block of the thread of stack, its context-switch
// sample, from time from to time to.
func (s *Sampler) endBlock(stack *perfevent.Record, from, to uint64) {
	r := *stack
	r.Time, r.Period = to, to-from
	s.agg.block(&r)
}

// DrainOpen hands over the blocks still open, as if their threads ran
// again now, with everything else gathered since the last drain (see
// sampler.OpenBlocks); those blocks are not counted again.
func (s *Sampler) DrainOpen(emit func(sampler.Sample)) (sampler.Stats, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return sampler.Stats{}, fmt.Errorf("drain after close: %w", os.ErrClosed)
	}
	s.readRings()
	if s.blocks != nil {
		s.blocks.drainOpen(s.endBlock, s.failOnce)
	}
	return s.takeAll(emit)
}

// failOnce counts one failure of cause.
func (s *Sampler) failOnce(cause string) { s.agg.fail(cause, 1) }

var _ sampler.OpenBlocks = (*Sampler)(nil)
