package gopclntab

import (
	"debug/elf"
	"fmt"
	"io"
)

// Sections gives [Open] the bytes of an ELF section from an offset in it to
// its end. A caller that maps big sections from the file, rather than
// copying them into the heap, passes its mapper: a Go binary's pclntab is
// megabytes, of which lookups touch a few pages.
type Sections interface {
	Section(sec *elf.Section, off uint64) ([]byte, error)
}

// readSections reads sections into the heap.
type readSections struct{}

// Section returns sec's bytes from off to its end.
func (readSections) Section(sec *elf.Section, off uint64) ([]byte, error) {
	if off > sec.Size {
		return nil, fmt.Errorf("gopclntab: %s: offset %#x past its end", sec.Name, off)
	}
	if off == 0 {
		return sec.Data()
	}
	// Read the tail only; ReadAll grows with what the file holds.
	return io.ReadAll(io.NewSectionReader(sec, int64(off), int64(sec.Size-off)))
}
