package flamegraph

import "io"

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
