package profile_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/internal/golden"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfScriptRecording records a program that forks a child spending
// its time in session_alpha and session_beta, with timed samples, on each
// backend, and writes the one profile both as perf script text and as
// folded stacks: collapsed, the text gives the folded stacks and counts
// (by period; the vDSO's frames aside, see vdsoAsUser), every sample once, with times on CLOCK_MONOTONIC within the
// recording, in order, that FlameScope reads. Where FLAMEGRAPH_DIR names a
// FlameGraph checkout, stackcollapse-perf.pl folds the text as collapse
// does.
func TestPerfScriptRecording(t *testing.T) {
	bothBackends(t, func(t *testing.T) {
		backend := profile.BackendBPF
		if strings.HasSuffix(t.Name(), "/perf") {
			backend = profile.BackendPerf
		}
		bin := buildWorkload(t, "splitwork")
		before := monotonicNow()
		_, p := runOptions(t, profile.Options{Command: exec.Command(bin), Frequency: 999, Backend: backend, Timed: true})
		after := monotonicNow()
		if lost := p.Failures[profile.FailureTimedRingFull] + p.Failures[profile.FailureTimedBacklogFull]; lost > 0 || uint64(len(p.Timed)) != p.Total() {
			t.Fatalf("%d timed samples of %d (%d lost from the timed log): want each sample timed", len(p.Timed), p.Total(), lost)
		}
		if p.StartMonotonic < before || p.StartMonotonic > after {
			t.Errorf("StartMonotonic %v, not between the clock's %v before Start and %v after Stop", p.StartMonotonic, before, after)
		}
		var text bytes.Buffer
		if err := p.WritePerfScript(&text); err != nil {
			t.Fatal(err)
		}

		got, st, err := collapse.Perf(bytes.NewReader(text.Bytes()), collapse.PerfOptions{Kernel: true, JIT: true})
		if err != nil {
			t.Fatal(err)
		}
		want := foldedText(p.Folded(profile.FoldOptions{Values: true}))
		if s := bracketedOnce(vdsoAsUser(foldedText(got), p)); s != want {
			t.Errorf("collapsed perf script text:\n%s\nwant the profile's folded stacks:\n%s", s, want)
		}
		if st.Perf.Samples != len(p.Timed) || got.Unit != "nanoseconds" {
			t.Errorf("collapse read %d samples in %q, want %d in nanoseconds", st.Perf.Samples, got.Unit, len(p.Timed))
		}
		total, alpha := share(got, "splitwork", contains(";main;session_alpha"))
		if total == 0 || alpha < 0.5*total {
			t.Errorf("%v of %v ns in main;session_alpha, want over half:\n%s", alpha, total, dump(got))
		}

		checkFlameScope(t, text.String(), len(p.Timed))
		first, last := sampleTimes(t, text.String())
		end := p.StartMonotonic + p.Duration
		if first < p.StartMonotonic.Truncate(time.Microsecond) || last > end || first < before.Truncate(time.Microsecond) || last > after {
			t.Errorf("samples from %v to %v, not within the recording (%v to %v) and the clock's readings around it (%v to %v)",
				first, last, p.StartMonotonic, end, before, after)
		}
		t.Logf("%d samples from %v to %v, recording %v to %v", len(p.Timed), first, last, p.StartMonotonic, end)

		t.Run("stackcollapse-perf.pl", func(t *testing.T) {
			if os.Getenv("FLAMEGRAPH_DIR") == "" {
				t.Skip("checked where FLAMEGRAPH_DIR names a FlameGraph checkout")
			}
			path := filepath.Join(t.TempDir(), "run.perf")
			if err := os.WriteFile(path, text.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if perl := string(golden.FlameGraph(t, "stackcollapse-perf.pl", "--all", path)); perl != foldedText(got) {
				t.Errorf("stackcollapse-perf.pl --all:\n%s\nwant what collapse gives:\n%s", perl, foldedText(got))
			}
		})
	})
}

// TestPerfScriptTargets records a running program's timed samples by its
// PID, by a cgroup holding it alone and with the whole system, on each
// backend: perf script text whose samples, in time order, are the
// program's (all of them for the PID and the cgroup), in its hot function.
func TestPerfScriptTargets(t *testing.T) {
	bothBackends(t, func(t *testing.T) {
		testenv.RequireRoot(t)
		backend := profile.BackendBPF
		if strings.HasSuffix(t.Name(), "/perf") {
			backend = profile.BackendPerf
		}
		cgroup := samplertest.Cgroup(t, "flamekit-perfscript-")
		cmd := samplertest.Start(t, buildWorkload(t, "split"))
		pid := strconv.Itoa(cmd.Process.Pid)
		if err := os.WriteFile(filepath.Join(cgroup, "cgroup.procs"), []byte(pid), 0); err != nil {
			t.Fatal(err)
		}
		for _, target := range []struct {
			name string
			opts profile.Options
		}{
			{"pid", profile.Options{PIDs: []int{cmd.Process.Pid}}},
			{"cgroup", profile.Options{Cgroup: cgroup}},
			{"system", profile.Options{}},
		} {
			opts := target.opts
			opts.Backend, opts.Frequency, opts.Timed = backend, 499, true
			s, err := profile.Start(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			p, err := s.Stop()
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			if err := p.WritePerfScript(&text); err != nil {
				t.Fatal(err)
			}
			checkFlameScope(t, text.String(), len(p.Timed))
			ours, hot := 0, 0
			for _, sample := range strings.Split(text.String(), "\n\n") {
				if sample == "" {
					continue
				}
				if strings.HasPrefix(sample, "split "+fmt.Sprintf("%5s/", pid)) {
					ours++
					if strings.Contains(sample, " hot (") || strings.Contains(sample, " cold (") {
						hot++
					}
				} else if target.name != "system" {
					t.Errorf("%s: a sample not of split %s:\n%s", target.name, pid, sample)
				}
			}
			if ours < 50 || hot < ours*9/10 {
				t.Errorf("%s: %d samples of split %s, %d in hot or cold: want at least 50, nearly all in hot or cold:\n%.2000s", target.name, ours, pid, hot, text.String())
			}
			t.Logf("%s: %d samples, %d of split", target.name, len(p.Timed), ours)
		}
	})
}

// TestPerfScriptInlines records a program with functions inlined in its
// hot loop, naming inlined frames (Options.Inlines): collapsed, the perf
// script text gives the folded stacks, the inlined frames marked _[i].
func TestPerfScriptInlines(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "inlined", []string{filepath.Join("testdata", "inlined.c")}, "-O2", "-g", "-fno-omit-frame-pointer")
	_, p := runOptions(t, profile.Options{Command: exec.Command(bin), Frequency: 999, Backend: profile.BackendBPF, Timed: true, Inlines: true})
	var text bytes.Buffer
	if err := p.WritePerfScript(&text); err != nil {
		t.Fatal(err)
	}
	got, _, err := collapse.Perf(bytes.NewReader(text.Bytes()), collapse.PerfOptions{Kernel: true, JIT: true})
	if err != nil {
		t.Fatal(err)
	}
	want := foldedText(p.Folded(profile.FoldOptions{Values: true}))
	if s := vdsoAsUser(foldedText(got), p); s != want {
		t.Errorf("collapsed perf script text:\n%s\nwant the profile's folded stacks:\n%s", s, want)
	}
	total, middle := share(got, "inlined", contains(";hot_outer;mix_middle_[i]"))
	_, inner := share(got, "inlined", contains(";hot_outer;mix_middle_[i];step_inner_[i]"))
	if total == 0 || middle < 0.5*total || inner == 0 {
		t.Errorf("of %v ns, %v in hot_outer;mix_middle_[i] and %v in step_inner_[i] under it: want over half, and some:\n%s", total, middle, inner, dump(got))
	}
	if !strings.Contains(text.String(), " hot_outer->mix_middle->step_inner (") {
		t.Errorf("no line hot_outer->mix_middle->step_inner in:\n%.2000s", text.String())
	}
}

// TestPerfScriptJIT records Node with --perf-basic-prof: in the perf
// script text its hot function's frames name Node's perf map as their
// module, and collapse --jit marks them _[j] in as many samples (by
// period) as Folded does.
func TestPerfScriptJIT(t *testing.T) {
	node := testenv.RequireTool(t, "node", "")
	script, err := filepath.Abs(filepath.Join("testdata", "hot_node.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--perf-basic-prof", script)
	cmd.Dir = t.TempDir() // where V8 writes its isolate logs
	t.Cleanup(func() {
		if cmd.Process != nil {
			os.Remove(fmt.Sprintf("/tmp/perf-%d.map", cmd.Process.Pid))
		}
	})
	_, p := runOptions(t, profile.Options{Command: cmd, Frequency: 499, Backend: profile.BackendBPF, Timed: true})
	var text bytes.Buffer
	if err := p.WritePerfScript(&text); err != nil {
		t.Fatal(err)
	}
	perfMap := fmt.Sprintf(" (/tmp/perf-%d.map)\n", cmd.Process.Pid)
	if !regexp.MustCompile(`fibHot[^\n]*` + regexp.QuoteMeta(perfMap)).Match(text.Bytes()) {
		t.Errorf("no fibHot frame in%s:\n%.3000s", perfMap, text.String())
	}
	got, _, err := collapse.Perf(bytes.NewReader(text.Bytes()), collapse.PerfOptions{Kernel: true, JIT: true})
	if err != nil {
		t.Fatal(err)
	}
	jitFib := func(frames string) bool { return regexp.MustCompile(`fibHot[^;]*_\[j\]`).MatchString(frames) }
	_, collapsed := share(got, "node", jitFib)
	folded := p.Folded(profile.FoldOptions{Values: true})
	total, want := share(folded, "node", jitFib)
	if collapsed != want || want < 0.5*total {
		t.Errorf("collapsed, %v ns in fibHot JIT frames; folded, %v of %v: want the same, over half\n%s", collapsed, want, total, dump(got))
	}
}

// doubleBracketed is a frame the perl and package collapse name after its
// module, bracketed, where the module's name is bracketed already.
var doubleBracketed = regexp.MustCompile(`;\[(\[[^;\]]*\])\]`)

// bracketedOnce brackets once the frames of folded text no symbol named,
// in modules whose names are bracketed ("[unknown] ([kernel.kallsyms])"):
// the perl's rule makes them [[kernel.kallsyms]], Folded [kernel.kallsyms].
func bracketedOnce(folded string) string { return doubleBracketed.ReplaceAllString(folded, ";$1") }

// vdsoAsUser removes the kernel mark from the frames of the vDSO in
// folded text. perf script names their module "[vdso]", which
// stackcollapse-perf.pl, FlameScope and package collapse take for a kernel
// module, as they take every bracketed name; Folded knows them for user
// code.
func vdsoAsUser(folded string, p *profile.Profile) string {
	var marked []string
	seen := map[string]bool{}
	for _, s := range p.Samples {
		for _, loc := range s.User {
			for _, f := range loc.Frames {
				if f.Module.Path == "[vdso]" && f.Function != "" && !seen[f.Function] {
					seen[f.Function] = true
					marked = append(marked, ";"+f.Function+flamegraph.KernelSuffix, ";"+f.Function)
				}
			}
		}
	}
	return strings.NewReplacer(marked...).Replace(folded)
}

// monotonicNow reads CLOCK_MONOTONIC.
func monotonicNow() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

// sampleTimes returns the times of the first and last sample headers of
// perf script text, "... SECONDS.MICROS: ...", to the microsecond.
func sampleTimes(t *testing.T, text string) (first, last time.Duration) {
	t.Helper()
	n := 0
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '\t' {
			continue
		}
		m := flameScopeEvent.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("no time in header %q", line)
		}
		sec, micros, ok := strings.Cut(m[1], ".")
		s, err1 := strconv.ParseUint(sec, 10, 64)
		us, err2 := strconv.ParseUint(micros, 10, 64)
		if !ok || len(micros) != 6 || err1 != nil || err2 != nil {
			t.Fatalf("time %q of header %q: want seconds with 6 decimals", m[1], line)
		}
		at := time.Duration(s)*time.Second + time.Duration(us)*time.Microsecond
		if n == 0 {
			first = at
		}
		last = at
		n++
	}
	return first, last
}
