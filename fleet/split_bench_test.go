package fleet

import "testing"

// BenchmarkSplit splits a recorded profile copied into 40 processes (a
// system's worth of services) and reports the bytes allocated per split.
func BenchmarkSplit(b *testing.B) {
	p := recordFleetWorkTB(b)
	many := *p
	many.Samples = nil
	for pid := 1 << 22; pid < 1<<22+40; pid++ {
		for _, s := range p.Samples {
			s.PID, s.Comm = pid, "svc"+string(rune('A'+pid%40))
			many.Samples = append(many.Samples, s)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Split(&many, SplitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
