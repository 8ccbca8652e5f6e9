// Package words is the example of package profiletest: its tests profile
// themselves, and leave a flame graph and a pprof profile of each test
// among the test's artifacts.
//
//	mkdir -p out && go test -run TestTopWords -bench TopWords -artifacts -outputdir out ./examples/profiletest
//
// writes TestTopWords.svg, TestTopWords.pb.gz, BenchmarkTopWords.svg and
// BenchmarkTopWords.pb.gz under out/_artifacts, and logs (with -v) where.
package words

import (
	"cmp"
	"slices"
	"strings"
)

// Count is a word and how often it occurs.
type Count struct {
	Word string
	N    int
}

// TopWords returns the n most frequent words of text, most frequent
// first, ties in alphabetical order; words are split at spaces and
// compared without case.
func TopWords(text string, n int) []Count {
	counts := map[string]int{}
	for _, w := range strings.Fields(text) {
		counts[strings.ToLower(w)]++
	}
	top := make([]Count, 0, len(counts))
	for w, c := range counts {
		top = append(top, Count{w, c})
	}
	slices.SortFunc(top, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Word, b.Word))
	})
	return top[:min(n, len(top))]
}
