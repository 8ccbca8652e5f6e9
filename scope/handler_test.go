package scope

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/testenv/handlertest"
	"github.com/flamekit/flamekit/profile"
)

// serveScopeHandler serves profile.Handler with scope's formats, and
// other targets when others is set.
func serveScopeHandler(t *testing.T, others bool) string {
	srv := handlertest.Serve(t, profile.Handler(profile.HandlerOptions{Formats: HandlerFormats(), AllowOtherTargets: others, MaxDuration: 10 * time.Second}))
	return srv.URL
}

// get is handlertest.MustGet of the server at url.
func get(t *testing.T, url, query string, status int) (*http.Response, string) {
	t.Helper()
	resp, body, err := handlertest.Get(t.Context(), t, http.DefaultClient, url+query)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %s, want %d: %s", query, resp.Status, status, body)
	}
	return resp, string(body)
}

// checkAnswerHeaders checks an answer's Content-Type and its
// Content-Disposition: inline or attachment, and the file's name after
// the test's executable and the event.
func checkAnswerHeaders(t *testing.T, resp *http.Response, contentType, disposition, event, ext string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want %q", got, contentType)
	}
	if got, want := resp.Header.Get("Content-Disposition"), fmt.Sprintf("%s; filename=%q", disposition, filepath.Base(exe)+"-"+event+"."+ext); got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
}

// pageStackCounts decodes a scope page's data: the samples its cells count
// of each of its stacks, and each stack's frames.
func pageStackCounts(t *testing.T, page string) (stacks [][]string, counts []uint64) {
	t.Helper()
	meta := pageMetaOf(t, page)
	m := regexp.MustCompile(`<script type="application/octet-stream" id="fk-data">([^<]*)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page has no cells")
	}
	z, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	words := make([]uint32, len(raw)/4)
	if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, words); err != nil {
		t.Fatal(err)
	}
	var parts [4][]uint32
	for i, n := range meta.Sections {
		if n > len(words) {
			t.Fatalf("the page's data has %d words, its sections %v", len(raw)/4, meta.Sections)
		}
		parts[i], words = words[:n], words[n:]
	}
	stackStart, stackFrames, cellStart, pairs := parts[0], parts[1], parts[2], parts[3]
	for s := 0; s+1 < len(stackStart); s++ {
		var frames []string
		for _, id := range stackFrames[stackStart[s]:stackStart[s+1]] {
			frames = append(frames, meta.Names[id])
		}
		stacks = append(stacks, frames)
	}
	counts = make([]uint64, len(stacks))
	for c := 0; c+1 < len(cellStart); c++ {
		stack := uint32(0)
		for i := cellStart[c]; i < cellStart[c+1]; i++ {
			stack += pairs[2*i]
			counts[stack] += uint64(pairs[2*i+1])
		}
	}
	return stacks, counts
}

// TestHandlerScopePage asks the handler for the heat map page of the test
// process while it burns CPU in handlertest.Burn: the page is titled and
// opens at the rows asked for, and its cells count samples of the hot
// function's stacks.
func TestHandlerScopePage(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	handlertest.Burn(t)
	url := serveScopeHandler(t, false)
	resp, page := get(t, url, "?seconds=1.5&hz=499&format=scope&rows=20&title=handler+scope&colors=java", http.StatusOK)
	checkAnswerHeaders(t, resp, "text/html; charset=utf-8", "inline", "cpu-clock", "scope.html")
	meta := pageMetaOf(t, page)
	if meta.Title != "handler scope" || meta.View != 20 || meta.Rows != 100 || meta.Columns < 1 {
		t.Errorf("title %q, rows %d of %d, %d columns; want handler scope, 20 of 100, a column or more", meta.Title, meta.View, meta.Rows, meta.Columns)
	}
	stacks, counts := pageStackCounts(t, page)
	var hot, all uint64
	for s, frames := range stacks {
		all += counts[s]
		if slices.Contains(frames, handlertest.Hot) {
			hot += counts[s]
		}
	}
	samples, _ := strconv.ParseUint(resp.Header.Get("X-Flamekit-Samples"), 10, 64)
	if hot == 0 || all != samples {
		t.Errorf("the heat map counts %d samples, %d of them in %s; the recording took %d", all, hot, handlertest.Hot, samples)
	}
}

// TestHandlerLatencyPage asks the handler for the off-CPU latency of the
// sleeps workload: the page and the histogram text count its 1.1 ms
// sleeps in ppoll and its 100 ms sleeps in clock_nanosleep, by function.
func TestHandlerLatencyPage(t *testing.T) {
	handlertest.RequireOffCPU(t)
	bin := testenv.BuildC(t, "gcc", "sleeps", []string{"testdata/sleeps.c"}, "-O1", "-g", "-rdynamic", "-fno-omit-frame-pointer")
	child := testenv.StartChild(t, exec.Command(bin, "1000000", "10"))
	url := serveScopeHandler(t, true)
	pid := strconv.Itoa(child.Process.Pid)

	resp, page := get(t, url, "?seconds=1.5&format=latency&by-func&step=100ms&title=sleeps&pid="+pid, http.StatusOK)
	checkAnswerHeaders(t, resp, "text/html; charset=utf-8", "inline", "off-cpu", "latency.html")
	if !strings.Contains(page, "<title>sleeps</title>") || !strings.Contains(page, "columns of 100 ms") {
		t.Errorf("the page is not titled sleeps, or its columns not 100 ms wide:\n%.1000s", page)
	}
	hist := regexp.MustCompile(`(?s)<pre id="fk-hist">(.*?)</pre>`).FindStringSubmatch(page)
	if hist == nil {
		t.Fatalf("the page has no histogram:\n%.2000s", page)
	}
	checkSleepsHist(t, "the page's histograms", html.UnescapeString(hist[1]))
	for _, n := range []int{strings.Count(page, `data-b="10"`), strings.Count(page, `data-b="16"`)} {
		if n == 0 {
			t.Errorf("no cell of the 1024 -> 2047 µs or 65536 -> 131071 µs buckets:\n%.3000s", page)
		}
	}

	resp, text := get(t, url, "?seconds=1&format=latency-hist&by-func&pid="+pid, http.StatusOK)
	checkAnswerHeaders(t, resp, "text/plain; charset=utf-8", "attachment", "off-cpu", "latency.txt")
	checkSleepsHist(t, "format=latency-hist", text)
}

// TestHandlerLatencyNoBlocks asks for the blocks of an hour or more that
// ended in a third of a second of the test process, younger than that:
// none, and the page and the histogram text say so.
func TestHandlerLatencyNoBlocks(t *testing.T) {
	handlertest.RequireOffCPU(t)
	url := serveScopeHandler(t, false)
	_, page := get(t, url, "?seconds=0.3&format=latency&min-block=1h", http.StatusOK)
	if !regexp.MustCompile(`<p>No thread blocked \(as the recording's min-block, max-block, state and threads choose them\) in the 3\d\dms recorded\.</p>`).MatchString(html.UnescapeString(page)) {
		t.Errorf("the page of no block does not say so:\n%s", page)
	}
	_, text := get(t, url, "?seconds=0.3&format=latency-hist&min-block=1h", http.StatusOK)
	if !strings.HasPrefix(text, "No thread blocked") || strings.Count(text, "\n") != 1 {
		t.Errorf("the histogram of no block: %q", text)
	}
}

// checkSleepsHist checks the histograms of the sleeps workload's blocks,
// by function: ppoll's in the 1 ms bucket, clock_nanosleep's in the
// 100 ms one.
func checkSleepsHist(t *testing.T, what, text string) {
	t.Helper()
	for _, c := range []struct {
		fn     string
		bucket uint64
	}{{"ppoll", 1024}, {"clock_nanosleep", 65536}} {
		_, fh, ok := strings.Cut(text, "function = "+c.fn+"\n")
		if !ok {
			t.Errorf("%s: no histogram of %s:\n%s", what, c.fn, text)
			continue
		}
		fh, _, _ = strings.Cut(fh, "function = ")
		if n := histRows(fh)[c.bucket][0]; n == 0 {
			t.Errorf("%s: no block of %s from %d µs:\n%s", what, c.fn, c.bucket, text)
		}
	}
}

// TestHandlerScopeBadRequests: bad parameters of scope's formats get 400,
// with one line that names them, before anything is recorded.
func TestHandlerScopeBadRequests(t *testing.T) {
	url := serveScopeHandler(t, false)
	for _, c := range []struct{ query, msg string }{
		{"?format=scope&rows=7", `profile: bad parameter rows="7": want 10 to 100 rows a second`},
		{"?format=scope&rows=many", `profile: bad parameter rows="many": want an integer`},
		{"?format=scope&rows=20&rows=50", `profile: parameter rows given 2 times`},
		{"?format=scope&inverted", `profile: format=scope does not apply inverted=`},
		{"?format=scope&mode=off-cpu", `profile: format=scope shows mode=cpu, not mode=off-cpu`},
		{"?format=scope&step=1s", `profile: parameter step is format=latency's, not format=scope's`},
		{"?format=svg&rows=50", `profile: parameter rows is format=scope's, not format=svg's`},
		{"?rows=50", `profile: parameter rows is format=scope's, not format=svg's`},
		{"?format=latency&mode=cpu", `profile: format=latency shows mode=off-cpu or mode=wall, not mode=cpu`},
		{"?format=latency&step=-1s", `profile: bad parameter step="-1s": want a duration`},
		{"?format=latency&step=0s", `profile: bad parameter step="0s": want a positive duration`},
		{"?format=latency&seconds=10&step=10us", `profile: bad parameter step="10us": more than 10000 columns of the 10s recorded; want 1.001ms or more`},
		{"?format=latency&by-func=maybe", `profile: bad parameter by-func="maybe": want true or false`},
		{"?format=latency&width=900", `profile: format=latency does not apply width= (the flame graph parameters it applies: title)`},
		{"?format=latency-hist&title=x", `profile: format=latency-hist does not apply title= (it applies no flame graph parameter)`},
		{"?format=latency-hist&rows=10", `profile: parameter rows is format=scope's, not format=latency-hist's`},
		{"?format=png", `profile: bad parameter format="png": want one of svg, folded, pprof, perf-script, latency, latency-hist, scope`},
		{"?format=scope&secs=1", `profile: unknown parameter "secs" (known: backend, cgroup, color, colors, countname, event, fontsize, fonttype, format, frequency, hash, height, hz, inlines, max-block, min-block, minwidth, mode, period, pid, random, rows, seconds,`},
	} {
		_, body := get(t, url, c.query, http.StatusBadRequest)
		if !strings.HasPrefix(body, c.msg) || strings.Count(body, "\n") != 1 || strings.Count(body, "profile: ") != 1 {
			t.Errorf("%s: %q, want one line starting %q, with the package prefix once", c.query, body, c.msg)
		}
	}
}

// FuzzHandlerFormats has scope's formats read any parameters: a bad one
// gets an error of one line with the handler's prefix once, a good one a
// writer.
func FuzzHandlerFormats(f *testing.F) {
	for _, s := range []string{"rows=20", "rows=7", "rows=", "step=10ms&by-func", "step=1us", "step=-1s", "by-func=maybe", "step=1e9h", "rows=100000000000000000000"} {
		f.Add(s, 1.0)
	}
	f.Fuzz(func(t *testing.T, raw string, seconds float64) {
		params, err := url.ParseQuery(raw)
		if err != nil || seconds <= 0 || seconds > 3600 {
			return
		}
		for name, format := range HandlerFormats() {
			own := url.Values{}
			for _, p := range format.Params {
				if params.Has(p) {
					own.Set(p, params.Get(p))
				}
			}
			w, err := format.Prepare(profile.HandlerQuery{Format: name, Params: own, Mode: format.Modes[0], Duration: time.Duration(seconds * float64(time.Second))})
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "profile: ") || strings.Count(msg, "profile: ") != 1 || strings.ContainsAny(msg, "\r\n") {
					t.Fatalf("format=%s, %q: message %q, want one line with the handler's prefix once", name, raw, msg)
				}
				continue
			}
			if w == nil {
				t.Fatalf("format=%s, %q: no writer and no error", name, raw)
			}
		}
	})
}
