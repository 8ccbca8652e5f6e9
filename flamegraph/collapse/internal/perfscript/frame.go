package perfscript

import (
	"bytes"

	"github.com/flamekit/flamekit/flamegraph"
)

// unknown is how perf script prints a symbol, or a dso, it does not know.
const unknown = "[unknown]"

// symbolFrames adds the frames of a frame line like
//
//	ffffffff8103ce3b native_safe_halt+0xb ([kernel.kallsyms])
//
// from its address pc, its symbol raw without the offset and its dso mod,
// which is the text of modID.
func (p *parser) symbolFrames(pc, raw, mod []byte) {
	if len(raw) == 0 || raw[0] == '(' {
		return // no name, or a process name: no frame
	}
	name, ok := simpleName(raw)
	if !ok || p.java && name[0] == 'L' || name[0] == '[' && string(name) == unknown {
		p.rewrite(pc, raw, mod)
		return
	}
	n := p.noteFor()
	if n == noteJIT && bytes.Contains(name, []byte(flamegraph.JITSuffix)) {
		n = noteNone
	}
	p.frames = append(p.frames, frame{name: name, note: n})
}

// splitFrameLine splits a frame line into the address, the symbol and the
// dso. The line is: optional spaces, a word (the address), optional spaces,
// the symbol, " (", the dso, ")". The dso ends at the last ')' and starts
// after the last " (" before it; the symbol must have at least one byte, and
// when the spaces or the word leave none, they give one up.
//
// last is the dso of the previous line: most lines end with the same one,
// and then same is true and the dso is found without a search. (A dso never
// contains " (", so when the line ends in " (last)" that is the last " (".)
func splitFrameLine(l, last []byte) (pc, sym, mod []byte, same, ok bool) {
	n, m := len(l), len(last)
	q, s := -1, -1
	if n >= m+3 && l[n-1] == ')' && l[n-m-3] == ' ' && l[n-m-2] == '(' && string(l[n-m-1:n-1]) == string(last) {
		q, s, same = n-1, n-m-3, true
	}
	i := 0
	for i < len(l) && isSpace(l[i]) {
		i++
	}
	if i == len(l) || class[l[i]]&clsWord == 0 {
		return nil, nil, nil, false, false
	}
	w := i + 1
	for w < len(l) && class[l[w]]&clsWord != 0 {
		w++
	}
	f := w
	for f < len(l) && isSpace(l[f]) {
		f++
	}
	if s < 0 {
		q = n - 1
		for q > f && l[q] != ')' {
			q--
		}
		// The " (" that opens the dso: the last one that ends before q.
		for k := q - 1; k > i; k-- {
			if l[k] == '(' && l[k-1] == ' ' {
				s = k - 1
				break
			}
		}
		if s < 0 || l[q] != ')' {
			return nil, nil, nil, false, false
		}
	}
	mod = l[s+2 : q]
	switch {
	case s > f: // the usual case
		return l[i:w], l[f:s], mod, same, true
	case s == f-1 && f-w >= 2: // "addr  (dso)": the symbol is one space
		return l[i:w], l[f-2 : f-1], mod, same, true
	case s == f-1 && w-i >= 2: // "word (dso)": the symbol is the last byte of the word
		return l[i : w-1], l[w-1 : w], mod, same, true
	}
	return nil, nil, nil, false, false
}

// trimOffset removes a final "+0x<lower-case hex>" from a symbol.
func trimOffset(b []byte) []byte {
	j := len(b)
	for j > 0 && class[b[j-1]]&clsHex != 0 {
		j--
	}
	if j < len(b) && j >= 3 && b[j-3] == '+' && b[j-2] == '0' && b[j-1] == 'x' {
		return b[:j-3]
	}
	return b
}

// rewrite adds the frames of a symbol that needs work: inline chains
// ("outer->inner", inner frames marked flamegraph.InlinedSuffix), unknown
// symbols (named after the dso, or its address), and tidying.
func (p *parser) rewrite(pc, raw, mod []byte) {
	p.fields = p.fields[:0]
	for {
		i := bytes.Index(raw, []byte("->"))
		if i < 0 {
			p.fields = append(p.fields, raw)
			break
		}
		p.fields = append(p.fields, raw[:i])
		raw = raw[i+2:]
	}
	for len(p.fields) > 0 && len(p.fields[len(p.fields)-1]) == 0 {
		p.fields = p.fields[:len(p.fields)-1] // trailing empty fields are dropped
	}
	p.group = p.group[:0]
	for j, fn := range p.fields {
		start := len(p.scratch)
		if string(fn) == unknown {
			p.scratch = append(p.scratch, '[')
			if string(mod) != unknown {
				p.scratch = append(p.scratch, base(mod)...)
			} else {
				p.scratch = append(p.scratch, "unknown"...)
			}
			if p.addrs {
				p.scratch = append(append(append(p.scratch, " <"...), pc...), '>')
			}
			p.scratch = append(p.scratch, ']')
		} else {
			p.scratch = append(p.scratch, fn...)
		}
		name := tidy(p.scratch[start:])
		p.scratch = p.scratch[:start+len(name)]
		if p.java && len(name) > 0 && name[0] == 'L' && bytes.IndexByte(name, '/') >= 0 {
			start++ // drop the L
		}
		switch {
		case j > 0:
			if !bytes.Contains(name, []byte(flamegraph.InlinedSuffix)) {
				p.scratch = append(p.scratch, flamegraph.InlinedSuffix...)
			}
		case p.kernel && isKernelDSO(mod):
			p.scratch = append(p.scratch, flamegraph.KernelSuffix...)
		case p.jit && isJITDSO(mod) && !bytes.Contains(name, []byte(flamegraph.JITSuffix)):
			p.scratch = append(p.scratch, flamegraph.JITSuffix...)
		}
		p.group = append(p.group, frame{name: p.scratch[start:len(p.scratch):len(p.scratch)]})
	}
	for j := len(p.group) - 1; j >= 0; j-- {
		p.frames = append(p.frames, p.group[j])
	}
	clear(p.group)
}
