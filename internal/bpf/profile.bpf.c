//go:build ignore

// SPDX-License-Identifier: MIT OR GPL-2.0-only
//
// flamekit's sampling program: attached to one perf event per CPU, it
// aggregates (process, thread, user stack, kernel stack) counts in the
// kernel, counts every sample it cannot keep, tells user space about the
// processes it samples and, in timed mode, logs every sample to a ring
// buffer.
//
// Only sampled processes are announced: a process is announced at its
// first sample, and again at its first sample after an exec (its address
// space is new); its exit is announced if it was. Processes that never run
// while a sample is taken (most of the short-lived ones a busy machine
// starts) cost user space nothing.
//
// Maps come in two generations (counts0/stacks0, counts1/stacks1); the
// program writes to the one named by `generation`, so user space can flip
// it, let running programs finish, and drain the other without stopping.
//
// Stacks are kept in a hash map keyed by a 64-bit hash of their frames,
// not in a BPF_MAP_TYPE_STACK_TRACE map: that one has a single slot per
// bucket, so distinct stacks that share a bucket are lost (-EEXIST), about
// 2% of samples on a busy machine with a map of 16384; a hash map loses
// none until it is full. (Two distinct stacks with the same hash would
// share an entry: with n stacks per drain, odds of n*n/2^65.)

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_DEPTH 127
#define COMM_LEN 16
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000
#define MAX_CGROUP_DEPTH 32
#define EFAULT 14
#define EEXIST 17
#define E2BIG 7

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// The few kernel types the programs read, relocated by CO-RE against the
// running kernel's BTF.
struct task_struct {
	unsigned int flags;
	int pid;
	int tgid;
	struct task_struct *group_leader;
	char comm[COMM_LEN];
} __attribute__((preserve_access_index));

// x86-64 struct pt_regs, the start of a perf_event program's context
// (struct bpf_perf_event_data), followed by the sample period.
struct perf_ctx {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
	__u64 sample_period;
	__u64 addr;
};

// count_key identifies one aggregated stack.
struct count_key {
	__u32 pid;
	__u32 tid; // 0 unless per_thread
	__u64 user_stack; // key in stacksN, or 0
	__u64 kernel_stack; // key in stacksN, or 0
};

// stack is a call stack, leaf first, zero-filled after its last frame.
struct stack {
	__u64 pc[MAX_DEPTH];
};

// count_value is what was gathered for one count_key.
struct count_value {
	__u64 count;
	__u64 period; // sum of the samples' periods
	char comm[COMM_LEN];
};

// timed_sample is one sample of the timed log.
struct timed_sample {
	__u64 time; // bpf_ktime_get_ns: CLOCK_MONOTONIC
	__u64 period;
	__u64 user_stack;
	__u64 kernel_stack;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 generation; // which stacksN the stack keys refer to
	char comm[COMM_LEN];
};

// process_kind says what a process_event announces.
enum process_kind {
	PROCESS_FIRST_SAMPLE, // a sample of a process not announced before
	PROCESS_EXEC, // the first sample of an announced process since its exec: the address space is new
	PROCESS_EXIT, // an announced process exited
};

// process_event tells user space about a process it may not know, or
// that one it knows has exited.
struct process_event {
	__u32 pid;
	__u32 kind; // enum process_kind
};

// failure indexes the per-CPU failures map.
enum failure {
	FAILURE_USER_STACK_FULL, // no room for a new stack in stacksN
	FAILURE_KERNEL_STACK_FULL,
	FAILURE_USER_STACK_FAULT, // -EFAULT or no frame: the stack could not be walked
	FAILURE_KERNEL_STACK_FAULT,
	FAILURE_USER_STACK_OTHER, // any other error (-EBUSY, ...)
	FAILURE_KERNEL_STACK_OTHER,
	FAILURE_COUNTS_FULL, // sample lost: no room in countsN
	FAILURE_COUNTS_ERROR, // sample lost: countsN refused it otherwise (-EBUSY)
	FAILURE_LOST_PERIOD, // the sum of the periods of the lost samples
	FAILURE_TIMED_RING_FULL, // sample counted but missing from the timed log
	FAILURE_PROCESS_RING_FULL, // a process event could not be sent
	FAILURE_PIDS_FULL, // a child of a target process could not be followed
	FAILURE_MAX,
};

// Settings, fixed at load time.
const volatile __u8 filter_pids = 0; // only tgids in `pids` and their children
const volatile __u64 filter_cgroup = 0; // only this cgroup v2 and below
const volatile __u8 user_stacks = 1;
const volatile __u8 kernel_stacks = 1;
const volatile __u8 include_idle = 0;
const volatile __u8 per_thread = 0;
const volatile __u8 timed = 0;
const volatile __u8 notify = 0; // send process events
const volatile __u64 timed_wakeup_bytes = 0; // wake the reader past this

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} generation SEC(".maps");

#define STACK_MAP(name)                                                        \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                               \
		__uint(max_entries, 16384);                                    \
		__type(key, __u64);                                            \
		__type(value, struct stack);                                   \
	} name SEC(".maps")

#define COUNT_MAP(name)                                                        \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                               \
		__uint(max_entries, 16384);                                    \
		__type(key, struct count_key);                                 \
		__type(value, struct count_value);                             \
	} name SEC(".maps")

STACK_MAP(stacks0);
STACK_MAP(stacks1);
COUNT_MAP(counts0);
COUNT_MAP(counts1);

// scratch holds the stack being taken on each CPU.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FAILURE_MAX);
	__type(key, __u32);
	__type(value, __u64);
} failures SEC(".maps");

// pids holds the target processes (value PID_TARGET) and the processes
// they started since (PID_CHILD, forgotten when they exit).
#define PID_TARGET 1
#define PID_CHILD 2
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

// seen remembers the processes announced (SEEN_ANNOUNCED), and those of
// them that called exec since (SEEN_EXECED); an evicted one is announced
// again.
#define SEEN_ANNOUNCED 1
#define SEEN_EXECED 2
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} process_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} timed_samples SEC(".maps");

// Constant pointers (kept in .rodata) that put these types in the BTF for
// bpf2go to emit as Go types.
struct timed_sample *const unused_timed_sample = 0;
struct process_event *const unused_process_event = 0;
enum failure *const unused_failure = 0;
enum process_kind *const unused_process_kind = 0;

static __always_inline void fail(__u32 cause, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&failures, &cause);
	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline int in_cgroup(void)
{
	if (bpf_get_current_cgroup_id() == filter_cgroup)
		return 1;
	for (int level = 0; level < MAX_CGROUP_DEPTH; level++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);
		if (id == filter_cgroup)
			return 1;
		if (id == 0)
			return 0;
	}
	return 0;
}

// wanted applies the filters to the current task of process tgid.
static __always_inline int wanted(__u32 tgid)
{
	if (tgid == 0)
		return include_idle && !filter_pids && !filter_cgroup;
	if (filter_pids && !bpf_map_lookup_elem(&pids, &tgid))
		return 0;
	if (filter_cgroup && !in_cgroup())
		return 0;
	return 1;
}

// announce sends a process event for tgid; on failure it forgets the
// process so a later sample tries again.
static __always_inline void announce(__u32 tgid, __u32 kind)
{
	struct process_event *e =
		bpf_ringbuf_reserve(&process_events, sizeof(*e), 0);
	if (!e) {
		fail(FAILURE_PROCESS_RING_FULL, 1);
		bpf_map_delete_elem(&seen, &tgid);
		return;
	}
	e->pid = tgid;
	e->kind = kind;
	// User space reads the events in batches, every few milliseconds,
	// without waiting: no wakeup.
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

// stack_key stores the current stack (user or kernel, by flags) in the
// generation's stack map and returns its key, or 0 counting the failure
// (fail_base is the stack's FAILURE_*_FULL).
static __always_inline __u64 stack_key(void *ctx, __u32 gen, __u64 flags,
				       __u32 fail_base)
{
	__u32 zero = 0;
	struct stack *st = bpf_map_lookup_elem(&scratch, &zero);
	if (!st)
		return 0;
	long n = bpf_get_stack(ctx, st->pc, sizeof(st->pc), flags);
	if (n <= 0) {
		fail(n == 0 || n == -EFAULT ? fail_base + 2 : fail_base + 4, 1);
		return 0;
	}
	// A 64-bit multiplicative hash of the frames, never 0.
	__u64 h = n;
	for (int i = 0; i < MAX_DEPTH && i < n / 8; i++) {
		h = (h ^ st->pc[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	h |= !h;
	void *stacks = gen ? (void *)&stacks1 : (void *)&stacks0;
	if (bpf_map_lookup_elem(stacks, &h))
		return h;
	long err = bpf_map_update_elem(stacks, &h, st, BPF_NOEXIST);
	if (err == 0 || err == -EEXIST)
		return h;
	fail(err == -E2BIG ? fail_base : fail_base + 4, 1);
	return 0;
}

// get_comm reads the command name of the current thread when per_thread,
// else of its process (its thread-group leader).
static __always_inline void get_comm(char *comm, struct task_struct *task)
{
	if (per_thread)
		bpf_get_current_comm(comm, COMM_LEN);
	else
		bpf_probe_read_kernel_str(comm, COMM_LEN,
					  task->group_leader->comm);
}

// add counts one sample of key in counts, or counts it lost.
static __always_inline void add(void *counts, struct count_key *key,
				__u64 period, struct task_struct *task)
{
	struct count_value *v = bpf_map_lookup_elem(counts, key);
	if (!v) {
		struct count_value nv = { .count = 1, .period = period };
		get_comm(nv.comm, task);
		long err = bpf_map_update_elem(counts, key, &nv, BPF_NOEXIST);
		if (err == 0)
			return;
		if (err == -EEXIST) // another CPU inserted it meanwhile
			v = bpf_map_lookup_elem(counts, key);
		if (!v) {
			fail(err == -E2BIG ? FAILURE_COUNTS_FULL
					   : FAILURE_COUNTS_ERROR,
			     1);
			fail(FAILURE_LOST_PERIOD, period);
			return;
		}
	}
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->period, period);
}

SEC("perf_event")
int on_sample(struct perf_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!wanted(tgid))
		return 0;

	__u32 zero = 0;
	__u32 *g = bpf_map_lookup_elem(&generation, &zero);
	if (!g)
		return 0;
	__u32 gen = *g & 1;

	struct task_struct *task = bpf_get_current_task_btf();
	// A process is announced at its first sample, and at its first
	// sample after an exec; not while it exits (its address space is
	// gone, and the exit was announced). (Two CPUs sampling it at once
	// after an exec may both announce it: user space takes a second
	// snapshot.)
	if (notify && tgid != 0 && !(task->flags & PF_EXITING)) {
		__u32 *s = bpf_map_lookup_elem(&seen, &tgid);
		if (!s) {
			__u32 v = SEEN_ANNOUNCED;
			if (bpf_map_update_elem(&seen, &tgid, &v, BPF_NOEXIST) == 0)
				announce(tgid, PROCESS_FIRST_SAMPLE);
		} else if (*s == SEEN_EXECED) {
			*s = SEEN_ANNOUNCED;
			announce(tgid, PROCESS_EXEC);
		}
	}

	struct count_key key = {
		.pid = tgid,
		.tid = per_thread ? tid : 0,
	};
	if (user_stacks && !(task->flags & PF_KTHREAD))
		key.user_stack = stack_key(ctx, gen, BPF_F_USER_STACK,
					   FAILURE_USER_STACK_FULL);
	if (kernel_stacks && !(ctx->cs & 3))
		key.kernel_stack =
			stack_key(ctx, gen, 0, FAILURE_KERNEL_STACK_FULL);

	__u64 period = ctx->sample_period;
	add(gen ? (void *)&counts1 : (void *)&counts0, &key, period, task);

	if (!timed)
		return 0;
	struct timed_sample *t =
		bpf_ringbuf_reserve(&timed_samples, sizeof(*t), 0);
	if (!t) {
		fail(FAILURE_TIMED_RING_FULL, 1);
		return 0;
	}
	t->time = bpf_ktime_get_ns();
	t->period = period;
	t->cpu = bpf_get_smp_processor_id();
	t->pid = tgid;
	t->tid = tid;
	t->user_stack = key.user_stack;
	t->kernel_stack = key.kernel_stack;
	t->generation = gen;
	get_comm(t->comm, task);
	__u64 queued = bpf_ringbuf_query(&timed_samples, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(t, queued > timed_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
							  : BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	// An announced process has a new address space: announce it again at
	// its next sample. One never sampled costs a lookup.
	__u32 tgid = p->tgid;
	__u32 *s = bpf_map_lookup_elem(&seen, &tgid);
	if (s)
		*s = SEEN_EXECED;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	// Follow the processes (not threads) a target process starts.
	if (!filter_pids || child->pid != child->tgid)
		return 0;
	__u32 ptgid = parent->tgid, tgid = child->tgid;
	if (!bpf_map_lookup_elem(&pids, &ptgid))
		return 0;
	__u8 v = PID_CHILD;
	long err = bpf_map_update_elem(&pids, &tgid, &v, BPF_NOEXIST);
	if (err && err != -EEXIST)
		fail(FAILURE_PIDS_FULL, 1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	// Forget an exiting process, so a new one reusing its pid is
	// announced, and not sampled for being a child of a target; tell user
	// space, which may let go of what it holds for it.
	if (p->pid != p->tgid)
		return 0;
	__u32 tgid = p->tgid;
	if (notify && bpf_map_delete_elem(&seen, &tgid) == 0)
		announce(tgid, PROCESS_EXIT);
	__u8 *v = filter_pids ? bpf_map_lookup_elem(&pids, &tgid) : 0;
	if (v && *v == PID_CHILD)
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}
