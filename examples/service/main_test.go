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
	testenv.RequireSelfProfiling(t)
	srv := httptest.NewServer(newMux())
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { callInALoop(ctx, srv.URL+"/primes?n=100000") })
	defer wg.Wait()
	defer cancel()

	folded := get(t, srv.URL+"/debug/flamekit/profile?seconds=1&format=folded")
	if !regexp.MustCompile(`;net/http\.HandlerFunc\.ServeHTTP;[^;]*\.servePrimes;[^;]*\.countPrimes[; ]`).MatchString(folded) {
		t.Errorf("no stack of countPrimes under the HTTP server:\n%.3000s", folded)
	}
	if index := get(t, srv.URL+"/debug/pprof/"); !strings.Contains(index, "Types of profiles available") {
		t.Errorf("net/http/pprof's index: %.500s", index)
	}
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
