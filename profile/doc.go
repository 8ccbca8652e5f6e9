// Package profile is flamekit's sampling core: CPU (and other event)
// profiles of the whole system, chosen processes, a cgroup, a command or
// the calling process, from perf_event stacks gathered by an eBPF program
// that aggregates them in the kernel or, where BPF is not allowed, read
// from perf ring buffers, and named by package symbolize.
//
// # Lifecycle
//
// [Start] begins sampling what [Options] say and returns a [Session]:
//
//   - [Session.Collect] returns a [Profile] of what was sampled since Start
//     or the previous Collect, and goes on sampling: a continuous profiler
//     calls it every N seconds;
//   - [Session.Stop] ends sampling and returns the last Profile;
//   - [Session.Close] releases everything: programs, maps, file
//     descriptors, snapshots of processes, goroutines. It is safe to call
//     twice, at any time, and while a Collect runs.
//
// [Session.Done] is closed when a profiled command exits or the context
// given to Start ends: the caller then calls Stop. [Session.Stats] counts
// the samples taken and lost so far without collecting.
//
//	s, err := profile.Start(ctx, profile.Options{PIDs: []int{pid}})
//	if err != nil {
//		return err // errors.Is(err, profile.ErrPermission) ...
//	}
//	defer s.Close()
//	for range ticker.C {
//		p, err := s.Collect()
//		...
//	}
//
// The session drains its backend every second into an aggregate of
// distinct stacks, so that the backend's maps and rings never fill,
// however rarely Collect is called, and memory grows with the number of
// distinct stacks, not with time. A collection takes that aggregate, then
// names its addresses without holding the session: the backend is drained
// meanwhile, however long the first lookups take (a large DWARF, a
// debuginfod download). The addresses of a process are named from a
// snapshot of its address space taken soon after it was first sampled (and
// again after an exec, keeping the code of before the exec for the samples
// taken then), so a process that exited before the collection is named
// too, JIT code included (perf maps, jitdumps). Only sampled
// processes that still run 10 to 20 ms after their first sample are
// snapshotted: on a machine starting a thousand processes a second, those
// that live for a millisecond have exited before any snapshot could be
// read, and their samples keep unnamed user frames (their kernel frames
// are named). Snapshots of processes of one executable share its open
// files and symbol tables. Share an [Options.Symbolizer] between sessions
// to share its cache of symbol tables.
//
// # Backends
//
// [BackendBPF] attaches an eBPF program to a perf event on each CPU; the
// program walks the stacks and counts them in kernel maps, so that only
// distinct stacks cross to user space. Filters (processes, cgroup, idle)
// apply in the kernel. It needs root, or CAP_BPF and CAP_PERFMON, and
// Linux 5.17 or later with BTF (its unwinder loops with bpf_loop).
//
// [BackendPerf] opens perf events that write every sample, with its call
// chain, into ring buffers, one per CPU, which a goroutine reads and
// aggregates. It needs less: with kernel.perf_event_paranoid at 2 (the
// default of most distributions) a process may profile its own user stacks
// and its children's ([Options.Self], [Options.Command]) without
// privilege. Kernel stacks need paranoid 1 or less, or CAP_PERFMON (when
// they are refused, it samples user stacks only); whole CPUs (the whole
// system, a cgroup) and other users' processes need paranoid 0 or less, or
// CAP_PERFMON.
//
// [BackendAuto], the default, tries BPF, then perf if BPF was refused
// ([ErrPermission]) or is not supported ([ErrNotSupported]).
// [Session.Backend] and [Profile.Backend] say which ran. When every backend
// fails, the error says why each did.
//
// # Targets
//
// The zero Options profile the whole system's CPU time at 99 Hz, with user
// and kernel stacks, the idle task left out. At most one target narrows
// it:
//
//   - [Options.PIDs]: processes with all their threads, and the processes
//     they start later;
//   - [Options.Self]: the calling process;
//   - [Options.Cgroup]: the processes of a cgroup v2 and of its
//     descendants;
//   - [Options.Command]: a command that Start starts and follows, with its
//     children, from its first instruction until it exits (with BPF in a
//     cgroup made for it, with perf stopped at its exec until the events
//     are open).
//
// [Options.Event] samples another event than cpu-clock: any event package
// pmc names, as perf's -e does ([ParseEvent]); hardware events need a PMU,
// which virtual machines often lack (Start then fails with ErrNotSupported
// naming the event), and events of PMUs without an overflow interrupt (msr)
// can be counted with pmc but not sampled.
//
// # Profiles
//
// A [Profile] holds:
//
//   - [Profile.Samples]: the distinct stacks ([Sample]) of each process (of
//     each thread with [Options.PerThread]), user and kernel, leaf first,
//     with their count and the sum of their periods (in [Event.Unit]:
//     nanoseconds of CPU for the clocks). Each address is a [Location] whose
//     frames (from [symbolize.Frame]) name it, inlined functions and
//     file:line too with [Options.Inlines];
//   - [Profile.Timed], with [Options.Timed]: every sample with its time and
//     CPU, for sub-second views;
//   - [Profile.Lost]: samples that were dropped (a full ring buffer or
//     map), in no Sample, and [Profile.LostValue], the sum of their periods;
//   - [Profile.Failures]: per cause, the samples kept with an incomplete
//     stack and the causes of Lost. Its keys are the Failure constants:
//     stacks a backend could not take ([FailureUserStackFull] ...), user
//     stacks cut ([FailureUserStackUnmapped], [FailureUserStackNoMappings],
//     [FailureUserStackLoop]), samples lost by cause ([FailureCountsFull],
//     [FailureRingFull] ...), and events of the backends and of naming
//     ([FailureLateThread], [FailureKernelSymbolsUnavailable] ...).
//
// [Merge] joins the profiles of successive collections.
//
// # Off-CPU, wakeup and wall-clock profiles
//
// [Options.Mode] [ModeOffCPU] records where threads block instead of where
// they run: each time a thread of the target leaves the CPU other than by
// preemption (it reads a pipe, sleeps, waits for a lock or the disk), its
// user and kernel stacks are taken; when it runs again, the time it was
// off the CPU (its wait on a run queue after its wakeup included, as bcc's
// offcputime counts it) is added to them. The profile's Event is off-cpu
// in microseconds: [Sample.Count] counts blocks, [Sample.Value]
// microseconds blocked, [Sample.OffCPU] is set. [Options.Block] filters
// blocks by length ([BlockFilter] Min, Max), task state ([BlockState]:
// interruptible sleeps, uninterruptible waits such as disk I/O, or both)
// and kind of thread ([Threads]). [Options.Wakeups] adds the stacks of the
// thread that woke each blocked one ([Sample.Waker]), as bcc's
// offwaketime does. [ModeWall] records on-CPU samples of cpu-clock and
// off-CPU time together, both in microseconds, so that a thread's samples
// add up to its wall-clock time, less the time it waited runnable for a
// CPU after a preemption, which is in neither. At Stop the blocks still
// open (a thread blocked for the whole recording) are counted as if their
// threads ran then.
//
// The eBPF backend records them with tp_btf programs on sched_switch and
// sched_wakeup, aggregated in the kernel. The perf backend records a
// process's own threads (PIDs, a command, Self) from context-switch
// events, without BPF; it needs kernel.perf_event_paranoid ≤ 1 or
// CAP_PERFMON (the kernel hides context switches from unprivileged events
// otherwise), and cannot record Wakeups (the waker is often another
// process, whose events it does not open), task states other than
// BlockAny, kernel threads, the whole system or a cgroup: Start says so
// with ErrNotSupported (BackendAuto tries it when BPF is refused). Options
// that contradict each other (Wakeups without ModeOffCPU, Block.Min above
// Block.Max, an Event with ModeOffCPU, an event other than a clock with
// ModeWall) are errors wrapping [ErrOptions].
//
// Folded weighs off-CPU and wall stacks by microseconds. A wall profile's
// blocked stacks end with an [OffCPUFrame] frame ("[off-cpu]"). A blocked
// stack with its waker is folded as offwaketime -f folds it: the blocked
// stack, a "--" frame, then the waker's kernel and user frames leaf first
// and its name, each marked _[w]. Pprof names the values blocks/count and
// off-cpu/microseconds (samples/count and wall/microseconds for wall
// profiles, each sample labelled state on-cpu or off-cpu), and a waker
// with the labels waker_comm, waker_pid and waker_tid. WritePerfScript
// writes each block as `perf record --off-cpu` does: an offcpu-time
// sample whose period is the nanoseconds blocked. [FlameGraphDefaults]
// gives their flame graphs' titles, count name (us) and palettes (io;
// chain with wakers, the waker's frames aqua).
//
// # Conversions
//
// [Profile.Folded] returns folded stacks for package flamegraph, as
// stackcollapse-perf.pl --all writes them (the process name as the root
// frame, kernel frames marked _[k], JIT frames _[j], inlined ones _[i]),
// weighted by samples or, with [FoldOptions.Values], by the sum of their
// periods in the event's unit, which the folded profile's Unit names (a
// flame graph then counts nanoseconds). [Profile.WriteFlameGraph] renders
// them as an SVG. [Profile.Pprof] and [Profile.WritePprof] give pprof's
// model: values samples/count and cpu/nanoseconds for the clocks (as Go's
// CPU profiles name them) or EVENT/count for other events, one mapping per
// module with its build-id, inlined lines, and the labels pid, tid and
// comm. [Profile.WritePerfScript] writes the timed samples as `perf script`
// text, in time order, each with its comm, PID/TID, CPU, time on
// CLOCK_MONOTONIC ([Profile.StartMonotonic] plus its Time) and period, for
// stackcollapse-perf.pl, FlameScope and package flamegraph/collapse.
//
// # Unwinding
//
// User stacks are walked by call frame information (.eh_frame, and
// .debug_frame where a file has no .eh_frame) where it exists, and by
// frame pointers elsewhere ([UnwindAuto], the default): code built
// without frame pointers (Debian's libc, libstdc++, python3, most -O2 C
// and C++) has whole stacks, and a frameless leaf (libc's memcpy, its
// read and write wrappers) no longer hides its caller, as a frame-pointer
// walk does. The session reads the unwind table of every file the
// processes it snapshots map, once per file whatever the number of
// processes mapping it, and keeps them for the backend. The eBPF backend
// loads them into BPF maps and walks each stack in the kernel; the perf
// backend asks the kernel for the user registers and a 16 KiB copy of the
// user stack with each sample and walks it in user space, holding the
// samples of a process whose tables are not ready yet (up to 500 ms).
// Frame pointers walk Go code (the Go linker's .debug_frame does not
// describe its stack switches; frame pointers do), JIT code and anything
// else without a table, and the walk switches between the two frame by
// frame: C into Go, Java through libjvm, cgo's system stack.
// [Profile.Failures] counts, once per sample, the samples walked partly by
// frame pointers and those cut, by cause (the FailureUnwind constants):
// the eBPF backend walks the first milliseconds of a new process (before
// its snapshot) by frame pointers only ([FailureUnwindUnknownProcess]).
// [UnwindFramePointers] walks by frame pointers only, as perf -g does.
//
// # Stack cuts
//
// Frame pointers are walked in the kernel (bpf_get_stack, or the perf
// backend's call chain), and by the CFI unwinders where a frame has no
// rule. Code built without frame pointers uses rbp as a general register,
// and a walk that reaches it reads whatever rbp points to as a frame: return
// addresses that are data, or a chain of pointers followed as frames until
// the depth limit (127). A flame graph would show them as towers of
// "[unknown]" frames, the tallest tower setting the graph's height. So each
// user stack is cut, as it is drained, where the walk went astray:
//
//   - at the first return address in no executable mapping of the
//     process's snapshot (a file, the vDSO, anonymous memory where JIT
//     compilers put code, or JIT code named by a perf map or jitdump); when
//     the process still runs, its snapshot is updated first, so code it
//     mapped since (dlopen, a JIT's new code) does not cut
//     ([FailureUserStackUnmapped]);
//   - after the leaf when there is no snapshot: the process exited before
//     its mappings could be read (a shell's short-lived fork), so none of
//     its addresses can be named or told from garbage
//     ([FailureUserStackNoMappings]);
//   - where the stack ends in a block of at most 16 addresses repeated to
//     its end, over 32 addresses or more, as a walk caught in a cycle of
//     frame pointers gives: the first copy of the block stays
//     ([FailureUserStackLoop]). A recursion deeper than the depth limit
//     gives the same stack and is cut the same way; its outer frames were
//     lost anyway. Recursion that the walk leaves (through main, _start...)
//     is kept whole, repeats and all.
//
// The leaf, the sampled instruction pointer, always stays: it comes from
// the registers, not from the walk, so it is where the thread was even
// when no mapping of the snapshot holds it (code mapped after the snapshot
// of a process that has exited since); dropping it would take the
// sample's last frame away.
//
// # Errors
//
// Errors carry the package's "profile: " prefix once. Those of a kind that
// callers branch on are found by errors.Is: [ErrPermission] (with what
// would allow it: a capability, a lower kernel.perf_event_paranoid),
// [ErrNotSupported] (also errors.ErrUnsupported), [ErrNoProcess],
// [ErrOptions] and [ErrStopped]. ErrPermission and ErrNotSupported are the same values as
// the other flamekit packages return.
package profile
