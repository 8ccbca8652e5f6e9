package bpfsampler

import (
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// BenchmarkBPFDrain samples every CPU at 999 Hz while a goroutine keeps
// one busy; an op is a drain of 100 ms of samples. It reports the BPF
// program's own run time per sample (bpf-ns/sample, from the kernel's BPF
// statistics) and the samples per drain.
func BenchmarkBPFDrain(b *testing.B) {
	for _, timed := range []bool{false, true} {
		name := "aggregated"
		if timed {
			name = "timed"
		}
		b.Run(name, func(b *testing.B) { benchmarkBPFDrain(b, timed) })
	}
}

func benchmarkBPFDrain(b *testing.B, timed bool) {
	testenv.RequireRoot(b)
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // keep a CPU busy
		for {
			select {
			case <-stop:
				return
			default:
				samplertest.SpinFor(time.Millisecond)
			}
		}
	}()
	cfg := samplertest.CPUClock(999)
	cfg.Timed = timed
	cfg.OnNewProcess = func(uint32) {}
	s, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var samples uint64
	for b.Loop() {
		b.StopTimer()
		time.Sleep(100 * time.Millisecond)
		b.StartTimer()
		if _, err := s.Drain(func(rs sampler.Sample) { samples += rs.Count }); err != nil {
			b.Fatal(err)
		}
	}
	ps, err := s.objs.OnSample.Stats()
	if err != nil || ps.RunCount == 0 {
		b.Fatalf("program stats %+v, %v", ps, err)
	}
	b.ReportMetric(float64(ps.Runtime.Nanoseconds())/float64(ps.RunCount), "bpf-ns/sample")
	b.ReportMetric(float64(samples)/float64(b.N), "samples/op")
}
