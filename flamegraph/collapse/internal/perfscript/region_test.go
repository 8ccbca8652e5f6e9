package perfscript

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// inRegion reports whether the memory of s lies in the mapping of r.
func inRegion[T any](r *region, s []T) bool {
	if len(r.mem) == 0 || cap(s) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(r.mem)))
	at := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return at >= start && at+uintptr(cap(s))*unsafe.Sizeof(s[0]) <= start+uintptr(len(r.mem))
}

// TestRegionMake takes pieces of a region: on Linux they lie in its
// mapping, which starts on a huge page, each on a cache line, zero, apart
// from the others; past its end, and after release, pieces are made on
// the heap, as they are without a region.
func TestRegionMake(t *testing.T) {
	r := &region{}
	ids := regionMake[uint32](r, 1000)
	slots := regionMake[symSlot](r, 10)
	text := regionMake[byte](r, 3)
	if runtime.GOOS == "linux" {
		if r.mem == nil {
			t.Fatal("no mapping")
		}
		if at := uintptr(unsafe.Pointer(unsafe.SliceData(r.mem))); at%hugePage != 0 {
			t.Errorf("the mapping starts at %#x, not on a huge page", at)
		}
		if !inRegion(r, ids) || !inRegion(r, slots) || !inRegion(r, text) {
			t.Fatal("pieces made outside the mapping")
		}
	}
	if len(ids) != 1000 || len(slots) != 10 || len(text) != 3 {
		t.Fatalf("lengths %d, %d, %d; want 1000, 10, 3", len(ids), len(slots), len(text))
	}
	for _, at := range []uintptr{uintptr(unsafe.Pointer(&ids[0])), uintptr(unsafe.Pointer(&slots[0])), uintptr(unsafe.Pointer(&text[0]))} {
		if at%64 != 0 {
			t.Errorf("a piece starts at %#x, not on a cache line", at)
		}
	}
	for i := range ids {
		if ids[i] != 0 {
			t.Fatalf("ids[%d] = %d, not zero", i, ids[i])
		}
		ids[i] = ^uint32(0)
	}
	for i := range slots {
		if slots[i] != (symSlot{}) {
			t.Fatalf("slots[%d] is not zero", i)
		}
		slots[i].hash = ^uint32(0)
	}
	if text[0] != 0 || text[1] != 0 || text[2] != 0 {
		t.Fatalf("text %q is not zero", text)
	}
	if ids[999] != ^uint32(0) || slots[0].hash != ^uint32(0) {
		t.Fatal("pieces overlap")
	}
	if big := regionMake[byte](r, regionSize); len(big) != regionSize || inRegion(r, big) {
		t.Errorf("a piece larger than the room left: %d bytes, in the mapping: %v", len(big), inRegion(r, big))
	}
	r.release()
	if after := regionMake[uint64](r, 8); len(after) != 8 || r.mem != nil {
		t.Errorf("after release: %d values, mapping %v", len(after), r.mem != nil)
	}
	if none := regionMake[float64](nil, 5); len(none) != 5 {
		t.Errorf("without a region: %d values, want 5", len(none))
	}
	grown := appendDoubling(nil, []uint32{1, 2}, 3, 4)
	if fmt.Sprint(grown) != "[1 2 3 4]" {
		t.Errorf("appendDoubling: got %v", grown)
	}
}

// TestTablesInRegion folds a real capture and checks that the parser's
// tables took their memory from its region (on Linux, where it is a
// mapping), and that the stacks are the same without tables.
func TestTablesInRegion(t *testing.T) {
	in := gunzipFile(t, "../../testdata/perf/c-fp.txt.gz")
	p := newParser(Options{}, DefaultSizes.Memo)
	defer p.release()
	if err := p.readAll(bytes.NewReader(in), make([]byte, DefaultSizes.Chunk)); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		m := &p.mem
		for name, ok := range map[string]bool{
			"the arena of lines":  inRegion(m, p.known.arena),
			"the slots of lines":  inRegion(m, p.known.slots),
			"the slots of syms":   inRegion(m, p.syms.slots),
			"the store of syms":   inRegion(m, p.syms.store.blocks[0]),
			"the slots of names":  inRegion(m, p.names.slots),
			"the names' entries":  inRegion(m, p.names.entries),
			"the stacks' ids":     inRegion(m, p.stacks.blocks[0]),
			"the stacks' entries": inRegion(m, p.stacks.entries),
			"the counts":          inRegion(m, p.counts),
		} {
			if !ok {
				t.Errorf("%s is not in the region", name)
			}
		}
	}
	var got strings.Builder
	if _, err := merge([]*parser{p}).WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if _, want := fold(t, in, Options{}, 0); got.String() != want {
		t.Error("the stacks differ without tables")
	}
}

// gunzipFile returns the bytes of the gzipped file at path.
func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStoreRefilled fills a store past a block, empties it and fills it
// again: it must keep its blocks, and hold the new strings.
func TestStoreRefilled(t *testing.T) {
	var s blockStore
	long := bytes.Repeat([]byte("x"), storeBlock/2+1)
	s.add(long)
	s.add(long)
	first := unsafe.SliceData(s.blocks[0])
	if len(s.blocks) != 2 {
		t.Fatalf("%d blocks, want 2", len(s.blocks))
	}
	s.reset()
	a := s.add([]byte("abc"))
	b := s.add(long)
	c := s.add(long)
	if len(s.blocks) != 2 || unsafe.SliceData(s.blocks[0]) != first {
		t.Errorf("after reset: %d blocks, the first one new: %v", len(s.blocks), unsafe.SliceData(s.blocks[0]) != first)
	}
	if string(s.text(a)) != "abc" || !bytes.Equal(s.text(b), long) || !bytes.Equal(s.text(c), long) || s.size != 3+2*len(long) {
		t.Errorf("after reset the store holds %q… (%d bytes)", s.text(a), s.size)
	}
}

// TestWriteFoldedAllocates writes the stacks of two inputs, one with four
// times as many stacks (a folded text of 2 MB): writeFolded must make as
// many objects for either, none for a line.
func TestWriteFoldedAllocates(t *testing.T) {
	allocs := func(stacks int) float64 {
		var in strings.Builder
		for i := range stacks {
			fmt.Fprintf(&in, "cmd 1 1.0: 1 cpu-clock:\n\t1 leaf_%d (/x)\n\t2 a_rather_long_name_of_a_function_in_the_middle_%d (/x)\n\t3 root (/x)\n\n", i, i%7)
		}
		p, _ := fold(t, []byte(in.String()), Options{}, DefaultSizes.Memo)
		return testing.AllocsPerRun(3, func() {
			if err := p.writeFolded(io.Discard); err != nil {
				t.Fatal(err)
			}
		})
	}
	if few, many := allocs(5000), allocs(20000); few != many {
		t.Errorf("writeFolded made %v objects for 5,000 stacks, %v for 20,000", few, many)
	}
}

// TestPresized checks that a parser with the default limit makes the
// slots of its tables at once, for the lines and symbols their shares of
// it hold, and that folding a real capture does not make them again;
// with no room for tables, the tables of lines and symbols make none.
func TestPresized(t *testing.T) {
	p := newParser(Options{}, DefaultSizes.Memo)
	defer p.release()
	if len(p.known.slots) != 32768 || len(p.syms.slots) != 8192 || len(p.names.slots) != 16384 || len(p.stacks.slots) != 32768 {
		t.Fatalf("slots of lines, symbols, names, stacks: %d, %d, %d, %d; want 32768, 8192, 16384, 32768",
			len(p.known.slots), len(p.syms.slots), len(p.names.slots), len(p.stacks.slots))
	}
	lines, syms := unsafe.SliceData(p.known.slots), unsafe.SliceData(p.syms.slots)
	if err := p.readAll(bytes.NewReader(gunzipFile(t, "../../testdata/perf/c-fp.txt.gz")), make([]byte, DefaultSizes.Chunk)); err != nil {
		t.Fatal(err)
	}
	if p.samples == 0 || unsafe.SliceData(p.known.slots) != lines || unsafe.SliceData(p.syms.slots) != syms {
		t.Errorf("folded %d samples; the slots were made again", p.samples)
	}
	none := newParser(Options{}, 0)
	defer none.release()
	if len(none.known.slots) != 0 || len(none.syms.slots) != 0 {
		t.Errorf("with no room for tables: %d slots of lines, %d of symbols", len(none.known.slots), len(none.syms.slots))
	}
}

// TestParallelParsersOnHeap folds a real capture with two goroutines: the
// parsers of the parallel reader make their tables on the heap, not in
// regions, and fold the stacks one parser folds.
func TestParallelParsersOnHeap(t *testing.T) {
	in := gunzipFile(t, "../../testdata/perf/c-fp.txt.gz")
	ps, _, err := readParallel(bytes.NewReader(in), Options{Threads: 2}, Sizes{Chunk: 4096, MaxChunk: 1 << 20, Memo: DefaultSizes.Memo})
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(ps)
	for k, p := range ps {
		if p.mem.mem != nil || p.mem.used != 0 {
			t.Errorf("parser %d has a region of %d bytes", k, p.mem.used)
		}
	}
	var got strings.Builder
	if _, err := merge(ps).WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if _, want := fold(t, in, Options{}, DefaultSizes.Memo); got.String() != want {
		t.Error("two goroutines fold other stacks than one")
	}
}

// TestSortInSpareArena folds a real capture and sorts its stacks: the
// arrays of the sort take the arena of the table of lines, which parsing no
// longer needs, and the stacks come out as without tables.
func TestSortInSpareArena(t *testing.T) {
	in := gunzipFile(t, "../../testdata/perf/c-fp.txt.gz")
	p := newParser(Options{}, DefaultSizes.Memo)
	defer p.release()
	if err := p.readAll(bytes.NewReader(in), make([]byte, DefaultSizes.Chunk)); err != nil {
		t.Fatal(err)
	}
	arena := p.known.arena[:cap(p.known.arena)]
	st := newStackSorter(p, p.known.spare())
	within := func(s []int32) bool {
		start, at := uintptr(unsafe.Pointer(unsafe.SliceData(arena))), uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		return len(s) > 0 && at >= start && at+4*uintptr(len(s)) <= start+uintptr(len(arena))
	}
	if !within(st.ranks) || !within(st.start) {
		t.Errorf("the sort's arrays (%d and %d values) are not in the arena of lines (%d bytes)", len(st.ranks), len(st.start), len(arena))
	}
	var got strings.Builder
	if _, err := merge([]*parser{p}).WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if _, want := fold(t, in, Options{}, 0); got.String() != want {
		t.Error("the stacks differ without tables")
	}
}

// TestWriteFoldedInSpareArena folds a real capture and writes its folded
// stacks: the output buffer is the spare arena of lines, so the region
// grows by no more than the arrays of the sort (not by the buffer's 2
// MiB), and the text is what merge writes.
func TestWriteFoldedInSpareArena(t *testing.T) {
	in := gunzipFile(t, "../../testdata/perf/c-fp.txt.gz")
	p := newParser(Options{}, DefaultSizes.Memo)
	defer p.release()
	if err := p.readAll(bytes.NewReader(in), make([]byte, DefaultSizes.Chunk)); err != nil {
		t.Fatal(err)
	}
	before := p.mem.used
	var got strings.Builder
	if err := p.writeFolded(&got); err != nil {
		t.Fatal(err)
	}
	if grown := p.mem.used - before; grown >= writeChunk {
		t.Errorf("writing took %d bytes more of the region; want less than the buffer's %d", grown, writeChunk)
	}
	if _, want := fold(t, in, Options{}, 0); got.String() != want {
		t.Error("the folded text differs")
	}
}
