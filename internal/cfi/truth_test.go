package cfi

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// openELF opens an ELF file for the test's duration.
func openELF(t testing.TB, path string) *elf.File {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// truthBinaries are the files whose rows must agree with readelf's: the
// system's (Debian's libc and xz, built without frame pointers) and
// programs the test builds.
func truthBinaries(t *testing.T) map[string]string {
	t.Helper()
	libc, xz, libstdcxx := "/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/xz", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
	testenv.RequireFile(t, libc, "the C library")
	testenv.RequireFile(t, xz, "apt-get install xz-utils")
	testenv.RequireFile(t, libstdcxx, "apt-get install libstdc++6")
	src := func(name string) []string {
		p, err := filepath.Abs(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return []string{p}
	}
	debug := testenv.BuildC(t, "gcc", "omitfp-dwarf", src("omitfp.c"), "-O2", "-g", "-fomit-frame-pointer", "-fno-asynchronous-unwind-tables")
	objcopy := testenv.RequireTool(t, "objcopy", "apt-get install binutils")
	sep := filepath.Join(t.TempDir(), "omitfp.debug")
	if out, err := exec.Command(objcopy, "--only-keep-debug", debug, sep).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	return map[string]string{
		"libc":           libc,
		"xz":             xz,
		"libstdc++":      libstdcxx,
		"omitfp":         testenv.BuildC(t, "gcc", "omitfp", src("omitfp.c"), "-O2", "-fomit-frame-pointer"),
		"throw":          testenv.BuildC(t, "g++", "throw", src("throw.cc"), "-O2"),
		"debug_frame":    debug,
		"separate-debug": sep,
		"go":             buildGo(t, src("spin.go.txt")[0]),
	}
}

// buildGo builds the Go program in the file src (named .txt, so that go
// vet and go build ./... leave it alone) and returns the binary.
func buildGo(t *testing.T, src string) string {
	t.Helper()
	gotool := testenv.RequireTool(t, "go", "install Go")
	dir := t.TempDir()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, b, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "spin")
	cmd := exec.Command(gotool, "build", "-o", bin, main)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestAgreesWithReadelf checks every FDE's rows, at every address where
// readelf's or ours change, against readelf --debug-dump=frames-interp:
// the CFA, rbp and the return address.
func TestAgreesWithReadelf(t *testing.T) {
	for name, path := range truthBinaries(t) {
		t.Run(name, func(t *testing.T) {
			a := compareWithReadelf(t, path)
			t.Logf("%s: %d/%d FDEs agree, %d addresses compared (CFA by the PLT expression at %d, by the signal frame's at %d, by another expression at %d)",
				path, a.agreeing, a.fdes, a.rows, a.plt, a.deref, a.expression)
			if a.fdes == 0 {
				t.Fatalf("readelf printed no FDE for %s", path)
			}
			for i, m := range a.mismatches {
				if i == 20 {
					t.Errorf("... and %d more", len(a.mismatches)-i)
					break
				}
				t.Error(m)
			}
		})
	}
}
