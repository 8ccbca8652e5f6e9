package perfsampler

import (
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// stopFailures are the causes of the walks that did not end well, by
// unwind.Stop.
var stopFailures = [...]string{
	unwind.StopBadAddress:  sampler.FailureUnwindBadAddress,
	unwind.StopTruncated:   sampler.FailureUnwindTruncated,
	unwind.StopUnsupported: sampler.FailureUnwindUnsupported,
	unwind.StopBadFrame:    sampler.FailureUnwindBadFrame,
	unwind.StopDepth:       sampler.FailureUnwindDepthLimit,
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
			fail(sampler.FailureUnwindNoRegisters)
		}
		return fpChain
	}
	p, ok := u.process(r.PID)
	if !ok {
		fail(sampler.FailureUnwindUnknownProcess)
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
		fail(sampler.FailureUnwindStackSwitch)
	}
	u.frames = pcs
	if out.NoRule > 0 {
		fail(sampler.FailureUnwindNoTable)
	}
	if out.Unsupported > 0 && out.Stop != unwind.StopUnsupported {
		fail(sampler.FailureUnwindUnsupported)
	}
	if int(out.Stop) < len(stopFailures) && stopFailures[out.Stop] != "" {
		fail(stopFailures[out.Stop])
	}
	return pcs
}
