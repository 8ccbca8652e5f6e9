package sampler

import "time"

// OffCPU asks a backend to record where threads block (off-CPU time)
// rather than, or with Wall as well as, sampling Config.Event.
//
// Each time a thread of the target leaves the CPU other than by
// preemption of a runnable task (it blocks: reads a pipe, sleeps, waits
// for a lock or the disk), its stacks are taken; when it runs again, the
// time it was off the CPU is added to those stacks. A backend reports it
// as Samples with OffCPU set: Count blocks, Value nanoseconds blocked.
type OffCPU struct {
	// Wall samples Config.Event (on-CPU) as well, so that a profile holds
	// both where threads ran and where they waited.
	Wall bool
	// MinBlock and MaxBlock bound the blocks counted: a block shorter than
	// MinBlock or longer than MaxBlock is left out (0: no bound).
	MinBlock, MaxBlock time.Duration
	// State picks the task states counted.
	State BlockState
	// Threads picks user threads, kernel threads or both.
	Threads Threads
	// Wakeups joins each block with the stacks of the thread that woke
	// the blocked one (Sample.Waker).
	Wakeups bool
}

// BlockState is which states of a blocked task are counted.
type BlockState uint8

// The states.
const (
	// BlockAny counts every block: interruptible, uninterruptible and
	// the others (stopped, traced...), but not preemption.
	BlockAny BlockState = iota
	// BlockInterruptible counts sleeps that a signal may end
	// (TASK_INTERRUPTIBLE: pipes, sockets, nanosleep, futexes).
	BlockInterruptible
	// BlockUninterruptible counts waits a signal does not end
	// (TASK_UNINTERRUPTIBLE: disk I/O, some locks).
	BlockUninterruptible
)

// Threads is which threads off-CPU recording counts.
type Threads uint8

// The thread kinds.
const (
	ThreadsAll    Threads = iota // user and kernel threads
	ThreadsUser                  // user threads only
	ThreadsKernel                // kernel threads only
)

// Waker is the thread that woke a blocked one, with its stacks at the
// wakeup, leaf first.
type Waker struct {
	PID, TID     uint32
	Comm         string
	User, Kernel []uint64
}

// OpenBlocks is a Sampler recording off-CPU time that can report the
// blocks still open: threads that blocked and have not run since (one may
// have been blocked for the whole recording). The session calls it once,
// at Stop, after the last Drain and before Close.
type OpenBlocks interface {
	// DrainOpen hands each block still open to emit as a Sample with
	// OffCPU set, as if its thread ran again now (Value is the time it
	// has been off CPU so far), and returns the counts of what failed.
	// Blocks that end later are not counted again.
	DrainOpen(emit func(Sample)) (Stats, error)
}
