package scope

import (
	"io"
	"math"
	"slices"
)

// perfHeatMap makes the heat map of perf script text in one pass that
// keeps no stack: each sample's idleness is decided from its lines as they
// are read, and its cell counted, by its whole second, as it comes. It is
// the heat map ReadPerfScript's profile gives (the tests check it).
func perfHeatMap(r io.Reader, opts Options) (*HeatMap, error) {
	rows, err := opts.rows()
	if err != nil {
		return nil, err
	}
	hc := &heatCounter{rows: rows, idle: opts.Idle, min: math.Inf(1), max: math.Inf(-1)}
	if err := readPerf(r, &perfPass{}, hc.addChunk); err != nil {
		return nil, err
	}
	return hc.heatMap()
}

// heatCounter counts samples by whole second and row as they come, in any
// order.
type heatCounter struct {
	rows     int
	idle     bool    // count idle samples
	n        int     // samples, counted or not
	min, max float64 // their times
	first    float64 // the whole second of counts[0:rows]
	counts   []int   // rows a second, from first on, the rows from the top
	tooWide  bool    // the samples span more than MaxSeconds: checkSpan fails
}

// addChunk counts the samples of a chunk parsed without stacks.
func (hc *heatCounter) addChunk(c *perfChunk) {
	for i, t := range c.times {
		hc.n++
		hc.min, hc.max = min(hc.min, t), max(hc.max, t)
		if c.idle[i] && !hc.idle || hc.tooWide {
			continue
		}
		sec := math.Floor(t)
		if len(hc.counts) == 0 {
			hc.first = sec
		}
		if !hc.grow(sec) {
			hc.tooWide = true
			continue
		}
		_, row := cell(t, sec, hc.rows)
		hc.counts[int(sec-hc.first)*hc.rows+row]++
	}
}

// grow makes room in counts for the second sec, or reports that the
// seconds counted would then span more than MaxSeconds.
func (hc *heatCounter) grow(sec float64) bool {
	secs := float64(len(hc.counts) / hc.rows)
	switch {
	case sec >= hc.first && sec < hc.first+secs:
		return true
	case sec < hc.first:
		if hc.first+secs-sec > MaxSeconds+1 {
			return false
		}
		more := int(hc.first - sec)
		hc.counts = slices.Insert(hc.counts, 0, make([]int, more*hc.rows)...)
		hc.first = sec
	default:
		if sec-hc.first+1 > MaxSeconds+1 {
			return false
		}
		hc.counts = append(hc.counts, make([]int, (int(sec-hc.first)+1)*hc.rows-len(hc.counts))...)
	}
	return true
}

// heatMap returns the heat map of the samples counted, or the error
// ReadPerfScript gives for samples that make no profile.
func (hc *heatCounter) heatMap() (*HeatMap, error) {
	if hc.n == 0 {
		return nil, ErrNoSamples
	}
	if err := checkSpan(hc.min, hc.max); err != nil {
		return nil, err
	}
	base := math.Floor(hc.min)
	h := newHeatMap(seconds(hc.min, hc.max, hc.max), hc.rows)
	if len(hc.counts) == 0 {
		return h, nil
	}
	// Columns count from base, the first sample's second, which an idle
	// sample left uncounted may have: counts start at column first-base.
	off := int(hc.first - base)
	for k, v := range hc.counts {
		col, row := off+k/hc.rows, k%hc.rows
		h.Values[col][row] = v
		h.MaxValue = max(h.MaxValue, v)
	}
	return h, nil
}
