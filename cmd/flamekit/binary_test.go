package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// The flamekit binary the tests run as a user would, built once per test
// binary into binDir, which TestMain removes.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := testenv.Run(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// flamekitBinary returns the path of flamekit built from this package.
func flamekitBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "flamekit-test-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "flamekit")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// cliResult is what a run of the binary did: its exit status as a shell
// reports it (128+N when killed by signal N), its stdout, and its stderr
// lines.
type cliResult struct {
	code   int
	stdout string
	stderr []string
}

// runCLI runs the built flamekit with args and stdin, in dir when it is
// not "".
func runCLI(t *testing.T, dir, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(flamekitBinary(t), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cliRun(t, cmd, &out, &errb)
}

// cliRun runs cmd, whose stdout and stderr go to out (unless it was set
// otherwise) and errb.
// A run that outlasts cliTimeout is killed and fails the test.
func cliRun(t *testing.T, cmd *exec.Cmd, out, errb *bytes.Buffer) cliResult {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	var hung atomic.Bool
	timer := time.AfterFunc(cliTimeout, func() { hung.Store(true); cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if hung.Load() {
		t.Fatalf("%v: still running after %v; killed", cmd.Args, cliTimeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	r := cliResult{code: commandStatus(cmd.ProcessState), stdout: out.String()}
	if s := strings.TrimRight(errb.String(), "\n"); s != "" {
		r.stderr = strings.Split(s, "\n")
	}
	return r
}

// cliTimeout bounds a run of the binary; the commands the tests run take
// seconds.
const cliTimeout = 60 * time.Second

// wantFailure checks that r failed with exit status code and said so in
// one stderr line containing each of want.
func (r cliResult) wantFailure(t *testing.T, what string, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: exit status %d, want %d (stderr %q)", what, r.code, code, r.stderr)
	}
	if len(r.stderr) != 1 {
		t.Errorf("%s: want one stderr line, got %d: %q", what, len(r.stderr), r.stderr)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.stderr[0], w) {
			t.Errorf("%s: stderr %q does not mention %q", what, r.stderr[0], w)
		}
	}
}

// dirFiles lists the names in dir, hidden ones (temporary files) too.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// wantFiles checks that dir holds exactly the files named.
func wantFiles(t *testing.T, what, dir string, names ...string) {
	t.Helper()
	got := dirFiles(t, dir)
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s: the directory holds %q, want %q", what, got, names)
	}
}
