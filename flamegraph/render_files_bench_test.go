package flamegraph_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/internal/perfgen"
	"github.com/ulikunitz/xz"
)

// foldedInput folds the synthetic perf script text bench/collapse-render
// measures (gen-perf-script SAMPLES --seed 1) and returns the folded text,
// as flamekit collapse (and stackcollapse-perf.pl) write it.
func foldedInput(b *testing.B, samples int) []byte {
	b.Helper()
	var text bytes.Buffer
	if err := perfgen.Write(&text, perfgen.Options{Samples: samples, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	p, _, err := collapse.Perf(&text, collapse.PerfOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var folded bytes.Buffer
	if _, err := p.WriteTo(&folded); err != nil {
		b.Fatal(err)
	}
	return folded.Bytes()
}

// BenchmarkParseRenderFiles parses and renders the folded inputs of
// bench/collapse-render (3500 samples, ~10 MB of perf script, and 70000,
// ~200 MB), as the flamegraph.pl comparison measures whole runs.
func BenchmarkParseRenderFiles(b *testing.B) {
	for _, c := range []struct {
		name    string
		samples int
	}{{"folded-10m", 3500}, {"folded-200m", 70000}} {
		b.Run(c.name, func(b *testing.B) {
			data := foldedInput(b, c.samples)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := flamegraph.Parse(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if err := flamegraph.Render(io.Discard, p, flamegraph.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// realCaptureFolded folds the real system-wide capture of
// bench/collapse-render (bench/testdata/system-wide.perf-script.xz: a Go
// build, Java and Node, 12,642 distinct stacks), as flamekit collapse
// writes it.
func realCaptureFolded(b *testing.B) []byte {
	b.Helper()
	f, err := os.Open("../bench/testdata/system-wide.perf-script.xz")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := xz.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	p, _, err := collapse.Perf(zr, collapse.PerfOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var folded bytes.Buffer
	if _, err := p.WriteTo(&folded); err != nil {
		b.Fatal(err)
	}
	return folded.Bytes()
}

// BenchmarkRenderRealCapture parses and renders the folded real capture,
// as flamekit render does: from a reader (stdin, or a file that cannot be
// mapped) and in place (ParseString, a mapped file); and renders alone.
func BenchmarkRenderRealCapture(b *testing.B) {
	data := realCaptureFolded(b)
	text := string(data)
	for _, c := range []struct {
		name  string
		parse func() (*flamegraph.Profile, error)
	}{
		{"read", func() (*flamegraph.Profile, error) { return flamegraph.Parse(bytes.NewReader(data)) }},
		{"in-place", func() (*flamegraph.Profile, error) { return flamegraph.ParseString(text) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := c.parse()
				if err != nil {
					b.Fatal(err)
				}
				if err := flamegraph.Render(io.Discard, p, flamegraph.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	p, err := flamegraph.ParseString(text)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("render", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := flamegraph.Render(io.Discard, p, flamegraph.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
