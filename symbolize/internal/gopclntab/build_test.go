package gopclntab

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// goVariant is one way of building testdata/go/inl.
type goVariant struct {
	name    string
	cgo     bool
	symtab  bool // has .symtab (not -ldflags=-s)
	trimmed bool // -trimpath
	args    []string
	gocmd   string // another Go toolchain's go command, for an older format
	noShdrs bool   // section headers removed after the build, as sstrip does
}

// goOld is Debian 12's Go 1.19 (apt-get install golang-1.19-go, which
// .ci/run installs), which writes the Go 1.18 pclntab format.
const goOld = "/usr/lib/go-1.19/bin/go"

var goVariants = []goVariant{
	{name: "plain", symtab: true},
	{name: "stripped", args: []string{"-ldflags=-s -w"}},
	{name: "cgo", cgo: true, symtab: true},
	{name: "cgo-stripped", cgo: true, args: []string{"-ldflags=-s -w"}},
	{name: "trimpath", symtab: true, trimmed: true, args: []string{"-trimpath"}},
	// The C code linked internally sits inside Go's text, named in the
	// pclntab without lines.
	{name: "cgo-internal", cgo: true, symtab: true, args: []string{"-ldflags=-linkmode=internal"}},
	{name: "pie-cgo-stripped", cgo: true, args: []string{"-buildmode=pie", "-ldflags=-s -w"}},
	{name: "go1.19", symtab: true, gocmd: goOld},
	{name: "go1.19-cgo-stripped", cgo: true, args: []string{"-ldflags=-s -w"}, gocmd: goOld},
	{name: "cgo-stripped-noshdrs", cgo: true, args: []string{"-ldflags=-s -w"}, noShdrs: true},
	{name: "go1.19-noshdrs", args: []string{"-ldflags=-s -w"}, gocmd: goOld, noShdrs: true},
}

// buildGo builds testdata/go/inl as v into dir and returns the binary's
// path. It skips when the toolchain is missing, or for cgo, the C compiler.
func buildGo(t testing.TB, dir string, v goVariant) string {
	t.Helper()
	gocmd, src, env := "go", "./testdata/go/inl", os.Environ()
	if v.gocmd != "" {
		testenv.RequireFile(t, v.gocmd, "apt-get install golang-1.19-go")
		// An older toolchain cannot read this module's go.mod: build a
		// copy of the program as a module of its own.
		gocmd, src = v.gocmd, filepath.Join(dir, "src-"+v.name)
		if err := os.CopyFS(src, os.DirFS("testdata/go/inl")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module inl\n\ngo 1.18\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GOROOT=") })
		env = append(env, "GOTOOLCHAIN=local")
	}
	cgo := "0"
	if v.cgo {
		testenv.RequireTool(t, "gcc", "")
		cgo = "1"
	}
	out := filepath.Join(dir, "inl-"+v.name)
	args := append([]string{"build", "-o", out}, v.args...)
	cmd := exec.Command(gocmd, append(args, ".")...)
	cmd.Dir, cmd.Env = src, append(env, "CGO_ENABLED="+cgo, "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", v.name, err, b)
	}
	if v.noShdrs {
		removeSectionHeaders(t, out)
	}
	return out
}

// removeSectionHeaders zeroes e_shoff, e_shnum and e_shstrndx in the ELF64
// header of the file at path: the program still runs, but has no sections.
func removeSectionHeaders(t testing.TB, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clear(b[0x28:0x30])
	clear(b[0x3c:0x40])
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// openGoTable opens path and reads its pclntab.
func openGoTable(t testing.TB, path string) (*elf.File, *Table) {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ef.Close() })
	tab, err := Open(ef, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return ef, tab
}

// goTruthFrame is one line of "inl frames": what runtime.CallersFrames said.
type goTruthFrame struct {
	pc   uint64
	fn   string
	file string
	line int
}

// goRunFrames runs "inl frames" and returns its frames, their pcs made
// link-time addresses with the load bias of main.main.
func goRunFrames(t *testing.T, bin string, tab *Table) []goTruthFrame {
	t.Helper()
	out, err := exec.Command(bin, "frames").Output()
	if err != nil {
		t.Fatalf("%s frames: %v", bin, err)
	}
	var fs []goTruthFrame
	var bias uint64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) == 2 && p[0] == "main.main" {
			pc, err := strconv.ParseUint(p[1], 0, 64)
			if err != nil {
				t.Fatalf("bad line %q", sc.Text())
			}
			// A wrong text start would show as a bias that is not
			// page-aligned (0x100 in the cgo binaries).
			if bias = pc - goFindFunc(t, tab, "main.main"); bias%4096 != 0 {
				t.Errorf("load bias %#x is not page-aligned: wrong text start %#x", bias, tab.textStart)
			}
			continue
		}
		if len(p) != 4 {
			t.Fatalf("bad line %q", sc.Text())
		}
		pc, err1 := strconv.ParseUint(p[0], 0, 64)
		line, err2 := strconv.Atoi(p[3])
		if err1 != nil || err2 != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		fs = append(fs, goTruthFrame{pc - bias, p[1], p[2], line})
	}
	return fs
}

// goFindFunc returns the entry of the function called name.
func goFindFunc(t *testing.T, tab *Table, name string) uint64 {
	for i := 0; i < tab.nfunc; i++ {
		f, ok := tab.funcAt(i)
		if ok && goCString(tab.names, uint64(tab.field(f, tab.layout.nameOff))) == name {
			return f.entry
		}
	}
	t.Fatalf("no function %s", name)
	return 0
}

// goCompilePath returns the Go toolchain's compile binary (26 MB, 20k
// functions), skipping t when there is none.
func goCompilePath(t testing.TB) string {
	out, err := exec.Command(testenv.RequireTool(t, "go", "install Go"), "env", "GOTOOLDIR").Output()
	if err != nil {
		t.Fatalf("go env GOTOOLDIR: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "compile")
}
