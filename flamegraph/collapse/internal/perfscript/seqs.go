package perfscript

import "slices"

// seqTable gives each distinct sequence of ids under a tag a value: the
// bodies of samples (the line ids under a process frame) their stacks, and
// the stacks (the name ids) their index. It copies the sequences into one
// arena, and finds them by a hash the caller computes (hashID, hashEnd).
type seqTable struct {
	ids     []uint32
	entries []seqEntry
	slots   []int32 // open addressing by hash; -1 is empty
}

// seqEntry is a sequence of a seqTable: its hash, tag, ids and value.
type seqEntry struct {
	hash  uint64
	tag   int32
	ids   span // in seqTable.ids
	value int32
}

// span is a piece of an arena: an offset and a length.
type span struct{ off, n uint32 }

// size returns the bytes the table holds.
func (t *seqTable) size() int { return len(t.ids)*4 + len(t.entries)*24 + len(t.slots)*4 }

// reset empties the table, keeping its memory.
func (t *seqTable) reset() {
	t.ids, t.entries = t.ids[:0], t.entries[:0]
	for i := range t.slots {
		t.slots[i] = -1
	}
}

// seq returns the ids of entry i.
func (t *seqTable) seq(i int) []uint32 {
	s := t.entries[i].ids
	return t.ids[s.off : s.off+s.n : s.off+s.n]
}

// lookup returns the value of the sequence ids under tag, whose hash is h,
// or else reports false and the slot where add puts it.
func (t *seqTable) lookup(h uint64, tag int32, ids []uint32) (value int32, slot int, ok bool) {
	if len(t.entries) >= len(t.slots)/2 {
		t.grow()
	}
	mask := len(t.slots) - 1
	for s := int(h) & mask; ; s = (s + 1) & mask {
		i := t.slots[s]
		if i < 0 {
			return 0, s, false
		}
		e := &t.entries[i]
		if e.hash == h && e.tag == tag && slices.Equal(t.ids[e.ids.off:e.ids.off+e.ids.n], ids) {
			return e.value, 0, true
		}
	}
}

// add keeps a sequence that lookup did not find, at the slot it returned,
// with its value.
func (t *seqTable) add(slot int, h uint64, tag int32, ids []uint32, value int32) {
	t.slots[slot] = int32(len(t.entries))
	t.entries = appendDoubling(t.entries, seqEntry{hash: h, tag: tag, ids: span{uint32(len(t.ids)), uint32(len(ids))}, value: value})
	t.ids = appendDoubling(t.ids, ids...)
}

// grow doubles the slots (or makes the first ones) and places the
// sequences again.
func (t *seqTable) grow() {
	n := max(2*len(t.slots), 1<<12)
	t.slots = make([]int32, n)
	for i := range t.slots {
		t.slots[i] = -1
	}
	mask := n - 1
	for i := range t.entries {
		s := int(t.entries[i].hash) & mask
		for t.slots[s] >= 0 {
			s = (s + 1) & mask
		}
		t.slots[s] = int32(i)
	}
}

// The hash of a sequence: its ids in order, then its tag.
const hashMul = 0x9e3779b97f4a7c15

func hashID(h uint64, v uint32) uint64 { return (h ^ uint64(v)) * hashMul }

func hashEnd(h uint64, tag int32) uint64 {
	h = (h ^ uint64(uint32(tag))) * hashMul
	return h ^ h>>29
}

// hashSeq returns the hash of ids under tag.
func hashSeq(ids []uint32, tag int32) uint64 {
	var h uint64
	for _, v := range ids {
		h = hashID(h, v)
	}
	return hashEnd(h, tag)
}
