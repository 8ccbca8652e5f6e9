package profile_test

import (
	"context"
	"os/exec"
	"strconv"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// faultPages is how many fresh pages testdata/pagewait.c touches here.
const faultPages = 32768

// TestPeriodCountsPageFaults samples a program that touches faultPages
// fresh pages on page-faults, every 64 faults, with each backend, started
// as the command and attached to by PID: touch_fresh_pages has one sample a
// period (faultPages/64, within 3%: a BPF program misses one now and then),
// each worth 64 faults, and none is lost.
func TestPeriodCountsPageFaults(t *testing.T) {
	testenv.RequireRoot(t)
	const period = 64
	bin := buildWorkload(t, "pagewait")
	for _, b := range []profile.Backend{profile.BackendBPF, profile.BackendPerf} {
		for _, target := range []string{"command", "pid"} {
			t.Run(b.String()+"/"+target, func(t *testing.T) {
				opts := profile.Options{Event: "page-faults", Period: period, Backend: b, Unwind: profile.UnwindFramePointers}
				var p *profile.Profile
				if target == "command" {
					opts.Command = exec.Command(bin, strconv.Itoa(faultPages)) // stdin at its end: it starts at once
					_, p = runOptions(t, opts)
				} else {
					p = faultsOfPID(t, bin, opts)
				}
				checkFaultSamples(t, p, period)
			})
		}
	}
}

// TestEventPeriodTerm samples on "page-faults/period=64/": the event's own
// period term wins over the options' frequency, as perf's does over -F.
func TestEventPeriodTerm(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildWorkload(t, "pagewait")
	for _, b := range []profile.Backend{profile.BackendBPF, profile.BackendPerf} {
		t.Run(b.String(), func(t *testing.T) {
			_, p := runOptions(t, profile.Options{
				Event: "page-faults/period=64/", Frequency: 999, Backend: b, Unwind: profile.UnwindFramePointers,
				Command: exec.Command(bin, strconv.Itoa(faultPages)),
			})
			if p.Period != 64 || p.Frequency != 0 {
				t.Errorf("profile says period %d, frequency %d: want the term's period 64", p.Period, p.Frequency)
			}
			checkFaultSamples(t, p, 64)
		})
	}
}

// checkFaultSamples checks that p, of testdata/pagewait.c sampled every
// period page faults, has one sample a period in touch_fresh_pages
// (within 3%: a BPF program misses one now and then), each worth period
// faults, and lost none.
func checkFaultSamples(t *testing.T, p *profile.Profile, period uint64) {
	t.Helper()
	fp := foldedStacks(t, p)
	_, touching := share(fp, "pagewait", contains(";touch_fresh_pages"))
	var value uint64
	for _, s := range p.Samples {
		value += s.Value
	}
	want := float64(faultPages / period)
	t.Logf("%v samples in touch_fresh_pages, want %v; %d in all worth %d faults, %d lost", touching, want, p.Total(), value, p.Lost)
	if touching < want*0.97 || touching > want*1.03 || p.Lost > 0 {
		t.Errorf("%v samples in touch_fresh_pages, %d lost: want %v (%d faults / %d), none lost\n%s",
			touching, p.Lost, want, faultPages, period, dump(fp))
	}
	if value != p.Total()*period {
		t.Errorf("%d samples worth %d faults: want %d each", p.Total(), value, period)
	}
}

// faultsOfPID starts bin, profiles it by PID with opts from before it
// touches its pages until it exits, and returns the profile.
func faultsOfPID(t *testing.T, bin string, opts profile.Options) *profile.Profile {
	t.Helper()
	child := testenv.StartChild(t, exec.Command(bin, strconv.Itoa(faultPages)))
	child.WaitLine(t, "ready")
	opts.PIDs = []int{child.Process.Pid}
	s, err := profile.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	child.Finish(t)
	p, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
