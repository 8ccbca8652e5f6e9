package perfgen

import (
	"fmt"
	"math"
	"strings"
)

// symtab gives each symbol of each object an address and a size, laid out
// in the order first asked for, with gaps, from the object's base: the
// kernel's text, a JIT map's anonymous region, or low addresses for files
// (perf prints file offsets for them).
type symtab struct {
	r      *rng
	syms   map[frame]symbol
	cursor map[string]uint64
}

type symbol struct{ start, size uint64 }

func newSymtab(r *rng) *symtab {
	return &symtab{r: r, syms: map[frame]symbol{}, cursor: map[string]uint64{}}
}

// get returns the symbol of f, placing it on first use.
func (t *symtab) get(f frame) symbol {
	if s, ok := t.syms[f]; ok {
		return s
	}
	r := t.r
	cur, ok := t.cursor[f.dso]
	if !ok {
		switch {
		case f.dso == kern:
			cur = 0xffffffff81000000 + r.Uint64N(0x100000)
		case strings.HasPrefix(f.dso, "/tmp/perf-"):
			cur = 0x7f0000000000 + r.Uint64N(0x7fffff)*0x1000
		default:
			cur = 0x1000 + r.Uint64N(0x40000)
		}
	}
	size := uint64(math.Exp(r.uniform(math.Log(0x30), math.Log(0x3000))))
	start := cur + 0x10 + r.Uint64N(0x4000-0x10)
	t.cursor[f.dso] = start + size
	s := symbol{start, size}
	t.syms[f] = s
	return s
}

// appendFrame appends the line perf script prints for f: its address
// right-aligned to 16, the symbol and offset, and the object. off < 0 draws
// the offset; a frame without a symbol is [unknown], at address 0 or a
// stack-like address in [unknown], or somewhere in one of 64 unnamed
// stretches of a named object.
func (t *symtab) appendFrame(b []byte, f frame, off int64, r *rng) []byte {
	if f.sym == "" {
		var addr uint64
		if f.dso == unknown {
			if !r.chance(0.7) {
				addr = 0x7ffc00000000 + r.Uint64N(1<<32)
			}
		} else {
			s := t.get(frame{f.dso, fmt.Sprintf("[unknown]@%x", r.IntN(64))})
			addr = s.start + r.Uint64N(s.size)
		}
		return fmt.Appendf(b, "\t%16x [unknown] (%s)\n", addr, f.dso)
	}
	s := t.get(f)
	o := uint64(off)
	if off < 0 {
		o = r.Uint64N(s.size)
	}
	return fmt.Appendf(b, "\t%16x %s+0x%x (%s)\n", s.start+o, f.sym, o, f.dso)
}
