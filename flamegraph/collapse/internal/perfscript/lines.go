package perfscript

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// The table of frame lines. perf prints a frame with the same bytes every
// time (address, symbol with its offset, dso), and a capture has few
// distinct frame lines (the real capture of bench/collapse-render: 23,000
// of 674,000 frame lines; of the others, the memo of bodies, memo.go,
// serves 345,000 and this table 306,000). A line's frames depend on
// nothing but its bytes, the options and whether the process frame starts
// with "java" (see symbols.go), so a line seen before gets the name ids of
// its frames and its dso from this table with one probe and one compare,
// without being split and without its symbol being hashed: the key is a
// hash of its first lineKey bytes (the address and the start of the
// symbol, which tell lines apart well), the compare checks all its bytes.
// It is the fast path of parser.feed; a line it does not know goes
// through frameLine and is added. (On that capture this takes a tenth
// less time than splitting each line and finding its symbol: the slots
// and texts of the table are rarely in the cache, as the input streams
// through it.)
//
// The table is a cache: it takes at most a quarter of Sizes.Memo bytes
// and keeps what it has when full; it is emptied with the table of
// symbols, as it holds dso ids of parser.mods.

// lineKey is how many bytes of a line lineHash reads: four words.
const lineKey = 32

// The table keeps each line in an arena of blocks, as a lineHead followed
// by its text (padded to 8 bytes), and finds it by a slot of 8 bytes: the
// line's hash in the high half, 1 + the line's place in the arena (its
// lineRef) in the low half, 0 when empty. A line found through the slots
// costs two reads from L3 (its slot, then its head and text, which sit
// together); slots of 8 bytes (256 KiB for the real capture) rather than
// 40 did not make that cheaper: they do not stay in L2 either, as the
// input streams through it. A line that its head links to (the line that
// followed it last time, see predicted) costs one read at most, and a
// line's head also heads the memo's entries of the lines after it.
type lineRef uint32

// lineHead is what the arena holds of a line before its text.
type lineHead struct {
	hash  uint32
	mod   int32  // its dso's id in parser.mods
	names span   // leaf first: the id itself in names.off when there is one, else where they are in lineTable.names
	n     uint32 // the text's length, with lineJava set when it was read in a java process
	next  uint32 // 1 + the lineRef of the line that followed it last time in a sample, or 0
	memo  int32  // 1 + the index of the first memo entry of the lines after it (memo.go), or 0
	_     uint32
	rest  uint64 // the fingerprint of the lines after it in the last sample it was the second line of (memo.go)
}

// lineJava flags, in lineHead.n, a line read in samples of a process frame
// that starts with "java" (its frames may differ, see symbols.go).
const lineJava = 1 << 31

const (
	lineHeadSize = int(unsafe.Sizeof(lineHead{}))
	lineBlock    = 1 << 18 // bytes of an arena block, a power of two
	lineMax      = lineBlock - lineHeadSize - 7
)

// lineTable holds the frame lines read, with their frames.
type lineTable struct {
	blocks [][]byte // the arena; the last one is filled
	bytes  int      // bytes of the arena used
	slots  []uint64 // open addressing by hash
	used   int      // slots used
	names  []uint32
	last   uint32 // 1 + the lineRef of the line just read, when it was a frame line the table has, else 0
}

// size returns the bytes the table holds.
func (t *lineTable) size() int {
	return t.bytes + len(t.slots)*8 + len(t.names)*4
}

// reset empties the table, keeping its slots.
func (t *lineTable) reset() {
	clear(t.blocks)
	t.blocks, t.bytes = t.blocks[:0], 0
	t.names = t.names[:0]
	clear(t.slots)
	t.used, t.last = 0, 0
}

// head returns the head of line r.
func (t *lineTable) head(r lineRef) *lineHead {
	b := t.blocks[r/lineBlock]
	return (*lineHead)(unsafe.Pointer(&b[r%lineBlock]))
}

// text returns the text of line r, whose head is h.
func (t *lineTable) text(r lineRef, h *lineHead) []byte {
	off := int(r%lineBlock) + lineHeadSize
	return t.blocks[r/lineBlock][off : off+int(h.n&^lineJava)]
}

// add copies line l into the arena with its head, and returns where it is.
func (t *lineTable) add(h lineHead, l []byte) lineRef {
	need := lineHeadSize + (len(l)+7)&^7
	k := len(t.blocks) - 1
	if k < 0 || lineBlock-len(t.blocks[k]) < need {
		t.blocks = append(t.blocks, make([]byte, 0, lineBlock))
		k++
	}
	b := t.blocks[k]
	r := lineRef(k*lineBlock + len(b))
	b = b[:len(b)+need]
	*(*lineHead)(unsafe.Pointer(&b[len(b)-need])) = h
	copy(b[len(b)-need+lineHeadSize:], l)
	t.blocks[k] = b
	t.bytes += need
	return r
}

// lineHash returns the hash of a line of at least lineKey bytes, from its
// first lineKey bytes.
func lineHash(b []byte) uint32 {
	_ = b[lineKey-1]
	w0 := binary.LittleEndian.Uint64(b)
	w1 := binary.LittleEndian.Uint64(b[8:])
	w2 := binary.LittleEndian.Uint64(b[16:])
	w3 := binary.LittleEndian.Uint64(b[24:])
	h := (w0*hashMul ^ bits.RotateLeft64(w1, 23)) * hashMul
	h = (h ^ w2 ^ bits.RotateLeft64(w3, 41)) * hashMul
	return uint32(h >> 32)
}

// lineID returns the hash of frame line l (without its '\n') in the table:
// lineHash when l is long enough, else a hash of all of it.
func lineID(l []byte) uint32 {
	if len(l) >= lineKey {
		return lineHash(l)
	}
	return uint32(maphash.Bytes(setSeed, l))
}

// knownLine handles the frame line that starts at data[i] when the table
// has it, as frameLine would, and returns where the next line starts.
func (p *parser) knownLine(data []byte, i int) (int, bool) {
	t := &p.known
	if len(t.slots) == 0 {
		return i, false
	}
	r, e, n, ok := t.predicted(data, i)
	if ok {
		p.predicted++
	} else {
		if r, e, n, ok = t.find(data, i, p.java); !ok {
			return i, false
		}
		if t.last != 0 {
			t.head(lineRef(t.last - 1)).next = uint32(r) + 1
		}
	}
	t.last = uint32(r) + 1
	p.lines++
	p.fromTable++
	if e.mod != p.modID {
		p.modID, p.noteOK = e.mod, false
	}
	end := i + n + 1
	if !p.inSample {
		return end, true // a line of a sample that was filtered out
	}
	p.body.lines++
	hash := p.hash
	if e.names.n == 1 {
		p.seq = append(p.seq, e.names.off)
		hash = hashID(hash, e.names.off)
	} else {
		for _, n := range t.names[e.names.off : e.names.off+e.names.n] {
			p.seq = append(p.seq, n)
			hash = hashID(hash, n)
		}
	}
	p.hash = hash
	return end, true
}

// predicted returns the line that followed the last line read the last
// time it was read, its head and its length, when data holds it at i. (Its
// java flag is the sample's: lines are linked only to lines read after
// them in a sample, whose java flag they share, and the last line read is
// forgotten at each line that is not a frame line.) A call path is printed with the same
// lines each time, so most frame lines are the line that followed the one
// before them last time (on the real capture of bench/collapse-render, 82%
// of them, and half of the second lines of samples): then the line is known
// without looking for its '\n', hashing it or reading a slot. As the arena
// keeps lines in the order they were first read, the predicted line is
// often next to the one before it, which the processor has fetched.
func (t *lineTable) predicted(data []byte, i int) (lineRef, *lineHead, int, bool) {
	if t.last == 0 {
		return 0, nil, 0, false
	}
	next := t.head(lineRef(t.last - 1)).next
	if next == 0 {
		return 0, nil, 0, false
	}
	r := lineRef(next - 1)
	e := t.head(r)
	n := int(e.n &^ lineJava)
	if end := i + n; end >= len(data) || data[end] != '\n' || string(data[i:end]) != string(t.text(r, e)) {
		return 0, nil, 0, false
	}
	return r, e, n, true
}

// find looks for the line at data[i] in the slots, read in a java process
// or not, and returns it, its head and its length.
func (t *lineTable) find(data []byte, i int, java bool) (lineRef, *lineHead, int, bool) {
	want := uint32(0)
	if java {
		want = lineJava
	}
	// The '\n' first: where the next line starts then depends on the
	// input alone, not on the slot, so the processor goes on with the next
	// line while it waits.
	n := bytes.IndexByte(data[i:], '\n')
	if n < 0 {
		return 0, nil, 0, false
	}
	l := data[i : i+n]
	h := lineID(l)
	mask := uint32(len(t.slots) - 1)
	for k := h & mask; ; k = (k + 1) & mask {
		s := t.slots[k]
		if s == 0 {
			return 0, nil, 0, false
		}
		if uint32(s>>32) != h {
			continue
		}
		r := lineRef(uint32(s) - 1)
		if e := t.head(r); e.n == uint32(n)|want && string(t.text(r, e)) == string(l) {
			return r, e, n, true
		}
	}
}

// addLine adds frame line l (without its '\n'), whose frames have the name
// ids names, to the table, when it is long enough and the table has room.
func (p *parser) addLine(l []byte, names []uint32) {
	t := &p.known
	if len(l) > lineMax || t.size()+lineHeadSize+len(l)+len(names)*4 > p.tableLimit/4 {
		t.last = 0
		return
	}
	if t.used >= len(t.slots)*3/4 {
		t.grow()
	}
	h := lineID(l)
	e := lineHead{hash: h, mod: p.modID, n: uint32(len(l))}
	if p.java {
		e.n |= lineJava
	}
	if len(names) == 1 {
		e.names = span{names[0], 1}
	} else {
		e.names = span{uint32(len(t.names)), uint32(len(names))}
		t.names = appendDoubling(t.names, names...)
	}
	r := t.add(e, l)
	if t.last != 0 {
		t.head(lineRef(t.last - 1)).next = uint32(r) + 1
	}
	t.last = uint32(r) + 1
	mask := uint32(len(t.slots) - 1)
	k := h & mask
	for t.slots[k] != 0 {
		k = (k + 1) & mask
	}
	t.slots[k] = uint64(h)<<32 | uint64(r+1)
	t.used++
}

// grow doubles the slots (or makes the first ones) and places the lines
// again.
func (t *lineTable) grow() {
	old := t.slots
	n := max(2*len(old), 1<<12)
	t.slots = make([]uint64, n)
	mask := uint32(n - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		k := uint32(s>>32) & mask
		for t.slots[k] != 0 {
			k = (k + 1) & mask
		}
		t.slots[k] = s
	}
}
