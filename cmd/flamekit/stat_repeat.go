package main

import (
	"math"

	"github.com/flamekit/flamekit/pmc"
)

// meanOfRuns is the mean of the runs' counts, event by event (raw values,
// enabled and running times alike, so that scaling the mean scales as each
// run did), with each event's variation: the relative standard error of
// the mean of its scaled counts, in percent, as perf stat -r's "( +- N% )".
func meanOfRuns(runs []pmc.Reading) (pmc.Reading, []float64) {
	mean := pmc.Reading{Counts: append([]pmc.Count(nil), runs[0].Counts...)}
	noise := make([]float64, len(mean.Counts))
	n := float64(len(runs))
	for i := range mean.Counts {
		var raw, enabled, running float64
		values := make([]float64, 0, len(runs))
		for _, r := range runs {
			c := r.Counts[i]
			raw += float64(c.Raw)
			enabled += float64(c.Enabled)
			running += float64(c.Running)
			if v, ok := c.Scaled(); ok {
				values = append(values, v)
			}
		}
		c := &mean.Counts[i]
		c.Raw = uint64(math.Round(raw / n))
		c.Enabled = uint64(math.Round(enabled / n))
		c.Running = uint64(math.Round(running / n))
		if m, sd := meanAndError(values); len(values) > 1 {
			noise[i] = relative(sd, m)
		}
	}
	return mean, noise
}

// meanAndError returns the mean of xs and its standard error, the
// standard deviation of the values over the square root of their number
// (0 for fewer than two values).
func meanAndError(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	n := float64(len(xs))
	mean /= n
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}

// relative is sd as a percentage of mean (0 when mean is 0).
func relative(sd, mean float64) float64 {
	if mean == 0 {
		return 0
	}
	return 100 * sd / mean
}
