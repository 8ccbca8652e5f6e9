package perfscript

import (
	"hash/maphash"
	"unsafe"
)

// The table of symbols. A frame line's frames depend on its symbol (without
// its "+0x" offset), its dso, whether the process frame starts with "java"
// and the options, and on its address only when an unknown symbol is named
// after it (Options.Addrs). A capture has far fewer distinct symbols than
// distinct lines (the real capture of bench/collapse-render: 23,000
// distinct frame lines, 5,300 distinct symbols with their dso; a generated
// one, whose offsets vary, repeats symbols but hardly any line), so each
// frame line is split where it is and its symbol is looked up in a table of
// one slot (a cache line) per symbol, which keeps the name ids of its
// frames, made the first time. On the real capture this takes as much time
// as a table of lines did (its slots are still read from L3: the input
// streams through L2), on generated ones a fifth less.

// symSlot is a slot of a symTable, one cache line: the hash of a symbol
// with its dso, 1 + its id (0 when empty), its dso, its length and first
// bytes, and, when its frames are one name, that name's id outside and
// inside java processes (made and one tell which are known): most lines
// need nothing beyond the slot their hash leads to.
type symSlot struct {
	hash uint32
	id1  int32
	mod  int32
	n    uint16
	made uint8 // bit j: the names of java flag j are made
	one  uint8 // bit j: they are the single name name[j]
	name [2]uint32
	text [slotText]byte
}

// slotText is how many bytes of a symbol its slot holds.
const slotText = 40

// symEntry is a symbol of a symTable: where its bytes are in the store,
// and the name ids of its frames outside and inside java processes when
// they are not one name.
type symEntry struct {
	at    stored
	names [2]span // in symTable.names
}

// symTable holds the distinct symbols read, with their dsos.
type symTable struct {
	store   blockStore
	entries []symEntry
	slots   []symSlot // open addressing by hash
	names   []uint32
}

// size returns the bytes the table holds.
func (t *symTable) size() int {
	return t.store.size + len(t.entries)*int(unsafe.Sizeof(symEntry{})) + len(t.slots)*int(unsafe.Sizeof(symSlot{})) + len(t.names)*4
}

// reset empties the table, keeping its slots.
func (t *symTable) reset() {
	t.store.reset()
	t.entries, t.names = t.entries[:0], t.names[:0]
	clear(t.slots)
}

// find returns the slot of symbol sym of dso mod, adding it when it is
// new. The slot is valid until the next call.
func (t *symTable) find(sym []byte, mod int32) *symSlot {
	h := uint32(maphash.Bytes(setSeed, sym)) ^ uint32(mod)*0x9e3779b1
	if len(t.entries) >= len(t.slots)*3/4 {
		t.grow()
	}
	mask := uint32(len(t.slots) - 1)
	head := sym[:min(len(sym), slotText)]
	for k := h & mask; ; k = (k + 1) & mask {
		s := &t.slots[k]
		if s.id1 == 0 {
			*s = symSlot{hash: h, id1: int32(len(t.entries)) + 1, mod: mod, n: uint16(min(len(sym), 1<<16-1))}
			copy(s.text[:], head)
			t.entries = appendDoubling(t.store.mem, t.entries, symEntry{at: t.store.add(sym)})
			return s
		}
		if s.hash == h && s.mod == mod && int(s.n) == min(len(sym), 1<<16-1) && string(s.text[:len(head)]) == string(head) &&
			(len(sym) <= slotText || string(t.store.text(t.entries[s.id1-1].at)) == string(sym)) {
			return s
		}
	}
}

// grow doubles the slots (or makes the first ones) and places the symbols
// again.
func (t *symTable) grow() {
	old := t.slots
	n := max(2*len(old), 1<<10)
	t.slots = regionMake[symSlot](t.store.mem, n)
	mask := uint32(n - 1)
	for i := range old {
		if old[i].id1 == 0 {
			continue
		}
		k := old[i].hash & mask
		for t.slots[k].id1 != 0 {
			k = (k + 1) & mask
		}
		t.slots[k] = old[i]
	}
}

// symNames returns the name ids of the frames of symbol sym (without its
// offset) of dso mod, at address pc, leaf first, in the sample being read,
// making them the first time. They are valid until the next call.
func (p *parser) symNames(pc, sym, mod []byte) []uint32 {
	t := &p.syms
	s := t.find(sym, p.modID)
	j := uint8(0)
	if p.java {
		j = 1
	}
	if s.made&(1<<j) == 0 {
		p.symbolFrames(pc, sym, mod)
		p.parsed++
		first := len(t.names)
		t.names = p.frameNames(t.names)
		if len(t.names)-first == 1 {
			s.name[j] = t.names[first]
			s.one |= 1 << j
			t.names = t.names[:first]
		} else {
			t.entries[s.id1-1].names[j] = span{uint32(first), uint32(len(t.names) - first)}
		}
		s.made |= 1 << j
	}
	if s.one&(1<<j) != 0 {
		return s.name[j : j+1]
	}
	sp := t.entries[s.id1-1].names[j]
	return t.names[sp.off : sp.off+sp.n : sp.off+sp.n]
}

// trimCR removes a final '\r' (CRLF input).
func trimCR(l []byte) []byte {
	if n := len(l); n > 0 && l[n-1] == '\r' {
		return l[:n-1]
	}
	return l
}
