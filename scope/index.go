package scope

import (
	"fmt"
	"math"
	"slices"

	"github.com/flamekit/flamekit/flamegraph"
)

// Index is a profile prepared for a page that shows its heat map and the
// flame graphs of many ranges: the heat map, made once, and for every cell,
// and every column, the list of its distinct stacks with their counts. A
// range's profile is assembled from the lists of the columns and cells it
// covers whole and the samples of the two cells it cuts, so its cost grows
// with the distinct stacks of those, not with its samples. An Index is
// safe for concurrent use.
type Index struct {
	p    *Profile
	opts Options
	rows int
	base float64
	heat *HeatMap
	// Cells are numbered column*rows + k, k the row from the bottom (the
	// offset's rank within the second): in time order, so a cell's samples
	// are the run from cellStart[c] to cellStart[c+1].
	cellStart []int32
	pairStart []int32 // cell c's stacks are pairs[pairStart[c]:pairStart[c+1]]
	pairs     []StackCount
	// The same for whole columns, for the seconds a range covers whole.
	colStart []int32
	colPairs []StackCount
}

// NewIndex indexes p with opts, or fails with an error wrapping ErrRows.
func NewIndex(p *Profile, opts Options) (*Index, error) {
	rows, err := opts.rows()
	if err != nil {
		return nil, err
	}
	ix := &Index{p: p, opts: opts, rows: rows, base: math.Floor(p.start)}
	cols := p.Seconds()
	n := cols * rows
	ix.cellStart = make([]int32, n+1)
	ix.pairStart = make([]int32, n+1)
	counts := make([]uint32, len(p.stacks))
	var touched []uint32
	next := 0 // the cell whose start is set next
	flush := func() {
		slices.Sort(touched)
		for _, id := range touched {
			ix.pairs = append(ix.pairs, StackCount{Stack: id, Count: counts[id]})
			counts[id] = 0
		}
		touched = touched[:0]
	}
	for i, t := range p.times {
		c := ix.key(t)
		if c < next-1 {
			return nil, fmt.Errorf("%w: sample %d at %v s is out of time order", ErrFormat, i, t)
		}
		for next <= c {
			flush()
			ix.cellStart[next], ix.pairStart[next] = int32(i), int32(len(ix.pairs))
			next++
		}
		id := p.ids[i]
		if counts[id] == 0 {
			touched = append(touched, id)
		}
		counts[id]++
	}
	flush()
	for ; next <= n; next++ {
		ix.cellStart[next], ix.pairStart[next] = int32(len(p.times)), int32(len(ix.pairs))
	}
	ix.heat = ix.heatMap(cols)
	ix.columnLists(cols, counts)
	return ix, nil
}

// columnLists sums the lists of each column's cells, with counts, zero,
// as scratch.
func (ix *Index) columnLists(cols int, counts []uint32) {
	ix.colStart = make([]int32, cols+1)
	var touched []uint32
	for col := range cols {
		ix.colStart[col] = int32(len(ix.colPairs))
		first, end := col*ix.rows, (col+1)*ix.rows
		for _, sc := range ix.pairs[ix.pairStart[first]:ix.pairStart[end]] {
			if counts[sc.Stack] == 0 {
				touched = append(touched, sc.Stack)
			}
			counts[sc.Stack] += sc.Count
		}
		slices.Sort(touched)
		for _, id := range touched {
			ix.colPairs = append(ix.colPairs, StackCount{Stack: id, Count: counts[id]})
			counts[id] = 0
		}
		touched = touched[:0]
	}
	ix.colStart[cols] = int32(len(ix.colPairs))
}

// key returns the cell of a sample at t.
func (ix *Index) key(t float64) int {
	col, row := cell(t, ix.base, ix.rows)
	return col*ix.rows + ix.rows - 1 - row
}

// heatMap counts the cells' samples.
func (ix *Index) heatMap(cols int) *HeatMap {
	h := newHeatMap(cols, ix.rows)
	for c := range cols * ix.rows {
		v := 0
		for _, sc := range ix.pairs[ix.pairStart[c]:ix.pairStart[c+1]] {
			if ix.opts.Idle || !ix.p.stacks[sc.Stack].Idle {
				v += int(sc.Count)
			}
		}
		col, k := c/ix.rows, c%ix.rows
		h.Values[col][ix.rows-1-k] = v
		h.MaxValue = max(h.MaxValue, v)
	}
	return h
}

// Profile returns the indexed profile.
func (ix *Index) Profile() *Profile { return ix.p }

// HeatMap returns the heat map (the same each call: do not modify it).
func (ix *Index) HeatMap() *HeatMap { return ix.heat }

// Cell returns the stacks of a heat map cell, column and row as in
// HeatMap.Values, with their counts, idle ones included (Stacks says which
// are idle), sorted by stack; nil for a cell outside the map.
func (ix *Index) Cell(column, row int) []StackCount {
	if column < 0 || row < 0 || row >= ix.rows || column >= len(ix.heat.Columns) {
		return nil
	}
	c := column*ix.rows + ix.rows - 1 - row
	return ix.pairs[ix.pairStart[c]:ix.pairStart[c+1]]
}

// Range returns the folded profile of the samples in r, as Profile.Range
// does with the index's Options.
func (ix *Index) Range(r Range) (*flamegraph.Profile, error) {
	i, j, err := ix.p.samples(r)
	if err != nil {
		return nil, err
	}
	t := newTally(ix.p, ix.opts.Idle)
	if i < j {
		first, last := ix.key(ix.p.times[i]), ix.key(ix.p.times[j-1])
		if first == last {
			ix.addSamples(t, i, j)
		} else {
			ix.addSamples(t, i, int(ix.cellStart[first+1]))
			for c := first + 1; c < last; {
				if c%ix.rows == 0 && c+ix.rows <= last { // a whole second
					col := c / ix.rows
					ix.addPairs(t, ix.colPairs[ix.colStart[col]:ix.colStart[col+1]])
					c += ix.rows
					continue
				}
				ix.addPairs(t, ix.pairs[ix.pairStart[c]:ix.pairStart[c+1]])
				c++
			}
			ix.addSamples(t, int(ix.cellStart[last]), j)
		}
	}
	return finish(t, r)
}

// addPairs counts the stacks of a list.
func (ix *Index) addPairs(t *tally, pairs []StackCount) {
	for _, sc := range pairs {
		t.add(sc.Stack, sc.Count)
	}
}

// addSamples counts the samples i to j.
func (ix *Index) addSamples(t *tally, i, j int) {
	for _, id := range ix.p.ids[i:j] {
		t.add(id, 1)
	}
}

// Diff returns the differential profile of two ranges, as flamekit diff
// makes one (flamegraph.Diff, with diff): before's counts in Before,
// after's in Count. Ranges of two profiles make one the same way: Range
// each and call flamegraph.Diff.
func (ix *Index) Diff(before, after Range, diff flamegraph.DiffOptions) (*flamegraph.Profile, error) {
	b, err := ix.Range(before)
	if err != nil {
		return nil, err
	}
	a, err := ix.Range(after)
	if err != nil {
		return nil, err
	}
	return flamegraph.Diff(b, a, diff), nil
}
