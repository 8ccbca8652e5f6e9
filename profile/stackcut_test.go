package profile_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

// stackShape sums up the user stacks of one command name in a profile.
type stackShape struct {
	samples    uint64
	deepest    int // user frames of the deepest stack
	unknownRun int // the longest run of unnamed user frames, in stacks that do not reach an entry point
	leaf       map[string]uint64
}

// entryPoints are the outermost functions of a whole user stack: a walk
// that reached one went right, whatever unnamed frames it crossed (a
// stripped binary's static functions: python3's compiler, bash's parser).
var entryPoints = map[string]bool{"_start": true, "__libc_start_main": true, "__libc_start_call_main": true, "start_thread": true, "__clone3": true, "clone3": true}

func shapeOf(p *profile.Profile, comm string) stackShape {
	sh := stackShape{leaf: map[string]uint64{}}
	for _, s := range p.Samples {
		if s.Comm != comm {
			continue
		}
		sh.samples += s.Count
		sh.deepest = max(sh.deepest, len(s.User))
		if len(s.User) == 0 {
			continue
		}
		sh.leaf[s.User[0].Frames[0].Function] += s.Count
		if entryPoints[s.User[len(s.User)-1].Frames[0].Function] {
			continue
		}
		run := 0
		for _, l := range s.User {
			if l.Frames[0].Kind == symbolize.KindUnknown {
				run++
				sh.unknownRun = max(sh.unknownRun, run)
			} else {
				run = 0
			}
		}
	}
	return sh
}

// TestStackCutUnmapped profiles, by frame pointers, a program without
// them whose frame-pointer walks read data as return addresses: its stacks end at
// the first of them, counted, instead of going on for a hundred
// "[unknown]" frames.
func TestStackCutUnmapped(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "nofp", []string{filepath.Join("testdata", "nofp.c")}, "-O2", "-fomit-frame-pointer", "-mno-red-zone")
	bothBackends(t, func(t *testing.T) {
		_, p := runOptions(t, profile.Options{Command: exec.Command(bin), Frequency: 499, Backend: backendOf(t), Unwind: profile.UnwindFramePointers})
		sh := shapeOf(p, "nofp")
		t.Logf("%d samples, deepest user stack %d, longest unnamed run %d, leaves %v, failures %v", sh.samples, sh.deepest, sh.unknownRun, sh.leaf, p.Failures)
		if sh.samples < 100 || sh.leaf["walk_list"] < sh.samples/2 {
			t.Fatalf("%d samples, %d in walk_list: want at least 100 and half", sh.samples, sh.leaf["walk_list"])
		}
		if sh.unknownRun > 2 || sh.deepest > 12 {
			t.Errorf("a user stack of %d frames, %d unnamed in a row: the walk's garbage was kept", sh.deepest, sh.unknownRun)
		}
		if cut := p.Failures[profile.FailureUserStackUnmapped]; cut < sh.leaf["walk_list"]/2 {
			t.Errorf("%d stacks cut at an unmapped return address, of %d samples in walk_list", cut, sh.leaf["walk_list"])
		}
	})
}

// TestStackCutLoop profiles, by frame pointers, a program whose walks go round a
// cycle of frames whose return addresses are in its code: the stacks keep
// one turn of it, counted.
func TestStackCutLoop(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "nofp", []string{filepath.Join("testdata", "nofp.c")}, "-O2", "-fomit-frame-pointer", "-mno-red-zone")
	bothBackends(t, func(t *testing.T) {
		_, p := runOptions(t, profile.Options{Command: exec.Command(bin, "cycle"), Frequency: 499, Backend: backendOf(t), Unwind: profile.UnwindFramePointers})
		sh := shapeOf(p, "nofp")
		t.Logf("%d samples, deepest user stack %d, leaves %v, failures %v", sh.samples, sh.deepest, sh.leaf, p.Failures)
		if sh.samples < 100 || sh.leaf["walk_list"] < sh.samples/2 {
			t.Fatalf("%d samples, %d in walk_list: want at least 100 and half", sh.samples, sh.leaf["walk_list"])
		}
		if sh.deepest > 12 {
			t.Errorf("a user stack of %d frames: the cycle was kept", sh.deepest)
		}
		if cut := p.Failures[profile.FailureUserStackLoop]; cut < sh.leaf["walk_list"]/2 {
			t.Errorf("%d stacks cut at a cycle, of %d samples in walk_list", cut, sh.leaf["walk_list"])
		}
	})
}

// TestStackCutKeepsFramePointerStacks profiles a program with frame
// pointers: its hot function's whole path, 40 levels of recursion
// included, stays in nearly every sample, and nothing is cut.
func TestStackCutKeepsFramePointerStacks(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "fpdeep", []string{filepath.Join("testdata", "fpdeep.c")},
		"-O1", "-fno-omit-frame-pointer", "-mno-omit-leaf-frame-pointer", "-fno-inline", "-fno-optimize-sibling-calls")
	// 41 calls of fp_recurse; frame pointers skip the caller of a leaf
	// that makes no frame.
	path := regexp.MustCompile(`;main;fp_path1;fp_path2;fp_path3;fp_path4;fp_path5;fp_path6;fp_path7;fp_path8;(fp_recurse;){40,41}fp_hot(;|$)`)
	bothBackends(t, func(t *testing.T) {
		fp := recordCommand(t, exec.Command(bin), 499)
		total, full := share(fp, "fpdeep", path.MatchString)
		if total < 200 || full < 0.9*total {
			t.Fatalf("%v samples, %v with fp_hot's whole path: want at least 200 and 90%%\n%s", total, full, dump(fp))
		}
	})
}

// TestStackCutSystemWide profiles the whole system while a shell loop forks
// and execs and python3 recurses: no stack of theirs that stops short of
// an entry point (a walk gone astray, or named from the wrong snapshot)
// has a long run of unnamed frames.
func TestStackCutSystemWide(t *testing.T) {
	testenv.RequireRoot(t)
	bash, python := testenv.RequireTool(t, "bash", ""), testenv.RequireTool(t, "python3", "")
	bothBackends(t, func(t *testing.T) {
		s, err := profile.Start(context.Background(), profile.Options{Backend: backendOf(t), Frequency: 499})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// Three seconds of forks and execs, however slow they are here.
		loops := exec.Command(bash, "-c", "end=$((SECONDS+3)); i=0; while [ $SECONDS -lt $end ]; do i=$((i+1)); echo $i | md5sum >/dev/null; done")
		recursion := exec.Command(python, "-c", `import time
def f(n): return 1 if n < 2 else f(n - 1) + f(n - 2)
end = time.time() + 2
while time.time() < end: f(18)`)
		for _, c := range []*exec.Cmd{loops, recursion} {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		waitUpTo(t, loops, 30*time.Second)
		waitUpTo(t, recursion, 30*time.Second)
		p, err := s.Stop()
		if err != nil {
			t.Fatal(err)
		}
		var ours uint64
		for _, comm := range []string{"bash", "md5sum", "python3"} {
			sh := shapeOf(p, comm)
			ours += sh.samples
			t.Logf("%s: %d samples, deepest user stack %d, longest unnamed run %d", comm, sh.samples, sh.deepest, sh.unknownRun)
			if sh.unknownRun > 8 {
				t.Errorf("%s: a run of %d unnamed frames", comm, sh.unknownRun)
			}
		}
		if ours < 100 {
			t.Errorf("%d samples of the shell loops and python3: want at least 100", ours)
		}
		all := 0
		for _, s := range p.Samples {
			all = max(all, len(s.User))
		}
		t.Logf("deepest user stack of any process: %d frames; failures %v", all, p.Failures)
	})
}

// backendOf is the backend a bothBackends subtest runs on.
func backendOf(t *testing.T) profile.Backend {
	if strings.HasSuffix(t.Name(), "/perf") || strings.Contains(t.Name(), "/perf/") {
		return profile.BackendPerf
	}
	return profile.BackendBPF
}

// waitUpTo waits for cmd to exit, killing it after d.
func waitUpTo(t *testing.T, cmd *exec.Cmd, d time.Duration) {
	t.Helper()
	timer := time.AfterFunc(d, func() { cmd.Process.Kill() })
	defer timer.Stop()
	if err := cmd.Wait(); err != nil {
		t.Errorf("%s: %v", cmd.Path, err)
	}
}
