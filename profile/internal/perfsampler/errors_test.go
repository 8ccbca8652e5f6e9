package perfsampler

import (
	"errors"
	"os"
	"testing"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/pmc"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingHardwareNotSupported checks a hardware event on a machine
// without a PMU fails with ErrNotSupported.
func TestPerfRingHardwareNotSupported(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cycles, err := pmc.ParseEvent("cycles")
	if err != nil {
		t.Fatal(err)
	}
	cfg := sampler.Config{Event: cycles, Frequency: 99, PIDs: []uint32{uint32(os.Getpid())}, UserOnly: true}
	before := testenv.OpenFDs(t)
	s, err := Start(cfg)
	if err == nil {
		s.Close()
		t.Skip("this machine has a PMU")
	}
	if !errors.Is(err, errs.ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("%v: want ErrNotSupported", err)
	}
	if after := testenv.OpenFDs(t); after != before {
		t.Errorf("fds: %d before, %d after a failed start", before, after)
	}
}

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
