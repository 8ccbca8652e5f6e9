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
// Starting needs root, or CAP_BPF and CAP_PERFMON; without them [Start]
// fails with errs.ErrPermission, and on kernels without BTF or BPF ring
// buffers (before 5.11) with errs.ErrNotSupported.
package bpfsampler
