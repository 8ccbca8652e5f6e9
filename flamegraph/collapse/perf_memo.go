package collapse

import "bytes"

// A memo of sample bodies. perf prints the same call path with the same
// bytes every time (return addresses are fixed per call site; only the leaf
// line, the instruction pointer, varies), so the lines of a sample after its
// leaf line repeat often. Their folded frames are kept, keyed by those exact
// bytes, and a sample whose body was seen before is folded without parsing
// it again. The memo is exact: it is used only for lines that were all
// stack lines, whose frames depend on nothing but their bytes, the options
// and whether the comm starts with "java" (one memo for each). It is bounded
// by perfMemoBudget bytes.

// perfMemoBudget bounds the bytes the memos of one Perf call keep, in all.
const perfMemoBudget = 8 << 20

// perfMemoOverhead is what an entry costs beyond its key and value bytes.
const perfMemoOverhead = 64

// perfMemo is what the lines of a sample after its leaf line fold to.
type perfMemo struct {
	frag  string // ";name" for each of their frames, root first
	lines int    // how many lines they are
}

// body is called after a header line that ends at data[i-1]. It folds the
// sample's lines that follow, up to its blank line, and returns where it
// stopped. It leaves the lines to the caller when the sample does not end
// in data or does not start with a stack line.
func (p *perfParser) body(data []byte, i int) int {
	p.started = false
	if len(p.frames) != 0 || i >= len(data) || data[i] != '\t' && data[i] != ' ' {
		return i
	}
	end := p.blankAfter(data, i) // the '\n' that ends the last line
	if end < 0 {
		return i
	}
	leaf := i + bytes.IndexByte(data[i:], '\n')
	p.line(data[i:leaf]) // a stack line, or a line skipped
	i = leaf + 1
	if i > end {
		return i
	}
	rest := data[i : end+1]
	java := 0
	if p.java {
		java = 1
	}
	if e, ok := p.memo[java][string(rest)]; ok {
		p.restFrag = e.frag
		p.lines += e.lines
		return end + 1
	}
	k0, lines, skipped := len(p.frames), p.lines, p.skipped.Lines
	plain := true
	for i <= end {
		j := i + bytes.IndexByte(data[i:], '\n')
		l := data[i:j]
		plain = plain && len(l) > 0 && (l[0] == '\t' || l[0] == ' ')
		p.line(l)
		i = j + 1
	}
	p.started = false
	if !plain || !p.inSample || p.skipped.Lines != skipped || p.memoLeft <= 0 {
		return i
	}
	b := p.fragBuf[:0]
	for k := len(p.frames) - 1; k >= k0; k-- {
		f := &p.frames[k]
		b = append(append(append(b, ';'), f.name...), perfNoteText[f.note]...)
	}
	p.fragBuf = b
	if cost := len(rest) + len(b) + perfMemoOverhead; cost <= p.memoLeft {
		if p.memo[java] == nil {
			p.memo[java] = make(map[string]perfMemo)
		}
		p.memo[java][string(rest)] = perfMemo{frag: string(b), lines: p.lines - lines}
		p.memoLeft -= cost
	}
	return i
}

// blankAfter returns the index of the first "\n\n" in data at or after i,
// or -1. It remembers the answer, so that a stretch of data without a blank
// line is searched once.
func (p *perfParser) blankAfter(data []byte, i int) int {
	if p.blankAt < i {
		p.blankAt = len(data)
		if k := bytes.Index(data[i:], []byte("\n\n")); k >= 0 {
			p.blankAt = i + k
		}
	}
	if p.blankAt == len(data) {
		return -1
	}
	return p.blankAt
}
