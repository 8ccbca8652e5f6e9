package scope

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv/browser"
)

// newPageBrowser starts headless Chromium for one test (testenv.Browser)
// and records what the page must not do: throw, log an error or make a request for anything but its
// own file (and the blob and srcdoc documents it makes). Without Chromium it
// skips, or fails when CI is set.
func newPageBrowser(t *testing.T) (context.Context, *pageWatch) {
	t.Helper()
	ctx := browser.Start(t, 90*time.Second)
	w := &pageWatch{}
	if err := chromedp.Listen(ctx, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			w.problems = append(w.problems, "exception: "+exceptionText(ev.ExceptionDetails))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				w.problems = append(w.problems, fmt.Sprintf("console %s: %v", ev.Type, ev.Args))
			}
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(ev.Request.URL)
			if err != nil || (u.Scheme != "file" && u.Scheme != "blob" && u.Scheme != "about" && u.Scheme != "data") {
				w.problems = append(w.problems, "request: "+ev.Request.URL)
			}
			w.requests++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return ctx, w
}

// exceptionText describes an exception the page threw.
func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

// pageWatch is what a page did that it must not.
type pageWatch struct {
	mu       sync.Mutex
	problems []string
	requests int
}

func (w *pageWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		t.Error(p)
	}
	if w.requests == 0 {
		t.Error("saw no request at all: the watch is not working")
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitJS waits up to 10 s for js to be true.
func waitJS(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !evalJS[bool](t, ctx, js); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s; the page says %q, at %s", js,
				evalJS[string](t, ctx, `(document.getElementById("fk-status")||{}).textContent`), evalJS[string](t, ctx, `location.href`))
		}
	}
}

// clickCell clicks the heat map's cell that starts at t seconds, with the
// mouse.
func clickCell(t *testing.T, ctx context.Context, seconds float64) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=Array.prototype.find.call(document.querySelectorAll("#fk-heat [data-t]"),
		function(e){return Math.abs(e.getAttribute("data-t")-%v)<1e-9});if(!e)return null;e.scrollIntoView({block:"center",inline:"center"});
		var b=e.getBoundingClientRect();return [b.x+b.width/2,b.y+b.height/2]})()`, seconds)
	xy := evalJS[[]float64](t, ctx, js)
	if len(xy) != 2 {
		t.Fatalf("no cell at %v s", seconds)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
}

// writePageFile writes ix's page into the test's directory and returns its
// file URL.
func writePageFile(t *testing.T, ix *Index, opts PageOptions) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scope.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePage(f, ix, opts); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

// graphFramesJS is a function of an SVG document that returns its flame
// graph's frames as text: each frame's attributes, tooltip and label.
const graphFramesJS = `(function(d){if(!d||!d.getElementById("frames"))return [];
	return Array.prototype.map.call(d.getElementById("frames").children,function(g){
		return [g.getAttribute("data-x"),g.getAttribute("data-w"),g.children[0].textContent,
			g.children[1].getAttribute("x"),g.children[1].getAttribute("y"),g.children[1].getAttribute("width"),
			g.children[1].getAttribute("height"),g.children[1].getAttribute("fill"),
			g.children[2]?g.children[2].textContent+"@"+g.children[2].getAttribute("x")+","+g.children[2].getAttribute("y")+","+(g.children[2].getAttribute("class")||""):""].join("|")})})`

// pageGraphJS evaluates to the frames of the page's flame graph.
const pageGraphJS = graphFramesJS + `(document.getElementById("fk-graph").contentDocument)`

// burstStripe returns the first second with burst_phase samples in the
// heat map of phases.perf.gz, and the first and last offset ranks (0 = the
// second's start) of its burst cells.
func burstStripe(t *testing.T, ix *Index) (col, first, last int) {
	t.Helper()
	h := ix.HeatMap()
	rows := len(h.Rows)
	for c := range h.Columns {
		first, last = -1, -1
		for k := range rows {
			for _, sc := range ix.Cell(c, rows-1-k) {
				if strings.Contains(ix.p.Stacks()[sc.Stack].Frames, "burst_phase") {
					if first < 0 {
						first = k
					}
					last = k
				}
			}
		}
		if first >= 0 && last-first >= rows/10 {
			return c, first, last
		}
	}
	t.Fatal("no burst stripe in the heat map")
	return
}

// steadyColumn returns a second of phases.perf.gz whose cells from offset
// rank first to last all have steady_phase samples.
func steadyColumn(t *testing.T, ix *Index, first, last int) int {
	t.Helper()
	rows := len(ix.HeatMap().Rows)
	for c := range ix.HeatMap().Columns {
		all := true
		for k := first; k <= last && all; k++ {
			found := false
			for _, sc := range ix.Cell(c, rows-1-k) {
				found = found || strings.Contains(ix.p.Stacks()[sc.Stack].Frames, "steady_phase")
			}
			all = found
		}
		if all {
			return c
		}
	}
	t.Fatal("no steady second in the heat map")
	return 0
}

func readPhases(t *testing.T) *Profile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "phases.perf.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ReadPerfScript(f, PerfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPageInBrowser(t *testing.T) {
	p := readPhases(t)
	ix, err := NewIndex(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, watch := newPageBrowser(t)
	pageURL := writePageFile(t, ix, PageOptions{})
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.getAttribute("data-ready")==="1"`)

	// Every cell, with its start and count as the heat map has them.
	checkCells(t, ctx, ix.HeatMap())
	if got, want := evalJS[string](t, ctx, `document.getElementById("fk-max").textContent`), fmt.Sprint(ix.HeatMap().MaxValue); got != want {
		t.Errorf("the scale's max is %s, want %s", got, want)
	}

	// Two cells: the burst's stripe, drawn as Render draws its range.
	col, first, last := burstStripe(t, ix)
	rows := float64(len(ix.HeatMap().Rows))
	a := Range{Start: float64(col) + float64(first)/rows, End: float64(col) + float64(last+1)/rows}
	clickCell(t, ctx, float64(col)+float64(last)/rows)
	clickCell(t, ctx, float64(col)+float64(first)/rows)
	waitJS(t, ctx, `(function(d){return !!d&&!!d.getElementById("frames")})(document.getElementById("fk-graph").contentDocument)`)
	got := evalJS[[]string](t, ctx, pageGraphJS)
	fp, err := ix.Range(a)
	if err != nil {
		t.Fatal(err)
	}
	checkFramesAsRendered(t, ctx, got, fp, "burst_phase")
	if h := evalJS[string](t, ctx, `location.hash`); h != "#rows=50&range="+a.String() {
		t.Errorf("URL fragment %q, want rows=50&range=%v", h, a)
	}
	// The graph runs Render's script: search marks the burst's frames.
	if n := evalJS[int](t, ctx, `(function(){var w=document.getElementById("fk-graph").contentWindow;w.flamegraph.search("burst_phase");
		return w.document.querySelectorAll('#frames rect[fill="rgb(230,0,230)"]').length})()`); n == 0 {
		t.Error("the graph's search marks no frame")
	}

	// Two more: the differential graph of a steady second against the
	// stripe.
	steady := steadyColumn(t, ix, first, last)
	b := Range{Start: float64(steady) + float64(first)/rows, End: float64(steady) + float64(last+1)/rows}
	clickCell(t, ctx, b.Start)
	clickCell(t, ctx, float64(steady)+float64(last)/rows)
	waitJS(t, ctx, `location.hash.indexOf("vs=")>0`)
	waitJS(t, ctx, `(function(d){return !!d&&!!d.getElementById("title")&&d.getElementById("title").textContent.indexOf("Differential")===0})(document.getElementById("fk-graph").contentDocument)`)
	diff := evalJS[[]string](t, ctx, pageGraphJS)
	dp, err := ix.Diff(a, b, flamegraph.DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkFramesAsRendered(t, ctx, diff, dp, "steady_phase")

	// The URL reopens the same view.
	hash := evalJS[string](t, ctx, `location.hash`)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(pageURL+hash)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.getAttribute("data-ready")==="1"`)
	waitJS(t, ctx, `(function(d){return !!d&&!!d.getElementById("frames")})(document.getElementById("fk-graph").contentDocument)`)
	if again := evalJS[[]string](t, ctx, pageGraphJS); strings.Join(again, "\n") != strings.Join(diff, "\n") {
		t.Errorf("reopening %s draws %d frames, not the %d it drew", hash, len(again), len(diff))
	}

	// The rows selector redraws the grid.
	evalJS[bool](t, ctx, `(function(s){s.value="10";return s.dispatchEvent(new Event("change"))})(document.getElementById("fk-rows"))`)
	h10, err := p.HeatMap(Options{Rows: 10})
	if err != nil {
		t.Fatal(err)
	}
	checkCells(t, ctx, h10)
	if h := evalJS[string](t, ctx, `location.hash`); !strings.HasPrefix(h, "#rows=10&") {
		t.Errorf("URL fragment %q after choosing 10 rows", h)
	}
	watch.check(t)
}

// checkCells checks the page's cells against a heat map: one a cell, each
// with its start in seconds and its count.
func checkCells(t *testing.T, ctx context.Context, h *HeatMap) {
	t.Helper()
	cells := evalJS[[][]float64](t, ctx, `Array.prototype.map.call(document.querySelectorAll("#fk-heat [data-t]"),function(e){return [+e.getAttribute("data-t"),+e.getAttribute("data-n")]})`)
	rows := len(h.Rows)
	if len(cells) != len(h.Columns)*rows {
		t.Fatalf("%d cells, want %d columns of %d rows", len(cells), len(h.Columns), rows)
	}
	want := map[string]int{}
	for c := range h.Columns {
		for r := range rows {
			want[fmt.Sprintf("%.6f", float64(c)+float64(rows-1-r)/float64(rows))] = h.Values[c][r]
		}
	}
	for _, cell := range cells {
		key := fmt.Sprintf("%.6f", cell[0])
		n, ok := want[key]
		if !ok {
			t.Errorf("a cell at %s s, which the heat map has not", key)
			continue
		}
		if int(cell[1]) != n {
			t.Errorf("cell at %s s counts %v, the heat map %d", key, cell[1], n)
		}
	}
}

// checkFramesAsRendered checks that the page drew the frames
// flamegraph.Render draws for fp, and that they include a frame named
// name (unless name is "").
func checkFramesAsRendered(t *testing.T, ctx context.Context, got []string, fp *flamegraph.Profile, name string) {
	t.Helper()
	var svg strings.Builder
	if err := flamegraph.Render(&svg, fp, flamegraph.Options{}); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(svg.String())
	if err != nil {
		t.Fatal(err)
	}
	want := evalJS[[]string](t, ctx, graphFramesJS+`(new DOMParser().parseFromString(`+string(js)+`,"image/svg+xml"))`)
	if len(want) == 0 {
		t.Fatal("Render drew no frames")
	}
	if len(got) != len(want) {
		t.Errorf("the page draws %d frames, Render %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("frame %d: the page draws\n\t%s\nRender\n\t%s", i, got[i], want[i])
		}
	}
	found := name == ""
	for _, f := range got {
		found = found || strings.Contains(f, "|"+name+" (")
	}
	if !found {
		t.Errorf("no frame %s in the page's graph", name)
	}
}

// BenchmarkPageInBrowser opens the page of a 10-minute system-wide
// recording at 99 Hz on 64 CPUs (3.8 M samples, bigProfile; indexed at 100
// rows, as flamekit scope indexes it) in Chromium, and reports the time
// until its heat map is drawn and then until the flame graph of a 10 s
// range and of the whole profile are drawn.
func BenchmarkPageInBrowser(b *testing.B) {
	p := bigProfile(b)
	ix, err := NewIndex(p, Options{Rows: 100})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "big.html")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := WritePage(f, ix, PageOptions{Rows: 50}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	ctx := browser.Start(b, 10*time.Minute)
	wait := func(js string) time.Duration {
		start := time.Now()
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			if err != nil {
				b.Fatal(err)
			}
			if ok {
				return time.Since(start)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	const graphShown = `(function(d){return !!d&&!!d.getElementById("frames")})(document.getElementById("fk-graph").contentDocument)`
	var load, ten, all time.Duration
	for b.Loop() {
		start := time.Now()
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path+"#rows=50")); err != nil {
			b.Fatal(err)
		}
		load += time.Since(start) + wait(`document.body.getAttribute("data-ready")==="1"`)
		for _, r := range []struct {
			frag string
			d    *time.Duration
		}{{"#rows=50&range=100,110", &ten}, {"#rows=50&range=0,600", &all}} {
			start := time.Now()
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.hash=`+strconvQuote(r.frag)+`;true`)); err != nil {
				b.Fatal(err)
			}
			*r.d += time.Since(start) + wait(graphShown)
			chromedp.Run(ctx, chromedp.Evaluate[bool](`location.hash="#rows=50";true`))
			wait(`!document.getElementById("fk-graph").hasAttribute("srcdoc")`)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(st.Size())/(1<<20), "MiB/page")
	b.ReportMetric(load.Seconds()/n, "s/load")
	b.ReportMetric(ten.Seconds()/n, "s/range-10s")
	b.ReportMetric(all.Seconds()/n, "s/range-600s")
}

func strconvQuote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// The page draws what Render draws for whole profiles of the real capture
// and of the synthetic one with its idle CPUs (many processes, kernel, JIT
// and [unknown] frames), and for ranges of them, reopened from their URLs.
func TestPageDrawsAsRenderDoes(t *testing.T) {
	ctx, watch := newPageBrowser(t)
	for _, c := range []struct {
		file   string
		idle   bool
		ranges []Range
	}{
		{"../testdata/perf-script-real.txt.gz", false, []Range{{0, 0}, {0.5, 1}, {3, 3.02}}},
		{"testdata/gen-idle.perf.gz", true, []Range{{0, 0}, {2, 3.5}}},
		{"", false, []Range{{0, 0}, {1, 1.5}}},
	} {
		p := narrowFramesProfile(t)
		if c.file != "" {
			f, err := os.Open(c.file)
			if err != nil {
				t.Fatal(err)
			}
			p, err = ReadPerfScript(f, PerfOptions{})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		ix, err := NewIndex(p, Options{Idle: c.idle})
		if err != nil {
			t.Fatal(err)
		}
		pageURL := writePageFile(t, ix, PageOptions{})
		for _, r := range c.ranges {
			if r.End == 0 {
				r.End = float64(p.Seconds())
			}
			if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(pageURL+"#rows=50&range="+r.String())); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `(function(d){return !!d&&!!d.getElementById("frames")})(document.getElementById("fk-graph").contentDocument)`)
			fp, err := ix.Range(r)
			if err != nil {
				t.Fatal(err)
			}
			checkFramesAsRendered(t, ctx, evalJS[[]string](t, ctx, pageGraphJS), fp, "")
		}
	}
	watch.check(t)
}

// narrowFramesProfile is 3 s of 30,000 samples, most of one stack, and
// single samples of other stacks: frames narrower than MinWidth (0.1 px),
// which Render leaves out, beside wide ones.
func narrowFramesProfile(t *testing.T) *Profile {
	t.Helper()
	bl := newBuilder()
	hot, _ := bl.stack([]byte("hot"), false)
	bl.p.stacks[hot].Frames = "prog;main;hot"
	for i := range 30000 {
		id := hot
		if i%100 == 0 {
			key := "rare" + strconv.Itoa(i/100)
			id, _ = bl.stack([]byte(key), false)
			bl.p.stacks[id].Frames = "prog;main;" + key + ";leaf"
		}
		bl.add(100+(float64(i)+0.5)/10000, id) // none on a cell's edge, which a range includes and a page's cells do not
	}
	p, err := bl.profile()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
