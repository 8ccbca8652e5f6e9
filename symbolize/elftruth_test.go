package symbolize

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// ntGenAddrs returns the path of the shared gen-addrs script
// ($FLAMEKIT_GEN_ADDRS, else ../../shared/bench/gen-addrs), skipping the
// test when it is missing (failing it under $CI).
func ntGenAddrs(t *testing.T) string {
	t.Helper()
	p := os.Getenv("FLAMEKIT_GEN_ADDRS")
	if p == "" {
		p = filepath.Join("..", "..", "shared", "bench", "gen-addrs")
	}
	if _, err := os.Stat(p); err != nil {
		testenv.SkipOrFail(t, "gen-addrs not found: %v", err)
	}
	testenv.RequireTool(t, "python3", "")
	testenv.RequireTool(t, "nm", "")
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// ntCheckTruth makes addresses of bin with gen-addrs --truth and checks that
// lookup names every address inside a function by that function or one of
// its aliases (glibc version suffixes aside), with and without lines; with
// wantLines, 95% of them must have a file:line.
func ntCheckTruth(t *testing.T, bin string, tab *nativeTable, syms int, wantLines bool) {
	t.Helper()
	truth := filepath.Join(t.TempDir(), "truth.tsv")
	cmd := exec.Command(ntGenAddrs(t), bin, "--syms", strconv.Itoa(syms), "--random", "1000", "--seed", "1", "--truth", truth)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen-addrs: %v\n%s", err, out)
	}
	f, err := os.Open(truth)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad, withLine := 0, 0, 0
	var fr []Frame
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 || cols[1] == "-" {
			continue
		}
		addr, err := strconv.ParseUint(strings.TrimPrefix(cols[0], "0x"), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		ok := map[string]bool{}
		for _, name := range cols[3:] {
			name, _, _ = strings.Cut(name, "@")
			ok[name] = true
		}
		n++
		for _, lines := range []bool{false, true} {
			fr, _ = tab.lookup(addr, lines, fr[:0])
			got := ""
			if len(fr) > 0 {
				got = fr[len(fr)-1].Function
				if lines && fr[0].Line > 0 {
					withLine++
				}
			}
			if !ok[got] {
				if bad++; bad <= 10 {
					t.Errorf("%#x (lines %v): got %q, want one of %q", addr, lines, got, cols[3:])
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
// .symtab of its build-id debug file (libc6-dbg), against gen-addrs.
func TestNativeTruthLibc(t *testing.T) {
	const libc = "/lib/x86_64-linux-gnu/libc.so.6"
	if _, err := os.Stat(libc); err != nil {
		t.Skipf("no %s: %v", libc, err)
	}
	tab := ntOpen(t, libc, nativeOptions{DebugDirs: []string{"/usr/lib/debug"}})
	if tab.debug == "" {
		testenv.SkipOrFail(t, "libc's debug file is missing (apt-get install libc6-dbg)")
	}
	ntCheckTruth(t, libc, tab, 20000, true)
}

// TestNativeTruthCxx checks a statically linked C++ binary (libstdc++ and
// libc inside: aliases, IFUNCs, clones) against gen-addrs.
func TestNativeTruthCxx(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "g++", "prog.cc", "cxx-static", "-O2", "-g", "-static")
	ntCheckTruth(t, bin, ntOpen(t, bin, nativeOptions{}), 20000, false)
}

// TestNativeTruthNode checks node's 86k C++ functions when node is installed
// (it is large: skipped with -short).
func TestNativeTruthNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil || testing.Short() {
		t.Skip("no node, or -short")
	}
	if node, err = filepath.EvalSymlinks(node); err != nil {
		t.Fatal(err)
	}
	ntCheckTruth(t, node, ntOpen(t, node, nativeOptions{}), 100000, false)
}
