package gopclntab

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

// ErrNoTable says that an ELF file has no Go pclntab (.gopclntab): it is
// not a Go binary, or not one that this package can read.
var ErrNoTable = errors.New("gopclntab: no Go pclntab")

// Magic numbers at the start of a pclntab, one per format.
const (
	goMagic116 = 0xfffffffa // Go 1.16 and 1.17
	goMagic118 = 0xfffffff0 // Go 1.18 and 1.19
	goMagic120 = 0xfffffff1 // Go 1.20 and later
)

// The pcdata and funcdata indexes used here (internal/abi/symtab.go).
const (
	goPCDataInlTreeIndex = 2
	goFuncDataInlTree    = 3
	goMaxInlineDepth     = 64 // compile, the deepest seen, has 7
	goNoFuncData         = ^uint32(0)
)

// goLayout gives what moved between pclntab formats: the byte offsets of
// the _func fields read here; for Go 1.18+, those of the inlinedCall
// fields (an inline tree's entries) and the word of runtime.moduledata that
// holds gofunc, and the name of the go:func.* symbol. inlSize is 0 when
// inline trees are not read (Go 1.16).
type goLayout struct {
	nameOff, pcfile, pcln, npcdata, cuOffset, nfuncdata, size int

	inlSize, inlName, inlParentPC int
	modGofunc                     int
	gofuncSym                     string
}

var (
	goLayout116 = goLayout{nameOff: 8, pcfile: 24, pcln: 28, npcdata: 32, cuOffset: 36, nfuncdata: 43, size: 44}
	// inlinedCall{parent int16; funcID u8; _ u8; file, line, func_, parentPc int32}
	goLayout118 = goLayout{nameOff: 4, pcfile: 20, pcln: 24, npcdata: 28, cuOffset: 32, nfuncdata: 39, size: 40,
		inlSize: 20, inlName: 12, inlParentPC: 16, modGofunc: 38, gofuncSym: "go.func.*"}
	// inlinedCall{funcID u8; _ [3]u8; nameOff, parentPc, startLine int32}
	goLayout120 = goLayout{nameOff: 4, pcfile: 20, pcln: 24, npcdata: 28, cuOffset: 32, nfuncdata: 43, size: 44,
		inlSize: 16, inlName: 4, inlParentPC: 8, modGofunc: 40, gofuncSym: "go:func.*"}
)

// Table names addresses in a Go binary's text from its pclntab: function
// names, files and lines, and the calls the compiler inlined. It decodes one
// function at a time, when a lookup needs it, so loading costs one read of
// the .gopclntab section and little else. A Table is immutable after
// [Open] and safe for concurrent use.
//
// The names and files of the frames it returns share memory with the table
// (no copy, no allocation per lookup); the table's bytes are never modified.
type Table struct {
	order     binary.ByteOrder
	big       bool // order is big-endian
	ptrSize   int
	namesOff  uint64 // offset of funcnametab from the start of the pclntab
	quantum   uint64 // instruction size quantum (minLC)
	textStart uint64 // link-time address of runtime.text
	layout    goLayout
	absolute  bool // Go 1.16: functab holds addresses, not offsets from textStart

	nfunc     int
	ftabEntry int      // size of one functab entry: two uint32, or two pointers (1.16)
	ftab      []byte   // functab: nfunc+1 entries, the last one marks the end of text
	funcs     []byte   // pclntable: the _func records are at offsets into it
	names     []byte   // funcnametab
	cutab     []byte   // cutab: per compilation unit, uint32 offsets into filetab
	files     []byte   // filetab
	pctab     []byte   // pc-value tables
	buckets   []uint32 // functab index by 4 KiB of text: see indexBuckets

	// gofunc holds the bytes from moduledata.gofunc on: funcdata offsets
	// (the inline trees) are relative to its start. It is nil when the
	// format has no gofunc (Go 1.16) or it could not be found; then lookups
	// give no inlined frames.
	gofunc []byte

	size int64
}

// Open reads the pclntab of ef, through sections, which maps it from the
// file when it can; nil reads it into the heap. It returns an error
// wrapping [ErrNoTable] when ef has no .gopclntab section (it is not a Go
// binary) or one of a format older than Go 1.16, and another error when the
// section is unreadable or malformed. A file without section headers is
// searched for a pclntab in its read-only segments.
func Open(ef *elf.File, sections Sections) (*Table, error) {
	if sections == nil {
		sections = readSections{}
	}
	// data is the pclntab, at addr; region, at regionAddr, holds it: the
	// section, or the segment.
	var data, region []byte
	var addr, regionAddr uint64
	if sec := ef.Section(".gopclntab"); sec != nil && sec.Type != elf.SHT_NOBITS {
		var err error
		if data, err = sections.Section(sec, 0); err != nil {
			return nil, fmt.Errorf("gopclntab: reading .gopclntab: %w", err)
		}
		region, addr, regionAddr = data, sec.Addr, sec.Addr
	} else if len(ef.Sections) == 0 {
		seg, segAddr, off, ok := findGoSegment(ef)
		if !ok {
			return nil, ErrNoTable
		}
		data, region, addr, regionAddr = seg[off:], seg, segAddr+uint64(off), segAddr
	} else {
		return nil, ErrNoTable
	}
	t, err := parseGoHeader(data, ef.ByteOrder)
	if err != nil {
		return nil, err
	}
	mod := findGoModule(ef, t, addr)
	syms := &goSymbols{ef: ef}
	if !t.absolute { // Go 1.16's functab holds addresses
		t.textStart = goTextStart(ef, mod, syms, t)
	}
	var extra int64
	if t.layout.inlSize != 0 {
		t.gofunc, extra = goFuncBytes(ef, sections, mod, syms, t.layout.gofuncSym, regionAddr, region)
	}
	t.size = int64(len(region)) + extra + int64(unsafe.Sizeof(*t)) + 4*int64(len(t.buckets))
	return t, nil
}

// parseGoHeader checks the pclntab header and slices the tables it points to.
func parseGoHeader(data []byte, order binary.ByteOrder) (*Table, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("gopclntab: %d bytes, too short", len(data))
	}
	ptr := int(data[7])
	t := &Table{order: order, big: order == binary.BigEndian, quantum: uint64(data[6]), ptrSize: ptr}
	magic := order.Uint32(data)
	if data[4] != 0 || data[5] != 0 || (ptr != 4 && ptr != 8) || t.quantum == 0 {
		return nil, errors.New("gopclntab: bad header")
	}
	// Header words after the first 8 bytes: nfunc, nfiles, [textStart],
	// funcname, cu, filetab, pctab, pcln offsets.
	first := 2 // index of the funcname offset
	switch magic {
	case goMagic120:
		t.layout, first = goLayout120, 3
	case goMagic118:
		t.layout, first = goLayout118, 3
	case goMagic116:
		if ptr != 8 {
			return nil, errors.New("gopclntab: Go 1.16 tables are read for 64-bit binaries only")
		}
		t.layout, t.absolute = goLayout116, true
	default:
		return nil, fmt.Errorf("%w: magic %#x: not a pclntab of Go 1.16 or later, the ones read here", ErrNoTable, magic)
	}
	words := make([]uint64, first+5)
	for i := range words {
		w, ok := goWord(data, 8+i*ptr, ptr, order)
		if !ok {
			return nil, errors.New("gopclntab: truncated header")
		}
		words[i] = w
	}
	if words[0] > uint64(len(data)) {
		return nil, fmt.Errorf("gopclntab: %d functions in %d bytes", words[0], len(data))
	}
	t.nfunc = int(words[0])
	if first == 3 {
		t.textStart = words[2] // zero since Go 1.26: goTextStart finds it elsewhere
	}
	tabs := make([][]byte, 5)
	for i := range tabs {
		off := words[first+i]
		if off > uint64(len(data)) {
			return nil, fmt.Errorf("gopclntab: table %d at %#x is past the end (%#x)", i, off, len(data))
		}
		tabs[i] = data[off:]
	}
	t.namesOff = words[first]
	t.names, t.cutab, t.files, t.pctab, t.funcs = tabs[0], tabs[1], tabs[2], tabs[3], tabs[4]
	t.ftabEntry = 8
	if t.absolute {
		t.ftabEntry = 2 * ptr
	}
	n := (t.nfunc + 1) * t.ftabEntry
	if n > len(t.funcs) {
		return nil, fmt.Errorf("gopclntab: functab of %d functions is truncated", t.nfunc)
	}
	t.ftab = t.funcs[:n]
	t.indexBuckets()
	return t, nil
}

// goWord reads a ptr-byte unsigned word at off, reporting false when it is
// out of bounds.
func goWord(b []byte, off, ptr int, order binary.ByteOrder) (uint64, bool) {
	if off < 0 || off > len(b)-ptr {
		return 0, false
	}
	if ptr == 4 {
		return uint64(order.Uint32(b[off:])), true
	}
	return order.Uint64(b[off:]), true
}

// SizeBytes returns the memory the table holds, for a cache's accounting.
func (t *Table) SizeBytes() int64 { return t.size }

// u32 reads a uint32 in the table's byte order (a method call through
// binary.ByteOrder costs more than the lookup's arithmetic).
func (t *Table) u32(b []byte) uint32 {
	if t.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// raw returns functab entry i's start as stored: an offset from textStart,
// or an address in Go 1.16.
func (t *Table) raw(i int) uint64 {
	if t.absolute {
		w, _ := goWord(t.ftab, i*t.ftabEntry, t.ptrSize, t.order)
		return w
	}
	return uint64(t.u32(t.ftab[i*8:]))
}

// entry returns the link-time address at which functab entry i starts.
func (t *Table) entry(i int) uint64 {
	if t.absolute {
		return t.raw(i)
	}
	return t.textStart + t.raw(i)
}

// funcOff returns the offset in t.funcs of functab entry i's _func.
func (t *Table) funcOff(i int) uint64 {
	if t.absolute {
		w, _ := goWord(t.ftab, i*t.ftabEntry+t.ptrSize, t.ptrSize, t.order)
		return w
	}
	return uint64(t.u32(t.ftab[i*8+4:]))
}

// goBucketShift sets the span of text, 4 KiB, that one bucket of the
// functab index covers.
const goBucketShift = 12

// indexBuckets builds t.buckets: for each 4 KiB of text from the first
// function, the functab index of the function holding its first byte, so
// that findFunc searches a few entries instead of all. A functab too sparse
// for its span (malformed) gets no index.
func (t *Table) indexBuckets() {
	if t.nfunc == 0 {
		return
	}
	first, end := t.raw(0), t.raw(t.nfunc)
	if end < first || (end-first)>>goBucketShift > uint64(2*t.nfunc+1024) {
		return
	}
	t.buckets = make([]uint32, (end-first)>>goBucketShift+2)
	i := 0
	for k := range t.buckets {
		start := first + uint64(k)<<goBucketShift
		for i+1 < t.nfunc && t.raw(i+1) <= start {
			i++
		}
		t.buckets[k] = uint32(i)
	}
}

// findFunc returns the functab index of the function whose range holds pc,
// and false when pc is outside Go's text.
func (t *Table) findFunc(pc uint64) (int, bool) {
	r := pc
	if !t.absolute {
		if pc < t.textStart {
			return 0, false
		}
		r = pc - t.textStart
	}
	if t.nfunc == 0 || r < t.raw(0) || r >= t.raw(t.nfunc) {
		return 0, false
	}
	// Entries are sorted: find the last one at or before r.
	lo, hi := 0, t.nfunc
	if b := (r - t.raw(0)) >> goBucketShift; b+1 < uint64(len(t.buckets)) {
		lo, hi = int(t.buckets[b]), int(t.buckets[b+1])+1
	}
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if t.raw(m) <= r {
			lo = m
		} else {
			hi = m
		}
	}
	return lo, true
}
