package profile_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// recordUnwind profiles cmd until it exits, on the test's backend (see
// backendOf), walking user stacks as u says, at 999 Hz; it returns the
// folded stacks.
func recordUnwind(t *testing.T, cmd *exec.Cmd, u profile.Unwind) *flamegraph.Profile {
	t.Helper()
	_, p := runOptions(t, profile.Options{Command: cmd, Frequency: 999, Backend: backendOf(t), Unwind: u})
	fp := foldedStacks(t, p)
	t.Logf("%s unwinding, failures %v", u, p.Failures)
	return fp
}

// samplesOf counts the samples of comm's stacks matching in and, of them,
// those matching want.
func samplesOf(p *flamegraph.Profile, comm string, in, want *regexp.Regexp) (n, ok float64) {
	for _, st := range p.Stacks {
		if !strings.HasPrefix(st.Frames, comm+";") || !in.MatchString(st.Frames) {
			continue
		}
		n += st.Count
		if want.MatchString(st.Frames) {
			ok += st.Count
		}
	}
	return n, ok
}

// missing lists c's stacks of p that match c.in but not c.want, the
// largest first.
func missing(p *flamegraph.Profile, c unwindCase) string {
	var miss []flamegraph.Stack
	for _, st := range p.Stacks {
		if strings.HasPrefix(st.Frames, c.comm+";") && c.in.MatchString(st.Frames) && !c.want.MatchString(st.Frames) {
			miss = append(miss, st)
		}
	}
	sort.SliceStable(miss, func(i, j int) bool { return miss[i].Count > miss[j].Count })
	return dumpStacks(miss)
}

// unwindCase is a workload and what its stacks must show: of the samples
// of comm matching in, at least min (a share) match want by call frame
// information; by frame pointers, fewer than fpMax do (the defect the
// test proves mended), unless fpMax is 0.
type unwindCase struct {
	comm      string
	in, want  *regexp.Regexp
	min       float64
	fpMax     float64
	minSample float64
}

// check records cmd() with CFI (and, when c.fpMax > 0, with frame
// pointers) and checks the shares.
func (c unwindCase) check(t *testing.T, cmd func() *exec.Cmd) *flamegraph.Profile {
	t.Helper()
	p := recordUnwind(t, cmd(), profile.UnwindAuto)
	n, ok := samplesOf(p, c.comm, c.in, c.want)
	t.Logf("cfi: %v of %v samples of %s in %v match %v", ok, n, c.comm, c.in, c.want)
	if n < c.minSample || ok < c.min*n {
		t.Errorf("cfi: %v of %v samples of %s in %v match %v: want at least %v and %.0f%%; the stacks that miss:\n%s", ok, n, c.comm, c.in, c.want, c.minSample, 100*c.min, missing(p, c))
	}
	if c.fpMax > 0 {
		fp := recordUnwind(t, cmd(), profile.UnwindFramePointers)
		n, ok := samplesOf(fp, c.comm, c.in, c.want)
		t.Logf("fp: %v of %v samples match", ok, n)
		if n < c.minSample/2 || ok >= c.fpMax*n {
			t.Errorf("fp: %v of %v samples of %s match %v: the frame-pointer walk was expected to miss them (below %.0f%%), or the test proves nothing\n%s", ok, n, c.comm, c.want, 100*c.fpMax, dumpStacks(fp.Stacks))
		}
	}
	return p
}

// TestUnwindNoFramePointers profiles a program built -O2
// -fomit-frame-pointer whose main calls two functions for 70% and 30% of
// its time: nearly every sample carries main above them, and the split
// is the program's, within 2 points. Frame pointers give the leaf alone.
func TestUnwindNoFramePointers(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "unwind_split", []string{filepath.Join("testdata", "unwind_split.c")}, "-O2", "-fomit-frame-pointer")
	bothBackends(t, func(t *testing.T) {
		c := unwindCase{comm: "unwind_split", in: regexp.MustCompile(`;spin(;|$)`), want: regexp.MustCompile(`;main;work[73]0;spin(;|$)`), min: 0.95, fpMax: 0.5, minSample: 1000}
		p := c.check(t, func() *exec.Cmd { return exec.Command(bin, "4") })
		_, w70 := samplesOf(p, c.comm, c.in, regexp.MustCompile(`;main;work70;spin`))
		_, w30 := samplesOf(p, c.comm, c.in, regexp.MustCompile(`;main;work30;spin`))
		split := w70 / (w70 + w30)
		t.Logf("work70 %v, work30 %v: %.1f%%", w70, w30, 100*split)
		if split < 0.68 || split > 0.72 {
			t.Errorf("work70 has %.1f%% of the samples under main, work30 the rest: want 70%% within 2 points", 100*split)
		}
	})
}

// TestUnwindQsort profiles a program sorting with libc's qsort and its
// own comparator: the comparator's samples carry its caller and main
// above libc's sort, which has no frame pointers.
func TestUnwindQsort(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "unwind_qsort", []string{filepath.Join("testdata", "unwind_qsort.c")}, "-O2")
	bothBackends(t, func(t *testing.T) {
		c := unwindCase{comm: "unwind_qsort", in: regexp.MustCompile(`;by_value(;|$)`), want: regexp.MustCompile(`;main;sort_rounds;(qsort|.*msort).*;by_value(;|$)`), min: 0.95, fpMax: 0.5, minSample: 500}
		c.check(t, func() *exec.Cmd { return exec.Command(bin, "4") })
	})
}

// TestUnwindFramelessLeaf profiles functions with frame pointers whose
// time goes to libc's frameless memcpy and read (in the kernel, under the
// system call): each stands above its leaf in nearly every sample, where a
// frame-pointer walk skips it.
func TestUnwindFramelessLeaf(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "unwind_leaf", []string{filepath.Join("testdata", "unwind_leaf.c")},
		"-O1", "-fno-omit-frame-pointer", "-mno-omit-leaf-frame-pointer", "-fno-inline")
	bothBackends(t, func(t *testing.T) {
		t.Run("memcpy", func(t *testing.T) {
			c := unwindCase{comm: "unwind_leaf", in: regexp.MustCompile(`;__mem(cpy|move)_[a-z0-9_]+(;|$)`), want: regexp.MustCompile(`;main;copy_loop;__mem(cpy|move)_`), min: 0.95, fpMax: 0.5, minSample: 500}
			c.check(t, func() *exec.Cmd { return exec.Command(bin, "copy", "3") })
		})
		t.Run("read", func(t *testing.T) {
			c := unwindCase{comm: "unwind_leaf", in: regexp.MustCompile(`;(__libc_|__GI___libc_|__GI___)?read;`), want: regexp.MustCompile(`;main;read_loop;(__libc_|__GI___libc_|__GI___)?read;`), min: 0.95, fpMax: 0.5, minSample: 500}
			c.check(t, func() *exec.Cmd { return exec.Command(bin, "read", "3") })
		})
	})
}

// TestUnwindDebianBinaries profiles Debian's own programs, built without
// frame pointers, each at work for about three seconds (the samples of a
// process taken before its tables are loaded, its first tens of
// milliseconds, are walked by frame pointers): nearly every sample
// reaches the entry (libc's __libc_start_call_main, which calls main), as
// perf's --call-graph dwarf does.
func TestUnwindDebianBinaries(t *testing.T) {
	// Data to compress: 10 MB of text.
	data := filepath.Join(t.TempDir(), "data")
	if err := exec.Command("/bin/sh", "-c", "seq 1 400000 | sed 's/$/ some text to compress/' > "+data).Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tool, pkg string
		script    string
	}{
		{"xz", "xz-utils", "xz -6 -T1 -c DATA > /dev/null"},
		{"gzip", "gzip", "for i in 1 2 3; do cat DATA DATA DATA DATA DATA DATA DATA DATA; done | gzip -9 > /dev/null"},
		{"bzip2", "bzip2", "cat DATA DATA DATA DATA DATA DATA | bzip2 -9 > /dev/null"},
		{"sqlite3", "sqlite3", `sqlite3 :memory: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<12000000) SELECT sum(x*x%7) FROM c;" > /dev/null`},
		{"python3", "python3", `/usr/bin/python3 -c "s=0
for i in range(30000000): s+=i*i"`},
		{"perl", "perl", `perl -e '$s=0; for $i (1..50000000) { $s += $i*$i }'`},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			testenv.RequireTool(t, tc.tool, tc.pkg)
			bothBackends(t, func(t *testing.T) {
				c := unwindCase{comm: tc.tool, in: regexp.MustCompile(`.`), want: regexp.MustCompile(`;__libc_start_call_main;`), min: 0.9, minSample: 300}
				c.check(t, func() *exec.Cmd {
					return exec.Command("/bin/sh", "-c", strings.ReplaceAll(tc.script, "DATA", data))
				})
			})
		})
	}
}

// TestUnwindCxxExceptions profiles a C++ program built -O2 that spends a
// third of its time throwing and catching: the samples in the unwinder
// (libgcc_s) and the C++ runtime carry the function that throws and main
// above them.
func TestUnwindCxxExceptions(t *testing.T) {
	bin := testenv.BuildC(t, "g++", "unwind_throw", []string{filepath.Join("testdata", "unwind_throw.cc")}, "-O2")
	bothBackends(t, func(t *testing.T) {
		c := unwindCase{comm: "unwind_throw", in: regexp.MustCompile(`;(__cxa_[a-z_]+|_Unwind_[A-Za-z_]+)(;|$)`),
			want: regexp.MustCompile(`;main;exception_phase\(int\);`), min: 0.9, fpMax: 0.5, minSample: 300}
		c.check(t, func() *exec.Cmd { return exec.Command(bin, "3") })
	})
}

// TestUnwindCgo profiles a Go program whose time is in C code it calls
// through cgo, built without frame pointers: its stacks go from the C
// leaf (call frame information) through the runtime's switch to the
// system stack (frame pointers) to main.main.
func TestUnwindCgo(t *testing.T) {
	goTool := testenv.RequireTool(t, "go", "")
	testenv.RequireTool(t, "gcc", "apt-get install gcc")
	bin := filepath.Join(t.TempDir(), "unwind_cgo")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("testdata", "unwind_cgo")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bothBackends(t, func(t *testing.T) {
		c := unwindCase{comm: "unwind_cgo", in: regexp.MustCompile(`;c_leaf(;|$)`), want: regexp.MustCompile(`;main\.main;main\.callC;.*;c_outer;c_leaf`), min: 0.9, fpMax: 0.5, minSample: 300}
		c.check(t, func() *exec.Cmd { return exec.Command(bin) })
	})
}

// TestUnwindJava profiles a JVM with -XX:+PreserveFramePointer whose
// Java code calls Thread.yield: into the JVM (JVM_Yield, libjvm) and
// libc's frameless sched_yield wrapper. Its samples carry JVM_Yield (which
// frame pointers skip), the Java method and the thread's entry
// (JavaMain), across native, JIT and interpreted code.
func TestUnwindJava(t *testing.T) {
	java, javac := testenv.RequireTool(t, "java", ""), testenv.RequireTool(t, "javac", "")
	dir := t.TempDir()
	if out, err := exec.Command(javac, "-d", dir, filepath.Join("testdata", "UnwindYield.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	bothBackends(t, func(t *testing.T) {
		var cmds []*exec.Cmd
		t.Cleanup(func() {
			for _, cmd := range cmds {
				if cmd.Process != nil {
					os.Remove(fmt.Sprintf("/tmp/perf-%d.map", cmd.Process.Pid))
				}
			}
		})
		c := unwindCase{comm: "java", in: regexp.MustCompile(`sched_yield;`),
			want: regexp.MustCompile(`;JavaMain;.*UnwindYield\.yieldMany[^;]*;.*;JVM_Yield;[^;]*sched_yield;`), min: 0.9, fpMax: 0.5, minSample: 300}
		c.check(t, func() *exec.Cmd {
			// An interpreted yieldMany is an anonymous Interpreter frame
			// (the perf map names compiled code only). Left to itself, the
			// JVM runs it interpreted for its first ~128k yields, longer
			// on a busy machine where the compile waits: 2% of the
			// samples on a quiet one, 13% once in CI. Compiling it after
			// a few calls, in the foreground (-Xbatch), and never inlined
			// into main, names it in all but the first milliseconds.
			cmd := exec.Command(java, "-XX:+UnlockDiagnosticVMOptions", "-XX:+DumpPerfMapAtExit", "-XX:+PreserveFramePointer",
				"-Xbatch", "-XX:CompileThresholdScaling=0.05", "-XX:CompileCommand=quiet", "-XX:CompileCommand=dontinline,UnwindYield::yieldMany",
				"-cp", dir, "UnwindYield", "4")
			cmds = append(cmds, cmd)
			return cmd
		})
	})
}
