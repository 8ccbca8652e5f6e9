package collapse

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"
)

// BenchmarkPerf folds the real capture of testdata (1.6 MB) in memory; with
// FLAMEKIT_PERF_BENCH=FILE it folds that file instead.
func BenchmarkPerf(b *testing.B) {
	in := perfInput(b, "real")
	if path := os.Getenv("FLAMEKIT_PERF_BENCH"); path != "" {
		var err error
		if in, err = os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		opts PerfOptions
	}{
		{"default", PerfOptions{}},
		{"all-addrs-tid", PerfOptions{Kernel: true, JIT: true, Addrs: true, TID: true}},
		{"threads-2", PerfOptions{Threads: 2}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Perf(bytes.NewReader(in), bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPerfWrite folds and writes the folded text, as the command does.
func BenchmarkPerfWrite(b *testing.B) {
	in := perfInput(b, "real")
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		p, _, err := Perf(bytes.NewReader(in), PerfOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPerfSystemWide folds the real system-wide capture that
// bench/collapse-render times (bench/testdata/system-wide.perf-script.xz,
// unpacked in memory once) and writes the folded text, as `flamekit
// collapse` does, with one goroutine and with two.
func BenchmarkPerfSystemWide(b *testing.B) {
	in := systemWide(b)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads-%d", threads), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				p, _, err := Perf(bytes.NewReader(in), PerfOptions{Threads: threads})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
