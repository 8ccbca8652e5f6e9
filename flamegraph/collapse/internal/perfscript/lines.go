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
// symbol, which tell lines apart well; all of a shorter line), the compare
// checks all its bytes.
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

// The table keeps each line in one arena, as a lineHead followed by its
// text (padded to 8 bytes), and finds it by a slot of 8 bytes: the line's
// hash in the high half, 1 + the line's place in the arena (its lineRef)
// in the low half, 0 when empty. The arena's bytes are reserved at once
// (the table's share of Sizes.Memo) and never move; the pages it does not
// use are never touched.
//
// Each line's head links it to the line that followed it last time in a
// sample (lineHead.next), and the parser checks that line first, as a call
// path is printed with the same lines each time: on the real capture,
// 196,000 of the 306,000 lines the table serves are the line it predicted,
// and cost one compare, without looking for their '\n', hashing them and
// probing the slots. The parser is bound by the instructions it runs more
// than by its reads from memory, which overlap (the slots and heads are
// read from L3: the input streams through L2): the prediction takes 15
// million of the 282 million instructions of `flamekit collapse` on that
// capture away. (Reading the slots and heads of a sample's lines before
// handling them, so that the reads overlap more, added more instructions
// than it saved time; slots of 8 bytes rather than 40 made no difference
// by themselves.)
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

// lineHeadSize is the bytes of a lineHead in the arena.
const lineHeadSize = int(unsafe.Sizeof(lineHead{}))

// lineTable holds the frame lines read, with their frames.
type lineTable struct {
	mem   *region  // where its arrays are made
	arena []byte   // lineHeads and texts
	slots []uint64 // open addressing by hash
	used  int      // slots used
	names []uint32
	last  uint32 // 1 + the lineRef of the line just read, when it was a frame line the table has, else 0
}

// size returns the bytes the table holds.
func (t *lineTable) size() int {
	return len(t.arena) + len(t.slots)*8 + len(t.names)*4
}

// reset empties the table, keeping its slots and arena.
func (t *lineTable) reset() {
	t.arena, t.names = t.arena[:0], t.names[:0]
	clear(t.slots)
	t.used, t.last = 0, 0
}

// spare empties the table, and returns the bytes of its arena, not zero, to
// be used for something else once the parser has read its input: the
// arrays that sort the stacks (newStackSorter), which then take no memory
// that was never written (on the real capture of bench/collapse-render,
// 1.2 MB of the 3.3 MB its lines took). The table makes a new arena if it
// is used again.
func (t *lineTable) spare() []byte {
	b := t.arena[:cap(t.arena)]
	t.reset()
	t.arena = nil
	return b
}

// head returns the head of line r.
func (t *lineTable) head(r lineRef) *lineHead {
	return (*lineHead)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(t.arena)), r))
}

// text returns the n bytes of the text of line r.
func (t *lineTable) text(r lineRef, n int) string {
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(t.arena)), int(r)+lineHeadSize)), n)
}

// add copies line l into the arena, with its head, and returns where it
// is, or reports false when there is no room. The arena is made the first
// time, for limit bytes.
func (t *lineTable) add(h lineHead, l []byte, limit int) (lineRef, bool) {
	if t.arena == nil {
		t.arena = regionMake[byte](t.mem, limit)[:0]
	}
	need := lineHeadSize + (len(l)+7)&^7
	r := len(t.arena)
	if cap(t.arena)-r < need {
		return 0, false
	}
	t.arena = t.arena[:r+need]
	*(*lineHead)(unsafe.Pointer(&t.arena[r])) = h
	copy(t.arena[r+lineHeadSize:], l)
	return lineRef(r), true
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
// has it, as frameLine would, and returns where the next line starts. It
// checks the line the last line predicts first, then the slots.
func (p *parser) knownLine(data []byte, i int) (int, bool) {
	t := &p.known
	var e *lineHead
	n := 0
	if t.last != 0 {
		if next := t.head(lineRef(t.last - 1)).next; next != 0 {
			e = t.head(lineRef(next - 1))
			n = int(e.n &^ lineJava)
			// The line's java flag is the sample's: lines are linked
			// only to lines read after them in a sample, and the last
			// line read is forgotten at each line that is not a frame
			// line.
			if end := i + n; end < len(data) && data[end] == '\n' && string(data[i:end]) == t.text(lineRef(next-1), n) {
				t.last = next
				p.predicted++
			} else {
				e = nil
			}
		}
	}
	if e == nil {
		if len(t.slots) == 0 {
			return i, false
		}
		// The '\n' first: where the next line starts then depends on the
		// input alone, not on the slot, so the processor goes on with the
		// next line while it waits.
		if n = bytes.IndexByte(data[i:], '\n'); n < 0 {
			return i, false
		}
		l := data[i : i+n]
		var h uint32
		if n >= lineKey {
			h = lineHash(l)
		} else {
			h = uint32(maphash.Bytes(setSeed, l))
		}
		want := uint32(n)
		if p.java {
			want |= lineJava
		}
		mask := uint32(len(t.slots) - 1)
		for k := h & mask; ; k = (k + 1) & mask {
			s := t.slots[k]
			if s == 0 {
				return i, false
			}
			if r := lineRef(uint32(s) - 1); uint32(s>>32) == h {
				if e = t.head(r); e.n == want && string(l) == t.text(r, n) {
					if t.last != 0 {
						t.head(lineRef(t.last - 1)).next = uint32(r) + 1
					}
					t.last = uint32(r) + 1
					break
				}
			}
		}
	}
	return p.takeLines(data, i, e, n), true
}

// takeLines takes the frame line at data[i], whose head is e and length
// n, as frameLine would, and then each line after it that is the line the
// one before it predicts (see knownLine), until the memo may have the
// lines after one (feed then asks it); it returns where the next line
// starts. (In one loop rather than through feed, the predicted lines of
// the real capture take about 5 million fewer instructions.)
func (p *parser) takeLines(data []byte, i int, e *lineHead, n int) int {
	t := &p.known
	for {
		p.lines++
		p.fromTable++
		if e.mod != p.modID {
			p.modID, p.noteOK = e.mod, false
		}
		i += n + 1
		if !p.inSample {
			return i // a line of a sample that was filtered out
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
		b := &p.body
		if b.lines == 2 && b.restAt == 0 {
			b.restAt, b.buffer, b.restSeq, b.second = i, p.buffers, len(p.seq), t.last
		}
		if e.memo != 0 && b.lines >= 2 && b.clean && !b.hit {
			return i
		}
		next := e.next
		if next == 0 {
			return i
		}
		r := lineRef(next - 1)
		f := t.head(r)
		m := int(f.n &^ lineJava)
		if end := i + m; end >= len(data) || data[end] != '\n' || string(data[i:end]) != t.text(r, m) {
			return i
		}
		e, n, t.last = f, m, next
		p.predicted++
	}
}

// addLine adds frame line l (without its '\n'), whose frames have the name
// ids names, to the table, when it has room, and makes it the last line
// read.
func (p *parser) addLine(l []byte, names []uint32) {
	t := &p.known
	limit := min(p.tableLimit/4, 1<<31)
	if t.size()+lineHeadSize+len(l)+len(names)*4 > limit {
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
	}
	r, ok := t.add(e, l, limit)
	if !ok {
		t.last = 0
		return
	}
	if len(names) != 1 {
		t.head(r).names = span{uint32(len(t.names)), uint32(len(names))}
		t.names = appendDoubling(t.mem, t.names, names...)
	}
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
	t.slots = regionMake[uint64](t.mem, n)
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
