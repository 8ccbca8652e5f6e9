package symbolize

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// startStdioWriter builds and starts testdata/jit/stdio_writer.c in a
// temporary directory, where it writes its jitdump, and snapshots it before
// it has one: the snapshot must find the dump with Update.
func startStdioWriter(t *testing.T) (*child, *Process, string) {
	t.Helper()
	testenv.RequireRoot(t) // reading the writer's memory
	src, err := filepath.Abs("testdata/jit/stdio_writer.c")
	if err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildC(t, "gcc", "stdio_writer", []string{src}, "-O1")
	dir := t.TempDir()
	c := startChild(t, dir, nil, bin)
	c.waitLine(t, "started")
	p := snapshot(t, c.Process.Pid)
	if p.jitdump != nil {
		t.Fatal("a jitdump before the writer made one")
	}
	if _, err := c.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	c.waitLine(t, "ready")
	if err := p.Update(); err != nil {
		t.Fatal(err)
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

var stdioWriterCode = map[uint64]string{0x10010: "flushed_fn", 0x20010: "straddling_fn", 0x30010: "buffered_fn"}

// TestProcessJitdumpUnflushed names code whose records the writer still
// holds in its glibc stream buffer, read from its memory while it runs, and
// then from the file it flushes at exit.
func TestProcessJitdumpUnflushed(t *testing.T) {
	c, p, path := startStdioWriter(t)
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

	c.finish(t) // exit flushes the stream
	p.Exited()
	wantJIT(t, "exited", p, path, stdioWriterCode)
	if p.jitdump.tail != nil || p.jitdump.Truncated || p.jitdump.Len() != 3 {
		t.Errorf("after exit: tail %v, truncated %v, %d codes; want all 3 read from the file", p.jitdump.tail != nil, p.jitdump.Truncated, p.jitdump.Len())
	}
}

// TestProcessJitdumpKilled keeps the records read from the writer's memory
// when it is killed before it flushed them: they are on no disk.
func TestProcessJitdumpKilled(t *testing.T) {
	c, p, path := startStdioWriter(t)
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
