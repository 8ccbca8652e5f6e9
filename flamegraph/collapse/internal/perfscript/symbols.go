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
// distinct frame lines, 5,300 distinct symbols with their dso), so each
// frame line is split where it is and its symbol is looked up in a table
// small enough to stay in a core's cache, which keeps the name ids of its
// frames, made the first time.

// symInfo is what is known of a symbol: the name ids of its frames outside
// and inside java processes, once made.
type symInfo struct {
	names [2]span // in symTable.names; valid when made[java]
	made  [2]bool
}

// symEntry is a symbol of a symTable: where its bytes are in the store, its
// hash, its dso (an id of parser.mods) and what is known of it.
type symEntry struct {
	at   stored
	hash uint32
	mod  int32
	info symInfo
}

// symTable holds the distinct symbols read, with their dsos.
type symTable struct {
	store   blockStore
	entries []symEntry
	slots   []setSlot // open addressing by hash
	names   []uint32
}

// size returns the bytes the table holds.
func (t *symTable) size() int {
	return t.store.size + len(t.entries)*int(unsafe.Sizeof(symEntry{})) + len(t.slots)*8 + len(t.names)*4
}

// reset empties the table, keeping its slots.
func (t *symTable) reset() {
	t.store.reset()
	t.entries, t.names = t.entries[:0], t.names[:0]
	clear(t.slots)
}

// find returns what is known of symbol sym of dso mod, adding it when it
// is new.
func (t *symTable) find(sym []byte, mod int32) *symInfo {
	h := uint32(maphash.Bytes(setSeed, sym)) ^ uint32(mod)*0x9e3779b1
	if len(t.entries) >= len(t.slots)/2 {
		t.grow()
	}
	mask := uint32(len(t.slots) - 1)
	for k := h & mask; ; k = (k + 1) & mask {
		slot := t.slots[k]
		if slot.id1 == 0 {
			t.slots[k] = setSlot{h, int32(len(t.entries)) + 1}
			t.entries = appendDoubling(t.entries, symEntry{at: t.store.add(sym), hash: h, mod: mod})
			return &t.entries[len(t.entries)-1].info
		}
		if slot.hash == h {
			if e := &t.entries[slot.id1-1]; e.mod == mod && string(t.store.text(e.at)) == string(sym) {
				return &e.info
			}
		}
	}
}

// grow doubles the slots (or makes the first ones) and places the symbols
// again.
func (t *symTable) grow() {
	n := max(2*len(t.slots), 1<<12)
	t.slots = make([]setSlot, n)
	mask := uint32(n - 1)
	for id := range t.entries {
		h := t.entries[id].hash
		k := h & mask
		for t.slots[k].id1 != 0 {
			k = (k + 1) & mask
		}
		t.slots[k] = setSlot{h, int32(id) + 1}
	}
}

// symNames returns the name ids of the frames of symbol sym (without its
// offset) of dso mod, at address pc, leaf first, in the sample being read,
// making them the first time.
func (p *parser) symNames(pc, sym, mod []byte) []uint32 {
	t := &p.syms
	info := t.find(sym, p.modID)
	j := 0
	if p.java {
		j = 1
	}
	if !info.made[j] {
		p.symbolFrames(pc, sym, mod)
		first := len(t.names)
		t.names = p.frameNames(t.names)
		info.names[j] = span{uint32(first), uint32(len(t.names) - first)}
		info.made[j] = true
	}
	s := info.names[j]
	return t.names[s.off : s.off+s.n : s.off+s.n]
}

// trimCR removes a final '\r' (CRLF input).
func trimCR(l []byte) []byte {
	if n := len(l); n > 0 && l[n-1] == '\r' {
		return l[:n-1]
	}
	return l
}
