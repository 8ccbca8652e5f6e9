package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/testenv/browser"
	"github.com/flamekit/flamekit/scope"
)

// TestScopeRecordsCommand records scope's phases workload with scope's
// recording mode and checks its page in Chromium: full columns of the
// steady phase, then stripes of about a fifth of a column (the bursts),
// whose range's flame graph is burst_phase's.
func TestScopeRecordsCommand(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireSelfProfiling(t)
	bin := testenv.BuildC(t, "gcc", "scopephases", []string{"../../scope/testdata/phases.c"}, "-O0", "-fno-omit-frame-pointer")
	page := filepath.Join(t.TempDir(), "scope.html")
	code, _, stderr := flamekit(t, "", "scope", "-F", "999", "--user-only", "-o", page, "--", bin, "4")
	if code != 0 {
		t.Fatalf("scope -- phases: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(page); err != nil {
		t.Fatal(err)
	}
	ctx := browser.Start(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	evalWait(t, ctx, `document.body.getAttribute("data-ready")==="1"`)
	// Each column's lit cells, as offset ranks (0 = the second's start).
	cols := evalPage[[][]int](t, ctx, `(function(){var cols=[];document.querySelectorAll("#fk-heat [data-t]").forEach(function(e){
		var t=+e.getAttribute("data-t"),c=Math.floor(t+1e-9),k=Math.round((t-c)*50);
		(cols[c]=cols[c]||[]);if(+e.getAttribute("data-n")>0)cols[c].push(k)});
		return cols.map(function(l){return l.sort(function(a,b){return a-b})})})()`)
	full, stripe := 0, -1
	for c, lit := range cols {
		switch {
		case len(lit) >= 40:
			full++
		case len(lit) >= 7 && len(lit) <= 13 && lit[len(lit)-1]-lit[0] == len(lit)-1 && stripe < 0 && c > 0 && len(cols[c-1]) < 40:
			// Not the column after the steady phase, whose tail
			// can look like a stripe.
			stripe = c
		}
	}
	t.Logf("lit cells by column: %v", cols)
	if full == 0 || stripe < 0 {
		t.Fatalf("the page shows %d full columns and no stripe of about 10 rows in one column", full)
	}
	lit := cols[stripe]
	for _, k := range []int{lit[0], lit[len(lit)-1]} {
		evalPage[bool](t, ctx, `(function(){var e=Array.prototype.find.call(document.querySelectorAll("#fk-heat [data-t]"),function(e){
			return Math.abs(e.getAttribute("data-t")-`+itoa(stripe*50+k)+`/50)<1e-9});e.click();return true})()`)
	}
	evalWait(t, ctx, `(function(d){return !!d&&!!d.getElementById("frames")})(document.getElementById("fk-graph").contentDocument)`)
	names := evalPage[string](t, ctx, `Array.prototype.map.call(document.getElementById("fk-graph").contentDocument.querySelectorAll("#frames title"),function(e){return e.textContent}).join("\n")`)
	if !strings.Contains(names, "burst_phase (") || strings.Contains(names, "steady_phase (") {
		t.Errorf("the stripe's flame graph is not burst_phase's:\n%s", names)
	}
}

func evalPage[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// evalWait waits up to 10 s for js to be true.
func evalWait(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !evalPage[bool](t, ctx, js); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", js)
		}
	}
}

// scope's flags go to scope wherever they are, the others to record.
func TestSplitScopeArgs(t *testing.T) {
	for _, c := range []struct{ args, own, rest string }{
		{"-a -d 10s -o x.html", "-o x.html", "-a -d 10s"},
		{"--rows=20 -p 1 --format json --include-idle", "--rows=20 --format json --include-idle", "-p 1 --include-idle"},
		{"--range 1,2 --vs 3,4 file.perf --title T", "--range 1,2 --vs 3,4", "file.perf --title T"},
		{"-F 999 -o p.html -- prog -o arg --rows 3", "-o p.html", "-F 999 -- prog -o arg --rows 3"},
		{"-h", "-h", ""},
	} {
		own, rest := splitScopeArgs(strings.Fields(c.args))
		if strings.Join(own, " ") != c.own || strings.Join(rest, " ") != c.rest {
			t.Errorf("%q: scope's %q, the rest %q; want %q and %q", c.args, own, rest, c.own, c.rest)
		}
	}
}

// scope -a -d records the whole system with record's flags: the heat map
// of its busy CPUs (this test's own spinning among them).
func TestScopeRecordsSystem(t *testing.T) {
	testenv.RequireRoot(t)
	var stop atomic.Bool // a busy CPU while it records
	defer stop.Store(true)
	go func() {
		for !stop.Load() {
		}
	}()
	code, stdout, stderr := flamekit(t, "", "scope", "-a", "-d", "1500ms", "-F", "199", "--format", "json")
	if code != 0 {
		t.Fatalf("scope -a: exit %d: %s", code, stderr)
	}
	var h scope.HeatMap
	if err := json.Unmarshal([]byte(stdout), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Columns) < 2 || len(h.Rows) != 50 || h.MaxValue == 0 {
		t.Errorf("heat map of %d columns, %d rows, max %d", len(h.Columns), len(h.Rows), h.MaxValue)
	}
}
