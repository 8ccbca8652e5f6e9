package perfsampler

import (
	"errors"
	"testing"

	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingNoProcess starts the perf backend on a process that
// is gone (one that exits between Start's check and the backend's start).
func TestPerfRingNoProcess(t *testing.T) {
	cfg := samplertest.CPUClock(99)
	cfg.PIDs = []uint32{uint32(samplertest.DeadPID(t))}
	s, err := Start(cfg)
	if err == nil {
		s.Close()
		t.Fatal("the perf backend started on a process that does not exist")
	}
	if !errors.Is(err, sampler.ErrNoProcess) {
		t.Fatalf("error %v is not ErrNoProcess", err)
	}
}
