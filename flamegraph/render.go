package flamegraph

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
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
func Render(w io.Writer, p *Profile, opts Options) error {
	if opts.CountName == "" && p != nil {
		opts.CountName = p.Unit
	}
	c, err := opts.resolve()
	if err != nil {
		return err
	}
	if err := c.load(); err != nil {
		return err
	}
	if p == nil {
		p = &Profile{}
	}
	var st RenderStats
	t := merge(inputLines(p, c, &st), p.Differential, c.Colors == "chain")
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
	if c.ConsistentPalette && opts.Palette == nil {
		return c.savePalette()
	}
	return nil
}

// load reads the nameattr and palette files the options name.
func (c *config) load() error {
	if c.NameAttrFile != "" {
		f, err := os.Open(c.NameAttrFile)
		if err != nil {
			return fmt.Errorf("flamegraph: nameattr: %w", err)
		}
		defer f.Close()
		attrs, err := ReadNameAttr(f)
		if err != nil {
			return fmt.Errorf("%w (in %s)", err, c.NameAttrFile)
		}
		merged := make(map[string]Attributes, len(c.NameAttr)+len(attrs))
		for k, v := range c.NameAttr {
			merged[k] = v
		}
		for k, v := range attrs {
			merged[k] = v
		}
		c.NameAttr = merged
	}
	if c.Palette == nil && c.ConsistentPalette {
		c.Palette = Palette{}
		f, err := os.Open(c.PaletteFile)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("flamegraph: palette: %w", err)
		}
		defer f.Close()
		if c.Palette, err = ReadPalette(f); err != nil {
			return fmt.Errorf("%w (in %s)", err, c.PaletteFile)
		}
	}
	return nil
}

func (c *config) savePalette() error {
	f, err := os.Create(c.PaletteFile)
	if err != nil {
		return fmt.Errorf("flamegraph: palette: %w", err)
	}
	if _, err := c.Palette.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("flamegraph: writing palette %s: %w", c.PaletteFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("flamegraph: writing palette %s: %w", c.PaletteFile, err)
	}
	return nil
}

// writeErrorSVG writes the small SVG flamegraph.pl emits for empty input, so
// a pipeline still shows something.
func writeErrorSVG(w io.Writer, c *config) error {
	var b []byte
	b = c.appendHeader(b, c.FontSize*5)
	b = append(b, ">\n<text x=\""...)
	b = appendNum(b, float64(c.Width/2))
	b = append(b, `" y="`...)
	b = appendNum(b, c.FontSize*2)
	b = append(b, `" text-anchor="middle" font-family="`...)
	b = appendEscaped(b, c.FontType)
	b = append(b, `" font-size="`...)
	b = appendNum(b, c.FontSize)
	b = append(b, "\">ERROR: No valid input provided to flamegraph.</text>\n</svg>\n"...)
	_, err := w.Write(b)
	return err
}

// appendHeader appends the XML declaration and the opening svg tag.
func (c *config) appendHeader(b []byte, height float64) []byte {
	b = append(b, `<?xml version="1.0"`...)
	if c.Encoding != "" {
		b = append(append(append(b, ` encoding="`...), c.Encoding...), '"')
	}
	b = append(b, ` standalone="no"?>`+"\n"+
		`<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">`+"\n"+
		`<svg version="1.1" width="`...)
	b = appendNum(b, float64(c.Width))
	b = append(b, `" height="`...)
	b = appendNum(b, height)
	b = append(b, `" viewBox="0 0 `...)
	b = appendNum(b, float64(c.Width))
	b = append(b, ' ')
	b = appendNum(b, height)
	return append(b, `" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"`...)
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
	buf          []byte
}

func newRenderer(w io.Writer, c *config, t *tree, differential bool) *renderer {
	r := &renderer{
		w: bufio.NewWriterSize(w, 64<<10), c: c, t: t, differential: differential,
		colors:  colorer{palette: c.Colors, hash: c.Hash, random: c.Random},
		timeMax: t.total,
	}
	if c.Total > t.total {
		r.timeMax = c.Total
	}
	r.perTime = float64(c.Width-2*xpad) / r.timeMax
	minTime := c.minWidth / r.perTime
	if c.minPercent {
		minTime = r.timeMax * c.minWidth / 100
	}
	t.prune(minTime)
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
	return r
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
	r.buf = append(r.buf, script...)
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

// writeHead appends everything before the frames: header, style,
// background, headings, buttons and the text lines the script fills.
func (r *renderer) writeHead() {
	c := r.c
	b := c.appendHeader(r.buf, r.height)
	b = append(b, ` data-total="`...)
	b = appendNum(b, r.timeMax)
	b = append(b, `" data-fs="`...)
	b = appendNum(b, c.FontSize)
	b = append(b, `" data-fw="`...)
	b = appendNum(b, c.FontWidth)
	b = append(b, `" data-nametype="`...)
	b = appendEscaped(b, c.NameType)
	b = append(b, "\">\n"...)
	if c.Notes != "" {
		b = append(b, "<!-- NOTES: "...)
		b = append(b, commentSafe(c.Notes)...)
		b = append(b, " -->\n"...)
	}
	b = append(b, `<defs><linearGradient id="background" y1="0" y2="1" x1="0" x2="0"><stop stop-color="`...)
	b = append(b, c.bg1...)
	b = append(b, `" offset="5%"/><stop stop-color="`...)
	b = append(b, c.bg2...)
	b = append(b, "\" offset=\"95%\"/></linearGradient></defs>\n<style type=\"text/css\">\ntext{font-family:"...)
	b = appendEscaped(b, c.FontType)
	b = append(b, ";font-size:"...)
	b = appendNum(b, c.FontSize)
	b = append(b, "px;fill:#000}\n#title{text-anchor:middle;font-size:"...)
	b = appendNum(b, c.FontSize+5)
	b = append(b, "px}\n"+style...)
	b = append(b, `<rect x="0" y="0" width="`...)
	b = appendNum(b, float64(c.Width))
	b = append(b, `" height="`...)
	b = appendNum(b, r.height)
	b = append(b, "\" fill=\"url(#background)\"/>\n"...)
	mid := float64(c.Width / 2)
	top := c.FontSize * 2
	bottom := r.height - r.ypad2()/2
	right := float64(c.Width - xpad)
	b = appendText(b, "title", mid, top, c.Title, "")
	if c.Subtitle != "" {
		b = appendText(b, "subtitle", mid, c.FontSize*4, c.Subtitle, "")
	}
	b = appendText(b, "details", xpad, bottom, " ", "")
	b = appendText(b, "unzoom", xpad, top, "Reset Zoom", "hide")
	b = appendText(b, "search", right-100, top, "Search", "")
	b = appendText(b, "ignorecase", right-16, top, "ic", "")
	b = appendText(b, "matched", right, bottom, " ", "")
	r.buf = append(b, "<g id=\"frames\">\n"...)
}

// style is the static part of the style sheet: buttons, hover, zoom states.
const style = `#subtitle{text-anchor:middle;fill:#a0a0a0}
#matched{text-anchor:end}
#search,#ignorecase{opacity:.1;cursor:pointer}
#search:hover,#search.show,#ignorecase:hover,#ignorecase.show{opacity:1}
#unzoom{cursor:pointer}
#frames>*{cursor:pointer}
#frames>:hover>rect{stroke:#000;stroke-width:.5;vector-effect:non-scaling-stroke}
#frames rect{rx:2px;ry:2px}
#frames text,#labels{pointer-events:none}
text.w{fill:#fff}
#frames.zt text{visibility:hidden}
.hide{display:none}
.parent{opacity:.5}
</style>
`

func appendText(b []byte, id string, x, y float64, text, class string) []byte {
	b = append(b, `<text id="`...)
	b = append(b, id...)
	b = append(b, `" x="`...)
	b = appendNum(b, x)
	b = append(b, `" y="`...)
	b = appendNum(b, y)
	if class != "" {
		b = append(append(append(b, `" class="`...), class...), '"')
	} else {
		b = append(b, '"')
	}
	b = append(b, '>')
	b = appendEscaped(b, text)
	return append(b, "</text>\n"...)
}

// appendFrame appends one frame: its group (or link), tooltip, rectangle
// and, when it fits, its label.
func (r *renderer) appendFrame(f *frame) {
	c := r.c
	b := r.buf
	end := f.end
	isRoot := f.depth == 0 && f.name == ""
	if isRoot {
		end = r.timeMax
	}
	x1 := xpad + f.start*r.perTime
	x2 := xpad + end*r.perTime
	var y1, y2 float64
	if c.Inverted {
		y1 = r.ypad1() + float64(f.depth*c.Height)
		y2 = r.ypad1() + float64((f.depth+1)*c.Height) - framePad
	} else {
		y1 = r.height - r.ypad2() - float64((f.depth+1)*c.Height) + framePad
		y2 = r.height - r.ypad2() - float64(f.depth*c.Height)
	}
	name := f.name[:len(f.name)-annotationLen(f.name)]
	attrs := c.NameAttr[f.name]
	href := attrs["href"]
	if href != "" {
		b = append(b, `<a xlink:href="`...)
		b = appendEscaped(b, href)
		b = append(b, `" target="`...)
		b = appendEscaped(b, cmp.Or(attrs["target"], "_top"))
		b = append(b, '"')
	} else {
		b = append(b, "<g"...)
	}
	b = r.appendAttrs(b, attrs)
	b = append(b, ` data-x="`...)
	b = appendNum(b, f.start)
	b = append(b, `" data-w="`...)
	b = appendNum(b, end-f.start)
	b = append(b, `"><title>`...)
	if t, ok := attrs["title"]; ok {
		// The script finds the name of a frame with its own tooltip here.
		b = b[:len(b)-len("><title>")]
		b = append(b, ` data-n="`...)
		b = appendEscaped(b, name)
		b = append(b, `"><title>`...)
		b = appendEscaped(b, t)
	} else {
		samples := math.RoundToEven((end - f.start) * c.Factor)
		if isRoot {
			b = append(b, "all"...)
		} else {
			b = appendEscaped(b, name)
		}
		b = append(b, " ("...)
		b = appendCount(b, samples)
		b = append(b, ' ')
		b = appendEscaped(b, c.CountName)
		if isRoot {
			b = append(b, ", 100%"...)
		} else {
			b = append(b, ", "...)
			b = appendFixed(b, 100*samples/(r.timeMax*c.Factor), 2)
			b = append(b, '%')
			if r.differential {
				d := f.delta
				if c.Negate && d != 0 { // perl negates a zero to zero, not -0
					d = -d
				}
				b = append(b, "; "...)
				if d > 0 {
					b = append(b, '+')
				}
				b = appendFixed(b, 100*d/(r.timeMax*c.Factor), 2)
				b = append(b, '%')
			}
		}
		b = append(b, ')')
	}
	// flamegraph.pl prints both edges with one decimal, then the
	// difference of the printed numbers: a whole number of tenths.
	x1t, x2t := tenths(x1), tenths(x2)
	b = append(b, `</title><rect x="`...)
	b = appendScaled(b, x1t, 10)
	b = append(b, `" y="`...)
	b = appendNum(b, y1)
	b = append(b, `" width="`...)
	b = appendScaled(b, x2t-x1t, 10)
	b = append(b, `" height="`...)
	b = appendNum(b, y2-y1)
	b = append(b, `" fill="`...)
	fill := r.color(f)
	b = fill.appendHex(b)
	b = append(b, `"/>`...)
	if chars := int((x2 - x1) / (c.FontSize * c.FontWidth)); chars >= 3 {
		b = append(b, `<text x="`...)
		if n, ok := roundScaled(x1+3, 100); ok {
			b = appendScaled(b, int64(n), 100)
		} else {
			b = appendFixed(b, x1+3, 2)
		}
		b = append(b, `" y="`...)
		b = appendNum(b, 3+(y1+y2)/2)
		if whiteLabel(fill) {
			b = append(b, `" class="w`...)
		}
		b = append(b, `">`...)
		b = appendLabel(b, name, chars)
		b = append(b, "</text>"...)
	}
	if href != "" {
		b = append(b, "</a>\n"...)
	} else {
		b = append(b, "</g>\n"...)
	}
	r.buf = b
}

// appendLabel appends the first chars characters of name, the last two
// replaced by ".." when name is longer.
func appendLabel(b []byte, name string, chars int) []byte {
	if len(name) <= chars { // fewer bytes, so fewer characters
		return appendEscaped(b, name)
	}
	cut := runePrefix(name, chars)
	if len(cut) == len(name) {
		return appendEscaped(b, name)
	}
	cut = runePrefix(cut, chars-2)
	return append(appendEscaped(b, cut), ".."...)
}

// appendAttrs appends a frame's extra attributes from nameattr, sorted.
func (r *renderer) appendAttrs(b []byte, attrs Attributes) []byte {
	if len(attrs) == 0 {
		return b
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		switch k {
		case "title", "href", "target":
			continue
		}
		if validAttrName(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = append(append(append(b, ' '), k...), `="`...)
		b = append(appendEscaped(b, attrs[k]), '"')
	}
	return b
}

// color picks a frame's fill as flamegraph.pl does: separators grey,
// differentials by change, else from the palette.
func (r *renderer) color(f *frame) Color {
	switch {
	case f.name == "--":
		return colorDashDash
	case f.name == "-":
		return colorDash
	case r.differential:
		return diffColor(f.delta, r.t.maxDelta, r.c.Negate)
	case r.c.Palette != nil:
		col, ok := r.c.Palette[f.name]
		if !ok {
			col = r.colors.color(f.name)
			r.c.Palette[f.name] = col
		}
		return col
	}
	return r.colors.color(f.name)
}
