// Package bpfsampler is the eBPF sampling backend. It attaches
// internal/bpf's on_sample program to one perf event per CPU. The program
// aggregates samples in the kernel, counts keyed by (tgid, tid when
// PerThread, user stack, kernel stack), stacks in a hash map keyed by a
// hash of their frames (see profile.bpf.c), and counts in a per-CPU map
// every sample or stack it could not keep. Filters (PIDs, cgroup, idle)
// apply in the kernel. As with the perf backend's inherited events, the
// PID filter takes in the processes the targets start after the start
// (tp_btf/sched_process_fork), up to a few thousand at a time.
//
// Draining without stopping: the counts and stack maps exist twice, and an
// array map names the generation the program writes to. [Sampler.Drain]
// flips it, waits a grace period (5 ms) for programs still writing to the
// old generation (a program runs for microseconds in interrupt context),
// then reads and deletes the old counts and stacks (BatchLookupAndDelete,
// or iterate and delete on kernels without it). A count whose stack is
// gone by then is still emitted, without that stack, and counted as
// sampler.FailureUserStackMissing or sampler.FailureKernelStackMissing;
// that happens only if a program outlasts the grace period, and then its
// sample lands in the old generation after the drain and is emitted by the
// drain after next.
//
// Processes: the program sends a process's tgid through a ring buffer on
// its first sample (an LRU "seen" map remembers it; sched_process_exit
// forgets it, and sends its exit) and again on its first sample after an
// exec (tp_btf/sched_process_exec marks it in "seen"); processes never
// sampled cost a map lookup at exec. A goroutine reads the ring every 10 ms
// without waiting in epoll (the events wake no one) and hands each batch
// to a sampler.Announcer, which calls Config.OnNewProcess for those that
// still run a batch later; [Sampler.Close] waits for it to return.
//
// Timed mode: the program also writes every sample to a second ring buffer
// (waking the reader only when it is a quarter full; the reader also polls
// every 100 ms); Drain flushes it and emits each sample of the drained
// generation with its time and CPU, after the aggregated samples.
//
// CFI unwinding (Config.Unwind set): at Start the sampler becomes the
// registry's unwind.Loader. Each table the registry loads is packed
// (cfi.Table.Pack: 8 bytes an entry, 16 a rule) into a BPF array of its
// own, sized to fit, in an array of maps at the table's id (4096 slots);
// each process the registry sets gets an entry of its executable mappings
// (128 at most, those with a table first; 4 KiB) in a hash map by tgid
// (8192 processes, allocated as they come). The program walks the user
// stack of a known process by those tables in a bounded loop (bpf_loop,
// 127 frames), by frame pointers in mappings without a table, and the
// first frame by its rule in any case; a process not known yet is walked
// by frame pointers (bpf_get_stack). A per-CPU cache of 4096 rules, by
// address and table load, spares hot code's frames the bisection of a
// table. The program forgets a process's mappings at its exec and exit.
// The causes of frame-pointer steps and cut stacks are counted in
// Stats.Failures (the FailureUnwind constants); [Sampler.UnwindMemory]
// reports the memory of the tables and processes loaded. Close detaches
// the sampler from the registry.
//
// Off-CPU recording (Config.OffCPU set): instead of the perf events (as
// well as them, with OffCPU.Wall), the program on_switch is attached to
// tp_btf/sched_switch. When a thread of the target leaves the CPU blocked
// (not preempted: the tracepoint's preempt flag is clear and its state is
// not TASK_RUNNING; in a state OffCPU.State takes; of the kind
// OffCPU.Threads takes), it stores the thread's user stack (by CFI from
// the registers saved at its entry to the kernel, bpf_task_pt_regs, so
// that libc's frameless system call wrappers do not hide the function that
// blocked; by frame pointers for a process the registry does not know)
// and kernel stack (from __schedule, without the tracing's own frames) in
// the current generation's stack map, and {time, stack keys, tgid, CPU,
// command} in the map "blocked", keyed by tid. When the thread gets a CPU
// again, the same program takes the entry out and, within MinBlock and
// MaxBlock, adds one block and its nanoseconds to the counts under a key
// marked off-CPU (and logs it, in Timed mode: the time it ran again and
// the time it was off CPU). on_waking on tp_btf/sched_waking (which runs
// in the waker's context, as sched_wakeup does not for a wakeup queued to
// the wakee's CPU) stores the time of the wakeup in the wakee's entry, if
// it has one, and with OffCPU.Wakeups the waker's tgid, stacks and
// command: the block's key and sample carry them (Sample.Waker). A wakeup from an
// interrupt (a timer's expiry, an I/O completion) names the task it
// interrupted, as offwaketime does. Blocks that began before Start are not
// seen (their thread has no entry when it runs again).
//
// A block's stacks are stored in the generation current when it began,
// its count in the one current when it ended, drains later: Drain keeps
// the stacks it drained for one more drain, and those the entries of
// "blocked" name for as long as they name them and one drain more (it
// reads the map at each drain), so that a block that spans drains keeps
// its stacks. [Sampler.DrainOpen] (sampler.OpenBlocks) detaches the
// programs, drains, then reports each block still open as if its thread
// ran at that moment. A thread's last switch (TASK_DEAD, after its exit)
// is no block: it never runs again, and its entry would wait for a thread
// reusing its tid.
//
// The kernel does not run the programs at every switch: on a loaded
// machine where other tools attach programs to sched_switch and detach
// them, up to one switch in two thousand of the target's went unseen, and
// on another machine, alone, one in 30,000, with no recursion misses. An
// entry whose switch in went unseen stays while its thread runs; the
// thread's sched_info.pcount (the times it got a CPU), kept in the entry,
// tells a later switch in that it ran since. That entry, or one found when
// its thread blocks again or exits, is counted as a block that ended at
// its wakeup (sampler.FailureSwitchInMissed: not lost, its run-queue wait
// left out), or lost when no wakeup was seen either. Losses are counted: a
// block
// that finds the map of blocked threads full
// (sampler.FailureBlockedFull; the map has as many entries as the stack
// maps) or the counts full (sampler.FailureCountsFull, its time in
// Stats.LostValue), and the runs of on_switch the kernel skipped
// (sampler.FailureSwitchMissed, from the program's recursion_misses, with
// the blocks whose end went unseen), all in Stats.Lost. Processes are announced at their first block as at their
// first sample.
//
// Starting needs root, or CAP_BPF and CAP_PERFMON; without them [Start]
// fails with errs.ErrPermission, and on kernels without BTF or BPF ring
// buffers (before 5.11) with errs.ErrNotSupported.
package bpfsampler
