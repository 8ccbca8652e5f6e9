package perfscript

import "hash/maphash"

// byteSet gives each distinct byte string it is asked about an id, the
// order of its first appearance: the lines of the input (lines.go) and the
// names of frames (stacks.go). It copies the strings into one arena.
type byteSet struct {
	arena   []byte
	entries []setEntry
	slots   []int32 // open addressing by hash; -1 is empty
}

// setEntry is a string of a byteSet: where it is in the arena, and its
// hash.
type setEntry struct{ off, n, hash uint32 }

// setSeed seeds the hashes of byteSets.
var setSeed = maphash.MakeSeed()

// size returns the bytes the set holds.
func (s *byteSet) size() int { return len(s.arena) + len(s.entries)*12 + len(s.slots)*4 }

// reset empties the set, keeping its memory.
func (s *byteSet) reset() {
	s.arena, s.entries = s.arena[:0], s.entries[:0]
	for i := range s.slots {
		s.slots[i] = -1
	}
}

// text returns the string id.
func (s *byteSet) text(id int32) []byte {
	e := s.entries[id]
	return s.arena[e.off : e.off+e.n : e.off+e.n]
}

// find returns the id of b, and whether it was added (was new).
func (s *byteSet) find(b []byte) (id int32, added bool) {
	h := uint32(maphash.Bytes(setSeed, b))
	if len(s.entries) >= len(s.slots)/2 {
		s.grow()
	}
	mask := uint32(len(s.slots) - 1)
	for k := h & mask; ; k = (k + 1) & mask {
		id := s.slots[k]
		if id < 0 {
			id = int32(len(s.entries))
			s.slots[k] = id
			s.entries = append(s.entries, setEntry{uint32(len(s.arena)), uint32(len(b)), h})
			s.arena = append(s.arena, b...)
			return id, true
		}
		if e := s.entries[id]; e.hash == h && string(s.arena[e.off:e.off+e.n]) == string(b) {
			return id, false
		}
	}
}

// grow doubles the slots (or makes the first ones) and places the strings
// again.
func (s *byteSet) grow() {
	n := max(2*len(s.slots), 1<<12)
	s.slots = make([]int32, n)
	for i := range s.slots {
		s.slots[i] = -1
	}
	mask := uint32(n - 1)
	for id, e := range s.entries {
		k := e.hash & mask
		for s.slots[k] >= 0 {
			k = (k + 1) & mask
		}
		s.slots[k] = int32(id)
	}
}
