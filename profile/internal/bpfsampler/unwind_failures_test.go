package bpfsampler

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/internal/cfi"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestCFIFallsBackToFramePointers samples this test's own Go code, which
// has no call frame information in a test binary: before its mappings
// are added, every sample counts as of an unknown process; after, as
// having frames without a table; both times the frame-pointer walk
// reaches this test's function from the spinning one.
func TestCFIFallsBackToFramePointers(t *testing.T) {
	testenv.RequireRoot(t)
	pid := os.Getpid()
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{uint32(pid)}
	cfg.UserOnly = true
	cfg.Unwind = newRegistry(t)
	s := startTest(t, cfg)
	snap := snapshot(t, pid)
	spin := func() ([]stackSample, map[string]uint64) {
		samplertest.SpinFor(500 * time.Millisecond)
		stopEvents(t, s)
		defer func() {
			for _, e := range s.events {
				if err := e.Enable(); err != nil {
					t.Fatal(err)
				}
			}
		}()
		var samples []sampler.Sample
		st, err := s.Drain(func(rs sampler.Sample) {
			if len(rs.User) > 0 {
				samples = append(samples, rs)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return symbolizeStacks(t, snap, samples), st.Failures
	}
	check := func(when, cause string, stacks []stackSample, failures map[string]uint64) {
		var total, whole uint64
		for _, s := range stacks {
			total += s.count
			for _, f := range s.frames {
				if strings.HasSuffix(f, ".TestCFIFallsBackToFramePointers") {
					whole += s.count
					break
				}
			}
		}
		t.Logf("%s: %d samples, %d reaching the test; failures %v; stacks %s", when, total, whole, failures, topStacks(stacks, 3))
		if total < 100 || whole < total*9/10 {
			t.Errorf("%s: %d of %d samples reach the test's function, want 90%% or more", when, whole, total)
		}
		if failures[cause] < total*9/10 {
			t.Errorf("%s: %d samples counted as %s of %d", when, failures[cause], cause, total)
		}
	}
	stacks, failures := spin()
	check("unknown process", sampler.FailureUnwindUnknownProcess, stacks, failures)
	if _, err := cfg.Unwind.AddProcess(uint32(pid), unwindObjects(snap)); err != nil {
		t.Fatal(err)
	}
	t.Logf("registry: %+v", cfg.Unwind.Stats())
	samplertest.DrainAll(t, s) // the samples taken while it was added
	stacks, failures = spin()
	check("known process", sampler.FailureUnwindNoTable, stacks, failures)
	if failures[sampler.FailureUnwindUnknownProcess] != 0 {
		t.Errorf("%d samples of an unknown process once it is known", failures[sampler.FailureUnwindUnknownProcess])
	}
}

// TestPackedKinds checks that the program reads rules with internal/cfi's
// numbering of their kinds, which tables are packed with.
func TestPackedKinds(t *testing.T) {
	cfa := map[bpf.ProfileCfaKind]cfi.CFAKind{
		bpf.ProfileCfaKindCFA_NONE: cfi.CFANone, bpf.ProfileCfaKindCFA_RSP: cfi.CFARSP, bpf.ProfileCfaKindCFA_RBP: cfi.CFARBP,
		bpf.ProfileCfaKindCFA_PLT: cfi.CFAPLT, bpf.ProfileCfaKindCFA_EXPRESSION: cfi.CFAExpression,
		bpf.ProfileCfaKindCFA_DEREF_RSP: cfi.CFADerefRSP, bpf.ProfileCfaKindCFA_OTHER_REGISTER: cfi.CFAOtherRegister,
	}
	for c, g := range cfa {
		if uint32(c) != uint32(g) {
			t.Errorf("CFA kind %d in the program is %v in internal/cfi", c, g)
		}
	}
	save := map[bpf.ProfileSaveKind]cfi.SaveKind{
		bpf.ProfileSaveKindSAVE_UNCHANGED: cfi.SaveUnchanged, bpf.ProfileSaveKindSAVE_UNDEFINED: cfi.SaveUndefined,
		bpf.ProfileSaveKindSAVE_AT_CFA: cfi.SaveAtCFA, bpf.ProfileSaveKindSAVE_IS_CFA: cfi.SaveIsCFA,
		bpf.ProfileSaveKindSAVE_IN_REGISTER: cfi.SaveInRegister, bpf.ProfileSaveKindSAVE_AT_RSP: cfi.SaveAtRSP,
		bpf.ProfileSaveKindSAVE_EXPRESSION: cfi.SaveExpression, bpf.ProfileSaveKindSAVE_VAL_EXPRESSION: cfi.SaveValExpression,
	}
	for c, g := range save {
		if uint32(c) != uint32(g) {
			t.Errorf("save kind %d in the program is %v in internal/cfi", c, g)
		}
	}
	signal := cfi.PackRule(cfi.Rule{CFA: cfi.CFADerefRSP, Signal: true})[0] >> 32 & 0xff
	if signal != uint64(bpf.ProfileCfaKindCFA_SIGNAL|bpf.ProfileCfaKindCFA_DEREF_RSP) {
		t.Errorf("a signal frame's packed CFA kind is %#x", signal)
	}
}
