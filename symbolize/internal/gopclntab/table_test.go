package gopclntab

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestGoTableInlines checks, on every build variant, that the table gives
// the frames runtime.CallersFrames gave the program for its own stack,
// inlined frames included: a lookup of one frame's pc must yield that frame
// and its inlined callers, in order.
func TestGoTableInlines(t *testing.T) {
	dir := t.TempDir()
	for _, v := range goVariants {
		t.Run(v.name, func(t *testing.T) {
			bin := buildGo(t, dir, v)
			ef, tab := openGoTable(t, bin)
			if v.noShdrs && len(ef.Sections) != 0 {
				t.Fatalf("%d sections left", len(ef.Sections))
			}
			if v.gocmd == goOld && tab.layout != goLayout118 {
				t.Errorf("%s wrote a table of layout %+v; want Go 1.18's", v.gocmd, tab.layout)
			}
			truth := goRunFrames(t, bin, tab)
			if len(truth) < 6 || truth[2].fn != "main.leaf" {
				t.Fatalf("unexpected stack from the program: %v", truth)
			}
			inlined := 0
			for i := 0; i < len(truth); {
				got, ok := tab.Lookup(truth[i].pc, true, nil, nil)
				if !ok || len(got) == 0 || i+len(got) > len(truth) {
					t.Fatalf("lookup(%#x) = %v, %v; want from %v", truth[i].pc, got, ok, truth[i:])
				}
				for j, f := range got {
					w := truth[i+j]
					if f.Function != w.fn || f.File != w.file || f.Line != w.line || f.Inlined != (j < len(got)-1) {
						t.Errorf("lookup(%#x)[%d] = %+v; want %s %s:%d", truth[i].pc, j, f, w.fn, w.file, w.line)
					}
					if f.Inlined {
						inlined++
					}
				}
				i += len(got)
			}
			if inlined < 3 { // runtime.Callers, leaf and mid are inlined
				t.Errorf("%d inlined frames, want at least 3", inlined)
			}
			if v.trimmed && strings.HasPrefix(truth[2].file, "/") {
				t.Errorf("-trimpath file %q is absolute", truth[2].file)
			}
		})
	}
}

// TestGoTableGosym compares the table with debug/gosym on the unstripped
// variants: for every function, at its entry, in its middle and at its last
// byte, the physical frame's name must be gosym's function and the innermost
// frame's file:line gosym's (the line table gives the innermost position).
// Padding after a function's code belongs to it, with no line, as in gosym.
func TestGoTableGosym(t *testing.T) {
	dir := t.TempDir()
	for _, v := range goVariants {
		if !v.symtab {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			ef, tab := openGoTable(t, buildGo(t, dir, v))
			gt := gosymTable(t, ef)
			if tab.textStart != gt.text {
				t.Errorf("text start %#x, runtime.text is %#x", tab.textStart, gt.text)
			}
			checkGosym(t, tab, gt.Table)
		})
	}
}

type gosymTab struct {
	*gosym.Table
	text uint64
}

func gosymTable(t testing.TB, ef *elf.File) gosymTab {
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var text uint64
	for _, s := range syms {
		if s.Name == "runtime.text" {
			text = s.Value
		}
	}
	data, err := ef.Section(".gopclntab").Data()
	if err != nil {
		t.Fatal(err)
	}
	gt, err := gosym.NewTable(nil, gosym.NewLineTable(data, text))
	if err != nil {
		t.Fatal(err)
	}
	return gosymTab{gt, text}
}

func checkGosym(t *testing.T, tab *Table, gt *gosym.Table) {
	var dst []Frame
	var cache Cache // the addresses go up, as a batch is answered
	bad := 0
	for _, fn := range gt.Funcs {
		for _, pc := range []uint64{fn.Entry, fn.Entry + (fn.End-fn.Entry)/2, fn.End - 1} {
			var ok bool
			dst, ok = tab.Lookup(pc, true, dst[:0], &cache)
			file, line, _ := gt.PCToLine(pc)
			if line < 0 || !goHasLineTable(tab, pc) {
				// Padding after the function's code has no line. Marker
				// functions (go:textfipsstart) have no line table, which
				// gosym misreads as the one at offset 0.
				file, line = "", 0
			}
			if !ok || dst[len(dst)-1].Function != fn.Name || dst[0].File != file || dst[0].Line != line {
				if bad++; bad <= 10 {
					t.Errorf("lookup(%#x) = %+v, %v; gosym: %s %s:%d", pc, dst, ok, fn.Name, file, line)
				}
			}
			dst, ok = tab.Lookup(pc, false, dst[:0], nil)
			if !ok || dst[len(dst)-1].Function != fn.Name || dst[0].File != "" || dst[0].Line != 0 {
				if bad++; bad <= 10 {
					t.Errorf("lookup(%#x, lines=false) = %+v, %v; want %s", pc, dst, ok, fn.Name)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d lookups differ from gosym", bad, 6*len(gt.Funcs))
	}
	if len(gt.Funcs) < 1000 {
		t.Errorf("only %d functions", len(gt.Funcs))
	}
}

// goHasLineTable reports whether the function holding pc has a pcln table.
func goHasLineTable(tab *Table, pc uint64) bool {
	i, _ := tab.findFunc(pc)
	f, ok := tab.funcAt(i)
	return ok && tab.field(f, tab.layout.pcln) != 0
}

// TestGoTableOutside checks addresses outside Go's text.
func TestGoTableOutside(t *testing.T) {
	ef, tab := openGoTable(t, buildGo(t, t.TempDir(), goVariants[3]))
	for _, pc := range []uint64{0, tab.textStart - 1, tab.entry(tab.nfunc), 1 << 63} {
		if got, ok := tab.Lookup(pc, true, nil, nil); ok || len(got) != 0 {
			t.Errorf("lookup(%#x) = %v, %v; want nothing", pc, got, ok)
		}
	}
	// The trap this cgo binary sets: C code comes first in .text.
	if text := ef.Section(".text"); text.Addr == tab.textStart {
		t.Errorf("cgo binary: .text at runtime.text %#x; the test no longer checks the text start", text.Addr)
	}
}

// TestGoTextStartFallbacks checks the ways to runtime.text other than the
// moduledata of Go 1.26: the runtime.text symbol, and for go:func.* too.
func TestGoTextStartFallbacks(t *testing.T) {
	ef, tab := openGoTable(t, buildGo(t, t.TempDir(), goVariants[2]))
	syms := &goSymbols{ef: ef}
	if got := goTextStart(ef, goModule{}, syms, tab); got != tab.textStart {
		t.Errorf("text start from the symbol table %#x; moduledata says %#x", got, tab.textStart)
	}
	sec := ef.Section(".gopclntab")
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	if got, extra := goFuncBytes(ef, readSections{}, goModule{}, syms, "go:func.*", sec.Addr, data); len(got) != len(tab.gofunc) || len(got) == 0 || extra != 0 {
		t.Errorf("go:func.* from the symbol table: %d bytes (%d read besides); moduledata: %d", len(got), extra, len(tab.gofunc))
	}
	// Before Go 1.26, go:func.* is in .rodata.
	rodata := ef.Section(".rodata")
	want, err := rodata.Data()
	if err != nil {
		t.Fatal(err)
	}
	got, extra := goFuncBytes(ef, readSections{}, goModule{gofunc: rodata.Addr + 16, ok: true}, syms, "go:func.*", sec.Addr, data)
	if !bytes.Equal(got, want[16:]) || extra < int64(len(got)) {
		t.Errorf("go:func.* in .rodata: %d bytes (%d read); want %d", len(got), extra, len(want)-16)
	}
	mod := findGoModule(ef, tab, sec.Addr)
	if !mod.ok || mod.text != tab.textStart {
		t.Errorf("findGoModule = %+v", mod)
	}
	mod, ok := tab.scanModule(data, sec.Addr)
	if ok {
		t.Errorf("found a moduledata in .gopclntab: %+v", mod)
	}
}

// TestGoTableNotGo checks that a C binary gives ErrNoTable, with its
// section headers and without.
func TestGoTableNotGo(t *testing.T) {
	bin := testenv.BuildC(t, "gcc", "c", []string{"testdata/c/empty.c"})
	for _, shdrs := range []bool{true, false} {
		if !shdrs {
			removeSectionHeaders(t, bin)
		}
		ef, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ef, nil); !errors.Is(err, ErrNoTable) {
			t.Errorf("Open(C binary, section headers %v) = %v; want ErrNoTable", shdrs, err)
		}
		ef.Close()
	}
}

// TestGoTableCompile names every function of the Go toolchain's compile
// binary (tens of thousands of functions, heavy inlining) at its start and
// in its middle, as its symbol table does. The symbol table spells assembly
// functions with an ".abi0" suffix and some names with "." where the
// pclntab has "·"; the pclntab's spelling is the one returned. Then it
// compares every function with debug/gosym, as TestGoTableGosym does.
func TestGoTableCompile(t *testing.T) {
	ef, tab := openGoTable(t, goCompilePath(t))
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	text := ef.Section(".text")
	var dst []Frame
	n, bad := 0, 0
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size == 0 || s.Value < text.Addr || s.Value >= text.Addr+text.Size {
			continue
		}
		want := goSymName(s.Name)
		for _, pc := range []uint64{s.Value, s.Value + s.Size/2} {
			n++
			var ok bool
			dst, ok = tab.Lookup(pc, pc != s.Value, dst[:0], nil)
			if !ok || goSymName(dst[len(dst)-1].Function) != want {
				if bad++; bad <= 10 {
					t.Errorf("lookup(%#x) = %+v, %v; symtab: %s", pc, dst, ok, s.Name)
				}
			}
		}
	}
	t.Logf("%d addresses, %d functions in the pclntab", n, tab.nfunc)
	if bad > 0 || n < 20000 {
		t.Errorf("%d of %d names differ", bad, n)
	}
	checkGosym(t, tab, gosymTable(t, ef).Table)
}

// goSymName spells a Go symbol as its pclntab name would be compared.
func goSymName(s string) string {
	return strings.ReplaceAll(strings.TrimSuffix(s, ".abi0"), "·", ".")
}

// TestGoTableCacheAgrees looks up every address of the inlining program's
// functions with a pc-value cache, in address order and shuffled, and
// compares with lookups that decode from the entry each time.
func TestGoTableCacheAgrees(t *testing.T) {
	_, tab := openGoTable(t, buildGo(t, t.TempDir(), goVariants[1]))
	var pcs []uint64
	for i := 0; i < tab.nfunc; i++ {
		for pc := tab.entry(i); pc < tab.entry(i+1); pc++ {
			pcs = append(pcs, pc)
		}
	}
	want := make([][]Frame, len(pcs))
	for i, pc := range pcs {
		want[i], _ = tab.Lookup(pc, true, nil, nil)
	}
	check := func(order string) {
		cache := Cache{Copy: true} // as for a mapped table
		var dst []Frame
		bad := 0
		for i, pc := range pcs {
			if dst, _ = tab.Lookup(pc, true, dst[:0], &cache); !slices.Equal(dst, want[i]) {
				if bad++; bad <= 5 {
					t.Errorf("%s: lookup(%#x) = %v; want %v", order, pc, dst, want[i])
				}
			}
		}
	}
	check("ascending")
	r := rand.New(rand.NewPCG(1, 1))
	r.Shuffle(len(pcs), func(i, j int) { pcs[i], pcs[j] = pcs[j], pcs[i]; want[i], want[j] = want[j], want[i] })
	check("shuffled")
}

// TestGoTableConcurrent looks up from several goroutines at once: the table
// is immutable after Open (run with -race).
func TestGoTableConcurrent(t *testing.T) {
	_, tab := openGoTable(t, buildGo(t, t.TempDir(), goVariants[1]))
	want := make([][]Frame, tab.nfunc)
	for i := range want {
		want[i], _ = tab.Lookup(tab.entry(i)+1, true, nil, nil)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			var dst []Frame
			for i := range want {
				if dst, _ = tab.Lookup(tab.entry(i)+1, true, dst[:0], nil); !slices.Equal(dst, want[i]) {
					t.Errorf("lookup(%#x) = %v; want %v", tab.entry(i)+1, dst, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
