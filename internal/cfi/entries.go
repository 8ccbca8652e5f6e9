package cfi

import (
	"fmt"
	"slices"
)

// cie is a Common Information Entry: what the FDEs naming it share.
type cie struct {
	offset      uint64 // in the section
	version     uint8
	aug         string
	codeAlign   uint64
	dataAlign   int64
	raColumn    uint64
	fdeEncoding uint8
	lsda        bool // 'L': FDEs carry a pointer to a language-specific area
	signal      bool // 'S': the frames are signal frames
	initial     []byte
}

// fde is a Frame Description Entry: the CFA program for one range of code.
type fde struct {
	offset       uint64 // in the section
	cie          *cie
	eh           bool // in .eh_frame: pointers in the CIE's encoding
	begin, end   uint64
	instructions []byte
}

// frameSection is the raw bytes of a .eh_frame or .debug_frame, with what
// is needed to read its pointers.
type frameSection struct {
	data  []byte
	eh    bool // .eh_frame (CIE ids 0, CIE pointers relative) or .debug_frame
	bases bases
}

// entries splits the section into its CIEs and FDEs, and appends the FDEs
// to fdes, their rows not made. An .eh_frame ends at its zero terminator
// or its end.
func (s *frameSection) entries(fdes []fdeRows) ([]fdeRows, error) {
	cies := map[uint64]*cie{}
	// Room for them all at once: growing by appends allocates several
	// times the final size.
	fdes = slices.Grow(fdes, s.count())
	r := &reader{b: s.data}
	for r.off < len(r.b) {
		start := r.off
		length, is64 := uint64(r.u32()), false
		if length == 0xffffffff {
			length, is64 = r.u64(), true
		}
		if r.err != nil {
			return nil, r.err
		}
		if length == 0 {
			if s.eh {
				break
			}
			continue
		}
		if length > uint64(len(r.b)-r.off) {
			return nil, fmt.Errorf("%w: entry at %#x is %d bytes long, past the section's end", ErrMalformed, start, length)
		}
		end := r.off + int(length)
		body := &reader{b: r.b[:end], off: r.off}
		idAt := body.off
		var id uint64
		if is64 && !s.eh {
			id = body.u64()
		} else {
			id = uint64(body.u32())
		}
		// The CIE id or pointer is 8 bytes in a 64-bit .debug_frame entry,
		// and always 4 in .eh_frame.
		isCIE := s.eh && id == 0 || !s.eh && (id == 0xffffffff || is64 && id == ^uint64(0))
		if isCIE {
			c, err := s.parseCIE(body, uint64(start))
			if err != nil {
				return nil, err
			}
			cies[c.offset] = c
		} else {
			cieOff := id
			if s.eh {
				cieOff = uint64(idAt) - id
			}
			c := cies[cieOff]
			if c == nil {
				if c2, err := s.cieAt(cieOff); err != nil {
					return nil, fmt.Errorf("FDE at %#x: %w", start, err)
				} else {
					c = c2
					cies[cieOff] = c
				}
			}
			f, err := s.parseFDE(body, uint64(start), c)
			if err != nil {
				return nil, err
			}
			fdes = append(fdes, fdeRows{fde: f, section: s})
		}
		r.off = end
	}
	return fdes, nil
}

// count is the number of the section's entries, CIEs and FDEs, found by
// their lengths alone.
func (s *frameSection) count() int {
	n := 0
	r := &reader{b: s.data}
	for r.off < len(r.b) {
		length := uint64(r.u32())
		if length == 0xffffffff {
			length = r.u64()
		}
		if r.err != nil || length > uint64(len(r.b)-r.off) || length == 0 && s.eh {
			break
		}
		r.off += int(length)
		n++
	}
	return n
}

// cieAt parses the CIE at off, for an FDE that names one further on.
func (s *frameSection) cieAt(off uint64) (*cie, error) {
	if off >= uint64(len(s.data)) {
		return nil, fmt.Errorf("%w: CIE pointer %#x outside the section", ErrMalformed, off)
	}
	r := &reader{b: s.data, off: int(off)}
	length, is64 := uint64(r.u32()), false
	if length == 0xffffffff {
		length, is64 = r.u64(), true
	}
	if r.err != nil || length > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("%w: CIE at %#x runs past the section's end", ErrMalformed, off)
	}
	body := &reader{b: r.b[:r.off+int(length)], off: r.off}
	var id uint64
	if is64 && !s.eh {
		id = body.u64()
	} else {
		id = uint64(body.u32())
	}
	if s.eh && id != 0 || !s.eh && id != 0xffffffff && id != ^uint64(0) {
		return nil, fmt.Errorf("%w: entry at %#x is not a CIE", ErrMalformed, off)
	}
	return s.parseCIE(body, off)
}

// parseCIE reads a CIE's fields after its id.
func (s *frameSection) parseCIE(r *reader, offset uint64) (*cie, error) {
	c := &cie{offset: offset, version: r.u8(), fdeEncoding: peAbsptr}
	if r.err == nil && c.version != 1 && c.version != 3 && c.version != 4 {
		return nil, fmt.Errorf("%w: CIE at %#x has version %d (1, 3 and 4 are known)", ErrMalformed, offset, c.version)
	}
	c.aug = r.cstring()
	if c.version == 4 {
		if size := r.u8(); r.err == nil && size != 8 {
			return nil, fmt.Errorf("%w: CIE at %#x has %d-byte addresses (8 on x86-64)", ErrMalformed, offset, size)
		}
		if seg := r.u8(); r.err == nil && seg != 0 {
			return nil, fmt.Errorf("%w: CIE at %#x has segment selectors", ErrMalformed, offset)
		}
	}
	c.codeAlign = r.uleb()
	c.dataAlign = r.sleb()
	if c.version == 1 {
		c.raColumn = uint64(r.u8())
	} else {
		c.raColumn = r.uleb()
	}
	if r.err != nil {
		return nil, fmt.Errorf("CIE at %#x: %w", offset, r.err)
	}
	if c.aug != "" && c.aug[0] == 'z' {
		data := r.block()
		a := &reader{b: data}
		a.off = 0
		base := s.bases
		// pcrel in augmentation data is relative to where it sits.
		base.section += uint64(r.off - len(data))
		for _, ch := range c.aug[1:] {
			switch ch {
			case 'R':
				c.fdeEncoding = a.u8()
				if !validEncoding(c.fdeEncoding) || c.fdeEncoding == peOmit {
					return nil, fmt.Errorf("%w: CIE at %#x: FDE pointer encoding %#x", ErrMalformed, offset, c.fdeEncoding)
				}
			case 'P':
				enc := a.u8()
				if !validEncoding(enc) {
					return nil, fmt.Errorf("%w: CIE at %#x: personality encoding %#x", ErrMalformed, offset, enc)
				}
				// The personality routine's address is not needed to
				// unwind: read it for its length, never follow it.
				a.pointer(enc&^peIndirect, &base, true)
			case 'L':
				c.lsda = true
				if enc := a.u8(); !validEncoding(enc) {
					return nil, fmt.Errorf("%w: CIE at %#x: LSDA encoding %#x", ErrMalformed, offset, enc)
				}
			case 'S':
				c.signal = true
			case 'B', 'G':
				// AArch64's pointer authentication keys and MTE tags
				// carry no data.
			default:
				// The length in 'z' lets unknown letters be skipped.
				a.off = len(a.b)
			}
			if a.err != nil {
				return nil, fmt.Errorf("CIE at %#x augmentation data: %w", offset, a.err)
			}
		}
	} else if c.aug != "" {
		return nil, fmt.Errorf("%w: CIE at %#x: augmentation %q not supported", ErrMalformed, offset, c.aug)
	}
	c.initial = r.take(len(r.b) - r.off)
	if r.err != nil {
		return nil, fmt.Errorf("CIE at %#x: %w", offset, r.err)
	}
	return c, nil
}

// parseFDE reads an FDE's fields after its CIE pointer.
func (s *frameSection) parseFDE(r *reader, offset uint64, c *cie) (fde, error) {
	f := fde{offset: offset, cie: c, eh: s.eh}
	enc := c.fdeEncoding
	if !s.eh {
		enc = peAbsptr
	}
	f.begin = r.pointer(enc, &s.bases, true)
	length := r.pointer(enc&0x0f, &s.bases, false)
	if r.err != nil {
		return fde{}, fmt.Errorf("FDE at %#x: %w", offset, r.err)
	}
	f.end = f.begin + length
	if f.end < f.begin {
		return fde{}, fmt.Errorf("%w: FDE at %#x: range %#x+%#x wraps", ErrMalformed, offset, f.begin, length)
	}
	if c.aug != "" && c.aug[0] == 'z' {
		r.block()
	}
	f.instructions = r.take(len(r.b) - r.off)
	if r.err != nil {
		return fde{}, fmt.Errorf("FDE at %#x: %w", offset, r.err)
	}
	return f, nil
}
