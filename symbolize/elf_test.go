package symbolize

import (
	"debug/elf"
	"fmt"
	"strings"
	"testing"
)

// TestNativeSymtab checks that every sized function of C binaries (PIE and
// not, with and without -g) is named at its start, middle and end by
// itself or an alias at its address.
func TestNativeSymtab(t *testing.T) {
	dir := t.TempDir()
	for _, flags := range [][]string{{"-O2"}, {"-O2", "-g"}, {"-O0", "-no-pie", "-fno-pie"}, {"-O2", "-g", "-no-pie", "-fno-pie"}} {
		t.Run(fmt.Sprint(flags), func(t *testing.T) {
			bin := ntBuild(t, dir, "gcc", "prog.c", fmt.Sprintf("prog%d", len(flags)), flags...)
			tab := ntOpen(t, bin, nativeOptions{})
			ntCheckAllFuncs(t, bin, tab)
			for _, fn := range []string{"main", "global_work", "local_helper"} {
				addr, size := ntSym(t, bin, fn)
				for _, a := range []uint64{addr, addr + size/2, addr + size - 1} {
					if got := ntName(tab, a); got != fn {
						t.Errorf("%#x: got %q, want %s", a, got, fn)
					}
				}
				if got := ntName(tab, addr+size); got == fn {
					t.Errorf("%#x, just past %s, is named %s", addr+size, fn, got)
				}
			}
		})
	}
}

// ntCheckAllFuncs checks every sized function symbol of bin against tab.
func ntCheckAllFuncs(t *testing.T, bin string, tab *nativeTable) {
	t.Helper()
	syms := ntSymbols(t, bin)
	names := make(map[uint64]map[string]bool)
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			if names[s.Value] == nil {
				names[s.Value] = make(map[string]bool)
			}
			names[s.Value][s.Name] = true
		}
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size == 0 || s.Value == 0 {
			continue
		}
		for _, a := range []uint64{s.Value, s.Value + s.Size - 1} {
			if got := ntName(tab, a); !names[s.Value][got] {
				t.Errorf("%#x in %s: got %q", a, s.Name, got)
			}
		}
	}
}

func TestNativeBuildIDAndOffsets(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "gcc", "prog.c", "prog", "-O2", "-Wl,--build-id=sha1")
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	id := buildID(ef)
	if len(id) != 40 {
		t.Fatalf("buildID = %q, want 40 hex digits", id)
	}
	out := ntRun(t, dir, "readelf", "-n", bin)
	if !strings.Contains(out, id) {
		t.Errorf("readelf -n does not show build-id %s:\n%s", id, out)
	}
	addr, _ := ntSym(t, bin, "global_work")
	text := ef.Section(".text")
	off := text.Offset + (addr - text.Addr)
	if got, ok := fileOffsetToVaddr(ef, off); !ok || got != addr {
		t.Errorf("fileOffsetToVaddr(%#x) = %#x, %v; want %#x", off, got, ok, addr)
	}
	if _, ok := fileOffsetToVaddr(ef, 1<<40); ok {
		t.Error("an offset past the file maps to an address")
	}
}
