package scope_test

import (
	"log"
	"net/http"
	"time"

	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/scope"
)

// A service mounts profile.Handler with scope's pages; a browser opens
// http://localhost:6060/debug/flamekit/profile?seconds=20&format=scope for
// the heat map of its CPU time, and ?seconds=10&format=latency&by-func for
// where its threads blocked, and for how long.
func ExampleHandlerFormats() {
	mux := http.NewServeMux()
	mux.Handle("/debug/flamekit/profile", profile.Handler(profile.HandlerOptions{
		MaxDuration: time.Minute,
		Formats:     scope.HandlerFormats(),
	}))
	log.Fatal(http.ListenAndServe("localhost:6060", mux))
}
