package perfscript

import "slices"

// seqTable gives each distinct sequence of ids an index, the order of its
// first appearance: the stacks, as sequences of name ids (stacks.go). It
// copies the sequences into blocks that never move (doubling one array
// for them, and copying it each time, cost `flamekit collapse` 175 more
// page faults, of 3,400, on the real capture of bench/collapse-render),
// and finds them by a hash the caller computes as it reads them (hashID,
// then hashEnd).
type seqTable struct {
	mem     *region    // where its arrays are made
	blocks  [][]uint32 // the last one is filled; a sequence is in one block
	n       int        // ids in all blocks
	entries []seqEntry
	slots   []int32 // open addressing by hash; -1 is empty
}

// seqBlock is how many ids a block of a seqTable holds; a longer sequence
// gets a block of its own.
const seqBlock = 1 << 16

// seqEntry is a sequence of a seqTable: its hash, and its ids' block and
// place in it.
type seqEntry struct {
	hash  uint64
	block uint32
	ids   span
}

// span is a piece of an arena: an offset and a length.
type span struct{ off, n uint32 }

// seq returns the ids of sequence i.
func (t *seqTable) seq(i int) []uint32 {
	e := &t.entries[i]
	return t.blocks[e.block][e.ids.off : e.ids.off+e.ids.n : e.ids.off+e.ids.n]
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
		if t.entries[i].hash == h && slices.Equal(t.seq(int(i)), ids) {
			return i, 0, true
		}
	}
}

// add keeps a sequence that lookup did not find, at the slot it returned,
// and returns its index.
func (t *seqTable) add(slot int, h uint64, ids []uint32) int32 {
	i := int32(len(t.entries))
	t.slots[slot] = i
	k := len(t.blocks) - 1
	if k < 0 || cap(t.blocks[k])-len(t.blocks[k]) < len(ids) {
		t.blocks = append(t.blocks, regionMake[uint32](t.mem, max(seqBlock, len(ids)))[:0])
		k++
	}
	at := len(t.blocks[k])
	t.blocks[k] = append(t.blocks[k], ids...)
	t.n += len(ids)
	t.entries = appendDoubling(t.mem, t.entries, seqEntry{hash: h, block: uint32(k), ids: span{uint32(at), uint32(len(ids))}})
	return i
}

// grow doubles the slots (or makes the first ones) and places the
// sequences again.
func (t *seqTable) grow() {
	n := max(2*len(t.slots), 1<<12)
	t.slots = regionMake[int32](t.mem, n)
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
