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

// TestCommandBothBackends profiles a command and its child with each
// backend and checks the folded stacks, the CPU split and the pprof output.
func TestCommandBothBackends(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.BuildC(t, "gcc", "splitwork", []string{filepath.Join("testdata", "splitwork.c")}, "-O0", "-fno-omit-frame-pointer")
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
				case strings.Contains(st.Frames, ";main;session_alpha"):
					alpha += st.Count
				case strings.Contains(st.Frames, ";main;session_beta"):
					beta += st.Count
				}
			}
			if beta == 0 || alpha/beta < 2.2 || alpha/beta > 4 {
				t.Fatalf("alpha %v, beta %v of %v samples: want a 3:1 split\n%s", alpha, beta, total, folded.String())
			}
			if others > total/20 {
				t.Errorf("%v samples before the command's exec, %v after", others, total)
			}
			t.Logf("%v samples (session_alpha %v, session_beta %v), lost %d, failures %v", total, alpha, beta, p.Lost, p.Failures)

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
