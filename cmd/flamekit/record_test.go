package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestRecordCommand records a C program given after "--", in each output
// format the extension picks.
func TestRecordCommand(t *testing.T) {
	testenv.RequireRoot(t)
	bin, _ := buildSymwork(t) // runs symwork_hot briefly
	loop := filepath.Join(t.TempDir(), "loop.sh")
	os.WriteFile(loop, []byte("#!/bin/sh\ni=0\nwhile [ $i -lt 400 ]; do \""+bin+"\"; i=$((i+1)); done\n"), 0o755)
	dir := t.TempDir()
	for _, out := range []string{"cpu.folded", "cpu.svg", "cpu.pb.gz"} {
		path := filepath.Join(dir, out)
		code, _, stderr := flamekit(t, "", "record", "-F", "999", "-o", path, "--", loop)
		if code != 0 {
			t.Fatalf("record -o %s: exit %d: %s", out, code, stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(out, ".folded"):
			if !strings.Contains(string(b), "symwork;") || !strings.Contains(string(b), "loop.sh;") {
				t.Errorf("folded output lacks the command's children:\n%.2000s", b)
			}
		case strings.HasSuffix(out, ".svg"):
			checkSVG(t, b)
			if !strings.Contains(string(b), "symwork") {
				t.Error("flame graph lacks symwork")
			}
		default:
			if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
				t.Error("pprof output is not gzipped")
			}
		}
	}
}

// TestRecordSignals stops a system-wide recording with SIGTERM and with the
// SIGINT a background shell leaves ignored; the output is written anyway.
func TestRecordSignals(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "flamekit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		out := filepath.Join(dir, sig.String()+".folded")
		// sh -c '... &' starts it with SIGINT ignored, as a background job.
		cmd := exec.Command("sh", "-c", `"$0" record -a -d 60s -o "$1" & echo $!; wait`, bin, out)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var pid int
		buf := make([]byte, 32)
		n, _ := stdout.Read(buf)
		if _, err := fmt.Sscan(strings.TrimSpace(string(buf[:n])), &pid); err != nil {
			t.Fatalf("no pid: %q", buf[:n])
		}
		time.Sleep(2 * time.Second)
		syscall.Kill(pid, sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v did not stop the recording", sig)
		}
		b, err := os.ReadFile(out)
		if err != nil || len(b) == 0 {
			t.Errorf("%v: no output written: %v", sig, err)
		}
	}
}
