package profile_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/jit"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

// nodeJITFlags are the ways of running node with a jitdump alone (no perf
// map): its JavaScript frames can be named only from jit-PID.dump.
var nodeJITFlags = []struct {
	name  string
	flags []string
}{
	{"perf-prof", []string{"--perf-prof"}},
	{"unwinding-info", []string{"--perf-prof", "--perf-prof-unwinding-info"}},
}

// forNodeJIT runs test for each way of running node and each backend.
func forNodeJIT(t *testing.T, test func(t *testing.T, node string, flags []string, b profile.Backend)) {
	testenv.RequireRoot(t)
	node := testenv.RequireTool(t, "node", "apt-get install nodejs")
	for _, f := range nodeJITFlags {
		for _, b := range []profile.Backend{profile.BackendBPF, profile.BackendPerf} {
			t.Run(f.name+"/"+b.String(), func(t *testing.T) { test(t, node, f.flags, b) })
		}
	}
}

// nodeCommand is node running testdata/jit_hot.js with flags and args, in
// a temporary directory of the test's, where V8 writes its jitdump.
func nodeCommand(t *testing.T, node string, flags []string, args ...string) *exec.Cmd {
	t.Helper()
	script, err := filepath.Abs("testdata/jit_hot.js")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, append(append(flags, script), args...)...)
	cmd.Dir = t.TempDir()
	return cmd
}

// readJitdump reads node's jitdump as it is on disk now; after node exited,
// with every record flushed, it is the truth about which code was
// jitHotLoop's.
func readJitdump(t *testing.T, cmd *exec.Cmd) *jit.Jitdump {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cmd.Dir, fmt.Sprintf("jit-%d.dump", cmd.Process.Pid)))
	if err != nil {
		t.Fatal(err)
	}
	j, err := jit.ParseJitdump(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// checkJITHot counts node's samples whose leaf is in jitHotLoop's code (as
// the final jitdump says) and requires nearly all of them to be named
// jitHotLoop, as JIT frames, in the profile and in its folded stacks. It
// logs how many of them the file onDisk, as it was when they were named,
// names jitHotLoop (nil: not known).
func checkJITHot(t *testing.T, p *profile.Profile, pid int, final, onDisk *jit.Jitdump) {
	t.Helper()
	var hot, named, fileAlone uint64
	for _, s := range p.Samples {
		if s.PID != pid || len(s.User) == 0 {
			continue
		}
		leaf := s.User[0]
		if sym, ok := final.Lookup(leaf.Address); !ok || !strings.Contains(sym.Name, "jitHotLoop") {
			continue
		}
		hot += s.Count
		if onDisk != nil {
			if sym, ok := onDisk.Lookup(leaf.Address); ok && strings.Contains(sym.Name, "jitHotLoop") {
				fileAlone += s.Count
			}
		}
		if f := leaf.Frames; len(f) > 0 && strings.Contains(f[0].Function, "jitHotLoop") && f[0].Kind == symbolize.KindJIT {
			named += s.Count
		}
	}
	var folded bytes.Buffer
	p.Folded(profile.FoldOptions{}).WriteTo(&folded)
	fp, err := flamegraph.Parse(&folded)
	if err != nil {
		t.Fatal(err)
	}
	_, jitFrames := share(fp, "node", func(frames string) bool {
		return strings.Contains(frames, "jitHotLoop") && strings.Contains(frames, "_[j]")
	})
	t.Logf("%d of node's samples in jitHotLoop's code, %d named (%.1f%%), %v in folded stacks as a JIT frame", hot, named, 100*float64(named)/float64(max(hot, 1)), jitFrames)
	if onDisk != nil {
		t.Logf("the jitdump's file alone, when they were named, named %d of them jitHotLoop", fileAlone)
	}
	if hot < 100 || float64(named) < 0.95*float64(hot) || jitFrames < float64(named) {
		t.Fatalf("%d samples in jitHotLoop's code, %d named, %v as _[j] frames: want at least 100, 95%% named, all as _[j]\n%s", hot, named, jitFrames, dump(fp))
	}
}

// TestNodeJitdumpCommand records node --perf-prof as a command: it exits
// before its samples are named, and the snapshot taken at its exec (before
// V8 made its jitdump) must have found the dump and read what V8 flushed
// at exit.
func TestNodeJitdumpCommand(t *testing.T) {
	forNodeJIT(t, func(t *testing.T, node string, flags []string, b profile.Backend) {
		cmd := nodeCommand(t, node, flags, "2000") // ms of CPU time
		_, p := runCommand(t, cmd, b, 499)
		checkJITHot(t, p, cmd.Process.Pid, readJitdump(t, cmd), nil)
	})
}

// TestNodeJitdumpLive records a running node --perf-prof by pid and
// collects twice while it runs, as an agent does: the optimized code of
// jitHotLoop is then only in V8's stdio buffer, not yet in the file.
func TestNodeJitdumpLive(t *testing.T) {
	forNodeJIT(t, func(t *testing.T, node string, flags []string, b profile.Backend) {
		cmd := nodeCommand(t, node, flags)
		c := testenv.StartChild(t, cmd)
		c.WaitLine(t, "ready")
		s, err := profile.Start(context.Background(), profile.Options{PIDs: []int{cmd.Process.Pid}, Frequency: 499, Backend: b})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var collected, onDisk = []*profile.Profile{}, []*jit.Jitdump{}
		for range 2 { // an agent collects again and again
			waitSamples(t, s, 300)
			p, err := s.Collect()
			if err != nil {
				t.Fatal(err)
			}
			collected, onDisk = append(collected, p), append(onDisk, readJitdump(t, cmd))
		}
		if err := os.WriteFile(filepath.Join(cmd.Dir, "stop"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		c.Finish(t)
		final := readJitdump(t, cmd)
		for i, p := range collected {
			checkJITHot(t, p, cmd.Process.Pid, final, onDisk[i])
		}
	})
}

// waitSamples waits until the session has taken n samples since the last
// collection, for at most 30 s.
func waitSamples(t *testing.T, s *profile.Session, n uint64) {
	t.Helper()
	before, _ := s.Stats()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if now, _ := s.Stats(); now-before >= n {
			return
		}
	}
	t.Fatalf("fewer than %d samples in 30 s", n)
}
