package cfi

// Pointer encodings (DW_EH_PE_*) of the LSB's .eh_frame description: the
// low nibble is the format, the next three bits what the value is relative
// to, and the top bit an indirection through memory.
const (
	peAbsptr  = 0x00
	peULEB128 = 0x01
	peUdata2  = 0x02
	peUdata4  = 0x03
	peUdata8  = 0x04
	peSLEB128 = 0x09
	peSdata2  = 0x0a
	peSdata4  = 0x0b
	peSdata8  = 0x0c

	pePCRel   = 0x10
	peTextRel = 0x20
	peDataRel = 0x30

	peIndirect = 0x80
	peOmit     = 0xff
)

// bases are the addresses that relative pointer encodings add to: the
// section being read (for pcrel, the address of the field itself), .text,
// and .got (datarel on x86-64), with a reader of the file's memory image
// for indirect pointers. A zero base or nil memory makes an encoding using
// it an error.
type bases struct {
	section uint64
	text    uint64
	data    uint64
	memory  func(addr uint64) (uint64, bool)
}

// pointer reads a pointer in encoding enc. A pc_range is read with
// relative set to false: only its format applies.
func (r *reader) pointer(enc uint8, b *bases, relative bool) uint64 {
	if enc == peOmit {
		return 0
	}
	at := b.section + uint64(r.off)
	var v uint64
	switch enc & 0x0f {
	case peAbsptr, peUdata8, peSdata8:
		v = r.u64()
	case peULEB128:
		v = r.uleb()
	case peUdata2:
		v = uint64(r.u16())
	case peUdata4:
		v = uint64(r.u32())
	case peSLEB128:
		v = uint64(r.sleb())
	case peSdata2:
		v = uint64(int64(int16(r.u16())))
	case peSdata4:
		v = uint64(int64(int32(r.u32())))
	default:
		r.fail("pointer encoding %#x has no format %#x", enc, enc&0x0f)
		return 0
	}
	if !relative {
		return v
	}
	switch enc & 0x70 {
	case 0:
	case pePCRel:
		v += at
	case peTextRel:
		if b.text == 0 {
			r.fail("textrel pointer (encoding %#x) without a .text", enc)
			return 0
		}
		v += b.text
	case peDataRel:
		if b.data == 0 {
			r.fail("datarel pointer (encoding %#x) without a base", enc)
			return 0
		}
		v += b.data
	default:
		// funcrel and aligned never occur in x86-64 CIEs and FDEs.
		r.fail("pointer encoding %#x: relation %#x not supported", enc, enc&0x70)
		return 0
	}
	if enc&peIndirect != 0 {
		if b.memory == nil {
			r.fail("indirect pointer (encoding %#x) without the file's memory", enc)
			return 0
		}
		m, ok := b.memory(v)
		if !ok {
			r.fail("indirect pointer to %#x outside the file", v)
			return 0
		}
		v = m
	}
	return v
}

// validEncoding reports whether enc is one pointer reads.
func validEncoding(enc uint8) bool {
	if enc == peOmit {
		return true
	}
	switch enc & 0x0f {
	case peAbsptr, peULEB128, peUdata2, peUdata4, peUdata8, peSLEB128, peSdata2, peSdata4, peSdata8:
	default:
		return false
	}
	return enc&0x70 <= peDataRel
}
