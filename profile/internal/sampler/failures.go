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
)
