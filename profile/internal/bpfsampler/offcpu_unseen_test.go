package bpfsampler

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// timesRun reads the times thread tid of process pid got a CPU (the
// kernel's sched_info.pcount: the third field of its schedstat).
func timesRun(t *testing.T, pid, tid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/schedstat", pid, tid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		t.Fatalf("schedstat %q: want three fields", b)
	}
	n, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOffCPUUnseenSwitchIn plays the kernel skipping the off-CPU program
// at a thread's switch in, which a loaded machine where other tools attach
// programs to sched_switch does up to once in two thousand switches: it
// puts an entry in the map of blocked threads for offcpu_unseen's worker
// while the worker runs, as the program leaves it when the switch in that
// ended a block went unseen (the thread's count of runs then is below its
// current one). The worker's next switch (in again, or out to nap) must
// count that block as ended at its wakeup (switch-in-missed), not drop it
// when the thread blocks again nor stretch it to that switch; a second such
// entry, without a wakeup, is counted lost (switch-missed). The worker's
// real naps are counted too.
//
// The counts are exact, so a switch the kernel really skipped in the
// process (it blocks about six times) spoils them: such an attempt is
// logged and played again, up to three times. A defect spoils every one.
func TestOffCPUUnseenSwitchIn(t *testing.T) {
	testenv.RequireRoot(t)
	bin := samplertest.BuildC(t, "offcpu_unseen", "-pthread")
	const attempts = 3
	var spoiled []string
	for range attempts {
		wrong := playUnseenSwitchIn(t, bin)
		if wrong == "" {
			if len(spoiled) > 0 {
				t.Logf("attempts spoiled before this one:\n%s", strings.Join(spoiled, "\n"))
			}
			return
		}
		spoiled = append(spoiled, wrong)
	}
	t.Errorf("%d attempts, none as wanted:\n%s", attempts, strings.Join(spoiled, "\n"))
}

// playUnseenSwitchIn runs offcpu_unseen (bin) once for
// TestOffCPUUnseenSwitchIn and says what it found that was not as wanted
// ("" when all was).
func playUnseenSwitchIn(t *testing.T, bin string) string {
	t.Helper()
	c := testenv.StartChild(t, exec.Command(bin))
	worker, err := strconv.Atoi(strings.TrimSpace(c.WaitLine(t, "ready ")))
	if err != nil {
		t.Fatal(err)
	}
	pid := c.Process.Pid
	s := startTest(t, offCPUConfig(uint32(pid), sampler.OffCPU{}))
	defer s.Close()

	const blocked = 7777777 // ns: the unseen block's length
	for _, woken := range []bool{true, false} {
		start := monotonicNow(t) - uint64(10*time.Second)
		e := bpf.ProfileBlockedThread{Start: start, Tgid: uint32(pid), Runs: timesRun(t, pid, worker) - 1}
		if woken {
			e.WokenAt = start + blocked
		}
		if err := s.objs.Blocked.Put(uint32(worker), &e); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(c.In, "nap")
		c.WaitLine(t, "napped")
	}
	samples, st := drainOpen(t, s)
	c.Finish(t)

	var unseen, naps, long uint64
	for _, rs := range samples {
		if !rs.OffCPU || rs.TID != uint32(worker) {
			continue
		}
		switch {
		case rs.Value == blocked*rs.Count:
			unseen += rs.Count
		case rs.Value >= uint64(time.Second):
			long += rs.Count
		default:
			naps += rs.Count
		}
	}
	var wrong []string
	if unseen != 1 || long != 0 {
		wrong = append(wrong, fmt.Sprintf("%d blocks of %d ns (the unseen one), %d of a second or more: want 1 and 0", unseen, blocked, long))
	}
	if naps < 2 {
		wrong = append(wrong, fmt.Sprintf("%d other blocks of the worker: want its 2 naps", naps))
	}
	if st.Failures[sampler.FailureSwitchInMissed] != 1 || st.Failures[sampler.FailureSwitchMissed] != 1 || st.Lost != 1 {
		wrong = append(wrong, fmt.Sprintf("failures %v, %d lost: want one switch-in-missed, one switch-missed (lost)", st.Failures, st.Lost))
	}
	if len(wrong) == 0 {
		return ""
	}
	return fmt.Sprintf("worker %d: %s", worker, strings.Join(wrong, "; "))
}
