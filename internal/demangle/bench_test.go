package demangle

import "testing"

// benchmark demangles names in both styles with demangle, reporting
// names/s.
func benchmark(b *testing.B, names []string, demangle func(string, Style)) {
	for _, st := range styles {
		b.Run(st.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, name := range names {
					demangle(name, st)
				}
			}
			b.ReportMetric(float64(b.N*len(names))/b.Elapsed().Seconds(), "names/s")
		})
	}
}

// benchmarkSets runs benchmark on the corpus, and on node's names when
// node is installed.
func benchmarkSets(b *testing.B, demangle func(string, Style)) {
	b.Run("corpus", func(b *testing.B) { benchmark(b, corpus(b), demangle) })
	b.Run("node", func(b *testing.B) { benchmark(b, nodeNames(b), demangle) })
}

func BenchmarkItanium(b *testing.B) {
	var dst []byte
	benchmarkSets(b, func(name string, st Style) {
		dst, _ = AppendItanium(dst[:0], name, st)
	})
}

// BenchmarkLibrary measures github.com/ianlancetaylor/demangle on the
// same names, for comparison.
func BenchmarkLibrary(b *testing.B) {
	benchmarkSets(b, func(name string, st Style) { library(name, st) })
}
