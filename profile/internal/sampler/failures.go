package sampler

// The causes a backend counts in Stats.Failures. Package profile
// re-exports them (profile.FailureUserStackFull is FailureUserStackFull):
// see there for what each means to a caller.
const (
	// Stacks the eBPF program could not keep: the generation's stack map
	// was full, the walk faulted or found no frame, or another error.
	FailureUserStackFull    = "user-stack-full"
	FailureKernelStackFull  = "kernel-stack-full"
	FailureUserStackFault   = "user-stack-fault"
	FailureKernelStackFault = "kernel-stack-fault"
	FailureUserStackError   = "user-stack-error"
	FailureKernelStackError = "kernel-stack-error"
	// Stacks a count of the eBPF backend names that were no longer in the
	// stack map when it was drained.
	FailureUserStackMissing   = "user-stack-missing"
	FailureKernelStackMissing = "kernel-stack-missing"
	// Samples the eBPF program lost (in Stats.Lost): the counts map was
	// full, or refused the sample otherwise.
	FailureCountsFull  = "counts-full"
	FailureCountsError = "counts-error"
	// Timed samples the eBPF backend lost (counted, but not in the timed
	// log): its ring buffer was full, or its reader's backlog between
	// drains.
	FailureTimedRingFull    = "timed-ring-full"
	FailureTimedBacklogFull = "timed-backlog-full"
	// Process announcements the eBPF program could not send (retried at
	// the process's next sample).
	FailureProcessRingFull = "process-ring-full"
	// Processes started by a target of Config.PIDs that the eBPF backend
	// could not add to its filter.
	FailureChildNotFollowed = "child-not-followed"
	// Samples the perf backend lost (in Stats.Lost): the ring buffer was
	// full.
	FailureRingFull = "ring-full"
	// Times the kernel throttled the perf backend's events (too high a
	// rate).
	FailureThrottled = "throttled"
	// Threads of a PIDs target the perf backend attached by rescanning
	// /proc, not through inheritance.
	FailureLateThread = "late-thread"
	// Perf ring-buffer records that could not be decoded.
	FailureBadRecord = "bad-record"
	// Blocks the eBPF backend lost (in Stats.Lost): its map of blocked
	// threads (as many entries as Config.MaxStacks) was full when a
	// thread blocked.
	FailureBlockedFull = "blocked-full"
	// Context switches whose off-CPU program the kernel skipped (another
	// BPF program was running on the CPU), and blocks of the eBPF backend
	// whose end went unseen (neither the switch in nor the wakeup), in
	// Stats.Lost: each lost a block.
	FailureSwitchMissed = "switch-missed"
	// Blocks of the eBPF backend whose switch in the kernel did not run
	// its program for (seen when the thread ran since: it blocks again,
	// exits, or gets a CPU once more), counted as ended at their wakeup:
	// their run-queue wait is left out. Not lost.
	FailureSwitchInMissed = "switch-in-missed"
)

// The causes the perf backend counts when recording off-CPU time
// (Config.OffCPU), each once per block it applies to. They follow a ring
// overflow (FailureRingFull), which loses a thread's switch records.
const (
	// A thread's switch in or out whose other half was lost: the block
	// it ended or began is left out, its length unknown (no duration is
	// made up from the switches around it).
	FailureSwitchUnpaired = "switch-unpaired"
	// A block whose context-switch sample (its stacks) was lost: its time
	// is left out.
	FailureSwitchNoStack = "switch-no-stack"
)

// The causes the CFI unwinding of user stacks counts (with Config.Unwind),
// each once per sample it applies to. The first five count samples whose
// user stack was still walked to its end, by frame pointers for some
// frames or all; the others count samples whose user stack was cut.
const (
	// A process whose mappings the unwinder did not have yet (its first
	// milliseconds, before the session's snapshot of it; short-lived
	// processes): its user stack was walked by frame pointers.
	FailureUnwindUnknownProcess = "unwind-unknown-process"
	// A sample with a user stack but no 64-bit user registers (a 32-bit
	// task): walked by frame pointers (perf backend).
	FailureUnwindNoRegisters = "unwind-no-registers"
	// A walk a frame pointer led out of the stack copy, to another stack
	// (cgo's switch to the system stack), completed by the kernel's
	// frame-pointer call chain from that frame pointer on (perf backend).
	FailureUnwindStackSwitch = "unwind-stack-switch"
	// A frame in code without call frame information (a mapping without
	// a table: Go code, a file over the table budget; an address no FDE
	// covers; JIT or other code in no file mapping), unwound by its frame
	// pointer.
	FailureUnwindNoTable = "unwind-no-table"
	// A frame whose rule the unwinder does not evaluate (a DWARF
	// expression other than the PLT's and the signal trampoline's; a CFA
	// in a register other than rsp and rbp past the first frame), unwound
	// by its frame pointer.
	FailureUnwindUnsupported = "unwind-unsupported-rule"
	// A user stack cut at a return address no user mapping can hold (a
	// frame gone astray; perf backend).
	FailureUnwindBadAddress = "unwind-bad-address"
	// A user stack cut where it went on beyond the copy the kernel took
	// (perf backend: perfevent.UserStackSize bytes from the stack pointer).
	FailureUnwindTruncated = "unwind-truncated"
	// A user stack cut at a frame whose CFA or frame pointer was not
	// above its stack pointer.
	FailureUnwindBadFrame = "unwind-bad-frame"
	// A user stack cut where it could not be read (eBPF backend: a bad
	// address, or a page not in memory, which BPF programs cannot fault
	// in).
	FailureUnwindReadFault = "unwind-read-fault"
	// A user stack with more frames than a stack holds (127): the
	// outermost are missing.
	FailureUnwindDepthLimit = "unwind-depth-limit"
)
