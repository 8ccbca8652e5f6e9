package perfscript

import (
	"bytes"

	"github.com/flamekit/flamekit/flamegraph"
)

// frame is one frame of the sample being read: its name, which points into
// the input buffer or into parser.scratch, and its annotation.
type frame struct {
	name []byte
	note note
}

// parser folds `perf script` lines into stack counts. It holds only the
// sample being read and one entry per distinct stack.
type parser struct {
	kernel, jit, addrs, pid, tid bool

	filter    []byte // the event type kept, once known
	filterSet bool

	// The sample being read.
	inSample bool     // a header was accepted and no blank line has followed
	pname    []byte   // the process frame
	java     bool     // the process frame starts with "java"
	period   float64  // the sample's count
	weighted bool     // a kept sample had a period other than 1
	frames   []frame  // leaf first; an inline group is stored reversed
	group    []frame  // frames of one line, in line order
	fields   [][]byte // the "->" fields of one symbol
	scratch  []byte   // names that were rewritten
	key      []byte   // the folded stack being built
	started  bool     // a header was just accepted
	hit      int      // the memo entry of the sample being read, or -1
	tail     []byte   // see parser.tailKey

	// The memo of sample bodies (see memo.go): its entries, and their
	// indexes by the first lines after the leaf, one per value of java.
	memos    []memo
	memoIdx  [2]map[string][]int32
	memoLeft int // bytes the memo may still take

	// The dso of the last frame line, and its annotation when noteOK.
	lastMod  []byte
	lastNote note
	noteOK   bool

	// Distinct stacks and their counts.
	index  map[string]int
	keys   []string
	counts []float64

	lines     int // lines read, for Skipped
	skipped   flamegraph.Skipped
	samples   int // samples folded
	filtered  int // samples dropped for their event type
	truncated bool
}

// newParser returns a parser for opts whose memo may take memo bytes.
func newParser(opts Options, memo int) *parser {
	p := &parser{
		kernel: opts.Kernel,
		jit:    opts.JIT,
		addrs:  opts.Addrs,
		pid:    opts.PID,
		tid:    opts.TID,
		index:  make(map[string]int),
	}
	p.memoLeft, p.hit = memo, -1
	if opts.EventFilter != "" {
		p.setFilter([]byte(opts.EventFilter))
	}
	return p
}

// setFilter keeps the samples of the event type ev from now on.
func (p *parser) setFilter(ev []byte) {
	p.filter = append(p.filter[:0], ev...)
	p.filterSet = true
}

// feed parses the complete lines of data and returns how many bytes it used.
// At EOF it also parses a last line that has no newline.
func (p *parser) feed(data []byte, atEOF bool) int {
	i := 0
	for {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		p.line(data[i : i+j])
		i += j + 1
		if p.started {
			i = p.body(data, i)
		}
	}
	if atEOF {
		if i < len(data) {
			p.line(data[i:])
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

// detach copies the frames of the sample being read out of the input
// buffer, so that the buffer can be refilled.
func (p *parser) detach() {
	n := 0
	for _, f := range p.frames {
		n += len(f.name)
	}
	if n == 0 {
		return
	}
	own := make([]byte, 0, n)
	for i, f := range p.frames {
		s := len(own)
		own = append(own, f.name...)
		p.frames[i].name = own[s:len(own):len(own)]
	}
}

// line handles one line without its '\n'.
func (p *parser) line(l []byte) {
	p.lines++
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1] // CRLF input
	}
	if len(l) == 0 {
		p.endSample()
		return
	}
	if l[0] == '#' {
		return
	}
	if !isSpace(l[0]) && p.header(l) {
		return
	}
	if !p.frame(l) {
		p.skipped.Add(p.lines, l)
	}
}

// reset forgets the sample being read.
func (p *parser) reset() {
	p.inSample = false
	p.hit = -1
	clear(p.frames) // drop references into the input buffer
	p.frames = p.frames[:0]
	p.scratch = p.scratch[:0]
}

// endSample folds the sample being read, at a blank line.
func (p *parser) endSample() {
	if !p.inSample {
		return
	}
	var e *memo
	if p.hit >= 0 {
		// The stack is the comm, the memo's frames and the leaf line's:
		// when the comm and the leaf's frames are those of the last sample
		// with this memo, so is the stack.
		e = &p.memos[p.hit]
		p.tailKey()
		if e.stack >= 0 && string(p.tail) == string(e.tail) {
			p.counts[e.stack] += p.period
			p.samples++
			p.reset()
			return
		}
	}
	key := append(p.key[:0], p.pname...)
	if e != nil {
		key = append(key, e.frag...)
	}
	key = p.appendFrames(key, 0)
	p.key = key
	i, ok := p.index[string(key)]
	if ok {
		p.counts[i] += p.period
	} else {
		s := string(key)
		i = len(p.keys)
		p.index[s] = i
		p.keys = append(p.keys, s)
		p.counts = append(p.counts, p.period)
	}
	if e != nil {
		e.tail = append(e.tail[:0], p.tail...)
		e.stack = i
	}
	p.samples++
	p.reset()
}

// appendFrames appends ";name" for each frame of the sample from the k-th
// (in input order), root first.
func (p *parser) appendFrames(b []byte, k int) []byte {
	for i := len(p.frames) - 1; i >= k; i-- {
		f := &p.frames[i]
		b = append(b, ';')
		b = append(b, f.name...)
		b = append(b, noteText[f.note]...)
	}
	return b
}

// tailKey sets p.tail to what the stack depends on besides the memo's
// frames: the comm (with its length) and the frames.
func (p *parser) tailKey() {
	n := len(p.pname)
	t := append(p.tail[:0], byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	t = append(t, p.pname...)
	p.tail = p.appendFrames(t, 0)
}
