package perfsampler

import (
	"os"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingCloseReleases checks that close releases every file
// descriptor, is safe twice, and that drain afterwards fails.
func TestPerfRingCloseReleases(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	before := testenv.OpenFDs(t)
	cfg := samplertest.CPUClock(99)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.UserOnly = true
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	during := testenv.OpenFDs(t)
	samplertest.SpinFor(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if after := testenv.OpenFDs(t); after != before || during <= before {
		t.Errorf("fds: %d before, %d while sampling, %d after close", before, during, after)
	}
	if _, err := s.Drain(func(sampler.Sample) {}); err == nil {
		t.Error("drain after close succeeded")
	}
}
