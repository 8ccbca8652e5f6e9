package perfsampler

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// sampleOptions returns the event to sample for cfg. UserOnly and
// KernelOnly sample only in that mode, so that every sample has a stack.
// With cfg.Unwind, samples carry the user registers and a copy of the user
// stack to walk; the kernel's call chain keeps its user part, the stack of
// processes the registry does not know yet.
func sampleOptions(cfg sampler.Config) perfevent.SampleOptions {
	unwinding := unwinds(cfg)
	o := perfevent.SampleOptions{
		Event:         cfg.Event.Attr(),
		Frequency:     cfg.Frequency,
		Period:        cfg.Period,
		Inherit:       len(cfg.PIDs) > 0,
		ExcludeKernel: cfg.UserOnly,
		ExcludeUser:   cfg.KernelOnly,
		NoUserStack:   cfg.KernelOnly,
		Task:          true,
		Cgroup:        cfg.CgroupID != 0,
		WakeupBytes:   uint32(ringPages(cfg) * os.Getpagesize() / 4),
		UserRegs:      unwinding,
	}
	if unwinding {
		o.UserStack = perfevent.UserStackSize
	}
	return o
}

// openTargets opens the events: per CPU system-wide, or per thread and
// CPU of every target process.
func (s *Sampler) openTargets() error {
	if len(s.cfg.PIDs) == 0 {
		for i := range s.cpus {
			if err := s.openEvent(-1, i); err != nil {
				return err
			}
		}
		return nil
	}
	for _, pid := range s.cfg.PIDs {
		tids, err := threadsOf(pid)
		if errors.Is(err, fs.ErrNotExist) {
			return sampler.NoProcess(pid, err)
		}
		if err != nil {
			return err
		}
		for _, tid := range tids {
			if err := s.attachThread(tid); err != nil {
				return err
			}
		}
		s.agg.note(pid)
	}
	return nil
}

// attachThread opens tid's events on every CPU; a thread that exited
// meanwhile is not an error.
func (s *Sampler) attachThread(tid uint32) error {
	for i := range s.cpus {
		err := s.openEvent(int(tid), i)
		if errors.Is(err, unix.ESRCH) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	s.opened[tid] = true
	return nil
}

// openEvent opens the event for pid on the i-th CPU (with off-CPU
// recording, its events), sends its records to that CPU's ring (mapping
// the ring with the CPU's first event) and enables it. If the very first
// open is refused for lack of privilege and kernel samples were not
// required, every event samples user space only.
func (s *Sampler) openEvent(pid, i int) error {
	if s.blocks != nil {
		return s.openOffCPU(pid, i)
	}
	a := s.opts.Attr()
	ev, err := perfevent.Open(&a, pid, s.cpus[i])
	if errors.Is(err, perfevent.ErrPermission) && len(s.events) == 0 && !s.opts.ExcludeKernel && !s.cfg.KernelOnly {
		s.opts.ExcludeKernel = true
		a = s.opts.Attr()
		ev, err = perfevent.Open(&a, pid, s.cpus[i])
	}
	if err != nil {
		return err
	}
	s.attr = a
	return s.addEvent(ev, i)
}

// addEvent keeps ev, an event of the i-th CPU, sends its records to that
// CPU's ring (mapping the ring with the CPU's first event) and enables it.
func (s *Sampler) addEvent(ev *perfevent.Event, i int) error {
	s.events = append(s.events, ev)
	var err error
	if i < len(s.rings) {
		err = ev.SetOutput(s.rings[i].leader)
	} else {
		var ring *perfevent.Ring
		if ring, err = s.mmap(ev); err == nil {
			s.rings = append(s.rings, &cpuRing{leader: ev, ring: ring})
		}
	}
	if err == nil {
		err = ev.Enable()
	}
	return err
}

// mmap maps ev's ring, of ringPages pages, or of fewer if the kernel
// refuses that much locked memory (an unprivileged process may lock
// kernel.perf_event_mlock_kb per CPU, then up to RLIMIT_MEMLOCK): halving
// down to defaultRingPages, and keeping the size that worked for the next
// CPUs.
func (s *Sampler) mmap(ev *perfevent.Event) (*perfevent.Ring, error) {
	if s.pages == 0 {
		s.pages = ringPages(s.cfg)
	}
	for {
		ring, err := ev.Mmap(s.pages)
		if err == nil || s.pages <= defaultRingPages || !errors.Is(err, unix.EPERM) {
			return ring, err
		}
		s.pages /= 2
	}
}

// rescan attaches threads of the target processes that no event covers:
// not opened here and not created by a covered thread (no FORK record),
// on two scans in a row (the FORK record of a new thread may still be on
// its way). s.mu is held.
func (s *Sampler) rescan() {
	s.lastScan = time.Now()
	next, live := map[uint32]bool{}, map[uint32]bool{}
	for _, pid := range s.cfg.PIDs {
		tids, err := threadsOf(pid)
		if err != nil {
			continue // exited
		}
		for _, tid := range tids {
			live[tid] = true
			switch {
			case s.opened[tid] || s.forked[tid]:
			case !s.pending[tid]:
				next[tid] = true
			case s.attachThread(tid) == nil:
				s.agg.fail(sampler.FailureLateThread, 1)
			}
		}
	}
	for tid := range s.forked {
		if !live[tid] {
			delete(s.forked, tid)
		}
	}
	s.pending = next
}
