package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/jit"
	"github.com/flamekit/flamekit/internal/procfs"
	"github.com/flamekit/flamekit/internal/testenv"
)

// TestSymbolizeLiveNodeJIT names, with `symbolize -p`, addresses of a
// running node --perf-prof in its JIT code: the optimized code of its hot
// function is then only in V8's stdio buffer. Every 16th address of node's
// anonymous executable memory is asked; the jitdump node leaves at exit
// says which were jitHotLoop's.
func TestSymbolizeLiveNodeJIT(t *testing.T) {
	testenv.RequireRoot(t)
	node := testenv.RequireTool(t, "node", "apt-get install nodejs")
	script, err := filepath.Abs("../../profile/testdata/jit_hot.js")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--perf-prof", script)
	cmd.Dir = t.TempDir()
	c := testenv.StartChild(t, cmd)
	c.WaitLine(t, "ready")
	maps, err := procfs.ReadExecutableMaps(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	var addrs strings.Builder
	for _, m := range maps {
		if m.Anonymous() {
			for a := m.Start; a < m.End; a += 16 {
				fmt.Fprintf(&addrs, "%#x\n", a)
			}
		}
	}
	var answers, stderr bytes.Buffer
	if err := runSymbolize([]string{"-p", fmt.Sprint(cmd.Process.Pid), "--output-style", "JSON"}, strings.NewReader(addrs.String()), &answers, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if err := os.WriteFile(filepath.Join(cmd.Dir, "stop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c.Finish(t)
	dump, err := os.ReadFile(filepath.Join(cmd.Dir, fmt.Sprintf("jit-%d.dump", cmd.Process.Pid)))
	if err != nil {
		t.Fatal(err)
	}
	final, err := jit.ParseJitdump(bytes.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	var hot, named int
	for line := range strings.Lines(answers.String()) {
		var a struct {
			Address string
			Symbol  []struct{ FunctionName string }
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		addr, ok := parseHex([]byte(a.Address))
		if s, in := final.Lookup(addr); !ok || !in || !strings.HasPrefix(s.Name, "JS:*jitHotLoop") {
			continue
		}
		hot++
		if len(a.Symbol) > 0 && strings.HasPrefix(a.Symbol[0].FunctionName, "JS:*jitHotLoop") {
			named++
		}
	}
	if hot == 0 || named != hot {
		t.Fatalf("%d addresses in jitHotLoop's optimized code, %d named", hot, named)
	}
	t.Logf("%d addresses in jitHotLoop's optimized code, all named", hot)
}
