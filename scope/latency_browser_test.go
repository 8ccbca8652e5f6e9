package scope

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// writeLatencyPageFile writes b's latency page into the test's directory
// and returns its file URL.
func writeLatencyPageFile(t *testing.T, b *Blocks, opts LatencyPageOptions) string {
	t.Helper()
	var page bytes.Buffer
	if err := WriteLatencyPage(&page, b, opts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "latency.html")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

// clickLatencyCell clicks, with the mouse, the latency page's cell of
// column col and bucket b.
func clickLatencyCell(t *testing.T, ctx context.Context, col, b int) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelectorAll("#fk-heat .col")[%d].querySelector('[data-b="%d"]');if(!e)return null;
		e.scrollIntoView({block:"center",inline:"center"});var r=e.getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2]})()`, col, b)
	xy := evalJS[[]float64](t, ctx, js)
	if len(xy) != 2 {
		t.Fatalf("no cell in column %d, bucket %d", col, b)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
}

func TestLatencyPageInBrowser(t *testing.T) {
	const rounds, shorts = 3, 20
	text, _ := sleepsPerfScript(t, rounds, shorts)
	b, err := ReadOffCPU(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.LatencyMap(LatencyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, watch := newPageBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(writeLatencyPageFile(t, b, LatencyPageOptions{ByFunc: true}))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.getAttribute("data-ready")==="1"`)

	// Every cell, a column at a time, the longest bucket first, with its
	// column's start, bucket and count as the map has them.
	cells := evalJS[[][]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll("#fk-heat .col>div"),
		function(e){return [e.getAttribute("data-t"),e.getAttribute("data-b"),e.getAttribute("data-n")]})`)
	if len(cells) != m.Columns*len(m.Buckets) {
		t.Fatalf("%d cells, want %d columns of %d buckets", len(cells), m.Columns, len(m.Buckets))
	}
	total := 0
	for i, c := range cells {
		col, r := i/len(m.Buckets), len(m.Buckets)-1-i%len(m.Buckets)
		want := []string{fmt.Sprint((time.Duration(col) * m.step).Seconds()), fmt.Sprint(m.Buckets[r].Bucket), fmt.Sprint(m.Values[col][r])}
		if strings.Join(c, " ") != strings.Join(want, " ") {
			t.Errorf("cell %d: data-t, -b, -n %q, want %q", i, c, want)
		}
		total += m.Values[col][r]
	}
	if total != len(b.Blocks) {
		t.Errorf("the cells count %d blocks, want %d", total, len(b.Blocks))
	}

	// A click on the busiest 1 ms cell and on a 100 ms one shows their
	// blocks: count, bucket and function.
	busiest, long := -1, -1
	for c := range m.Columns {
		if busiest < 0 || m.Values[c][shortBucket-m.Buckets[0].Bucket] > m.Values[busiest][shortBucket-m.Buckets[0].Bucket] {
			busiest = c
		}
		if long < 0 && m.Values[c][longBucket-m.Buckets[0].Bucket] > 0 {
			long = c
		}
	}
	for _, c := range []struct {
		col, bucket int
		fn          string
	}{{busiest, shortBucket, "ppoll"}, {long, longBucket, "clock_nanosleep"}} {
		clickLatencyCell(t, ctx, c.col, c.bucket)
		n := m.Values[c.col][c.bucket-m.Buckets[0].Bucket]
		lo, hi := BucketBounds(c.bucket)
		status := evalJS[string](t, ctx, `document.getElementById("fk-status").textContent`)
		for _, want := range []string{fmt.Sprintf(": %d blocks of %d -> %d µs", n, lo, hi), fmt.Sprintf("; %s %d", c.fn, n)} {
			if !strings.Contains(status, want) {
				t.Errorf("column %d, bucket %d: the page says %q, want %q in it", c.col, c.bucket, status, want)
			}
		}
		if sel := evalJS[int](t, ctx, `document.querySelectorAll("#fk-heat .sel").length`); sel != 1 {
			t.Errorf("%d cells selected, want 1", sel)
		}
	}
	// The histograms: all blocks', then ppoll's and clock_nanosleep's.
	hist := evalJS[string](t, ctx, `document.getElementById("fk-hist").textContent`)
	var want bytes.Buffer
	if err := b.WriteHistograms(&want, true); err != nil {
		t.Fatal(err)
	}
	if hist != want.String() || !strings.Contains(hist, "function = ppoll") || !strings.Contains(hist, "function = clock_nanosleep") {
		t.Errorf("the page's histograms:\n%s\nwant\n%s", hist, want.String())
	}
	watch.check(t)
}
