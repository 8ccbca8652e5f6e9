package profile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/testenv/handlertest"
	fkprofile "github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// serveHandler serves Handler(opts) on a loopback server closed when the
// test ends.
func serveHandler(t *testing.T, opts fkprofile.HandlerOptions) *httptest.Server {
	return handlertest.Serve(t, fkprofile.Handler(opts))
}

// TestHandlerFormats records the test process while it burns CPU in
// handlertest.Burn, in each format, and finds its hot function in each
// answer, its system call's kernel frames too where the process may see
// them (root).
func TestHandlerFormats(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	handlertest.Burn(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const hot = handlertest.Hot
	for _, c := range []struct {
		format, contentType, disposition string
		check                            func(t *testing.T, body []byte)
	}{
		{"svg&title=handler+test&inverted", "image/svg+xml", `inline; filename="%s-cpu-clock.svg"`, func(t *testing.T, body []byte) {
			if !bytes.HasPrefix(body, []byte("<?xml")) || !bytes.Contains(body, []byte("<svg")) {
				t.Errorf("not an SVG: %.200s", body)
			}
			if !bytes.Contains(body, []byte(">handler test</text>")) {
				t.Errorf("the SVG is not titled as asked: %.2000s", body)
			}
			if !bytes.Contains(body, []byte(hot)) {
				t.Errorf("the flame graph does not name %s", hot)
			}
		}},
		{"folded", "text/plain; charset=utf-8", `attachment; filename="%s-cpu-clock.folded.txt"`, func(t *testing.T, body []byte) {
			checkFoldedHot(t, body, hot)
		}},
		{"pprof", "application/octet-stream", `attachment; filename="%s-cpu-clock.pb.gz"`, func(t *testing.T, body []byte) {
			p, err := profile.ParseData(body)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range p.Function {
				if f.Name == hot {
					return
				}
			}
			t.Errorf("the pprof profile has no function %s", hot)
		}},
		{"perf-script", "text/plain; charset=utf-8", `attachment; filename="%s-cpu-clock.perf-script.txt"`, func(t *testing.T, body []byte) {
			folded, _, err := collapse.Perf(bytes.NewReader(body), collapse.PerfOptions{Kernel: true})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			folded.WriteTo(&b)
			checkFoldedHot(t, []byte(b.String()), hot)
		}},
	} {
		t.Run(strings.Split(c.format, "&")[0], func(t *testing.T) {
			resp, body := handlertest.MustGet(t, srv, "?seconds=1&frequency=499&format="+c.format, http.StatusOK)
			if got := resp.Header.Get("Content-Type"); got != c.contentType {
				t.Errorf("Content-Type %q, want %q", got, c.contentType)
			}
			if got, want := resp.Header.Get("Content-Disposition"), fmt.Sprintf(c.disposition, filepath.Base(exe)); got != want {
				t.Errorf("Content-Disposition %q, want %q", got, want)
			}
			if n, err := strconv.Atoi(resp.Header.Get("X-Flamekit-Samples")); err != nil || n == 0 {
				t.Errorf("X-Flamekit-Samples %q, want a positive count", resp.Header.Get("X-Flamekit-Samples"))
			}
			c.check(t, body)
		})
	}
}

// checkFoldedHot checks that folded stacks name hot, and that hot's
// stacks reach the kernel when this process may see kernel stacks.
func checkFoldedHot(t *testing.T, folded []byte, hot string) {
	t.Helper()
	var hotLines, kernelLines int
	for _, line := range strings.Split(string(folded), "\n") {
		if strings.Contains(line, ";"+hot+";") || strings.Contains(line, ";"+hot+" ") {
			hotLines++
			if strings.Contains(line, "_[k]") {
				kernelLines++
			}
		}
	}
	if hotLines == 0 {
		t.Fatalf("no stack names %s:\n%.2000s", hot, folded)
	}
	if os.Geteuid() == 0 && kernelLines == 0 {
		t.Errorf("none of the %d stacks of %s has kernel frames (its reads), though this process runs as root", hotLines, hot)
	}
}

// TestHandlerOneAtATime sends a request while another records: it gets
// 429 with a message and Retry-After, and the handler takes requests again
// once the first is answered.
func TestHandlerOneAtATime(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{})
	first := make(chan int, 1)
	go func() {
		resp, _, err := handlertest.Get(context.Background(), t, srv.Client(), srv.URL+"?seconds=3&format=folded")
		if err != nil {
			first <- 0
			return
		}
		first <- resp.StatusCode
	}()
	var resp *http.Response
	var body []byte
	for resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		select {
		case code := <-first:
			t.Fatalf("the first request ended (%d) before a second one was refused", code)
		case <-time.After(50 * time.Millisecond):
		}
		var err error
		if resp, body, err = handlertest.Get(context.Background(), t, srv.Client(), srv.URL+"?seconds=0.1&format=folded"); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(body), "one at a time") {
		t.Errorf("429's message %q does not say why", body)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 4 {
		t.Errorf("Retry-After %q, want 1 to 4 seconds", resp.Header.Get("Retry-After"))
	}
	if code := <-first; code != http.StatusOK {
		t.Fatalf("the first request got %d", code)
	}
	handlertest.MustGet(t, srv, "?seconds=0.1&format=folded", http.StatusOK)
}

// TestHandlerClientGone cancels a request for a minute's profile after
// half a second: the handler returns at once, and leaves no goroutine and
// no file descriptor (perf events, rings, snapshots) behind; its slot is
// free for the next request.
func TestHandlerClientGone(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	fdsBefore := testenv.OpenFDs(t)
	goroutinesBefore := runtime.NumGoroutine()

	returned := make(chan struct{}, 1)
	h := fkprofile.Handler(fkprofile.HandlerOptions{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if r.URL.Query().Get("seconds") == "60" {
			returned <- struct{}{}
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, _, err := handlertest.Get(ctx, t, srv.Client(), srv.URL+"?seconds=60"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the request ended with %v, want the client's deadline", err)
	}
	select {
	case <-returned:
	case <-time.After(20 * time.Second):
		t.Fatal("the handler still records 20 s after its client went away")
	}
	resp, _, err := handlertest.Get(context.Background(), t, srv.Client(), srv.URL+"?seconds=0.1")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the next request: %v %v", resp, err)
	}
	srv.Close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutinesBefore && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutinesBefore {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines, %d before the request:\n%s", n, goroutinesBefore, buf[:runtime.Stack(buf, true)])
	}
	if n := testenv.OpenFDs(t); n != fdsBefore {
		t.Errorf("%d open file descriptors, %d before the request", n, fdsBefore)
	}
}

// TestHandlerBadRequests sends bad parameters and methods, and checks the
// status and the message of each answer. Nothing is recorded.
func TestHandlerBadRequests(t *testing.T) {
	srv := serveHandler(t, fkprofile.HandlerOptions{MaxDuration: 10 * time.Second})
	for _, c := range []struct {
		query  string
		status int
		msg    string
	}{
		{"?seconds=abc", 400, `bad parameter seconds="abc": want a positive number of seconds`},
		{"?seconds=-1", 400, `bad parameter seconds="-1": want a positive number`},
		{"?seconds=NaN", 400, `want a positive number`},
		{"?seconds=11", 400, `seconds="11": over this handler's limit of 10 seconds`},
		{"?format=png", 400, `bad parameter format="png": want one of svg, folded, pprof, perf-script`},
		{"?event=no-such-event", 400, `bad parameter event="no-such-event"`},
		{"?frequency=0", 400, `bad parameter frequency="0": want a positive integer`},
		{"?hz=many", 400, `bad parameter hz="many": want a positive integer`},
		{"?frequency=99&period=1000", 400, `give frequency (or hz) or period, not both`},
		{"?colors=plaid", 400, `bad parameter colors="plaid"`},
		{"?width=wide", 400, `bad parameter width="wide": want an integer`},
		{"?width=-5", 400, `bad flame graph parameters`},
		{"?inverted=maybe", 400, `bad parameter inverted="maybe": want true or false`},
		{"?secs=5", 400, `unknown parameter "secs" (known: backend, bgcolors,`},
		{"?seconds=1&seconds=2", 400, `parameter seconds given 2 times`},
		{"?pid=1", 403, `profiles its own process only (HandlerOptions.AllowOtherTargets is off): pid= is not allowed`},
		{"?system=true", 403, `system= is not allowed`},
		{"?backend=bpf", 403, `backend= is not allowed`},
	} {
		resp, body := handlertest.MustGet(t, srv, c.query, c.status)
		if !strings.Contains(string(body), c.msg) || strings.Count(string(body), "\n") != 1 {
			t.Errorf("%s: message %q, want one line with %q", c.query, body, c.msg)
		}
		if !strings.HasPrefix(string(body), "profile: ") || strings.Count(string(body), "profile: ") != 1 {
			t.Errorf("%s: message %q, want the package prefix once", c.query, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", c.query, ct)
		}
	}
	resp, err := srv.Client().Post(srv.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %s, Allow %q; want 405 and GET, HEAD", resp.Status, resp.Header.Get("Allow"))
	}
}

// TestHandlerWriteTimeout asks for a profile longer than the server's
// WriteTimeout: it could not be sent, so it is refused at once.
func TestHandlerWriteTimeout(t *testing.T) {
	srv := httptest.NewUnstartedServer(fkprofile.Handler(fkprofile.HandlerOptions{}))
	srv.Config.WriteTimeout = 2 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	_, body := handlertest.MustGet(t, srv, "?seconds=5", http.StatusBadRequest)
	if !strings.Contains(string(body), "not shorter than the server's WriteTimeout (2s)") {
		t.Errorf("message %q", body)
	}
}

// TestHandlerOtherProcess lets requests pick their target, and profiles a
// C program by its PID through the perf backend: its hot function is
// named, and its process is the root frame.
func TestHandlerOtherProcess(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	child := testenv.StartChild(t, exec.Command(buildWorkload(t, "split")))
	srv := serveHandler(t, fkprofile.HandlerOptions{AllowOtherTargets: true})
	_, body := handlertest.MustGet(t, srv, "?seconds=1&format=folded&backend=perf&pid="+strconv.Itoa(child.Process.Pid), http.StatusOK)
	var hot bool
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "split;") && line != "" {
			t.Fatalf("a stack of another process than the one asked for: %q", line)
		}
		hot = hot || strings.Contains(line, ";hot")
	}
	if !hot {
		t.Errorf("no stack of split names hot:\n%.2000s", body)
	}
}

// TestHandlerHead answers HEAD with the headers of a profile and no body.
func TestHandlerHead(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{})
	resp, err := srv.Client().Head(srv.URL + "?seconds=0.2&format=pprof")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" || resp.ContentLength <= 0 {
		t.Errorf("HEAD: %s, Content-Type %q, Content-Length %d", resp.Status, resp.Header.Get("Content-Type"), resp.ContentLength)
	}
}

// TestHandlerUnprivileged runs TestHandlerFormats as nobody, without any
// capability: the handler records its process through the perf backend
// (user frames, and kernel ones where kernel.perf_event_paranoid ≤ 1).
func TestHandlerUnprivileged(t *testing.T) {
	testenv.RequireRoot(t) // to become nobody
	out := samplertest.RunAsNobody(t, "TestHandlerFormats", "FLAMEKIT_HANDLER_AS_NOBODY")
	if !strings.Contains(string(out), "--- PASS: TestHandlerFormats ") || strings.Contains(string(out), "--- SKIP") {
		t.Errorf("TestHandlerFormats as nobody:\n%s", out)
	}
}

// TestHandlerNoProcess asks for a process that does not exist: 404, with
// the reason.
func TestHandlerNoProcess(t *testing.T) {
	srv := serveHandler(t, fkprofile.HandlerOptions{AllowOtherTargets: true})
	_, body := handlertest.MustGet(t, srv, "?seconds=1&pid=2147483647", http.StatusNotFound)
	if !strings.Contains(string(body), "2147483647") || strings.Count(string(body), "profile: ") != 1 {
		t.Errorf("message %q, want the PID and the package prefix once", body)
	}
}
