package unwind

import (
	"encoding/binary"

	"github.com/flamekit/flamekit/internal/cfi"
)

// The bounds of user addresses on x86-64 (with 5-level page tables): the
// first page is never mapped, nor is anything above.
const (
	minUserAddr = 4096
	maxUserAddr = 1 << 56
)

// MaxDepth is the most frames Walk returns: the kernel's default
// kernel.perf_event_max_stack, so that stacks walked here and frame-pointer
// call chains are cut alike.
const MaxDepth = 127

// x86-64 DWARF register numbers (System V ABI, figure 3.36) of the
// registers a walk keeps track of in every frame.
const (
	dwarfRBP = 6
	dwarfRSP = 7
)

// Regs are the registers of a thread's innermost user frame, where a walk
// starts.
type Regs struct {
	IP, SP, BP uint64
	// DWARF holds the general registers by DWARF number (rax 0, rdx 1,
	// rcx 2, rbx 3, rsi 4, rdi 5, rbp 6, rsp 7, r8 to r15 8 to 15), and
	// Known says which are set (bit n for number n): a rule may find the
	// CFA or a saved register in one of them in the first frame (glibc's
	// __longjmp and setcontext keep the CFA in rdi or rdx, stack-realigning
	// prologues in r10). A walk without them uses frame pointers there.
	DWARF [16]uint64
	Known uint16
}

// Stop says why a walk ended.
type Stop uint8

const (
	// StopEnd is a whole stack: the outermost frame (its return address
	// undefined, as in _start and a thread's start), or a zero return
	// address or frame pointer, which end frame-pointer chains.
	StopEnd Stop = iota
	// StopBadAddress is a return address no user mapping can hold (in the
	// first page, or beyond the top of user space): a frame gone astray.
	// The address is the walk's last frame.
	StopBadAddress
	// StopTruncated is a frame whose CFA, return address or saved rbp is
	// beyond the stack copy: the copy was too short for the stack.
	StopTruncated
	// StopUnsupported is a rule for the return address the walk cannot
	// follow (a DWARF expression, a register it does not know in that
	// frame). A CFA it cannot compute is walked by frame pointers instead
	// (Outcome.Unsupported).
	StopUnsupported
	// StopBadFrame is a frame whose CFA or frame pointer is not above its
	// stack pointer, or a saved value below the frame: a wrong rule or a
	// frame pointer that is not one.
	StopBadFrame
	// StopDepth is a stack deeper than MaxDepth frames, cut there.
	StopDepth
)

// String names the reason in a few words, hyphenated, as keys of failure
// counts: "end", "bad-address", "truncated", "unsupported-rule",
// "bad-frame", "depth-limit".
func (s Stop) String() string {
	switch s {
	case StopEnd:
		return "end"
	case StopBadAddress:
		return "bad-address"
	case StopTruncated:
		return "truncated"
	case StopUnsupported:
		return "unsupported-rule"
	case StopBadFrame:
		return "bad-frame"
	case StopDepth:
		return "depth-limit"
	}
	return "unknown"
}

// Outcome is how a walk went: why it stopped, and how many frames it
// unwound by frame pointers, for want of a rule (NoRule: a mapping without
// a table, an address no FDE covers, an address in no mapping) or because
// the rule was one it does not evaluate (Unsupported: a DWARF expression; a
// CFA in a register other than rsp and rbp past the first frame).
type Outcome struct {
	Stop                Stop
	NoRule, Unsupported uint8
	// LostFP is the frame pointer a walk stopped at because it led out of
	// the stack copy (to another stack, as cgo's switch to the system
	// stack does; or nowhere): see Continue. Zero otherwise.
	LostFP uint64
}

// Walk unwinds a user stack: from the registers of its innermost frame and
// stack, the bytes of the stack from regs.SP up, it appends the frames'
// addresses to dst, leaf first (the instruction pointer, then return
// addresses as the stack holds them), and says why it stopped and how many
// frames it walked by frame pointers.
//
// Each frame is unwound by the call frame information of the mapping its
// address is in (at the address minus one, inside the call, but for the
// first frame and the frame a signal interrupted), and by frame pointers
// where the mapping has no table or the table no rule for the address (Go,
// JIT code, assembly), switching between the two from frame to frame. The
// PLT's rule and the signal trampoline's (glibc's __restore_rt, whose CFA
// and saved registers are in the signal context on the stack) are
// followed. A DWARF expression the table keeps but does not evaluate
// (stack-realigning functions), or a rule naming a register other than rsp
// and rbp past the first frame, is walked by frame pointers instead, as such
// functions keep one. An address in no mapping of the process (JIT code in
// an anonymous mapping, code mapped after the process was read) is unwound
// by frame pointers too; one no user mapping can hold ends the walk. A
// first frame unwound by frame pointers whose rbp is not one (below rsp, or
// beyond the copy) was stopped in a prologue, an epilogue or a leaf without
// a frame: its return address is taken at rsp, or just above the pushed
// rbp, whichever is in a mapping. A register an epilogue has popped, whose
// save slot is below the stack pointer, holds the caller's value again.
//
// Walk allocates nothing when dst has room for MaxDepth frames; it never
// reads outside stack, whatever its bytes.
func Walk(p *Process, regs *Regs, stack []byte, dst []uint64) ([]uint64, Outcome) {
	w := walker{p: p, stack: stack, base: regs.SP, regs: regs}
	var out Outcome
	end := func(s Stop) ([]uint64, Outcome) {
		out.Stop = s
		return dst, out
	}
	pc, sp, bp := regs.IP, regs.SP, regs.BP
	first, exact := true, true // exact: pc is not a return address
	for {
		if pc == 0 {
			return end(StopEnd)
		}
		if len(dst) == MaxDepth {
			return end(StopDepth)
		}
		dst = append(dst, pc)
		at := pc
		if !exact {
			at--
		}
		if pc < minUserAddr || pc >= maxUserAddr {
			return end(StopBadAddress)
		}
		m, ok := p.Find(at)
		var rule cfi.Rule
		if ok && m.Table != nil && m.Table.CFI != nil {
			rule, _ = m.Table.CFI.Lookup(at - m.Bias)
		}
		var f frame
		var stop Stop
		switch rule.CFA {
		case cfi.CFANone, cfi.CFAExpression:
			f, stop = w.fallback(sp, bp, first, rule.CFA == cfi.CFAExpression, &out)
		case cfi.CFAOtherRegister:
			if _, known := w.reg(rule.CFAReg, first); !known {
				f, stop = w.fallback(sp, bp, first, true, &out)
				break
			}
			f, stop = w.cfi(rule, pc, sp, bp, first)
		default:
			f, stop = w.cfi(rule, pc, sp, bp, first)
		}
		if stop != StopEnd || f.end {
			return end(stop)
		}
		pc, sp, bp = f.ra, f.cfa, f.bp
		first, exact = false, rule.Signal
	}
}

// walker is the state of one walk.
type walker struct {
	p     *Process
	stack []byte
	base  uint64 // the address of stack[0]
	regs  *Regs
}

// frame is the caller's registers, as one step of a walk finds them; end
// marks the outermost frame.
type frame struct {
	ra, cfa, bp uint64
	end         bool
}

// read returns the 8 bytes at addr in the stack copy, or why it cannot:
// StopBadFrame below it, StopTruncated beyond it.
func (w *walker) read(addr uint64) (uint64, Stop) {
	if addr < w.base {
		return 0, StopBadFrame
	}
	off := addr - w.base
	if off >= uint64(len(w.stack)) || uint64(len(w.stack))-off < 8 {
		return 0, StopTruncated
	}
	return binary.LittleEndian.Uint64(w.stack[off:]), StopEnd
}

// reg returns DWARF register n of the first frame, if known.
func (w *walker) reg(n uint8, first bool) (uint64, bool) {
	if !first || n >= 16 || w.regs.Known&(1<<n) == 0 {
		return 0, false
	}
	return w.regs.DWARF[n], true
}

// fallback unwinds a frame by frame pointers, counting it as one without a
// rule or with an unsupported one; a first frame whose rbp is no frame
// pointer is taken for one stopped where it has none.
func (w *walker) fallback(sp, bp uint64, first, unsupported bool, out *Outcome) (frame, Stop) {
	if unsupported {
		out.Unsupported++
	} else {
		out.NoRule++
	}
	f, stop := w.framePointer(sp, bp)
	if first && (stop == StopBadFrame || stop == StopTruncated) {
		f, stop = w.entry(sp, bp, stop)
	}
	if stop == StopBadFrame || stop == StopTruncated {
		out.LostFP = bp
	}
	return f, stop
}

// framePointer unwinds a frame that keeps the caller's rbp at rbp and the
// return address above it.
func (w *walker) framePointer(sp, bp uint64) (frame, Stop) {
	switch {
	case bp == 0:
		return frame{end: true}, StopEnd
	case bp < sp:
		return frame{}, StopBadFrame
	}
	saved, stop := w.read(bp)
	if stop != StopEnd {
		return frame{}, stop
	}
	ra, stop := w.read(bp + 8)
	if stop != StopEnd {
		return frame{}, stop
	}
	return frame{ra: ra, cfa: bp + 16, bp: saved}, StopEnd
}

// entry unwinds a first frame without a rule whose rbp is no frame pointer
// (bad says why): stopped in a prologue before the frame pointer is set, in
// an epilogue after it is restored, or in a leaf that sets up no frame. The
// return address is at rsp, or, just after rbp was pushed, above it: the
// first of the two in a mapping is taken.
func (w *walker) entry(sp, bp uint64, bad Stop) (frame, Stop) {
	if ra, ok := w.code(sp); ok {
		return frame{ra: ra, cfa: sp + 8, bp: bp}, StopEnd
	}
	if ra, ok := w.code(sp + 8); ok {
		saved, _ := w.read(sp)
		return frame{ra: ra, cfa: sp + 16, bp: saved}, StopEnd
	}
	return frame{}, bad
}

// code returns the value at addr in the stack copy if it is a return
// address into a mapping of the process.
func (w *walker) code(addr uint64) (uint64, bool) {
	v, stop := w.read(addr)
	if stop != StopEnd || v == 0 {
		return 0, false
	}
	_, ok := w.p.Find(v - 1)
	return v, ok
}

// cfi unwinds a frame by its rule.
func (w *walker) cfi(r cfi.Rule, pc, sp, bp uint64, first bool) (frame, Stop) {
	var cfa uint64
	off := uint64(int64(r.CFAOffset))
	switch r.CFA {
	case cfi.CFARSP:
		cfa = sp + off
	case cfi.CFARBP:
		cfa = bp + off
	case cfi.CFAPLT:
		cfa = sp + off
		if pc&15 >= uint64(r.PLTThreshold) {
			cfa += 8
		}
	case cfi.CFADerefRSP:
		v, stop := w.read(sp + off)
		if stop != StopEnd {
			return frame{}, stop
		}
		cfa = v
	case cfi.CFAOtherRegister:
		v, _ := w.reg(r.CFAReg, first)
		cfa = v + off
	default:
		return frame{}, StopUnsupported
	}
	if cfa <= sp {
		return frame{}, StopBadFrame
	}
	var ra uint64
	var stop Stop
	switch at := cfa + uint64(int64(r.RA.Offset)); r.RA.Kind {
	case cfi.SaveUndefined:
		return frame{end: true}, StopEnd
	case cfi.SaveUnchanged:
		return frame{}, StopUnsupported
	case cfi.SaveAtCFA:
		if at < sp { // never below the frame, as a popped register's slot is
			return frame{}, StopBadFrame
		}
		ra, stop = w.read(at)
	default:
		ra, stop = w.saved(r.RA, cfa, sp, bp, pc, first)
	}
	if stop != StopEnd {
		return frame{}, stop
	}
	callerBP, stop := w.saved(r.RBP, cfa, sp, bp, bp, first)
	if stop != StopEnd {
		return frame{}, stop
	}
	return frame{ra: ra, cfa: cfa, bp: callerBP}, StopEnd
}

// saved returns a register's value in the caller, where s says it is; cur
// is its value in the frame, kept when unchanged.
func (w *walker) saved(s cfi.Save, cfa, sp, bp, cur uint64, first bool) (uint64, Stop) {
	off := uint64(int64(s.Offset))
	switch s.Kind {
	case cfi.SaveUnchanged:
		return cur, StopEnd
	case cfi.SaveUndefined:
		return 0, StopEnd
	case cfi.SaveAtCFA:
		if cfa+off < sp {
			// Below the frame: an epilogue popped it, the register
			// holds the caller's value again.
			return cur, StopEnd
		}
		return w.read(cfa + off)
	case cfi.SaveIsCFA:
		return cfa + off, StopEnd
	case cfi.SaveAtRSP:
		return w.read(sp + off)
	case cfi.SaveInRegister:
		switch s.Offset {
		case dwarfRSP:
			return sp, StopEnd
		case dwarfRBP:
			return bp, StopEnd
		}
		if s.Offset >= 0 && s.Offset < 16 {
			if v, ok := w.reg(uint8(s.Offset), first); ok {
				return v, StopEnd
			}
		}
	}
	return 0, StopUnsupported
}
