package gopclntab

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
)

// goMaxSegment bounds the bytes of one PT_LOAD segment read to find a
// pclntab or a moduledata in a file without section headers.
const goMaxSegment = 1 << 30

// goSegments returns the contents of ef's PT_LOAD segments that are
// writable (or not), with their addresses, for files without section
// headers.
func goSegments(ef *elf.File, writable bool) (data [][]byte, addrs []uint64) {
	for _, p := range ef.Progs {
		if p.Type != elf.PT_LOAD || (p.Flags&elf.PF_W != 0) != writable || p.Filesz > goMaxSegment {
			continue
		}
		b, err := io.ReadAll(io.NewSectionReader(p, 0, int64(p.Filesz)))
		if err != nil || len(b) == 0 {
			continue
		}
		data, addrs = append(data, b), append(addrs, p.Vaddr)
	}
	return data, addrs
}

// findGoSegment finds the pclntab of a file whose section headers are gone
// (sstrip, or cut off): in a read-only PT_LOAD segment, at an 8-aligned
// header that parses and whose tables come in the linker's order. It
// returns the segment, its address and the pclntab's offset in it.
func findGoSegment(ef *elf.File) (seg []byte, addr uint64, off int, ok bool) {
	segs, addrs := goSegments(ef, false)
	for i, b := range segs {
		for _, magic := range []uint32{goMagic120, goMagic118, goMagic116} {
			var pat [4]byte
			ef.ByteOrder.PutUint32(pat[:], magic)
			for at := 0; ; {
				n := bytes.Index(b[at:], pat[:])
				if n < 0 {
					break
				}
				at += n
				if at%8 == 0 && goPlausibleHeader(b[at:], ef.ByteOrder) {
					return b, addrs[i], at, true
				}
				at++
			}
		}
	}
	return nil, 0, 0, false
}

// goPlausibleHeader reports whether data starts with a pclntab header whose
// tables are in order (funcnametab, cutab, filetab, pctab, functab) and
// whose first functions are sorted.
func goPlausibleHeader(data []byte, order binary.ByteOrder) bool {
	t, err := parseGoHeader(data, order)
	if err != nil || t.nfunc == 0 {
		return false
	}
	tabs := [][]byte{t.names, t.cutab, t.files, t.pctab, t.funcs}
	for i := 1; i < len(tabs); i++ {
		if len(tabs[i]) > len(tabs[i-1]) {
			return false
		}
	}
	return t.raw(0) <= t.raw(1)
}
