package profile

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// ErrOptions reports Options that contradict each other or are out of
// range, such as Wakeups without ModeOffCPU or a Block.Min above
// Block.Max. The wrapping error says which.
var ErrOptions = errors.New("profile: invalid options")

// Mode is what a session records.
type Mode uint8

// The modes.
const (
	// ModeCPU samples Options.Event: where threads run (the default).
	ModeCPU Mode = iota
	// ModeOffCPU records where threads block instead: each time a thread
	// of the target leaves the CPU other than by preemption (it reads a
	// pipe, sleeps, waits for a lock or the disk), its stacks; when it
	// runs again, the time it was off the CPU is added to them. The
	// profile's Event is "off-cpu" in microseconds: Sample.Count is
	// blocks, Sample.Value microseconds blocked.
	ModeOffCPU
	// ModeWall records both, in time: on-CPU samples of cpu-clock (or
	// task-clock) and off-CPU time, so that a thread's samples add up to
	// its wall-clock time. The profile's Event is "wall" in microseconds;
	// Sample.OffCPU tells the blocked stacks from the running ones.
	ModeWall
)

// String returns "cpu", "off-cpu" or "wall".
func (m Mode) String() string {
	switch m {
	case ModeCPU:
		return "cpu"
	case ModeOffCPU:
		return "off-cpu"
	case ModeWall:
		return "wall"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// BlockFilter picks the blocks that ModeOffCPU and ModeWall record. The
// zero value records every block of user and kernel threads.
type BlockFilter struct {
	// Min and Max bound the blocks recorded: a block shorter than Min or
	// longer than Max is left out (0: no bound).
	Min, Max time.Duration
	// State picks the task states counted.
	State BlockState
	// Threads picks user threads, kernel threads or both.
	Threads Threads
}

// BlockState is which states of a blocked thread are counted.
type BlockState uint8

// The states. Preemption of a runnable thread is never a block.
const (
	// BlockAny counts every block.
	BlockAny BlockState = iota
	// BlockInterruptible counts sleeps a signal may end
	// (TASK_INTERRUPTIBLE: pipes, sockets, nanosleep, futexes).
	BlockInterruptible
	// BlockUninterruptible counts waits a signal does not end
	// (TASK_UNINTERRUPTIBLE: disk I/O, some kernel locks).
	BlockUninterruptible
)

// String returns "any", "interruptible" or "uninterruptible".
func (s BlockState) String() string {
	switch s {
	case BlockAny:
		return "any"
	case BlockInterruptible:
		return "interruptible"
	case BlockUninterruptible:
		return "uninterruptible"
	}
	return fmt.Sprintf("BlockState(%d)", uint8(s))
}

// ParseBlockState parses "any", "interruptible" or "uninterruptible"; an
// error wrapping ErrOptions otherwise.
func ParseBlockState(s string) (BlockState, error) {
	for _, st := range []BlockState{BlockAny, BlockInterruptible, BlockUninterruptible} {
		if strings.EqualFold(s, st.String()) {
			return st, nil
		}
	}
	return BlockAny, fmt.Errorf("%w: unknown block state %q (want any, interruptible or uninterruptible)", ErrOptions, s)
}

// Threads is which threads off-CPU recording counts.
type Threads uint8

// The thread kinds.
const (
	ThreadsAll    Threads = iota // user and kernel threads
	ThreadsUser                  // user threads only
	ThreadsKernel                // kernel threads only
)

// String returns "all", "user" or "kernel".
func (t Threads) String() string {
	switch t {
	case ThreadsAll:
		return "all"
	case ThreadsUser:
		return "user"
	case ThreadsKernel:
		return "kernel"
	}
	return fmt.Sprintf("Threads(%d)", uint8(t))
}

// ParseThreads parses "all", "user" or "kernel"; an error wrapping
// ErrOptions otherwise.
func ParseThreads(s string) (Threads, error) {
	for _, t := range []Threads{ThreadsAll, ThreadsUser, ThreadsKernel} {
		if strings.EqualFold(s, t.String()) {
			return t, nil
		}
	}
	return ThreadsAll, fmt.Errorf("%w: unknown threads %q (want all, user or kernel)", ErrOptions, s)
}

// Waker is the thread that woke a blocked one (Options.Wakeups), with its
// stacks at the wakeup, leaf first, named like the blocked ones.
type Waker struct {
	PID, TID     int
	Comm         string
	User, Kernel []Location
}

// offCPUConfig checks the off-CPU options against the mode and the event
// and returns the backend's request: nil for ModeCPU. Errors wrap
// ErrOptions, whose message carries the package prefix.
func offCPUConfig(opts Options, ev Event) (*sampler.OffCPU, error) {
	b := opts.Block
	switch opts.Mode {
	case ModeCPU:
		switch {
		case opts.Wakeups:
			return nil, fmt.Errorf("%w: Wakeups joins blocked stacks with their wakers: it needs ModeOffCPU", ErrOptions)
		case b != BlockFilter{}:
			return nil, fmt.Errorf("%w: Block filters blocked time: it needs ModeOffCPU or ModeWall", ErrOptions)
		}
		return nil, nil
	case ModeOffCPU:
		if opts.Event != "" || opts.Period != 0 {
			return nil, fmt.Errorf("%w: ModeOffCPU records blocked time, not an event: give no Event or Period", ErrOptions)
		}
	case ModeWall:
		if ev.Unit != "nanoseconds" {
			return nil, fmt.Errorf("%w: ModeWall adds on-CPU time to blocked time: its event must be cpu-clock or task-clock, not %q", ErrOptions, ev.Name)
		}
		if opts.Wakeups {
			return nil, fmt.Errorf("%w: Wakeups needs ModeOffCPU, not ModeWall", ErrOptions)
		}
	default:
		return nil, fmt.Errorf("%w: unknown mode %d", ErrOptions, opts.Mode)
	}
	switch {
	case b.Min < 0 || b.Max < 0:
		return nil, fmt.Errorf("%w: negative block bound (Min %v, Max %v)", ErrOptions, b.Min, b.Max)
	case b.Max > 0 && b.Min > b.Max:
		return nil, fmt.Errorf("%w: the shortest block recorded (Min %v) is longer than the longest (Max %v)", ErrOptions, b.Min, b.Max)
	case b.State > BlockUninterruptible:
		return nil, fmt.Errorf("%w: unknown block state %d", ErrOptions, b.State)
	case b.Threads > ThreadsKernel:
		return nil, fmt.Errorf("%w: unknown threads %d", ErrOptions, b.Threads)
	case b.Threads == ThreadsKernel && opts.UserOnly:
		return nil, fmt.Errorf("%w: kernel threads have no user stacks to keep (Threads kernel with UserOnly)", ErrOptions)
	}
	states := map[BlockState]sampler.BlockState{BlockAny: sampler.BlockAny, BlockInterruptible: sampler.BlockInterruptible, BlockUninterruptible: sampler.BlockUninterruptible}
	threads := map[Threads]sampler.Threads{ThreadsAll: sampler.ThreadsAll, ThreadsUser: sampler.ThreadsUser, ThreadsKernel: sampler.ThreadsKernel}
	return &sampler.OffCPU{
		Wall:     opts.Mode == ModeWall,
		MinBlock: b.Min, MaxBlock: b.Max,
		State: states[b.State], Threads: threads[b.Threads],
		Wakeups: opts.Wakeups,
	}, nil
}

// The names of the events of off-CPU and wall profiles.
const (
	offCPUEvent = "off-cpu"
	wallEvent   = "wall"
)

// profileEvent is the Event of the profiles of a session in mode m that
// samples ev.
func profileEvent(m Mode, ev Event) Event {
	switch m {
	case ModeOffCPU:
		return Event{Name: offCPUEvent, Unit: "microseconds"}
	case ModeWall:
		ev.Name, ev.Unit = wallEvent, "microseconds"
	}
	return ev
}

// microseconds converts the nanoseconds a backend counts into the
// microseconds of off-CPU and wall profiles, rounded to the nearest.
func microseconds(ns uint64) uint64 { return (ns + 500) / 1000 }
