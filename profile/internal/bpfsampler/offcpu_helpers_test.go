package bpfsampler

import (
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// offCPUProgram is a test program of profile/testdata recorded off CPU.
type offCPUProgram struct {
	*testenv.Child
	pid      uint32
	bin      string
	resolver *samplertest.Resolver
}

// startOffCPUProgram builds profile/testdata/NAME.c with the flags (after
// samplertest.BuildC's -O0 -g -fno-omit-frame-pointer), starts it and
// waits for its "ready".
func startOffCPUProgram(t *testing.T, name string, flags ...string) *offCPUProgram {
	t.Helper()
	bin := samplertest.BuildC(t, name, flags...)
	c := testenv.StartChild(t, exec.Command(bin))
	c.WaitLine(t, "ready")
	p := &offCPUProgram{Child: c, pid: uint32(c.Process.Pid), bin: bin}
	p.resolver = samplertest.NewResolver(t, c.Process.Pid, bin)
	return p
}

// offCPUConfig records the off-CPU time of the threads of pid, per thread.
func offCPUConfig(pid uint32, off sampler.OffCPU) sampler.Config {
	return sampler.Config{PIDs: []uint32{pid}, PerThread: true, OffCPU: &off}
}

// names returns the functions of p's executable in frames ("" elsewhere).
func (p *offCPUProgram) names(frames []uint64) []string {
	out := make([]string, len(frames))
	for i, pc := range frames {
		out[i] = p.resolver.Name(pc)
	}
	return out
}

// has reports whether frames hold a function of p named fn.
func (p *offCPUProgram) has(frames []uint64, fn string) bool {
	return slices.Contains(p.names(frames), fn)
}

// drainOpen calls DrainOpen and returns what it emitted.
func drainOpen(t *testing.T, s *Sampler) ([]sampler.Sample, sampler.Stats) {
	t.Helper()
	var out []sampler.Sample
	st, err := s.DrainOpen(func(rs sampler.Sample) { out = append(out, rs) })
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

// blockedTime sums the off-CPU samples (aggregated ones: Time 0) that
// match, as a duration, with their blocks.
func blockedTime(samples []sampler.Sample, match func(sampler.Sample) bool) (time.Duration, uint64) {
	var ns, n uint64
	for _, rs := range samples {
		if rs.OffCPU && rs.Time == 0 && match(rs) {
			ns += rs.Value
			n += rs.Count
		}
	}
	return time.Duration(ns), n
}
