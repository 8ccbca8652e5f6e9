//go:build ignore

// SPDX-License-Identifier: MIT OR GPL-2.0-only
//
// flamekit's sampling program: attached to one perf event per CPU, it
// aggregates (process, thread, user stack, kernel stack) counts in the
// kernel, counts every sample it cannot keep, tells user space about the
// processes it samples and, in timed mode, logs every sample to a ring
// buffer. User stacks are walked by frame pointers (bpf_get_stack), or by
// call frame information (see "CFI unwinding" below).
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
#include <bpf/bpf_core_read.h>

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
struct sched_info {
	unsigned long pcount; // times the task got a CPU (CONFIG_SCHED_INFO)
} __attribute__((preserve_access_index));

struct task_struct {
	struct sched_info sched_info;
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

// count_kind flags a count_key.
enum count_kind {
	COUNT_OFFCPU = 1, // blocked time: period is nanoseconds off CPU
	COUNT_WOKEN = 2, // the waker_ fields name the thread that woke it
};

// count_key identifies one aggregated stack.
struct count_key {
	__u32 pid;
	__u32 tid; // 0 unless per_thread
	__u64 user_stack; // key in stacksN, or 0
	__u64 kernel_stack; // key in stacksN, or 0
	__u32 kind; // enum count_kind flags; 0 for an on-CPU sample
	__u32 waker_pid;
	__u32 waker_tid; // 0 unless per_thread
	__u32 pad;
	__u64 waker_user_stack;
	__u64 waker_kernel_stack;
};

// stack is a call stack, leaf first, zero-filled after its last frame.
struct stack {
	__u64 pc[MAX_DEPTH];
};

// count_value is what was gathered for one count_key.
struct count_value {
	__u64 count;
	__u64 period; // sum of the samples' periods (of the blocks' nanoseconds)
	char comm[COMM_LEN];
	char waker_comm[COMM_LEN];
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
	__u32 generation; // the generation current when it was logged
	char comm[COMM_LEN];
	__u32 kind; // enum count_kind flags
	__u32 waker_pid;
	__u32 waker_tid;
	__u32 pad;
	__u64 waker_user_stack;
	__u64 waker_kernel_stack;
	char waker_comm[COMM_LEN];
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
	// The CFI unwinder's (cfi_unwind): a sample counts each cause once.
	FAILURE_UNWIND_UNKNOWN_PROCESS, // no mappings for the process yet: frame pointers
	FAILURE_UNWIND_NO_TABLE, // a frame in code without CFI: its frame pointer
	FAILURE_UNWIND_UNSUPPORTED, // a rule not evaluated here (expression): its frame pointer
	FAILURE_UNWIND_BAD_FRAME, // a CFA not above the stack pointer, a misaligned frame pointer: cut
	FAILURE_UNWIND_READ_FAULT, // the stack could not be read: cut
	FAILURE_UNWIND_DEPTH, // more frames than a stack holds: cut
	FAILURE_BLOCKED_FULL, // a block lost: no room in blocked
	FAILURE_SWITCH_IN_MISSED, // a block ended at its wakeup: its switch in was not seen
	FAILURE_BLOCK_END_LOST, // a block lost: neither its switch in nor its wakeup was seen
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
const volatile __u8 cfi_unwind = 0; // walk user stacks by CFI (see "CFI unwinding")
// Off-CPU recording (see "Off-CPU time" below).
const volatile __u8 offcpu = 0;
const volatile __u32 offcpu_states = 0; // task states counted as blocks
const volatile __u32 offcpu_skip_states = 0; // and those not, among them
const volatile __u8 offcpu_threads = 0; // enum thread_kinds
const volatile __u8 offcpu_wakers = 0; // name each block's waker
const volatile __u64 min_block = 0; // ns; 0: no bound
const volatile __u64 max_block = 0; // ns; 0: no bound

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

// Off-CPU time (offcpu set). tp_btf/sched_switch sees a thread of the
// target leave the CPU blocked (not preempted, in a state asked for, not
// dead) and stores its stacks, the time and its process in `blocked`,
// keyed by tid; when the thread gets a CPU again, the same program takes
// the entry out and adds the time it was off CPU to a count under a key of
// kind COUNT_OFFCPU. tp_btf/sched_waking (which runs in the waker's
// context, unlike sched_wakeup, which a remote wakeup fires on the wakee's
// CPU) stores the time in the wakee's entry, if it has one, and with
// offcpu_wakers the waker's stacks. A thread's last switch (TASK_DEAD) is no block:
// it never runs again.
//
// The kernel does not always run the program at a switch: on a loaded
// machine where other tools attach and detach programs on sched_switch,
// up to one switch in two thousand of the target's went unseen here. An
// unseen switch in leaves the entry of a thread that runs again. The
// thread's sched_info.pcount, which counts the times it got a CPU, tells
// it: the entry keeps the count the thread had when it blocked, and a
// switch in that finds a higher one missed the first. Such an entry, found
// there, when the thread blocks again or when it exits, is counted as a
// block that ended at its wakeup (FAILURE_SWITCH_IN_MISSED: its run-queue
// wait is left out), or lost when no wakeup was seen either
// (FAILURE_BLOCK_END_LOST).
#define TASK_INTERRUPTIBLE 1
#define TASK_UNINTERRUPTIBLE 2
#define TASK_DEAD 0x80
#define THREADS_USER 1
#define THREADS_KERNEL 2
// The frames a kernel stack taken in a tp_btf program starts with that are
// the tracing's own (the program, bpf_trace_runN): the stack starts at the
// traced function (__schedule, try_to_wake_up).
#define TRACING_FRAMES 2

// blocked is a blocked thread of the target, until it runs again.
struct blocked_thread {
	__u64 start; // bpf_ktime_get_ns when it left the CPU
	__u64 user_stack, kernel_stack; // keys in stacksN
	__u32 tgid;
	__u32 cpu; // the CPU it left
	char comm[COMM_LEN];
	__u32 woken; // the waker_ fields are set
	__u32 waker_pid;
	__u32 waker_tid; // 0 unless per_thread
	__u32 pad;
	__u64 waker_user_stack, waker_kernel_stack;
	char waker_comm[COMM_LEN];
	__u64 woken_at; // bpf_ktime_get_ns at its wakeup, or 0
	__u64 runs; // the thread's sched_info.pcount when it blocked
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct blocked_thread);
} blocked SEC(".maps");

// Constant pointers (kept in .rodata) that put these types in the BTF for
// bpf2go to emit as Go types.
struct timed_sample *const unused_timed_sample = 0;
struct process_event *const unused_process_event = 0;
enum failure *const unused_failure = 0;
enum process_kind *const unused_process_kind = 0;
enum count_kind *const unused_count_kind = 0;
struct blocked_thread *const unused_blocked = 0;
struct unwind_process *const unused_unwind_process = 0;
enum cfa_kind *const unused_cfa_kind = 0;
enum save_kind *const unused_save_kind = 0;

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

// store_stack stores a stack of n bytes of frames (zero-filled after
// them) in the generation's stack map and returns its key, or 0 counting
// the failure (fail_base is the stack's FAILURE_*_FULL).
static __always_inline __u64 store_stack(struct stack *st, long n, __u32 gen,
					 __u32 fail_base)
{
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
	return store_stack(st, n, gen, fail_base);
}

// CFI unwinding (cfi_unwind set). User space loads the unwind table of
// each executable file the sampled processes map (internal/cfi's packed
// form: a header word, two words a rule, a word an entry) into an array
// of its own, put in unwind_tables at the table's id; and the executable
// mappings of each process it knows into unwind_processes, keyed by tgid.
// A sample of a known process walks its user stack frame by frame in a
// bpf_loop, from the user registers (the sample's own in user mode; those
// saved at the kernel's entry, bpf_task_pt_regs, in kernel mode): the
// mapping of the pc (bisected), the rule of the pc in the mapping's table
// (bisected, or found in rule_cache), the CFA it gives (rsp or rbp plus an
// offset; the PLT's expression; a signal frame's, read from its context),
// the return address and the caller's rbp read with bpf_probe_read_user.
// The pc of a caller is looked up one byte back (it is a return
// address), but after a signal frame (it is the interrupted instruction).
// A frame in a mapping without a table (Go, JIT code, anonymous memory),
// or at an address no FDE covers, is unwound by its frame pointer; so is
// one whose rule is an expression not evaluated here. The first frame is unwound by its rule
// even when the rest use frame pointers: a frameless leaf (memcpy, a
// system call wrapper) does not hide its caller. A sample of a process
// user space does not know yet is walked by frame pointers
// (bpf_get_stack). Each cause of a frame-pointer step or a cut is counted
// once per sample in failures.
#define MAX_TABLES 4096 // live tables (ids below it)
#define MAX_MAPPINGS 128 // executable mappings of a process; a power of 2
#define MAPPING_STEPS 8 // bisection steps over MAX_MAPPINGS
#define TABLE_STEPS 24 // bisection steps: at most 2^24 entries a table
#define MAX_PROCESSES 8192 // known processes
#define NO_TABLE 0xffffffff

// cfa_kind is internal/cfi's CFAKind; CFA_SIGNAL flags a signal frame.
enum cfa_kind {
	CFA_NONE,
	CFA_RSP,
	CFA_RBP,
	CFA_PLT,
	CFA_EXPRESSION,
	CFA_DEREF_RSP,
	CFA_OTHER_REGISTER,
	CFA_SIGNAL = 0x80,
};

// save_kind is internal/cfi's SaveKind.
enum save_kind {
	SAVE_UNCHANGED,
	SAVE_UNDEFINED,
	SAVE_AT_CFA,
	SAVE_IS_CFA,
	SAVE_IN_REGISTER,
	SAVE_AT_RSP,
	SAVE_EXPRESSION,
	SAVE_VAL_EXPRESSION,
};

// rule is a packed rule: two words of a table.
struct rule {
	__s32 cfa_offset;
	__u8 cfa; // enum cfa_kind
	__u8 cfa_aux; // the register of CFA_OTHER_REGISTER, else the PLT threshold
	__u8 ra, rbp; // enum save_kind
	__s32 ra_offset, rbp_offset;
};

// unwind_mapping is an executable mapping of a process.
struct unwind_mapping {
	__u64 start, end; // addresses in the process
	__u64 bias; // the file's address = the process's - bias
	__u32 table; // index in unwind_tables, or NO_TABLE
	__u32 serial; // the table's load: ids are reused, serials never
};

// unwind_process is the executable mappings of a process, sorted by start.
struct unwind_process {
	__u32 count;
	__u32 pad;
	struct unwind_mapping mappings[MAX_MAPPINGS];
};

struct table_words {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP); // each table sized to fit
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MAX_TABLES);
	__type(key, __u32);
	__array(values, struct table_words);
} unwind_tables SEC(".maps");

// rule_cache remembers, on each CPU, the rules found last (a hot loop's
// stacks are walked again and again): direct-mapped by address and
// table serial, it saves the bisection of a table, a map lookup per step.
#define RULE_CACHE 4096 // entries a CPU; a power of 2
struct cached_rule {
	__u64 addr; // the file's
	__u32 serial; // 0: empty
	__u32 found; // r is the rule of addr; else there is none
	struct rule r;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RULE_CACHE);
	__type(key, __u32);
	__type(value, struct cached_rule);
} rule_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); // memory for the known ones only
	__uint(max_entries, MAX_PROCESSES);
	__type(key, __u32);
	__type(value, struct unwind_process);
} unwind_processes SEC(".maps");

// x86-64 struct pt_regs, as bpf_task_pt_regs returns it.
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
} __attribute__((preserve_access_index));

// walk is the state of a stack walk. It is kept in a map, not on the
// stack, so that the verifier sees the same state at each iteration of
// the walk's loop and checks its body once.
struct walk {
	__u64 pc, sp, bp; // of the frame to unwind
	__u64 regs[16]; // the first frame's registers, by DWARF number
	__u32 n; // frames in the stack
	__u32 exact; // pc is not a return address: the first frame, or after a signal frame
	__u32 fails; // bit i: FAILURE_UNWIND_UNKNOWN_PROCESS + i
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walks SEC(".maps");

// walk_ctx is what each step of a walk is given.
struct walk_ctx {
	struct walk *w;
	struct unwind_process *proc;
	struct stack *st;
};

#define FAILED(cause) (1u << ((cause) - FAILURE_UNWIND_UNKNOWN_PROCESS))

// The searches are global functions: the verifier checks each once, on
// its own, and its caller sees an unknown result, rather than a state per
// path through the bisection (which would be past its limits).

// mapping_index returns the index of the mapping of addr in p, or -1.
__noinline int mapping_index(struct unwind_process *p, __u64 addr)
{
	if (!p)
		return -1;
	__u32 lo = 0, hi = p->count; // the first mapping starting above addr
	if (hi > MAX_MAPPINGS)
		hi = MAX_MAPPINGS;
	for (int i = 0; i < MAPPING_STEPS && lo < hi; i++) {
		__u32 mid = (lo + hi) / 2;
		if (p->mappings[mid & (MAX_MAPPINGS - 1)].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || lo < hi)
		return -1;
	__u32 i = (lo - 1) & (MAX_MAPPINGS - 1);
	return addr < p->mappings[i].end ? (int)i : -1;
}

// table_rule reads the rule of addr (the file's) in table into r, and
// returns whether there is one.
__noinline int table_rule(__u32 table, __u64 addr, struct rule *r)
{
	void *words = bpf_map_lookup_elem(&unwind_tables, &table);
	if (!words || !r || addr >> 48)
		return 0;
	__u32 k = 0;
	__u64 *w = bpf_map_lookup_elem(words, &k);
	if (!w)
		return 0;
	__u32 rows = (__u32)*w, rules = *w >> 32, base = 1 + 2 * rules;
	__u64 key = addr << 16 | 0xffff;
	__u32 lo = 0, hi = rows; // the first entry starting above addr
	for (int i = 0; i < TABLE_STEPS && lo < hi; i++) {
		__u32 mid = lo + (hi - lo) / 2;
		k = base + mid;
		w = bpf_map_lookup_elem(words, &k);
		if (!w)
			return 0;
		if (*w <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || lo < hi)
		return 0;
	k = base + lo - 1;
	w = bpf_map_lookup_elem(words, &k);
	if (!w)
		return 0;
	__u32 id = (__u16)*w;
	if (id >= rules)
		return 0;
	k = 1 + 2 * id;
	w = bpf_map_lookup_elem(words, &k);
	if (!w)
		return 0;
	__builtin_memcpy(r, w, 8);
	k++;
	w = bpf_map_lookup_elem(words, &k);
	if (!w)
		return 0;
	__builtin_memcpy((char *)r + 8, w, 8);
	return 1;
}

// push_frame stores pc as frame n of st, and returns whether there was
// room.
__noinline int push_frame(struct stack *st, __u32 n, __u64 pc)
{
	if (!st || n >= MAX_DEPTH)
		return 0;
	st->pc[n] = pc;
	return 1;
}

// clear_after zeroes the frames of st from n on.
__noinline int clear_after(struct stack *st, __u32 n)
{
	if (!st)
		return 0;
	for (int i = 1; i < MAX_DEPTH; i++)
		if (i >= n)
			st->pc[i] = 0;
	return 0;
}

// cached_rule is table_rule through rule_cache.
static __always_inline int cached_rule(__u32 table, __u32 serial, __u64 addr,
				       struct rule *r)
{
	__u64 h = (addr ^ (__u64)serial << 40) * 0x9e3779b97f4a7c15ULL;
	__u32 slot = (h >> 40) & (RULE_CACHE - 1);
	struct cached_rule *e = bpf_map_lookup_elem(&rule_cache, &slot);
	if (!e)
		return table_rule(table, addr, r);
	if (e->serial == serial && e->addr == addr) {
		__builtin_memcpy(r, &e->r, sizeof(*r));
		return e->found;
	}
	int found = table_rule(table, addr, r);
	e->addr = addr;
	e->serial = serial;
	e->found = found;
	__builtin_memcpy(&e->r, r, sizeof(*r));
	return found;
}

// read_user reads the word at addr of the user stack into v, and returns
// whether it could.
static __always_inline int read_user(__u64 *v, __u64 addr)
{
	return bpf_probe_read_user(v, sizeof(*v), (void *)addr) == 0;
}

// step unwinds w's frame: it appends the caller's pc to the stack and
// moves w to the caller. It returns 1 when the walk is over.
static long step(__u32 i, void *ctx)
{
	struct walk_ctx *c = ctx;
	struct walk *w = c->w;
	__u64 pc = w->pc, sp = w->sp, bp = w->bp;
	__u64 cfa = 0, ra = 0, nbp = bp, lookup = w->exact ? pc : pc - 1;
	int first = w->n == 1;
	struct rule r = {};
	int mi = mapping_index(c->proc, lookup);
	struct unwind_mapping *m =
		mi < 0 ? 0 : &c->proc->mappings[mi & (MAX_MAPPINGS - 1)];
	if (!m || m->table == NO_TABLE ||
	    !cached_rule(m->table, m->serial, lookup - m->bias, &r) ||
	    (r.cfa & ~CFA_SIGNAL) == CFA_NONE) {
		w->fails |= FAILED(FAILURE_UNWIND_NO_TABLE);
		goto frame_pointer;
	}
	switch (r.cfa & ~CFA_SIGNAL) {
	case CFA_RSP:
		cfa = sp + r.cfa_offset;
		break;
	case CFA_RBP:
		cfa = bp + r.cfa_offset;
		break;
	case CFA_PLT:
		cfa = sp + r.cfa_offset + ((pc & 15) >= r.cfa_aux ? 8 : 0);
		break;
	case CFA_DEREF_RSP:
		if (!read_user(&cfa, sp + r.cfa_offset))
			goto fault;
		break;
	case CFA_OTHER_REGISTER:
		if (!first)
			goto unsupported;
		cfa = w->regs[r.cfa_aux & 15] + r.cfa_offset;
		break;
	default:
		goto unsupported;
	}
	if (!(r.cfa & CFA_SIGNAL) && cfa <= sp)
		goto bad;
	switch (r.ra) {
	case SAVE_AT_CFA:
		if (!read_user(&ra, cfa + r.ra_offset))
			goto fault;
		break;
	case SAVE_AT_RSP:
		if (!read_user(&ra, sp + r.ra_offset))
			goto fault;
		break;
	case SAVE_UNDEFINED:
		return 1; // the outermost frame
	case SAVE_IN_REGISTER:
		if (!first)
			goto unsupported;
		ra = w->regs[r.ra_offset & 15];
		break;
	default:
		goto unsupported;
	}
	switch (r.rbp) {
	case SAVE_UNCHANGED:
		break;
	case SAVE_AT_CFA:
		if (!read_user(&nbp, cfa + r.rbp_offset))
			goto fault;
		break;
	case SAVE_AT_RSP:
		if (!read_user(&nbp, sp + r.rbp_offset))
			goto fault;
		break;
	case SAVE_IS_CFA:
		nbp = cfa + r.rbp_offset;
		break;
	case SAVE_IN_REGISTER:
		if (first) {
			nbp = w->regs[r.rbp_offset & 15];
			break;
		}
		// fall through
	default:
		// rbp is lost: the frames above have a rule for it, or end
		// at a bad frame pointer.
		w->fails |= FAILED(FAILURE_UNWIND_UNSUPPORTED);
		nbp = 0;
	}
	w->exact = !!(r.cfa & CFA_SIGNAL);
	goto push;

unsupported:
	w->fails |= FAILED(FAILURE_UNWIND_UNSUPPORTED);
frame_pointer:
	if (bp == 0)
		return 1; // the outermost frame
	// Frame pointers may lead to another stack (Go's cgo calls run C on
	// the thread's stack, the Go frames above them are on the
	// goroutine's): unlike a CFA, bp need not be above sp. A chain that
	// loops ends at the depth limit, as bpf_get_stack's does.
	if (bp & 7)
		goto bad;
	if (!read_user(&ra, bp + 8) || !read_user(&nbp, bp))
		goto fault;
	cfa = bp + 16;
	w->exact = 0;
push:
	if (ra == 0)
		return 1;
	if (!push_frame(c->st, w->n, ra)) {
		w->fails |= FAILED(FAILURE_UNWIND_DEPTH);
		return 1;
	}
	w->n++;
	w->pc = ra;
	w->sp = cfa;
	w->bp = nbp;
	return 0;
fault:
	w->fails |= FAILED(FAILURE_UNWIND_READ_FAULT);
	return 1;
bad:
	w->fails |= FAILED(FAILURE_UNWIND_BAD_FRAME);
	return 1;
}

// REGS copies the registers of a struct pt_regs, or of the sample's
// context, into w by DWARF number.
#define REGS(w, r)                                                             \
	do {                                                                   \
		(w).regs[0] = (r)->ax;                                         \
		(w).regs[1] = (r)->dx;                                         \
		(w).regs[2] = (r)->cx;                                         \
		(w).regs[3] = (r)->bx;                                         \
		(w).regs[4] = (r)->si;                                         \
		(w).regs[5] = (r)->di;                                         \
		(w).regs[6] = (r)->bp;                                         \
		(w).regs[7] = (r)->sp;                                         \
		(w).regs[8] = (r)->r8;                                         \
		(w).regs[9] = (r)->r9;                                         \
		(w).regs[10] = (r)->r10;                                       \
		(w).regs[11] = (r)->r11;                                       \
		(w).regs[12] = (r)->r12;                                       \
		(w).regs[13] = (r)->r13;                                       \
		(w).regs[14] = (r)->r14;                                       \
		(w).regs[15] = (r)->r15;                                       \
		(w).pc = (r)->ip;                                              \
		(w).sp = (r)->sp;                                              \
		(w).bp = (r)->bp;                                              \
	} while (0)

// user_stack_key walks the current user stack by CFI when its process is
// known, by frame pointers when not, stores it and returns its key, or 0.
// The walk starts from the registers of ctx, a perf event's, when
// from_ctx (a sample in user mode), else from those saved at the task's
// entry to the kernel.
static __always_inline __u64 user_stack_key(void *ctx, int from_ctx, __u32 gen,
					    __u32 tgid,
					    struct task_struct *task)
{
	struct unwind_process *proc =
		bpf_map_lookup_elem(&unwind_processes, &tgid);
	if (!proc) {
		fail(FAILURE_UNWIND_UNKNOWN_PROCESS, 1);
		return stack_key(ctx, gen, BPF_F_USER_STACK,
				 FAILURE_USER_STACK_FULL);
	}
	__u32 zero = 0;
	struct stack *st = bpf_map_lookup_elem(&scratch, &zero);
	struct walk *w = bpf_map_lookup_elem(&walks, &zero);
	if (!st || !w)
		return 0;
	if (from_ctx) {
		struct perf_ctx *regs = ctx;
		REGS(*w, regs);
	} else {
		struct pt_regs *regs =
			(struct pt_regs *)bpf_task_pt_regs((void *)task);
		if (!regs)
			return 0;
		REGS(*w, regs);
	}
	if (w->pc == 0) {
		fail(FAILURE_USER_STACK_FAULT, 1);
		return 0;
	}
	w->n = 1;
	w->exact = 1;
	w->fails = 0;
	st->pc[0] = w->pc;
	struct walk_ctx c = { .w = w, .proc = proc, .st = st };
	bpf_loop(MAX_DEPTH, step, &c, 0);
	__u32 fails = w->fails, n = w->n;
	for (int i = 0; i < FAILURE_MAX - FAILURE_UNWIND_UNKNOWN_PROCESS; i++)
		if (fails & (1u << i))
			fail(FAILURE_UNWIND_UNKNOWN_PROCESS + i, 1);
	clear_after(st, n);
	return store_stack(st, n * 8, gen, FAILURE_USER_STACK_FULL);
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

// add counts one sample of key in counts, or counts it lost. Its command
// names are those of b, a block, or else task's.
static __always_inline void add(void *counts, struct count_key *key,
				__u64 period, struct task_struct *task,
				struct blocked_thread *b)
{
	struct count_value *v = bpf_map_lookup_elem(counts, key);
	if (!v) {
		struct count_value nv = { .count = 1, .period = period };
		if (b) {
			__builtin_memcpy(nv.comm, b->comm, COMM_LEN);
			__builtin_memcpy(nv.waker_comm, b->waker_comm,
					 COMM_LEN);
		} else {
			get_comm(nv.comm, task);
		}
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

// current_generation returns the generation to write to, or -1.
static __always_inline int current_generation(void)
{
	__u32 zero = 0;
	__u32 *g = bpf_map_lookup_elem(&generation, &zero);
	return g ? (int)(*g & 1) : -1;
}

// note_process announces the current task's process tgid at its first
// sample (or block), and at its first after an exec; not while it exits
// (its address space is gone, and the exit was announced). (Two CPUs
// sampling it at once after an exec may both announce it: user space takes
// a second snapshot.)
static __always_inline void note_process(__u32 tgid, struct task_struct *task)
{
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
}

SEC("perf_event")
int on_sample(struct perf_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!wanted(tgid))
		return 0;
	int g = current_generation();
	if (g < 0)
		return 0;
	__u32 gen = g;

	struct task_struct *task = bpf_get_current_task_btf();
	note_process(tgid, task);

	struct count_key key = {
		.pid = tgid,
		.tid = per_thread ? tid : 0,
	};
	if (user_stacks && !(task->flags & PF_KTHREAD))
		key.user_stack =
			cfi_unwind ? user_stack_key(ctx, ctx->cs & 3, gen, tgid,
						    task)
				   : stack_key(ctx, gen, BPF_F_USER_STACK,
					       FAILURE_USER_STACK_FULL);
	if (kernel_stacks && !(ctx->cs & 3))
		key.kernel_stack =
			stack_key(ctx, gen, 0, FAILURE_KERNEL_STACK_FULL);

	__u64 period = ctx->sample_period;
	add(gen ? (void *)&counts1 : (void *)&counts0, &key, period, task, 0);

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

// count_block counts (and logs, when timed) the block b of thread tid,
// which gets the CPU after delta ns off it.
static __always_inline void count_block(struct task_struct *next, __u32 tid,
					struct blocked_thread *b, __u64 delta,
					__u64 now)
{
	if ((min_block && delta < min_block) || (max_block && delta > max_block))
		return;
	int g = current_generation();
	if (g < 0)
		return;
	__u32 gen = g;
	struct count_key key = {
		.pid = b->tgid,
		.tid = per_thread ? tid : 0,
		.user_stack = b->user_stack,
		.kernel_stack = b->kernel_stack,
		.kind = COUNT_OFFCPU,
	};
	if (b->woken) {
		key.kind |= COUNT_WOKEN;
		key.waker_pid = b->waker_pid;
		key.waker_tid = b->waker_tid;
		key.waker_user_stack = b->waker_user_stack;
		key.waker_kernel_stack = b->waker_kernel_stack;
	}
	add(gen ? (void *)&counts1 : (void *)&counts0, &key, delta, next, b);

	if (!timed)
		return;
	struct timed_sample *t =
		bpf_ringbuf_reserve(&timed_samples, sizeof(*t), 0);
	if (!t) {
		fail(FAILURE_TIMED_RING_FULL, 1);
		return;
	}
	t->time = now;
	t->period = delta;
	t->cpu = bpf_get_smp_processor_id();
	t->pid = b->tgid;
	t->tid = tid;
	t->user_stack = b->user_stack;
	t->kernel_stack = b->kernel_stack;
	t->generation = gen;
	__builtin_memcpy(t->comm, b->comm, COMM_LEN);
	t->kind = key.kind;
	t->waker_pid = key.waker_pid;
	t->waker_tid = key.waker_tid;
	t->pad = 0;
	t->waker_user_stack = key.waker_user_stack;
	t->waker_kernel_stack = key.waker_kernel_stack;
	__builtin_memcpy(t->waker_comm, b->waker_comm, COMM_LEN);
	__u64 queued = bpf_ringbuf_query(&timed_samples, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(t, queued > timed_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
							  : BPF_RB_NO_WAKEUP);
}

// end_at_wakeup counts the block b of thread tid (of task), whose switch
// in was not seen, as ended at its wakeup, or counts it lost without one.
static __always_inline void end_at_wakeup(struct task_struct *task, __u32 tid,
					  struct blocked_thread *b)
{
	if (b->woken_at < b->start) { // no wakeup seen (0)
		fail(FAILURE_BLOCK_END_LOST, 1);
		return;
	}
	fail(FAILURE_SWITCH_IN_MISSED, 1);
	count_block(task, tid, b, b->woken_at - b->start, b->woken_at);
}

// block stores the stacks of the current task, prev, which leaves the CPU
// in state, in blocked.
static __always_inline void block(void *ctx, struct task_struct *prev,
				  unsigned int state, __u64 now)
{
	if (!(state & offcpu_states) || (state & offcpu_skip_states))
		return;
	int kthread = !!(prev->flags & PF_KTHREAD);
	if ((offcpu_threads == THREADS_USER && kthread) ||
	    (offcpu_threads == THREADS_KERNEL && !kthread))
		return;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!wanted(tgid))
		return;
	int g = current_generation();
	if (g < 0)
		return;
	__u32 gen = g;
	note_process(tgid, prev);
	struct blocked_thread b = {
		.start = now,
		.tgid = tgid,
		.cpu = bpf_get_smp_processor_id(),
	};
	if (user_stacks && !kthread)
		b.user_stack = cfi_unwind ?
				       user_stack_key(ctx, 0, gen, tgid, prev) :
				       stack_key(ctx, gen, BPF_F_USER_STACK,
						 FAILURE_USER_STACK_FULL);
	if (kernel_stacks)
		b.kernel_stack = stack_key(ctx, gen, TRACING_FRAMES,
					   FAILURE_KERNEL_STACK_FULL);
	if (bpf_core_field_exists(prev->sched_info))
		b.runs = BPF_CORE_READ(prev, sched_info.pcount);
	get_comm(b.comm, prev);
	struct blocked_thread *missed = bpf_map_lookup_elem(&blocked, &tid);
	if (missed) // prev runs: its last block's switch in went unseen
		end_at_wakeup(prev, tid, missed);
	if (bpf_map_update_elem(&blocked, &tid, &b, BPF_ANY))
		fail(FAILURE_BLOCKED_FULL, 1);
}

// run_again ends the block of next, which gets the CPU, if it has one. The
// entry is read in place (only this thread's switches and wakeups touch
// it, and it runs), then deleted. A thread that got a CPU since it
// blocked (its switch in went unseen) has run: its block ended at its
// wakeup.
static __always_inline void run_again(struct task_struct *next, __u64 now)
{
	__u32 tid = next->pid;
	if (tid == 0)
		return; // the idle task never blocks
	struct blocked_thread *b = bpf_map_lookup_elem(&blocked, &tid);
	if (!b)
		return;
	if (bpf_core_field_exists(next->sched_info) &&
	    BPF_CORE_READ(next, sched_info.pcount) != b->runs)
		end_at_wakeup(next, tid, b);
	else
		count_block(next, tid, b, now - b->start, now);
	bpf_map_delete_elem(&blocked, &tid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, _Bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();
	// A preempted task is runnable, whatever its state says.
	if (!preempt && prev_state)
		block(ctx, prev, prev_state, now);
	run_again(next, now);
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(on_waking, struct task_struct *p)
{
	// The waker is current. try_to_wake_up fires this once per wakeup,
	// under p's pi_lock, before p can run.
	__u32 tid = p->pid;
	struct blocked_thread *b = bpf_map_lookup_elem(&blocked, &tid);
	if (!b)
		return 0;
	b->woken_at = bpf_ktime_get_ns(); // where the block ends if its switch in goes unseen
	if (!offcpu_wakers)
		return 0;
	int g = current_generation();
	if (g < 0)
		return 0;
	__u32 gen = g;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct task_struct *task = bpf_get_current_task_btf();
	b->waker_pid = tgid;
	b->waker_tid = per_thread ? (__u32)id : 0;
	b->waker_user_stack = 0;
	if (user_stacks && !(task->flags & PF_KTHREAD) && tgid != 0) {
		// Its process is announced, as a blocked one's, for its
		// mappings: user space names the waker's frames too.
		note_process(tgid, task);
		b->waker_user_stack =
			cfi_unwind ? user_stack_key(ctx, 0, gen, tgid, task) :
				     stack_key(ctx, gen, BPF_F_USER_STACK,
					       FAILURE_USER_STACK_FULL);
	}
	b->waker_kernel_stack =
		kernel_stacks ?
			stack_key(ctx, gen, TRACING_FRAMES,
				  FAILURE_KERNEL_STACK_FULL) :
			0;
	get_comm(b->waker_comm, task);
	b->woken = 1;
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
	// Its mappings are gone: frame pointers until user space sets the
	// new ones.
	if (cfi_unwind)
		bpf_map_delete_elem(&unwind_processes, &tgid);
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
	if (offcpu) {
		// Not blocked (it runs), unless its switch in went unseen.
		__u32 tid = p->pid;
		struct blocked_thread *missed =
			bpf_map_lookup_elem(&blocked, &tid);
		if (missed) {
			end_at_wakeup(p, tid, missed);
			bpf_map_delete_elem(&blocked, &tid);
		}
	}
	if (p->pid != p->tgid)
		return 0;
	__u32 tgid = p->tgid;
	if (notify && bpf_map_delete_elem(&seen, &tgid) == 0)
		announce(tgid, PROCESS_EXIT);
	if (cfi_unwind)
		bpf_map_delete_elem(&unwind_processes, &tgid);
	__u8 *v = filter_pids ? bpf_map_lookup_elem(&pids, &tgid) : 0;
	if (v && *v == PID_CHILD)
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}
