package flamegraph

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// frame is one merged frame: a node of the call tree, with its extent on the
// x axis in counts.
type frame struct {
	name       string // as in the input, annotation included
	depth      int
	parent     int // index of the parent frame, -1 for the root
	start, end float64
	delta      float64 // differential: change of the first stack ending here
}

// tree is the merged frames in pre-order: a parent before its children,
// siblings from left to right.
type tree struct {
	frames   []frame
	total    float64 // sum of the counts
	maxDelta float64 // largest absolute change, at least 1
}

// inputLine is one input line as flamegraph.pl sees it.
type inputLine struct {
	stack  string
	shared int    // bytes stack has in common with the previous line's
	counts string // " count", or " before after" for a differential
	count  float64
	before float64
}

// inputLines turns the profile into lines, reversed, cut at c.MaxDepth and
// sorted as flamegraph.pl does: it sorts the whole text lines, counts
// included, so a stack sorts before its extensions (' ' < ';'). It fills in
// st.
func inputLines(p *Profile, c *config, st *RenderStats) []inputLine {
	lines := make([]inputLine, len(p.Stacks))
	maxDepth := max(c.MaxDepth, 0)
	*st = RenderStats{MaxDepth: maxDepth}
	// The counts as text, which only the sort reads, in one string.
	var counts []byte
	var countEnds []int
	if !c.FlameChart {
		countEnds = make([]int, len(p.Stacks))
	}
	for i, s := range p.Stacks {
		stack := s.Frames
		if c.Reverse {
			parts := splitFrames(stack)
			slices.Reverse(parts)
			stack = strings.Join(parts, ";")
		}
		stack, depth, cut := cutStack(stack, maxDepth)
		st.Deepest = max(st.Deepest, depth)
		if cut {
			st.CutStacks++
		}
		lines[i] = inputLine{stack: stack, count: s.Count, before: s.Before}
		if !c.FlameChart {
			counts = append(counts, ' ')
			if p.Differential {
				counts = AppendCount(counts, s.Before)
				counts = append(counts, ' ')
			}
			counts = AppendCount(counts, s.Count)
			countEnds[i] = len(counts)
		}
	}
	if c.FlameChart {
		markShared(lines, false)
		return lines
	}
	text, start := string(counts), 0
	for i, end := range countEnds {
		lines[i].counts, start = text[start:end], end
	}
	// Folded input is mostly sorted already (collapse writes it so).
	if !markShared(lines, true) {
		slices.SortStableFunc(lines, func(a, b inputLine) int {
			return compareJoined([2]string{a.stack, a.counts}, [2]string{b.stack, b.counts})
		})
		markShared(lines, false)
	}
	return lines
}

// markShared sets the shared prefix of each line with the one before it.
// With checkOrder it stops at the first line that sorts before the one
// before it and returns false.
func markShared(lines []inputLine, checkOrder bool) bool {
	for i := 1; i < len(lines); i++ {
		a, b := &lines[i-1], &lines[i]
		b.shared = commonPrefix(a.stack, b.stack)
		if checkOrder && compareLines(*a, *b, b.shared) > 0 {
			return false
		}
	}
	return true
}

// compareLines compares two lines as text, stack then counts, whose stacks
// have their longest common prefix shared bytes long.
func compareLines(a, b inputLine, shared int) int {
	if shared < len(a.stack) && shared < len(b.stack) {
		return cmp.Compare(a.stack[shared], b.stack[shared])
	}
	return compareJoined([2]string{a.stack[shared:], a.counts}, [2]string{b.stack[shared:], b.counts})
}

// cutStack returns a stack of at most maxDepth frames (0: any number) and
// the number of frames it had. A deeper stack keeps its first maxDepth
// frames, then CutFrame, and cut is true. Like perl's split, trailing empty
// frames do not count.
func cutStack(stack string, maxDepth int) (_ string, depth int, cut bool) {
	trimmed := strings.TrimRight(stack, ";")
	if trimmed == "" {
		return stack, 0, false
	}
	depth = strings.Count(trimmed, ";") + 1
	if maxDepth == 0 || depth <= maxDepth {
		return stack, depth, false
	}
	end := 0
	for range maxDepth {
		end += strings.IndexByte(trimmed[end:], ';') + 1
	}
	return trimmed[:end] + CutFrame, depth, true
}

// compareJoined compares a[0]+a[1] with b[0]+b[1] without joining them.
func compareJoined(a, b [2]string) int {
	for {
		if a[0] == "" {
			a[0], a[1] = a[1], ""
		}
		if b[0] == "" {
			b[0], b[1] = b[1], ""
		}
		if a[0] == "" || b[0] == "" {
			return cmp.Compare(len(a[0]), len(b[0]))
		}
		n := min(len(a[0]), len(b[0]))
		if c := strings.Compare(a[0][:n], b[0][:n]); c != 0 {
			return c
		}
		a[0], b[0] = a[0][n:], b[0][n:]
	}
}

// splitFrames splits a stack at ';' like perl's split: trailing empty fields
// are dropped.
func splitFrames(stack string) []string {
	parts := strings.Split(stack, ";")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// chainStack marks the frames after each WakerSeparator frame as wakers
// (WakerSuffix), and appends a WakerSeparator frame when there is none, as
// flamegraph.pl's chain palette does.
func chainStack(stack string) string {
	const sep = ";" + WakerSeparator + ";"
	parts := strings.Split(stack, sep)
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	var b strings.Builder
	b.WriteString(parts[0])
	b.WriteString(sep)
	for i, p := range parts[1:] {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(strings.ReplaceAll(p, ";", WakerSuffix+";"))
		b.WriteString(WakerSuffix)
	}
	return b.String()
}

// merge builds the tree from sorted lines by walking common prefixes with
// the previous line: frames shared with it are extended, the others closed,
// the new ones opened. A flame chart's unsorted lines thus merge only
// adjacent identical frames. A frame that closes narrower than minTime is
// dropped with its subtree, as prune would drop them: no line has a
// negative count (see canPruneEarly), so its descendants are no wider.
func merge(lines []inputLine, differential, chain bool, minTime float64) *tree {
	t := &tree{maxDelta: 1}
	var open []int // open frame indexes by depth
	var time float64
	closeFrom := func(d int) {
		if d >= len(open) {
			return
		}
		end := perlKeyNumber(time)
		cut := -1
		for _, i := range open[d:] {
			t.frames[i].end = end
			if cut < 0 && end-t.frames[i].start < minTime {
				cut = i
			}
		}
		if cut >= 0 {
			// The frames from cut on are its subtree, all closed now.
			t.frames = t.frames[:cut]
		}
		open = open[:d]
	}
	var prev string // the previous line's stack, whose frames are open
	for _, l := range lines {
		stack := l.stack
		if chain {
			stack = chainStack(stack)
		}
		// perl's split drops trailing empty fields.
		stack = strings.TrimRight(stack, ";")
		var delta float64
		if differential {
			delta = l.count - l.before
			t.maxDelta = max(t.maxDelta, math.Abs(delta))
		}
		// Depth 0 is the root, named "", opened by the first line. Keep the
		// frames shared with the open ones, close the rest, open the new.
		rest, d := stack, 0
		if len(open) > 0 {
			common := min(l.shared, len(prev), len(stack))
			if chain {
				common = commonPrefix(prev, stack)
			}
			shared, at := sharedFrames(prev, stack, common)
			rest, d = stack[at:], 1+shared
		}
		prev = stack
		closeFrom(d)
		if d == 0 {
			open = append(open, 0)
			t.frames = append(t.frames, frame{parent: -1, start: time})
			if rest == "" {
				t.frames[0].delta = delta
			}
			d = 1
		}
		for ; rest != ""; d++ {
			f := frame{depth: d, parent: open[d-1], start: time}
			if f.name, rest, _ = strings.Cut(rest, ";"); rest == "" {
				f.delta = delta // the leaf
			}
			open = append(open, len(t.frames))
			t.frames = append(t.frames, f)
		}
		time += l.count
	}
	closeFrom(0)
	t.total = time
	return t
}

// sharedFrames returns how many leading frames stack b has in common with
// stack a (both without trailing ';'), whose longest common prefix is l
// bytes, and where in b the frames after them start.
func sharedFrames(a, b string, l int) (n, at int) {
	if a == "" || b == "" {
		return 0, 0 // no frames, not one empty frame
	}
	n = strings.Count(b[:l], ";")
	switch {
	case l == len(a) && l == len(b):
		return n + 1, l
	case l == len(b) && a[l] == ';':
		return n + 1, l // b's last frame is one of a's
	case l == len(a) && b[l] == ';':
		return n + 1, l + 1 // a's last frame is one of b's
	}
	return n, strings.LastIndexByte(b[:l], ';') + 1
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	// Whole blocks first, which the runtime compares many bytes at a time.
	const block = 64
	for i+block <= n && a[i:i+block] == b[i:i+block] {
		i += block
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// canPruneEarly reports whether merge may drop narrow frames as they close:
// when no count is negative, a frame is at least as wide as any of its
// descendants.
func canPruneEarly(lines []inputLine) bool {
	for _, l := range lines {
		if l.count < 0 {
			return false
		}
	}
	return true
}

// perlKeyNumber returns v as flamegraph.pl gets it back from a hash key:
// numbers are stringified with 15 significant digits.
func perlKeyNumber(v float64) float64 {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return v
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	return r
}

// prune returns the frames at least minTime wide, in order; their
// descendants are narrower, so a dropped frame drops its subtree.
func (t *tree) prune(minTime float64) {
	kept := t.frames[:0]
	newIndex := make([]int, len(t.frames))
	for i, f := range t.frames {
		newIndex[i] = -1
		if f.end-f.start < minTime {
			continue
		}
		if f.parent >= 0 {
			f.parent = newIndex[f.parent]
		}
		newIndex[i] = len(kept)
		kept = append(kept, f)
	}
	t.frames = kept
}

// sortByWeight reorders siblings by weight, heaviest first (ties keep their
// order), places each frame's children from its left edge, and returns the
// frames in the new pre-order.
func (t *tree) sortByWeight() {
	children := make([][]int, len(t.frames))
	var roots []int
	for i, f := range t.frames {
		if f.parent < 0 {
			roots = append(roots, i)
		} else {
			children[f.parent] = append(children[f.parent], i)
		}
	}
	out := make([]frame, 0, len(t.frames))
	var walk func(i, parent int, start float64)
	walk = func(i, parent int, start float64) {
		f := t.frames[i]
		f.end = start + (f.end - f.start)
		f.start = start
		f.parent = parent
		self := len(out)
		out = append(out, f)
		kids := children[i]
		slices.SortStableFunc(kids, func(a, b int) int {
			wa, wb := t.frames[a].end-t.frames[a].start, t.frames[b].end-t.frames[b].start
			switch {
			case wa > wb:
				return -1
			case wa < wb:
				return 1
			}
			return 0
		})
		for _, k := range kids {
			walk(k, self, start)
			start += t.frames[k].end - t.frames[k].start
		}
	}
	for _, r := range roots {
		walk(r, -1, t.frames[r].start)
	}
	t.frames = out
}
