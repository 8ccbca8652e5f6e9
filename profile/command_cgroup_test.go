package profile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// commandCgroups returns the cgroups named as this process names those it
// makes for its commands (flamekit-<pid>-<seq> under the cgroup2 mount)
// that exist: its own, and those an earlier process with the same PID
// left.
func commandCgroups(t *testing.T) map[string]bool {
	t.Helper()
	root, err := sampler.Cgroup2Mount()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob(filepath.Join(root, fmt.Sprintf("flamekit-%d-*", os.Getpid())))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, d := range dirs {
		set[d] = true
	}
	return set
}

// newCgroups returns the command cgroups that exist now and did not
// before, and has the test remove them (waiting for them to empty) when it
// ends.
func newCgroups(t *testing.T, before map[string]bool) []string {
	t.Helper()
	var made []string
	for d := range commandCgroups(t) {
		if !before[d] {
			made = append(made, d)
		}
	}
	t.Cleanup(func() {
		for _, d := range made {
			for i := 0; os.Remove(d) != nil && i < 100; i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
	return made
}

// TestCommandCgroupRemoved profiles a command that spins 40 ms of its CPU
// time with the BPF backend 10 times, one session after the other, and 10
// times more closing the session after 20 ms, while the command still
// spins (Close kills it): after each Stop of a command that exited, and
// each Close, no cgroup made for a command is left, although the kernel
// lets a command that exited, or was killed, go from its cgroup only some
// time after its parent waited for it; and the commands' samples name
// their hot function.
func TestCommandCgroupRemoved(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildWorkload(t, "shortlived")
	before := commandCgroups(t)
	for _, killed := range []bool{false, true} {
		var total, named float64
		spin := "40"
		if killed {
			spin = "10000"
		}
		for i := range 10 {
			p, left := profileCommand(t, exec.Command(bin, spin, "cpu"), killed, before)
			if len(left) > 0 {
				t.Fatalf("run %d (killed %v): the command's cgroup is left: %v", i, killed, left)
			}
			n, m, _ := spinShare(t, p)
			total, named = total+n, named+m
		}
		t.Logf("killed %v: %v samples of the commands, %v in short_lived_spin", killed, total, named)
		if total < 100 || named < 0.5*total {
			t.Fatalf("killed %v: %v samples of the commands, %v in short_lived_spin: want at least 100 and half", killed, total, named)
		}
	}
}

// profileCommand profiles cmd with the BPF backend at 999 Hz until it
// exits, or, killed, for 20 ms only, then closes the session (which kills
// cmd if it still runs). It returns the profile and the command cgroups
// that the session left (those not in before).
func profileCommand(t *testing.T, cmd *exec.Cmd, killed bool, before map[string]bool) (*profile.Profile, []string) {
	t.Helper()
	s, err := profile.Start(context.Background(), profile.Options{Command: cmd, Frequency: 999, Backend: profile.BackendBPF})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wait := time.After(60 * time.Second)
	if killed {
		wait = time.After(20 * time.Millisecond)
	}
	select {
	case <-s.Done():
		if killed {
			t.Fatal("the command exited before it was killed")
		}
	case <-wait:
		if !killed {
			t.Fatal("the command did not finish")
		}
	}
	p, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return p, newCgroups(t, before)
}

// staleCgroup makes the cgroup that the next command's would be, as an
// earlier process with this PID left it; the test kills what it holds
// then and removes it when it ends.
func staleCgroup(t *testing.T) string {
	t.Helper()
	root, err := sampler.Cgroup2Mount()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, fmt.Sprintf("flamekit-%d-%d", os.Getpid(), profile.NextCommandCgroupSeq()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeWithProcesses(t, dir) })
	return dir
}

// removeWithProcesses kills the processes in the cgroup dir, if it still
// exists, and removes it once they are gone.
func removeWithProcesses(t *testing.T, dir string) {
	t.Helper()
	for range 100 {
		procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		for _, f := range strings.Fields(string(procs)) {
			if pid, err := strconv.Atoi(f); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if os.Remove(dir) == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("cgroup %s not removed", dir)
}

// TestCommandCgroupStale profiles a command with the BPF backend when the
// cgroup it would be given exists already, left by an earlier process
// with the same PID: empty, it is removed and made again; holding a
// process, it is left as it is and the command gets the next name. Either
// way the command runs, its samples name its hot function, and it leaves
// no cgroup of its own.
func TestCommandCgroupStale(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildWorkload(t, "shortlived")
	sleep := testenv.RequireTool(t, "sleep", "apt-get install coreutils")
	for _, populated := range []bool{false, true} {
		t.Run(map[bool]string{false: "empty", true: "populated"}[populated], func(t *testing.T) {
			stale := staleCgroup(t)
			if populated {
				holder := exec.Command(sleep, "100")
				if err := holder.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { holder.Process.Kill(); holder.Wait() }) // before the cgroup goes
				if err := os.WriteFile(filepath.Join(stale, "cgroup.procs"), []byte(strconv.Itoa(holder.Process.Pid)), 0); err != nil {
					t.Fatal(err)
				}
			}
			before := commandCgroups(t)
			p, left := profileCommand(t, exec.Command(bin, "50", "cpu"), false, before)
			if len(left) > 0 {
				t.Errorf("the command's cgroup is left: %v", left)
			}
			_, err := os.Stat(stale)
			if exists := err == nil; exists != populated {
				t.Errorf("the stale cgroup %s exists: %v; want %v (it holds a process: %v)", stale, exists, populated, populated)
			}
			checkSpin(t, p)
		})
	}
}

// TestCommandCgroupDaemonLeft profiles, with the BPF backend, a shell that
// leaves a child sleeping and becomes a process with a known hot function:
// once that exits, its cgroup still holds the sleep, so Stop leaves it
// (the sleep is not the session's to kill) and the session's logger says
// so once, Close included.
func TestCommandCgroupDaemonLeft(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildWorkload(t, "shortlived")
	sh := testenv.RequireTool(t, "sh", "apt-get install dash")
	testenv.RequireTool(t, "sleep", "apt-get install coreutils")
	before := commandCgroups(t)
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, p := runOptions(t, profile.Options{Command: exec.Command(sh, "-c", "sleep 100 & exec "+bin+" 50 cpu"), Frequency: 999, Backend: profile.BackendBPF, Logger: logger})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	left := newCgroups(t, before)
	for _, dir := range left {
		t.Cleanup(func() { removeWithProcesses(t, dir) }) // runs before newCgroups' removal
	}
	if len(left) != 1 {
		t.Fatalf("cgroups left %v, want the command's", left)
	}
	procs, err := os.ReadFile(filepath.Join(left[0], "cgroup.procs"))
	if err != nil || len(strings.Fields(string(procs))) != 1 {
		t.Errorf("the command's cgroup holds %q (%v), want the sleep", procs, err)
	}
	if n := strings.Count(log.String(), "the command's cgroup is left"); n != 1 || !strings.Contains(log.String(), left[0]) {
		t.Errorf("the log says %d times that the cgroup %s is left, want once:\n%s", n, left[0], log.String())
	}
	checkSpin(t, p)
}

// spinShare returns the samples of shortlived in p, those in
// short_lived_spin, and p's folded stacks.
func spinShare(t *testing.T, p *profile.Profile) (total, named float64, fp *flamegraph.Profile) {
	t.Helper()
	fp = foldedStacks(t, p)
	total, named = share(fp, "shortlived", contains(";short_lived_spin"))
	return total, named, fp
}

// checkSpin checks that one run of shortlived spinning is in p: 20
// samples or more, 80% of them in short_lived_spin.
func checkSpin(t *testing.T, p *profile.Profile) {
	t.Helper()
	if total, named, fp := spinShare(t, p); total < 20 || named < 0.8*total {
		t.Errorf("%v samples of the command, %v in short_lived_spin: want at least 20 and 80%%\n%s", total, named, dump(fp))
	}
}
