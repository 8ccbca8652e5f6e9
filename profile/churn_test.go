package profile_test

import (
	"context"
	"os/exec"
	"syscall"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// churnLoop starts /bin/true ten at a time, as fast as it can: about 1,300
// processes a second on two cores.
const churnLoop = `while :; do
	/bin/true & /bin/true & /bin/true & /bin/true & /bin/true &
	/bin/true & /bin/true & /bin/true & /bin/true & /bin/true &
	wait
done`

// startChurn runs churnLoop until the test ends.
func startChurn(t *testing.T) {
	t.Helper()
	sh := testenv.RequireTool(t, "sh", "apt-get install dash")
	testenv.RequireTool(t, "true", "apt-get install coreutils")
	cmd := exec.Command(sh, "-c", churnLoop)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the loop and its children
		cmd.Wait()
	})
}

// TestChurnShortLivedNamed records the whole system while a shell starts
// /bin/true about 1,300 times a second, and runs a 150 ms process with a
// known hot function 20 times meanwhile (150 ms of its CPU time, so that
// its start and exit stay a small share of it on a busy machine): nearly
// all of its samples must name that function, although the process exits
// long before the recording ends and a thousand others are sampled around
// it.
func TestChurnShortLivedNamed(t *testing.T) {
	for _, b := range []profile.Backend{profile.BackendBPF, profile.BackendPerf} {
		t.Run(b.String(), func(t *testing.T) {
			testenv.RequireRoot(t)
			bin := buildWorkload(t, "shortlived")
			startChurn(t)
			s, err := profile.Start(context.Background(), profile.Options{Frequency: 999, Backend: b})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			for range 20 {
				if out, err := exec.Command(bin, "150", "cpu").CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", bin, err, out)
				}
			}
			p, err := s.Stop()
			if err != nil {
				t.Fatal(err)
			}
			fp := foldedStacks(t, p)
			total, named := share(fp, "shortlived", contains(";short_lived_spin"))
			_, truths := share(fp, "true", func(string) bool { return true })
			t.Logf("%v samples of the 150 ms processes, %.1f%% named short_lived_spin; %v samples of /bin/true", total, 100*named/total, truths)
			if truths < 100 {
				t.Fatalf("%v samples of /bin/true: the churn did not run", truths)
			}
			if total < 300 || named < 0.95*total {
				t.Fatalf("%v samples of the 150 ms processes, %v in short_lived_spin: want at least 300 and 95%%\n%s", total, named, dump(fp))
			}
		})
	}
}
