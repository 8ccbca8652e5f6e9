package bpfsampler

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// Task states, as the kernel's sched_switch passes them.
const (
	taskInterruptible   = 0x1
	taskUninterruptible = 0x2
	taskDead            = 0x80  // the last switch of a thread: it never runs again
	taskNoLoad          = 0x400 // with taskUninterruptible, TASK_IDLE: an idle kernel thread, not a wait
)

// offCPUConstants are the program's off-CPU settings.
type offCPUConstants struct {
	states, skipStates uint32 // a block's state has a bit of states and none of skipStates
	threads            uint8  // sampler.Threads
	wakers             uint8  // OffCPU.Wakeups
	minBlock, maxBlock uint64 // ns
}

// offCPUSettings returns the program's settings for off (nil: none).
func offCPUSettings(off *sampler.OffCPU) offCPUConstants {
	if off == nil {
		return offCPUConstants{}
	}
	c := offCPUConstants{
		states:     ^uint32(0),
		skipStates: taskDead,
		threads:    uint8(off.Threads),
		wakers:     flag(off.Wakeups),
		minBlock:   uint64(max(off.MinBlock, 0)),
		maxBlock:   uint64(max(off.MaxBlock, 0)),
	}
	switch off.State {
	case sampler.BlockInterruptible:
		c.states = taskInterruptible
	case sampler.BlockUninterruptible:
		c.states = taskUninterruptible
		c.skipStates |= taskNoLoad
	}
	return c
}

// heldStacks are the stacks a block may still name after their generation
// was drained. A block's stacks are stored in the generation current when
// the thread blocked, and its count in the one current when it runs again,
// drains later: Drain keeps each stack it drains for the next drain, and
// each stack an open block (an entry of the blocked map) names while it is
// named and for one drain more (a block that ends just after the scan of
// the blocked map is counted in the generation drained next).
type heldStacks struct {
	frames map[uint64][]uint64
	last   map[uint64]int // the drain that last drained or named the stack
	drain  int
}

func newHeldStacks() *heldStacks {
	return &heldStacks{frames: map[uint64][]uint64{}, last: map[uint64]int{}}
}

// keep records a drain: the stacks it drained and the stack keys the open
// blocks name; it forgets the stacks neither this drain nor the last one
// drained or named.
func (h *heldStacks) keep(drained map[uint64][]uint64, named []uint64) {
	h.drain++
	for k, f := range drained {
		h.frames[k] = f
		h.last[k] = h.drain
	}
	for _, k := range named {
		if _, ok := h.frames[k]; ok {
			h.last[k] = h.drain
		}
	}
	for k, d := range h.last {
		if d < h.drain-1 {
			delete(h.frames, k)
			delete(h.last, k)
		}
	}
}

// namedStacks returns the stack keys the entries of the blocked map name.
func (s *Sampler) namedStacks() ([]uint64, error) {
	var keys []uint64
	s.buf.blockedIDs, s.buf.blocked = chunk(s.buf.blockedIDs, s.buf.blocked, s.objs.Blocked, 1024)
	err := scan(s.objs.Blocked, s.buf.blockedIDs, s.buf.blocked, func(_ *uint32, b *bpf.ProfileBlockedThread) {
		for _, k := range [...]uint64{b.UserStack, b.KernelStack, b.WakerUserStack, b.WakerKernelStack} {
			if k != 0 {
				keys = append(keys, k)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("reading blocked threads: %w", err)
	}
	return keys, nil
}

// countSample is the sample of an entry of a counts map.
func countSample(k *bpf.ProfileCountKey, v *bpf.ProfileCountValue, st *drainedStacks) sampler.Sample {
	rs := sampler.Sample{
		PID: k.Pid, TID: k.Tid, Comm: cString(v.Comm[:]), CPU: -1,
		User: st.get(k.UserStack, sampler.FailureUserStackMissing, v.Count), Kernel: st.get(k.KernelStack, sampler.FailureKernelStackMissing, v.Count),
		Count: v.Count, Value: v.Period,
		OffCPU: k.Kind&uint32(bpf.ProfileCountKindCOUNT_OFFCPU) != 0,
	}
	if rs.OffCPU {
		rs.Kernel = st.iters.trim(rs.Kernel)
	}
	if k.Kind&uint32(bpf.ProfileCountKindCOUNT_WOKEN) != 0 {
		rs.Waker = st.waker(k.WakerPid, k.WakerTid, v.WakerComm[:], k.WakerUserStack, k.WakerKernelStack, v.Count)
	}
	return rs
}

// timedSample is the sample of a record of the timed log.
func timedSample(t *bpf.ProfileTimedSample, st *drainedStacks) sampler.Sample {
	rs := sampler.Sample{
		PID: t.Pid, TID: t.Tid, Comm: cString(t.Comm[:]), CPU: int32(t.Cpu), Time: t.Time,
		User: st.get(t.UserStack, sampler.FailureUserStackMissing, 1), Kernel: st.get(t.KernelStack, sampler.FailureKernelStackMissing, 1),
		Count: 1, Value: t.Period,
		OffCPU: t.Kind&uint32(bpf.ProfileCountKindCOUNT_OFFCPU) != 0,
	}
	if rs.OffCPU {
		rs.Kernel = st.iters.trim(rs.Kernel)
	}
	if t.Kind&uint32(bpf.ProfileCountKindCOUNT_WOKEN) != 0 {
		rs.Waker = st.waker(t.WakerPid, t.WakerTid, t.WakerComm[:], t.WakerUserStack, t.WakerKernelStack, 1)
	}
	return rs
}

// waker returns the waker of n blocks.
func (b *drainedStacks) waker(pid, tid uint32, comm []int8, user, kernel, n uint64) *sampler.Waker {
	return &sampler.Waker{
		PID: pid, TID: tid, Comm: cString(comm),
		User: b.get(user, sampler.FailureUserStackMissing, n), Kernel: b.offCPUKernel(kernel, n),
	}
}

// DrainOpen ends off-CPU recording: it detaches the programs (and stops
// Wall's sampling), hands every sample gathered since the last drain to
// emit as Drain does, then each block still open (a thread that blocked
// and has not run since), as if its thread ran now: Count 1, Value the
// time it has been off CPU so far (MinBlock and MaxBlock apply), and in
// Timed mode once more with the time and the CPU it blocked on. It is
// sampler.OpenBlocks; the sampler records nothing after it.
func (s *Sampler) DrainOpen(emit func(sampler.Sample)) (sampler.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return sampler.Stats{}, fmt.Errorf("drain after close: %w", os.ErrClosed)
	}
	if s.cfg.OffCPU == nil {
		return s.drain(emit)
	}
	if err := s.detachOffCPU(); err != nil {
		return sampler.Stats{}, err
	}
	now, err := monotonic()
	if err != nil {
		return sampler.Stats{}, err
	}
	stats, err := s.drain(emit)
	if err != nil {
		return sampler.Stats{}, err
	}
	st := drainedStacks{held: s.held, fails: map[string]uint64{}, iters: s.leafIters()}
	off := offCPUSettings(s.cfg.OffCPU)
	err = take(s.objs.Blocked, s.buf.blockedIDs, s.buf.blocked, func(tid *uint32, b *bpf.ProfileBlockedThread) {
		if b.Start > now {
			return // blocked after now: not possible once detached
		}
		d := now - b.Start
		if (off.minBlock > 0 && d < off.minBlock) || (off.maxBlock > 0 && d > off.maxBlock) {
			return
		}
		rs := sampler.Sample{
			PID: b.Tgid, Comm: cString(b.Comm[:]), CPU: -1,
			User: st.get(b.UserStack, sampler.FailureUserStackMissing, 1), Kernel: st.offCPUKernel(b.KernelStack, 1),
			Count: 1, Value: d, OffCPU: true,
		}
		if s.cfg.PerThread {
			rs.TID = *tid
		}
		if b.Woken != 0 {
			rs.Waker = st.waker(b.WakerPid, b.WakerTid, b.WakerComm[:], b.WakerUserStack, b.WakerKernelStack, 1)
		}
		emit(rs)
		if s.cfg.Timed {
			rs.TID, rs.CPU, rs.Time = *tid, int32(b.Cpu), now
			emit(rs)
		}
	})
	if err != nil {
		return sampler.Stats{}, fmt.Errorf("draining blocked threads: %w", err)
	}
	for k, n := range st.fails {
		stats.Failures[k] += n
	}
	return stats, nil
}

// detachOffCPU detaches the off-CPU programs and stops the perf events,
// then waits for programs still running to finish.
func (s *Sampler) detachOffCPU() error {
	for _, l := range s.offLinks {
		if err := l.Close(); err != nil {
			return fmt.Errorf("detaching the off-CPU programs: %w", err)
		}
	}
	s.offLinks = nil
	for _, e := range s.events {
		if err := e.Disable(); err != nil {
			return err
		}
	}
	time.Sleep(grace)
	return nil
}

// switchesMissed returns the runs of the off-CPU programs the kernel
// skipped since the last call.
func (s *Sampler) switchesMissed() (uint64, error) {
	if s.cfg.OffCPU == nil {
		return 0, nil
	}
	ps, err := s.objs.OnSwitch.Stats()
	if err != nil {
		return 0, fmt.Errorf("reading the off-CPU program's statistics: %w", err)
	}
	d := ps.RecursionMisses - s.missed
	s.missed = ps.RecursionMisses
	return d, nil
}

// monotonic reads CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns, in ns.
func monotonic() (uint64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, fmt.Errorf("reading the clock: %w", err)
	}
	return uint64(ts.Nano()), nil
}

var _ sampler.OpenBlocks = (*Sampler)(nil)
