package profile

import (
	"slices"
	"testing"
)

// TestLoopStart finds the cycles of frame pointers in synthetic stacks
// (leaf first), and leaves recursion that the walk left whole.
func TestLoopStart(t *testing.T) {
	repeat := func(n int, block ...uint64) []uint64 {
		var out []uint64
		for range n {
			out = append(out, block...)
		}
		return out
	}
	stack := func(parts ...[]uint64) []uint64 { return slices.Concat(parts...) }
	leaf, callers := []uint64{0x100}, []uint64{0x200, 0x300}
	outer := []uint64{0x400, 0x500} // main, __libc_start_call_main
	for _, c := range []struct {
		name string
		pcs  []uint64
		want int
	}{
		{"one address repeated to the limit", stack(leaf, callers, repeat(124, 0x7ff0)), 4},
		{"a ring of three frames", stack(leaf, callers, repeat(41, 0x10, 0x20, 0x30)), 6},
		{"a ring of sixteen", stack(leaf, repeat(4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)), 17},
		{"a ring from the leaf's caller", stack(leaf, repeat(126, 0x7ff0)), 2},
		{"the leaf repeated", repeat(127, 0x100), 2},
		{"recursion under main", stack(leaf, repeat(100, 0x600), outer), 103},
		{"mutual recursion under main", stack(leaf, repeat(50, 0x600, 0x700), outer), 103},
		{"a short repeat at the end", stack(leaf, callers, repeat(31, 0x600)), 34},
		{"a ring of seventeen", stack(leaf, repeat(3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)), 52},
		{"no stack", nil, 0},
		{"a leaf", leaf, 1},
	} {
		if got := loopStart(c.pcs); got != c.want {
			t.Errorf("%s: cut at %d, want %d", c.name, got, c.want)
		}
	}
}
