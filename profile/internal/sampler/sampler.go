package sampler

import (
	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/pmc"
)

// Config is what a backend is asked to sample, resolved from the session's
// options.
type Config struct {
	// Event to sample on, as package pmc parsed it: its Attr is the
	// event's part of each perf_event_attr the backend opens (type,
	// config words, exclusions, precise_ip), to which the backend adds the
	// sampling fields (perfevent.SampleOptions).
	Event pmc.Event
	// Frequency in Hz, or, when zero, Period events per sample.
	Frequency uint64
	Period    uint64
	// PIDs limits sampling to these processes (thread-group ids); empty
	// means every process.
	PIDs []uint32
	// CgroupID limits sampling to one cgroup v2 (its inode number, see
	// CgroupID); 0 means any.
	CgroupID uint64
	// UserOnly and KernelOnly keep one half of each stack.
	UserOnly, KernelOnly bool
	// IncludeIdle keeps samples of the idle task (pid 0).
	IncludeIdle bool
	// PerThread keys samples by thread as well as process.
	PerThread bool
	// Timed asks for every sample with its time and CPU (for sub-second
	// views) as well: the aggregated Samples still carry every count, and
	// the timed ones (Time set, Count 1) are a log on top of them.
	Timed bool
	// OnNewProcess, when not nil, is called (from a backend goroutine) as
	// soon as a process is first seen or calls exec, so its address space
	// can be snapshotted while it lives.
	OnNewProcess func(pid uint32)
	// OnProcessExit, when not nil, is called (from the goroutine that
	// calls OnNewProcess) when a process announced to OnNewProcess exits.
	// Backends that cannot tell may not call it.
	OnProcessExit func(pid uint32)
	// Unwind, when not nil, holds the unwind tables of the processes the
	// session has seen: user stacks are walked by their call frame
	// information where a mapping has a table, by frame pointers
	// elsewhere. Nil walks frame pointers only.
	Unwind *unwind.Registry
	// MaxStacks sizes the backend's maps (distinct stacks between drains);
	// 0 means a default. Tests set it tiny to force losses.
	MaxStacks int
	// OffCPU, when not nil, records blocked time instead of (with
	// OffCPU.Wall, as well as) sampling Event.
	OffCPU *OffCPU
}

// Sample is one stack a backend saw, or many identical ones aggregated.
type Sample struct {
	PID, TID uint32
	Comm     string
	CPU      int32    // -1 when aggregated over CPUs
	Time     uint64   // CLOCK_MONOTONIC ns of a timed sample; 0 when aggregated
	User     []uint64 // user stack, leaf first; nil when not taken
	Kernel   []uint64 // kernel stack, leaf first; nil when not taken
	Count    uint64   // samples
	Value    uint64   // sum of their periods (ns for cpu-clock)
	// OffCPU marks blocked time (Config.OffCPU): Count is the number of
	// blocks and Value the nanoseconds blocked. A timed one is one block:
	// Time is when the thread ran again, Value how long it was off CPU.
	OffCPU bool
	// Waker is the thread that woke the blocked one, when
	// OffCPU.Wakeups asked for it and the backend saw the wakeup; nil
	// otherwise.
	Waker *Waker
}

// Stats counts what a backend could not deliver since the last drain.
type Stats struct {
	// Lost counts samples that were dropped: ring-buffer overflows, full
	// maps. They are in no Sample.
	Lost uint64
	// LostValue is the sum of the lost samples' periods (nanoseconds for
	// cpu-clock), where the backend knows it.
	LostValue uint64
	// Failures counts per cause (a Failure constant) the samples that were
	// kept but are incomplete (a stack that could not be read, a stack-id
	// collision...), and the causes of Lost.
	Failures map[string]uint64
}

// Sampler is a running backend.
type Sampler interface {
	// Drain hands every sample gathered since the last drain to emit,
	// clears them in the backend without stopping it, and returns the
	// counts of what was lost or failed meanwhile.
	Drain(emit func(Sample)) (Stats, error)
	// Close stops sampling and releases every program, map, file
	// descriptor and goroutine. It is safe to call twice.
	Close() error
}
