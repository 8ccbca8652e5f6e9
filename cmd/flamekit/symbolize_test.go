package main

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/internal/testenv"
)

// buildSymwork compiles a small C program with debug info and returns its
// path and the link-time address of its function symwork_hot.
func buildSymwork(t *testing.T) (bin string, hot uint64) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.SkipOrFail(t, "gcc not found")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "symwork.c")
	bin = filepath.Join(dir, "symwork")
	os.WriteFile(src, []byte("volatile int sink;\n__attribute__((noinline)) void symwork_hot(void) { for (int i = 0; i < 100; i++) sink += i; }\nint main(void) { symwork_hot(); return 0; }\n"), 0o644)
	if out, err := exec.Command("gcc", "-g", "-O1", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, _ := ef.Symbols()
	for _, s := range syms {
		if s.Name == "symwork_hot" {
			return bin, s.Value
		}
	}
	t.Fatal("no symwork_hot symbol")
	return "", 0
}

func TestSymbolizeOutputStyles(t *testing.T) {
	bin, hot := buildSymwork(t)
	addr := fmt.Sprintf("%#x", hot)

	code, out, stderr := flamekit(t, "", "symbolize", "-e", bin, addr, "--inlines")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 3 || lines[0] != "symwork_hot" || !regexp.MustCompile(`symwork\.c:2:[0-9]+$`).MatchString(lines[1]) || lines[2] != "" {
		t.Fatalf("plain output:\n%s", out)
	}
	// llvm-symbolizer prints the same, where it is installed.
	if _, err := exec.LookPath("llvm-symbolizer"); err == nil {
		want, err := exec.Command("llvm-symbolizer", "--obj="+bin, addr).Output()
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("output differs from llvm-symbolizer's:\n%s\nllvm-symbolizer:\n%s", out, want)
		}
	}

	// pprof's way: "CODE FILE 0xADDR" lines, JSON answers; unknown addresses
	// and unreadable files answer too, without stopping.
	in := fmt.Sprintf("CODE %s %s\nCODE %s 0x1\n/nonexistent 0x10\n", bin, addr, bin)
	code, out, stderr = flamekit(t, in, "symbolize", "--inlining", "-demangle=false", "--output-style=JSON")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `"FunctionName":"symwork_hot","Line":2`) || !strings.Contains(out, `"Address":"`+addr+`"`) {
		t.Errorf("JSON output:\n%s", out)
	}
	if strings.Count(out, "\n") != 3 || !strings.Contains(stderr, "nonexistent") {
		t.Errorf("want three answers and a complaint about the missing file; got\n%s\nstderr %s", out, stderr)
	}

	for _, args := range [][]string{
		{"symbolize", "-e", bin, "xyz"},
		{"symbolize", "-e", bin, "-p", "1", "0x10"},
		{"symbolize", "--output-style", "XML", "-e", bin, "0x10"},
	} {
		if code, _, _ := flamekit(t, "", args...); code == 0 {
			t.Errorf("%v: exit 0, want an error", args)
		}
	}
}

// TestSymbolizeForPprof installs flamekit as llvm-symbolizer in an empty PATH
// and lets google/pprof symbolize a profile of a C program with it.
func TestSymbolizeForPprof(t *testing.T) {
	bin, hot := buildSymwork(t)
	dir := t.TempDir()
	fk := filepath.Join(dir, "flamekit")
	pprofBin := filepath.Join(dir, "pprof")
	for _, b := range [][]string{{"-o", fk, "."}, {"-o", pprofBin, "github.com/google/pprof"}} {
		if out, err := exec.Command("go", append([]string{"build"}, b...)...).CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", b, err, out)
		}
	}
	tools := filepath.Join(dir, "tools")
	os.Mkdir(tools, 0o755)
	if err := os.Symlink(fk, filepath.Join(tools, "llvm-symbolizer")); err != nil {
		t.Fatal(err)
	}

	// A profile of one sample at symwork_hot, mapped as a PIE would be.
	const base = 0x555555554000
	m := &profile.Mapping{ID: 1, Start: base, Limit: base + 0x100000, File: bin}
	loc := &profile.Location{ID: 1, Mapping: m, Address: base + hot}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}},
		Sample:     []*profile.Sample{{Location: []*profile.Location{loc}, Value: []int64{7}}},
		Mapping:    []*profile.Mapping{m},
		Location:   []*profile.Location{loc},
	}
	prof := filepath.Join(dir, "prof.pb.gz")
	f, err := os.Create(prof)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()

	cmd := exec.Command(pprofBin, "-symbolize=local", "-top", prof)
	cmd.Env = []string{"PATH=" + tools, "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pprof: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "symwork_hot") {
		t.Fatalf("pprof did not name the sample through flamekit:\n%s", out)
	}
}
