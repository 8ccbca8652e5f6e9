package profile

import (
	"log/slog"
	"os/exec"

	"github.com/flamekit/flamekit/symbolize"
)

// Options says what to profile and how. The zero value profiles the whole
// system's CPU time at 99 Hz with user and kernel stacks, idle left out.
type Options struct {
	// Event is the perf event to sample on, as perf's -e names it
	// ("cpu-clock", "page-faults", "cycles:u", "software/config=2/", ...;
	// see ParseEvent). "" means cpu-clock. Its :u and :k modifiers act as
	// UserOnly and KernelOnly, :p as precise_ip.
	Event string
	// Frequency is the sampling rate in Hz. 0 means 99, unless Period is
	// set. An event's own freq= or period= term ("page-faults/period=64/")
	// takes precedence over Frequency and Period.
	Frequency uint64
	// Period samples once every Period events instead of at a frequency.
	Period uint64

	// Mode records CPU samples of Event (ModeCPU, the default), blocked
	// time instead (ModeOffCPU: no Event, Frequency or Period then), or
	// both in time (ModeWall: Event cpu-clock or task-clock).
	Mode Mode
	// Wakeups joins each blocked stack with the stacks of the thread
	// that woke it (Sample.Waker); ModeOffCPU only, BPF backend only.
	Wakeups bool
	// Block picks the blocks ModeOffCPU and ModeWall record: by length,
	// task state and kind of thread. The zero value takes them all.
	Block BlockFilter

	// The target: at most one of PIDs, Self, Cgroup and Command. None means
	// the whole system.
	//
	// PIDs are processes to profile, with all their threads.
	PIDs []int
	// Self profiles the calling process, every thread of it.
	Self bool
	// Cgroup is the path of a cgroup v2 directory (absolute, or relative to
	// the cgroup2 mount): its processes and its descendants' are profiled.
	Cgroup string
	// Command is started by Start (it must not have been started) and
	// profiled with all its children until it exits; Session.Done is
	// closed then.
	Command *exec.Cmd

	// PerThread keeps threads apart (Sample.TID); otherwise samples are
	// per process.
	PerThread bool
	// UserOnly and KernelOnly keep one half of each stack.
	UserOnly, KernelOnly bool
	// IncludeIdle keeps the idle task's samples (pid 0, "swapper").
	IncludeIdle bool
	// Timed also records every sample with its time (Profile.Timed), for
	// sub-second views.
	Timed bool
	// Backend picks the sampling backend; Profile.Backend says which ran.
	Backend Backend
	// Unwind picks how user stacks are walked: by call frame information
	// where it exists and frame pointers elsewhere (the default), or by
	// frame pointers only.
	Unwind Unwind
	// Inlines adds inlined frames and file:line to the frames, from DWARF
	// and the Go pclntab. It costs memory and time at collection (DWARF
	// line tables of every library with debug info); without it frames
	// name the functions holding the code, from symbol tables.
	Inlines bool

	// Symbolizer names the addresses; nil means a new one with a 64 MiB
	// cache, closed with the session. Share one between sessions to share
	// its cache.
	Symbolizer *symbolize.Symbolizer
	// Logger receives debug messages, and a warning when the cgroup made
	// for Command is left because it still holds processes (a child the
	// command left running); nil means silence.
	Logger *slog.Logger
}
