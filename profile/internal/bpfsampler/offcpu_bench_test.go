package bpfsampler

import (
	"runtime"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// BenchmarkOffCPUSwitch ping-pongs a byte between two threads over pipes
// (an op is a round trip: each thread blocks once), without recording,
// then under system-wide off-CPU recording (with and without wakeups).
// Compare ns/op between the cases for the slowdown; bpf-ns/switch is the
// kernel's count of the switch program's own run time per context switch
// of the machine, and bpf-ns/wakeup the wakeup program's.
func BenchmarkOffCPUSwitch(b *testing.B) {
	cases := []struct {
		name string
		off  *sampler.OffCPU
	}{
		{"none", nil},
		{"system-wide", &sampler.OffCPU{}},
		{"system-wide-wakeups", &sampler.OffCPU{Wakeups: true}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchmarkOffCPUSwitch(b, c.off) })
	}
}

func benchmarkOffCPUSwitch(b *testing.B, off *sampler.OffCPU) {
	testenv.RequireRoot(b)
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	var s *Sampler
	if off != nil {
		cfg := sampler.Config{OffCPU: off}
		if s, err = Start(cfg); err != nil {
			b.Fatal(err)
		}
		defer s.Close()
	}
	var ping, pong [2]int
	for _, p := range []*[2]int{&ping, &pong} {
		if err := unix.Pipe(p[:]); err != nil {
			b.Fatal(err)
		}
		defer unix.Close(p[0])
		defer unix.Close(p[1])
	}
	done := make(chan struct{})
	go func() { // the other end: echoes each byte until the pipe closes
		defer close(done)
		runtime.LockOSThread()
		buf := make([]byte, 1)
		for {
			if n, err := unix.Read(ping[0], buf); n != 1 || err != nil {
				return
			}
			unix.Write(pong[1], buf)
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, 1)
	for b.Loop() {
		if _, err := unix.Write(ping[1], buf); err != nil {
			b.Fatal(err)
		}
		if _, err := unix.Read(pong[0], buf); err != nil {
			b.Fatal(err)
		}
	}
	unix.Close(ping[1])
	<-done
	if s == nil {
		return
	}
	for name, p := range map[string]*ebpf.Program{"switch": s.objs.OnSwitch, "wakeup": s.objs.OnWaking} {
		ps, err := p.Stats()
		if err != nil {
			b.Fatal(err)
		}
		if ps.RunCount > 0 {
			b.ReportMetric(float64(ps.Runtime.Nanoseconds())/float64(ps.RunCount), "bpf-ns/"+name)
		}
	}
}
