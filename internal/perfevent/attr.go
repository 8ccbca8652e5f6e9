package perfevent

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// SampleType is the set of sample fields every sampling event of this
// package records, and the layout ParseRecord decodes: IP, TID, TIME, CPU
// and CALLCHAIN, plus PERIOD when sampling at a frequency
// (SampleOptions.Frequency), REGS_USER and STACK_USER when
// SampleOptions.UserRegs and UserStack are set, CGROUP when
// SampleOptions.Cgroup is, and IDENTIFIER when SampleOptions.Identifier
// is.
//
// Sampling by period, samples carry no PERIOD field: the kernel samples a
// software event (page-faults, context-switches...) whose samples record
// their period, without a frequency, on every event, whatever the period
// (perf_swevent_event); ParseRecord gives such samples the attribute's
// period instead, as perf record -c does.
const SampleType = unix.PERF_SAMPLE_IP | unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME |
	unix.PERF_SAMPLE_CPU | unix.PERF_SAMPLE_CALLCHAIN

// sampleCgroup is PERF_SAMPLE_CGROUP (Linux 5.7), missing from x/sys.
const sampleCgroup = 1 << 21

// SampleOptions describes a sampling event: the event, and how to sample
// it.
type SampleOptions struct {
	// Event is the event's part of the attribute, as pmc.Event.Attr makes
	// it: Attr takes its type, config words and eventBits (exclusions,
	// precise_ip, pinned), and sets every sampling field itself (for
	// cpu-clock: Type unix.PERF_TYPE_SOFTWARE, Config
	// unix.PERF_COUNT_SW_CPU_CLOCK).
	Event unix.PerfEventAttr
	// Frequency in Hz; when zero, a sample is taken every Period events
	// (Period 0 means 1).
	Frequency, Period uint64
	// Inherit extends the event to threads and processes the target
	// creates after the event is opened.
	Inherit bool
	// ExcludeKernel and ExcludeUser stop counting in kernel or user mode,
	// besides the Event's own exclusions; unprivileged processes need
	// ExcludeKernel when kernel.perf_event_paranoid is 2.
	ExcludeKernel, ExcludeUser bool
	// NoKernelStack and NoUserStack leave that half out of call chains
	// (the kernel half is left out of events that exclude kernel mode).
	NoKernelStack, NoUserStack bool
	// Task asks for COMM, FORK and EXIT records.
	Task bool
	// Cgroup adds the cgroup v2 id to each sample (Linux 5.7).
	Cgroup bool
	// UserRegs adds the user-mode registers of UserRegsMask to each
	// sample (those of the thread's entry into the kernel when it was
	// sampled there).
	UserRegs bool
	// UserStack adds a copy of that many bytes of the user stack, from
	// the user stack pointer up, to each sample (UserStackSize is this
	// package's choice); the kernel refuses sizes that are not a multiple
	// of 8, or not below 65535. With UserRegs, what a user-space unwinder
	// needs.
	UserStack uint32
	// Identifier adds the id of the event to each sample and switch record
	// (PERF_SAMPLE_IDENTIFIER, Record.ID), to tell the events sharing a
	// ring apart.
	Identifier bool
	// SwitchRecords asks for a SWITCH record each time the thread leaves
	// the CPU or comes back (context_switch), with its time, thread and
	// CPU (sample_id_all, which LOST records get as well).
	SwitchRecords bool
	// SampleIDAll adds the time, thread and CPU to LOST records
	// (sample_id_all) without SwitchRecords.
	SampleIDAll bool
	// WakeupBytes wakes pollers when this many bytes are waiting in the
	// ring buffer; 0 wakes them on every sample.
	WakeupBytes uint32
}

// eventBits are the bits of an attribute that say which event is counted,
// and where: those SampleOptions.Attr takes from SampleOptions.Event.
const eventBits = unix.PerfBitExcludeUser | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv |
	unix.PerfBitExcludeIdle | unix.PerfBitExcludeHost | unix.PerfBitExcludeGuest |
	unix.PerfBitPreciseIPBit1 | unix.PerfBitPreciseIPBit2 | unix.PerfBitPinned | unix.PerfBitExclusive

// Attr returns the perf_event_attr for o: o.Event sampled, created
// disabled, with sample times on CLOCK_MONOTONIC.
func (o SampleOptions) Attr() unix.PerfEventAttr {
	a := unix.PerfEventAttr{
		Type:        o.Event.Type,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Config:      o.Event.Config,
		Ext1:        o.Event.Ext1,
		Ext2:        o.Event.Ext2,
		Sample_type: SampleType,
		Clockid:     unix.CLOCK_MONOTONIC,
		Bits:        o.Event.Bits&eventBits | unix.PerfBitDisabled | unix.PerfBitUseClockID | unix.PerfBitExcludeHv,
	}
	if o.Cgroup {
		a.Sample_type |= sampleCgroup
	}
	if o.Identifier {
		a.Sample_type |= unix.PERF_SAMPLE_IDENTIFIER
	}
	if o.UserRegs {
		a.Sample_type |= unix.PERF_SAMPLE_REGS_USER
		a.Sample_regs_user = UserRegsMask
	}
	if o.UserStack > 0 {
		a.Sample_type |= unix.PERF_SAMPLE_STACK_USER
		a.Sample_stack_user = o.UserStack
	}
	switch {
	case o.Frequency > 0:
		a.Sample = o.Frequency
		a.Bits |= unix.PerfBitFreq
		a.Sample_type |= unix.PERF_SAMPLE_PERIOD
	case o.Period > 0:
		a.Sample = o.Period
	default:
		a.Sample = 1
	}
	bits := []struct {
		on  bool
		bit uint64
	}{
		{o.Inherit, unix.PerfBitInherit},
		{o.ExcludeKernel, unix.PerfBitExcludeKernel},
		{o.ExcludeUser, unix.PerfBitExcludeUser},
		{o.NoKernelStack || o.ExcludeKernel || a.Bits&unix.PerfBitExcludeKernel != 0, unix.PerfBitExcludeCallchainKernel},
		{o.NoUserStack, unix.PerfBitExcludeCallchainUser},
		{o.Task, unix.PerfBitTask | unix.PerfBitComm | unix.PerfBitCommExec},
		{o.WakeupBytes > 0, unix.PerfBitWatermark},
		{o.SwitchRecords, unix.PerfBitContextSwitch | unix.PerfBitSampleIDAll},
		{o.SampleIDAll, unix.PerfBitSampleIDAll},
	}
	for _, b := range bits {
		if b.on {
			a.Bits |= b.bit
		}
	}
	a.Wakeup = max(o.WakeupBytes, 1)
	return a
}
