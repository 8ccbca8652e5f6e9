package cfi

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// buildFile builds the table of the ELF file at path.
func buildFile(t testing.TB, path string) *Table {
	t.Helper()
	tab, err := Build(openELF(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestTableMatchesRows checks the table of real binaries against their
// FDEs' rows: starts strictly increasing, no two adjacent entries with
// the same rule, each rule once, and a lookup at every row's address, and
// at the last byte of every FDE, finding that row's rule.
func TestTableMatchesRows(t *testing.T) {
	paths := []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/xz", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			testenv.RequireFile(t, path, "a Debian system library or program")
			tab := buildFile(t, path)
			if len(tab.Starts) != len(tab.IDs) || len(tab.Rules) < 2 || tab.Rules[0] != (Rule{}) {
				t.Fatalf("%d starts, %d ids, %d rules (the first %v)", len(tab.Starts), len(tab.IDs), len(tab.Rules), tab.Rules[0])
			}
			for i := 1; i < len(tab.Starts); i++ {
				if tab.Starts[i] <= tab.Starts[i-1] || tab.IDs[i] == tab.IDs[i-1] {
					t.Fatalf("entries %d and %d: %#x=%d, %#x=%d", i-1, i, tab.Starts[i-1], tab.IDs[i-1], tab.Starts[i], tab.IDs[i])
				}
			}
			seen := map[Rule]bool{}
			for _, r := range tab.Rules {
				if seen[r] {
					t.Fatalf("rule %v twice", r)
				}
				seen[r] = true
			}
			secs, err := frameSections(openELF(t, path), []string{".eh_frame", ".debug_frame"})
			if err != nil {
				t.Fatal(err)
			}
			fdes, err := secs[0].parse()
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, f := range fdes {
				if f.begin == f.end || overlapped(fdes, f) {
					continue
				}
				for _, r := range f.rows {
					if got, ok := tab.Lookup(r.addr); !ok || got != r.rule {
						t.Fatalf("FDE at %#x: Lookup(%#x) = %v, %v; want %v", f.offset, r.addr, got, ok, r.rule)
					}
				}
				if got, _ := tab.Lookup(f.end - 1); got != f.rows[len(f.rows)-1].rule {
					t.Fatalf("FDE at %#x: Lookup(%#x) = %v at its last byte", f.offset, f.end-1, got)
				}
				checked++
			}
			if checked < len(fdes)*9/10 {
				t.Errorf("only %d of %d FDEs checked", checked, len(fdes))
			}
			t.Logf("%s: %d FDEs, %d entries, %d rules, %d bytes", path, len(fdes), len(tab.Starts), len(tab.Rules), tab.Bytes())
		})
	}
}

// overlapped reports whether another FDE of fdes covers part of f's range.
func overlapped(fdes []fdeRows, f fdeRows) bool {
	for _, g := range fdes {
		if g.offset != f.offset && g.begin < f.end && f.begin < g.end && g.begin != g.end {
			return true
		}
	}
	return false
}

// symbol returns the address and size of the function named name, or of
// its one compiler clone (name.constprop.0, name.isra.0), in the file.
func symbol(t *testing.T, path, name string) (uint64, uint64) {
	t.Helper()
	syms, err := openELF(t, path).Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && (s.Name == name || strings.HasPrefix(s.Name, name+".")) && s.Value != 0 {
			return s.Value, s.Size
		}
	}
	t.Fatalf("%s: no function %s", path, name)
	return 0, 0
}

// rulesIn returns the rules in force over [addr, addr+size).
func rulesIn(tab *Table, addr, size uint64) []Rule {
	var rules []Rule
	for a := addr; a < addr+size; a++ {
		r, _ := tab.Lookup(a)
		if len(rules) == 0 || rules[len(rules)-1] != r {
			rules = append(rules, r)
		}
	}
	return rules
}

// TestBuiltProgram checks the rules of a program built without frame
// pointers: every function enters with CFA = rsp+8 and the return address
// at CFA-8; one that allocates 512 bytes of array has its CFA far above
// rsp; one that calls alloca keeps rbp as a frame pointer and moves its
// CFA onto it.
func TestBuiltProgram(t *testing.T) {
	src, err := filepath.Abs("testdata/omitfp.c")
	if err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildC(t, "gcc", "omitfp", []string{src}, "-O2", "-fomit-frame-pointer")
	tab := buildFile(t, bin)
	entry := Rule{CFA: CFARSP, CFAOffset: 8, RA: Save{SaveAtCFA, -8}}
	for _, name := range []string{"main", "spin", "many", "varlen"} {
		addr, _ := symbol(t, bin, name)
		if r, ok := tab.Lookup(addr); !ok || r != entry {
			t.Errorf("%s at %#x: %v, %v; want %v", name, addr, r, ok, entry)
		}
	}
	addr, size := symbol(t, bin, "many")
	if !slices.ContainsFunc(rulesIn(tab, addr, size), func(r Rule) bool { return r.CFA == CFARSP && r.CFAOffset > 512 && r.NormalRA() }) {
		t.Errorf("many: no rule with the CFA over 512 bytes above rsp in %v", rulesIn(tab, addr, size))
	}
	addr, size = symbol(t, bin, "varlen")
	if !slices.ContainsFunc(rulesIn(tab, addr, size), func(r Rule) bool {
		return r.CFA == CFARBP && r.CFAOffset == 16 && r.RBP == Save{SaveAtCFA, -16}
	}) {
		t.Errorf("varlen: no rule with CFA = rbp+16 and rbp at CFA-16 in %v", rulesIn(tab, addr, size))
	}
	if r, ok := tab.Lookup(0); ok {
		t.Errorf("Lookup(0) = %v", r)
	}
}

// TestPLT checks that libc's PLT entries get the PLT's own kind of rule:
// CFA = rsp+8, plus 8 from the entry's 11th byte, after its push.
func TestPLT(t *testing.T) {
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, libc, "the C library")
	plt := openELF(t, libc).Section(".plt")
	if plt == nil {
		t.Fatalf("%s has no .plt", libc)
	}
	tab := buildFile(t, libc)
	if r, _ := tab.Lookup(plt.Addr); r.CFA != CFARSP || r.CFAOffset != 16 {
		t.Errorf("PLT0 at %#x: %v, want rsp+16", plt.Addr, r)
	}
	want := Rule{CFA: CFAPLT, CFAOffset: 8, PLTThreshold: 11, RA: Save{SaveAtCFA, -8}}
	for _, off := range []uint64{0x10, 0x20, plt.Size - 1} {
		if r, ok := tab.Lookup(plt.Addr + off); !ok || r != want {
			t.Errorf("PLT entry at %#x: %v, %v; want %v", plt.Addr+off, r, ok, want)
		}
	}
}

// TestSignalFrame checks that libc's signal trampoline, __restore_rt
// (named in its separate debug file), is flagged as a signal frame, from
// the byte before it (an unwinder looks up a return address minus one),
// and that its rule finds the interrupted context where the kernel's
// struct rt_sigframe puts it: rsp at rsp+160, rip at rsp+168 and rbp at
// rsp+120.
func TestSignalFrame(t *testing.T) {
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, libc, "the C library")
	id := buildID(t, libc)
	debug := fmt.Sprintf("/usr/lib/debug/.build-id/%s/%s.debug", id[:2], id[2:])
	testenv.RequireFile(t, debug, "apt-get install libc6-dbg")
	addr, _ := symbol(t, debug, "__restore_rt")
	tab := buildFile(t, libc)
	want := Rule{CFA: CFADerefRSP, CFAOffset: 160, Signal: true, RA: Save{SaveAtRSP, 168}, RBP: Save{SaveAtRSP, 120}}
	for _, a := range []uint64{addr - 1, addr, addr + 8} {
		if r, ok := tab.Lookup(a); !ok || r != want {
			t.Errorf("__restore_rt%+d: %v, %v; want %v", int64(a-addr), r, ok, want)
		}
	}
	if r, _ := tab.Lookup(addr + 0x20); r.Signal {
		t.Errorf("__restore_rt+0x20: %v is a signal frame", r)
	}
}

// buildID returns the hex build ID of the ELF file at path.
func buildID(t *testing.T, path string) string {
	t.Helper()
	s := openELF(t, path).Section(".note.gnu.build-id")
	if s == nil {
		t.Fatalf("%s has no build ID", path)
	}
	b, err := s.Data()
	if err != nil || len(b) < 16 {
		t.Fatalf("%s: build ID note: %v", path, err)
	}
	return fmt.Sprintf("%x", b[16:])
}

// TestEHFrameHeader checks that a file without section headers is read
// through its PT_GNU_EH_FRAME segment into the same table.
func TestEHFrameHeader(t *testing.T) {
	for _, path := range []string{"/usr/bin/xz", "/lib/x86_64-linux-gnu/libc.so.6"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			testenv.RequireFile(t, path, "a Debian system library or program")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Zero e_shoff, e_shnum and e_shstrndx.
			clear(b[0x28:0x30])
			clear(b[0x3c:0x40])
			stripped := filepath.Join(t.TempDir(), "stripped")
			if err := os.WriteFile(stripped, b, 0o755); err != nil {
				t.Fatal(err)
			}
			if n := len(openELF(t, stripped).Sections); n != 0 {
				t.Fatalf("%d sections left", n)
			}
			want, got := buildFile(t, path), buildFile(t, stripped)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("through .eh_frame_hdr: %d entries, %d rules; through .eh_frame: %d, %d", len(got.Starts), len(got.Rules), len(want.Starts), len(want.Rules))
			}
		})
	}
}

// TestNoTable checks that a program without call frame information (an
// assembly program without CFI directives) is ErrNoTable.
func TestNoTable(t *testing.T) {
	src := testenv.WriteSource(t, "bare.s", ".globl _start\n_start:\n\tmov $60, %eax\n\txor %edi, %edi\n\tsyscall\n")
	bin := testenv.BuildC(t, "gcc", "bare", []string{src}, "-nostdlib", "-static", "-Wl,--no-eh-frame-hdr")
	_, err := Open(bin)
	if !errors.Is(err, ErrNoTable) {
		t.Fatalf("Open: %v, want ErrNoTable", err)
	}
	if !strings.HasPrefix(err.Error(), "cfi: ") || strings.Count(err.Error(), "cfi:") != 1 {
		t.Errorf("error %q does not start with its one prefix", err)
	}
}

// TestDebugFrame checks that functions described only in .debug_frame
// (a program built with -fno-asynchronous-unwind-tables -g, whose
// .eh_frame holds only the C runtime's FDEs) get their rules, and that
// its separate debug file, whose .eh_frame is empty (SHT_NOBITS), gives
// the same rules for them.
func TestDebugFrame(t *testing.T) {
	src, err := filepath.Abs("testdata/omitfp.c")
	if err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildC(t, "gcc", "omitfp-dwarf", []string{src}, "-O2", "-g", "-fomit-frame-pointer", "-fno-asynchronous-unwind-tables")
	objcopy := testenv.RequireTool(t, "objcopy", "apt-get install binutils")
	sep := filepath.Join(t.TempDir(), "omitfp.debug")
	if out, err := exec.Command(objcopy, "--only-keep-debug", bin, sep).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	if s := openELF(t, sep).Section(".eh_frame"); s == nil || s.Type != elf.SHT_NOBITS {
		t.Fatalf("%s: .eh_frame %v, want SHT_NOBITS", sep, s)
	}
	whole, debug := buildFile(t, bin), buildFile(t, sep)
	for _, name := range []string{"main", "many", "varlen"} {
		addr, size := symbol(t, bin, name)
		rules := rulesIn(whole, addr, size)
		if len(rules) < 2 || rules[0].CFA != CFARSP || rules[0].CFAOffset != 8 {
			t.Errorf("%s: rules %v, want several from CFA = rsp+8", name, rules)
		}
		if d := rulesIn(debug, addr, size); !reflect.DeepEqual(d, rules) {
			t.Errorf("%s: rules %v from the debug file, %v from the program", name, d, rules)
		}
	}
}

// TestColdSplit checks the parts GCC splits off C++ functions into
// .text.unlikely (thrower.cold, catcher.cold, the paths that throw and
// clean up): their own FDEs give them rules, whose CFA is not the entry's
// rsp+8, since a .cold part runs inside its function's frame.
func TestColdSplit(t *testing.T) {
	src, err := filepath.Abs("testdata/throw.cc")
	if err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildC(t, "g++", "throw", []string{src}, "-O2")
	tab := buildFile(t, bin)
	syms, err := openELF(t, bin).Symbols()
	if err != nil {
		t.Fatal(err)
	}
	cold := 0
	for _, s := range syms {
		if !strings.HasSuffix(s.Name, ".cold") {
			continue
		}
		cold++
		r, ok := tab.Lookup(s.Value)
		if !ok || !r.NormalRA() || r.CFA != CFARSP || r.CFAOffset == 8 {
			t.Errorf("%s at %#x: %v, %v; want the CFA rsp plus its function's frame", s.Name, s.Value, r, ok)
		}
	}
	if cold == 0 {
		t.Fatalf("%s has no .cold parts", bin)
	}
}

// TestBuildEHFrameGo reads a Go binary: Build finds the rule of its Go
// function main.spin in its .debug_frame, BuildEHFrame none (Go code is
// left to frame pointers).
func TestBuildEHFrameGo(t *testing.T) {
	bin := buildGo(t, filepath.Join("testdata", "spin.go.txt"))
	f := openELF(t, bin)
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var pc uint64
	for _, s := range syms {
		if s.Name == "main.spin" {
			pc = s.Value
		}
	}
	if pc == 0 {
		t.Fatalf("%s has no main.spin", bin)
	}
	all, err := Build(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := all.Lookup(pc); !ok {
		t.Fatalf("Build: no rule for main.spin at %#x", pc)
	}
	eh, err := BuildEHFrame(f)
	if errors.Is(err, ErrNoTable) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := eh.Lookup(pc); ok {
		t.Errorf("BuildEHFrame: rule %v for the Go function main.spin at %#x", r, pc)
	}
}
