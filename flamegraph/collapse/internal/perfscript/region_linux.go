package perfscript

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapRegion reserves n bytes of address space on a boundary of huge pages
// and asks the kernel to back them with huge pages (transparent huge pages
// in "madvise" mode, as Debian sets them; the advice may go unheeded). No
// memory is taken, nor counted against the commit limit (MAP_NORESERVE),
// before a page is written. It returns nil when the mapping fails.
func mapRegion(n int) []byte {
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(n+hugePage), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	// The bytes before the first boundary and after n more go back.
	head := -uintptr(p) & (hugePage - 1)
	if head > 0 {
		unix.MunmapPtr(p, head)
	}
	unix.MunmapPtr(unsafe.Add(p, head+uintptr(n)), hugePage-head)
	mem := unsafe.Slice((*byte)(unsafe.Add(p, head)), n)
	unix.Madvise(mem, unix.MADV_HUGEPAGE)
	return mem
}

// unmapRegion gives back a mapping of mapRegion.
func unmapRegion(mem []byte) {
	unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(mem)), uintptr(len(mem)))
}
