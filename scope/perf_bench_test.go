package scope

import (
	"bytes"
	"testing"

	"github.com/flamekit/flamekit/internal/perfgen"
)

// BenchmarkReadPerfScript reads 20,000 samples of the synthetic system-wide
// capture perfgen writes (64 CPUs at 99 Hz, about 54 MB).
func BenchmarkReadPerfScript(b *testing.B) {
	var text bytes.Buffer
	if err := perfgen.Write(&text, perfgen.Options{Samples: 20000, CPUs: 64, Freq: 99}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(text.Len()))
	for b.Loop() {
		if _, err := ReadPerfScript(bytes.NewReader(text.Bytes()), PerfOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
