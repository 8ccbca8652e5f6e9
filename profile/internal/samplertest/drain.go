package samplertest

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/pmc"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// CPUClock returns a config sampling cpu-clock at hz.
func CPUClock(hz uint64) sampler.Config {
	cpuClock := pmc.Event{Name: "cpu-clock", Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK, Sampleable: true}
	return sampler.Config{Event: cpuClock, Frequency: hz}
}

// DrainAll drains s into a slice.
func DrainAll(tb testing.TB, s sampler.Sampler) ([]sampler.Sample, sampler.Stats) {
	tb.Helper()
	var out []sampler.Sample
	st, err := s.Drain(func(rs sampler.Sample) { out = append(out, rs) })
	if err != nil {
		tb.Fatal(err)
	}
	return out, st
}

// DrainUntil drains s every half second until it has handed over n
// samples that match (nil: any) or d has passed: on a loaded machine a
// workload gets less CPU. The Stats it returns hold the sum of the
// drains' Lost.
func DrainUntil(tb testing.TB, s sampler.Sampler, n uint64, match func(sampler.Sample) bool, d time.Duration) ([]sampler.Sample, sampler.Stats) {
	tb.Helper()
	var all []sampler.Sample
	var stats sampler.Stats
	var count uint64
	for deadline := time.Now().Add(d); count < n && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		more, st := DrainAll(tb, s)
		for _, rs := range more {
			if match == nil || match(rs) {
				count += rs.Count
			}
		}
		all = append(all, more...)
		stats.Lost += st.Lost
	}
	return all, stats
}
