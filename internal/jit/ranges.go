package jit

import (
	"container/heap"
	"slices"
	"sort"
)

// span is the address range [start, end) of one JIT symbol; in a slice of
// spans, a later one takes precedence where they overlap.
type span struct{ start, end uint64 }

// segment is a piece of the address space named by spans[idx].
type segment struct {
	start, end uint64
	idx        int
}

// latestWins flattens spans into sorted, disjoint segments, each naming the
// latest span that covers it: a sweep over the range boundaries with a heap
// of the spans open there, latest on top. Empty spans are dropped.
func latestWins(spans []span) []segment {
	order := make([]int, 0, len(spans))
	points := make([]uint64, 0, 2*len(spans))
	for i, s := range spans {
		if s.start < s.end {
			order = append(order, i)
			points = append(points, s.start, s.end)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return spans[order[a]].start < spans[order[b]].start })
	slices.Sort(points)
	points = slices.Compact(points)
	var open latestHeap
	var segs []segment
	next := 0
	for i := 0; i+1 < len(points); i++ {
		p := points[i]
		for next < len(order) && spans[order[next]].start <= p {
			heap.Push(&open, order[next])
			next++
		}
		for open.Len() > 0 && spans[open[0]].end <= p {
			heap.Pop(&open)
		}
		if open.Len() == 0 {
			continue
		}
		top := open[0]
		if n := len(segs); n > 0 && segs[n-1].idx == top && segs[n-1].end == p {
			segs[n-1].end = points[i+1]
		} else {
			segs = append(segs, segment{p, points[i+1], top})
		}
	}
	return segs
}

// lookupSegment returns the idx of the segment holding addr.
func lookupSegment(segs []segment, addr uint64) (int, bool) {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].end > addr })
	if i == len(segs) || segs[i].start > addr {
		return 0, false
	}
	return segs[i].idx, true
}

// latestHeap is a max-heap of span indices.
type latestHeap []int

func (h latestHeap) Len() int           { return len(h) }
func (h latestHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h latestHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *latestHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *latestHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
