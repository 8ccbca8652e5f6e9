package bpfsampler

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestCFIOmitFramePointer samples a program built -O2
// -fomit-frame-pointer whose main calls hot and cold (70/30 of its time):
// walked by CFI, at least 95% of the samples in hot or cold have main
// above them, and the split is within 3 points of 70/30 (3.6 standard
// deviations of 3,000 samples). Walked by frame
// pointers, the same program loses main in most samples: the test would
// fail without CFI.
func TestCFIOmitFramePointer(t *testing.T) {
	testenv.RequireRoot(t)
	pid := startTestdata(t, "cfisplit", "-O2", "-fomit-frame-pointer")
	for _, cfi := range []bool{true, false} {
		stacks, failures := sampleProgram(t, pid, cfi)
		var hot, cold, withMain uint64
		for _, s := range stacks {
			switch s.frames[0] {
			case "hot":
				hot += s.count
			case "cold":
				cold += s.count
			default:
				continue
			}
			if s.has("main") {
				withMain += s.count
			}
		}
		total := hot + cold
		mainShare, hotShare := float64(withMain)/float64(total), float64(hot)/float64(total)
		t.Logf("cfi %t: %d samples in hot and cold, %.1f%% with main, %.1f%% in hot; failures %v; stacks %s", cfi, total, 100*mainShare, 100*hotShare, failures, topStacks(stacks, 4))
		if total < 200 {
			t.Fatalf("cfi %t: %d samples in hot and cold", cfi, total)
		}
		switch {
		case cfi && mainShare < 0.95:
			t.Errorf("walked by CFI, %.1f%% of the samples of hot and cold have main above them, want 95%% or more", 100*mainShare)
		case cfi && math.Abs(hotShare-0.7) > 0.03:
			t.Errorf("walked by CFI, hot has %.1f%% of the samples, want 70%% ± 3", 100*hotShare)
		case !cfi && mainShare >= 0.95:
			t.Errorf("walked by frame pointers, %.1f%% of the samples have main above them: the program does not show the defect", 100*mainShare)
		}
	}
}

// TestCFIFramePointerCallerOfLeaf samples a function built with frame
// pointers that spends its time in libc's memcpy, which has none: walked
// by CFI (the leaf by its rule), at least 95% of the samples in libc have
// copier right above the leaf. Walked by frame pointers, the walk takes
// copier's frame for memcpy's and skips copier.
func TestCFIFramePointerCallerOfLeaf(t *testing.T) {
	testenv.RequireRoot(t)
	pid := startTestdata(t, "fpmemcpy", "-O2", "-fno-omit-frame-pointer")
	checkCallerOfLibcLeaf(t, pid, "copier")
}

// checkCallerOfLibcLeaf samples process pid by CFI and by frame pointers:
// walked by CFI, at least 95% of the samples whose leaf is in libc have
// caller right above the leaf; by frame pointers, fewer.
func checkCallerOfLibcLeaf(t *testing.T, pid int, caller string) {
	t.Helper()
	for _, cfi := range []bool{true, false} {
		stacks, failures := sampleProgram(t, pid, cfi)
		var inLibc, callerAbove uint64
		for _, s := range stacks {
			if !strings.Contains(s.leaf, "libc.so") {
				continue
			}
			inLibc += s.count
			if len(s.frames) > 1 && s.frames[1] == caller {
				callerAbove += s.count
			}
		}
		share := float64(callerAbove) / float64(inLibc)
		t.Logf("cfi %t: %d samples in libc, %.1f%% with %s above the leaf; failures %v; stacks %s", cfi, inLibc, 100*share, caller, failures, topStacks(stacks, 4))
		if inLibc < 200 {
			t.Fatalf("cfi %t: %d samples in libc", cfi, inLibc)
		}
		switch {
		case cfi && share < 0.95:
			t.Errorf("walked by CFI, %.1f%% of the samples in libc have %s above the leaf, want 95%% or more", 100*share, caller)
		case !cfi && share >= 0.95:
			t.Errorf("walked by frame pointers, %.1f%% of the samples in libc have %s above the leaf: the program does not show the defect", 100*share, caller)
		}
	}
}

// topStacks describes the n most frequent stacks, for messages.
func topStacks(stacks []stackSample, n int) string {
	counts := map[string]uint64{}
	for _, s := range stacks {
		counts[s.String()] += s.count
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	var b strings.Builder
	for _, k := range keys[:min(n, len(keys))] {
		fmt.Fprintf(&b, "\n\t%d %s", counts[k], k)
	}
	return b.String()
}

// TestCFISignalFrame samples a program built -O2 -fomit-frame-pointer
// whose signal handler takes most of its time: walked by CFI, at least
// 95% of the samples in the handler have work (the interrupted function,
// past the kernel's signal frame) and main above them. Walked by frame
// pointers, they do not.
func TestCFISignalFrame(t *testing.T) {
	testenv.RequireRoot(t)
	pid := startTestdata(t, "cfisignal", "-O2", "-fomit-frame-pointer")
	checkCallers(t, pid, "on_tick", "work", "main")
}

// TestCFIQsortComparator samples a comparator built -O2
// -fomit-frame-pointer that libc's qsort calls: walked by CFI, at least
// 95% of its samples have sorter and main above qsort's frames. Walked
// by frame pointers, they do not.
func TestCFIQsortComparator(t *testing.T) {
	testenv.RequireRoot(t)
	pid := startTestdata(t, "cfiqsort", "-O2", "-fomit-frame-pointer")
	checkCallers(t, pid, "compare", "sorter", "main")
}

// checkCallers samples process pid by CFI and by frame pointers: walked
// by CFI, at least 95% of the samples whose leaf is leaf have each of
// callers above it; by frame pointers, fewer.
func checkCallers(t *testing.T, pid int, leaf string, callers ...string) {
	t.Helper()
	for _, cfi := range []bool{true, false} {
		stacks, failures := sampleProgram(t, pid, cfi)
		var inLeaf, whole uint64
		for _, s := range stacks {
			if s.frames[0] != leaf {
				continue
			}
			inLeaf += s.count
			all := true
			for _, c := range callers {
				all = all && s.has(c)
			}
			if all {
				whole += s.count
			}
		}
		share := float64(whole) / float64(inLeaf)
		t.Logf("cfi %t: %d samples in %s, %.1f%% with %v above; failures %v; stacks %s", cfi, inLeaf, leaf, 100*share, callers, failures, topStacks(stacks, 4))
		if inLeaf < 100 {
			t.Fatalf("cfi %t: %d samples in %s", cfi, inLeaf, leaf)
		}
		switch {
		case cfi && share < 0.95:
			t.Errorf("walked by CFI, %.1f%% of the samples in %s have %v above them, want 95%% or more", 100*share, leaf, callers)
		case !cfi && share >= 0.95:
			t.Errorf("walked by frame pointers, %.1f%% of the samples in %s have %v above them: the program does not show the defect", 100*share, leaf, callers)
		}
	}
}

// TestCFIBlockedInSystemCall samples a function built with frame pointers
// that spends its time in read(2), sampled in the kernel: its user
// registers are those saved at the system call's entry, in libc's read
// wrapper, which has no frame pointer. Walked by CFI, at least 95% of the
// samples in libc have reader right above the leaf; walked by frame
// pointers, reader is skipped.
func TestCFIBlockedInSystemCall(t *testing.T) {
	testenv.RequireRoot(t)
	pid := startTestdata(t, "fpread", "-O2", "-fno-omit-frame-pointer")
	checkCallerOfLibcLeaf(t, pid, "reader")
}

// TestCFICgo samples a Go program spinning in C through cgo, the C built
// -O2 -fomit-frame-pointer: walked by CFI in the C frames and by frame
// pointers in the Go ones (crossing from the thread's stack to the
// goroutine's), at least 95% of the samples in cspin have cmiddle right
// above them and main.main further up. Walked by frame pointers, cmiddle
// is skipped.
func TestCFICgo(t *testing.T) {
	testenv.RequireRoot(t)
	goTool := testenv.RequireTool(t, "go", "")
	bin := filepath.Join(t.TempDir(), "cgospin")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("testdata", "cgospin")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c := testenv.StartChild(t, exec.Command(bin))
	c.WaitLine(t, "ready")
	for _, cfi := range []bool{true, false} {
		stacks, failures := sampleProgram(t, c.Process.Pid, cfi)
		var inSpin, whole uint64
		for _, s := range stacks {
			// gcc names them cspin.constprop.0 and cmiddle.constprop.0.
			if !strings.HasPrefix(s.frames[0], "cspin") {
				continue
			}
			inSpin += s.count
			if len(s.frames) > 1 && strings.HasPrefix(s.frames[1], "cmiddle") && s.has("main.main") {
				whole += s.count
			}
		}
		share := float64(whole) / float64(inSpin)
		t.Logf("cfi %t: %d samples in cspin, %.1f%% with cmiddle above and main.main; failures %v; stacks %s", cfi, inSpin, 100*share, failures, topStacks(stacks, 3))
		if inSpin < 200 {
			t.Fatalf("cfi %t: %d samples in cspin", cfi, inSpin)
		}
		switch {
		case cfi && share < 0.95:
			t.Errorf("walked by CFI, %.1f%% of the samples in cspin have cmiddle above them and main.main, want 95%% or more", 100*share)
		case !cfi && share >= 0.95:
			t.Errorf("walked by frame pointers, %.1f%% of the samples in cspin have cmiddle above them and main.main: the program does not show the defect", 100*share)
		}
	}
}
