package perfsampler

import (
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfChurnAnnouncesFew checks that a shell starting /bin/true one after
// another, as fast as it can, costs the session few snapshots: only sampled
// processes are announced (not every fork and exec the ring records), and
// only those that still run a batch later.
func TestPerfChurnAnnouncesFew(t *testing.T) {
	testenv.RequireRoot(t)
	samplertest.ChurnAnnouncesFew(t, func(cfg sampler.Config) sampler.Sampler {
		s, err := Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
