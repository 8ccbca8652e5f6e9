package cfi

import (
	"debug/elf"
	"fmt"
	"io"
)

// ehFrameFromHeader finds .eh_frame through the PT_GNU_EH_FRAME segment,
// which is the .eh_frame_hdr: a version byte, the encodings of the
// .eh_frame pointer, of the FDE count and of the search table, then the
// pointer. The .eh_frame runs from there to its zero terminator, within
// the PT_LOAD segment holding it. It returns nil when the file has no such
// segment.
func ehFrameFromHeader(f *elf.File, b bases) (*frameSection, error) {
	var hdr *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_GNU_EH_FRAME {
			hdr = p
		}
	}
	if hdr == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(hdr.Open(), 64))
	if err != nil {
		return nil, fmt.Errorf(".eh_frame_hdr: %w", err)
	}
	ptr, err := ehFramePointer(data, hdr.Vaddr)
	if err != nil {
		return nil, fmt.Errorf(".eh_frame_hdr: %w", err)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || ptr < p.Vaddr || ptr >= p.Vaddr+p.Filesz {
			continue
		}
		eh := make([]byte, p.Vaddr+p.Filesz-ptr)
		if _, err := p.ReadAt(eh, int64(ptr-p.Vaddr)); err != nil {
			return nil, fmt.Errorf(".eh_frame at %#x: %w", ptr, err)
		}
		b.section = ptr
		return &frameSection{data: eh, eh: true, bases: b}, nil
	}
	return nil, fmt.Errorf("%w: .eh_frame_hdr points at %#x, outside the file's segments", ErrMalformed, ptr)
}

// ehFramePointer reads the address of .eh_frame from an .eh_frame_hdr
// loaded at addr.
func ehFramePointer(hdr []byte, addr uint64) (uint64, error) {
	r := &reader{b: hdr}
	if v := r.u8(); r.err == nil && v != 1 {
		return 0, fmt.Errorf("%w: version %d (1 is known)", ErrMalformed, v)
	}
	enc := r.u8()
	r.u8() // the FDE count's encoding
	r.u8() // the table's encoding
	if r.err == nil && (!validEncoding(enc) || enc == peOmit || enc&peIndirect != 0) {
		return 0, fmt.Errorf("%w: .eh_frame pointer encoding %#x", ErrMalformed, enc)
	}
	// datarel in the header is relative to the header itself.
	ptr := r.pointer(enc, &bases{section: addr, data: addr}, true)
	return ptr, r.err
}
