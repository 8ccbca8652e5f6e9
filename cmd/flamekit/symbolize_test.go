package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/internal/testenv"
)

// buildSymwork compiles testdata/symwork.c with debug info and returns its
// path and the link-time address of its function symwork_hot.
func buildSymwork(t *testing.T) (bin string, hot uint64) {
	t.Helper()
	bin = testenv.BuildC(t, "gcc", "symwork", []string{"testdata/symwork.c"}, "-g", "-O1")
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
	if len(lines) < 3 || lines[0] != "symwork_hot" || !regexp.MustCompile(`symwork\.c:4:[0-9]+$`).MatchString(lines[1]) || lines[2] != "" {
		t.Fatalf("plain output:\n%s", out)
	}
	t.Run("same as llvm-symbolizer", func(t *testing.T) {
		llvm := testenv.RequireTool(t, "llvm-symbolizer", "apt-get install llvm")
		want, err := exec.Command(llvm, "--obj="+bin, addr).Output()
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("output differs from llvm-symbolizer's:\n%s\nllvm-symbolizer:\n%s", out, want)
		}
	})

	// pprof's way: "CODE FILE 0xADDR" lines, JSON answers; unknown addresses
	// and unreadable files answer too, without stopping.
	in := fmt.Sprintf("CODE %s %s\nCODE %s 0x1\n/nonexistent 0x10\n", bin, addr, bin)
	code, out, stderr = flamekit(t, in, "symbolize", "--inlining", "-demangle=false", "--output-style=JSON")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `"FunctionName":"symwork_hot","Line":4`) || !strings.Contains(out, `"Address":"`+addr+`"`) {
		t.Errorf("JSON output:\n%s", out)
	}
	if strings.Count(out, "\n") != 3 || !strings.Contains(stderr, "nonexistent") {
		t.Errorf("want three answers and a complaint about the missing file; got\n%s\nstderr %s", out, stderr)
	}
	// Read a line at a time, each line is a batch of its own; the missing
	// file is still named once.
	var outb, errb bytes.Buffer
	in = "/nonexistent 0x10\n/nonexistent 0x20\n"
	if code := run([]string{"symbolize"}, iotest.OneByteReader(strings.NewReader(in)), &outb, &errb); code != 0 {
		t.Errorf("stdin a byte at a time: exit %d", code)
	}
	if strings.Count(outb.String(), "??:0:0") != 2 || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("two answers and one complaint wanted; got\n%s\nstderr %s", outb.String(), errb.String())
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
	fk := flamekitBinary(t)
	pprofBin := filepath.Join(dir, "pprof")
	if out, err := exec.Command("go", "build", "-o", pprofBin, "github.com/google/pprof").CombinedOutput(); err != nil {
		t.Fatalf("go build pprof: %v\n%s", err, out)
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

// TestSymbolizeNotELF gives files that are not ELF: each error is said
// once, in words, and the addresses still get llvm-symbolizer's "??"
// answer.
func TestSymbolizeNotELF(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"text":  "a host name longer than sixteen bytes\n",
		"short": "root\n",
		"empty": "",
	}
	paths := []string{dir}
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		paths = append(paths, p)
	}
	for _, p := range paths {
		r := runCLI(t, "", "", "symbolize", "-e", p, "0x1")
		r.wantFailure(t, "symbolize -e "+p, 1)
		if want := "flamekit symbolize: " + p + ": not an ELF file"; len(r.stderr) == 1 && r.stderr[0] != want {
			t.Errorf("symbolize -e %s: stderr %q, want %q", p, r.stderr[0], want)
		}
		if r.stdout != "??\n??:0:0\n\n" {
			t.Errorf("symbolize -e %s: stdout %q", p, r.stdout)
		}
	}
	// Several addresses of one file: still one error.
	r := runCLI(t, "", "", "symbolize", "-e", paths[1], "0x1", "0x2", "0x3")
	r.wantFailure(t, "three addresses", 1, "not an ELF file")
}

// TestSymbolizeMatchesLLVM symbolizes every byte of two functions of a
// gcc -O2 -g program, one with an inlined call, with flamekit and with
// llvm-symbolizer: by default (file:line:column, inlined frames) and with
// their shared flags, the outputs are the same.
func TestSymbolizeMatchesLLVM(t *testing.T) {
	llvm := testenv.RequireTool(t, "llvm-symbolizer", "apt-get install llvm")
	bin := testenv.BuildC(t, "gcc", "inl", []string{"testdata/inl.c"}, "-g", "-O2")
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := ef.Symbols()
	ef.Close()
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	var hot string
	for _, s := range syms {
		if s.Name == "hot" {
			hot = fmt.Sprintf("%#x", s.Value)
		}
		if s.Name == "hot" || s.Name == "main" {
			for a := s.Value; a < s.Value+s.Size; a++ {
				addrs = append(addrs, fmt.Sprintf("%#x", a))
			}
		}
	}
	if len(addrs) < 20 {
		t.Fatalf("found %d addresses of hot and main", len(addrs))
	}
	for _, flags := range [][]string{
		nil,
		{"--no-inlines"},
		{"--functions=short"},
		{"--functions=none"},
		{"--output-style=GNU"},
		{"--inlining=false"},
	} {
		args := append(append([]string{"-e", bin}, flags...), addrs...)
		want, err := exec.Command(llvm, args...).Output()
		if err != nil {
			t.Fatalf("llvm-symbolizer %v: %v", flags, err)
		}
		r := runCLI(t, "", "", append([]string{"symbolize"}, args...)...)
		if r.code != 0 || r.stderr != nil {
			t.Errorf("symbolize %v: exit status %d, stderr %q", flags, r.code, r.stderr)
		}
		if r.stdout != string(want) {
			t.Errorf("symbolize %v differs from llvm-symbolizer:\n%s", flags, firstDiff(r.stdout, string(want)))
		}
	}
	// The default names inlined frames, with file:line:column.
	r := runCLI(t, "", "", "symbolize", "-e", bin, hot)
	if !regexp.MustCompile(`^hot\n\S*inl\.c:5:\d+\n\n$`).MatchString(r.stdout) {
		t.Errorf("default output for hot's first byte: %q", r.stdout)
	}
	if !strings.Contains(runCLI(t, "", "", append([]string{"symbolize", "-e", bin}, addrs...)...).stdout, "add\n") {
		t.Error("no inlined frame of add in hot")
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}
