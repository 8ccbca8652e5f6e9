package symbolize

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestProcessUpdate snapshots a process before it dlopens a library: the
// library's address is unknown to the snapshot until Update, which keeps
// the files already open; after the process exits, Update fails and the
// snapshot still names the library.
func TestProcessUpdate(t *testing.T) {
	lib := testenv.BuildC(t, "gcc", "liblate.so", []string{"testdata/native/late.c"}, "-shared", "-fPIC", "-O1")
	bin := testenv.BuildC(t, "gcc", "dlmain", []string{"testdata/native/dlmain.c"}, "-O1", "-ldl")

	prog := exec.Command(bin, lib)
	prog.Dir = t.TempDir()
	c := testenv.StartChild(t, prog)
	c.WaitLine(t, "ready")
	p := snapshot(t, c.Process.Pid)
	filesBefore := len(p.files)
	if _, err := c.In.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	addr, err := strconv.ParseUint(c.WaitLine(t, "loaded 0x"), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.resolve(addr); r.kind == addrFile {
		t.Fatalf("the snapshot taken before dlopen resolves %#x to %s", addr, r.file.path)
	}
	if err := p.Update(); err != nil {
		t.Fatal(err)
	}
	if got := len(p.files) - filesBefore; got != 1 {
		t.Errorf("Update opened %d files, want only the library", got)
	}
	c.Finish(t)
	if err := p.Update(); err == nil {
		t.Error("Update of an exited process succeeded")
	}
	s := New(Options{})
	defer s.Close()
	frames, err := s.Process(t.Context(), p, []uint64{addr}, LookupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := frames[0]; len(frames[0]) != 1 || f[0].Function != "dl_late_hot" || f[0].Module.Path != lib {
		t.Fatalf("frames at %#x: %+v; want dl_late_hot in %s", addr, frames[0], lib)
	}
}
