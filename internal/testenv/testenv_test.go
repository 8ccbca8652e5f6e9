package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a check ended instead of
// ending the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestSkipOrFail(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	SkipOrFail(r, "no %s here", "widget")
	if r.skipped != "no widget here" || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	SkipOrFail(r, "no %s here", "widget")
	if r.skipped != "" || !strings.HasPrefix(r.failed, "no widget here") {
		t.Errorf("under CI: skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
}

func TestRequireTool(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	if p := RequireTool(r, "sh", ""); p == "" || r.skipped != "" {
		t.Errorf("sh: path %q, skipped %q", p, r.skipped)
	}
	RequireTool(r, "no-such-tool-flamekit", "")
	if !strings.Contains(r.skipped, "apt-get install no-such-tool-flamekit") {
		t.Errorf("a missing tool: skipped %q", r.skipped)
	}
}

func TestChild(t *testing.T) {
	c := StartChild(t, exec.Command("sh", "-c", "echo starting; echo ready 42; read x; echo got $x"))
	if rest := c.WaitLine(t, "ready "); rest != "42" {
		t.Errorf("WaitLine returned %q, want the rest of the line, 42", rest)
	}
	if _, err := c.In.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if rest := c.WaitLine(t, "got "); rest != "go" {
		t.Errorf("the child read %q from its stdin, want go", rest)
	}
	c.Finish(t)
}
