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

// rustMangled returns the names of testdata/rust/names.txt.
func rustMangled(b *testing.B) []string {
	var names []string
	for _, n := range rustNames(b) {
		names = append(names, n.mangled)
	}
	return names
}

func BenchmarkRust(b *testing.B) {
	var dst []byte
	benchmark(b, rustMangled(b), func(name string, st Style) {
		dst, _ = AppendRust(dst[:0], name, st)
	})
}

// BenchmarkRustLibrary measures github.com/ianlancetaylor/demangle, which
// symbolize used for Rust names before AppendRust, on the same names.
func BenchmarkRustLibrary(b *testing.B) {
	benchmark(b, rustMangled(b), func(name string, st Style) { rustLibrary(name, st) })
}
