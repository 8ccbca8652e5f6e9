package scope

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LatencyPageOptions tune WriteLatencyPage.
type LatencyPageOptions struct {
	// Title heads the page (default "flamekit scope: off-CPU latency").
	Title string
	// Map chooses the heat map's columns.
	Map LatencyOptions
	// ByFunc adds a histogram per function (Blocks.FuncHistograms) below
	// the histogram of all blocks.
	ByFunc bool
}

//go:embed latency.js
var latencyScript string

//go:embed latency.css
var latencyStyle string

// WriteLatencyPage writes b's latency heat map (Blocks.LatencyMap) as one
// self-contained HTML page (no network, no other file), in the scope
// page's style: the longest durations at the top, the columns' times
// below in seconds from the map's start, the colour scale of the scope
// page (white to dark red as the count grows to the largest). Each cell
// is an element with its column's start in seconds from the map's start
// (data-t), its bucket (data-b, as LatencyBucket numbers them), its count
// (data-n) and its blocks' summed duration in microseconds (data-us); a
// click on a cell shows its blocks: their count, bucket, time span,
// summed and mean duration, and their functions. Below the map, the text
// histogram (Blocks.WriteHistograms). The map's errors (ErrStep,
// ErrNoOffCPU) are returned before anything is written.
func WriteLatencyPage(w io.Writer, b *Blocks, opts LatencyPageOptions) error {
	m, err := b.LatencyMap(opts.Map)
	if err != nil {
		return err
	}
	title := opts.Title
	if title == "" {
		title = "flamekit scope: off-CPU latency"
	}
	var hist bytes.Buffer
	if err := b.WriteHistograms(&hist, opts.ByFunc); err != nil {
		return err
	}
	var p bytes.Buffer
	p.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
	p.WriteString(html.EscapeString(title))
	p.WriteString("</title>\n<style>\n")
	p.WriteString(latencyStyle)
	p.WriteString("</style>\n</head>\n<body>\n<h1>")
	p.WriteString(html.EscapeString(title))
	p.WriteString("</h1>\n")
	fmt.Fprintf(&p, "<div id=\"fk-bar\"><span>0 <span id=\"fk-scale\"></span> %d blocks a cell</span><span>%d blocks in columns of %s", m.MaxValue, len(b.Blocks), formatSeconds(m.Step))
	if b.Untimed > 0 {
		fmt.Fprintf(&p, "; %d untimed %s samples (%s) not shown", b.Untimed, OffCPUEvent, formatMicros(uint64(b.UntimedTotal.Microseconds())))
	}
	p.WriteString("</span></div>\n")
	writeLatencyGrid(&p, b, m)
	p.WriteString("<p id=\"fk-status\">Click a cell for its blocks.</p>\n<pre id=\"fk-hist\">")
	p.WriteString(html.EscapeString(hist.String()))
	p.WriteString("</pre>\n<script>\nvar fkFuncs = ")
	p.WriteString(jsonStrings(b.Funcs))
	p.WriteString(";\n")
	p.WriteString(latencyScript)
	p.WriteString("</script>\n</body>\n</html>\n")
	if _, err := w.Write(p.Bytes()); err != nil {
		return fmt.Errorf("scope: latency page: %w", err)
	}
	return nil
}

// latencyCell is what a cell's element carries besides its count.
type latencyCell struct {
	total int64       // nanoseconds
	funcs map[int]int // function → blocks
}

// writeLatencyGrid writes the heat map's rows' labels, its cells, a
// column a time, and its time axis.
func writeLatencyGrid(p *bytes.Buffer, b *Blocks, m *LatencyMap) {
	cells := make([]latencyCell, m.Columns*len(m.Buckets))
	for _, bl := range b.Blocks {
		c, r := m.cell(bl)
		cell := &cells[c*len(m.Buckets)+r]
		cell.total += int64(bl.Duration)
		if cell.funcs == nil {
			cell.funcs = map[int]int{}
		}
		cell.funcs[bl.Func]++
	}
	p.WriteString("<div id=\"fk-map\"><div id=\"fk-ylabels\">")
	for r := len(m.Buckets) - 1; r >= 0; r-- {
		fmt.Fprintf(p, "<div title=\"%d -&gt; %d µs\">%s</div>", m.Buckets[r].Low, m.Buckets[r].High, formatMicros(m.Buckets[r].Low))
	}
	p.WriteString("</div>\n<div id=\"fk-heat\">\n")
	for c := range m.Columns {
		t := (time.Duration(c) * m.step).Seconds()
		fmt.Fprintf(p, "<div class=\"col\" data-t=\"%s\">", strconv.FormatFloat(t, 'f', -1, 64))
		for r := len(m.Buckets) - 1; r >= 0; r-- {
			n, row := m.Values[c][r], m.Buckets[r]
			cell := cells[c*len(m.Buckets)+r]
			fmt.Fprintf(p, "<div data-t=\"%s\" data-b=\"%d\" data-lo=\"%d\" data-hi=\"%d\" data-n=\"%d\" data-us=\"%d\"", strconv.FormatFloat(t, 'f', -1, 64), row.Bucket, row.Low, row.High, n, cell.total/1000)
			if len(cell.funcs) > 0 {
				fmt.Fprintf(p, " data-f=\"%s\"", funcCounts(cell.funcs))
			}
			fmt.Fprintf(p, " style=\"background:%s\" title=\"%s s, %d -&gt; %d µs: %d blocks\"></div>", latencyColor(n, m.MaxValue), strconv.FormatFloat(t, 'f', -1, 64), row.Low, row.High, n)
		}
		p.WriteString("</div>\n")
	}
	p.WriteString("</div></div>\n<div id=\"fk-axis\">")
	every := max(1, m.Columns/12)
	for c := range m.Columns {
		label := ""
		if c%every == 0 {
			label = strconv.FormatFloat((time.Duration(c) * m.step).Seconds(), 'f', -1, 64)
		}
		fmt.Fprintf(p, "<span>%s</span>", label)
	}
	fmt.Fprintf(p, "</div>\n<p id=\"fk-xlabel\">Columns: when blocks ended, in seconds from %s s. Rows: how long they were off CPU, in log2 buckets (each labelled with its least duration).</p>\n", strconv.FormatFloat(m.Start, 'f', 6, 64))
}

// funcCounts writes a cell's functions as "F:N,F:N", the most blocks first.
func funcCounts(funcs map[int]int) string {
	type fc struct{ f, n int }
	var list []fc
	for f, n := range funcs {
		list = append(list, fc{f, n})
	}
	slices.SortFunc(list, func(a, b fc) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.f, b.f)
	})
	var s strings.Builder
	for i, e := range list {
		if i > 0 {
			s.WriteByte(',')
		}
		fmt.Fprintf(&s, "%d:%d", e.f, e.n)
	}
	return s.String()
}

// jsonStrings writes names as a JavaScript array of strings safe inside a
// script element.
func jsonStrings(names []string) string {
	var s strings.Builder
	s.WriteByte('[')
	for i, n := range names {
		if i > 0 {
			s.WriteByte(',')
		}
		q := strconv.QuoteToASCII(n)
		q = strings.NewReplacer("<", `\x3c`, ">", `\x3e`, "&", `\x26`).Replace(q)
		s.WriteString(q)
	}
	s.WriteByte(']')
	return s.String()
}

// latencyColor is a cell's colour, as the scope page colours its cells:
// white when empty, then orange to dark red as n grows to peak.
func latencyColor(n, peak int) string {
	if n == 0 || peak == 0 {
		return "#fff"
	}
	f := math.Sqrt(float64(n) / float64(peak))
	var r, g, b float64
	if f < 0.5 {
		r, g, b = 255, 240-280*f, 220-400*f
	} else {
		r, g, b = 255-300*(f-0.5), 100-200*(f-0.5), 20-40*(f-0.5)
	}
	return fmt.Sprintf("rgb(%d,%d,%d)", int(math.Round(r)), int(math.Round(g)), int(math.Round(b)))
}

// formatMicros writes a duration in microseconds for a label: "512 µs",
// "1.02 ms", "65.5 ms", "1.05 s".
func formatMicros(us uint64) string {
	switch {
	case us < 1000:
		return strconv.FormatUint(us, 10) + " µs"
	case us < 1e6:
		return strconv.FormatFloat(float64(us)/1e3, 'g', 3, 64) + " ms"
	}
	return strconv.FormatFloat(float64(us)/1e6, 'g', 3, 64) + " s"
}

// formatSeconds writes a column width: "50 ms", "1 s".
func formatSeconds(s float64) string {
	if s < 1 {
		return strconv.FormatFloat(s*1e3, 'g', -1, 64) + " ms"
	}
	return strconv.FormatFloat(s, 'g', -1, 64) + " s"
}
