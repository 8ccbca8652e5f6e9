package perfscript

import (
	"testing"
	"unsafe"
)

// TestHugePageBytes checks that hugePageBytes gives empty slices of the
// capacity asked for, whose bytes can all be written, and that hugePages
// finds the huge pages that lie whole in slices that start anywhere.
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
	mem := make([]byte, 3*hugePage)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	for _, tc := range []struct{ from, n int }{{0, 3 * hugePage}, {1, 2*hugePage + 7}, {4096, hugePage}, {12345, 2 * hugePage}, {hugePage - 1, hugePage + 1}, {5, 100}} {
		b := mem[tc.from : tc.from+tc.n]
		h := hugePages(b)
		start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		// The huge pages whole in b: from its first boundary to its last.
		first := (start + hugePage - 1) &^ (hugePage - 1)
		last := (start + uintptr(len(b))) &^ (hugePage - 1)
		want := 0
		if last > first {
			want = int(last - first)
		}
		if len(h) != want {
			t.Errorf("hugePages(mem[%d:+%d]) (at %#x) has %d bytes, want %d", tc.from, tc.n, start-base, len(h), want)
			continue
		}
		if at := uintptr(unsafe.Pointer(unsafe.SliceData(h))); want > 0 && (at%hugePage != 0 || at < start || at+uintptr(len(h)) > start+uintptr(len(b))) {
			t.Errorf("hugePages(mem[%d:+%d]) starts at %#x, outside it or not on a boundary", tc.from, tc.n, at)
		}
	}
}
