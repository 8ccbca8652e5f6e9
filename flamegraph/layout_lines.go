package flamegraph

import (
	"cmp"
	"slices"
	"strings"
)

// inputLine is one input line as flamegraph.pl sees it.
type inputLine struct {
	stack  string
	shared int    // bytes stack has in common with the previous line's
	counts string // " count", or " before after" for a differential; set for sorting
	count  float64
	before float64
}

// newInputLine returns the line of a stack, reversed and cut at maxDepth
// as c says, and counts it in st.
func newInputLine(s Stack, c *config, maxDepth int, st *RenderStats) inputLine {
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
	return inputLine{stack: stack, count: s.Count, before: s.Before}
}

// appendCounts appends a line's counts as its text has them: " count", or
// " before after" in a differential profile.
func appendCounts(b []byte, l inputLine, differential bool) []byte {
	b = append(b, ' ')
	if differential {
		b = AppendCount(b, l.before)
		b = append(b, ' ')
	}
	return AppendCount(b, l.count)
}

// sortedLines returns the profile's lines sorted as flamegraph.pl sorts
// them: it sorts the whole text lines, counts included, so a stack sorts
// before its extensions (' ' < ';'). It fills in st.
func sortedLines(p *Profile, c *config, st *RenderStats) []inputLine {
	lines := make([]inputLine, len(p.Stacks))
	maxDepth := max(c.MaxDepth, 0)
	*st = RenderStats{MaxDepth: maxDepth}
	// The counts as text, which the sort reads, in one string.
	var counts []byte
	ends := make([]int, len(p.Stacks))
	for i, s := range p.Stacks {
		lines[i] = newInputLine(s, c, maxDepth, st)
		counts = appendCounts(counts, lines[i], p.Differential)
		ends[i] = len(counts)
	}
	text, start := string(counts), 0
	for i, end := range ends {
		lines[i].counts, start = text[start:end], end
	}
	slices.SortStableFunc(lines, func(a, b inputLine) int {
		return compareJoined([2]string{a.stack, a.counts}, [2]string{b.stack, b.counts})
	})
	for i := 1; i < len(lines); i++ {
		lines[i].shared = commonPrefix(lines[i-1].stack, lines[i].stack)
	}
	return lines
}

// compareLines compares line a with line b, which follows it, as text:
// stack then counts. b.shared is the length of their stacks' common prefix.
func compareLines(a, b inputLine, differential bool) int {
	n := b.shared
	if n < len(a.stack) && n < len(b.stack) {
		return cmp.Compare(a.stack[n], b.stack[n])
	}
	// One stack is the other's prefix: the counts decide, mostly at once
	// (' ' against ';').
	var ab, bb [64]byte
	at, ac := a.stack[n:], appendCounts(ab[:0], a, differential)
	bt, bc := b.stack[n:], appendCounts(bb[:0], b, differential)
	for i := 0; ; i++ {
		x, okA := joinedByte(at, ac, i)
		y, okB := joinedByte(bt, bc, i)
		switch {
		case !okA || !okB:
			return cmp.Compare(len(at)+len(ac), len(bt)+len(bc))
		case x != y:
			return cmp.Compare(x, y)
		}
	}
}

// joinedByte returns byte i of s followed by b, if there is one.
func joinedByte(s string, b []byte, i int) (byte, bool) {
	if i < len(s) {
		return s[i], true
	}
	if i -= len(s); i < len(b) {
		return b[i], true
	}
	return 0, false
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
