package scope

import (
	"errors"
	"fmt"
	"time"
)

// ErrStep: a latency map's column width out of range (not positive, or so
// small that the map would have more than MaxLatencyColumns columns).
var ErrStep = errors.New("scope: latency map step out of range")

// MaxLatencyColumns bounds a latency map's columns.
const MaxLatencyColumns = 10000

// autoColumns is how many columns an automatic step aims at, at most.
const autoColumns = 60

// LatencyMap is a latency heat map: x is time, in columns of Step
// seconds, y the blocks' durations in log2 buckets (LatencyBucket), and
// each cell counts the blocks that ended in its column with a duration in
// its bucket. It marshals to JSON with the names below.
type LatencyMap struct {
	// Start is the start of column 0, in seconds on the blocks' clock: the
	// first block's end rounded down to a multiple of Step.
	Start float64 `json:"start"`
	// Step is a column's width in seconds.
	Step float64 `json:"step"`
	// Columns is the number of columns.
	Columns int `json:"columns"`
	// Buckets are the rows, the shortest durations first: the buckets from
	// the lowest one counted to the highest (see LatencyBucket).
	Buckets []LatencyRow `json:"buckets"`
	// Values[c][r] counts the blocks of column c and row r.
	Values [][]int `json:"values"`
	// MaxValue is the largest count.
	MaxValue int `json:"maxvalue"`

	start, step time.Duration // Start and Step, exactly
}

// cell returns the column and row of a block of the map.
func (m *LatencyMap) cell(bl Block) (col, row int) {
	return int((bl.End - m.start) / m.step), LatencyBucket(bl.Duration) - m.Buckets[0].Bucket
}

// LatencyRow is a row of a latency map: a bucket and its bounds in
// microseconds.
type LatencyRow struct {
	Bucket int    `json:"bucket"`
	Low    uint64 `json:"low"`
	High   uint64 `json:"high"`
}

// LatencyOptions choose a latency map's columns.
type LatencyOptions struct {
	// Step is a column's width; 0 picks the shortest of 1, 2 and 5 times
	// a power of ten, from 1 ms, that makes at most 60 columns.
	Step time.Duration
}

// LatencyMap returns the latency heat map of b's blocks. A Step that is
// negative or makes more than MaxLatencyColumns columns fails with an error
// wrapping ErrStep; blocks without one fail with ErrNoOffCPU.
func (b *Blocks) LatencyMap(opts LatencyOptions) (*LatencyMap, error) {
	if len(b.Blocks) == 0 {
		return nil, ErrNoOffCPU
	}
	first, last := b.Blocks[0].End, b.Blocks[0].End
	lo, hi := LatencyBucket(b.Blocks[0].Duration), 0
	for _, bl := range b.Blocks {
		first, last = min(first, bl.End), max(last, bl.End)
		k := LatencyBucket(bl.Duration)
		lo, hi = min(lo, k), max(hi, k)
	}
	step := opts.Step
	if step < 0 {
		return nil, fmt.Errorf("%w: %v", ErrStep, step)
	}
	if step == 0 {
		step = autoStep(last - first)
	}
	start := first / step * step
	cols := (last-start)/step + 1
	if cols > MaxLatencyColumns {
		return nil, fmt.Errorf("%w: %v makes %d columns of %v (at most %d)", ErrStep, step, cols, last-start, MaxLatencyColumns)
	}
	m := &LatencyMap{Start: start.Seconds(), Step: step.Seconds(), Columns: int(cols), Values: make([][]int, cols), start: start, step: step}
	for k := lo; k <= hi; k++ {
		low, high := BucketBounds(k)
		m.Buckets = append(m.Buckets, LatencyRow{Bucket: k, Low: low, High: high})
	}
	cells := make([]int, int(cols)*len(m.Buckets))
	for c := range m.Values {
		m.Values[c] = cells[c*len(m.Buckets) : (c+1)*len(m.Buckets) : (c+1)*len(m.Buckets)]
	}
	for _, bl := range b.Blocks {
		c, r := m.cell(bl)
		m.Values[c][r]++
		m.MaxValue = max(m.MaxValue, m.Values[c][r])
	}
	return m, nil
}

// autoStep returns the shortest of 1, 2 and 5 times a power of ten, from
// 1 ms, that cuts span into at most autoColumns columns.
func autoStep(span time.Duration) time.Duration {
	for unit := time.Millisecond; ; unit *= 10 {
		for _, f := range []time.Duration{1, 2, 5} {
			if s := f * unit; span/s < autoColumns-1 {
				return s
			}
		}
	}
}
