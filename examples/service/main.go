// Command service is a Go HTTP service with flamekit's profile.Handler
// mounted beside net/http/pprof, on its own mux: neither registers itself
// anywhere it is not put (net/http/pprof's handlers are mounted by hand;
// the DefaultServeMux its import fills is never served).
//
//	go run ./examples/service -addr localhost:6060
//
// Its /primes endpoint counts primes, and a load loop calls it, so the
// profiles have something to show:
//
//	curl -o cpu.svg 'http://localhost:6060/debug/flamekit/profile?seconds=10'
//	curl -o cpu.pb.gz 'http://localhost:6060/debug/flamekit/profile?seconds=10&format=pprof'
//	go tool pprof -http=: cpu.pb.gz
//	curl -o go.pb.gz 'http://localhost:6060/debug/pprof/profile?seconds=10'
//
// The handler serves package scope's pages too (scope.HandlerFormats),
// shown in the browser that opens their URL:
//
//	http://localhost:6060/debug/flamekit/profile?seconds=20&format=scope
//	http://localhost:6060/debug/flamekit/profile?seconds=10&format=latency&by-func
//	curl 'http://localhost:6060/debug/flamekit/profile?seconds=10&format=latency-hist'
//
// format=scope is FlameScope's sub-second heat map of the CPU samples
// (rows=10 to 100 cuts each second; a click on two cells draws the flame
// graph of the time between them); format=latency is the heat map of
// where the threads blocked, by duration (step=100ms sets its columns;
// off-CPU recording needs root, CAP_PERFMON or
// kernel.perf_event_paranoid ≤ 1), and latency-hist bcc's histogram of
// the same blocks.
//
// runtime/pprof's profile (/debug/pprof/profile) shows the Go code only;
// flamekit's shows the same threads with their kernel frames (where
// kernel.perf_event_paranoid ≤ 1 or CAP_PERFMON allow them) and their C
// frames (cgo, libc), without root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/scope"
)

func main() {
	addr := flag.String("addr", "localhost:6060", "address to listen on")
	load := flag.Bool("load", true, "call /primes in a loop, so that there is something to profile")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: *addr, Handler: newMux()}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if *load {
		go callInALoop(ctx, "http://"+*addr+"/primes?n=200000")
	}
	log.Printf("serving on http://%s: flame graphs at /debug/flamekit/profile, Go profiles at /debug/pprof/", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newMux mounts the service's endpoint, flamekit's handler (with scope's
// pages) and net/http/pprof's.
func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/primes", servePrimes)

	mux.Handle("/debug/flamekit/profile", profile.Handler(profile.HandlerOptions{MaxDuration: time.Minute, Formats: scope.HandlerFormats()}))

	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// servePrimes answers /primes?n=N with the number of primes below N.
func servePrimes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 || n > 1e8 {
		http.Error(w, "want n=N, 0 ≤ N ≤ 100000000", http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, countPrimes(n))
}

// countPrimes counts the primes below n by trial division: the hot
// function of the profiles.
//
//go:noinline
func countPrimes(n int) int {
	count := 0
	for i := 2; i < n; i++ {
		prime := true
		for d := 2; d*d <= i; d++ {
			if i%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			count++
		}
	}
	return count
}

// callInALoop gets url until ctx ends.
func callInALoop(ctx context.Context, url string) {
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			time.Sleep(100 * time.Millisecond) // not listening yet, or shutting down
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
