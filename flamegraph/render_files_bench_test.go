package flamegraph_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/internal/perfgen"
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
