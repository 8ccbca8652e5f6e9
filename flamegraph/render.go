package flamegraph

import (
	"bufio"
	"fmt"
	"io"
)

// Layout constants of flamegraph.pl, in pixels.
const (
	xpad     = 10 // left and right padding
	framePad = 1  // vertical gap between frames
)

// Render writes p as an interactive SVG flame graph: the same frames,
// geometry, colours and tooltips as flamegraph.pl gives for the same input
// and options, in a smaller file, with embedded JavaScript for zoom and
// search. Every frame carries its count and offset as data-w and data-x, and
// the root element the total as data-total. Labels are black, as
// flamegraph.pl draws them, unless black on the frame's colour falls short
// of WCAG's 4.5:1 contrast; then they are white (the darkest blues and reds
// of differential graphs, the darkest reds of the hot palette).
//
// A stack deeper than Options.MaxDepth is drawn cut, and Options.Stats
// reports it. A profile without a positive count yields an SVG that says so
// and an error wrapping ErrEmpty. Options are checked first (see
// Options.Validate).
//
// Render opens no file: a palette map and name attributes come in Options
// (PaletteMap, NameAttrs), and a caller that keeps them in files, as
// flamegraph.pl's --cp and --nameattr do, reads them (ReadPaletteMap,
// ReadNameAttrs) and writes the palette map back (PaletteMap.WriteTo).
func Render(w io.Writer, p *Profile, opts Options) error {
	if opts.CountName == "" && p != nil {
		opts.CountName = p.Unit
	}
	c, err := opts.resolve()
	if err != nil {
		return err
	}
	if p == nil {
		p = &Profile{}
	}
	var st RenderStats
	t := buildTree(p, c, &st)
	if opts.Stats != nil {
		*opts.Stats = st
	}
	if !(t.total > 0) {
		if err := writeErrorSVG(w, c); err != nil {
			return err
		}
		return fmt.Errorf("%w: nothing to draw", ErrEmpty)
	}
	r := newRenderer(w, c, t, p.Differential)
	if err := r.write(); err != nil {
		return fmt.Errorf("flamegraph: writing SVG: %w", err)
	}
	return nil
}

// renderer writes one flame graph.
type renderer struct {
	w            *bufio.Writer
	c            *config
	t            *tree
	differential bool
	colors       colorer
	timeMax      float64 // the root's width in counts
	perTime      float64 // pixels per count
	height       float64 // image height
	maxDepth     int
	rows         []frameRow // the rows of frames, by depth
	buf          []byte
}

// frameRow is the vertical extent of the frames of one depth, in pixels.
type frameRow struct{ y1, y2 float64 }

func newRenderer(w io.Writer, c *config, t *tree, differential bool) *renderer {
	r := &renderer{
		w: bufio.NewWriterSize(w, 64<<10), c: c, t: t, differential: differential,
		colors:  colorer{palette: c.Colors, hash: c.Hash, random: c.Random},
		timeMax: c.timeMax(t.total),
	}
	r.perTime = c.perTime(r.timeMax)
	// The merger dropped the narrow frames already, unless a count is
	// negative and a frame can be narrower than its descendants.
	t.prune(c.minTime(r.timeMax))
	if c.SortByWeight {
		t.sortByWeight()
	}
	for _, f := range t.frames {
		r.maxDepth = max(r.maxDepth, f.depth)
	}
	r.height = float64(r.maxDepth+1)*float64(c.Height) + r.ypad1() + r.ypad2()
	if c.Subtitle != "" {
		r.height += c.FontSize * 2
	}
	r.rows = make([]frameRow, r.maxDepth+1)
	for d := range r.rows {
		r.rows[d] = r.row(d)
	}
	return r
}

// row returns the row of the frames at depth d: on top of their parents',
// or below them in an icicle graph.
func (r *renderer) row(d int) frameRow {
	h := r.c.Height
	if r.c.Inverted {
		return frameRow{r.ypad1() + float64(d*h), r.ypad1() + float64((d+1)*h) - framePad}
	}
	return frameRow{r.height - r.ypad2() - float64((d+1)*h) + framePad, r.height - r.ypad2() - float64(d*h)}
}

// timeMax returns the root's width in counts for a total count: the
// total, or Options.Total when larger.
func (c *config) timeMax(total float64) float64 {
	if c.Total > total {
		return c.Total
	}
	return total
}

// perTime returns the pixels per count of a graph timeMax counts wide.
func (c *config) perTime(timeMax float64) float64 {
	return float64(c.Width-2*xpad) / timeMax
}

// minTime returns the narrowest frame drawn, in counts, for a graph
// timeMax counts wide: Options.MinWidth in pixels, or in percent.
func (c *config) minTime(timeMax float64) float64 {
	if c.minPercent {
		return timeMax * c.minWidth / 100
	}
	return c.minWidth / c.perTime(timeMax)
}

func (r *renderer) ypad1() float64 { return r.c.FontSize * 3 }
func (r *renderer) ypad2() float64 { return r.c.FontSize*2 + 10 }

func (r *renderer) write() error {
	r.writeHead()
	if err := r.flush(); err != nil {
		return err
	}
	for i := range r.t.frames {
		r.appendFrame(&r.t.frames[i])
		if len(r.buf) > 32<<10 {
			if err := r.flush(); err != nil {
				return err
			}
		}
	}
	r.buf = append(r.buf, "</g>\n<script type=\"text/ecmascript\"><![CDATA[\n"...)
	r.buf = append(r.buf, script()...)
	r.buf = append(r.buf, "]]></script>\n</svg>\n"...)
	if err := r.flush(); err != nil {
		return err
	}
	return r.w.Flush()
}

func (r *renderer) flush() error {
	_, err := r.w.Write(r.buf)
	r.buf = r.buf[:0]
	return err
}
