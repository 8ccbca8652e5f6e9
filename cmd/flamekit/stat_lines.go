package main

import (
	"time"

	"github.com/flamekit/flamekit/pmc"
)

// statLine is one row of stat's output: an event's count (of one CPU with
// -A, of one interval with -I, the mean of the runs with -r) and what perf
// stat prints beside it.
type statLine struct {
	interval bool          // -I: the row starts with the time
	at       time.Duration // since counting started
	perCPU   bool          // -A: the row names its CPU
	cpu      int
	count    pmc.Count
	repeated bool    // -r: the row has the variation of the runs
	noise    float64 // the relative standard error of the mean, in percent
	metric   statMetric
}

// statLines are the rows of a reading: an event's total each, or with
// perCPU its count on each CPU (event by event, CPU by CPU, as perf's
// -A). wall is the time counted, for CPUs utilized.
func statLines(r pmc.Reading, wall time.Duration, perCPU bool) []statLine {
	w := float64(wall.Nanoseconds())
	var lines []statLine
	if !perCPU {
		for _, c := range r.Counts {
			lines = append(lines, statLine{count: c, metric: statMetricOf(c, r.Counts, w)})
		}
		return lines
	}
	for i := range r.Counts {
		for _, pc := range r.PerCPU {
			c := pc.Counts[i]
			lines = append(lines, statLine{perCPU: true, cpu: pc.CPU, count: c, metric: statMetricOf(c, pc.Counts, w)})
		}
	}
	return lines
}

// atInterval marks lines as an interval's, at since counting started.
func atInterval(lines []statLine, at time.Duration) []statLine {
	for i := range lines {
		lines[i].interval, lines[i].at = true, at
	}
	return lines
}
