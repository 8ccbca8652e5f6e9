package flamegraph

import (
	"cmp"
	"math"
	"slices"
)

// frameBox is where a frame is drawn: its right edge in counts (the root
// spans the whole width, Options.Total included) and its rectangle in
// pixels.
type frameBox struct {
	end            float64
	x1, x2, y1, y2 float64
}

// appendFrame appends one frame: its group (or link), tooltip, rectangle
// and, when it fits, its label.
func (r *renderer) appendFrame(f *frame) {
	root := f.depth == 0 && f.name == ""
	box := r.place(f, root)
	name := f.name[:len(f.name)-annotationLen(f.name)]
	attrs := r.c.NameAttrs.of(f.name)
	href, _ := attrs.get("href")
	b := appendFrameOpen(r.buf, f.start, box.end, href, attrs)
	b = r.appendTooltip(b, f, box.end, name, attrs, root)
	fill := r.color(f)
	b = appendRect(b, box, fill)
	b = r.appendFrameLabel(b, box, name, fill)
	if href != "" {
		b = append(b, "</a>\n"...)
	} else {
		b = append(b, "</g>\n"...)
	}
	r.buf = b
}

// place returns the box of frame f.
func (r *renderer) place(f *frame, root bool) frameBox {
	end := f.end
	if root {
		end = r.timeMax
	}
	row := r.rows[f.depth]
	return frameBox{end: end, x1: xpad + f.start*r.perTime, x2: xpad + end*r.perTime, y1: row.y1, y2: row.y2}
}

// appendFrameOpen appends the frame's opening tag up to its data-w
// attribute: a link to href when there is one, else a group, with the
// extra attributes of NameAttrs.
func appendFrameOpen(b []byte, start, end float64, href string, attrs Attributes) []byte {
	if href != "" {
		b = append(b, `<a xlink:href="`...)
		b = appendEscaped(b, href)
		b = append(b, `" target="`...)
		b = appendEscaped(b, cmp.Or(attrs["target"], "_top"))
		b = append(b, '"')
	} else {
		b = append(b, "<g"...)
	}
	if len(attrs) > 0 {
		b = appendAttrs(b, attrs)
	}
	b = append(b, ` data-x="`...)
	b = appendNum(b, start)
	b = append(b, `" data-w="`...)
	b = appendNum(b, end-start)
	return append(b, '"')
}

// appendTooltip ends the opening tag and appends the frame's title
// element: the title of NameAttrs, or the name with its count and share of
// the total (and its change, in a differential graph).
func (r *renderer) appendTooltip(b []byte, f *frame, end float64, name string, attrs Attributes, root bool) []byte {
	if t, ok := attrs.get("title"); ok {
		// The script finds the name of a frame with its own tooltip here.
		b = append(b, ` data-n="`...)
		b = appendEscaped(b, name)
		b = append(b, `"><title>`...)
		b = appendEscaped(b, t)
		return append(b, "</title>"...)
	}
	c := r.c
	b = append(b, "><title>"...)
	samples := math.RoundToEven((end - f.start) * c.Factor)
	if root {
		b = append(b, "all"...)
	} else {
		b = appendEscaped(b, name)
	}
	b = append(b, " ("...)
	b = appendCount(b, samples)
	b = append(b, ' ')
	b = appendEscaped(b, c.CountName)
	if root {
		return append(b, ", 100%)</title>"...)
	}
	b = append(b, ", "...)
	b = appendFixed(b, 100*samples/(r.timeMax*c.Factor), 2)
	b = append(b, '%')
	if r.differential {
		b = r.appendDelta(b, f.delta)
	}
	return append(b, ")</title>"...)
}

// appendDelta appends a differential frame's change, in percent of the
// total.
func (r *renderer) appendDelta(b []byte, d float64) []byte {
	if r.c.Negate && d != 0 { // perl negates a zero to zero, not -0
		d = -d
	}
	b = append(b, "; "...)
	if d > 0 {
		b = append(b, '+')
	}
	b = appendFixed(b, 100*d/(r.timeMax*r.c.Factor), 2)
	return append(b, '%')
}

// appendRect appends the frame's rectangle.
func appendRect(b []byte, box frameBox, fill Color) []byte {
	// flamegraph.pl prints both edges with one decimal, then the
	// difference of the printed numbers: a whole number of tenths.
	x1t, x2t := tenths(box.x1), tenths(box.x2)
	b = append(b, `<rect x="`...)
	b = appendScaled(b, x1t, 10)
	b = append(b, `" y="`...)
	b = appendNum(b, box.y1)
	b = append(b, `" width="`...)
	b = appendScaled(b, x2t-x1t, 10)
	b = append(b, `" height="`...)
	b = appendNum(b, box.y2-box.y1)
	b = append(b, `" fill="`...)
	b = fill.appendHex(b)
	return append(b, `"/>`...)
}

// appendFrameLabel appends the frame's label when at least three
// characters fit, white on a fill too dark for black.
func (r *renderer) appendFrameLabel(b []byte, box frameBox, name string, fill Color) []byte {
	chars := int((box.x2 - box.x1) / (r.c.FontSize * r.c.FontWidth))
	if chars < 3 {
		return b
	}
	b = append(b, `<text x="`...)
	if n, ok := roundScaled(box.x1+3, 100); ok {
		b = appendScaled(b, int64(n), 100)
	} else {
		b = appendFixed(b, box.x1+3, 2)
	}
	b = append(b, `" y="`...)
	b = appendNum(b, 3+(box.y1+box.y2)/2)
	if whiteLabel(fill) {
		b = append(b, `" class="w`...)
	}
	b = append(b, `">`...)
	b = appendLabel(b, name, chars)
	return append(b, "</text>"...)
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

// appendAttrs appends a frame's extra attributes from NameAttrs, sorted.
func appendAttrs(b []byte, attrs Attributes) []byte {
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
	case f.name == WakerSeparator:
		return colorWakerSeparator
	case f.name == StackSeparator:
		return colorStackSeparator
	case r.differential:
		return diffColor(f.delta, r.t.maxDelta, r.c.Negate)
	case r.c.PaletteMap != nil:
		col, ok := r.c.PaletteMap[f.name]
		if !ok {
			col = r.colors.color(f.name)
			r.c.PaletteMap[f.name] = col
		}
		return col
	}
	return r.colors.color(f.name)
}
