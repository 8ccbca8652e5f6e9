package symbolize

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// ntRun runs a command in dir and fails the test when it fails.
func ntRun(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testenv.RequireTool(t, name, ""), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ntSource returns the absolute path of a file in testdata/native.
func ntSource(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "native", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ntBuild compiles testdata/native/src with compiler and flags into
// dir/out and returns its path.
func ntBuild(t testing.TB, dir, compiler, src, out string, flags ...string) string {
	t.Helper()
	args := append([]string{"-o", out}, flags...)
	args = append(args, ntSource(t, src))
	ntRun(t, dir, compiler, args...)
	return filepath.Join(dir, out)
}

// ntOpen opens an ELF file and its table.
func ntOpen(t testing.TB, path string, opts nativeOptions) *nativeTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ef, err := elf.NewFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if opts.DebugDirs == nil {
		opts.DebugDirs = []string{t.TempDir()} // keep the host's /usr/lib/debug out of tests
	}
	tab, err := newNativeTable(context.Background(), ef, f, path, opts)
	if err != nil {
		t.Fatalf("newNativeTable(%s): %v", path, err)
	}
	t.Cleanup(tab.close)
	return tab
}

// lookup is lookupNamed with raw names, which each call gives out anew.
func (t *nativeTable) lookup(vaddr uint64, lines bool, dst []Frame) ([]Frame, bool) {
	var names symNames
	return t.lookupNamed(context.Background(), vaddr, lines, NamesRaw, &names, dst)
}

// ntSym returns the address and size of the named function symbol of an ELF
// file (its .symtab, else its .dynsym).
func ntSym(t testing.TB, path, name string) (uint64, uint64) {
	t.Helper()
	for _, s := range ntSymbols(t, path) {
		if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			return s.Value, s.Size
		}
	}
	t.Fatalf("%s has no function %s", path, name)
	return 0, 0
}

// ntSymbols returns the symbols of an ELF file's .symtab, else its .dynsym.
func ntSymbols(t testing.TB, path string) []elf.Symbol {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.Symbols()
	if err != nil {
		syms, err = ef.DynamicSymbols()
	}
	if err != nil {
		t.Fatal(err)
	}
	return syms
}

// ntName returns the innermost function name lookup gives, "" when none.
func ntName(tab *nativeTable, addr uint64) string {
	fr, ok := tab.lookup(addr, false, nil)
	if !ok || len(fr) == 0 {
		return ""
	}
	return fr[0].Function
}

// ntMarkLine returns the 1-based line of testdata/native/src holding marker.
func ntMarkLine(t testing.TB, src, marker string) int {
	t.Helper()
	data, err := os.ReadFile(ntSource(t, src))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("%s has no %q", src, marker)
	return 0
}
