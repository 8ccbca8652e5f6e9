package perfscript

import "bytes"

// A memo of sample bodies. perf prints the same call path with the same
// bytes every time (return addresses are fixed per call site; only the leaf
// line, the instruction pointer, varies), so the lines of a sample after its
// leaf line repeat often. Their folded frames are kept with those exact
// bytes, and a sample whose lines after the leaf are byte for byte the same
// as a kept one (up to its blank line) is folded without parsing them again.
//
// The memo is exact: an entry is made only from lines that were all frame
// lines, whose frames depend on nothing but their bytes, the options and
// whether the comm starts with "java" (there is one index for each). The
// entries are found by their first few lines and checked whole. The memos
// of one Read take at most Sizes.Memo bytes in all.

const (
	memoHead     = 4   // lines after the leaf line that index an entry
	memoCands    = 8   // entries with the same head lines
	memoOverhead = 128 // bytes an entry takes beyond its strings
)

// memo is what the lines of a sample after its leaf line fold to.
type memo struct {
	rest  string // the lines, each with its '\n'
	frag  string // ";name" for each of their frames, root first
	lines int    // how many lines they are
	tail  []byte // the tailKey of the last sample folded with this entry
	stack int    // the stack that sample folded to, or -1
}

// plainStart reports a byte that starts a frame line (and no other line
// perf prints).
func plainStart(c byte) bool { return c == '\t' || c == ' ' }

// body is called after a header line that ends at data[i-1]. It folds the
// lines of the sample that follow, up to its blank line, and returns where
// it stopped: from the memo when the lines after the leaf are those of an
// entry, else line by line, keeping them as an entry when it can. It stops
// early, leaving the rest to the caller, at a line that does not start like
// a frame line or at the end of data.
func (p *parser) body(data []byte, i int) int {
	p.started = false
	if len(p.frames) != 0 || i >= len(data) || !plainStart(data[i]) {
		return i
	}
	j := bytes.IndexByte(data[i:], '\n')
	if j < 0 {
		return i
	}
	p.line(data[i : i+j]) // the leaf line
	i += j + 1

	end, ok := headEnd(data, i)
	if !ok || end == i {
		return i
	}
	java := 0
	if p.java {
		java = 1
	}
	cands := p.memoIdx[java][string(data[i:end])]
	if r, ok := p.recall(cands, data, i); ok {
		return r
	}
	k0, lines, skipped := len(p.frames), p.lines, p.skipped.Lines
	stop, whole := p.foldLines(data, i)
	if whole && p.skipped.Lines == skipped {
		p.remember(java, cands, data[i:stop], end-i, k0, p.lines-lines)
	}
	return stop
}

// headEnd returns the end of the head lines that index an entry, the
// memoHead lines from start or all the frame lines when there are fewer.
// It reports false when a line is cut by the end of data.
func headEnd(data []byte, start int) (int, bool) {
	end := start
	for range memoHead {
		if end >= len(data) || !plainStart(data[end]) {
			break
		}
		j := bytes.IndexByte(data[end:], '\n')
		if j < 0 {
			return 0, false
		}
		end += j + 1
	}
	return end, true
}

// recall looks for the entry among cands whose lines data holds from start,
// up to a blank line. When there is one, it becomes the sample's memo hit
// and recall returns where its lines end.
func (p *parser) recall(cands []int32, data []byte, start int) (int, bool) {
	for n, c := range cands {
		e := &p.memos[c]
		if r := start + len(e.rest); r < len(data) && data[r] == '\n' && string(data[start:r]) == e.rest {
			copy(cands[1:n+1], cands[:n]) // most recently used first
			cands[0] = c
			p.hit = int(c)
			p.lines += e.lines
			return r, true
		}
	}
	return 0, false
}

// foldLines folds the frame lines of data from i and returns where it
// stopped, and whether that is the sample's blank line (which it leaves to
// the caller) rather than another line or the end of data.
func (p *parser) foldLines(data []byte, i int) (int, bool) {
	for {
		if i >= len(data) || !plainStart(data[i]) {
			return i, i < len(data) && data[i] == '\n'
		}
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return i, false
		}
		p.line(data[i : i+j])
		i += j + 1
	}
}

// remember keeps rest, the lines after the leaf whose first head bytes index
// it and which folded to the frames from the k0-th, as an entry of the
// index java beside cands, when there is room.
func (p *parser) remember(java int, cands []int32, rest []byte, head, k0, lines int) {
	if len(cands) >= memoCands {
		return
	}
	cost := len(rest) + memoOverhead
	if len(cands) == 0 {
		cost += head
	}
	for _, f := range p.frames[k0:] {
		cost += 1 + len(f.name) + len(noteText[f.note])
	}
	if cost > p.memoLeft {
		return
	}
	p.memoLeft -= cost
	frag := p.appendFrames(p.key[:0], k0)
	p.key = frag
	if p.memoIdx[java] == nil {
		p.memoIdx[java] = make(map[string][]int32)
	}
	p.memos = append(p.memos, memo{rest: string(rest), frag: string(frag), lines: lines, stack: -1})
	p.memoIdx[java][string(rest[:head])] = append(cands, int32(len(p.memos)-1))
}
