package profile_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

// BenchmarkWritePerfScript writes 100,000 timed samples of 1,000 stacks of
// 30 frames (a minute of 16 CPUs at 99 Hz), their times interleaved as
// those of several CPUs are.
func BenchmarkWritePerfScript(b *testing.B) {
	p := &profile.Profile{Event: profile.Event{Name: "cpu-clock", Unit: "nanoseconds"}, StartMonotonic: 5000 * time.Second}
	for i := range 1000 {
		user := make([]profile.Location, 30)
		for j := range user {
			name := fmt.Sprintf("ns::Class%d::method%d(int, char const*)", i%50, j)
			user[j] = profile.Location{Address: 0x400000 + uint64(i*64+j), Frames: []symbolize.Frame{{Function: name, Module: symbolize.Module{Path: "/usr/lib/x86_64-linux-gnu/libapp.so.1"}, Kind: symbolize.KindNative}}}
		}
		p.Samples = append(p.Samples, profile.Sample{PID: 1000 + i%16, Comm: fmt.Sprintf("worker %d", i%16), User: user, Count: 100, Value: 100 * 10101010})
	}
	for i := range 100_000 {
		cpu := i % 16
		p.Timed = append(p.Timed, profile.TimedSample{Time: time.Duration(i/16)*10101010 + time.Duration(16-cpu)*1000, CPU: cpu, PID: 1000 + cpu, TID: 1000 + cpu, Sample: i % 1000, Value: 10101010})
	}
	var n countingWriter
	b.ReportAllocs()
	for b.Loop() {
		n = 0
		if err := p.WritePerfScript(&n); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(n))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(p.Timed)), "ns/sample")
}

// countingWriter counts the bytes written to it.
type countingWriter int

func (w *countingWriter) Write(b []byte) (int, error) {
	*w += countingWriter(len(b))
	return len(b), nil
}

var _ io.Writer = (*countingWriter)(nil)
