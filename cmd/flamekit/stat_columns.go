package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/flamekit/flamekit/pmc"
)

// statColumns prints a metric set's columns as the pmc-cloud-tools do
// (pmcarch, cpucache, tlbstat): a row of the columns' names, then a row
// of their values for each reading, "-" for a value not available.
type statColumns struct {
	set  *pmc.MetricSet
	rows int // rows printed since the last header
}

// row formats the columns of r, after the time when interval; a header
// comes before the first row and every statHeaderEvery rows.
func (sc *statColumns) row(r pmc.Reading, interval bool, at time.Duration) string {
	var b strings.Builder
	if sc.rows%statHeaderEvery == 0 {
		if interval {
			fmt.Fprintf(&b, "%16s", "TIME")
		}
		for _, m := range sc.set.Columns {
			fmt.Fprintf(&b, " %*s", columnWidth(m), m.Name)
		}
		b.WriteByte('\n')
	}
	sc.rows++
	if interval {
		fmt.Fprintf(&b, "%16.9f", at.Seconds())
	}
	for i, v := range sc.set.Compute(r) {
		m := sc.set.Columns[i]
		fmt.Fprintf(&b, " %*s", columnWidth(m), columnValue(m, v))
	}
	b.WriteByte('\n')
	return b.String()
}

// columnWidth is how wide a column is: its name's width, at least 10.
func columnWidth(m pmc.Metric) int { return max(10, len(m.Name)) }

// columnValue formats the value v of column m: a count (of one event)
// without decimals, ratios and percentages with 2, "-" when not available.
func columnValue(m pmc.Metric, v pmc.MetricValue) string {
	switch {
	case !v.Available:
		return "-"
	case len(m.Inputs) == 1:
		return fmt.Sprintf("%.0f", v.Value)
	}
	return fmt.Sprintf("%.2f", v.Value)
}
