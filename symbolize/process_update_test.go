package symbolize

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

const dlopenMain = `
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	char line[16];
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin)) return 1;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) return 2;
	printf("loaded %p\n", dlsym(h, "dl_late_hot"));
	fflush(stdout);
	fgets(line, sizeof line, stdin);
	return 0;
}
`

const dlopenLib = `
volatile int sink;
void dl_late_hot(void) { for (int i = 0; i < 1000; i++) sink += i; }
`

// TestProcessUpdate snapshots a process before it dlopens a library: the
// library's address is unknown to the snapshot until Update, which keeps
// the files already open; after the process exits, Update fails and the
// snapshot still names the library.
func TestProcessUpdate(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "liblate.so")
	ntRun(t, dir, "gcc", "-shared", "-fPIC", "-O1", "-o", lib, writeSource(t, dir, "late.c", dlopenLib))
	bin := filepath.Join(dir, "dlmain")
	ntRun(t, dir, "gcc", "-O1", "-o", bin, writeSource(t, dir, "dlmain.c", dlopenMain), "-ldl")

	prog := exec.Command(bin, lib)
	prog.Dir = dir
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

// writeSource writes a source file into dir and returns its path.
func writeSource(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
