package perfsampler

import (
	"bytes"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// recordSlack is how far behind the start of a read of the rings the
// records the tracker puts in time order must be: a record written on one
// CPU after its ring was read may be older than one another CPU's ring
// held, so records this recent wait for the next read.
const recordSlack = 2_000_000 // ns

// blockTracker makes blocks of the records of the context-switch events
// (Config.OffCPU): each thread's context-switch sample (its stacks as it
// left the CPU), then its switch out (preempted, or blocked), then its
// switch in. The records of one thread come from the rings of the CPUs it
// ran on, so they are put in time order first. It is used under the
// Sampler's lock.
type blockTracker struct {
	off *sampler.OffCPU
	// switchIDs are the ids of the context-switch events, whose samples
	// are the stacks of switches (with OffCPU.Wall the rings hold
	// cpu-clock samples as well).
	switchIDs map[uint64]bool
	queued    []perfevent.Record // records read, not yet in time order
	threads   map[uint32]*threadBlock
}

// threadBlock is what the tracker knows of one thread.
type threadBlock struct {
	// sample is the thread's last context-switch sample, waiting for its
	// switch-out record.
	sample *perfevent.Record
	// since is when the thread's open block began (its switch out); 0
	// when it is not blocked. stack is the block's sample, nil if lost.
	since uint64
	stack *perfevent.Record
	// running says the last record of the thread was a switch in.
	running bool
	// tainted says records were lost since the open block began: its
	// switch in, and more, may be among them.
	tainted bool
}

func newBlockTracker(off *sampler.OffCPU) *blockTracker {
	return &blockTracker{off: off, switchIDs: map[uint64]bool{}, threads: map[uint32]*threadBlock{}}
}

// queue keeps r, a record of the rings, if the tracker needs it, and
// reports whether the aggregator still needs it too (cpu-clock samples,
// task records, losses).
func (b *blockTracker) queue(r *perfevent.Record) (aggregate bool) {
	switch {
	case r.Type == perfevent.RecordSample && b.switchIDs[r.ID]:
		rc := *r
		rc.UserStack = bytes.Clone(r.UserStack) // it was in the ring
		b.queued = append(b.queued, rc)
		return false
	case r.Type == perfevent.RecordSwitch:
		b.queued = append(b.queued, *r)
		return false
	case r.Type == perfevent.RecordFork || r.Type == perfevent.RecordExit ||
		r.Type == perfevent.RecordLost || r.Type == perfevent.RecordLostSamples:
		b.queued = append(b.queued, *r)
	}
	return true
}

// process takes the records queued, oldest first, up to before time
// until, and hands each block that ended to end with its sample, when it
// began and ended (CLOCK_MONOTONIC ns). fail counts what went wrong.
func (b *blockTracker) process(until uint64, end func(stack *perfevent.Record, from, to uint64), fail func(cause string)) {
	slices.SortStableFunc(b.queued, func(x, y perfevent.Record) int {
		switch {
		case x.Time < y.Time:
			return -1
		case x.Time > y.Time:
			return 1
		}
		return 0
	})
	n := 0
	for n < len(b.queued) && b.queued[n].Time < until {
		b.step(&b.queued[n], end, fail)
		n++
	}
	rest := copy(b.queued, b.queued[n:])
	clear(b.queued[rest:])
	b.queued = b.queued[:rest]
}

// step accounts for one record.
func (b *blockTracker) step(r *perfevent.Record, end func(stack *perfevent.Record, from, to uint64), fail func(cause string)) {
	switch r.Type {
	case perfevent.RecordFork:
		delete(b.threads, r.TID) // a new thread: nothing of a thread gone with its id
		return
	case perfevent.RecordExit:
		if th := b.threads[r.TID]; th != nil && th.since != 0 {
			b.finish(th, r.Time, end, fail) // exited blocked: its exit ends the block
		}
		delete(b.threads, r.TID)
		return
	case perfevent.RecordLost, perfevent.RecordLostSamples:
		// Any thread's switches may be among the records lost (before the
		// LOST record's time): no open block can be trusted to end at the
		// next switch in, no sample to be the next switch out's.
		for _, th := range b.threads {
			th.tainted = th.tainted || th.since != 0
			th.sample, th.running = nil, false
		}
		return
	}
	th := b.threads[r.TID]
	if th == nil {
		th = &threadBlock{}
		b.threads[r.TID] = th
	}
	switch {
	case r.Type == perfevent.RecordSample:
		rc := *r // r is in the queue, which is reused
		th.sample = &rc
	case r.SwitchOut:
		if th.since != 0 { // the switch in that ended the last block was lost
			fail(sampler.FailureSwitchUnpaired)
		}
		th.since, th.stack, th.tainted = 0, nil, false
		if !r.Preempt {
			th.since, th.stack = r.Time, th.sample
		}
		th.sample, th.running = nil, false
	default: // switch in
		switch {
		case th.since != 0:
			b.finish(th, r.Time, end, fail)
		case th.running: // its switch out was lost
			fail(sampler.FailureSwitchUnpaired)
		}
		th.running = true
	}
}

// finish ends th's open block at time to, leaving out blocks outside
// MinBlock and MaxBlock.
func (b *blockTracker) finish(th *threadBlock, to uint64, end func(stack *perfevent.Record, from, to uint64), fail func(cause string)) {
	from, stack, tainted := th.since, th.stack, th.tainted
	th.since, th.stack, th.tainted = 0, nil, false
	d := to - from
	switch {
	case tainted:
		fail(sampler.FailureSwitchUnpaired)
	case to < from || d < uint64(b.off.MinBlock) || (b.off.MaxBlock > 0 && d > uint64(b.off.MaxBlock)):
	case stack == nil:
		fail(sampler.FailureSwitchNoStack)
	default:
		end(stack, from, to)
	}
}

// drainOpen takes every record queued, then ends every block still open
// now, as if its thread ran again: those blocks are not counted again.
func (b *blockTracker) drainOpen(end func(stack *perfevent.Record, from, to uint64), fail func(cause string)) {
	b.process(^uint64(0), end, fail)
	now := monotonicNow()
	for _, th := range b.threads {
		if th.since != 0 {
			b.finish(th, max(now, th.since), end, fail)
		}
	}
}

// monotonicNow is CLOCK_MONOTONIC in nanoseconds, the clock of the
// events' times.
func monotonicNow() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}
