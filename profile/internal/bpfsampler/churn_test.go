package bpfsampler

import (
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestBPFChurnAnnouncesFew checks that a shell starting /bin/true one after
// another, as fast as it can, costs the session few snapshots: only sampled
// processes are announced, and only those that still run a batch later.
func TestBPFChurnAnnouncesFew(t *testing.T) {
	testenv.RequireRoot(t)
	samplertest.ChurnAnnouncesFew(t, func(cfg sampler.Config) sampler.Sampler { return startTest(t, cfg) })
}
