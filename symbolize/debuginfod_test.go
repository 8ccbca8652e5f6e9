package symbolize

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		if _, err := c.fetch(missing); !errors.Is(err, ErrDebuginfodNotFound) {
			t.Errorf("missing build-id: %v", err)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("server hit %d times, want 2 (a 404 is remembered)", n)
	}
	if _, err := c.fetch("../../etc"); err == nil {
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
	if _, err := c.fetch("abcdef"); err == nil {
		t.Fatal("fetch from a silent server succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("fetch took %v", d)
	}
}
