package gopclntab

import (
	"encoding/binary"
	"errors"
	"testing"
)

// goSynthFunc is a function of a synthetic pclntab: size bytes of code, all on
// one line of one file.
type goSynthFunc struct {
	name, file string
	line, size int
}

// goSynthText is where synthetic tables put their text.
const goSynthText = 0x401000

// goSynthPclntab writes a small little-endian 64-bit pclntab in the layout of
// magic (Go 1.16, 1.18 or 1.20+), with the header's textStart set as the
// linker did before Go 1.26. It lets the tests reach the older layouts,
// which no toolchain here writes, and seeds the fuzz target.
func goSynthPclntab(magic uint32, funcs []goSynthFunc) []byte {
	le := binary.LittleEndian
	layout, words := goLayout120, 8
	switch magic {
	case goMagic118:
		layout = goLayout118
	case goMagic116:
		layout, words = goLayout116, 7
	}
	var names, files, cutab []byte
	pctab := []byte{0} // offset 0 means no table
	type offs struct{ name, pcfile, pcln uint32 }
	var fo []offs
	for i, f := range funcs {
		var o offs
		o.name = uint32(len(names))
		names = append(append(names, f.name...), 0)
		cutab = le.AppendUint32(cutab, uint32(len(files)))
		files = append(append(files, f.file...), 0)
		// pcfile: file number i from entry to the end; pcln: f.line.
		o.pcfile = uint32(len(pctab))
		pctab = binary.AppendUvarint(pctab, uint64(2*(i+1)))
		pctab = append(binary.AppendUvarint(pctab, uint64(f.size)), 0)
		o.pcln = uint32(len(pctab))
		pctab = binary.AppendUvarint(pctab, uint64(2*(f.line+1)))
		pctab = append(binary.AppendUvarint(pctab, uint64(f.size)), 0)
		fo = append(fo, o)
	}
	// functab then the _func records.
	ent := 8
	if magic == goMagic116 {
		ent = 16
	}
	ftab := make([]byte, (len(funcs)+1)*ent)
	pc := uint64(0)
	for i, f := range funcs {
		rec := make([]byte, layout.size)
		if magic == goMagic116 {
			le.PutUint64(ftab[i*ent:], goSynthText+pc)
			le.PutUint64(ftab[i*ent+8:], uint64(len(ftab)))
			le.PutUint64(rec, goSynthText+pc)
		} else {
			le.PutUint32(ftab[i*ent:], uint32(pc))
			le.PutUint32(ftab[i*ent+4:], uint32(len(ftab)))
			le.PutUint32(rec, uint32(pc))
		}
		le.PutUint32(rec[layout.nameOff:], fo[i].name)
		le.PutUint32(rec[layout.pcfile:], fo[i].pcfile)
		le.PutUint32(rec[layout.pcln:], fo[i].pcln)
		le.PutUint32(rec[layout.cuOffset:], 0)
		ftab = append(ftab, rec...)
		pc += uint64(f.size)
	}
	end := len(funcs) * ent
	if magic == goMagic116 {
		le.PutUint64(ftab[end:], goSynthText+pc)
	} else {
		le.PutUint32(ftab[end:], uint32(pc))
	}
	hdr := make([]byte, 8+8*words)
	le.PutUint32(hdr, magic)
	hdr[6], hdr[7] = 1, 8
	w := []uint64{uint64(len(funcs)), uint64(len(funcs))}
	if magic != goMagic116 {
		w = append(w, goSynthText)
	}
	off := uint64(len(hdr))
	for _, tab := range [][]byte{names, cutab, files, pctab, ftab} {
		w = append(w, off)
		off += uint64(len(tab))
	}
	for i, v := range w {
		le.PutUint64(hdr[8+8*i:], v)
	}
	out := hdr
	for _, tab := range [][]byte{names, cutab, files, pctab, ftab} {
		out = append(out, tab...)
	}
	return out
}

var goSynthFuncs = []goSynthFunc{
	{"main.main", "/src/main.go", 10, 0x40},
	{"main.(*T).run", "/src/t.go", 20, 0x25},
	{"runtime.goexit", "/go/asm_amd64.s", 1700, 0x10},
}

// TestGoTableLayouts reads synthetic pclntabs of each layout.
func TestGoTableLayouts(t *testing.T) {
	for _, magic := range []uint32{goMagic116, goMagic118, goMagic120} {
		tab, err := parseGoHeader(goSynthPclntab(magic, goSynthFuncs), binary.LittleEndian)
		if err != nil {
			t.Fatalf("%#x: %v", magic, err)
		}
		pc := uint64(goSynthText)
		for _, f := range goSynthFuncs {
			for _, at := range []uint64{pc, pc + uint64(f.size) - 1} {
				got, ok := tab.Lookup(at, true, nil, nil)
				want := Frame{Function: f.name, File: f.file, Line: f.line}
				if !ok || len(got) != 1 || got[0] != want {
					t.Errorf("%#x: lookup(%#x) = %+v, %v; want %+v", magic, at, got, ok, want)
				}
			}
			pc += uint64(f.size)
		}
		if got, ok := tab.Lookup(pc, true, nil, nil); ok {
			t.Errorf("%#x: lookup(%#x) past the end = %+v", magic, pc, got)
		}
	}
}

// TestGoTableBadHeaders checks that broken or old headers give errors.
func TestGoTableBadHeaders(t *testing.T) {
	good := goSynthPclntab(goMagic120, goSynthFuncs)
	cases := map[string]func([]byte) []byte{
		"empty":     func(b []byte) []byte { return nil },
		"go1.2":     func(b []byte) []byte { binary.LittleEndian.PutUint32(b, 0xfffffffb); return b },
		"ptrsize":   func(b []byte) []byte { b[7] = 3; return b },
		"quantum":   func(b []byte) []byte { b[6] = 0; return b },
		"header":    func(b []byte) []byte { return b[:40] },
		"nfunc":     func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], 1<<40); return b },
		"offset":    func(b []byte) []byte { binary.LittleEndian.PutUint64(b[32:], 1<<40); return b },
		"functab":   func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], uint64(len(b))); return b },
		"truncated": func(b []byte) []byte { return b[:len(b)-3*44-10] }, // into the functab
	}
	for name, mutate := range cases {
		b := mutate(append([]byte(nil), good...))
		_, err := parseGoHeader(b, binary.LittleEndian)
		if err == nil || errors.Is(err, ErrNoTable) != (name == "go1.2") {
			t.Errorf("%s: error %v; want one wrapping ErrNoTable only for an old Go", name, err)
		}
	}
}
