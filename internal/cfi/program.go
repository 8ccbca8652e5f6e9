package cfi

import (
	"fmt"
	"math"
)

// DW_CFA_* opcodes (DWARF 5 §6.4.2, and the GNU extensions).
const (
	cfaAdvanceLoc        = 0x40 // high two bits
	cfaOffset            = 0x80 // high two bits
	cfaRestore           = 0xc0 // high two bits
	cfaNop               = 0x00
	cfaSetLoc            = 0x01
	cfaAdvanceLoc1       = 0x02
	cfaAdvanceLoc2       = 0x03
	cfaAdvanceLoc4       = 0x04
	cfaOffsetExtended    = 0x05
	cfaRestoreExtended   = 0x06
	cfaUndefined         = 0x07
	cfaSameValue         = 0x08
	cfaRegister          = 0x09
	cfaRememberState     = 0x0a
	cfaRestoreState      = 0x0b
	cfaDefCFA            = 0x0c
	cfaDefCFARegister    = 0x0d
	cfaDefCFAOffset      = 0x0e
	cfaDefCFAExpression  = 0x0f
	cfaExpression        = 0x10
	cfaOffsetExtendedSF  = 0x11
	cfaDefCFASF          = 0x12
	cfaDefCFAOffsetSF    = 0x13
	cfaValOffset         = 0x14
	cfaValOffsetSF       = 0x15
	cfaValExpression     = 0x16
	cfaGNUArgsSize       = 0x2e
	cfaGNUNegOffsetExtSF = 0x2f
)

// maxRememberDepth bounds DW_CFA_remember_state nesting; compilers nest
// one or two deep.
const maxRememberDepth = 64

// regRule is the rule for one register column while a program runs.
type regRule struct {
	kind SaveKind
	off  int64  // the offset, or the register for SaveInRegister
	expr []byte // the expression of SaveExpression
}

// frameState is the row being built: the CFA rule and the rules of the
// two columns an x86-64 unwinder needs.
type frameState struct {
	cfaReg  uint64
	cfaOff  int64
	cfaExpr []byte // non-nil for DW_CFA_def_cfa_expression
	rbp, ra regRule
}

// row is a rule from addr to the next row's addr (or the FDE's end).
type row struct {
	addr uint64
	rule Rule
}

// program runs the CFA instructions of one FDE (after its CIE's) and
// returns its rows, one per address at which the rule changes or the
// program advances.
type program struct {
	f       *fde
	bases   *bases
	initial frameState
	state   frameState
	stack   []frameState
	loc     uint64
	rows    []row
}

// programBuffers are the buffers of the programs of FDEs made one after
// the other, to spare allocations: the rows of the last one run, and the
// stack of remembered states.
type programBuffers struct {
	rows  []row
	stack []frameState
}

// rows runs f's CIE's initial instructions, then f's, and returns the rows
// covering [f.begin, f.end), in buf's rows, which the next run reuses.
func (f *fde) rows(b *bases, buf *programBuffers) ([]row, error) {
	p := &program{f: f, bases: b, loc: f.begin, rows: buf.rows[:0], stack: buf.stack[:0]}
	defer func() { buf.rows, buf.stack = p.rows[:0], p.stack[:0] }()
	if err := p.run(f.cie.initial, true); err != nil {
		return nil, fmt.Errorf("CIE at %#x: %w", f.cie.offset, err)
	}
	p.initial = p.state
	if err := p.run(f.instructions, false); err != nil {
		return nil, fmt.Errorf("FDE at %#x: %w", f.offset, err)
	}
	if p.loc < f.end {
		if err := p.emit(); err != nil {
			return nil, fmt.Errorf("FDE at %#x: %w", f.offset, err)
		}
	}
	return p.rows, nil
}

// advance moves the location to to, emitting the row in force before it.
func (p *program) advance(to uint64, inCIE bool) error {
	if inCIE {
		return nil // a CIE's instructions describe the entry address only
	}
	if to < p.loc {
		return fmt.Errorf("%w: location moves back from %#x to %#x", ErrMalformed, p.loc, to)
	}
	if to > p.loc && p.loc < p.f.end {
		if err := p.emit(); err != nil {
			return err
		}
	}
	p.loc = to
	return nil
}

// emit appends the row for the current location.
func (p *program) emit() error {
	r, err := p.state.rule(p.f.cie)
	if err != nil {
		return err
	}
	p.rows = append(p.rows, row{addr: p.loc, rule: r})
	return nil
}

// column returns the rule of a register the rows record, or nil.
func (s *frameState) column(reg uint64, c *cie) *regRule {
	switch reg {
	case regRBP:
		return &s.rbp
	case c.raColumn:
		return &s.ra
	}
	return nil
}

// set sets a column's rule, if the rows record it.
func (p *program) set(reg uint64, kind SaveKind, off int64) {
	if col := p.state.column(reg, p.f.cie); col != nil {
		*col = regRule{kind: kind, off: off}
	}
}

// run executes instructions; inCIE marks a CIE's initial instructions.
func (p *program) run(ins []byte, inCIE bool) error {
	c := p.f.cie
	r := &reader{b: ins}
	daf := c.dataAlign
	for r.off < len(r.b) && r.err == nil {
		op := r.u8()
		var err error
		switch op & 0xc0 {
		case cfaAdvanceLoc:
			err = p.advance(p.loc+uint64(op&0x3f)*c.codeAlign, inCIE)
		case cfaOffset:
			p.set(uint64(op&0x3f), SaveAtCFA, int64(r.uleb())*daf)
		case cfaRestore:
			p.restore(uint64(op & 0x3f))
		default:
			err = p.extended(op, r, inCIE)
		}
		if err != nil {
			return err
		}
		if p.loc >= p.f.end && !inCIE {
			break // the rest describes no address of this FDE
		}
	}
	return r.err
}

// restore sets a column back to its rule after the CIE's instructions.
func (p *program) restore(reg uint64) {
	if col := p.state.column(reg, p.f.cie); col != nil {
		*col = *p.initial.column(reg, p.f.cie)
	}
}

// extended executes an opcode whose high two bits are zero.
func (p *program) extended(op uint8, r *reader, inCIE bool) error {
	c := p.f.cie
	daf := c.dataAlign
	switch op {
	case cfaNop, cfaGNUArgsSize:
		if op == cfaGNUArgsSize {
			r.uleb()
		}
	case cfaSetLoc:
		// Only absolute addresses: a relative one would need the
		// instruction's own address, and no compiler emits either form
		// for x86-64.
		enc := uint8(peAbsptr)
		if p.f.eh {
			enc = c.fdeEncoding
		}
		if enc&0x70 != 0 {
			return fmt.Errorf("%w: DW_CFA_set_loc with relative encoding %#x", ErrMalformed, enc)
		}
		return p.advance(r.pointer(enc, p.bases, true), inCIE)
	case cfaAdvanceLoc1:
		return p.advance(p.loc+uint64(r.u8())*c.codeAlign, inCIE)
	case cfaAdvanceLoc2:
		return p.advance(p.loc+uint64(r.u16())*c.codeAlign, inCIE)
	case cfaAdvanceLoc4:
		return p.advance(p.loc+uint64(r.u32())*c.codeAlign, inCIE)
	case cfaOffsetExtended:
		reg := r.uleb()
		p.set(reg, SaveAtCFA, int64(r.uleb())*daf)
	case cfaOffsetExtendedSF:
		reg := r.uleb()
		p.set(reg, SaveAtCFA, r.sleb()*daf)
	case cfaGNUNegOffsetExtSF:
		reg := r.uleb()
		p.set(reg, SaveAtCFA, -int64(r.uleb())*daf)
	case cfaValOffset:
		reg := r.uleb()
		p.set(reg, SaveIsCFA, int64(r.uleb())*daf)
	case cfaValOffsetSF:
		reg := r.uleb()
		p.set(reg, SaveIsCFA, r.sleb()*daf)
	case cfaRestoreExtended:
		p.restore(r.uleb())
	case cfaUndefined:
		p.set(r.uleb(), SaveUndefined, 0)
	case cfaSameValue:
		p.set(r.uleb(), SaveUnchanged, 0)
	case cfaRegister:
		reg := r.uleb()
		p.set(reg, SaveInRegister, int64(r.uleb()))
	case cfaExpression:
		reg := r.uleb()
		e := r.block()
		if col := p.state.column(reg, c); col != nil {
			*col = regRule{kind: SaveExpression, expr: e}
		}
	case cfaValExpression:
		reg := r.uleb()
		r.block()
		p.set(reg, SaveValExpression, 0)
	case cfaRememberState:
		if len(p.stack) >= maxRememberDepth {
			return fmt.Errorf("%w: DW_CFA_remember_state nested over %d deep", ErrMalformed, maxRememberDepth)
		}
		p.stack = append(p.stack, p.state)
	case cfaRestoreState:
		if len(p.stack) == 0 {
			return fmt.Errorf("%w: DW_CFA_restore_state with nothing remembered", ErrMalformed)
		}
		p.state = p.stack[len(p.stack)-1]
		p.stack = p.stack[:len(p.stack)-1]
	case cfaDefCFA:
		p.state.cfaReg, p.state.cfaExpr = r.uleb(), nil
		p.state.cfaOff = int64(r.uleb())
	case cfaDefCFASF:
		p.state.cfaReg, p.state.cfaExpr = r.uleb(), nil
		p.state.cfaOff = r.sleb() * daf
	case cfaDefCFARegister:
		p.state.cfaReg, p.state.cfaExpr = r.uleb(), nil
	case cfaDefCFAOffset:
		p.state.cfaOff, p.state.cfaExpr = int64(r.uleb()), nil
	case cfaDefCFAOffsetSF:
		p.state.cfaOff, p.state.cfaExpr = r.sleb()*daf, nil
	case cfaDefCFAExpression:
		p.state.cfaExpr = r.block()
		if p.state.cfaExpr == nil {
			p.state.cfaExpr = []byte{}
		}
	default:
		return fmt.Errorf("%w: unknown opcode DW_CFA %#x", ErrMalformed, op)
	}
	return nil
}

// rule converts the state into a Rule.
func (s *frameState) rule(c *cie) (Rule, error) {
	r := Rule{Signal: c.signal}
	switch {
	case s.cfaExpr != nil:
		if off, threshold, ok := pltExpression(s.cfaExpr); ok {
			r.CFA, r.CFAOffset, r.PLTThreshold = CFAPLT, off, threshold
		} else if off, ok := rspExpression(s.cfaExpr, true); ok {
			r.CFA, r.CFAOffset = CFADerefRSP, off
		} else {
			r.CFA = CFAExpression
		}
	default:
		if s.cfaOff < math.MinInt32 || s.cfaOff > math.MaxInt32 {
			return Rule{}, fmt.Errorf("%w: CFA offset %d", ErrMalformed, s.cfaOff)
		}
		r.CFAOffset = int32(s.cfaOff)
		switch s.cfaReg {
		case regRSP:
			r.CFA = CFARSP
		case regRBP:
			r.CFA = CFARBP
		default:
			if s.cfaReg > math.MaxUint8 {
				return Rule{}, fmt.Errorf("%w: CFA in register %d", ErrMalformed, s.cfaReg)
			}
			r.CFA, r.CFAReg = CFAOtherRegister, uint8(s.cfaReg)
		}
	}
	var err error
	if r.RA, err = s.ra.save(); err != nil {
		return Rule{}, err
	}
	if r.RBP, err = s.rbp.save(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// save converts a column's rule.
func (g regRule) save() (Save, error) {
	if g.off < math.MinInt32 || g.off > math.MaxInt32 {
		return Save{}, fmt.Errorf("%w: register saved at offset %d", ErrMalformed, g.off)
	}
	if g.kind == SaveExpression {
		if off, ok := rspExpression(g.expr, false); ok {
			return Save{Kind: SaveAtRSP, Offset: off}, nil
		}
	}
	return Save{Kind: g.kind, Offset: int32(g.off)}, nil
}

// rspExpression recognises DW_OP_breg7 N, followed by DW_OP_deref when
// deref is set, and returns N.
func rspExpression(e []byte, deref bool) (int32, bool) {
	r := &reader{b: e}
	if r.u8() != 0x77 { // DW_OP_breg7
		return 0, false
	}
	n := r.sleb()
	if deref && r.u8() != 0x06 { // DW_OP_deref
		return 0, false
	}
	if r.err != nil || r.off != len(e) || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return int32(n), true
}

// pltExpression recognises the CFA expression of PLT entries,
// DW_OP_breg7 N; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_lit K;
// DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus, that is
// rsp + N + ((rip & 15) >= K ? 8 : 0), and returns N and K.
func pltExpression(e []byte) (int32, uint8, bool) {
	r := &reader{b: e}
	if r.u8() != 0x77 { // DW_OP_breg7
		return 0, 0, false
	}
	n := r.sleb()
	if r.u8() != 0x80 || r.sleb() != 0 || r.u8() != 0x3f || r.u8() != 0x1a {
		return 0, 0, false
	}
	lit := r.u8()
	if lit < 0x30 || lit > 0x3f {
		return 0, 0, false
	}
	rest := r.take(4)
	if r.err != nil || string(rest) != "\x2a\x33\x24\x22" || r.off != len(e) || n < 0 || n > math.MaxInt32 {
		return 0, 0, false
	}
	return int32(n), lit - 0x30, true
}
