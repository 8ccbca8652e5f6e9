package perfscript

import (
	"hash/maphash"
	"unsafe"
)

// byteSet gives each distinct byte string it is asked about an id, the
// order of its first appearance: the process frames and dsos of the input
// (parser.go) and the names of frames (stacks.go). It copies the strings
// into blocks that are never moved, so that growing copies nothing but the
// entries. Its memory comes from the region of its store.
type byteSet struct {
	store   blockStore
	entries []setEntry
	slots   []setSlot // open addressing by hash
}

// setSlot is a slot of a byteSet: the hash of a string and 1 + its id, or
// zeros when empty. With the hash here, a probe reads an entry only when
// the hashes agree.
type setSlot struct {
	hash uint32
	id1  int32
}

// setEntry is a string of a byteSet: where it is in the store and its
// hash.
type setEntry struct {
	at   stored
	hash uint32
}

// setSeed seeds the hashes of byteSets.
var setSeed = maphash.MakeSeed()

// size returns the bytes the set holds.
func (s *byteSet) size() int {
	return s.store.size + len(s.entries)*int(unsafe.Sizeof(setEntry{})) + len(s.slots)*8
}

// reset empties the set, keeping its slots.
func (s *byteSet) reset() {
	s.store.reset()
	s.entries = s.entries[:0]
	clear(s.slots)
}

// text returns the string id.
func (s *byteSet) text(id int32) []byte {
	return s.store.text(s.entries[id].at)
}

// hash returns the hash of b.
func (s *byteSet) hash(b []byte) uint32 { return uint32(maphash.Bytes(setSeed, b)) }

// find returns the id of b, and whether it was added (was new).
func (s *byteSet) find(b []byte) (id int32, added bool) {
	h := s.hash(b)
	if len(s.entries) >= len(s.slots)/2 {
		s.grow()
	}
	mask := uint32(len(s.slots) - 1)
	for k := h & mask; ; k = (k + 1) & mask {
		slot := s.slots[k]
		if slot.id1 == 0 {
			id = int32(len(s.entries))
			s.slots[k] = setSlot{h, id + 1}
			s.entries = appendDoubling(s.store.mem, s.entries, setEntry{at: s.store.add(b), hash: h})
			return id, true
		}
		if slot.hash == h && string(s.store.text(s.entries[slot.id1-1].at)) == string(b) {
			return slot.id1 - 1, false
		}
	}
}

// grow doubles the slots (or makes the first ones) and places the strings
// again.
func (s *byteSet) grow() {
	n := max(2*len(s.slots), 1<<12)
	s.slots = regionMake[setSlot](s.store.mem, n)
	mask := uint32(n - 1)
	for id := range s.entries {
		h := s.entries[id].hash
		k := h & mask
		for s.slots[k].id1 != 0 {
			k = (k + 1) & mask
		}
		s.slots[k] = setSlot{h, int32(id) + 1}
	}
}

// blockStore keeps copies of byte strings in blocks that are never moved
// nor reused until reset, which keeps them to fill again.
type blockStore struct {
	mem    *region  // where the blocks are made (nil: on the heap)
	blocks [][]byte // those before the last used one are full
	used   int      // how many blocks hold strings
	size   int      // bytes stored
}

// stored is where a string is in a blockStore.
type stored struct{ block, off, n uint32 }

// storeBlock is the size of the blocks of a blockStore; a longer string
// gets a block of its own.
const storeBlock = 256 << 10

// add copies b into the store.
func (s *blockStore) add(b []byte) stored {
	if k := s.used - 1; k < 0 || cap(s.blocks[k])-len(s.blocks[k]) < len(b) {
		if s.used == len(s.blocks) || cap(s.blocks[s.used]) < len(b) {
			s.blocks = append(s.blocks[:s.used], regionMake[byte](s.mem, max(storeBlock, len(b)))[:0])
		}
		s.used++
	}
	k := s.used - 1
	at := stored{block: uint32(k), off: uint32(len(s.blocks[k])), n: uint32(len(b))}
	s.blocks[k] = append(s.blocks[k], b...)
	s.size += len(b)
	return at
}

// text returns the string at.
func (s *blockStore) text(at stored) []byte {
	return s.blocks[at.block][at.off : at.off+at.n : at.off+at.n]
}

// follows reports whether data goes on from i with the string at and a
// '\n'.
func (s *blockStore) follows(at stored, data []byte, i int) bool {
	end := i + int(at.n)
	return end < len(data) && data[end] == '\n' && string(data[i:end]) == string(s.blocks[at.block][at.off:at.off+at.n])
}

// reset empties the store, keeping its blocks to fill again.
func (s *blockStore) reset() {
	for k := range s.blocks {
		s.blocks[k] = s.blocks[k][:0]
	}
	s.used, s.size = 0, 0
}
