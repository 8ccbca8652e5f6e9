package profile_test

import (
	"log"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/flamekit/flamekit/profile"
)

// A service mounts the handler on its own mux, beside net/http/pprof's
// handlers; `curl -o cpu.svg 'localhost:6060/debug/flamekit/profile?seconds=10'`
// gets a flame graph of its CPU time, with its kernel and C frames.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/debug/flamekit/profile", profile.Handler(profile.HandlerOptions{MaxDuration: time.Minute}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	log.Fatal(http.ListenAndServe("localhost:6060", mux))
}
