package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestCollapsePreallocates runs the flamekit binary's collapse with its
// stdout a regular file, and with -o: the folded stacks' blocks are
// reserved before they are written, which filefrag (FIEMAP) shows as
// unwritten extents rather than delayed-allocation ones (delalloc), and the bytes
// are those written to a pipe. Appended to a file (O_APPEND), the output
// goes after what the file held.
func TestCollapsePreallocates(t *testing.T) {
	filefrag := testenv.RequireTool(t, "filefrag", "install e2fsprogs")
	in, err := filepath.Abs("../../testdata/perf-script-real.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	succeed := func(r cliResult, what string) {
		t.Helper()
		if r.code != 0 || len(r.stderr) > 0 {
			t.Fatalf("%s: exit status %d, stderr %q", what, r.code, r.stderr)
		}
	}
	want := runCLI(t, dir, "", "collapse", in)
	succeed(want, "collapse to a pipe")
	if len(want.stdout) < preallocMin {
		t.Fatalf("collapse wrote %d bytes; want at least %d to test with", len(want.stdout), preallocMin)
	}
	extents := func(path string) string {
		out, err := exec.Command(filefrag, "-v", path).CombinedOutput()
		if err != nil {
			testenv.SkipOrFail(t, "filefrag -v on the test's directory: %v: %s (a file system without FIEMAP?)", err, out)
		}
		return string(out)
	}
	stdout := filepath.Join(dir, "stdout.folded")
	f, err := os.Create(stdout)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(flamekitBinary(t), "collapse", in)
	var none, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = f, &errb
	succeed(cliRun(t, cmd, &none, &errb), "collapse > file")
	f.Close()
	succeed(runCLI(t, dir, "", "collapse", in, "-o", "o.folded"), "collapse -o")
	for _, path := range []string{stdout, filepath.Join(dir, "o.folded")} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want.stdout {
			t.Errorf("%s: %d bytes differ from the %d written to a pipe", filepath.Base(path), len(got), len(want.stdout))
		}
		// (Written back since, which a sync on the machine may do, the
		// extents are neither unwritten nor delayed.)
		if ext := extents(path); strings.Contains(ext, "delalloc") {
			t.Errorf("%s: the blocks were not reserved before the writes (delayed allocation):\n%s", filepath.Base(path), ext)
		}
	}
	f, err = os.OpenFile(stdout, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(flamekitBinary(t), "collapse", in)
	errb.Reset()
	cmd.Stdout, cmd.Stderr = f, &errb
	succeed(cliRun(t, cmd, &none, &errb), "collapse >> file")
	f.Close()
	if got, err := os.ReadFile(stdout); err != nil || string(got) != want.stdout+want.stdout {
		t.Errorf("collapse >> file: %d bytes (%v); want the output twice, %d bytes", len(got), err, 2*len(want.stdout))
	}
}
