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

// TestBPFForcedLoss samples everything (idle included) into maps of four
// entries, with six busy processes among them (so more than four entries
// are wanted however the CPUs are shared): samples that find no room must
// be counted lost, so that the samples kept plus the samples lost equal
// the program's runs.
func TestBPFForcedLoss(t *testing.T) {
	testenv.RequireRoot(t)
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	bin := samplertest.BuildC(t, "split")
	for range 6 {
		samplertest.Start(t, bin)
	}
	cfg := samplertest.CPUClock(999)
	cfg.IncludeIdle = true
	cfg.PerThread = true
	cfg.MaxStacks = 4
	s := startTest(t, cfg)
	time.Sleep(500 * time.Millisecond)
	stopEvents(t, s)
	ps, err := s.objs.OnSample.Stats()
	if err != nil {
		t.Fatal(err)
	}
	samples, st := samplertest.DrainAll(t, s)
	var kept uint64
	for _, rs := range samples {
		kept += rs.Count
	}
	t.Logf("%d runs: %d samples in %d entries, %+v", ps.RunCount, kept, len(samples), st)
	if len(samples) > 4 || st.Lost == 0 || st.Lost != st.Failures[sampler.FailureCountsFull] || st.LostValue < st.Lost*500_000 {
		t.Errorf("4 entries at most, and lost samples with their periods: got %d entries, %+v", len(samples), st)
	}
	if kept+st.Lost != ps.RunCount {
		t.Errorf("%d samples kept + %d lost != %d program runs", kept, st.Lost, ps.RunCount)
	}
	if st.Failures[sampler.FailureUserStackFull]+st.Failures[sampler.FailureKernelStackFull] == 0 {
		t.Errorf("no full stack map counted with room for 4 stacks: %+v", st)
	}
}
