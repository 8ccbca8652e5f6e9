package words

import (
	"slices"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/profiletest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// text is a large input: "A a b B b c d" 50,000 times over.
func text() string {
	return strings.Repeat("A a b B b c d ", 50_000)
}

// TestTopWords profiles itself while it counts the words of a large text:
// its flame graph and pprof profile go among its artifacts.
func TestTopWords(t *testing.T) {
	profiletest.Start(t)
	in := text()
	for range 10 {
		top := TopWords(in, 3)
		want := []Count{{"b", 150_000}, {"a", 100_000}, {"c", 50_000}}
		if !slices.Equal(top, want) {
			t.Fatalf("TopWords = %v, want %v", top, want)
		}
	}
}

// BenchmarkTopWords profiles the benchmark's loop.
func BenchmarkTopWords(b *testing.B) {
	in := text()
	profiletest.Start(b)
	for b.Loop() {
		TopWords(in, 10)
	}
}
