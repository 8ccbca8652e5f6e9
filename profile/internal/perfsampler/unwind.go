package perfsampler

import (
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// The causes the perf backend's unwinding counts in Stats.Failures (with
// Config.Unwind), each once per sample it applies to. The first five count
// samples whose user stack was still walked to its end, by frame pointers
// for some frames or all; the others count samples whose user stack was
// cut. The names are the eBPF backend's where the cause is the same.
const (
	// FailureUnwindUnknownProcess counts samples of a process the
	// registry did not have in time (short-lived processes; the first
	// samples of a process when a drain came before the registry had it):
	// its user stack is the kernel's frame-pointer call chain.
	FailureUnwindUnknownProcess = "unwind-unknown-process"
	// FailureUnwindNoRegisters counts samples of a process with a user
	// stack but no 64-bit user registers (a 32-bit task): the kernel's
	// frame-pointer call chain too.
	FailureUnwindNoRegisters = "unwind-no-registers"
	// FailureUnwindStackSwitch counts samples whose walk a frame pointer
	// led out of the stack copy, to another stack (cgo's switch to the
	// system stack), and which the kernel's frame-pointer call chain
	// completed from that frame pointer on.
	FailureUnwindStackSwitch = "unwind-stack-switch"
	// FailureUnwindNoTable counts samples with a frame in code without
	// call frame information (a mapping without a table: Go code, a file
	// over the table budget; an address no FDE covers; JIT or other code
	// in no file mapping), unwound by its frame pointer.
	FailureUnwindNoTable = "unwind-no-table"
	// FailureUnwindUnsupported counts samples with a frame whose rule
	// the walk does not evaluate (a DWARF expression other than the PLT's
	// and the signal trampoline's; a CFA in a register other than rsp and
	// rbp past the first frame), unwound by its frame pointer; and samples
	// cut at a return address such a rule hides.
	FailureUnwindUnsupported = "unwind-unsupported-rule"
	// FailureUnwindBadAddress counts samples whose user stack was cut at
	// a return address no user mapping can hold (a frame gone astray).
	FailureUnwindBadAddress = "unwind-bad-address"
	// FailureUnwindTruncated counts samples whose user stack was cut where
	// it went on beyond the copy the kernel took (perfevent.UserStackSize
	// bytes from the stack pointer up).
	FailureUnwindTruncated = "unwind-truncated"
	// FailureUnwindBadFrame counts samples whose user stack was cut at a
	// frame whose CFA or frame pointer was not above its stack pointer.
	FailureUnwindBadFrame = "unwind-bad-frame"
	// FailureUnwindDepthLimit counts samples whose user stack had more
	// frames than a stack holds (unwind.MaxDepth): the outermost are
	// missing.
	FailureUnwindDepthLimit = "unwind-depth-limit"
)

// stopFailures are the causes of the walks that did not end well, by
// unwind.Stop.
var stopFailures = [...]string{
	unwind.StopBadAddress:  FailureUnwindBadAddress,
	unwind.StopTruncated:   FailureUnwindTruncated,
	unwind.StopUnsupported: FailureUnwindUnsupported,
	unwind.StopBadFrame:    FailureUnwindBadFrame,
	unwind.StopDepth:       FailureUnwindDepthLimit,
}

// dwarfOfPerf is, for each DWARF register number of unwind.Regs, the perf
// register holding it.
var dwarfOfPerf = [16]int{
	perfevent.RegAX, perfevent.RegDX, perfevent.RegCX, perfevent.RegBX,
	perfevent.RegSI, perfevent.RegDI, perfevent.RegBP, perfevent.RegSP,
	perfevent.RegR8, perfevent.RegR9, perfevent.RegR10, perfevent.RegR11,
	perfevent.RegR12, perfevent.RegR13, perfevent.RegR14, perfevent.RegR15,
}

// unwinds reports whether cfg asks for user stacks walked from stack
// copies.
func unwinds(cfg sampler.Config) bool { return cfg.Unwind != nil && !cfg.KernelOnly }

// unwinder walks samples' user stacks through a registry's tables. It is
// used under the Sampler's lock.
type unwinder struct {
	reg    *unwind.Registry
	regs   unwind.Regs
	frames []uint64 // the last walk's, reused
	// parked are the samples waiting for their process's mappings, and
	// parkedBytes the size of their stack copies.
	parked      []parked
	parkedBytes int
	// stale are the mappings the registry had for processes when they
	// called exec: theirs no more until the registry is told of the new
	// ones.
	stale map[uint32]*unwind.Process
}

func newUnwinder(reg *unwind.Registry) *unwinder {
	return &unwinder{reg: reg, frames: make([]uint64, 0, unwind.MaxDepth), stale: map[uint32]*unwind.Process{}}
}

// userStack returns a sample's user stack, leaf first: walked from its
// registers and stack copy through the tables of its process, or, when the
// registry does not know the process or the sample has no 64-bit
// registers, fpChain, the user part of the kernel's call chain. A walk that
// a frame pointer leads out of the copy (to another stack: cgo's switch to
// the system stack) is completed with fpChain where it can be. What could
// not be done is counted by calling fail. The stack returned may be the
// unwinder's own, valid until the next call. After the walk nothing of the
// stack copy is kept.
func (u *unwinder) userStack(r *perfevent.Record, fpChain []uint64, fail func(cause string)) []uint64 {
	if r.UserABI != perfevent.ABI64 {
		if len(fpChain) > 0 { // no registers, no user stack: a kernel thread
			fail(FailureUnwindNoRegisters)
		}
		return fpChain
	}
	p, ok := u.process(r.PID)
	if !ok {
		fail(FailureUnwindUnknownProcess)
		return fpChain
	}
	u.regs = unwind.Regs{IP: r.UserRegs[perfevent.RegIP], SP: r.UserRegs[perfevent.RegSP],
		BP: r.UserRegs[perfevent.RegBP], Known: 0xffff}
	for n, i := range dwarfOfPerf {
		u.regs.DWARF[n] = r.UserRegs[i]
	}
	pcs, out := unwind.Walk(p, &u.regs, r.UserStack, u.frames[:0])
	if more, ok := unwind.Continue(p, pcs, out, &u.regs, r.UserStack, fpChain); ok {
		pcs, out.Stop = more, unwind.StopEnd
		fail(FailureUnwindStackSwitch)
	}
	u.frames = pcs
	if out.NoRule > 0 {
		fail(FailureUnwindNoTable)
	}
	if out.Unsupported > 0 && out.Stop != unwind.StopUnsupported {
		fail(FailureUnwindUnsupported)
	}
	if int(out.Stop) < len(stopFailures) && stopFailures[out.Stop] != "" {
		fail(stopFailures[out.Stop])
	}
	return pcs
}
