package scope

import (
	"strconv"
	"testing"
)

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	return len(b), nil
}

// BenchmarkWritePage writes the page of a 10-minute system-wide recording
// at 99 Hz on 64 CPUs (3.8 M samples, bigProfile), indexed at 50 and at 100
// rows (what flamekit scope does), and reports the page's size.
func BenchmarkWritePage(b *testing.B) {
	p := bigProfile(b)
	for _, rows := range []int{50, 100} {
		ix, err := NewIndex(p, Options{Rows: rows})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("rows="+strconv.Itoa(rows), func(b *testing.B) {
			var w countingWriter
			for b.Loop() {
				w.n = 0
				if err := WritePage(&w, ix, PageOptions{Rows: 50}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.n)/(1<<20), "MiB/page")
		})
	}
}
