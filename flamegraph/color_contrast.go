package flamegraph

import "math"

// minContrast is the contrast a label needs against its frame: WCAG's 4.5:1
// for normal text (level AA), which labels of 12 px are.
const minContrast = 4.5

// whiteLabel reports whether a label on fill is drawn white rather than
// black. Black, as flamegraph.pl draws every label, stays when it reaches
// minContrast or contrasts at least as much as white; otherwise (the
// darkest blues of differential graphs, dark reds) white does, and one of
// the two always reaches 4.5:1.
func whiteLabel(fill Color) bool {
	l := fill.luminance()
	black, white := contrast(l, 0), contrast(1, l)
	return black < minContrast && white > black
}

// luminance is the colour's relative luminance, as WCAG 2 defines it.
func (c Color) luminance() float64 {
	return 0.2126*linear[c.R] + 0.7152*linear[c.G] + 0.0722*linear[c.B]
}

// contrast is the WCAG contrast ratio of two relative luminances, the
// lighter first.
func contrast(lighter, darker float64) float64 {
	return (lighter + 0.05) / (darker + 0.05)
}

// linear maps an sRGB channel to linear light.
var linear = func() (t [256]float64) {
	for i := range t {
		s := float64(i) / 255
		if s <= 0.04045 {
			t[i] = s / 12.92
		} else {
			t[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return t
}()
