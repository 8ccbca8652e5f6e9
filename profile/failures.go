package profile

import "github.com/flamekit/flamekit/profile/internal/sampler"

// Keys of [Profile.Failures]: stacks a backend could not take. Each Failure
// constant is a key of Profile.Failures, and counts samples kept with an
// incomplete stack unless its doc says otherwise.
const (
	// FailureUserStackFull ("user-stack-full") counts samples kept without
	// their user stack because the BPF backend's stack map was full: more
	// distinct stacks than it holds between two drains.
	FailureUserStackFull = sampler.FailureUserStackFull
	// FailureKernelStackFull ("kernel-stack-full") is the same for kernel
	// stacks.
	FailureKernelStackFull = sampler.FailureKernelStackFull
	// FailureUserStackFault ("user-stack-fault") counts samples kept
	// without their user stack because the BPF backend's walk of it
	// faulted or found no frame.
	FailureUserStackFault = sampler.FailureUserStackFault
	// FailureKernelStackFault ("kernel-stack-fault") is the same for kernel
	// stacks.
	FailureKernelStackFault = sampler.FailureKernelStackFault
	// FailureUserStackError ("user-stack-error") counts samples kept
	// without their user stack for another error of the BPF backend's
	// walk or stack map (such as a busy map).
	FailureUserStackError = sampler.FailureUserStackError
	// FailureKernelStackError ("kernel-stack-error") is the same for kernel
	// stacks.
	FailureKernelStackError = sampler.FailureKernelStackError
	// FailureUserStackMissing ("user-stack-missing") counts samples kept
	// without their user stack because the BPF backend's count of them
	// outlived the stack it names (a program that ran past the drain's
	// grace period).
	FailureUserStackMissing = sampler.FailureUserStackMissing
	// FailureKernelStackMissing ("kernel-stack-missing") is the same for
	// kernel stacks.
	FailureKernelStackMissing = sampler.FailureKernelStackMissing
)

// Keys of [Profile.Failures]: user stacks cut where the frame-pointer walk
// went astray (see the package documentation, "Stack cuts").
const (
	// FailureUserStackUnmapped ("user-stack-unmapped") counts samples whose
	// user stack was cut at a return address in no executable mapping of
	// the process.
	FailureUserStackUnmapped = "user-stack-unmapped"
	// FailureUserStackNoMappings ("user-stack-no-mappings") counts samples
	// whose user stack was cut to its leaf because the process exited
	// before its mappings could be read.
	FailureUserStackNoMappings = "user-stack-no-mappings"
	// FailureUserStackLoop ("user-stack-loop") counts samples whose user
	// stack ended in a block of up to 16 addresses repeated over 32
	// addresses or more (a cycle of frame pointers, or a recursion deeper
	// than the depth limit), cut after the block's first copy.
	FailureUserStackLoop = "user-stack-loop"
)

// Keys of [Profile.Failures]: how user stacks were walked where call frame
// information could not be used (Options.Unwind auto or cfi), once per
// sample. The first five count samples whose stack is still whole, walked
// by frame pointers for some frames or all; the others count samples whose
// user stack was cut.
const (
	// FailureUnwindUnknownProcess ("unwind-unknown-process") counts
	// samples of a process whose tables were not loaded yet (its first
	// milliseconds; short-lived processes): walked by frame pointers.
	FailureUnwindUnknownProcess = sampler.FailureUnwindUnknownProcess
	// FailureUnwindNoRegisters ("unwind-no-registers") counts samples
	// with no 64-bit user registers (a 32-bit task; perf backend): walked
	// by frame pointers.
	FailureUnwindNoRegisters = sampler.FailureUnwindNoRegisters
	// FailureUnwindStackSwitch ("unwind-stack-switch") counts samples
	// whose walk a frame pointer led to another stack (cgo's system
	// stack), completed by the kernel's frame-pointer chain (perf
	// backend).
	FailureUnwindStackSwitch = sampler.FailureUnwindStackSwitch
	// FailureUnwindNoTable ("unwind-no-table") counts samples with a frame
	// in code without call frame information (Go code, JIT code, a file
	// over the table budget), walked by its frame pointer.
	FailureUnwindNoTable = sampler.FailureUnwindNoTable
	// FailureUnwindUnsupported ("unwind-unsupported-rule") counts samples
	// with a frame whose rule is a DWARF expression other than the PLT's
	// and the signal trampoline's, walked by its frame pointer.
	FailureUnwindUnsupported = sampler.FailureUnwindUnsupported
	// FailureUnwindBadAddress ("unwind-bad-address") counts user stacks
	// cut at a return address no user mapping can hold (perf backend).
	FailureUnwindBadAddress = sampler.FailureUnwindBadAddress
	// FailureUnwindTruncated ("unwind-truncated") counts user stacks cut
	// where they went on beyond the 16 KiB the perf backend copies.
	FailureUnwindTruncated = sampler.FailureUnwindTruncated
	// FailureUnwindBadFrame ("unwind-bad-frame") counts user stacks cut at
	// a frame whose CFA or frame pointer was not above its stack pointer.
	FailureUnwindBadFrame = sampler.FailureUnwindBadFrame
	// FailureUnwindReadFault ("unwind-read-fault") counts user stacks cut
	// where the eBPF backend could not read the stack (a page not in
	// memory).
	FailureUnwindReadFault = sampler.FailureUnwindReadFault
	// FailureUnwindDepthLimit ("unwind-depth-limit") counts user stacks
	// of more than 127 frames: the outermost are missing.
	FailureUnwindDepthLimit = sampler.FailureUnwindDepthLimit
)

// Keys of [Profile.Failures]: samples lost, by cause. They are in no
// Sample; their sum is [Profile.Lost].
const (
	// FailureCountsFull ("counts-full") counts samples the BPF backend
	// lost because its map of counts was full: more distinct stacks than
	// it holds between two drains.
	FailureCountsFull = sampler.FailureCountsFull
	// FailureCountsError ("counts-error") counts samples the BPF backend
	// lost because its map of counts refused them otherwise.
	FailureCountsError = sampler.FailureCountsError
	// FailureRingFull ("ring-full") counts samples the perf backend lost
	// because a ring buffer was full when the kernel wrote them.
	FailureRingFull = sampler.FailureRingFull
	// FailureBlockedFull ("blocked-full") counts blocks of an off-CPU or
	// wall profile the BPF backend lost because its map of blocked
	// threads was full when a thread blocked.
	FailureBlockedFull = sampler.FailureBlockedFull
	// FailureSwitchMissed ("switch-missed") counts context switches whose
	// off-CPU program the kernel skipped (another BPF program ran on the
	// CPU), and blocks whose end the BPF backend did not see (neither the
	// switch in nor the wakeup): each lost a block.
	FailureSwitchMissed = sampler.FailureSwitchMissed
	// FailureSwitchInMissed ("switch-in-missed") counts blocks of an
	// off-CPU or wall profile whose switch in the kernel did not run the
	// BPF backend's program for (it happens on a loaded machine where
	// other tools attach programs to sched_switch). They are not lost:
	// each is counted as ended at its thread's wakeup, without the
	// run-queue wait that follows.
	FailureSwitchInMissed = sampler.FailureSwitchInMissed
)

// Keys of [Profile.Failures]: blocks the perf backend left out of an
// off-CPU or wall profile ([ModeOffCPU], [ModeWall]), once per block. They
// follow a ring overflow ([FailureRingFull]), which loses a thread's
// context-switch records.
const (
	// FailureSwitchUnpaired ("switch-unpaired") counts blocks left out
	// because the switch out that began them, or the switch in that
	// ended them, was lost: their length is unknown.
	FailureSwitchUnpaired = sampler.FailureSwitchUnpaired
	// FailureSwitchNoStack ("switch-no-stack") counts blocks left out
	// because the context-switch sample that holds their stacks was lost.
	FailureSwitchNoStack = sampler.FailureSwitchNoStack
)

// Keys of [Profile.Failures]: timed samples lost. They are counted in
// [Profile.Samples] but missing from [Profile.Timed].
const (
	// FailureTimedRingFull ("timed-ring-full") counts timed samples the BPF
	// backend lost because their ring buffer was full.
	FailureTimedRingFull = sampler.FailureTimedRingFull
	// FailureTimedBacklogFull ("timed-backlog-full") counts timed samples
	// the BPF backend dropped beyond the million it keeps between two
	// drains.
	FailureTimedBacklogFull = sampler.FailureTimedBacklogFull
)

// Keys of [Profile.Failures]: events of the backends and of naming.
const (
	// FailureProcessRingFull ("process-ring-full") counts the times the BPF
	// backend could not announce a new process for its address space to be
	// read; it tries again at the process's next sample.
	FailureProcessRingFull = sampler.FailureProcessRingFull
	// FailureChildNotFollowed ("child-not-followed") counts processes that
	// a process of Options.PIDs started and the BPF backend could not
	// follow, when more than 8192 of them lived at once. Their samples are
	// not in the profile.
	FailureChildNotFollowed = sampler.FailureChildNotFollowed
	// FailureThrottled ("throttled") counts the times the kernel throttled
	// the perf backend's events: sampling took more time than the kernel
	// allows (kernel.perf_cpu_time_max_percent), or came faster than
	// kernel.perf_event_max_sample_rate.
	FailureThrottled = sampler.FailureThrottled
	// FailureLateThread ("late-thread") counts threads of a process of
	// Options.PIDs that the perf backend attached late, when it found
	// them in /proc rather than through inheritance: some of their first
	// samples are missing.
	FailureLateThread = sampler.FailureLateThread
	// FailureBadRecord ("bad-record") counts perf ring-buffer records that
	// could not be decoded.
	FailureBadRecord = sampler.FailureBadRecord
	// FailureKernelSymbolsUnavailable ("kernel-symbols-unavailable") counts
	// kernel addresses left unnamed because /proc/kallsyms could not be
	// read or hides its addresses (kernel.kptr_restrict).
	FailureKernelSymbolsUnavailable = "kernel-symbols-unavailable"
)
