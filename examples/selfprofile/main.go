// Command selfprofile shows the flame graph half of flamekit without eBPF or
// root: it CPU-profiles its own busy loops with runtime/pprof, folds the pprof
// profile with collapse.Pprof and renders an interactive SVG. The graph counts
// samples (one per 10 ms of CPU at runtime/pprof's 100 Hz), not the
// profile's other value, CPU time in nanoseconds.
//
//	go run ./examples/selfprofile -o self.svg
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
)

func main() {
	out := flag.String("o", "self.svg", "output SVG")
	d := flag.Duration("d", time.Second, "how long to profile")
	flag.Parse()

	var raw bytes.Buffer
	if err := pprof.StartCPUProfile(&raw); err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(*d)
	sink := 0
	for time.Now().Before(deadline) {
		sink += parseWork(20000) + renderWork(60000)
	}
	pprof.StopCPUProfile()
	runtime.KeepAlive(sink) // the work's result is used: no compiler may drop it

	p, _, err := collapse.Pprof(&raw, collapse.PprofOptions{SampleType: "samples"})
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	err = flamegraph.Render(f, p, flamegraph.Options{Title: fmt.Sprintf("selfprofile: Go CPU profile (%.0f samples)", p.Total())})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d stacks, %.0f samples\n", *out, len(p.Stacks), p.Total())
}

//go:noinline
func parseWork(n int) int {
	h := 0
	for i := 0; i < n; i++ {
		h = h*31 + i
	}
	return h
}

//go:noinline
func renderWork(n int) int {
	h := 1
	for i := 0; i < n; i++ {
		h ^= h<<13 + i
	}
	return h
}
