package cfi

import "fmt"

// x86-64 DWARF register numbers (System V ABI, figure 3.36).
const (
	regRBP = 6
	regRSP = 7
	regRA  = 16 // the return address column
)

// CFAKind says how the Canonical Frame Address, the value of rsp just
// before the call that entered the frame, is computed at an address.
type CFAKind uint8

const (
	// CFANone marks an address no FDE covers: code without unwind
	// information, to be unwound by other means (frame pointers).
	CFANone CFAKind = iota
	// CFARSP is rsp + CFAOffset.
	CFARSP
	// CFARBP is rbp + CFAOffset.
	CFARBP
	// CFAPLT is the expression of PLT entries: rsp + CFAOffset, plus 8
	// when (rip & 15) >= PLTThreshold, that is once the entry's push has
	// run.
	CFAPLT
	// CFAExpression is any other DWARF expression: not evaluated here.
	CFAExpression
	// CFADerefRSP is the value in memory at rsp + CFAOffset: the
	// expression of signal trampolines (__restore_rt), whose frame is the
	// kernel's signal context, holding the interrupted rsp.
	CFADerefRSP
	// CFAOtherRegister is a register other than rsp and rbp (CFAReg) plus
	// CFAOffset: glibc's __longjmp and setcontext, whose CFA is in rdi or
	// rdx, and stack-realigning prologues, which keep it in r10; an
	// unwinder knows those registers in the first frame only.
	CFAOtherRegister
)

// SaveKind says where a register's value in the caller (rbp, or the
// return address) is found, relative to the CFA.
type SaveKind uint8

const (
	// SaveUnchanged is a register the frame has not touched: the
	// caller's value is the current one. rbp is unchanged unless saved.
	SaveUnchanged SaveKind = iota
	// SaveUndefined is a register with no value in the caller; for the
	// return address, the outermost frame (_start, clone's child).
	SaveUndefined
	// SaveAtCFA is a value saved in memory at CFA + Offset.
	SaveAtCFA
	// SaveIsCFA is a value equal to CFA + Offset (DW_CFA_val_offset).
	SaveIsCFA
	// SaveInRegister is a value held in register Offset.
	SaveInRegister
	// SaveAtRSP is a value saved in memory at rsp + Offset, rsp being
	// the frame's own: a DWARF expression of signal trampolines, which
	// find the interrupted registers in the signal context on the stack.
	SaveAtRSP
	// SaveExpression is a value in memory at an address another DWARF
	// expression computes; not evaluated here.
	SaveExpression
	// SaveValExpression is a value a DWARF expression computes.
	SaveValExpression
)

// Save is where a register of the caller is found.
type Save struct {
	Kind   SaveKind
	Offset int32
}

// Rule is how to find the caller's frame at an address: the CFA, the
// return address and rbp. The usual x86-64 rule has the return address at
// CFA-8. Rules are small and comparable, so that a Table holds each
// distinct one once.
type Rule struct {
	CFA    CFAKind
	CFAReg uint8 // the register for CFAOtherRegister
	// PLTThreshold is the (rip & 15) from which CFAPLT adds 8.
	PLTThreshold uint8
	// Signal marks a signal frame ('S' augmentation, __restore_rt): the
	// return address is the interrupted instruction itself, not the one
	// after a call, so it must not be decremented before a lookup.
	Signal    bool
	CFAOffset int32
	RA        Save
	RBP       Save
}

// NormalRA reports whether the return address is where a call leaves it,
// at CFA-8.
func (r Rule) NormalRA() bool { return r.RA == Save{SaveAtCFA, -8} }

// String describes the rule the way readelf's --debug-dump=frames-interp
// columns do: "rsp+16 rbp=c-16 ra=c-8".
func (r Rule) String() string {
	var cfa string
	switch r.CFA {
	case CFANone:
		return "none"
	case CFARSP:
		cfa = fmt.Sprintf("rsp%+d", r.CFAOffset)
	case CFARBP:
		cfa = fmt.Sprintf("rbp%+d", r.CFAOffset)
	case CFAPLT:
		cfa = fmt.Sprintf("plt(rsp%+d,%d)", r.CFAOffset, r.PLTThreshold)
	case CFAExpression:
		cfa = "exp"
	case CFADerefRSP:
		cfa = fmt.Sprintf("*(rsp%+d)", r.CFAOffset)
	case CFAOtherRegister:
		cfa = fmt.Sprintf("r%d%+d", r.CFAReg, r.CFAOffset)
	}
	s := fmt.Sprintf("%s rbp=%s ra=%s", cfa, r.RBP, r.RA)
	if r.Signal {
		s += " signal"
	}
	return s
}

// String is readelf's notation, u, s, c-16, v+8, r12, exp, vexp, but for
// SaveAtRSP, *(rsp+120).
func (s Save) String() string {
	switch s.Kind {
	case SaveUnchanged:
		return "s"
	case SaveUndefined:
		return "u"
	case SaveAtCFA:
		return fmt.Sprintf("c%+d", s.Offset)
	case SaveIsCFA:
		return fmt.Sprintf("v%+d", s.Offset)
	case SaveInRegister:
		return fmt.Sprintf("r%d", s.Offset)
	case SaveAtRSP:
		return fmt.Sprintf("*(rsp%+d)", s.Offset)
	case SaveExpression:
		return "exp"
	default:
		return "vexp"
	}
}
