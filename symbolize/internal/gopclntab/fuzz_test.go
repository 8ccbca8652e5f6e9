package gopclntab

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"testing"
)

// FuzzGoTable reads mutated pclntabs: from the synthetic tables of each
// layout and the real one of testdata/go/inl (with its go:func.* offset, so
// inline trees are reached). Nothing may panic or hang. The real seed is
// large: fuzz with -fuzzminimizetime=5s or so, or minimizing stalls the run.
func FuzzGoTable(f *testing.F) {
	for _, magic := range []uint32{goMagic116, goMagic118, goMagic120} {
		f.Add(goSynthPclntab(magic, goSynthFuncs), uint32(0))
	}
	ef, tab := openGoTable(f, buildGo(f, f.TempDir(), goVariants[1]))
	sec := ef.Section(".gopclntab")
	data, err := sec.Data()
	if err != nil {
		f.Fatal(err)
	}
	mod := findGoModule(ef, tab, sec.Addr)
	if !mod.ok || mod.gofunc < sec.Addr || mod.gofunc-sec.Addr >= uint64(len(data)) {
		f.Fatalf("go:func.* %#x is not in .gopclntab", mod.gofunc)
	}
	f.Add(data, uint32(mod.gofunc-sec.Addr))
	f.Fuzz(func(t *testing.T, data []byte, gofunc uint32) {
		tab, err := parseGoHeader(data, binary.LittleEndian)
		if err != nil {
			return
		}
		if tab.layout.inlSize != 0 && uint64(gofunc) < uint64(len(data)) {
			tab.gofunc = data[gofunc:]
		}
		exerciseGoTable(tab)
	})
}

// exerciseGoTable looks up addresses around the first functions of tab and
// at the edges of the address space.
func exerciseGoTable(tab *Table) {
	var dst []Frame
	var cache Cache
	for _, pc := range []uint64{0, tab.textStart, ^uint64(0)} {
		dst, _ = tab.Lookup(pc, true, dst[:0], nil)
	}
	for i := 0; i < tab.nfunc && i < 256; i++ {
		e := tab.entry(i)
		for _, pc := range []uint64{e - 1, e, e + 1, e + 7, e + 64, tab.entry(i+1) - 1} {
			dst, _ = tab.Lookup(pc, true, dst[:0], nil)
			dst, _ = tab.Lookup(pc, true, dst[:0], &cache)
			dst, _ = tab.Lookup(pc, false, dst[:0], nil)
		}
	}
}

// TestGoTableMalformedELF reads a real stripped cgo binary cut short and
// with its moduledata and pclntab corrupted: Open must return an
// error or a table whose lookups neither panic nor hang.
func TestGoTableMalformedELF(t *testing.T) {
	bin, err := os.ReadFile(buildGo(t, t.TempDir(), goVariants[3]))
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	pcln, mod := ef.Section(".gopclntab"), ef.Section(".go.module")
	if pcln == nil || mod == nil {
		t.Fatal("no .gopclntab or .go.module")
	}
	var inputs [][]byte
	for _, cut := range []uint64{pcln.Offset + 4, pcln.Offset + 100, pcln.Offset + pcln.Size/2, mod.Offset + 8, uint64(len(bin)) - 1} {
		inputs = append(inputs, bin[:cut])
	}
	corrupt := func(off uint64, v uint64) {
		b := append([]byte(nil), bin...)
		binary.LittleEndian.PutUint64(b[off:], v)
		inputs = append(inputs, b)
	}
	for _, w := range []int{goModText, goLayout120.modGofunc} {
		for _, v := range []uint64{0, 1, ^uint64(0), pcln.Addr + pcln.Size - 1} {
			corrupt(mod.Offset+8*uint64(w), v)
		}
	}
	// Every 4 KiB of the pclntab, including the inline trees at its end.
	for off := uint64(64); off < pcln.Size-8; off += 4096 {
		corrupt(pcln.Offset+off, 0xfff0_00ff_7fff_8001)
	}
	// And each without section headers, to search the segments.
	for _, b := range inputs { // the range is the inputs so far
		if len(b) >= 0x40 {
			b = append([]byte(nil), b...)
			clear(b[0x28:0x30])
			clear(b[0x3c:0x40])
			inputs = append(inputs, b)
		}
	}
	for i, b := range inputs {
		ef, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			continue
		}
		if tab, err := Open(ef, nil); err == nil {
			exerciseGoTable(tab)
		} else if i >= 5 {
			t.Logf("input %d: %v", i, err)
		}
	}
}
