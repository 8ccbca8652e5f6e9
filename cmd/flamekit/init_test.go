package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestCollapseInitIsLight runs `flamekit collapse` on an empty input with
// the runtime's trace of package initialisers: flamegraph's must not make
// the SVG script (16 KB, 0.07 ms), which only rendering uses.
func TestCollapseInitIsLight(t *testing.T) {
	cmd := exec.Command(flamekitBinary(t), "collapse", "--format", "folded")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	cmd.Stdin = bytes.NewReader(nil)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	r := cliRun(t, cmd, &out, &errb)
	if r.code != 0 {
		t.Fatalf("exit status %d: %q", r.code, r.stderr)
	}
	m := regexp.MustCompile(`(?m)^init github\.com/flamekit/flamekit/flamegraph @\S+ ms, \S+ ms clock, ([0-9]+) bytes`).FindSubmatch(errb.Bytes())
	if m == nil {
		t.Fatalf("no trace of flamegraph's initialiser in\n%s", errb.String())
	}
	if n, _ := strconv.Atoi(string(m[1])); n > 4096 {
		t.Errorf("flamegraph's initialiser allocates %d bytes", n)
	}
}
