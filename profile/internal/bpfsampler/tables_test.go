package bpfsampler

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestCFITablesLoadUnload loads the unwind tables of a hundred and more
// distinct binaries of the system (programs and libraries with .eh_frame)
// through the registry into the sampler's maps, a made-up process mapping
// each: the memory reported is that of the packed tables, and every
// table and process is in the maps. Once the processes are removed, the
// maps are empty and the memory reported is zero.
func TestCFITablesLoadUnload(t *testing.T) {
	testenv.RequireRoot(t)
	objs := systemBinaries(t, 120)
	reg := newRegistry(t)
	cfg := samplertest.CPUClock(1)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.Unwind = reg
	s := startTest(t, cfg)

	const firstPID = 1 << 23 // above any pid (pid_max is at most 2^22)
	var packed int64
	for i, o := range objs {
		p, err := reg.AddProcess(firstPID+uint32(i), []unwind.Object{o})
		if err != nil {
			t.Fatal(err)
		}
		if tab := p.Mappings[0].Table; tab != nil {
			packed += int64(tab.Words) * 8
		}
	}
	st := reg.Stats()
	mem := s.UnwindMemory()
	t.Logf("%d binaries: %d tables (%d bytes in Go), loaded: %+v, %d bytes packed; no table: %v", len(objs), st.Tables, st.Bytes, mem, packed, st.NoTable)
	if st.Tables < 100 || mem.Tables != st.Tables || mem.Processes != len(objs) {
		t.Fatalf("%d tables in the registry, %d loaded, %d processes set of %d", st.Tables, mem.Tables, mem.Processes, len(objs))
	}
	// An array map costs its values, rounded to pages, and a page or
	// two of its own.
	if mem.TableBytes < packed || mem.TableBytes > packed+int64(mem.Tables)*3*int64(os.Getpagesize()) {
		t.Errorf("%d bytes of tables loaded for %d bytes packed", mem.TableBytes, packed)
	}
	if n := tablesIn(t, s); n != st.Tables {
		t.Errorf("%d tables in unwind_tables, want %d", n, st.Tables)
	}
	if n := mapLen(t, s.objs.UnwindProcesses); n != len(objs) {
		t.Errorf("%d processes in unwind_processes, want %d", n, len(objs))
	}

	for i := range objs {
		reg.RemoveProcess(firstPID + uint32(i))
	}
	if st := reg.Stats(); st.Tables != 0 {
		t.Fatalf("%d tables left in the registry", st.Tables)
	}
	if mem := s.UnwindMemory(); mem != (UnwindMemory{}) {
		t.Errorf("after removing every process: %+v", mem)
	}
	if n := tablesIn(t, s); n != 0 {
		t.Errorf("%d tables left in unwind_tables", n)
	}
	if n := mapLen(t, s.objs.UnwindProcesses); n != 0 {
		t.Errorf("%d processes left in unwind_processes", n)
	}
}

// tablesIn counts the tables in the sampler's unwind_tables.
func tablesIn(t *testing.T, s *Sampler) int {
	t.Helper()
	n := 0
	for id := range uint32(maxTables) {
		var inner ebpf.MapID
		err := s.objs.UnwindTables.Lookup(id, &inner)
		switch {
		case err == nil:
			n++
		case !errors.Is(err, ebpf.ErrKeyNotExist):
			t.Fatal(err)
		}
	}
	return n
}

// systemBinaries returns up to n distinct ELF files of /usr/bin and
// /usr/lib/x86_64-linux-gnu with an .eh_frame, as a mapping of each one's
// first executable segment (the files are closed when the test ends).
func systemBinaries(t *testing.T, n int) []unwind.Object {
	t.Helper()
	var paths []string
	for _, dir := range []string{"/usr/bin", "/usr/lib/x86_64-linux-gnu"} {
		more, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, more...)
	}
	seen := map[string]bool{}
	var objs []unwind.Object
	for _, path := range paths {
		if len(objs) == n {
			break
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if o, ok := textMapping(t, real); ok {
			objs = append(objs, o)
		}
	}
	if len(objs) < n {
		testenv.SkipOrFail(t, "%d ELF files with .eh_frame in /usr/bin and /usr/lib/x86_64-linux-gnu, want %d", len(objs), n)
	}
	return objs
}

// textMapping returns a mapping of the first executable segment of the
// ELF file at path, if it is one with an .eh_frame.
func textMapping(t *testing.T, path string) (unwind.Object, bool) {
	f, err := os.Open(path)
	if err != nil {
		return unwind.Object{}, false
	}
	ef, err := elf.NewFile(f)
	if err != nil || ef.Section(".eh_frame") == nil || ef.Machine != elf.EM_X86_64 {
		f.Close()
		return unwind.Object{}, false
	}
	t.Cleanup(func() { f.Close() })
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
			page := uint64(os.Getpagesize())
			off := p.Off &^ (page - 1)
			start := 0x7f0000000000 + (p.Vaddr &^ (page - 1))
			return unwind.Object{Start: start, End: start + p.Memsz + p.Off - off, Offset: off, Path: path, Key: "test " + path, File: f}, true
		}
	}
	f.Close()
	return unwind.Object{}, false
}
