package flamegraph_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ulikunitz/xz"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/internal/perfgen"
	"github.com/flamekit/flamekit/internal/testenv/browser"
)

// zoomInputEnv names a profile file (folded stacks, perf script, pprof or
// bpftrace output; gzip- or xz-compressed or not) that BenchmarkBrowserZoom
// measures too, as its sub-benchmark "input".
const zoomInputEnv = "FLAMEKIT_ZOOM_INPUT"

// zoomGraph is a big flame graph BenchmarkBrowserZoom clicks in.
type zoomGraph struct {
	name string
	svg  func(testing.TB) []byte
}

// zoomGraphs are the graphs BenchmarkBrowserZoom measures: every frame
// (MinWidth 0, about 66k) of the synthetic 200m profile; the fold of
// bench/collapse-render's generated perf script (gen-perf-script 70000
// --seed 1) at the default MinWidth; the real system-wide capture of
// bench/testdata, folded as flamekit collapse does; and the file named by
// FLAMEKIT_ZOOM_INPUT, if set.
func zoomGraphs() []zoomGraph {
	graphs := []zoomGraph{
		{"synthetic-all", func(tb testing.TB) []byte {
			return renderSVG(tb, flamegraph.BenchProfile200m(), flamegraph.Options{MinWidth: "0"})
		}},
		{"perfgen-70000", func(tb testing.TB) []byte {
			var text bytes.Buffer
			if err := perfgen.Write(&text, perfgen.Options{Samples: 70000, Seed: 1}); err != nil {
				tb.Fatal(err)
			}
			return renderSVG(tb, collapseProfile(tb, &text), flamegraph.Options{})
		}},
		{"system-wide", func(tb testing.TB) []byte {
			return renderSVG(tb, collapseFile(tb, filepath.Join("..", "bench", "testdata", "system-wide.perf-script.xz")), flamegraph.Options{})
		}},
	}
	if path := os.Getenv(zoomInputEnv); path != "" {
		graphs = append(graphs, zoomGraph{"input", func(tb testing.TB) []byte {
			return renderSVG(tb, collapseFile(tb, path), flamegraph.Options{})
		}})
	}
	return graphs
}

func renderSVG(tb testing.TB, p *flamegraph.Profile, o flamegraph.Options) []byte {
	tb.Helper()
	var svg bytes.Buffer
	if err := flamegraph.Render(&svg, p, o); err != nil {
		tb.Fatal(err)
	}
	return svg.Bytes()
}

// collapseFile folds the profile in path as flamekit collapse does,
// decompressing it first if its name ends in .xz.
func collapseFile(tb testing.TB, path string) *flamegraph.Profile {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".xz") {
		if r, err = xz.NewReader(f); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
	}
	return collapseProfile(tb, r)
}

func collapseProfile(tb testing.TB, r io.Reader) *flamegraph.Profile {
	tb.Helper()
	p, _, err := collapse.Read(r, collapse.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// zoomTargets returns the frames BenchmarkBrowserZoom zooms into: the
// widest frame narrower than the whole graph (the most descendants to
// show), and, "deep", the frame 80 to 120 px wide with the most
// descendants (a zoom by more than 10, where the script also rewrites the
// rectangles). Descendants are the frames after it drawn above it.
const zoomTargets = `(function(){var f=flamegraph.frames,n=f.length,tot=+document.documentElement.getAttribute("data-total");
	var wide=-1,ww=-1,deep=-1,dn=-1,i;
	for(i=1;i<n;i++){var w=+f[i].getAttribute("data-w");if(w>ww&&w<tot){ww=w;wide=i}}
	for(i=1;i<n;i++){var px=+f[i].getAttribute("data-w")/tot*1180;if(px<80||px>120)continue;
		var y=+f[i].children[1].getAttribute("y"),j=i+1;
		while(j<n&&+f[j].children[1].getAttribute("y")<y)j++;
		if(j-i>dn){dn=j-i;deep=i}}
	return [wide,deep]})()`

// zoomStep zooms into frame %d and back, timing each: the script alone
// (zoom, unzoom), with the style and layout work it causes (forced by
// reading a bounding box: +layout), and until the next frame has been
// painted (+frame). It also returns the width the zoomed frame is drawn at.
const zoomStep = `(async function(i){
	var fr=document.getElementById("frames");
	function frame(){return new Promise(function(r){requestAnimationFrame(function(){var t=performance.now();setTimeout(function(){r(performance.now()-t)},0)})})}
	await frame();
	var t0=performance.now();flamegraph.zoom(i);var t1=performance.now();
	fr.getBoundingClientRect();var t2=performance.now();
	var paint=await frame();
	var w=flamegraph.frames[i].children[1].getBoundingClientRect().width;
	await frame();
	var t3=performance.now();flamegraph.unzoom();var t4=performance.now();
	fr.getBoundingClientRect();var t5=performance.now();
	var upaint=await frame();
	return [t1-t0,t2-t0,t2-t0+paint,t4-t3,t5-t3,t5-t3+upaint,w]})(%d)`

// BenchmarkBrowserZoom measures, in headless Chromium, zooming into a frame
// of each graph of zoomGraphs and back, as medians over the iterations:
// ms/zoom is the script's time, ms/zoom+layout includes the style and
// layout work the browser does before it can draw, ms/zoom+frame the time
// until the next frame is painted; the same for unzoom; deep- metrics zoom
// into the frame about 100 px wide with the most descendants.
//
//	go test ./flamegraph -run '^$' -bench BrowserZoom -benchtime 20x
//	FLAMEKIT_ZOOM_INPUT=capture.perf-script.xz go test ./flamegraph -run '^$' -bench 'BrowserZoom/input' -benchtime 20x
func BenchmarkBrowserZoom(b *testing.B) {
	ctx := browser.Start(b, time.Hour)
	for _, g := range zoomGraphs() {
		svg := g.svg(b)
		b.Run(g.name, func(b *testing.B) { benchmarkZoom(b, ctx, svg) })
	}
}

func benchmarkZoom(b *testing.B, ctx context.Context, svg []byte) {
	flamegraph.Do(b, ctx, chromedp.Navigate(flamegraph.ServeSVG(b, svg)))
	// A big page's script may still be starting when Navigate returns.
	for deadline := time.Now().Add(time.Minute); flamegraph.Eval[string](b, ctx, `typeof flamegraph`) != "object"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the page's script did not start")
		}
	}
	frames := flamegraph.Eval[int](b, ctx, `flamegraph.frames.length`)
	targets := flamegraph.Eval[[]int](b, ctx, zoomTargets)
	if targets[0] < 0 || targets[1] < 0 {
		b.Fatalf("no frames to zoom into: %v", targets)
	}
	var wide, deep [6][]float64
	step := func(target int, into *[6][]float64) {
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(zoomStep, target), chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		if w := ms[6]; w < 1179 || w > 1181 {
			b.Fatalf("zoomed frame %d drawn %.1f px wide, not 1180", target, w)
		}
		for k := range into {
			into[k] = append(into[k], ms[k])
		}
	}
	b.ResetTimer()
	for range b.N {
		step(targets[0], &wide)
		step(targets[1], &deep)
	}
	b.ReportMetric(float64(frames), "frames")
	for k, name := range []string{"zoom", "zoom+layout", "zoom+frame", "unzoom", "unzoom+layout", "unzoom+frame"} {
		b.ReportMetric(median(wide[k]), "ms/"+name)
		b.ReportMetric(median(deep[k]), "deep-ms/"+name)
	}
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}
