package samplertest

import (
	"os"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// Cgroup makes a cgroup v2 for a test and returns its path; it is removed
// when the test ends (after its workload is killed: cleanups run last
// first). It skips, or under CI fails, when none can be made.
func Cgroup(tb testing.TB, prefix string) string {
	tb.Helper()
	root, err := sampler.Cgroup2Mount()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, prefix)
	if err != nil {
		testenv.SkipOrFail(tb, "no cgroup v2 to create a group in: %v", err)
	}
	tb.Cleanup(func() {
		for range 50 {
			if os.Remove(dir) == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		tb.Errorf("cgroup %s not removed", dir)
	})
	return dir
}
