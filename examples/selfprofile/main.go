// Command selfprofile shows the flame graph half of flamekit without eBPF or
// root: it CPU-profiles its own busy loops with runtime/pprof, folds the pprof
// profile with collapse.Pprof and renders an interactive SVG. The graph counts
// samples (one per 10 ms of CPU at runtime/pprof's 100 Hz), not the
// profile's other value, CPU time in nanoseconds. With -pprof it renders a
// pprof file instead: one runtime/pprof, go test -cpuprofile,
// profile.Handler's format=pprof, flamekit record -o x.pb.gz or
// profiletest wrote, by its default sample type, as go tool pprof shows it.
//
//	go run ./examples/selfprofile -o self.svg
//	go run ./examples/selfprofile -pprof cpu.pb.gz -o cpu.svg
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
	in := flag.String("pprof", "", "render this pprof file (gzipped or not) instead of profiling")
	flag.Parse()

	var (
		p     *flamegraph.Profile
		title string
		err   error
	)
	if *in != "" {
		p, title, err = renderFile(*in)
	} else {
		p, title, err = profileSelf(*d)
	}
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	err = flamegraph.Render(f, p, flamegraph.Options{Title: title})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d stacks, %.0f in all\n", *out, len(p.Stacks), p.Total())
}

// profileSelf CPU-profiles the busy loops for d and folds the profile by
// samples.
func profileSelf(d time.Duration) (*flamegraph.Profile, string, error) {
	var raw bytes.Buffer
	if err := pprof.StartCPUProfile(&raw); err != nil {
		return nil, "", err
	}
	deadline := time.Now().Add(d)
	sink := 0
	for time.Now().Before(deadline) {
		sink += parseWork(20000) + renderWork(60000)
	}
	pprof.StopCPUProfile()
	runtime.KeepAlive(sink) // the work's result is used: no compiler may drop it
	p, _, err := collapse.Pprof(&raw, collapse.PprofOptions{SampleType: "samples"})
	if err != nil {
		return nil, "", err
	}
	return p, fmt.Sprintf("selfprofile: Go CPU profile (%.0f samples)", p.Total()), nil
}

// renderFile folds the pprof file at path by its default sample type.
func renderFile(path string) (*flamegraph.Profile, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	p, _, err := collapse.Pprof(f, collapse.PprofOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return p, path, nil
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
