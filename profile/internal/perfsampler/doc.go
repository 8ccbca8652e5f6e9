// Package perfsampler is the perf ring-buffer sampling backend: it samples
// without BPF. Perf events write every sample (with its call chain) into
// mmap ring buffers, one per CPU, and a reader goroutine aggregates them
// in user space. It is the backend for processes without CAP_BPF and
// CAP_PERFMON: with kernel.perf_event_paranoid at 2 a process may profile
// its own user stacks (and those of its user's processes).
//
// Targets: system-wide, one event per CPU for every task. For PIDs, one
// event per thread and CPU, with inherit, so that threads and processes
// they create later are covered too (the kernel refuses to mmap an
// inherited event of a thread on any CPU, cpu -1; so there is one per
// CPU, each sending its records to that CPU's ring). A pid-only event
// would cover just the main thread, which misses nearly all of a Go
// program's work; threads that appear without a FORK record from a
// covered thread (created while events were being opened) are found by
// rescanning /proc/PID/task and counted as sampler.FailureLateThread.
//
// Unless Config.UserOnly, kernel stacks are asked for first; if that is
// refused for lack of privilege (and Config.KernelOnly is not set), the
// backend samples user space only.
//
// Processes: the reader reads the rings every 10 ms without waiting in
// poll(2), and hands the processes it sampled for the first time (or for
// the first time since their exec: COMM records tell) and those that
// exited to a sampler.Announcer, which announces those that still run a
// batch later. Processes never sampled, and most of those that live for a
// millisecond, cost nothing more than their records.
//
// Unwinding: with Config.Unwind, samples also carry the user registers and
// a copy of the user stack (perfevent.UserStackSize, 16 KiB, from the stack
// pointer up), which the reader walks (unwind.Walk) through the tables of
// the sample's process in the registry before aggregating, keeping nothing
// of the copy. The session adds a process to the registry a batch after
// its first sample, once it has read its mappings and built their tables:
// until then (and after an exec, until the registry has the new mappings)
// its samples wait with their copies, 500 ms and 8 MiB of copies at most,
// and not past a drain; those the registry does not have in time (the
// short-lived) keep the kernel's frame-pointer call chain. That chain also
// completes walks that a frame pointer leads out of the copy, to another
// stack (cgo's C code runs on the system stack, its Go callers on the
// goroutine's). What the walks could not do is counted by cause
// (FailureUnwind...). Records grow from a few hundred bytes to 16.5
// KiB, so the rings grow from 128 KiB to 1 MiB per CPU, or to an
// unprivileged process's share of kernel.perf_event_mlock_kb (512 KiB by
// default; halved again while the kernel refuses): at 999 Hz they hold 62
// (31) ms of samples, the reader empties them every 10 ms, and what
// overflows is counted as sampler.FailureRingFull. Walking costs the
// reader about half a microsecond per sample (BenchmarkPerfRecordUnwind).
//
// In Timed mode every sample is handed over on its own (Count 1, with its
// TID, CPU and Time) as well as in the aggregated counts.
//
// Off-CPU (Config.OffCPU): on every thread of the target processes and
// every CPU, with inherit, the software event context-switches samples each
// switch out (period 1) with the thread's call chain (and, with
// Config.Unwind, its registers and stack copy, walked as above: libc's
// frameless system-call wrappers do not hide their caller), and writes a
// SWITCH record at each switch out and in, with its time and whether the
// thread left still runnable (PERF_RECORD_MISC_SWITCH_OUT_PREEMPT, Linux
// 4.17). A thread's records come from the rings of the CPUs it ran on, so
// the reader puts them in time order, leaving those of the last 2 ms
// (recordSlack) to the next read, then makes blocks: a switch out that was
// not a preemption opens one, with the sample before it as its stacks; the
// thread's next switch in ends it (its wait on a run queue after its
// wakeup included, as bcc's offcputime counts it). Preemptions and
// yields are not blocks. A block becomes a Sample with OffCPU set, Value
// its nanoseconds, Time (timed) its end; MinBlock and MaxBlock leave
// blocks out. A thread that exits blocked (killed) runs once more to exit,
// and that switch in ends its block; an EXIT record of a thread still
// blocked ends it too. A FORK record forgets whatever was known of its
// thread id, so a reused tid inherits no block. DrainOpen ends the blocks
// still open as if their threads ran at that moment, and forgets them. A
// loss (a LOST record, timed with sample_id_all) may have taken any
// thread's switches: the blocks open across it are left out and counted as
// sampler.FailureSwitchUnpaired, as are switch ins and outs without their
// other half; a block whose sample was lost is counted as
// sampler.FailureSwitchNoStack. With OffCPU.Wall the backend opens the
// cpu-clock event (Config.Event) on each thread and CPU as well, into the
// same rings; their samples are told apart by the events' ids.
//
// What off-CPU recording in this backend cannot do: the context switches
// happen in the kernel, so kernel.perf_event_paranoid 2 (the default),
// which makes unprivileged events exclude the kernel, hides every one of
// them, even a process's own (such an event counts nothing): it needs
// kernel.perf_event_paranoid ≤ 1 or CAP_PERFMON, and Start says so with
// errs.ErrPermission. It follows processes (PIDs: a command, self), not
// the whole system or a cgroup; it cannot tell an interruptible sleep from
// an uninterruptible one (OffCPU.State other than BlockAny); it cannot see
// who woke a thread (OffCPU.Wakeups: the waker is often another process,
// whose events it does not open); kernel threads are never its targets
// (OffCPU.Threads ThreadsKernel). All of those are refused with
// errs.ErrNotSupported: the eBPF backend records them. The rings grow to
// unwindPages' size (a ping-pong of two threads over pipes writes 30 MB of
// records a second); with Config.Unwind every switch out copies 16 KiB of
// stack, so a thread switching tens of thousands of times a second
// overflows them, counted as sampler.FailureRingFull (and in Stats.Lost:
// records, samples and switch records alike, not blocks; the blocks they
// cut are counted as above).
//
// Errors of perf_event_open carry internal/perfevent's advice (which
// capability, or which kernel.perf_event_paranoid, would allow it) and its
// errs.ErrPermission or errs.ErrNotSupported, which [Start] returns as
// they are.
package perfsampler
