package scope

import (
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
)

// PageOptions tune WritePage.
type PageOptions struct {
	// Rows is the heat map's row count the page opens with: one that
	// divides the index's (Options.Rows), 0 meaning the index's. The page
	// offers every such row count from MinRows up.
	Rows int
	// Title heads the page (default "flamekit scope").
	Title string
	// Graph are the flame graphs' options: the page draws them with
	// Graph's Colors, Hash, Random, PaletteMap, Width, Height, FontSize,
	// FontWidth, FontType, MinWidth, CountName and Factor, as Render
	// would; the other fields are left at their defaults (a page draws
	// flame graphs, sorted by name, root at the bottom).
	Graph flamegraph.Options
}

//go:embed page.js
var pageScript string

//go:embed page.css
var pageStyle string

// WritePage writes ix as one self-contained HTML page (no network, no
// other file): its heat map, whose cells select ranges, and the flame
// graph of the selected range, or the differential flame graph of two,
// drawn in the page as Render draws it and driven by Render's script. See
// the package doc for how the page is made. Options are checked first:
// a row count that does not divide the index's fails with an error
// wrapping ErrRows.
func WritePage(w io.Writer, ix *Index, opts PageOptions) error {
	data, err := newPageData(ix, opts)
	if err != nil {
		return err
	}
	meta, err := json.Marshal(data.meta)
	if err != nil {
		return fmt.Errorf("scope: page: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
	b.WriteString(html.EscapeString(data.meta.Title))
	b.WriteString("</title>\n<style>\n")
	b.WriteString(pageStyle)
	b.WriteString("</style>\n</head>\n<body>\n<h1>")
	b.WriteString(html.EscapeString(data.meta.Title))
	b.WriteString("</h1>\n")
	b.WriteString(pageBody)
	b.WriteString("<script type=\"application/json\" id=\"fk-meta\">")
	b.Write(meta) // json.Marshal escapes <, > and &: no "</script>" in it
	b.WriteString("</script>\n<script type=\"application/octet-stream\" id=\"fk-data\">")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("scope: page: %w", err)
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := enc.Write(data.bin); err != nil {
		return fmt.Errorf("scope: page: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("scope: page: %w", err)
	}
	b.Reset()
	b.WriteString("</script>\n<script>\n")
	b.WriteString(pageScript)
	b.WriteString("</script>\n</body>\n</html>\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("scope: page: %w", err)
	}
	return nil
}

// pageBody is the page's markup between its heading and its data: the
// controls, the heat map and the flame graph's frame.
const pageBody = `<div id="fk-bar"><label>Rows <select id="fk-rows"></select></label>
<span>0 <span id="fk-scale"></span> <span id="fk-max"></span> samples a cell</span>
<button id="fk-clear" type="button">Clear selection</button>
<a id="fk-download" class="fk-hide" download="flamegraph.svg">Download SVG</a></div>
<div id="fk-heat"></div>
<div id="fk-axis"></div>
<p id="fk-status">Loading…</p>
<iframe id="fk-graph" class="fk-hide" title="flame graph"></iframe>
`

// pageMeta is what the page's script reads from its JSON.
type pageMeta struct {
	Title   string   `json:"title"`
	Rows    int      `json:"rows"`    // the index's rows: the data's cells
	View    int      `json:"view"`    // the rows shown first
	Columns int      `json:"columns"` // seconds
	Base    float64  `json:"base"`    // the first whole second, Unix or the profile's
	Names   []string `json:"names"`   // the frames' names
	Fills   []string `json:"fills"`   // their fills
	Root    string   `json:"root"`    // the root frame's fill
	Graph   string   `json:"graph"`   // an SVG of Render's: head, style, script
	// The graph options the script applies itself.
	MinWidth pageMinWidth `json:"minwidth"`
	Factor   float64      `json:"factor"`
	Negate   bool         `json:"negate"`
	// Sections are the lengths, in uint32s, of the binary data's parts:
	// stack starts, stack frames, cell starts, cell pairs.
	Sections [4]int `json:"sections"`
}

// pageMinWidth is Options.MinWidth: pixels, or a percentage.
type pageMinWidth struct {
	Value   float64 `json:"v"`
	Percent bool    `json:"pct"`
}

// pageData is the page's data: its JSON, and its binary part gzipped.
type pageData struct {
	meta pageMeta
	bin  []byte
}

// newPageData prepares ix's page: the stacks the heat map counts,
// numbered in the order their frames sort (Render's order), each as the
// indexes of its frames' names, and each cell's stacks with their counts.
func newPageData(ix *Index, opts PageOptions) (*pageData, error) {
	view := opts.Rows
	if view == 0 {
		view = ix.rows
	}
	if view < MinRows || view > ix.rows || ix.rows%view != 0 {
		return nil, fmt.Errorf("%w: a page of an index of %d rows shows %d to %d rows that divide it, not %d", ErrRows, ix.rows, MinRows, ix.rows, view)
	}
	color, err := flamegraph.FrameColors(opts.Graph)
	if err != nil {
		return nil, err
	}
	graph, err := pageGraphTemplate(opts.Graph)
	if err != nil {
		return nil, err
	}
	p := ix.p
	d := &pageData{meta: pageMeta{
		Title: opts.Title, Rows: ix.rows, View: view, Columns: len(ix.heat.Columns),
		Base: ix.base, Root: color("").Hex(), Graph: graph,
	}}
	d.meta.Factor, d.meta.Negate = cmp.Or(opts.Graph.Factor, 1), opts.Graph.Negate
	mw := cmp.Or(opts.Graph.MinWidth, "0.1")
	d.meta.MinWidth.Percent = strings.HasSuffix(mw, "%")
	// FrameColors checked it.
	d.meta.MinWidth.Value, _ = strconv.ParseFloat(strings.TrimSuffix(mw, "%"), 64)
	if d.meta.Title == "" {
		d.meta.Title = "flamekit scope"
	}
	// The ranks counted, renumbered densely in rank order.
	page := make([]int32, len(p.framesByRank))
	for i := range page {
		page[i] = -1
	}
	for _, sc := range ix.pairs {
		if ix.opts.Idle || !p.stacks[sc.Stack].Idle {
			page[p.rank[sc.Stack]] = 0
		}
	}
	var stackStart, stackFrames []uint32
	names := map[string]uint32{}
	n := int32(0)
	for r, frames := range p.framesByRank {
		if page[r] < 0 {
			continue
		}
		page[r] = n
		n++
		stackStart = append(stackStart, uint32(len(stackFrames)))
		for _, name := range pageFrames(frames) {
			id, ok := names[name]
			if !ok {
				id = uint32(len(d.meta.Names))
				names[name] = id
				d.meta.Names = append(d.meta.Names, name)
				d.meta.Fills = append(d.meta.Fills, color(name).Hex())
			}
			stackFrames = append(stackFrames, id)
		}
	}
	stackStart = append(stackStart, uint32(len(stackFrames)))
	// Each cell's stacks, by page number, the numbers as differences from
	// the previous one (small numbers compress well), with their counts.
	cells := len(ix.pairStart) - 1
	cellStart := make([]uint32, 0, cells+1)
	var pairs []uint32
	var list []StackCount
	for c := range cells {
		cellStart = append(cellStart, uint32(len(pairs)/2))
		list = list[:0]
		for _, sc := range ix.pairs[ix.pairStart[c]:ix.pairStart[c+1]] {
			if id := page[p.rank[sc.Stack]]; id >= 0 && (ix.opts.Idle || !p.stacks[sc.Stack].Idle) {
				list = append(list, StackCount{Stack: uint32(id), Count: sc.Count})
			}
		}
		list = mergeStackCounts(list)
		prev := uint32(0)
		for _, sc := range list {
			pairs = append(pairs, sc.Stack-prev, sc.Count)
			prev = sc.Stack
		}
	}
	cellStart = append(cellStart, uint32(len(pairs)/2))
	d.meta.Sections = [4]int{len(stackStart), len(stackFrames), len(cellStart), len(pairs)}
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	for _, part := range [][]uint32{stackStart, stackFrames, cellStart, pairs} {
		if err := binary.Write(zw, binary.LittleEndian, part); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	d.bin = z.Bytes()
	return d, nil
}

// mergeStackCounts sorts a cell's list by stack and sums the counts of
// stacks that appear twice (stacks of one rank).
func mergeStackCounts(list []StackCount) []StackCount {
	slices.SortFunc(list, func(a, b StackCount) int { return int(a.Stack) - int(b.Stack) })
	out := list[:0]
	for _, sc := range list {
		if len(out) > 0 && out[len(out)-1].Stack == sc.Stack {
			out[len(out)-1].Count += sc.Count
			continue
		}
		out = append(out, sc)
	}
	return out
}

// pageFrames splits a stack into the frames Render draws: trailing empty
// frames dropped, as perl's split drops them, and a stack deeper than
// flamegraph.DefaultMaxDepth cut there and topped by flamegraph.CutFrame.
func pageFrames(frames string) []string {
	frames = strings.TrimRight(frames, ";")
	if frames == "" {
		return nil
	}
	parts := strings.Split(frames, ";")
	if len(parts) > flamegraph.DefaultMaxDepth {
		parts = append(parts[:flamegraph.DefaultMaxDepth], flamegraph.CutFrame)
	}
	return parts
}

// pageGraphTemplate returns the SVG Render draws of one frame with opts:
// the page's script keeps its head, style and script and draws its own
// frames in it.
func pageGraphTemplate(opts flamegraph.Options) (string, error) {
	opts.Title = "Flame Graph"
	opts.Subtitle, opts.Notes = "", ""
	opts.FlameChart, opts.Inverted, opts.Reverse, opts.SortByWeight = false, false, false, false
	opts.Total, opts.Stats, opts.NameAttrs = 0, nil, nil
	if opts.PaletteMap != nil {
		opts.PaletteMap = flamegraph.PaletteMap{} // no template frame in the caller's map
	}
	var b strings.Builder
	err := flamegraph.Render(&b, &flamegraph.Profile{Stacks: []flamegraph.Stack{{Frames: "x", Count: 1}}}, opts)
	if err != nil {
		return "", err
	}
	return b.String(), nil
}
