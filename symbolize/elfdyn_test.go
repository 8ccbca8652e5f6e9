package symbolize

import (
	"context"
	"debug/elf"
	"errors"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestNativeSharedLibrary checks a stripped .so named from its .dynsym only:
// exported functions by their ranges, a static function not at all (it is
// outside every sized symbol), and a sizeless exported symbol at its address
// only.
func TestNativeSharedLibrary(t *testing.T) {
	dir := t.TempDir()
	so := ntBuild(t, dir, "gcc", "lib.c", "libflame.so", "-O2", "-shared", "-fPIC", ntSource(t, "nosize.S"))
	local, localSize := ntSym(t, so, "lib_local")
	ntRun(t, dir, "strip", "--strip-all", so)
	tab := ntOpen(t, so, nativeOptions{})
	for _, fn := range []string{"lib_exported", "lib_other"} {
		addr, size := ntSym(t, so, fn)
		if got := ntName(tab, addr+size-1); got != fn {
			t.Errorf("%s+%d: got %q", fn, size-1, got)
		}
	}
	if got := ntName(tab, local+localSize/2); got != "" {
		t.Errorf("static lib_local named %q from the dynsym", got)
	}
	addr, _ := ntSym(t, so, "asm_nosize")
	if got := ntName(tab, addr); got != "asm_nosize" {
		t.Errorf("asm_nosize: got %q", got)
	}
	if got := ntName(tab, addr+1); got != "" {
		t.Errorf("asm_nosize+1: got %q, want nothing (sizeless dynsym)", got)
	}
}

// TestNativePLT checks that PLT stubs are named "func@plt" at the addresses
// objdump gives them, with lazy and immediate binding and with IBT's
// .plt.sec.
func TestNativePLT(t *testing.T) {
	dir := t.TempDir()
	for i, flags := range [][]string{{"-O2"}, {"-O2", "-Wl,-z,now"}, {"-O2", "-fcf-protection=full", "-Wl,-z,ibt,-z,shstk"}, {"-O0", "-no-pie", "-fno-pie"}} {
		bin := ntBuild(t, dir, "gcc", "prog.c", "plt"+strconv.Itoa(i), flags...)
		tab := ntOpen(t, bin, nativeOptions{})
		out := ntRun(t, dir, "objdump", "-d", bin)
		stubs := regexp.MustCompile(`(?m)^([0-9a-f]+) <([^>]+@plt)>:`).FindAllStringSubmatch(out, -1)
		if len(stubs) < 2 {
			if _, err := exec.LookPath("objdump"); err == nil {
				t.Fatalf("%v: objdump shows %d PLT stubs", flags, len(stubs))
			}
		}
		for _, m := range stubs {
			addr, _ := strconv.ParseUint(m[1], 16, 64)
			if got := ntName(tab, addr); got != m[2] {
				t.Errorf("%v: %#x: got %q, want %s", flags, addr, got, m[2])
			}
			if got := ntName(tab, addr+5); got != m[2] {
				t.Errorf("%v: %#x+5: got %q, want %s", flags, addr, got, m[2])
			}
		}
	}
}

// TestNativeNoSymbols checks that a static binary stripped of everything is
// ErrNoSymbols, not an empty table.
func TestNativeNoSymbols(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "gcc", "prog.c", "static", "-O2", "-static", "-s")
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if _, err := newNativeTable(context.Background(), ef, nil, bin, nativeOptions{DebugDirs: []string{t.TempDir()}}); !errors.Is(err, ErrNoSymbols) {
		t.Errorf("got %v, want ErrNoSymbols", err)
	}
}

// TestNativeNestedSymbols checks symbols inside another's range: an
// address past the inner one's end belongs to the symbol around it.
func TestNativeNestedSymbols(t *testing.T) {
	dir := t.TempDir()
	so := ntBuild(t, dir, "gcc", "nested.S", "libnested.so", "-shared", "-nostdlib")
	tab := ntOpen(t, so, nativeOptions{})
	outer, _ := ntSym(t, so, "outer")
	after, _ := ntSym(t, so, "after")
	for _, c := range []struct {
		off  uint64
		want string
	}{
		{0, "outer"}, {1, "outer"},
		{2, "inner"}, {5, "inner"}, // inner: 2..5
		{6, "outer"},       // past inner's end, inside outer
		{7, "outer_label"}, // a sizeless label inside outer matches its address only
		{8, "outer"}, {9, "outer"},
	} {
		if got := ntName(tab, outer+c.off); got != c.want {
			t.Errorf("outer+%d: %q, want %q", c.off, got, c.want)
		}
	}
	if got := ntName(tab, after); got != "after" {
		t.Errorf("after: %q", got)
	}
	if got := ntName(tab, after+1); got != "" {
		t.Errorf("after+1 (past the last symbol): %q, want nothing", got)
	}
	if len(tab.parents) != 2 {
		t.Errorf("%d nested symbols, want 2 (inner, outer_label)", len(tab.parents))
	}
}
