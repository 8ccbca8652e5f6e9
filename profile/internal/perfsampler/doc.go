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
// Errors of perf_event_open carry internal/perfevent's advice (which
// capability, or which kernel.perf_event_paranoid, would allow it) and its
// errs.ErrPermission or errs.ErrNotSupported, which [Start] returns as
// they are.
package perfsampler
