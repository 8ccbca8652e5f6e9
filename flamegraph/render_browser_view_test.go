package flamegraph

import (
	"bytes"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/flamekit/flamekit/internal/testenv/browser"
)

// view is what the browser window shows of an SVG page.
type view struct {
	ScrollY, InnerHeight float64
	// The top and bottom of the root frame's rectangle and the baseline of
	// the details line, in window coordinates.
	RootTop, RootBottom, DetailsBottom float64
	// Height is the SVG's height attribute.
	Height float64
}

// TestBrowserOpensOnRoot loads the real capture's flame graph, 128 frames
// deep and taller than the window, as a page: it opens scrolled to the
// bottom, where the root, the widest frames and the details line are, with
// the drawing unchanged. An icicle graph opens at the top, where its root
// is; a zoom restored from the URL opens on the zoomed frame, with the
// search restored too.
func TestBrowserOpensOnRoot(t *testing.T) {
	ctx := browser.Start(t, 60*time.Second)
	folded := string(readTestdata(t, "real-all.folded.gz"))
	look := func() view {
		t.Helper()
		v := eval[[]float64](t, ctx, `(function(){var r=flamegraph.frames[0].children[1].getBoundingClientRect();
			return [scrollY,innerHeight,r.top,r.bottom,+document.getElementById("details").getAttribute("y")-scrollY,
			+document.documentElement.getAttribute("height")]})()`)
		return view{ScrollY: v[0], InnerHeight: v[1], RootTop: v[2], RootBottom: v[3], DetailsBottom: v[4], Height: v[5]}
	}

	svg := render(t, folded, Options{})
	_, frames := parseSVG(t, svg)
	base := serveSVG(t, svg)
	do(t, ctx, chromedp.Navigate(base))
	v := look()
	if v.Height <= v.InnerHeight+100 {
		t.Fatalf("the graph (%v px) is not taller than the window (%v px)", v.Height, v.InnerHeight)
	}
	if v.ScrollY < v.Height-v.InnerHeight-1 || v.RootTop < 0 || v.DetailsBottom > v.InnerHeight {
		t.Errorf("flame graph opens at scroll %v of %v: root at %v..%v, details line ends at %v, window %v high",
			v.ScrollY, v.Height-v.InnerHeight, v.RootTop, v.RootBottom, v.DetailsBottom, v.InnerHeight)
	}
	checkGeometry(t, ctx, frames, -1)
	if ys := eval[[]float64](t, ctx, `flamegraph.frames.map(function(e){return +e.children[1].getAttribute("y")})`); len(ys) != len(frames) || ys[0] != frames[0].y || ys[len(ys)-1] != frames[len(frames)-1].y {
		t.Errorf("the frames moved")
	}

	// An icicle graph opens at the top.
	icicle := serveSVG(t, render(t, folded, Options{Inverted: true}))
	do(t, ctx, chromedp.Navigate(icicle))
	if v := look(); v.ScrollY != 0 || v.RootTop < 0 || v.RootBottom > v.InnerHeight {
		t.Errorf("icicle graph opens at scroll %v, root at %v..%v", v.ScrollY, v.RootTop, v.RootBottom)
	}

	// A zoom and a search restored from the URL: the zoomed frame, deep in
	// the graph, is in view and drawn zoomed; the search is applied.
	target := 0 // the deepest frame
	for i, f := range frames {
		if f.y < frames[target].y {
			target = i
		}
	}
	if depth := (frames[0].y - frames[target].y) / (frames[0].h + 1); depth < 100 {
		t.Fatalf("the deepest frame is %v frames deep", depth)
	}
	name := frames[target].title[:strings.LastIndex(frames[target].title, " (")]
	q := url.Values{"x": {fmt.Sprint(frames[target].dataX)}, "y": {fmt.Sprint(frames[target].y)}, "s": {"^" + name[:3]}}
	do(t, ctx, chromedp.Navigate(base+"?"+q.Encode()))
	box := eval[[]float64](t, ctx, fmt.Sprintf(`(function(){var b=flamegraph.frames[%d].children[1].getBoundingClientRect();return [b.top,b.bottom,innerHeight]})()`, target))
	if box[0] < 0 || box[1] > box[2] {
		t.Errorf("the zoomed frame %q is at %v..%v, outside the window (%v high)", name, box[0], box[1], box[2])
	}
	checkGeometry(t, ctx, frames, target)
	if m := eval[string](t, ctx, `document.getElementById("matched").textContent`); !strings.HasPrefix(m, "Matched: ") {
		t.Errorf("the search was not restored: %q", m)
	}

	// A graph shorter than the window does not scroll.
	do(t, ctx, chromedp.Navigate(serveSVG(t, render(t, "main;a 1\nmain;b 2\n", Options{}))))
	if v := look(); v.ScrollY != 0 {
		t.Errorf("a short graph opens at scroll %v", v.ScrollY)
	}
}

// TestBrowserLabelInk checks the contrast of every label the browser shows
// on a differential graph with the extremes of the colour scale: the static
// labels, the labels of frames highlighted by a search, and the labels drawn
// while zoomed, with and without a search.
func TestBrowserLabelInk(t *testing.T) {
	ctx := browser.Start(t, 60*time.Second)
	var b bytes.Buffer
	if err := Render(&b, extremeDiff(t), Options{}); err != nil {
		t.Fatal(err)
	}
	_, frames := parseSVG(t, b.Bytes())
	// A frame with a white label, the darkest blue, to search for and zoom
	// into its parent.
	white := -1
	for i, f := range frames {
		if text := f.node.child("text"); text != nil && text.attr("class") == "w" {
			white = i
			break
		}
	}
	if white < 0 {
		t.Fatal("no white label")
	}
	do(t, ctx, chromedp.Navigate(serveSVG(t, b.Bytes())))
	const staticPairs = `Array.prototype.filter.call(flamegraph.frames, function(e){return e.children[2]&&getComputedStyle(e.children[2]).visibility!="hidden"})
		.map(function(e){return [e.children[1].getAttribute("fill"), getComputedStyle(e.children[2]).fill, e.children[2].textContent]})`
	// The zoom layer's labels, each with the fill of the frame under it.
	const zoomPairs = `Array.prototype.filter.call(document.querySelectorAll("#labels text"), function(l){return l.style.display!="none"})
		.map(function(l){l.scrollIntoView({block:"center"});var b=l.getBoundingClientRect(),r=document.elementsFromPoint(b.x+1,b.y+b.height/2).find(function(e){return e.localName=="rect"&&e.parentNode.parentNode.id=="frames"});
		return [r?r.getAttribute("fill"):"", getComputedStyle(l).fill, l.textContent]})`
	check := func(state, js string, minLabels int) {
		t.Helper()
		pairs := eval[[][3]string](t, ctx, js)
		if len(pairs) < minLabels {
			t.Errorf("%s: %d labels, want at least %d", state, len(pairs), minLabels)
		}
		for _, p := range pairs {
			if p[0] == "" {
				t.Errorf("%s: no frame under label %q", state, p[2])
				continue
			}
			if c := labelContrast(t, p[0], strings.ReplaceAll(p[1], " ", "")); c < minContrast || math.IsNaN(c) {
				t.Errorf("%s: label %q in %s on %s: contrast %.2f", state, p[2], p[1], p[0], c)
			}
		}
	}
	check("static", staticPairs, 50)
	name := frames[white].title[:strings.LastIndex(frames[white].title, " (")]
	term := "^" + regexpQuote(name) + "$"
	eval[any](t, ctx, fmt.Sprintf(`flamegraph.search(%q)`, term))
	if f := eval[string](t, ctx, fmt.Sprintf(`flamegraph.frames[%d].children[1].getAttribute("fill")`, white)); f != "rgb(230,0,230)" {
		t.Fatalf("the searched frame is %s, not highlighted", f)
	}
	check("searched", staticPairs, 50)
	parent := white - 1
	for parent > 0 && frames[parent].y <= frames[white].y {
		parent--
	}
	eval[any](t, ctx, fmt.Sprintf(`flamegraph.zoom(%d)`, parent))
	check("zoomed and searched", zoomPairs, 2)
	eval[any](t, ctx, `flamegraph.resetSearch()`)
	check("zoomed", zoomPairs, 2)
	eval[any](t, ctx, `flamegraph.unzoom()`)
	check("unzoomed", staticPairs, 50)
}

// regexpQuote escapes a frame name for a JavaScript regexp.
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\^$.|?*+()[]{}/`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
