package flamegraph

import (
	"math"
	"slices"
	"strconv"
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

// buildTree merges the profile's stacks into the tree of frames
// flamegraph.pl draws, and fills in st: in their order for a flame chart,
// or for a flame graph when they come sorted as flamegraph.pl sorts them
// (as collapse writes them), else sorted first.
func buildTree(p *Profile, c *config, st *RenderStats) *tree {
	if t, ok := mergeInOrder(p, c, st); ok {
		return t
	}
	lines := sortedLines(p, c, st)
	var total float64 // as the merger sums them, in order
	negative := false
	for _, l := range lines {
		total += l.count
		negative = negative || l.count < 0
	}
	m := newMerger(c, p.Differential, total, negative)
	for _, l := range lines {
		m.add(l)
	}
	return m.finish()
}

// mergeInOrder merges the stacks in their order, stack by stack, without
// a slice of lines. A flame graph's stacks must come sorted: ok is false
// at the first that does not.
func mergeInOrder(p *Profile, c *config, st *RenderStats) (_ *tree, ok bool) {
	var total float64
	negative := false
	for _, s := range p.Stacks {
		total += s.Count
		negative = negative || s.Count < 0
	}
	m := newMerger(c, p.Differential, total, negative)
	maxDepth := max(c.MaxDepth, 0)
	*st = RenderStats{MaxDepth: maxDepth}
	var prev inputLine
	for i, s := range p.Stacks {
		l := newInputLine(s, c, maxDepth, st)
		if i > 0 {
			l.shared = commonPrefix(prev.stack, l.stack)
			if !c.FlameChart && compareLines(prev, l, p.Differential) > 0 {
				return nil, false
			}
		}
		m.add(l)
		prev = l
	}
	return m.finish(), true
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
