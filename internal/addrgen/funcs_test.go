package addrgen

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// nmFuncs lists what `nm --defined-only -S -n` (with -D when dynamic)
// prints of bin's sized symbols typed t, T or W inside [lo, hi), as
// "start size name" lines, sorted.
func nmFuncs(t *testing.T, bin string, dynamic bool, lo, hi uint64) []string {
	t.Helper()
	args := []string{"--defined-only", "-S", "-n"}
	if dynamic {
		args = append(args, "-D")
	}
	out, err := exec.Command(testenv.RequireTool(t, "nm", "apt-get install binutils"), append(args, bin)...).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", bin, err)
	}
	var lines []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 || !strings.Contains("tTW", f[2]) {
			continue
		}
		start, err1 := strconv.ParseUint(f[0], 16, 64)
		size, err2 := strconv.ParseUint(f[1], 16, 64)
		if err1 != nil || err2 != nil || size == 0 || start < lo || start >= hi {
			continue
		}
		lines = append(lines, strconv.FormatUint(start, 16)+" "+strconv.FormatUint(size, 16)+" "+f[3])
	}
	slices.Sort(lines)
	return lines
}

// checkMatchesNm checks that Functions reads the same function symbols
// from bin as nm prints, and that aliases are the other names at a start.
func checkMatchesNm(t *testing.T, bin string, wantDynamic bool) {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	tab, err := Functions(ef, false)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Dynamic != wantDynamic {
		t.Errorf("names from .dynsym: %v, want %v", tab.Dynamic, wantDynamic)
	}
	var got []string
	names := map[uint64][]string{}
	for _, f := range tab.Funcs {
		got = append(got, strconv.FormatUint(f.Start, 16)+" "+strconv.FormatUint(f.Size, 16)+" "+f.Name)
		names[f.Start] = append(names[f.Start], f.Name)
	}
	slices.Sort(got)
	want := nmFuncs(t, bin, tab.Dynamic, tab.TextStart, tab.TextEnd)
	if len(want) < 100 {
		t.Fatalf("nm lists only %d functions in .text of %s", len(want), bin)
	}
	if !slices.Equal(got, want) {
		bad := 0
		for _, l := range want {
			if _, ok := slices.BinarySearch(got, l); !ok {
				if bad++; bad <= 5 {
					t.Errorf("nm has %q, Functions does not", l)
				}
			}
		}
		for _, l := range got {
			if _, ok := slices.BinarySearch(want, l); !ok {
				if bad++; bad <= 10 {
					t.Errorf("Functions has %q, nm does not", l)
				}
			}
		}
		t.Errorf("%d functions from Functions, %d from nm", len(got), len(want))
	}
	for _, f := range tab.Funcs {
		all := append([]string{f.Name}, f.Aliases...)
		for _, n := range names[f.Start] {
			if !slices.Contains(all, n) {
				t.Fatalf("%s at %#x: aliases %q lack %q", f.Name, f.Start, f.Aliases, n)
			}
		}
	}
	t.Logf("%s: %d functions", filepath.Base(bin), len(got))
}

// TestFunctionsMatchNmLibc reads libc.so.6, which has no .symtab: the
// names come from .dynsym with their versions (memcpy@@GLIBC_2.14,
// weak W symbols included, IFUNCs left out, as nm -D).
func TestFunctionsMatchNmLibc(t *testing.T) {
	const libc = "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, libc, "apt-get install libc6")
	checkMatchesNm(t, libc, true)
}

// TestFunctionsMatchNmGo reads a Go binary the test builds from
// testdata/goprog (.symtab with generic instantiations and names holding
// spaces, such as "type:.eq.struct { ... }").
func TestFunctionsMatchNmGo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "prog")
	cmd := exec.Command(testenv.RequireTool(t, "go", "install Go"), "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("testdata", "goprog")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	checkMatchesNm(t, bin, false)
}

// TestFunctionsMatchNmCxx reads a statically linked C++ binary: libstdc++
// and libc inside, with local, weak and aliased symbols.
func TestFunctionsMatchNmCxx(t *testing.T) {
	checkMatchesNm(t, testenv.BuildC(t, "g++", "prog", []string{"testdata/prog.cc"}, "-O2", "-static"), false)
}

// TestFunctionsMatchNmNode reads node's 100k C++ symbols (CI installs node).
func TestFunctionsMatchNmNode(t *testing.T) {
	node, err := filepath.EvalSymlinks(testenv.RequireTool(t, "node", "apt-get install nodejs"))
	if err != nil {
		t.Fatal(err)
	}
	checkMatchesNm(t, node, false)
}
