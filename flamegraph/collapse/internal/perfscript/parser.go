package perfscript

import (
	"bytes"
	"math/bits"

	"github.com/flamekit/flamekit/flamegraph"
)

// frame is a frame of the line being parsed: its name, which points into
// the line or into parser.scratch, and its annotation.
type frame struct {
	name []byte
	note note
}

// parser folds `perf script` lines into stack counts. It holds only the
// sample being read (as the name ids of its frames), a bounded table of
// distinct symbols, and one entry per distinct stack and name.
type parser struct {
	kernel, jit, addrs, pid, tid bool

	// Where the tables below take their memory from (region.go), until
	// release.
	mem region

	filter    []byte // the event type kept, once known
	filterSet bool

	// The sample being read.
	inSample bool     // a header was accepted and no blank line has followed
	pname    []byte   // the process frame
	pnameID  int32    // its index in pnames
	java     bool     // the process frame starts with "java"
	period   float64  // the sample's count
	weighted bool     // a kept sample had a period other than 1
	seq      []uint32 // the name ids of its frames, leaf first (stacks.go)
	hash     uint64   // the hash of seq so far (hashID)

	// The tables of distinct symbols, dsos and process frames, which are
	// emptied, between samples, when they take more than half of
	// tableLimit bytes (with the table of lines, which holds dso ids; it
	// and the memo each take no more than a quarter, and stop growing
	// then).
	syms       symTable
	mods       byteSet
	modID      int32      // the id in mods of the dso of the last frame line
	memo       memo       // of sample bodies (memo.go)
	headers    headerMemo // of the starts and ends of headers (headermemo.go)
	known      lineTable  // frame lines (lines.go)
	body       bodyState
	buffers    int // calls of feed, which each get a buffer
	pnames     byteSet
	pnameIDs   []uint32 // the name ids of the process frames
	pnameSpans []span   // each process frame's in pnameIDs
	tableLimit int

	// Distinct names and stacks (stacks.go), and the stacks' counts.
	names  byteSet
	stacks seqTable // name ids → stack
	counts []float64

	// Scratch space to parse a line's frames and build a stack.
	frames  []frame  // leaf first; an inline group is stored reversed
	group   []frame  // frames of one line, in line order
	fields  [][]byte // the "->" fields of one symbol
	scratch []byte   // names that were rewritten
	key     []byte   // a name with its annotation

	// The annotation of the dso of the last frame line (modID), when
	// noteOK.
	lastNote note
	noteOK   bool

	parsed    int // symbols whose frames were made (once per symbol, dso and java flag)
	recalled  int // samples whose last lines came from the memo
	fromTable int // frame lines that came from the table of lines
	predicted int // frame lines that were the line the table of lines predicted (knownLine)
	lines     int // lines read, for Skipped
	skipped   flamegraph.Skipped
	samples   int // samples folded
	filtered  int // samples dropped for their event type
	truncated bool
}

// newParser returns a parser for opts whose tables may take limit bytes.
func newParser(opts Options, limit int) *parser {
	return makeParser(opts, limit, true)
}

// newHeapParser returns a parser as newParser does whose tables are made
// on the heap rather than in a region (region.go): the parsers of the
// parallel reader (parallel.go), whose tables are smaller, each of which
// would round them up to huge pages (with two, on the real capture of
// bench/collapse-render, a peak RSS of 39.6 MiB rather than 32.2, in no
// less time).
func newHeapParser(opts Options, limit int) *parser {
	return makeParser(opts, limit, false)
}

// makeParser returns a parser for opts whose tables may take limit bytes,
// in its region when inRegion is set, else on the heap.
func makeParser(opts Options, limit int, inRegion bool) *parser {
	p := &parser{
		kernel:     opts.Kernel,
		jit:        opts.JIT,
		addrs:      opts.Addrs,
		pid:        opts.PID,
		tid:        opts.TID,
		tableLimit: limit,
	}
	for _, s := range []*blockStore{&p.syms.store, &p.mods.store, &p.memo.store, &p.pnames.store, &p.names.store} {
		s.mem = &p.mem
	}
	p.known.mem, p.stacks.mem = &p.mem, &p.mem
	if inRegion {
		p.presize()
	} else {
		p.mem.mapped = true // and none was made: pieces are made on the heap
	}
	p.modID, _ = p.mods.find(nil)
	if opts.EventFilter != "" {
		p.setFilter([]byte(opts.EventFilter))
	}
	return p
}

// presize makes the slots of the table of lines and of symbols for as
// many as their shares of the parser's limit hold of the lines and
// symbols of a capture (a line and its head take about 128 bytes, a symbol
// 1 KiB with its frames and its share of the table of lines), and those of
// the names and stacks for 8,192 and 16,384: they are made in the region,
// whose pages are made when written, in huge pages. Grown from a few
// thousand, and placed again each time, the slots took 30,000 reads from
// memory on the real capture of bench/collapse-render (a tenth of all).
func (p *parser) presize() {
	if n := pow2Floor(p.tableLimit / 4 / 128); n > 1<<12 {
		p.known.slots = regionMake[uint64](&p.mem, n)
	}
	if n := pow2Floor(p.tableLimit / 2 / 1024); n > 1<<10 {
		p.syms.slots = regionMake[symSlot](&p.mem, n)
	}
	p.names.slots = regionMake[setSlot](&p.mem, 1<<14)
	p.stacks.slots = regionMake[int32](&p.mem, 1<<15)
	for i := range p.stacks.slots {
		p.stacks.slots[i] = -1
	}
}

// pow2Floor returns the largest power of two not above n, or 0 when n < 1.
func pow2Floor(n int) int {
	if n < 1 {
		return 0
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// release gives back the memory of the parser's tables: it may not be
// used after.
func (p *parser) release() {
	p.mem.release()
}

// releaseAll releases the parsers.
func releaseAll(ps []*parser) {
	for _, p := range ps {
		p.release()
	}
}

// setFilter keeps the samples of the event type ev from now on.
func (p *parser) setFilter(ev []byte) {
	p.filter = append(p.filter[:0], ev...)
	p.filterSet = true
}

// feed parses the complete lines of data and returns how many bytes it used.
// At EOF it also parses a last line that has no newline.
//
// A line that starts with a tab or a space is a frame line (or junk): after
// a sample's second line, the rest may come from the memo (memo.go); else
// the line may be one the table of lines knows (lines.go); else it is
// split where it is (frameLine) and added to that table. Other lines go to
// line.
func (p *parser) feed(data []byte, atEOF bool) int {
	p.buffers++
	i := 0
	for i < len(data) {
		if c := data[i]; c == '\t' || c == ' ' {
			if p.body.lines >= 2 && p.body.clean && !p.body.hit && p.known.last != 0 && p.known.head(lineRef(p.known.last-1)).memo != 0 {
				if end, ok := p.recall(data, i); ok {
					i = end
					continue
				}
			}
			end, ok := p.knownLine(data, i)
			if !ok {
				n := bytes.IndexByte(data[i:], '\n')
				if n < 0 {
					break
				}
				p.lines++
				l := data[i : i+n]
				if names, ok := p.frameLine(l); ok {
					p.addLine(l, names)
				} else {
					p.known.last = 0
				}
				end = i + n + 1
			}
			i = end
			if p.body.lines == 2 && p.body.restAt == 0 {
				p.body.restAt, p.body.buffer, p.body.restSeq, p.body.second = i, p.buffers, len(p.seq), p.known.last
			}
			continue
		}
		n := bytes.IndexByte(data[i:], '\n')
		if n < 0 {
			break
		}
		p.known.last = 0
		if n == 0 && p.inSample {
			p.remember(data, i)
		}
		p.line(data[i : i+n])
		i += n + 1
	}
	if atEOF {
		if i < len(data) {
			p.lines++
			p.other(data[i:])
			i = len(data)
		}
		// A sample with no blank line after it is dropped, as the perl does:
		// the input was cut, so its root frames are probably missing.
		if p.inSample {
			p.truncated = true
			p.reset()
		}
	}
	return i
}

// frameLine handles a line that is not a header: in a sample, the name ids of its frames are kept when it is a frame line, and
// else it is skipped. It returns the name ids, valid until the next line,
// when it kept them.
func (p *parser) frameLine(l []byte) ([]uint32, bool) {
	l = trimCR(l)
	pc, raw, mod, same, ok := splitFrameLine(l, p.mods.text(p.modID))
	if !ok {
		p.body.clean = false
		p.skipped.Add(p.lines, l)
		return nil, false
	}
	if !same {
		p.modID, _ = p.mods.find(mod)
		p.noteOK = false
	}
	if !p.inSample {
		return nil, false // a line of a sample that was filtered out
	}
	p.body.lines++
	raw = trimOffset(raw)
	var names []uint32
	if p.addrs && bytes.Contains(raw, []byte(unknown)) {
		// Named after its address: parsed where it is.
		p.symbolFrames(pc, raw, mod)
		k := len(p.seq)
		p.seq = p.frameNames(p.seq)
		names = p.seq[k:]
	} else {
		names = p.symNames(pc, raw, mod)
		p.seq = append(p.seq, names...)
	}
	h64 := p.hash
	for _, n := range names {
		h64 = hashID(h64, n)
	}
	p.hash = h64
	return names, true
}

// line handles one line, without its '\n', that does not start with a tab
// or a space.
func (p *parser) line(l []byte) {
	p.lines++
	p.other(l)
}

// other handles a line that is not known to be a frame line: a blank line
// ends the sample, '#' starts a comment, a header starts a sample, and any
// other line is looked up as a frame line.
func (p *parser) other(l []byte) {
	l = trimCR(l)
	if len(l) == 0 {
		p.endSample()
		return
	}
	p.body.clean = false // (a header of a new sample sets it again)
	if l[0] == '#' {
		return
	}
	if !isSpace(l[0]) && p.header(l) {
		return
	}
	p.frameLine(l)
}

// reset forgets the sample being read.
func (p *parser) reset() {
	p.inSample = false
	p.seq = p.seq[:0]
	p.hash = 0
	p.body = bodyState{}
}

// endSample folds the sample being read, at a blank line.
func (p *parser) endSample() {
	if !p.inSample {
		return
	}
	p.counts[p.sampleStack()] += p.period
	p.samples++
	p.reset()
}

// startSample makes the state of a new sample whose process frame p.pname
// was just set, emptying the tables first when they are full.
func (p *parser) startSample() {
	if p.body.lines == 0 && p.syms.size()+p.mods.size()+p.pnames.size()+len(p.pnameIDs)*4 > p.tableLimit/2 {
		p.syms.reset()
		last := append([]byte(nil), p.mods.text(p.modID)...) // (reset fills its blocks again)
		p.mods.reset()
		p.modID, _ = p.mods.find(last)
		p.known.reset() // its dso ids are gone
		p.memo.reset()  // its entries are found from its lines
		p.pnames.reset()
		p.headers.forget()
		p.pnameIDs, p.pnameSpans = p.pnameIDs[:0], p.pnameSpans[:0]
	}
	h := &p.headers.heads[0] // the start of the header just read (header)
	if h.id < 0 {
		id, added := p.pnames.find(p.pname)
		if added {
			first := len(p.pnameIDs)
			p.pnameIDs = p.appendNames(p.pnameIDs, p.pname)
			p.pnameSpans = append(p.pnameSpans, span{uint32(first), uint32(len(p.pnameIDs) - first)})
		}
		h.id = id
	}
	p.pnameID = h.id
	p.java = bytes.HasPrefix(p.pname, []byte("java"))
	p.inSample = true
	if p.body.lines == 0 {
		p.body = bodyState{clean: true}
	}
}

// pnameNames returns the name ids of the process frame of the sample being
// read.
func (p *parser) pnameNames() []uint32 {
	s := p.pnameSpans[p.pnameID]
	return p.pnameIDs[s.off : s.off+s.n]
}
