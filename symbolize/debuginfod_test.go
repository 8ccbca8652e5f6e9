package symbolize

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestNativeDebuginfod serves a real debug file from a loopback debuginfod
// server and checks that a stripped binary gets its local functions and
// lines from it, that the second table comes from the cache, and that a
// missing build-id is a remembered 404.
func TestNativeDebuginfod(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "gcc", "prog.c", "prog", "-O2", "-g", "-Wl,--build-id=sha1")
	local, _ := ntSym(t, bin, "local_helper")
	dbg := bin + ".debug"
	ntRun(t, dir, "objcopy", "--only-keep-debug", bin, dbg)
	ntRun(t, dir, "strip", "--strip-all", bin)
	id := buildID(ntOpen(t, bin, nativeOptions{}).ef)

	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/buildid/"+id+"/debuginfo" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, dbg)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	t.Setenv("DEBUGINFOD_URLS", "http://127.0.0.1:1/nothing-here "+srv.URL)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("DEBUGINFOD_TIMEOUT", "5")
	c := newDebuginfodClientFromEnv()
	if c == nil || len(c.URLs) != 2 || c.Timeout != 5*time.Second {
		t.Fatalf("client from env: %+v", c)
	}
	for i := 0; i < 2; i++ {
		tab := ntOpen(t, bin, nativeOptions{Debuginfod: c})
		if got := ntName(tab, local); got != "local_helper" {
			t.Fatalf("local_helper through debuginfod: got %q", got)
		}
		if fr, ok := tab.lookup(local, true, nil); !ok || fr[0].Line == 0 {
			t.Errorf("no lines through debuginfod: %+v", fr)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("server hit %d times, want 1 (then the cache)", n)
	}
	if _, err := os.Stat(filepath.Join(c.CacheDir, id, "debuginfo")); err != nil {
		t.Errorf("not cached: %v", err)
	}
	missing := "00112233445566778899aabbccddeeff00112233"
	c.URLs = c.URLs[1:] // only the server that answers 404
	for i := 0; i < 2; i++ {
		if _, err := c.fetch(t.Context(), missing); !errors.Is(err, errDebuginfodNotFound) {
			t.Errorf("missing build-id: %v", err)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("server hit %d times, want 2 (a 404 is remembered)", n)
	}
	if _, err := c.fetch(t.Context(), "../../etc"); err == nil {
		t.Error("a build-id with a path in it was fetched")
	}
}

// TestDebuginfodTimeout checks that a server that never answers costs one
// timeout, not a hang.
func TestDebuginfodTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := &debuginfodClient{URLs: []string{srv.URL}, CacheDir: t.TempDir(), Timeout: 200 * time.Millisecond}
	start := time.Now()
	if _, err := c.fetch(t.Context(), "abcdef"); err == nil {
		t.Fatal("fetch from a silent server succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("fetch took %v", d)
	}
}

// waitWaiters waits until the download of id has n callers waiting.
func waitWaiters(t *testing.T, c *debuginfodClient, id string, n int) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		d := c.inflight[id]
		got := 0
		if d != nil {
			got = d.waiters
		}
		c.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("the download of %s never had %d waiters", id, n)
}

// TestDebuginfodSharedDownload asks for one build-id from several
// goroutines while the server holds its answer: they wait for one
// download, which the server sees once.
func TestDebuginfodSharedDownload(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		w.Write([]byte("debug file of " + r.URL.Path))
	}))
	defer srv.Close()
	c := &debuginfodClient{URLs: []string{srv.URL}, CacheDir: t.TempDir(), Timeout: time.Minute}
	const id = "abcdef01"
	paths := make(chan string, 4)
	for range 4 {
		go func() {
			p, err := c.fetch(t.Context(), id)
			if err != nil {
				t.Error(err)
			}
			paths <- p
		}()
	}
	waitWaiters(t, c, id, 4)
	close(release)
	for range 4 {
		p := <-paths
		if b, err := os.ReadFile(p); err != nil || string(b) != "debug file of /buildid/"+id+"/debuginfo" {
			t.Errorf("fetched %q: %q, %v", p, b, err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("server hit %d times, want once for the 4 callers", n)
	}
}

// TestDebuginfodConcurrentBuildIDs downloads two build-ids from a server
// that answers neither until it has both requests: downloads of different
// build-ids must not wait for each other.
func TestDebuginfodConcurrentBuildIDs(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(2)
	both := make(chan struct{})
	go func() { arrived.Wait(); close(both) }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		select {
		case <-both:
			w.Write([]byte("debug file"))
		case <-time.After(10 * time.Second):
			http.Error(w, "the other request never came", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c := &debuginfodClient{URLs: []string{srv.URL}, CacheDir: t.TempDir(), Timeout: time.Minute}
	errs := make(chan error, 2)
	for _, id := range []string{"aa01", "bb02"} {
		go func() {
			_, err := c.fetch(t.Context(), id)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestDebuginfodCancel lets two callers wait for one download: the first
// to give up leaves it running for the other; when the other gives up too,
// the request to the server ends, nothing is cached and nothing is
// remembered as missing, so a later fetch downloads the file.
func TestDebuginfodCancel(t *testing.T) {
	var serve atomic.Bool
	asked, ended := make(chan struct{}, 1), make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if serve.Load() {
			w.Write([]byte("debug file"))
			return
		}
		asked <- struct{}{}
		<-r.Context().Done()
		ended <- struct{}{}
	}))
	defer srv.Close()
	c := &debuginfodClient{URLs: []string{srv.URL}, CacheDir: t.TempDir(), Timeout: time.Minute}
	const id = "cafe02"
	var ctxs [2]context.Context
	var cancels [2]context.CancelFunc
	errs := [2]chan error{make(chan error, 1), make(chan error, 1)}
	for i := range ctxs {
		ctxs[i], cancels[i] = context.WithCancel(t.Context())
		go func() {
			_, err := c.fetch(ctxs[i], id)
			errs[i] <- err
		}()
	}
	waitWaiters(t, c, id, 2)
	<-asked
	cancels[0]()
	if err := <-errs[0]; !errors.Is(err, context.Canceled) {
		t.Errorf("the first caller, cancelled: %v", err)
	}
	waitWaiters(t, c, id, 1) // the download goes on for the second
	select {
	case <-ended:
		t.Fatal("the request ended while a caller still waited for it")
	default:
	}
	cancels[1]()
	if err := <-errs[1]; !errors.Is(err, context.Canceled) {
		t.Errorf("the second caller, cancelled: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the request to the server went on after every caller gave up")
	}
	serve.Store(true)
	if p, err := c.fetch(t.Context(), id); err != nil {
		t.Errorf("fetch after the cancelled ones: %v", err)
	} else if b, _ := os.ReadFile(p); string(b) != "debug file" {
		t.Errorf("fetched %q", b)
	}
}

// cancelledThenServed serves the debug file dbg from a debuginfod server
// that first holds the request until the File it makes is cancelled, then
// answers. It returns a Symbolizer asking it, and the context to cancel.
func cancelledThenServed(t *testing.T, dbg string) (*Symbolizer, context.Context, *atomic.Bool) {
	t.Helper()
	serve := new(atomic.Bool)
	asked := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if serve.Load() {
			http.ServeFile(w, r, dbg)
			return
		}
		asked <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	s := New(Options{DebuginfodURLs: []string{srv.URL}, DebuginfodCacheDir: t.TempDir(), DebugDirs: []string{t.TempDir()}})
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-asked
		cancel()
	}()
	return s, ctx, serve
}

// TestFileCancelled cancels File while the debug file of a stripped binary
// downloads: File fails with the context's error, and keeps nothing read
// without the debug file, so that the next File, the server answering,
// names the local function only the debug file has.
func TestFileCancelled(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "gcc", "prog.c", "prog", "-O2", "-g", "-Wl,--build-id=sha1")
	local, _ := ntSym(t, bin, "local_helper")
	dbg := bin + ".debug"
	ntRun(t, dir, "objcopy", "--only-keep-debug", bin, dbg)
	ntRun(t, dir, "strip", "--strip-all", bin)
	s, ctx, serve := cancelledThenServed(t, dbg)
	if _, err := s.File(ctx, bin, []uint64{local}, VirtualAddress, LookupOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("File, cancelled during the download: %v; want context.Canceled", err)
	}
	serve.Store(true)
	frames, err := s.File(t.Context(), bin, []uint64{local}, VirtualAddress, LookupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := frames[0][0]; f.Function != "local_helper" {
		t.Errorf("after the cancelled File: %+v; want local_helper from the debug file", f)
	}
	if _, err := s.File(ctx, bin, []uint64{local}, VirtualAddress, LookupOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("File with a context ended before: %v; want context.Canceled", err)
	}
}

// TestFileCancelledLines cancels File while the DWARF of a binary, stripped
// of it but not of its symbols, downloads: the next File, the server
// answering, gives the lines.
func TestFileCancelledLines(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "gcc", "prog.c", "prog", "-O2", "-g", "-Wl,--build-id=sha1")
	local, _ := ntSym(t, bin, "local_helper")
	dbg := bin + ".debug"
	ntRun(t, dir, "objcopy", "--only-keep-debug", bin, dbg)
	ntRun(t, dir, "strip", "--strip-debug", bin)
	s, ctx, serve := cancelledThenServed(t, dbg)
	if _, err := s.File(ctx, bin, []uint64{local}, VirtualAddress, LookupOptions{Lines: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("File, cancelled during the download: %v; want context.Canceled", err)
	}
	serve.Store(true)
	frames, err := s.File(t.Context(), bin, []uint64{local}, VirtualAddress, LookupOptions{Lines: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := frames[0][len(frames[0])-1]; f.Function != "local_helper" || f.Line == 0 {
		t.Errorf("after the cancelled File: %+v; want local_helper with its line from the debug file", frames[0])
	}
}
