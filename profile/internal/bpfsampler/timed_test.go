package bpfsampler

import (
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestBPFTimed checks the timed log: each sample of the workload once,
// with its CPU and thread and a time within the run, in time order on each
// CPU, and as many as the aggregated counts hold.
func TestBPFTimed(t *testing.T) {
	testenv.RequireRoot(t)
	cmd := samplertest.Start(t, samplertest.BuildC(t, "split"))
	pid := uint32(cmd.Process.Pid)
	time.Sleep(50 * time.Millisecond)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{pid}
	cfg.Timed = true
	start := monotonicNow(t)
	s := startTest(t, cfg)
	time.Sleep(time.Second)
	stopEvents(t, s)
	end := monotonicNow(t)
	samples, st := samplertest.DrainAll(t, s)
	var aggregated, timed uint64
	last := map[int32]uint64{}
	for _, rs := range samples {
		if rs.Time == 0 {
			aggregated += rs.Count
			continue
		}
		timed++
		if rs.PID != pid || rs.TID != pid || rs.CPU < 0 || rs.Count != 1 || rs.Time < start || rs.Time > end || len(rs.User) == 0 {
			t.Fatalf("timed sample %+v: want pid and tid %d, a CPU, count 1, a time in [%d, %d], a user stack", rs, pid, start, end)
		}
		if rs.Time <= last[rs.CPU] {
			t.Fatalf("CPU %d: time %d after %d", rs.CPU, rs.Time, last[rs.CPU])
		}
		last[rs.CPU] = rs.Time
	}
	t.Logf("%d timed, %d aggregated samples; %+v", timed, aggregated, st)
	if timed < 50 || timed != aggregated || len(st.Failures) != 0 {
		t.Errorf("%d timed samples, %d aggregated, failures %v: want the same number, no failures", timed, aggregated, st.Failures)
	}
}
