package unwind

// Continue completes a walk that stopped at a frame pointer leading out of
// its stack copy (out.LostFP), with fpChain, a frame-pointer call chain of
// the same sample taken where all memory could be read: the kernel's user
// call chain, the instruction pointer and then the return addresses found
// from regs.BP up the chain of saved frame pointers. If the walk's frame
// pointer is one of that chain's (rbp was left alone by the frames the walk
// unwound by their rules, as C code called through cgo leaves the Go
// caller's), the rest of the walk is the rest of the chain: Continue appends
// it to pcs, within MaxDepth, and reports true. Otherwise it returns pcs as
// they are and false.
func Continue(p *Process, pcs []uint64, out Outcome, regs *Regs, stack []byte, fpChain []uint64) ([]uint64, bool) {
	if out.LostFP == 0 || len(fpChain) < 2 || fpChain[0] != regs.IP || len(pcs) >= MaxDepth {
		return pcs, false
	}
	w := walker{p: p, stack: stack, base: regs.SP, regs: regs}
	bp := regs.BP
	for j := 1; j < len(fpChain); j++ {
		if bp == out.LostFP {
			// fpChain[j] is the return address above bp: it must be
			// code, or the chain went astray where the walk stopped.
			if _, ok := p.Find(fpChain[j] - 1); !ok {
				return pcs, false
			}
			n := min(len(fpChain)-j, MaxDepth-len(pcs))
			return append(pcs, fpChain[j:j+n]...), true
		}
		next, stop := w.read(bp)
		if stop != StopEnd || next <= bp {
			return pcs, false
		}
		bp = next
	}
	return pcs, false
}
