package symbolize

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// minMapped is the size from which a section is mapped rather than read.
const minMapped = 64 << 10

// fileMaps maps big sections of an open ELF file read-only instead of
// copying them into the heap: a Go binary's pclntab is megabytes, of which
// lookups touch a few pages, and mapped pages are shared with the page
// cache (and the process that runs the binary). release unmaps them all.
// With no file (an in-memory image), sections are read.
type fileMaps struct {
	f    *os.File
	size int64 // the file's size when opened: nothing past it is mapped
	maps [][]byte
}

// newFileMaps returns the mapper of f, which may be nil.
func newFileMaps(f *os.File) *fileMaps {
	m := &fileMaps{f: f}
	if f != nil {
		if st, err := f.Stat(); err == nil {
			m.size = st.Size()
		} else {
			m.f = nil
		}
	}
	return m
}

// Section returns sec's bytes from off to its end: mapped when they are big
// and stored as they are in the file, else read into the heap.
func (m *fileMaps) Section(sec *elf.Section, off uint64) ([]byte, error) {
	if off > sec.Size {
		return nil, fmt.Errorf("%s: offset %#x past its end: %w", sec.Name, off, errMalformedELF)
	}
	size := sec.Size - off
	if m != nil && m.f != nil && size >= minMapped && sec.Type != elf.SHT_NOBITS && sec.Flags&elf.SHF_COMPRESSED == 0 &&
		sec.Offset <= uint64(m.size) && sec.Size <= uint64(m.size)-sec.Offset {
		start := sec.Offset + off
		base := start &^ (uint64(os.Getpagesize()) - 1)
		if region, err := unix.Mmap(int(m.f.Fd()), int64(base), int(start-base+size), unix.PROT_READ, unix.MAP_SHARED); err == nil {
			m.maps = append(m.maps, region)
			return region[start-base:], nil
		}
	}
	if off == 0 {
		return sec.Data()
	}
	// Read the tail only; ReadAll grows with what the file holds.
	return io.ReadAll(io.NewSectionReader(sec, int64(off), int64(size)))
}

// evict lets go of the pages of the mapped sections that are resident in
// this process, which the kernel then counts to the page cache alone: the
// next access maps them again.
func (m *fileMaps) evict() {
	for _, r := range m.maps {
		unix.Madvise(r, unix.MADV_DONTNEED)
	}
}

// release unmaps every section mapped.
func (m *fileMaps) release() {
	if m == nil {
		return
	}
	for _, r := range m.maps {
		unix.Munmap(r)
	}
	m.maps = nil
}

// guardMapped runs f with memory faults turned into panics, and reports
// whether one happened: a mapped file cut short under us raises SIGBUS on
// access, which must not end the process.
func guardMapped(f func()) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if e, ok := r.(interface{ Addr() uintptr }); ok && e != nil {
				faulted = true
				return
			}
			panic(r)
		}
	}()
	f()
	return false
}
