package perfscript

import "unsafe"

// The parser's tables (the table of lines, of symbols, the memo, the sets
// of names, the stacks and their counts, and the arrays that sort them at
// the end) take their memory from a region: one mapping of address space,
// backed by huge pages where the kernel can (mapRegion), handed out piece
// after piece and given back whole when the parser is done (release). On
// the real capture of bench/collapse-render the tables and the arrays of
// the sort touch 11 MB. Made on the heap, in pages of 4 KiB, they cost
// 2,800 page faults, about a tenth of the CPU time of `flamekit collapse`
// (a fault costs 2-4 µs on the virtual machine measured, a huge page of 2
// MiB 0.2 ms: a fifth as much for each 4 KiB); from a region they cost six
// huge pages, and the heap is small enough that the collector hardly runs.
// (Measured with runs one after the other. Where the guest gives free
// blocks of 2 MiB back to the host, as the test VM does, with
// page_reporting_order 9, a huge page taken after another program freed
// memory may have to be made again by the host, outside the process's
// CPU time: runs between runs of stackcollapse-perf.pl gained from none to
// a fifth of their wall time.)
// The old arrays of a table that grows stay in the region, unused, as on
// the heap until the collector took them back: a region holds about what
// the heap held, in pages of 2 MiB (peak RSS 20.0 MiB rather than 22.0,
// with the arrays of the sort in the spare arena of lines, lineTable.spare;
// the parallel reader's parsers keep their smaller tables on the heap, see
// newHeapParser). A process that folds many small inputs gains too: each
// no longer makes 6 MB on the heap (the arena of lines, reserved whole),
// which the collector takes back (BenchmarkPerf: 3 KB of perf script in
// 0.2 ms rather than 1.4-2 ms, the 1.6 MB capture of testdata in 2.5-2.9
// ms rather than 4.0-4.4).

// hugePage is the size of a huge page on x86-64, on whose boundary a
// region starts.
const hugePage = 2 << 20

// regionSize is the address space a region reserves (no memory is taken
// before it is written). Past it, tables are made on the heap.
const regionSize = 256 << 20

// region hands out zeroed memory for the tables of a parser from one
// mapping, never taking any back before release.
type region struct {
	mem    []byte // the mapping, nil before the first piece and after release
	used   int    // bytes handed out
	mapped bool   // a mapping was asked for (it may have failed)
}

// plain is the types a region holds. The collector does not look into a
// region, so they must hold no pointers.
type plain interface {
	~byte | ~int32 | ~uint32 | ~uint64 | ~float64 |
		setSlot | setEntry | symSlot | symEntry | seqEntry | memoEntry
}

// regionMake returns n zero values of type T from r, on a boundary of 64
// bytes (a cache line), or made on the heap when r is nil or has no room.
func regionMake[T plain](r *region, n int) []T {
	size := n * int(unsafe.Sizeof(*new(T)))
	if r == nil || size == 0 {
		return make([]T, n)
	}
	if !r.mapped {
		r.mem, r.mapped = mapRegion(regionSize), true
	}
	at := (r.used + 63) &^ 63
	if at+size > len(r.mem) {
		return make([]T, n)
	}
	r.used = at + size
	return unsafe.Slice((*T)(unsafe.Pointer(&r.mem[at])), n)
}

// appendDoubling is append for the tables, which grow big: it doubles
// their capacity, with memory from r, when they are full, where append
// would add a quarter and copy them again and again.
func appendDoubling[T plain](r *region, s []T, v ...T) []T {
	if len(s)+len(v) > cap(s) {
		grown := regionMake[T](r, len(s)+max(cap(s), len(v), 256))
		copy(grown, s)
		s = grown[:len(s)]
	}
	return append(s, v...)
}

// release gives the memory of r back. Nothing r handed out may be used
// after it.
func (r *region) release() {
	if r.mem != nil {
		unmapRegion(r.mem)
	}
	r.mem, r.used, r.mapped = nil, 0, true
}
