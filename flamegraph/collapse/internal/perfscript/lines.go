package perfscript

// The table of lines. perf prints a call site with the same bytes every
// time (a return address is fixed, and so is the line perf prints for it),
// and a capture repeats its lines far more than its samples: a system-wide
// capture of 40,000 samples has 670,000 frame lines but 23,000 distinct
// ones. So each distinct line gets an id, and its frames, once parsed, are
// kept with it as name ids (stacks.go): a sample is read as the ids of its
// lines, and a line seen before is never parsed again.
//
// A line enters the table the second time it is read (a filter of the
// hashes of lines read once tells): a line read once, as most leaf lines
// and most lines of inputs whose addresses vary, is parsed where it is
// (parser.directLine), and costs no copy.
//
// Finding a line's id costs a search for its end, a hash and a compare. The
// line that follows a line is most often the one that followed it last time
// (the caller of a call site), so each line remembers its successor, and
// the parser first checks whether the input goes on with that line's bytes
// and a '\n': a single compare, with no search and no hash.
//
// The table is exact: a line's frames depend on nothing but its bytes, the
// options and whether the process frame starts with "java", so each line
// has two sets of frames, made when first needed.

// lineID is the id of a line in a lineTable; noLine is none.
type lineID = int32

const noLine lineID = -1

// lineInfo is what is known of a line: the two lines that followed it
// last, the latest first, whether it is a frame line at all, and the name
// ids of its frames outside and inside java processes, once made.
type lineInfo struct {
	next    [2]lineID
	names   [2]span // in lineTable.names; valid when made[java]
	made    [2]bool
	isFrame bool
}

// lineTable holds the distinct lines read.
type lineTable struct {
	set   byteSet[lineInfo]
	names []uint32
	once  []uint32 // the hashes of lines read once (1 | hash), by hash
}

// onceSlots is the size of lineTable.once, a power of two.
const onceSlots = 1 << 15

// size returns the bytes the table holds.
func (t *lineTable) size() int { return t.set.size() + len(t.names)*4 + len(t.once)*4 }

// reset empties the table, keeping its memory.
func (t *lineTable) reset() {
	t.set.reset()
	t.names = t.names[:0]
	clear(t.once)
}

// info returns what is known of line id.
func (t *lineTable) info(id lineID) *lineInfo { return &t.set.entries[id].val }

// text returns the bytes of line id.
func (t *lineTable) text(id lineID) []byte { return t.set.text(id) }

// follows reports whether data goes on from i with the bytes of line id and
// a '\n', and returns the line's length.
func (t *lineTable) follows(id lineID, data []byte, i int) (int, bool) {
	at := t.set.entries[id].at
	return int(at.n), t.set.store.follows(at, data, i)
}

// find returns the id of line l (without its '\n'), adding it when it is
// new.
func (t *lineTable) find(l []byte) lineID {
	id, added := t.set.find(l)
	if added {
		_, _, _, _, ok := splitFrameLine(trimCR(l), nil)
		t.set.entries[id].val = lineInfo{next: [2]lineID{noLine, noLine}, isFrame: ok}
	}
	return id
}

// lookup returns the id of line l (without its '\n'), adding it when it
// was read once before, or else noLine.
func (t *lineTable) lookup(l []byte) lineID {
	h := t.set.hash(l)
	if id := t.set.lookup(l, h); id >= 0 {
		return id
	}
	if t.once == nil {
		t.once = make([]uint32, onceSlots)
	}
	if slot := &t.once[h&(onceSlots-1)]; *slot != h|1 {
		*slot = h | 1
		return noLine
	}
	return t.find(l)
}

// checkTable drops the table of lines for good when, over the last
// tableWindow samples, fewer lines were foreseen (parser.predicted) than
// looked up: the lines hardly repeat, as in generated captures whose
// offsets vary, and are better parsed where they are.
func (p *parser) checkTable() {
	if p.foreseen < p.looked {
		p.noTable = true
		p.table = lineTable{}
		p.prev = noLine
	}
	p.foreseen, p.looked = 0, 0
}

// trimCR removes a final '\r' (CRLF input).
func trimCR(l []byte) []byte {
	if n := len(l); n > 0 && l[n-1] == '\r' {
		return l[:n-1]
	}
	return l
}
