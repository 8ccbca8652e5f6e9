package bpfsampler

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestCFIDebianPrograms samples Debian's own programs, built without
// frame pointers, each busy for a few seconds: walked by CFI, at least
// 90% of their samples reach the C runtime's __libc_start_call_main,
// which calls main (the programs' own symbols are stripped); walked by
// frame pointers, fewer do.
func TestCFIDebianPrograms(t *testing.T) {
	testenv.RequireRoot(t)
	input := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(input, textData(64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	programs := []struct {
		name string
		args []string
	}{
		{"xz", []string{"-9", "-T1", "-c", input}},
		{"gzip", []string{"-9", "-c", input}},
		{"bzip2", []string{"-9", "-c", input}},
		{"python3", []string{"-c", "while True: sum(i * i for i in range(1000))"}},
		{"perl", []string{"-e", "while (1) { my $x = 0; $x += $_ * $_ for 1 .. 1000 }"}},
		{"sqlite3", []string{":memory:", "WITH RECURSIVE c(x) AS (VALUES(1) UNION ALL SELECT x + 1 FROM c LIMIT 500000000) SELECT sum(x) FROM c"}},
	}
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			path := "/usr/bin/" + p.name
			testenv.RequireFile(t, path, "apt-get install "+p.name)
			for _, cfi := range []bool{true, false} {
				pid := startLinked(t, exec.Command(path, p.args...))
				stacks, failures := sampleProgram(t, pid, cfi)
				var total, whole uint64
				for _, s := range stacks {
					total += s.count
					if s.has("__libc_start_call_main") {
						whole += s.count
					}
				}
				share := float64(whole) / float64(total)
				t.Logf("cfi %t: %d samples, %.1f%% reaching __libc_start_call_main; failures %v; stacks %s", cfi, total, 100*share, failures, topStacks(stacks, 2))
				switch {
				case cfi && share < 0.9:
					t.Errorf("walked by CFI, %.1f%% of the samples of %s reach __libc_start_call_main, want 90%% or more", 100*share, p.name)
				case !cfi && share >= 0.9:
					t.Errorf("walked by frame pointers, %.1f%% of the samples of %s reach __libc_start_call_main: it does not show the defect", 100*share, p.name)
				}
			}
		})
	}
}

// startLinked starts cmd, its output discarded, and waits until the
// dynamic loader has mapped libc into it; it is killed when the test
// ends.
func startLinked(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	maps := fmt.Sprintf("/proc/%d/maps", cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(maps); err == nil && bytes.Contains(b, []byte("/libc.so")) {
			time.Sleep(100 * time.Millisecond) // the rest of its libraries
			return cmd.Process.Pid
		}
	}
	t.Fatalf("%s did not map libc within 10 s", cmd.Path)
	return 0
}

// textData is n bytes of words in a pseudo-random order: text that
// compressors work at.
func textData(n int) []byte {
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches and frame pointers vanish from optimized code")
	var b bytes.Buffer
	x := uint64(1)
	for b.Len() < n {
		x = x*6364136223846793005 + 1442695040888963407
		b.WriteString(words[x>>33%uint64(len(words))])
		if x>>60 == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}
