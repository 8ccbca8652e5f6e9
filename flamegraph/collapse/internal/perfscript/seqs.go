package perfscript

import "slices"

// seqTable gives each distinct sequence of ids an index, the order of its
// first appearance: the stacks, as sequences of name ids (stacks.go). It
// copies the sequences into one arena, and finds them by a hash the caller
// computes as it reads them (hashID, then hashEnd).
type seqTable struct {
	ids     []uint32
	entries []seqEntry
	slots   []int32 // open addressing by hash; -1 is empty
}

// seqEntry is a sequence of a seqTable: its hash and ids.
type seqEntry struct {
	hash uint64
	ids  span // in seqTable.ids
}

// span is a piece of an arena: an offset and a length.
type span struct{ off, n uint32 }

// seq returns the ids of sequence i.
func (t *seqTable) seq(i int) []uint32 {
	s := t.entries[i].ids
	return t.ids[s.off : s.off+s.n : s.off+s.n]
}

// lookup returns the index of the sequence ids, whose hash is h, or else
// reports false and the slot where add puts it.
func (t *seqTable) lookup(h uint64, ids []uint32) (index int32, slot int, ok bool) {
	if len(t.entries) >= len(t.slots)/2 {
		t.grow()
	}
	mask := len(t.slots) - 1
	for s := int(h) & mask; ; s = (s + 1) & mask {
		i := t.slots[s]
		if i < 0 {
			return 0, s, false
		}
		if e := &t.entries[i]; e.hash == h && slices.Equal(t.ids[e.ids.off:e.ids.off+e.ids.n], ids) {
			return i, 0, true
		}
	}
}

// add keeps a sequence that lookup did not find, at the slot it returned,
// and returns its index.
func (t *seqTable) add(slot int, h uint64, ids []uint32) int32 {
	i := int32(len(t.entries))
	t.slots[slot] = i
	t.entries = appendDoubling(t.entries, seqEntry{hash: h, ids: span{uint32(len(t.ids)), uint32(len(ids))}})
	t.ids = appendDoubling(t.ids, ids...)
	return i
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

// The hash of a sequence: hashID of each id in order, then hashEnd.
const hashMul = 0x9e3779b97f4a7c15

func hashID(h uint64, v uint32) uint64 { return (h ^ uint64(v)) * hashMul }

func hashEnd(h uint64) uint64 { return h ^ h>>29 }
