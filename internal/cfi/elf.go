package cfi

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
)

// Open reads the unwind rules of the ELF file at path.
func Open(path string) (*Table, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cfi: %w", err)
	}
	defer f.Close()
	t, err := Build(f)
	if err != nil {
		return nil, fmt.Errorf("cfi: %s: %w", path, err)
	}
	return t, nil
}

// Build reads the unwind rules of an x86-64 ELF file: from .eh_frame, and
// from .debug_frame where that describes code .eh_frame does not (a
// separate debug file has only .debug_frame; code built with
// -fno-asynchronous-unwind-tables -g has its functions there and only the
// C runtime's in .eh_frame). A file whose section headers are stripped is
// read through its PT_GNU_EH_FRAME segment, the .eh_frame_hdr, which says
// where .eh_frame is. The error wraps ErrNoTable when there is none, and
// ErrMalformed when one is not well formed.
func Build(f *elf.File) (*Table, error) {
	return build(f, ".eh_frame", ".debug_frame")
}

// BuildEHFrame is Build from .eh_frame alone, .debug_frame left out. Go
// binaries are read so: their Go code keeps frame pointers, and the
// .debug_frame the Go linker writes for it does not tell the runtime's
// stack switches (asmcgocall, systemstack), which frame pointers cross;
// their .eh_frame describes the C code linked in (cgo), which may have no
// frame pointers.
func BuildEHFrame(f *elf.File) (*Table, error) {
	return build(f, ".eh_frame")
}

// build reads the unwind rules of the named sections, in order of
// preference.
func build(f *elf.File, names ...string) (*Table, error) {
	secs, err := frameSections(f, names)
	if err != nil {
		return nil, err
	}
	var all []fdeRows
	for _, s := range secs {
		if all, err = s.entries(all); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name(), err)
		}
	}
	return buildTable(all)
}

// name is the section's name, for errors.
func (s *frameSection) name() string {
	if s.eh {
		return ".eh_frame"
	}
	return ".debug_frame"
}

// frameSections returns the file's sections of the names given, in their
// order: .eh_frame (or, without section headers, the one its
// .eh_frame_hdr points to) and .debug_frame.
func frameSections(f *elf.File, names []string) ([]*frameSection, error) {
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("%w: %v %v file, not x86-64", errors.ErrUnsupported, f.Class, f.Machine)
	}
	b := bases{memory: memoryOf(f)}
	if s := f.Section(".text"); s != nil {
		b.text = s.Addr
	}
	if s := f.Section(".got"); s != nil {
		b.data = s.Addr
	}
	var secs []*frameSection
	for _, name := range names {
		s := f.Section(name)
		if s == nil || s.Type == elf.SHT_NOBITS {
			continue
		}
		data, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		sb := b
		sb.section = s.Addr
		secs = append(secs, &frameSection{data: data, eh: name == ".eh_frame", bases: sb})
	}
	if len(secs) == 0 && len(f.Sections) == 0 {
		s, err := ehFrameFromHeader(f, b)
		if err != nil {
			return nil, err
		}
		if s != nil {
			secs = append(secs, s)
		}
	}
	if len(secs) == 0 {
		return nil, ErrNoTable
	}
	return secs, nil
}

// memoryOf returns a reader of the 8 bytes at an address of the file's
// loaded image, for indirect pointers.
func memoryOf(f *elf.File) func(uint64) (uint64, bool) {
	return func(addr uint64) (uint64, bool) {
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr+8 <= p.Vaddr+p.Filesz && addr+8 > addr {
				var b [8]byte
				if _, err := p.ReadAt(b[:], int64(addr-p.Vaddr)); err != nil {
					return 0, false
				}
				return binary.LittleEndian.Uint64(b[:]), true
			}
		}
		return 0, false
	}
}
