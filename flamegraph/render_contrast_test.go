package flamegraph

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// extremeDiff returns a differential profile of the real capture against a
// changed copy with the extremes of the colour scale: the heaviest stack
// halves, which is the biggest change (the darkest blue), stacks a quarter
// as heavy grow by as much (the darkest reds), others grow or shrink less.
func extremeDiff(t testing.TB) *Profile {
	t.Helper()
	before, err := Parse(bytes.NewReader(readTestdata(t, "real-all.folded.gz")))
	if err != nil {
		t.Fatal(err)
	}
	heaviest := 0
	for i, s := range before.Stacks {
		if s.Count > before.Stacks[heaviest].Count {
			heaviest = i
		}
	}
	biggest := before.Stacks[heaviest].Count / 2
	after := &Profile{}
	for i, s := range before.Stacks {
		switch {
		case i == heaviest:
			after.Add(s.Frames, s.Count-biggest)
		case s.Count >= biggest/2:
			after.Add(s.Frames, s.Count+biggest)
		case i%7 == 0:
			after.Add(s.Frames, 3*s.Count)
		case i%5 == 0:
			after.Add(s.Frames, s.Count/2)
		default:
			after.Add(s.Frames, s.Count)
		}
	}
	return Diff(before, after, DiffOptions{})
}

// parseColor reads "#rrggbb" or "rgb(r,g,b)".
func parseColor(t testing.TB, s string) Color {
	t.Helper()
	s = normFill(s)
	var c Color
	if _, err := fmt.Sscanf(s, "rgb(%d,%d,%d)", &c.R, &c.G, &c.B); err != nil {
		t.Fatalf("colour %q: %v", s, err)
	}
	return c
}

// labelContrast returns the contrast of a label of colour text ("#rrggbb"
// or "rgb(r,g,b)") against its frame's fill.
func labelContrast(t testing.TB, fill, text string) float64 {
	t.Helper()
	a, b := parseColor(t, fill).luminance(), parseColor(t, text).luminance()
	return contrast(max(a, b), min(a, b))
}

// TestLabelContrast checks every label of real graphs against its frame:
// a differential graph with extreme changes (both ways, and negated) and
// the real capture in every palette. Each reaches WCAG's 4.5:1.
func TestLabelContrast(t *testing.T) {
	diff := extremeDiff(t)
	type graph struct {
		name string
		p    *Profile
		opts Options
	}
	graphs := []graph{{"differential", diff, Options{}}, {"differential, negated", diff, Options{Negate: true}}}
	real, err := Parse(bytes.NewReader(readTestdata(t, "real-all.folded.gz")))
	if err != nil {
		t.Fatal(err)
	}
	for _, pal := range Palettes() {
		graphs = append(graphs, graph{pal.String(), real, Options{Colors: pal}}, graph{pal.String() + " hash", real, Options{Colors: pal, Hash: true}})
	}
	for _, g := range graphs {
		var b bytes.Buffer
		if err := Render(&b, g.p, g.opts); err != nil {
			t.Fatal(err)
		}
		_, frames := parseSVG(t, b.Bytes())
		labels, white, darkest := 0, 0, 1.0
		for _, f := range frames {
			text := f.node.child("text")
			if text == nil {
				continue
			}
			labels++
			ink := "#000000" // the style sheet's
			if text.attr("class") == "w" {
				ink = "#ffffff"
				white++
			}
			if c := labelContrast(t, f.fill, ink); c < minContrast {
				t.Errorf("%s: label %q (%s) on %s: contrast %.2f", g.name, f.label, ink, f.fill, c)
			}
			darkest = min(darkest, parseColor(t, f.fill).luminance())
		}
		if labels < 50 {
			t.Errorf("%s: only %d labels", g.name, labels)
		}
		if strings.HasPrefix(g.name, "differential") && (white == 0 || darkest > 0.08) {
			t.Errorf("%s: %d white labels, darkest fill luminance %.3f: the graph lacks the darkest blues", g.name, white, darkest)
		}
	}
}

// TestWhiteLabel checks the label colour at the ends of the differential
// scale and of the hot palette: black stays on pure red (5.3:1) and goes on
// pure blue (2.4:1) and the darkest hot red (3.6:1).
func TestWhiteLabel(t *testing.T) {
	for _, tt := range []struct {
		fill  Color
		white bool
	}{
		{Color{255, 0, 0}, false},
		{Color{0, 0, 255}, true},
		{Color{205, 0, 0}, true},
		{Color{255, 255, 255}, false},
		{Color{230, 0, 230}, false}, // the search highlight
		{Color{160, 160, 160}, false},
	} {
		if got := whiteLabel(tt.fill); got != tt.white {
			t.Errorf("whiteLabel(%v) = %v", tt.fill, got)
		}
	}
}
