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

// lineKey is how many bytes of a line its hash reads: four words. A
// shorter line is never in the table.
const lineKey = 32

// lineSlot is a slot of a lineTable: a line (without its '\n') with the
// java flag of the samples it was read in, its hash, its dso's id in
// parser.mods, and the name ids of its frames, leaf first (the id itself
// in names.off when there is one, else where they are in lineTable.names).
type lineSlot struct {
	hash  uint32
	mod   int32
	text  stored // text.n == 0: the slot is empty
	java  bool
	names span
}

// lineTable holds the frame lines read, with their frames.
type lineTable struct {
	store blockStore
	slots []lineSlot // open addressing by hash
	used  int        // slots used
	names []uint32
}

// size returns the bytes the table holds.
func (t *lineTable) size() int {
	return t.store.size + len(t.slots)*int(unsafe.Sizeof(lineSlot{})) + len(t.names)*4
}

// reset empties the table, keeping its slots.
func (t *lineTable) reset() {
	t.store.reset()
	t.names = t.names[:0]
	clear(t.slots)
	t.used = 0
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

// lineID returns the hash that stands for frame line l (without its '\n'):
// lineHash when l is long enough, else a hash of all of it. The memo finds
// bodies by the lineID of their second line.
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
	// The '\n' first: where the next line starts then depends on the
	// input alone, not on the slot, which is rarely in the cache, so the
	// processor goes on with the next line while it waits.
	n := bytes.IndexByte(data[i:], '\n')
	if n < lineKey {
		return i, false
	}
	l := data[i : i+n]
	h := lineHash(l)
	mask := uint32(len(t.slots) - 1)
	k := h & mask
	s := &t.slots[k]
	for {
		if s.text.n == 0 {
			return i, false
		}
		if s.hash == h && s.text.n == uint32(n) && s.java == p.java && string(t.store.text(s.text)) == string(l) {
			break
		}
		k = (k + 1) & mask
		s = &t.slots[k]
	}
	p.lines++
	p.fromTable++
	if s.mod != p.modID {
		p.modID, p.noteOK = s.mod, false
	}
	end := i + n + 1
	if !p.inSample {
		return end, true // a line of a sample that was filtered out
	}
	if p.body.lines++; p.body.lines == 2 {
		p.body.second = h
	}
	p.body.last = h
	hash := p.hash
	if s.names.n == 1 {
		p.seq = append(p.seq, s.names.off)
		hash = hashID(hash, s.names.off)
	} else {
		for _, n := range t.names[s.names.off : s.names.off+s.names.n] {
			p.seq = append(p.seq, n)
			hash = hashID(hash, n)
		}
	}
	p.hash = hash
	return end, true
}

// addLine adds frame line l (without its '\n'), whose frames have the name
// ids names, to the table, when it is long enough and the table has room.
func (p *parser) addLine(l []byte, h uint32, names []uint32) {
	t := &p.known
	if t.size()+len(l)+len(names)*4 > p.tableLimit/4 {
		return
	}
	if t.used >= len(t.slots)*3/4 {
		t.grow()
	}
	mask := uint32(len(t.slots) - 1)
	k := h & mask
	for t.slots[k].text.n != 0 {
		k = (k + 1) & mask
	}
	s := &t.slots[k]
	*s = lineSlot{hash: h, mod: p.modID, text: t.store.add(l), java: p.java}
	if len(names) == 1 {
		s.names = span{names[0], 1}
	} else {
		s.names = span{uint32(len(t.names)), uint32(len(names))}
		t.names = appendDoubling(t.names, names...)
	}
	t.used++
}

// grow doubles the slots (or makes the first ones) and places the lines
// again.
func (t *lineTable) grow() {
	old := t.slots
	n := max(2*len(old), 1<<12)
	t.slots = make([]lineSlot, n)
	mask := uint32(n - 1)
	for i := range old {
		if old[i].text.n == 0 {
			continue
		}
		k := old[i].hash & mask
		for t.slots[k].text.n != 0 {
			k = (k + 1) & mask
		}
		t.slots[k] = old[i]
	}
}
