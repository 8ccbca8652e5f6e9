package profile_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// splitWorkload forks a child (to check that children are followed) that
// spends three parts of its CPU in session_alpha and one in session_beta,
// for about a second and a half.
const splitWorkload = `
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
volatile unsigned long sink;
void session_alpha(void) { for (unsigned long i = 0; i < 3000000; i++) sink += i * i; }
void session_beta(void)  { for (unsigned long i = 0; i < 1000000; i++) sink ^= i * 7; }
int main(void) {
	pid_t child = fork();
	if (child == 0) {
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			session_alpha();
			session_beta();
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
		_exit(0);
	}
	waitpid(child, 0, 0);
	return 0;
}
`

func buildWorkload(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.SkipOrFail(t, "gcc not found")
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "split.c"), filepath.Join(dir, "splitwork")
	os.WriteFile(src, []byte(splitWorkload), 0o644)
	if out, err := exec.Command("gcc", "-O0", "-fno-omit-frame-pointer", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// TestCommandBothBackends profiles a command and its child with each
// backend and checks the folded stacks, the CPU split and the pprof output.
func TestCommandBothBackends(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildWorkload(t)
	for _, b := range []profile.Backend{profile.BackendBPF, profile.BackendPerf} {
		t.Run(b.String(), func(t *testing.T) {
			s, p := runCommand(t, exec.Command(bin), b, 499)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}

			var folded bytes.Buffer
			p.Folded(profile.FoldOptions{}).WriteTo(&folded)
			var alpha, beta, total float64
			fp, _ := flamegraph.Parse(&folded)
			var others float64
			for _, st := range fp.Stacks {
				if !strings.HasPrefix(st.Frames, "splitwork;") {
					// Only the command's own start, before its exec, may
					// show another name (the test binary's).
					others += st.Count
					if !strings.HasPrefix(st.Frames, "profile.test;") {
						t.Errorf("a stack of another process: %s", st.Frames)
					}
					continue
				}
				total += st.Count
				switch {
				case strings.HasSuffix(st.Frames, ";main;session_alpha"):
					alpha += st.Count
				case strings.HasSuffix(st.Frames, ";main;session_beta"):
					beta += st.Count
				}
			}
			if beta == 0 || alpha/beta < 2.2 || alpha/beta > 4 {
				t.Fatalf("alpha %v, beta %v of %v samples: want a 3:1 split\n%s", alpha, beta, total, folded.String())
			}
			if others > total/20 {
				t.Errorf("%v samples before the command's exec, %v after", others, total)
			}
			t.Logf("%v samples, lost %d, failures %v", total, p.Lost, p.Failures)

			// pprof: valid, with named functions and the labels.
			pp := p.Pprof()
			if err := pp.CheckValid(); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := p.WritePprof(&buf); err != nil {
				t.Fatal(err)
			}
			raw := bytes.Clone(buf.Bytes())
			back, err := pprofile.Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, f := range back.Function {
				names[f.Name] = true
			}
			if !names["session_alpha"] || !names["main"] {
				t.Errorf("pprof functions lack session_alpha or main: %d functions", len(back.Function))
			}
			if back.Sample[0].Label["comm"][0] != "splitwork" || back.Sample[0].NumLabel["pid"][0] == 0 {
				t.Errorf("labels %v %v", back.Sample[0].Label, back.Sample[0].NumLabel)
			}
			// And go tool pprof reads it.
			path := filepath.Join(t.TempDir(), "cpu.pb.gz")
			os.WriteFile(path, raw, 0o644)
			out, err := exec.Command("go", "tool", "pprof", "-top", path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "session_alpha") {
				t.Errorf("go tool pprof -top: %v\n%s", err, out)
			}
		})
	}
}
