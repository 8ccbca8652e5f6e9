package cfi

import (
	"encoding/binary"
)

// sectionBuilder writes .eh_frame entries by hand, for the tests of bad
// input and the fuzz seeds.
type sectionBuilder struct{ b []byte }

// uleb appends an unsigned LEB128 number.
func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// entry appends a length and the body, and returns the entry's offset.
func (s *sectionBuilder) entry(body []byte) int {
	off := len(s.b)
	s.b = binary.LittleEndian.AppendUint32(s.b, uint32(len(body)))
	s.b = append(s.b, body...)
	return off
}

// cie appends a "zR" CIE (version, FDE pointers pcrel sdata4, code
// alignment 1, data alignment -8, return address in column 16) with the
// instructions, and returns its offset.
func (s *sectionBuilder) cie(version byte, aug string, augData, ins []byte) int {
	body := []byte{0, 0, 0, 0, version}
	body = append(append(body, aug...), 0)
	body = append(body, 1, 0x78, 16)
	if aug != "" && aug[0] == 'z' {
		body = append(uleb(body, uint64(len(augData))), augData...)
	}
	return s.entry(append(body, ins...))
}

// fde appends an FDE of the CIE at cieOff for [begin, begin+size) of a
// section at address 0 (pcrel sdata4), with the instructions.
func (s *sectionBuilder) fde(cieOff int, begin, size uint32, ins []byte) int {
	at := len(s.b) + 4 // the CIE pointer's offset
	body := binary.LittleEndian.AppendUint32(nil, uint32(at-cieOff))
	body = binary.LittleEndian.AppendUint32(body, begin-uint32(at+4))
	body = binary.LittleEndian.AppendUint32(body, size)
	body = append(body, 0) // no augmentation data
	return s.entry(append(body, ins...))
}

// standardCIE is the initial rule of x86-64 compilers: CFA = rsp+8, the
// return address at CFA-8.
var standardCIE = []byte{cfaDefCFA, 7, 8, cfaOffset | 16, 1}

// validSection is a small well-formed .eh_frame: a function at 0x1000
// that pushes rbp, moves rsp to rbp, and pops it.
func validSection() []byte {
	var s sectionBuilder
	c := s.cie(1, "zR", []byte{0x1b}, standardCIE)
	s.fde(c, 0x1000, 0x20, []byte{
		cfaAdvanceLoc | 1, cfaDefCFAOffset, 16, cfaOffset | 6, 2,
		cfaAdvanceLoc | 3, cfaDefCFARegister, 6,
		cfaAdvanceLoc4, 0x10, 0, 0, 0, cfaDefCFA, 7, 8,
	})
	return append(s.b, 0, 0, 0, 0)
}
