package perfsampler

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingHardwareNotSupported checks a hardware event on a machine
// without a PMU fails with ErrNotSupported.
func TestPerfRingHardwareNotSupported(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := sampler.Config{EventType: unix.PERF_TYPE_HARDWARE, EventConfig: unix.PERF_COUNT_HW_CPU_CYCLES,
		Frequency: 99, PIDs: []uint32{uint32(os.Getpid())}, UserOnly: true}
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
