package perfscript

// The memo of sample bodies. perf prints a call path with the same bytes
// every time, and a sample's lines after its first two (the leaf, which
// varies with the instruction pointer, and its caller) repeat as a whole
// far more than one at a time: in a system-wide capture of 40,000 samples,
// 23,000 samples end with lines a sample before ended with, half of all
// frame lines. So those lines are kept whole, with the name ids of their
// frames, and a sample whose second line is followed by the same bytes up
// to its blank line gets its frames with one compare.
//
// The entries are found from the id of the second line, whose lineInfo
// points to them (the memo is emptied with the table of lines), most
// recently used first. A sample's lines are kept only when they are those
// of the last sample with the same second line that was not served by the
// memo (their line ids hash to the value that line keeps), so that lines
// seen once cost a hash, not a copy; and only when they were all frame lines
// read one after the other in one buffer, whose frames depend on nothing
// but their bytes, the options and whether the process frame starts with
// "java", which the entry records. The memo is exact: an entry is used
// only when the input holds its bytes.

// memoCands is the number of entries kept for one second line.
const memoCands = 8

// memoEntry is the lines of a sample after its second line (each with its
// '\n'), the name ids of their frames, leaf first, how many lines they are,
// the java flag of the sample, and the next entry of the same second line
// (1 + its index, 0 for none).
type memoEntry struct {
	text  stored
	names span
	lines int32
	java  bool
	next  int32
}

// memo holds the entries.
type memo struct {
	store   blockStore
	entries []memoEntry
	names   []uint32
}

// size returns the bytes the memo holds.
func (m *memo) size() int {
	return m.store.size + len(m.entries)*28 + len(m.names)*4
}

// reset empties the memo.
func (m *memo) reset() {
	m.store.reset()
	m.entries, m.names = m.entries[:0], m.names[:0]
}

// bodyState is what the parser tracks of the sample being read for the
// memo.
type bodyState struct {
	lines    int    // frame lines read in the sample
	clean    bool   // all of them were frame lines read by feed's fast path
	second   lineID // the second line
	restAt   int    // where the lines after it start in the buffer
	restSeq  int    // how many names the sample had after its second line
	restHash uint64 // the hash of the line ids after the second line
	buffer   int    // the buffer (parser.buffers) restAt is in
	hit      bool   // the lines after the second came from the memo
}

// recall looks for an entry of the second line of the sample being read
// whose bytes data holds from i, up to a blank line. When there is one, it
// adds the entry's frames to the sample and returns where its lines end.
func (p *parser) recall(data []byte, i int) (int, bool) {
	m := &p.memo
	info := p.table.info(p.body.second)
	prev := int32(0)
	for c := info.memo; c != 0; c = m.entries[c-1].next {
		e := &m.entries[c-1]
		if e.java != p.java || !m.store.follows(e.text, data, i) {
			prev = c
			continue
		}
		if prev != 0 { // most recently used first
			m.entries[prev-1].next = e.next
			e.next, info.memo = info.memo, c
		}
		h := p.hash
		for _, n := range m.names[e.names.off : e.names.off+e.names.n] {
			p.seq = append(p.seq, n)
			h = hashID(h, n)
		}
		p.hash = h
		p.lines += int(e.lines)
		p.body.hit = true
		p.recalled++
		return i + int(e.text.n), true
	}
	return i, false
}

// remember keeps the lines after the second of the sample that ends at a
// blank line at data[end], when it can and they were seen before.
func (p *parser) remember(data []byte, end int) {
	b := &p.body
	if !b.clean || b.hit || b.lines < 3 || b.buffer != p.buffers || b.restAt >= end {
		return
	}
	m := &p.memo
	info := p.table.info(b.second)
	if h := hashEnd(b.restHash, 0); info.lastRest != h {
		info.lastRest = h
		return
	}
	n := 0
	for c := info.memo; c != 0; c = m.entries[c-1].next {
		n++
	}
	if n >= memoCands {
		return
	}
	names := p.seq[b.restSeq:]
	m.entries = appendDoubling(m.entries, memoEntry{
		text:  m.store.add(data[b.restAt:end]),
		names: span{uint32(len(m.names)), uint32(len(names))},
		lines: int32(b.lines - 2),
		java:  p.java,
		next:  info.memo,
	})
	m.names = appendDoubling(m.names, names...)
	info.memo = int32(len(m.entries))
}
