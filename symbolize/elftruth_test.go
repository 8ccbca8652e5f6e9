package symbolize

import (
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/addrgen"
	"github.com/flamekit/flamekit/internal/testenv"
)

// ntCheckTruth makes addresses in bin with internal/addrgen (what
// internal/cmd/gen-addrs writes) and checks that lookup names every address
// inside a function by that function or one of its aliases (glibc version
// suffixes aside), with and without lines; with wantLines, 95% of them must
// have a file:line.
func ntCheckTruth(t *testing.T, bin string, tab *nativeTable, syms int, wantLines bool) {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	funcs, err := addrgen.Functions(ef, false)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := funcs.Addresses(addrgen.Options{Syms: syms, Random: 1000, StartFrac: 0.1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n, bad, withLine := 0, 0, 0
	var fr []Frame
	for _, a := range addrs {
		if a.Func == nil {
			continue
		}
		want := append([]string{a.Func.Name}, a.Func.Aliases...)
		ok := map[string]bool{}
		for _, name := range want {
			name, _, _ = strings.Cut(name, "@")
			ok[name] = true
		}
		n++
		for _, lines := range []bool{false, true} {
			fr, _ = tab.lookup(a.Addr, lines, fr[:0])
			got := ""
			if len(fr) > 0 {
				got = fr[len(fr)-1].Function
				if lines && fr[0].Line > 0 {
					withLine++
				}
			}
			if !ok[got] {
				if bad++; bad <= 10 {
					t.Errorf("%#x (lines %v): got %q, want one of %q", a.Addr, lines, got, want)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d addresses misnamed", bad, 2*n)
	}
	if wantLines && withLine < n*95/100 {
		t.Errorf("only %d of %d addresses have a line", withLine, n)
	}
	t.Logf("%d addresses checked, %d with lines", n, withLine)
}

// TestNativeTruthLibc checks libc.so.6, named from its .dynsym and the
// .symtab of its build-id debug file (libc6-dbg), against the truth of its
// .dynsym.
func TestNativeTruthLibc(t *testing.T) {
	const libc = "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, libc, "apt-get install libc6")
	tab := ntOpen(t, libc, nativeOptions{DebugDirs: []string{"/usr/lib/debug"}})
	if tab.debug == "" {
		testenv.SkipOrFail(t, "libc's debug file is missing (apt-get install libc6-dbg)")
	}
	ntCheckTruth(t, libc, tab, 20000, true)
}

// TestNativeTruthCxx checks a statically linked C++ binary (libstdc++ and
// libc inside: aliases, IFUNCs, clones) against the truth of its .symtab.
func TestNativeTruthCxx(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "g++", "prog.cc", "cxx-static", "-O2", "-g", "-static")
	ntCheckTruth(t, bin, ntOpen(t, bin, nativeOptions{}), 20000, false)
}

// TestNativeTruthNode checks node's 86k C++ functions (CI installs node;
// the 100k addresses take under a second, so -short runs it too).
func TestNativeTruthNode(t *testing.T) {
	node, err := filepath.EvalSymlinks(testenv.RequireTool(t, "node", "apt-get install nodejs"))
	if err != nil {
		t.Fatal(err)
	}
	ntCheckTruth(t, node, ntOpen(t, node, nativeOptions{}), 100000, false)
}
