package symbolize

import (
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
)

// buildID returns the hex of the file's NT_GNU_BUILD_ID note, "" when it has
// none.
func buildID(ef *elf.File) string {
	for _, s := range ef.Sections {
		if s.Type != elf.SHT_NOTE {
			continue
		}
		if data, err := s.Data(); err == nil {
			if id := gnuBuildID(data, ef.ByteOrder); id != "" {
				return id
			}
		}
	}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_NOTE || p.Filesz > 1<<20 {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err == nil {
			if id := gnuBuildID(data, ef.ByteOrder); id != "" {
				return id
			}
		}
	}
	return ""
}

// gnuBuildID finds the GNU build-id in a block of notes.
func gnuBuildID(data []byte, bo binary.ByteOrder) string {
	for len(data) >= 12 {
		namesz, descsz, typ := uint64(bo.Uint32(data)), uint64(bo.Uint32(data[4:])), bo.Uint32(data[8:])
		nameEnd := 12 + align4(namesz)
		descEnd := nameEnd + align4(descsz)
		if nameEnd > uint64(len(data)) || nameEnd+descsz > uint64(len(data)) {
			return ""
		}
		if typ == ntGNUBuildID && namesz == 4 && string(data[12:16]) == "GNU\x00" && descsz > 0 {
			return hex.EncodeToString(data[nameEnd : nameEnd+descsz])
		}
		if descEnd >= uint64(len(data)) {
			return ""
		}
		data = data[descEnd:]
	}
	return ""
}

// ntGNUBuildID is the note type of a GNU build-id.
const ntGNUBuildID = 3

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

// fileOffsetToVaddr converts a file offset (as a mapping in /proc/PID/maps
// gives it) to a link-time virtual address through the PT_LOAD segment that
// holds it: off - p_offset + p_vaddr. A segment whose file bytes hold the
// offset is preferred over one that only reaches it with its memory size.
func fileOffsetToVaddr(ef *elf.File, off uint64) (uint64, bool) {
	for pass := 0; pass < 2; pass++ {
		for _, p := range ef.Progs {
			if p.Type != elf.PT_LOAD || off < p.Off {
				continue
			}
			end := p.Filesz
			if pass == 1 {
				end = p.Memsz
			}
			if off-p.Off < end {
				return off - p.Off + p.Vaddr, true
			}
		}
	}
	return 0, false
}
