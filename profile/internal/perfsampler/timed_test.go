package perfsampler

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingTimed checks that timed mode hands over every sample with
// its time and CPU, besides the aggregated counts.
func TestPerfRingTimed(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.UserOnly = true
	cfg.Timed = true
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	start := uint64(ts.Nano())
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	samplertest.SpinFor(200 * time.Millisecond)
	samples, _ := samplertest.DrainAll(t, s)
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	end := uint64(ts.Nano())
	var timed, counted uint64
	for _, rs := range samples {
		if rs.Time == 0 { // the aggregates still carry every count
			counted += rs.Count
			continue
		}
		timed++
		if rs.Count != 1 || rs.Time < start || rs.Time > end || rs.CPU < 0 || rs.TID == 0 || len(rs.Kernel) != 0 {
			t.Fatalf("sample %+v: want count 1, a time in [%d, %d], a CPU, a TID, no kernel stack", rs, start, end)
		}
	}
	if timed < 20 || counted != timed {
		t.Fatalf("%d timed samples, %d counted in aggregates: want the same, at least 20", timed, counted)
	}
}
