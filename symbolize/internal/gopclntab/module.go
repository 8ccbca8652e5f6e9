package gopclntab

import (
	"debug/elf"
)

// Word indexes in runtime.moduledata (runtime/symtab.go) of the fields read
// here: pcHeader; funcnametab, cutab, filetab, pctab, pclntable, ftab (three
// words each); findfunctab, minpc, maxpc, text, ..., rodata, gofunc, where
// gofunc moved (goLayout.modGofunc) when Go 1.20 added covctrs.
const (
	goModPCHeader   = 0
	goModFuncnames  = 1
	goModText       = 22
	goMaxModuleScan = 64 << 20 // bytes of .noptrdata/.data searched for the moduledata
)

// goModule is what this package reads from a Go binary's
// runtime.firstmoduledata; ok is false when it was not found.
type goModule struct {
	text, gofunc uint64
	ok           bool
}

// findGoModule finds runtime.firstmoduledata: Go 1.26 puts it in its own
// .go.module section; before, it is in .noptrdata, and found by looking for
// its first words, which point to the pclntab and its funcnametab (in the
// writable segments when the file has no section headers). It reads
// the layouts of Go 1.18 and later.
func findGoModule(ef *elf.File, t *Table, pclntab uint64) goModule {
	if t.layout.modGofunc == 0 {
		return goModule{}
	}
	for _, name := range []string{".go.module", ".noptrdata", ".data"} {
		sec := ef.Section(name)
		if sec == nil || sec.Type != elf.SHT_PROGBITS || sec.Size > goMaxModuleScan {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		if m, ok := t.scanModule(data, pclntab); ok {
			return m
		}
	}
	if len(ef.Sections) == 0 {
		segs, _ := goSegments(ef, true)
		for _, data := range segs {
			if m, ok := t.scanModule(data, pclntab); ok {
				return m
			}
		}
	}
	return goModule{}
}

// scanModule looks in data, at pointer-aligned offsets, for a moduledata
// whose pcHeader is pclntab and whose funcnametab is where the header says.
func (t *Table) scanModule(data []byte, pclntab uint64) (goModule, bool) {
	ptr := t.ptrSize
	names := pclntab + t.namesOff
	for off := 0; off+(t.layout.modGofunc+1)*ptr <= len(data); off += ptr {
		w := func(i int) uint64 { v, _ := goWord(data, off+i*ptr, ptr, t.order); return v }
		if w(goModPCHeader) == pclntab && w(goModFuncnames) == names {
			return goModule{text: w(goModText), gofunc: w(t.layout.modGofunc), ok: true}, true
		}
	}
	return goModule{}, false
}

// goTextStart returns the link-time address of runtime.text, which functab
// offsets are relative to: from the moduledata, else the runtime.text symbol,
// else the pclntab header (zero since Go 1.26), else the .text section's
// address (wrong in cgo binaries, where C code comes first).
func goTextStart(ef *elf.File, mod goModule, syms *goSymbols, t *Table) uint64 {
	if mod.ok {
		return mod.text
	}
	if v, ok := syms.get("runtime.text"); ok {
		return v
	}
	if t.textStart != 0 {
		return t.textStart
	}
	if sec := ef.Section(".text"); sec != nil {
		return sec.Addr
	}
	return 0
}

// goFuncBytes returns the bytes from moduledata.gofunc (the symbol
// gofuncSym) to the end of the section or segment that holds it:
// funcdata offsets, and so the inline trees, are relative to it. It is in
// .gopclntab in Go 1.26 and in .rodata in 1.19 to 1.24. data, at addr, is
// what the caller has read already (the pclntab's section or segment);
// goFuncBytes returns nil when gofunc is unknown, and the bytes it read
// besides data.
func goFuncBytes(ef *elf.File, sections Sections, mod goModule, syms *goSymbols, gofuncSym string, addr uint64, data []byte) ([]byte, int64) {
	gofunc := mod.gofunc
	if !mod.ok {
		v, ok := syms.get(gofuncSym)
		if !ok {
			return nil, 0
		}
		gofunc = v
	}
	if gofunc >= addr && gofunc-addr < uint64(len(data)) {
		return data[gofunc-addr:], 0
	}
	for _, sec := range ef.Sections {
		if sec.Type != elf.SHT_PROGBITS || sec.Flags&elf.SHF_COMPRESSED != 0 || sec.Size > 1<<40 ||
			gofunc < sec.Addr || gofunc-sec.Addr >= sec.Size {
			continue
		}
		b, err := sections.Section(sec, gofunc-sec.Addr)
		if err != nil || len(b) == 0 {
			return nil, 0
		}
		return b, int64(cap(b))
	}
	return nil, 0
}

// goSymbols reads the few symbols wanted from .symtab, once, and only if a
// caller asks: a big binary's symbol table is slow to read.
type goSymbols struct {
	ef   *elf.File
	done bool
	vals map[string]uint64
}

// get returns the value of the symbol name, reporting false when the file
// has no such symbol (or no .symtab, as after -ldflags=-s).
func (s *goSymbols) get(name string) (uint64, bool) {
	if !s.done {
		s.done = true
		s.vals = map[string]uint64{}
		syms, _ := s.ef.Symbols()
		for _, sym := range syms {
			if sym.Name == "runtime.text" || sym.Name == "go:func.*" || sym.Name == "go.func.*" {
				s.vals[sym.Name] = sym.Value
			}
		}
	}
	v, ok := s.vals[name]
	return v, ok
}
