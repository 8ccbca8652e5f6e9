package symbolize

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/flamekit/flamekit/internal/procfs"
	"github.com/flamekit/flamekit/internal/testenv"
)

func snapshot(t *testing.T, pid int) *Process {
	t.Helper()
	p, err := SnapshotProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// checkCodeAt checks that the file's bytes at fileOffset are the code at pc
// in this process, and that the PT_LOAD math gives back pc for a non-PIE
// executable.
func checkCodeAt(t *testing.T, r io.ReaderAt, fileOffset uint64, pc uintptr) {
	t.Helper()
	got := make([]byte, 64)
	if _, err := r.ReadAt(got, int64(fileOffset)); err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	want := make([]byte, len(got))
	if _, err := mem.ReadAt(want, int64(pc)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("file bytes at %#x differ from the code at %#x", fileOffset, pc)
	}
	ef, err := elf.NewFile(r)
	if err != nil {
		t.Fatal(err)
	}
	if vaddr, ok := fileOffsetToVaddr(ef, fileOffset); ef.Type == elf.ET_EXEC && (!ok || vaddr != uint64(pc)) {
		t.Errorf("file offset %#x: vaddr %#x, %v; want %#x", fileOffset, vaddr, ok, pc)
	}
}

// TestProcessSelf resolves a PC of this function to the test binary, a file
// offset whose symbol is this function, and reads the vDSO.
func TestProcessSelf(t *testing.T) {
	p := snapshot(t, os.Getpid())
	pc, _, _, _ := runtime.Caller(0)
	r := p.resolve(uint64(pc))
	exe, _ := os.Executable()
	if r.kind != addrFile || r.file == nil || r.file.err != nil || r.file.path != exe {
		t.Fatalf("resolve(%#x) = %+v; want the file %s", pc, r, exe)
	}
	if r.offset != uint64(pc)-r.mapping.Start+r.mapping.Offset {
		t.Errorf("offset %#x, mapping %+v", r.offset, r.mapping)
	}
	checkCodeAt(t, r.file.r, r.offset, pc)
	if fn := runtime.FuncForPC(pc); fn == nil || fn.Name() != "github.com/flamekit/flamekit/symbolize.TestProcessSelf" {
		t.Errorf("pc %#x is not in this test", pc)
	}
	if r.file.key == (fileKey{}) || r.file.module().Path != exe {
		t.Errorf("key %+v, module %+v", r.file.key, r.file.module())
	}
	if r := p.resolve(0x10); r.kind != addrUnmapped || r.file != nil {
		t.Errorf("resolve(0x10) = %+v", r)
	}

	var vdso *procMapping
	for i := range p.maps {
		if p.maps[i].Path == "[vdso]" {
			vdso = &p.maps[i]
		}
	}
	if vdso == nil {
		t.Fatal("no [vdso] mapping")
	}
	r = p.resolve(vdso.Start + 0x10)
	if r.kind != addrFile || r.file.err != nil || r.offset != 0x10 || r.file.key.buildID == "" {
		t.Fatalf("[vdso]: %+v (err %v)", r, r.file.err)
	}
	ef, err := elf.NewFile(r.file.r)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := ef.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range syms {
		found = found || s.Name == "__vdso_clock_gettime"
	}
	if !found {
		t.Error("no __vdso_clock_gettime in the [vdso] image")
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Refresh(); err == nil {
		t.Error("Refresh after Close succeeded")
	}
}

// TestProcessDeletedBinaryExited snapshots a child running a deleted copy
// of a binary, lets it exit, then reads the binary through the snapshot.
func TestProcessDeletedBinaryExited(t *testing.T) {
	testenv.RequireRoot(t)
	bin := copyFile(t, "/bin/sleep")
	cmd := testenv.StartChild(t, exec.Command(bin, "60"))
	waitMapped(t, cmd.Process.Pid, bin)
	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	p := snapshot(t, cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()

	want := buildIDOf(t, "/bin/sleep")
	n := 0
	for _, m := range p.maps {
		if m.Path != bin || !m.Executable() {
			continue
		}
		n++
		r := p.resolve(m.Start + 1)
		if !m.Deleted || r.kind != addrFile || r.file.err != nil || r.offset != m.Offset+1 {
			t.Fatalf("deleted %v, resolve = %+v", m.Deleted, r)
		}
		if r.file.key.buildID != want {
			t.Errorf("build-id %q, want %q", r.file.key.buildID, want)
		}
		var magic [4]byte
		if _, err := r.file.r.ReadAt(magic[:], 0); err != nil || string(magic[:]) != elf.ELFMAG {
			t.Errorf("read %q, %v", magic, err)
		}
	}
	if n == 0 {
		t.Fatalf("no executable mapping of %s", bin)
	}
}

// TestProcessMemfd maps an ELF from a memfd executable in this process.
func TestProcessMemfd(t *testing.T) {
	testenv.RequireRoot(t)
	img, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	addr, unmap := mapMemfd(t, "flamekit-test", img)
	defer unmap()
	p := snapshot(t, os.Getpid())
	r := p.resolve(addr + 0x10)
	if r.kind != addrFile || r.file.err != nil || r.file.path != "/memfd:flamekit-test" || !r.mapping.Deleted || r.offset != 0x10 {
		t.Fatalf("resolve = %+v, mapping %+v", r, r.mapping)
	}
	got := make([]byte, len(img))
	if _, err := r.file.r.ReadAt(got, 0); err != nil || !bytes.Equal(got, img) {
		t.Errorf("memfd contents differ: %v", err)
	}
	if r.file.key.buildID != buildIDOf(t, "/bin/true") {
		t.Errorf("build-id %q", r.file.key.buildID)
	}
}

func TestProcessMissing(t *testing.T) {
	if _, err := SnapshotProcess(-1); err == nil {
		t.Error("snapshot of pid -1 succeeded")
	}
	if _, err := SnapshotProcess(1 << 30); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("snapshot of a missing pid: %v", err)
	}
}

func TestProcessJITMappingKinds(t *testing.T) {
	for _, c := range []struct {
		path, perms string
		deleted     bool
		want        bool
	}{
		{"", "r-xp", false, true},
		{"//anon", "rwxp", false, true},
		{"[anon:v8]", "r-xp", false, true},
		{"/memfd:doublemapper", "r-xs", true, true},
		{"", "rw-p", false, false},
		{"/usr/bin/node", "r-xp", false, false},
		{"/memfd:other", "r-xp", true, false},
	} {
		m := procfs.Mapping{Path: c.path, Perms: c.perms, Deleted: c.deleted}
		if got := jitMapping(&m); got != c.want {
			t.Errorf("jitMapping(%+v) = %v", c, got)
		}
	}
}

// BenchmarkProcessSnapshot takes a snapshot of this process: maps, files
// opened, build-ids read, the vDSO copied.
func BenchmarkProcessSnapshot(b *testing.B) {
	for b.Loop() {
		p, err := SnapshotProcess(os.Getpid())
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// TestProcessInheritAcrossExec snapshots a shell, lets it exec sleep,
// snapshots it again and has the second snapshot inherit the first: an
// address of the shell's code, as sampled before the exec, resolves to the
// shell through the second snapshot (after the first is closed), and the
// sleep's addresses to the sleep.
func TestProcessInheritAcrossExec(t *testing.T) {
	sh := testenv.RequireTool(t, "sh", "apt-get install dash")
	sleep := testenv.RequireTool(t, "sleep", "apt-get install coreutils")
	shPath, err := filepath.EvalSymlinks(sh)
	if err != nil {
		t.Fatal(err)
	}
	sleepPath, err := filepath.EvalSymlinks(sleep)
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.StartChild(t, exec.Command(sh, "-c", "echo ready; read x; exec "+sleep+" 60"))
	c.WaitLine(t, "ready")
	pid := c.Process.Pid
	before := snapshot(t, pid)
	codeOf := func(p *Process, path string) uint64 {
		t.Helper()
		for _, m := range p.maps {
			if m.Path == path && m.Executable() {
				return m.Start + 16
			}
		}
		t.Fatalf("pid %d has no code of %s", pid, path)
		return 0
	}
	shAddr := codeOf(before, shPath)

	fmt.Fprintln(c.In, "exec")
	waitMapped(t, pid, sleepPath)
	after := snapshot(t, pid)
	sleepAddr := codeOf(after, sleepPath)
	if r := after.resolve(shAddr); r.kind != addrUnmapped || after.Executable(shAddr) {
		t.Fatalf("%#x, the shell's code before the exec, is %+v after it: the test proves nothing", shAddr, r)
	}
	after.Inherit(before)
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}
	r := after.resolve(shAddr)
	if r.kind != addrFile || r.file.path != shPath || r.file.err != nil || !after.Executable(shAddr) {
		t.Fatalf("%#x after Inherit: %+v, want %s's code", shAddr, r, shPath)
	}
	var magic [4]byte
	if _, err := r.file.r.ReadAt(magic[:], 0); err != nil || string(magic[:]) != elf.ELFMAG {
		t.Errorf("%s through the second snapshot, the first closed: read %q, %v", shPath, magic, err)
	}
	if r := after.resolve(sleepAddr); r.kind != addrFile || r.file.path != sleepPath {
		t.Errorf("%#x: %+v, want %s's code", sleepAddr, r, sleepPath)
	}
	frames, err := New(Options{DebuginfodURLs: []string{}}).Process(context.Background(), after, []uint64{shAddr, sleepAddr}, LookupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{frames[0][0].Module.Path, frames[1][0].Module.Path}; got[0] != shPath || got[1] != sleepPath {
		t.Errorf("modules of the frames %v, want [%s %s]", got, shPath, sleepPath)
	}
	after.Inherit(after)  // nothing
	after.Inherit(before) // closed: nothing
}
