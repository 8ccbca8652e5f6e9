package symbolize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ntStripped builds prog.c with -g, splits its debug information into
// name.debug with objcopy and strips the binary (symtab included), linking it
// to the debug file with .gnu_debuglink. It returns the binary and debug
// file paths and the address and size of the static local_helper, which
// only the debug file's .symtab names.
func ntStripped(t *testing.T, dir, name string) (bin, dbg string, local, size uint64) {
	t.Helper()
	bin = ntBuild(t, dir, "gcc", "prog.c", name, "-O2", "-g", "-Wl,--build-id=sha1")
	local, size = ntSym(t, bin, "local_helper")
	dbg = bin + ".debug"
	ntRun(t, dir, "objcopy", "--only-keep-debug", bin, dbg)
	ntRun(t, dir, "strip", "--strip-all", bin)
	ntRun(t, dir, "objcopy", "--add-gnu-debuglink="+dbg, bin)
	return bin, dbg, local, size
}

// TestNativeDebuglink checks that a stripped binary finds its debug file
// through .gnu_debuglink in its directory, in .debug/ beside it and under a
// debug directory, and rejects one whose CRC does not match.
func TestNativeDebuglink(t *testing.T) {
	for _, where := range []string{"same", "dotdebug", "debugdir", "badcrc"} {
		t.Run(where, func(t *testing.T) {
			dir := t.TempDir()
			bin, dbg, local, size := ntStripped(t, dir, "prog")
			debugDir := t.TempDir()
			switch where {
			case "dotdebug":
				ntMove(t, dbg, filepath.Join(dir, ".debug", filepath.Base(dbg)))
			case "debugdir":
				ntMove(t, dbg, filepath.Join(debugDir, dir, filepath.Base(dbg)))
			case "badcrc":
				f, err := os.OpenFile(dbg, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.Write([]byte{0})
				f.Close()
			}
			tab := ntOpen(t, bin, nativeOptions{DebugDirs: []string{debugDir}})
			got := ntName(tab, local+size/2)
			if where == "badcrc" {
				if got == "local_helper" {
					t.Error("a debug file with the wrong CRC was used")
				}
				return
			}
			if got != "local_helper" {
				t.Fatalf("local_helper: got %q", got)
			}
			fr, ok := tab.lookup(local, true, nil)
			if !ok || fr[0].Line == 0 || filepath.Base(fr[0].File) != "prog.c" {
				t.Errorf("lines from the debug file: %+v", fr)
			}
		})
	}
}

// TestNativeBuildIDDir checks that a stripped binary without a debuglink
// finds its debug file as <debugdir>/.build-id/xx/rest.debug.
func TestNativeBuildIDDir(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "gcc", "prog.c", "prog", "-O2", "-g", "-Wl,--build-id=sha1")
	local, size := ntSym(t, bin, "local_helper")
	dbg := bin + ".debug"
	ntRun(t, dir, "objcopy", "--only-keep-debug", bin, dbg)
	ntRun(t, dir, "strip", "--strip-all", bin)
	tab := ntOpen(t, bin, nativeOptions{})
	id := buildID(tab.ef)
	if got := ntName(tab, local); got != "" {
		t.Fatalf("stripped binary names local_helper without a debug file: %q", got)
	}
	debugDir := t.TempDir()
	ntMove(t, dbg, filepath.Join(debugDir, ".build-id", id[:2], id[2:]+".debug"))
	tab = ntOpen(t, bin, nativeOptions{DebugDirs: []string{t.TempDir(), debugDir}})
	if got := ntName(tab, local+size-1); got != "local_helper" {
		t.Errorf("local_helper: got %q", got)
	}
	if fr, ok := tab.lookup(local, true, nil); !ok || fr[len(fr)-1].Line == 0 {
		t.Errorf("no lines from the build-id debug file: %+v", fr)
	}
}

// TestNativeMiniDebugInfo builds MiniDebugInfo the way Fedora does (the
// local function symbols, xz-compressed into .gnu_debugdata of a binary
// stripped of its .symtab) and checks that the local function is named.
func TestNativeMiniDebugInfo(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "gcc", "prog.c", "prog", "-O2", "-g")
	local, size := ntSym(t, bin, "local_helper")
	// Fedora's find-debuginfo: keep the function symbols not in .dynsym.
	dyn := ntRun(t, dir, "nm", "-D", bin, "--format=posix", "--defined-only")
	all := ntRun(t, dir, "nm", bin, "--format=posix", "--defined-only")
	keep := ntFuncsNotIn(all, dyn)
	if err := os.WriteFile(filepath.Join(dir, "keep_symbols"), []byte(keep), 0o644); err != nil {
		t.Fatal(err)
	}
	ntRun(t, dir, "objcopy", "--only-keep-debug", bin, "debug")
	ntRun(t, dir, "objcopy", "-S", "--remove-section", ".gdb_index", "--remove-section", ".comment",
		"--keep-symbols=keep_symbols", "debug", "mini_debuginfo")
	ntRun(t, dir, "xz", "--keep", "mini_debuginfo")
	ntRun(t, dir, "strip", "--remove-section=.symtab", "--remove-section=.strtab", "--strip-debug", bin)
	ntRun(t, dir, "objcopy", "--add-section", ".gnu_debugdata=mini_debuginfo.xz", bin)
	tab := ntOpen(t, bin, nativeOptions{})
	if got := ntName(tab, local+size/2); got != "local_helper" {
		t.Errorf("local_helper from MiniDebugInfo: got %q", got)
	}
	addr, _ := ntSym(t, bin, "main")
	if got := ntName(tab, addr); got != "main" {
		t.Errorf("main: got %q", got)
	}
}

// ntFuncsNotIn returns, one a line, the names of the function symbols in
// the nm --format=posix listing all that are not in dyn.
func ntFuncsNotIn(all, dyn string) string {
	exported := make(map[string]bool)
	for _, l := range splitFields(dyn) {
		exported[l[0]] = true
	}
	var out []byte
	for _, l := range splitFields(all) {
		if len(l) >= 2 && (l[1] == "t" || l[1] == "T") && !exported[l[0]] {
			out = append(out, l[0]+"\n"...)
		}
	}
	return string(out)
}

func splitFields(s string) [][]string {
	var out [][]string
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// ntMove moves a file, creating the destination's directories.
func ntMove(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}
