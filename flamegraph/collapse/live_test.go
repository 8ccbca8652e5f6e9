package collapse_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/internal/testenv"
)

// recordLive builds testdata/livework.c, profiles it with perf and returns
// the `perf script` output, in the default layout and with
// -F comm,pid,tid,....
func recordLive(t *testing.T) (plain, withPID []byte) {
	t.Helper()
	testenv.RequireTool(t, "perf", "")
	bin := testenv.BuildC(t, "gcc", "livework", []string{"testdata/livework.c"}, "-O0", "-fno-omit-frame-pointer")
	data := filepath.Join(t.TempDir(), "perf.data")
	run := func(name string, args ...string) []byte {
		t.Helper()
		var stderr bytes.Buffer
		cmd := exec.Command(name, args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	run("perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-o", data, "--", bin)
	plain = run("perf", "script", "-i", data)
	withPID = run("perf", "script", "-i", data, "-F", "comm,pid,tid,time,period,event,ip,sym,dso")
	return plain, withPID
}

// TestLivePerfRecord profiles a program this test builds and checks that the
// folded stacks show its call tree, its CPU split and its kernel frames.
func TestLivePerfRecord(t *testing.T) {
	plain, withPID := recordLive(t)

	p, st, err := collapse.Read(bytes.NewReader(plain), collapse.Options{Perf: collapse.PerfOptions{Kernel: true}})
	if err != nil || st.Format != collapse.FormatPerf {
		t.Fatalf("Read: %v (format %q)", err, st.Format)
	}
	if p.Skipped.Lines != 0 {
		t.Errorf("perf script output had unrecognised lines: %s", p.Skipped)
	}
	shares := map[string]float64{}
	var total float64
	for _, s := range p.Folded().Stacks {
		if !strings.HasPrefix(s.Frames, "livework;") {
			continue
		}
		total += s.Count
		for _, fn := range []string{"flamekit_alpha", "flamekit_beta", "flamekit_syscalls"} {
			if strings.Contains(s.Frames, ";main;"+fn) {
				shares[fn] += s.Count
			}
		}
		if strings.Contains(s.Frames, "flamekit_syscalls;") && strings.Contains(s.Frames, "_[k]") {
			shares["kernel"] += s.Count
		}
	}
	if total == 0 {
		t.Fatalf("no livework stacks in:\n%s", firstLines(p, 10))
	}
	// cpu-clock at 999 Hz: each sample counts its period, ~1 ms in ns.
	if n := float64(bytes.Count(plain, []byte(" cpu-clock:"))); total < n*900_000 {
		t.Errorf("total %v for %v samples: the period was not counted", total, n)
	}
	alpha, beta := shares["flamekit_alpha"], shares["flamekit_beta"]
	if alpha == 0 || beta == 0 || shares["flamekit_syscalls"] == 0 {
		t.Fatalf("missing a known function: shares %v of %v\n%s", shares, total, firstLines(p, 10))
	}
	// alpha does three times beta's work.
	if r := alpha / beta; r < 2 || r > 4.5 {
		t.Errorf("alpha/beta = %.2f, want about 3", r)
	}
	if shares["kernel"] < shares["flamekit_syscalls"]/2 {
		t.Errorf("syscall stacks lack kernel frames marked _[k]: %v of %v", shares["kernel"], shares["flamekit_syscalls"])
	}

	q, _, err := collapse.Read(bytes.NewReader(withPID), collapse.Options{Perf: collapse.PerfOptions{PID: true}})
	if err != nil {
		t.Fatal(err)
	}
	pidFrame := regexp.MustCompile(`^livework-[0-9]+;`)
	found := false
	for _, s := range q.Stacks {
		found = found || pidFrame.MatchString(s.Frames)
	}
	if !found {
		t.Errorf("--pid gave no livework-PID process frame:\n%s", firstLines(q, 5))
	}
}

func firstLines(p *flamegraph.Profile, n int) string {
	var b strings.Builder
	for i, s := range p.Stacks {
		if i == n {
			break
		}
		b.WriteString(s.Frames + "\n")
	}
	return b.String()
}
