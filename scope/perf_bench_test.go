package scope

import (
	"bytes"
	"io"
	"strconv"
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

// bigProfile is a profile shaped like a 10-minute system-wide recording
// at 99 Hz on 64 CPUs: 3.8 M samples of 50,000 stacks, a few of which
// take most samples, as in real profiles.
func bigProfile(b *testing.B) *Profile {
	b.Helper()
	bl := newBuilder()
	const samples, stacks = 600 * 99 * 64, 50000
	for i := range stacks {
		id, _ := bl.stack([]byte{byte(i), byte(i >> 8), byte(i >> 16)}, i%10 == 0)
		bl.p.stacks[id].Frames = "proc;main;f" + strconv.Itoa(i)
	}
	x := uint64(1)
	for i := range samples {
		x = x*6364136223846793005 + 1442695040888963407
		u := float64(x>>11) / (1 << 53)
		bl.add(1000+float64(i)/(99*64), uint32(stacks*u*u*u*u)) // skewed: a few stacks take most samples
	}
	p, err := bl.profile()
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkRange(b *testing.B) {
	p := bigProfile(b)
	ix, err := NewIndex(p, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range []Range{{100.01, 110.37}, {0, 600}} {
		b.Run("index/"+r.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.Range(r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("samples/"+r.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Range(r, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("NewIndex", func(b *testing.B) {
		for b.Loop() {
			if _, err := NewIndex(p, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOnePass reads the heat map and a range of a quarter of the
// synthetic capture of BenchmarkReadPerfScript with the one-pass readers,
// with the whole read for comparison.
func BenchmarkOnePass(b *testing.B) {
	var text bytes.Buffer
	if err := perfgen.Write(&text, perfgen.Options{Samples: 20000, CPUs: 64, Freq: 99}); err != nil {
		b.Fatal(err)
	}
	rg := Range{Start: 1, End: 1.8}
	b.Run("ReadHeatMap", func(b *testing.B) {
		b.SetBytes(int64(text.Len()))
		for b.Loop() {
			if _, _, err := ReadHeatMap(bytes.NewReader(text.Bytes()), ReadOptions{}, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("WriteRangeFolded", func(b *testing.B) {
		b.SetBytes(int64(text.Len()))
		for b.Loop() {
			if _, err := WriteRangeFolded(io.Discard, bytes.NewReader(text.Bytes()), rg, ReadOptions{}, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Read+Range", func(b *testing.B) {
		b.SetBytes(int64(text.Len()))
		for b.Loop() {
			p, _, err := Read(bytes.NewReader(text.Bytes()), ReadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Range(rg, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
