package perfscript

import (
	"hash/maphash"
	"slices"
	"unsafe"
)

// The memo of sample bodies. perf prints a call path with the same bytes
// every time, and a sample's lines after its first two (the leaf, which
// varies with the instruction pointer, and its caller) repeat as a whole
// far more than one at a time: in a system-wide capture of 40,000 samples,
// 23,000 samples end with lines a sample before ended with, 40% of all
// frame lines. So those lines are kept whole, with the name ids of their
// frames, and a sample whose second line is followed by the same bytes up
// to its blank line gets its frames with one compare. Those lines are
// looked for after each line of a sample from its second on, found from
// the line before them: a sample that shares them with one before may
// have more leaf frames (in the real capture of bench/collapse-render the
// memo then serves 35,000 samples rather than 22,000).
//
// The memo takes at most a quarter of Sizes.Memo bytes; when full, it
// keeps what it has, and it is emptied with the table of lines (lines.go),
// from whose lines its entries are found: each line of the table heads a
// list of the entries of lines that followed it, most recently used first.
// (They used to be found from a hash of the line, in slots of their own:
// the line's head, which the parser has just read, spares a read from L3
// for each of the 285,000 lines after which the real capture's samples
// look for them, and half the instructions of recall: feed asks the memo
// only after a line whose head lists entries.)
// A sample's lines are kept only when they are those of the last sample
// with the same second line that the memo did not serve (their
// fingerprint is the one the line keeps), so that lines seen once cost a
// hash of their ends, not a copy; and only when they were all frame lines
// read one after the other in one buffer, whose frames depend on nothing
// but their bytes, the options and whether the process frame starts with
// "java", which the line records (the table keeps a line read in java
// processes apart from the same line read in others). The memo is exact:
// an entry is used only when the input holds its bytes; which line led to
// it does not matter.

// memoCands is how many entries are kept for one line.
const memoCands = 8

// memoEntry is the lines of a sample after its second line (each with its
// '\n'), the name ids of their frames, leaf first, how many lines they are,
// and the next entry of the same line (1 + its index, 0 for none).
type memoEntry struct {
	text  stored
	names span
	lines int32
	next  int32
	last  lastStack
}

// lastStack is the stack the last sample served by a memo entry folded to
// (1 + its index; 0 for none), with what it depends on besides the entry:
// the process frame and the names of the first two lines (when there are
// at most three). A sample served by the entry with the same ones folds to
// the same stack.
type lastStack struct {
	stack int32
	pname int32
	n     int32
	head  [3]uint32
}

// sampleStack returns the stack of the sample being read. When the memo
// served it, and the last sample its entry served had the same process
// frame and first two lines, that is the stack the last one folded to.
func (p *parser) sampleStack() int32 {
	if !p.body.hit {
		return p.stackOf()
	}
	e := &p.memo.entries[p.body.entry]
	head := p.seq[:p.body.restSeq]
	if l := &e.last; l.stack != 0 && l.pname == p.pnameID && int(l.n) == len(head) && slices.Equal(l.head[:l.n], head) {
		return l.stack - 1
	}
	stack := p.stackOf()
	if len(head) <= len(e.last.head) {
		e.last = lastStack{stack: stack + 1, pname: p.pnameID, n: int32(len(head))}
		copy(e.last.head[:], head)
	}
	return stack
}

// memo holds the entries.
type memo struct {
	store   blockStore
	entries []memoEntry
	names   []uint32
}

// size returns the bytes the memo holds.
func (m *memo) size() int {
	return m.store.size + len(m.entries)*int(unsafe.Sizeof(memoEntry{})) + len(m.names)*4
}

// reset empties the memo.
func (m *memo) reset() {
	m.store.reset()
	m.entries, m.names = m.entries[:0], m.names[:0]
}

// bodyState is what the parser tracks of the sample being read for the
// memo.
type bodyState struct {
	lines   int    // frame lines read in the sample
	clean   bool   // all of them were frame lines read by feed's fast path
	second  uint32 // 1 + the lineRef of the second line, 0 when the table of lines does not have it
	restAt  int    // where the lines after it start in the buffer, or 0
	restSeq int    // how many names the sample had after its second line
	buffer  int    // the buffer (parser.buffers) restAt is in
	hit     bool   // the lines after the second came from the memo
	entry   int32  // the entry they came from
}

// recall looks for an entry of the last line read of the sample being read
// (its second or a later one, which the table of lines has: lineTable.last)
// whose bytes data holds from i, up to a blank line. When there is one, it
// adds the entry's frames to the sample and returns where its lines end.
func (p *parser) recall(data []byte, i int) (int, bool) {
	m := &p.memo
	line := p.known.head(lineRef(p.known.last - 1))
	prev := int32(0)
	for c := line.memo; c != 0; c = m.entries[c-1].next {
		e := &m.entries[c-1]
		if !m.store.follows(e.text, data, i) {
			prev = c
			continue
		}
		if prev != 0 { // most recently used first
			m.entries[prev-1].next = e.next
			e.next, line.memo = line.memo, c
		}
		h := p.hash
		for _, n := range m.names[e.names.off : e.names.off+e.names.n] {
			p.seq = append(p.seq, n)
			h = hashID(h, n)
		}
		p.hash = h
		p.lines += int(e.lines)
		p.recalled++
		p.body.hit, p.body.entry, p.body.restSeq = true, c-1, len(p.seq)-int(e.names.n)
		return i + int(e.text.n), true
	}
	return i, false
}

// remember keeps the lines after the second of the sample that ends at a
// blank line at data[end], when it can and the last sample with the same
// second line had them.
func (p *parser) remember(data []byte, end int) {
	b := &p.body
	if !b.clean || b.hit || b.lines < 3 || b.second == 0 || b.restAt == 0 || b.buffer != p.buffers || b.restAt >= end {
		return
	}
	m := &p.memo
	rest := data[b.restAt:end]
	if m.size()+len(rest) > p.tableLimit/4 {
		return
	}
	line := p.known.head(lineRef(b.second - 1))
	if h := fingerprint(rest); line.rest != h {
		line.rest = h
		return
	}
	n := 0
	for c := line.memo; c != 0; c = m.entries[c-1].next {
		n++
	}
	if n >= memoCands {
		return
	}
	names := p.seq[b.restSeq:]
	m.entries = appendDoubling(m.store.mem, m.entries, memoEntry{
		text:  m.store.add(rest),
		names: span{uint32(len(m.names)), uint32(len(names))},
		lines: int32(b.lines - 2),
		next:  line.memo,
	})
	m.names = appendDoubling(m.store.mem, m.names, names...)
	line.memo = int32(len(m.entries))
}

// fingerprint returns a hash of the length and the ends of a sample's lines
// after its second: enough to tell whether they are likely those of the
// last sample of a slot (two samples that agree on them almost always agree
// on all), without reading them all. It decides only what the memo keeps.
func fingerprint(rest []byte) uint64 {
	const end = 64
	if len(rest) <= 2*end {
		return maphash.Bytes(setSeed, rest)
	}
	return hashID(maphash.Bytes(setSeed, rest[:end])^maphash.Bytes(setSeed, rest[len(rest)-end:])*hashMul, uint32(len(rest)))
}
