package symbolize

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/jit"
	"github.com/flamekit/flamekit/internal/testenv"
)

// startStdioWriter builds and starts testdata/jit/stdio_writer.c in a
// temporary directory, where it writes its jitdump, and snapshots it before
// it has one; update says whether to Update the snapshot once the writer
// has written (and mapped) its dump.
func startStdioWriter(t *testing.T, update bool) (*testenv.Child, *Process, string) {
	t.Helper()
	testenv.RequireRoot(t) // reading the writer's memory
	src, err := filepath.Abs("testdata/jit/stdio_writer.c")
	if err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildC(t, "gcc", "stdio_writer", []string{src}, "-O1")
	dir := t.TempDir()
	prog := exec.Command(bin)
	prog.Dir = dir
	c := testenv.StartChild(t, prog)
	c.WaitLine(t, "started")
	p := snapshot(t, c.Process.Pid)
	if p.jitdump != nil {
		t.Fatal("a jitdump before the writer made one")
	}
	if _, err := c.In.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	c.WaitLine(t, "ready")
	if update {
		if err := p.Update(); err != nil {
			t.Fatal(err)
		}
	}
	return c, p, filepath.Join(dir, fmt.Sprintf("jit-%d.dump", c.Process.Pid))
}

// wantJIT checks that the snapshot names each address of want with its
// function, as a JIT frame of the dump at path.
func wantJIT(t *testing.T, when string, p *Process, path string, want map[uint64]string) {
	t.Helper()
	for addr, name := range want {
		r := p.resolve(addr)
		if r.kind != addrJIT || r.frame.Function != name || r.frame.Kind != KindJIT || r.frame.Module.Path != path {
			t.Errorf("%s: resolve(%#x) = %+v; want %s from %s", when, addr, r, name, path)
		}
	}
}

// parseJitdumpFile reads the jitdump at path.
func parseJitdumpFile(t *testing.T, path string) *jit.Jitdump {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := jit.ParseJitdump(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

var stdioWriterCode = map[uint64]string{0x10010: "flushed_fn", 0x20010: "straddling_fn", 0x30010: "buffered_fn"}

// TestProcessJitdumpUnflushed names code whose records the writer still
// holds in its glibc stream buffer, read from its memory while it runs, and
// then from the file it flushes at exit.
func TestProcessJitdumpUnflushed(t *testing.T) {
	c, p, path := startStdioWriter(t, true)
	onDisk := parseJitdumpFile(t, path)
	if _, ok := onDisk.Lookup(0x30010); ok {
		t.Fatal("buffered_fn is in the file already: the writer should hold it in its buffer")
	}
	if _, ok := onDisk.Lookup(0x20010); ok {
		t.Fatal("straddling_fn is whole in the file already")
	}
	wantJIT(t, "live", p, path, stdioWriterCode)
	if r := p.resolve(0x30010); r.frame.File != "buffered.js" || r.frame.Line != 7 {
		t.Errorf("buffered_fn's DEBUG_INFO: %+v", r.frame)
	}
	if err := p.Refresh(); err != nil { // the same tail, read again
		t.Fatal(err)
	}
	wantJIT(t, "refreshed", p, path, stdioWriterCode)

	c.Finish(t) // exit flushes the stream
	p.Exited()
	wantJIT(t, "exited", p, path, stdioWriterCode)
	if p.jitdump.HasTail() || p.jitdump.Truncated || p.jitdump.Len() != 3 {
		t.Errorf("after exit: tail %v, truncated %v, %d codes; want all 3 read from the file", p.jitdump.HasTail(), p.jitdump.Truncated, p.jitdump.Len())
	}
}

// TestProcessJitdumpKilled keeps the records read from the writer's memory
// when it is killed before it flushed them: they are on no disk.
func TestProcessJitdumpKilled(t *testing.T) {
	c, p, path := startStdioWriter(t, true)
	if err := c.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if err := p.Refresh(); err != nil {
		t.Fatal(err)
	}
	p.Exited()
	wantJIT(t, "killed", p, path, stdioWriterCode)
}

// TestProcessJitdumpByName finds, once the writer has exited, the jitdump
// it made after the snapshot's last Update: its maps are gone, and the dump
// is found by name in its working directory.
func TestProcessJitdumpByName(t *testing.T) {
	c, p, path := startStdioWriter(t, false)
	c.Finish(t)
	p.Exited()
	wantJIT(t, "exited", p, path, stdioWriterCode)
}

// TestProcessJitdumpByNameRefused refuses a file named as the process's
// jitdump that another process wrote (its header names another pid), and
// ignores one older than the process.
func TestProcessJitdumpByNameRefused(t *testing.T) {
	dir := t.TempDir()
	prog := exec.Command("/bin/sh", "-c", "echo ready; read x; exit 0")
	prog.Dir = dir
	c := testenv.StartChild(t, prog)
	c.WaitLine(t, "ready")
	p := snapshot(t, c.Process.Pid)
	b, err := os.ReadFile("../internal/jit/testdata/edge.dump") // written by pid 4242
	if err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(dir, fmt.Sprintf("jit-%d.dump", c.Process.Pid))
	if err := os.WriteFile(planted, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Refresh(); err == nil || !strings.Contains(err.Error(), "pid 4242") || p.jitdump != nil {
		t.Errorf("Refresh = %v, jitdump %v; want it refused as pid 4242's", err, p.jitdump != nil)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(planted, old, old); err != nil {
		t.Fatal(err)
	}
	if err := p.Refresh(); err != nil || p.jitdump != nil {
		t.Errorf("Refresh = %v, jitdump %v; want an old file ignored", err, p.jitdump != nil)
	}
	c.Finish(t)
}
