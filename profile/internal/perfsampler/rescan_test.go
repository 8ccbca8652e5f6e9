package perfsampler

import (
	"os"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingRescan hides a thread from the backend, as if it had been
// created while the events were being opened, and checks that two rescans
// find it, attach it and count it.
func TestPerfRingRescan(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := samplertest.CPUClock(99)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.UserOnly = true
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr := s
	pr.mu.Lock()
	hidden := uint32(os.Getpid())
	delete(pr.opened, hidden)
	events := len(pr.events)
	pr.readRings() // FORK records of threads started meanwhile
	pr.rescan()
	first := len(pr.events)
	pr.readRings()
	pr.rescan()
	pr.mu.Unlock()
	_, st := samplertest.DrainAll(t, s)
	if first != events || len(pr.events) != events+len(pr.cpus) || !pr.opened[hidden] || st.Failures[sampler.FailureLateThread] != 1 {
		t.Errorf("events %d → %d → %d, late threads %d: want the thread attached on the second scan, on each of %d CPUs, counted once",
			events, first, len(pr.events), st.Failures[sampler.FailureLateThread], len(pr.cpus))
	}
}
