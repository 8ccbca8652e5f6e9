package perfscript

import (
	"testing"
	"unsafe"
)

// TestHugePageBytes checks that hugePageBytes gives empty slices of the
// capacity asked for, whose bytes can all be written, and that alignHuge
// finds the huge page boundary in slices that start anywhere.
func TestHugePageBytes(t *testing.T) {
	for _, n := range []int{0, 100, hugePage - 1, hugePage, 4<<20 + 12345} {
		b := hugePageBytes(n)
		if len(b) != 0 || cap(b) != n {
			t.Errorf("hugePageBytes(%d): len %d, cap %d", n, len(b), cap(b))
			continue
		}
		b = b[:n]
		for i := range b {
			b[i] = byte(i)
		}
	}
	const n = hugePage + 100
	mem := make([]byte, n+2*hugePage)
	for _, from := range []int{0, 1, 4096, 12345, hugePage - 1} {
		b := alignHuge(mem[from:], n)
		if at := uintptr(unsafe.Pointer(unsafe.SliceData(b))); at%hugePage != 0 || len(b) != n || cap(b) != n {
			t.Errorf("alignHuge from %d: at %#x, len %d, cap %d", from, at, len(b), cap(b))
		}
	}
}
