package scope

import (
	"fmt"
	"math"
)

// Heat map rows: the default, and the bounds Options.Rows may take.
const (
	DefaultRows = 50
	MinRows     = 10
	MaxRows     = 100
)

// Options choose the heat map's rows and whether idle samples count, in
// heat maps and ranges alike.
type Options struct {
	// Rows is the number of offsets a second is cut into: MinRows to
	// MaxRows, 0 meaning DefaultRows (20 ms a row).
	Rows int
	// Idle counts the samples of idle CPUs too (see the package doc).
	Idle bool
}

// rows returns the row count opts asks for, or an error wrapping ErrRows.
func (o Options) rows() (int, error) {
	switch {
	case o.Rows == 0:
		return DefaultRows, nil
	case o.Rows < MinRows || o.Rows > MaxRows:
		return 0, fmt.Errorf("%w: %d rows (%d to %d)", ErrRows, o.Rows, MinRows, MaxRows)
	}
	return o.Rows, nil
}

// HeatMap is FlameScope's sub-second offset heat map, in the JSON its
// heat-map API returns: Values[c][r] counts the samples of the second
// Columns[c] (counted from the profile's first whole second) whose offset
// within it falls in row r. Rows lists the offsets, in milliseconds, of
// the rows' starts, from the top: the last offset first, as FlameScope
// draws them. MaxValue is the largest count.
type HeatMap struct {
	Columns  []int     `json:"columns"`
	MaxValue int       `json:"maxvalue"`
	Rows     []float64 `json:"rows"`
	Values   [][]int   `json:"values"`
}

// cell returns the column and the row, from the top, of a sample at t
// seconds in a profile whose first whole second is base, computed as
// FlameScope computes them (float for float).
func cell(t, base float64, rows int) (col, row int) {
	col = int(math.Floor(t - base))
	frac := t - math.Floor(t) // Python's t % 1, exactly
	scaled := float64(rows) * frac
	row = rows - int(math.Floor(scaled)) - 1
	if row < 0 { // frac rounded up to 1: Python indexes the list from its end
		row += rows
	}
	return col, row
}

// newHeatMap returns a heat map of cols columns and rows rows, all zero.
func newHeatMap(cols, rows int) *HeatMap {
	h := &HeatMap{Columns: make([]int, cols), Rows: make([]float64, rows), Values: make([][]int, cols)}
	for i := range rows {
		h.Rows[rows-1-i] = 1000 * (float64(i) / float64(rows))
	}
	cells := make([]int, cols*rows)
	for c := range cols {
		h.Columns[c] = c
		h.Values[c] = cells[c*rows : (c+1)*rows : (c+1)*rows]
	}
	return h
}

// HeatMap returns the profile's heat map. It is cell for cell the one
// FlameScope returns for the same perf script file and row count.
func (p *Profile) HeatMap(opts Options) (*HeatMap, error) {
	rows, err := opts.rows()
	if err != nil {
		return nil, err
	}
	h := newHeatMap(p.Seconds(), rows)
	base := math.Floor(p.start)
	for i, t := range p.times {
		if !opts.Idle && p.stacks[p.ids[i]].Idle {
			continue
		}
		c, r := cell(t, base, rows)
		h.Values[c][r]++
		h.MaxValue = max(h.MaxValue, h.Values[c][r])
	}
	return h, nil
}
