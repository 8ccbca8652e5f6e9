package flamegraph

import (
	"math"
	"strings"
)

// merger builds the tree from lines in order, by walking common prefixes
// with the previous line: frames shared with it are extended, the others
// closed, the new ones opened. Sorted lines thus merge into flamegraph.pl's
// tree, and a flame chart's lines in time order merge only adjacent
// identical frames.
type merger struct {
	t            *tree
	differential bool
	chain        bool    // the chain palette's waker frames
	minTime      float64 // frames that close narrower are dropped
	open         []int   // open frame indexes by depth
	time         float64 // counts of the lines merged
	prev         string  // the previous line's stack, whose frames are open
}

// newMerger returns a merger for lines whose counts sum to total. Unless a
// count is negative, a frame is at least as wide as any of its
// descendants, and a frame that closes narrower than the narrowest drawn
// is dropped with its subtree as it closes, as prune would drop them:
// the tree holds the frames drawn, not every frame.
func newMerger(c *config, differential bool, total float64, negative bool) *merger {
	m := &merger{t: &tree{maxDelta: 1}, differential: differential, chain: c.Colors == PaletteChain, minTime: math.Inf(-1)}
	if !negative {
		m.minTime = c.minTime(c.timeMax(total))
	}
	return m
}

// add merges the next line.
func (m *merger) add(l inputLine) {
	t := m.t
	stack := l.stack
	if m.chain {
		stack = chainStack(stack)
	}
	// perl's split drops trailing empty fields.
	stack = strings.TrimRight(stack, ";")
	var delta float64
	if m.differential {
		delta = l.count - l.before
		t.maxDelta = max(t.maxDelta, math.Abs(delta))
	}
	// Depth 0 is the root, named "", opened by the first line. Keep the
	// frames shared with the open ones, close the rest, open the new.
	rest, d := stack, 0
	if len(m.open) > 0 {
		common := min(l.shared, len(m.prev), len(stack))
		if m.chain {
			common = commonPrefix(m.prev, stack)
		}
		shared, at := sharedFrames(m.prev, stack, common)
		rest, d = stack[at:], 1+shared
	}
	m.prev = stack
	m.closeFrom(d)
	if d == 0 {
		m.open = append(m.open, 0)
		t.frames = append(t.frames, frame{parent: -1, start: m.time})
		if rest == "" {
			t.frames[0].delta = delta
		}
		d = 1
	}
	for ; rest != ""; d++ {
		f := frame{depth: d, parent: m.open[d-1], start: m.time}
		if f.name, rest, _ = strings.Cut(rest, ";"); rest == "" {
			f.delta = delta // the leaf
		}
		m.open = append(m.open, len(t.frames))
		t.frames = append(t.frames, f)
	}
	m.time += l.count
}

// closeFrom closes the open frames from depth d up.
func (m *merger) closeFrom(d int) {
	if d >= len(m.open) {
		return
	}
	end := perlKeyNumber(m.time)
	cut := -1
	for _, i := range m.open[d:] {
		m.t.frames[i].end = end
		if cut < 0 && end-m.t.frames[i].start < m.minTime {
			cut = i
		}
	}
	if cut >= 0 {
		// The frames from cut on are its subtree, all closed now.
		m.t.frames = m.t.frames[:cut]
	}
	m.open = m.open[:d]
}

// finish closes the frames still open and returns the tree.
func (m *merger) finish() *tree {
	m.closeFrom(0)
	m.t.total = m.time
	return m.t
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
