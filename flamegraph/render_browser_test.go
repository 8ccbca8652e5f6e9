package flamegraph

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/flamekit/flamekit/internal/testenv/browser"
)

// serveSVG serves svg at /fg.svg on 127.0.0.1 and returns its URL.
func serveSVG(tb testing.TB, svg []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/fg.svg" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write(svg)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/fg.svg"
}

func eval[T any](tb testing.TB, ctx context.Context, js string) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func do(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatal(err)
	}
}

// center scrolls element expression el into view and returns its centre in
// viewport coordinates, for real mouse events.
func center(tb testing.TB, ctx context.Context, el string) (x, y float64) {
	tb.Helper()
	xy := eval[[]float64](tb, ctx, `(function(){var e=`+el+`;e.scrollIntoView({block:"center"});
		var b=e.getBoundingClientRect();return [b.x+b.width/2,b.y+b.height/2]})()`)
	return xy[0], xy[1]
}

// TestBrowserInteractive drives the SVG's script in Chromium with real mouse
// and keyboard events: search (through the prompt), click to zoom, details
// on hover, reset, state restored from the URL, ignore-case.
func TestBrowserInteractive(t *testing.T) {
	ctx := browser.Start(t, 60*time.Second)
	p, err := Parse(strings.NewReader(string(readTestdata(t, "real-all.folded.gz"))))
	if err != nil {
		t.Fatal(err)
	}
	svg := render(t, string(readTestdata(t, "real-all.folded.gz")), Options{})
	_, frames := parseSVG(t, svg)
	base := serveSVG(t, svg)
	do(t, ctx, chromedp.Navigate(base))
	if n := eval[int](t, ctx, `flamegraph.frames.length`); n != len(frames) {
		t.Fatalf("script sees %d frames, the SVG has %d", n, len(frames))
	}

	// Search through the button and its prompt.
	const term = `^do_sys`
	re := regexp.MustCompile(term)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true, PromptText: term})
		}
	}()
	do(t, ctx, chromedp.MouseClickXY(center(t, ctx, `document.getElementById("search")`)))
	wantHits := 0
	for _, f := range frames {
		if re.MatchString(strings.TrimSpace(f.title[:strings.LastIndex(f.title, " (")])) {
			wantHits++
		}
	}
	if wantHits == 0 {
		t.Fatal("test term matches nothing")
	}
	wantMatched := fmt.Sprintf("Matched: %.1f%% (/%s/)", matchedPercent(p, re), term)
	checkSearch := func(matched string, hits int) {
		t.Helper()
		// After a navigation the page's script may not have run yet when
		// chromedp returns: wait up to 3 s for the search to show.
		var got string
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			got = eval[string](t, ctx, `document.getElementById("matched").textContent`)
			if got == matched || time.Now().After(deadline) {
				break
			}
		}
		if got != matched {
			t.Errorf("matched line %q, want %q", got, matched)
		}
		n := eval[int](t, ctx, `Array.prototype.filter.call(document.querySelectorAll("#frames rect"),
			function(r){return r.getAttribute("fill")=="rgb(230,0,230)"}).length`)
		if n != hits {
			t.Errorf("%d frames highlighted, want %d", n, hits)
		}
	}
	checkSearch(wantMatched, wantHits)

	// Click a frame with the mouse: it fills the width, others hide.
	target := -1
	for i, f := range frames {
		if f.w > 100 && f.w < 600 && f.label != "" && strings.Contains(f.title, "java") {
			target = i
			break
		}
	}
	if target < 0 {
		t.Fatal("no frame to zoom")
	}
	rectJS := fmt.Sprintf(`flamegraph.frames[%d].children[1]`, target)
	do(t, ctx, chromedp.MouseClickXY(center(t, ctx, rectJS)))
	checkZoomed := func() {
		t.Helper()
		checkGeometry(t, ctx, frames, target)
		if eval[string](t, ctx, `getComputedStyle(document.getElementById("unzoom")).display`) == "none" {
			t.Error("Reset Zoom is hidden while zoomed")
		}
		labels := eval[string](t, ctx, `document.getElementById("labels").textContent`)
		if name := frames[target].label; !strings.Contains(labels, strings.TrimSuffix(name, "..")) {
			t.Errorf("zoomed labels %.200q lack %q", labels, name)
		}
	}
	checkZoomed()
	// Matched is now relative to the zoomed frame.
	matchedZoomed := eval[string](t, ctx, `document.getElementById("matched").textContent`)
	if !strings.HasPrefix(matchedZoomed, "Matched: ") || matchedZoomed == wantMatched {
		t.Errorf("matched line after zoom: %q", matchedZoomed)
	}
	loc := waitLocation(t, ctx, func(loc string) bool { return strings.Contains(loc, "x=") })
	q, _ := url.ParseQuery(strings.TrimPrefix(loc, "?"))
	if q.Get("x") == "" || q.Get("y") == "" || q.Get("s") != term {
		t.Errorf("URL state %q lacks x, y or s", loc)
	}

	// Hover a child of the zoomed frame: details with the zoomed share.
	child := target + 1
	do(t, ctx, chromedp.MouseEvent(chromedp.MouseMoved, 0, 0))
	cx, cy := center(t, ctx, fmt.Sprintf(`flamegraph.frames[%d].children[1]`, child))
	do(t, ctx, chromedp.MouseEvent(chromedp.MouseMoved, cx, cy))
	details := eval[string](t, ctx, `document.getElementById("details").textContent`)
	name := frames[child].title[:strings.LastIndex(frames[child].title, " (")]
	if !strings.HasPrefix(details, "Function: "+name+" (") || !strings.HasSuffix(details, "% of zoomed frame)") {
		t.Errorf("details on hover: %q", details)
	}

	// Reset Zoom with the mouse.
	do(t, ctx, chromedp.MouseClickXY(center(t, ctx, `document.getElementById("unzoom")`)))
	checkGeometry(t, ctx, frames, -1)
	waitLocation(t, ctx, func(loc string) bool { return !strings.Contains(loc, "x=") })

	// Reload with ?s=, then ?x=&y= too: search and zoom are restored.
	do(t, ctx, chromedp.Navigate(base+"?s="+url.QueryEscape(term)))
	checkSearch(wantMatched, wantHits)
	do(t, ctx, chromedp.Navigate(base+"?"+q.Encode()))
	checkSearch(matchedZoomed, wantHits)
	checkZoomed()

	// Ignore-case: an upper-case term matches only with Ctrl-I.
	do(t, ctx, chromedp.Navigate(base+"?s="+url.QueryEscape(strings.ToUpper(term))))
	checkSearch(fmt.Sprintf("Matched: 0.0%% (/%s/)", strings.ToUpper(term)), 0)
	do(t, ctx, chromedp.KeyEvent("i", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	checkSearch(fmt.Sprintf("Matched: %.1f%% (/%s/i)", matchedPercent(p, re), strings.ToUpper(term)), wantHits)
	waitLocation(t, ctx, func(loc string) bool { return strings.Contains(loc, "i=1") })
	do(t, ctx, chromedp.MouseClickXY(center(t, ctx, `document.getElementById("ignorecase")`)))
	checkSearch(fmt.Sprintf("Matched: 0.0%% (/%s/)", strings.ToUpper(term)), 0)

	// The button now reads Reset Search and clears it; F3 prompts again.
	if b := eval[string](t, ctx, `document.getElementById("search").textContent`); b != "Reset Search" {
		t.Errorf("search button says %q", b)
	}
	do(t, ctx, chromedp.MouseClickXY(center(t, ctx, `document.getElementById("search")`)))
	checkSearch(" ", 0)
	do(t, ctx, chromedp.KeyEvent(kb.F3))
	checkSearch(wantMatched, wantHits)
	do(t, ctx, chromedp.KeyEvent("f", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	checkSearch(" ", 0)
}

// TestBrowserZoomModes zooms, in a graph of every frame of a synthetic
// profile, into a wide frame (which the script draws by scaling the frames'
// group), into a frame of about 100 px with many descendants (scaling by 11 to 13, and
// rewriting the rectangles the scale would put more than half a pixel off),
// into a narrow frame with few descendants (rewriting its descendants'
// rectangles, with the group moved out of the way), from one zoom to
// another, and checks what the browser draws after each: the frames, their
// corners and the static labels.
func TestBrowserZoomModes(t *testing.T) {
	ctx := browser.Start(t, 60*time.Second)
	var b strings.Builder
	if err := Render(&b, benchProfile10m(), Options{MinWidth: "0"}); err != nil {
		t.Fatal(err)
	}
	_, frames := parseSVG(t, []byte(b.String()))
	do(t, ctx, chromedp.Navigate(serveSVG(t, []byte(b.String()))))
	descendants := func(i int) int {
		j := i + 1
		for j < len(frames) && frames[j].y < frames[i].y {
			j++
		}
		return j - i - 1
	}
	// pick returns the frame lo to hi px wide with the most (or, if
	// fewest, the fewest but one) descendants.
	pick := func(lo, hi float64, fewest bool) int {
		best, bn := -1, 0
		for i, f := range frames {
			if d := descendants(i); i > 0 && f.w >= lo && f.w <= hi && d > 0 && (best < 0 || (d < bn) == fewest && d != bn) {
				best, bn = i, d
			}
		}
		if best < 0 {
			t.Fatalf("no frame %v to %v px wide", lo, hi)
		}
		return best
	}
	wide, deep, narrow := pick(295, 1179, false), pick(90, 107, false), pick(5, 20, true)
	for _, step := range []struct {
		name   string
		target int
		scaled bool // whether the script scales the frames' group or moves the rectangles
	}{
		{"wide", wide, true},
		{"deep", deep, true},
		{"narrow", narrow, false},
		{"deep again", deep, true},
		{"wide again", wide, true},
	} {
		eval[any](t, ctx, fmt.Sprintf(`flamegraph.zoom(%d)`, step.target))
		scale := eval[float64](t, ctx, `document.getElementById("frames").transform.baseVal.consolidate().matrix.a`)
		t.Logf("%s: frame %d, %.1f px wide, %d descendants: group scaled by %.2f", step.name, step.target, frames[step.target].w, descendants(step.target), scale)
		if scaled := scale > 1; scaled != step.scaled {
			t.Errorf("%s zoom: the frames' group is scaled by %.2f", step.name, scale)
		}
		checkGeometry(t, ctx, frames, step.target)
		checkZoomedLook(t, ctx)
	}
	eval[any](t, ctx, `flamegraph.unzoom()`)
	checkGeometry(t, ctx, frames, -1)
	if n := eval[int](t, ctx, `Array.prototype.filter.call(document.querySelectorAll("#frames text"), function(l){return getComputedStyle(l).visibility=="hidden"}).length`); n > 0 {
		t.Errorf("%d static labels hidden after unzoom", n)
	}
}

// checkZoomedLook checks, while zoomed, that frames drawn 8 px wide or more
// have about the corners of the static SVG (2 px; the script lets a zoom by
// 2 or less stretch them), not corners stretched with the zoom, and that no
// static label shows inside the drawing: the zoom's own labels replace them.
func checkZoomedLook(t *testing.T, ctx context.Context) {
	t.Helper()
	bad := eval[[]string](t, ctx, `(function(){var out=[];
		flamegraph.frames.forEach(function(e,i){var r=e.children[1],b=r.getBoundingClientRect(),s=document.documentElement.getBoundingClientRect();
			var visible=Math.min(b.right-s.x,1190)-Math.max(b.left-s.x,10);
			if(visible>=8){var rx=parseFloat(getComputedStyle(r).rx)*r.getCTM().a;
				if(rx<1.99||rx>4.01)out.push("frame "+i+" drawn with corners "+rx.toFixed(2)+" px wide")}
			var l=e.children[2];if(!l||getComputedStyle(l).visibility=="hidden")return;
			var lb=l.getBoundingClientRect();
			if(Math.min(lb.right-s.x,1190)-Math.max(lb.left-s.x,10)>0)out.push("static label of frame "+i+" shows: "+l.textContent)});
		return out})()`)
	for i, s := range bad {
		if i == 5 {
			t.Errorf("and %d more", len(bad)-5)
			break
		}
		t.Error(s)
	}
}

// waitLocation waits for location.search to satisfy ok (the script updates
// the URL shortly after a change) and returns it.
func waitLocation(t *testing.T, ctx context.Context, ok func(string) bool) string {
	t.Helper()
	var loc string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if loc = eval[string](t, ctx, `location.search`); ok(loc) {
			return loc
		}
	}
	t.Errorf("URL state %q not as expected", loc)
	return loc
}

// checkGeometry checks where the frames are drawn, as the browser shows
// them (transforms and clipping applied): with zoomed < 0 as in the static
// SVG; else the zoomed frame and its ancestors across the full width, its
// descendants spread in proportion, the other frames clipped away.
func checkGeometry(t *testing.T, ctx context.Context, frames []drawn, zoomed int) {
	t.Helper()
	boxes := eval[[][2]float64](t, ctx, `(function(){var s=document.documentElement.getBoundingClientRect();
		return flamegraph.frames.map(function(e){var b=e.children[1].getBoundingClientRect();return [b.x-s.x,b.width]})})()`)
	if len(boxes) != len(frames) {
		t.Fatalf("%d boxes for %d frames", len(boxes), len(frames))
	}
	near := func(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 5 {
			t.Errorf(format, args...)
		}
	}
	var z drawn
	if zoomed >= 0 {
		z = frames[zoomed]
	}
	for i, f := range frames {
		x, w := boxes[i][0], boxes[i][1]
		switch {
		case zoomed < 0:
			if !near(x, f.x, 0.01) || !near(w, f.w, 0.01) {
				report("frame %d %q at %.2f+%.2f, static %.2f+%.2f", i, f.title, x, w, f.x, f.w)
			}
		// (The sums of the static places, rounded to 0.1 px, are off by
		// float rounding.)
		case f.y >= z.y && f.x <= z.x+0.01 && f.x+f.w >= z.x+z.w-0.01: // the zoomed frame or an ancestor
			if !near(x, 10, 0.5) || !near(w, 1180, 0.5) {
				report("frame %d %q (zoomed or ancestor) at %.2f+%.2f", i, f.title, x, w)
			}
		case f.y < z.y && f.x >= z.x-0.01 && f.x+f.w <= z.x+z.w+0.01: // a descendant
			// Where counts put it, each edge within half a pixel: a zoom
			// that scales the static drawing scales its rounding to 0.1 px
			// too, and rewrites the rectangles it would put further off.
			scale := 1180 / z.dataW
			wantX, wantW := 10+(f.dataX-z.dataX)*scale, f.dataW*scale
			const tol = 0.5 + 0.01 // and the browser's float rounding
			if !near(x, wantX, tol) || !near(x+w, wantX+wantW, tol) {
				report("descendant %d %q at %.2f+%.2f, want %.2f+%.2f", i, f.title, x, w, wantX, wantW)
			}
		default: // clipped away: nothing of it inside the drawing width
			if visible := min(x+w, 1190) - max(x, 10); visible > 0.5 {
				report("frame %d %q not in the zoom shows %.2f px", i, f.title, visible)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d frames misplaced (zoomed %d)", bad, zoomed)
	}
}

// matchedPercent is the share of all counts under frames matching re,
// nested matches counted once, computed from the stacks.
func matchedPercent(p *Profile, re *regexp.Regexp) float64 {
	var in, total float64
	for _, s := range p.Stacks {
		total += s.Count
		for _, f := range strings.Split(s.Frames, ";") {
			if re.MatchString(f[:len(f)-annotationLen(f)]) {
				in += s.Count
				break
			}
		}
	}
	return 100 * in / total
}

// TestBrowserLinks checks that a frame with an href follows it on a plain
// click and zooms on Ctrl-click.
func TestBrowserLinks(t *testing.T) {
	ctx := browser.Start(t, 30*time.Second)
	svg := render(t, "main;linked;leaf 5\nmain;other 5\n", Options{
		NameAttrs: NameAttrs{"linked": {"href": "/target"}},
	})
	base := serveSVG(t, svg)
	do(t, ctx, chromedp.Navigate(base))
	rect := `document.querySelector("#frames > a").children[1]`
	x, y := center(t, ctx, rect)
	do(t, ctx, chromedp.MouseClickXY(x, y, chromedp.ButtonModifiers(chromedp.ModifierCtrl)))
	if w := eval[float64](t, ctx, rect+`.getBoundingClientRect().width`); w < 1179.5 || w > 1180.5 {
		t.Errorf("Ctrl-click: link frame is %.1f px wide, want 1180 (zoomed)", w)
	}
	if loc := eval[string](t, ctx, `location.pathname`); loc != "/fg.svg" {
		t.Errorf("Ctrl-click navigated to %s", loc)
	}
	do(t, ctx, chromedp.MouseClickXY(center(t, ctx, rect)))
	// While the page navigates, evaluating fails ("Inspected target
	// navigated or closed"): ask again until the new page answers.
	deadline := time.Now().Add(5 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		if err == nil && loc == "/target" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a plain click on a link frame did not follow it (at %q, %v)", loc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
