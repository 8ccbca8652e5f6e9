package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/flamekit/flamekit/pmc"
)

// statFormat is how stat prints: perf stat's table, its CSV (-x SEP) or
// its JSON lines (-j).
type statFormat struct {
	sep       string // the CSV separator; "" for the table
	json      bool
	unitWidth int // the table's unit column: the widest unit, at least 4
}

// perf stat's column widths.
const (
	statCountWidth  = 18 // the count, right-aligned
	statNameWidth   = 32 // a counted event's name
	statNoNameWidth = 25 // the name of an event not counted or not supported
	statMetricWidth = 35 // "# value unit" beside the name
)

// newStatFormat returns the format the flags ask for, its unit column as
// wide as the widest unit of events.
func newStatFormat(f *statFlags) statFormat {
	sf := statFormat{sep: f.sep, json: f.json, unitWidth: 4}
	for _, g := range f.groups {
		for _, e := range g {
			sf.unitWidth = max(sf.unitWidth, len(e.Unit))
		}
	}
	return sf
}

// table reports whether the format is perf stat's table.
func (sf statFormat) table() bool { return sf.sep == "" && !sf.json }

// line formats one row, with its newline.
func (sf statFormat) line(l statLine) string {
	switch {
	case sf.json:
		return sf.jsonLine(l)
	case sf.sep != "":
		return sf.csvLine(l)
	}
	return sf.tableLine(l)
}

// tableLine formats a row of perf stat's table:
// "[TIME ][CPUn ]COUNT UNIT EVENT # METRIC UNIT[  ( +- N% )][  (P%)]".
func (sf statFormat) tableLine(l statLine) string {
	var b strings.Builder
	if l.interval {
		fmt.Fprintf(&b, "%16.9f ", l.at.Seconds())
	}
	if l.perCPU {
		fmt.Fprintf(&b, "CPU%-7d ", l.cpu)
	}
	v, unit, frac := statValue(l.count)
	if state := l.count.State(); state != pmc.Counted {
		fmt.Fprintf(&b, "%*s %-*s %-*s%*s", statCountWidth, state, sf.unitWidth, unit, statNoNameWidth, l.count.Event.Name, statMetricWidth, "")
	} else {
		format := "%*.0f %-*s %-*s"
		if frac {
			format = "%*.2f %-*s %-*s"
		}
		fmt.Fprintf(&b, format, statCountWidth, v, sf.unitWidth, unit, statNameWidth, l.count.Event.Name)
		if m := l.metric; m.ok {
			n, _ := fmt.Fprintf(&b, " # "+m.format, m.value)
			fmt.Fprintf(&b, " %-*s", statMetricWidth-n-1, m.unit)
		} else {
			fmt.Fprintf(&b, "%*s", statMetricWidth, "")
		}
	}
	if l.repeated && l.noise != 0 {
		fmt.Fprintf(&b, "  ( +-%6.2f%% )", l.noise)
	}
	if p := runningPercent(l.count); p != 100 {
		fmt.Fprintf(&b, "  (%.2f%%)", p)
	}
	b.WriteByte('\n')
	return b.String()
}

// csvLine formats a row of perf stat's CSV:
// [TIME,][CPUn,]VALUE,UNIT,EVENT[,VARIATION%],RUNTIME,PERCENT,METRIC,METRIC-UNIT.
func (sf statFormat) csvLine(l statLine) string {
	var fields []string
	if l.interval {
		fields = append(fields, fmt.Sprintf("%16.9f", l.at.Seconds()))
	}
	if l.perCPU {
		fields = append(fields, fmt.Sprintf("CPU%d", l.cpu))
	}
	v, unit, frac := statValue(l.count)
	value := l.count.State().String()
	if l.count.State() == pmc.Counted {
		value = formatCount(v, frac)
	}
	fields = append(fields, value, unit, l.count.Event.Name)
	if l.repeated {
		fields = append(fields, fmt.Sprintf("%.2f%%", l.noise))
	}
	fields = append(fields, fmt.Sprint(l.count.Running), fmt.Sprintf("%.2f", runningPercent(l.count)))
	if m := l.metric; m.ok {
		fields = append(fields, csvMetricValue(fmt.Sprintf(m.format, m.value)), strings.TrimSpace(m.unit))
	} else {
		fields = append(fields, "", "")
	}
	return strings.Join(fields, sf.sep) + "\n"
}

// formatCount is a count in the CSV and JSON's precision: 2 decimals for
// a count with them, else none.
func formatCount(v float64, frac bool) string {
	if frac {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// csvMetricValue is a formatted metric as perf stat's CSV gives it: its
// number alone, without the padding or the "%" after it.
func csvMetricValue(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
	if end < 0 {
		return s
	}
	return s[:end]
}

// jsonLine formats a row of perf stat's JSON lines.
func (sf statFormat) jsonLine(l statLine) string {
	var b strings.Builder
	b.WriteByte('{')
	if l.interval {
		fmt.Fprintf(&b, `"interval" : %.9f, `, l.at.Seconds())
	}
	if l.perCPU {
		fmt.Fprintf(&b, `"cpu" : "%d", `, l.cpu)
	}
	v, unit, _ := statValue(l.count)
	value := l.count.State().String()
	if l.count.State() == pmc.Counted {
		value = fmt.Sprintf("%f", v)
	}
	fmt.Fprintf(&b, `"counter-value" : %s, "unit" : %s, "event" : %s, `, jsonString(value), jsonString(unit), jsonString(l.count.Event.Name))
	if l.repeated {
		fmt.Fprintf(&b, `"variance" : %.2f, `, l.noise)
	}
	fmt.Fprintf(&b, `"event-runtime" : %d, "pcnt-running" : %.2f, `, l.count.Running, runningPercent(l.count))
	m := l.metric
	if !m.ok {
		m.value, m.unit = 0, ""
	}
	fmt.Fprintf(&b, `"metric-value" : %f, "metric-unit" : %s}`+"\n", m.value, jsonString(strings.TrimSpace(m.unit)))
	return b.String()
}

// jsonString is s as a JSON string, "<" and ">" as they are.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// intervalHeader is the table's header above interval rows, printed
// before the first and every statHeaderEvery rows.
func (sf statFormat) intervalHeader(perCPU bool) string {
	if perCPU {
		return fmt.Sprintf("#           time CPU                    counts %*s events\n", sf.unitWidth, "unit")
	}
	return fmt.Sprintf("#           time             counts %*s events\n", sf.unitWidth, "unit")
}

// statHeaderEvery is how many intervals the table prints between headers.
const statHeaderEvery = 25

// statSummary is what the table says around the counts of a run, or of
// the mean of runs.
type statSummary struct {
	what      string          // perf's "'sleep 1'", "'system wide'", "process id '42'"
	runs      int             // -r
	elapsed   []time.Duration // each run's
	user, sys time.Duration   // the command's, when it was the target
	rusage    bool
}

// writeHeader writes the table's title.
func (s statSummary) writeHeader(w io.Writer) {
	fmt.Fprintf(w, "\n Performance counter stats for %s", s.what)
	if s.runs > 1 {
		fmt.Fprintf(w, " (%d runs)", s.runs)
	}
	fmt.Fprint(w, ":\n\n")
}

// writeFooter writes the elapsed time (the mean and its variation with
// -r) and the command's user and sys times.
func (s statSummary) writeFooter(w io.Writer) {
	fmt.Fprintln(w)
	if len(s.elapsed) == 1 {
		fmt.Fprintf(w, " %17.9f seconds time elapsed", s.elapsed[0].Seconds())
		if s.rusage {
			fmt.Fprint(w, "\n\n")
			fmt.Fprintf(w, " %17.9f seconds user\n", s.user.Seconds())
			fmt.Fprintf(w, " %17.9f seconds sys\n", s.sys.Seconds())
		}
	} else {
		secs := make([]float64, len(s.elapsed))
		for i, e := range s.elapsed {
			secs[i] = e.Seconds()
		}
		mean, sd := meanAndError(secs)
		prec := precision(sd) + 2
		fmt.Fprintf(w, " %17.*f +- %.*f seconds time elapsed", prec, mean, prec, sd)
		if pct := relative(sd, mean); pct != 0 {
			fmt.Fprintf(w, "  ( +-%6.2f%% )", pct)
		}
	}
	fmt.Fprint(w, "\n\n")
}

// precision is how many decimals show sd's first significant digit, as
// perf stat prints the elapsed time's variation (at most 7).
func precision(sd float64) int {
	if sd >= 1 {
		return 0
	}
	if sd <= 0 {
		return 7
	}
	return min(7, int(math.Ceil(-math.Log10(sd))))
}
