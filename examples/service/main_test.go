package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestService serves the example's mux, loads /primes, and asks it for a
// folded profile of a second: countPrimes is in it, under the HTTP
// server's goroutines; net/http/pprof answers beside it.
func TestService(t *testing.T) {
	url := serveLoaded(t)
	folded := get(t, url+"/debug/flamekit/profile?seconds=1&format=folded")
	if !regexp.MustCompile(`;net/http\.HandlerFunc\.ServeHTTP;[^;]*\.servePrimes;[^;]*\.countPrimes[; ]`).MatchString(folded) {
		t.Errorf("no stack of countPrimes under the HTTP server:\n%.3000s", folded)
	}
	if index := get(t, url+"/debug/pprof/"); !strings.Contains(index, "Types of profiles available") {
		t.Errorf("net/http/pprof's index: %.500s", index)
	}
}

// TestServiceScope asks the example's handler for scope's heat map page
// while /primes is loaded: the page names countPrimes.
func TestServiceScope(t *testing.T) {
	page := get(t, serveLoaded(t)+"/debug/flamekit/profile?seconds=1&format=scope&rows=10")
	if !strings.Contains(page, `<h1>flamekit scope: cpu-clock, `) || !regexp.MustCompile(`"[^"]*\.countPrimes"`).MatchString(page) {
		t.Errorf("the heat map page is not titled, or does not name countPrimes:\n%.3000s", page)
	}
}

// serveLoaded serves the example's mux, calls /primes in a loop until the
// test ends, and returns the server's URL. It needs self-profiling.
func serveLoaded(t *testing.T) string {
	testenv.RequireSelfProfiling(t)
	srv := httptest.NewServer(newMux())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { callInALoop(ctx, srv.URL+"/primes?n=100000") })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		srv.Close()
	})
	return srv.URL
}

// get returns the body of url, which must answer 200.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v: %s", url, resp.Status, err, body)
	}
	return string(body)
}
