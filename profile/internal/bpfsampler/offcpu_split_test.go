package bpfsampler

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestOffCPUSplit records offcpu_split, whose main thread blocks each
// round in wait_for_answer (a pipe read the helper thread answers 3 ms
// later, in answer_later) and in nap (a 2 ms nanosleep), built with and
// without frame pointers, user stacks walked by CFI: wait_for_answer has
// 60% ± 5 of the main thread's blocked time and nap the rest (a loaded
// machine delays each wakeup alike, a larger share of nap's 2 ms), at
// least 95% of it is in one of them, its total is within 10% of the wall
// time less its CPU time, and answer_later is in the waker's stack of at
// least 90% of wait_for_answer's blocks.
func TestOffCPUSplit(t *testing.T) {
	testenv.RequireRoot(t)
	builds := map[string][]string{
		"frame-pointers":    nil,
		"no-frame-pointers": {"-O2", "-fomit-frame-pointer"},
	}
	for name, flags := range builds {
		t.Run(name, func(t *testing.T) {
			p := startOffCPUProgram(t, "offcpu_split", flags...)
			r := recordSplit(t, p, true)
			t.Logf("%s", r)
			if math.Abs(r.waitShare-0.6) > 0.05 {
				t.Errorf("wait_for_answer has %.1f%% of the main thread's blocked time, want 60%% ± 5", 100*r.waitShare)
			}
			if r.named < 0.95 {
				t.Errorf("%.1f%% of the main thread's blocked time is in wait_for_answer or nap, want 95%% or more", 100*r.named)
			}
			if want := r.wall - r.cpu; math.Abs(float64(r.blocked-want)) > 0.1*float64(want) {
				t.Errorf("main thread blocked %v, want %v (wall %v - CPU %v) ± 10%%", r.blocked, want, r.wall, r.cpu)
			}
			if r.wokenByHelper < 0.9 {
				t.Errorf("answer_later is in the waker stack of %.1f%% of wait_for_answer's blocks, want 90%% or more", 100*r.wokenByHelper)
			}
		})
	}
}

// TestOffCPUFramePointersHideTheBlocker records offcpu_split built with
// frame pointers, walked by frame pointers alone: libc's read has no frame
// of its own, so the walk skips wait_for_answer, which the same build
// walked by CFI keeps (TestOffCPUSplit): the defect the CFI walk fixes.
func TestOffCPUFramePointersHideTheBlocker(t *testing.T) {
	testenv.RequireRoot(t)
	p := startOffCPUProgram(t, "offcpu_split")
	r := recordSplit(t, p, false)
	t.Logf("%s", r)
	if r.named >= 0.95 {
		t.Errorf("walked by frame pointers, %.1f%% of the blocked time is in wait_for_answer or nap: the program does not show the defect", 100*r.named)
	}
}

// splitRecording is what recordSplit measured of the main thread.
type splitRecording struct {
	wall, cpu, blocked time.Duration
	blocks             uint64
	waitShare          float64 // of the blocked time in wait_for_answer or nap, wait_for_answer's
	named              float64 // share of the blocked time in wait_for_answer or nap
	wokenByHelper      float64 // share of wait_for_answer's blocks with answer_later waking them
	failures           map[string]uint64
}

func (r splitRecording) String() string {
	return fmt.Sprintf("wall %v, CPU %v, blocked %v in %d blocks; wait_for_answer %.1f%%, named %.1f%%, woken by answer_later %.1f%%; failures %v",
		r.wall, r.cpu, r.blocked, r.blocks, 100*r.waitShare, 100*r.named, 100*r.wokenByHelper, r.failures)
}

// recordSplit records offcpu_split's off-CPU time (with wakeups) for
// 1.5 s, by CFI when cfi, and measures its main thread.
func recordSplit(t *testing.T, p *offCPUProgram, cfi bool) splitRecording {
	t.Helper()
	cfg := offCPUConfig(p.pid, sampler.OffCPU{Wakeups: true})
	if cfi {
		cfg.Unwind = newRegistry(t)
	}
	s := startTest(t, cfg)
	if cfi {
		if _, err := cfg.Unwind.AddProcess(p.pid, unwindObjects(snapshot(t, int(p.pid)))); err != nil {
			t.Fatal(err)
		}
	}
	samplertest.DrainAll(t, s) // blocks walked before the mappings were known
	start, cpu0 := time.Now(), samplertest.CPUTime(t, p.pid)
	time.Sleep(1500 * time.Millisecond)
	wall, cpu := time.Since(start), samplertest.CPUTime(t, p.pid)-cpu0
	samples, st := drainOpen(t, s)

	r := splitRecording{wall: wall, cpu: cpu, failures: st.Failures}
	main := func(rs sampler.Sample) bool { return rs.TID == p.pid }
	var woken, waits uint64
	r.blocked, r.blocks = blockedTime(samples, main)
	wait, _ := blockedTime(samples, func(rs sampler.Sample) bool {
		if !main(rs) || !p.has(rs.User, "wait_for_answer") {
			return false
		}
		waits += rs.Count
		if rs.Waker != nil && rs.Waker.PID == p.pid && p.has(rs.Waker.User, "answer_later") {
			woken += rs.Count
		}
		return true
	})
	nap, _ := blockedTime(samples, func(rs sampler.Sample) bool { return main(rs) && p.has(rs.User, "nap") })
	if r.blocks < 100 {
		t.Fatalf("%d blocks of the main thread: %s", r.blocks, r)
	}
	if wait+nap > 0 {
		r.waitShare = float64(wait) / float64(wait+nap)
	}
	r.named = float64(wait+nap) / float64(r.blocked)
	if waits > 0 {
		r.wokenByHelper = float64(woken) / float64(waits)
	}
	return r
}
