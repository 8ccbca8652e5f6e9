package collapse

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/flamekit/flamekit/flamegraph"
)

// This file holds the line parser behind Perf. It reads `perf script` text
// the way stackcollapse-perf.pl does, but by scanning bytes instead of
// matching regular expressions: every rule below names the case it settles,
// and the parity tests check it against the perl on real captures.

// Byte classes, as perl's \s, \w and \d see bytes (ASCII rules).
const (
	perfClsSpace   = 1 << iota // ' ' \t \n \v \f \r
	perfClsWord                // [A-Za-z0-9_]
	perfClsDigit               // [0-9]
	perfClsHex                 // [0-9a-f]
	perfClsSpecial             // bytes that make a symbol need tidying: ; ( " ' >
)

var perfClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\n\v\f\r") {
		t[c] |= perfClsSpace
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= perfClsWord | perfClsDigit | perfClsHex
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= perfClsWord
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= perfClsHex
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= perfClsWord
	}
	t['_'] |= perfClsWord
	for _, c := range []byte(`;("'>`) {
		t[c] |= perfClsSpecial
	}
	return t
}()

func perfSpace(c byte) bool { return perfClass[c]&perfClsSpace != 0 }
func perfDigit(c byte) bool { return perfClass[c]&perfClsDigit != 0 }

// Annotations appended to a frame name.
const (
	perfNoteNone   uint8 = iota
	perfNoteKernel       // _[k]
	perfNoteJIT          // _[j]
)

var perfNoteText = [...]string{perfNoteNone: "", perfNoteKernel: "_[k]", perfNoteJIT: "_[j]"}

// perfFrame is one frame of the sample being read: its name, which points
// into the input buffer or into perfParser.scratch, and its annotation.
type perfFrame struct {
	name []byte
	note uint8
}

// perfParser folds `perf script` lines into stack counts. It holds only the
// sample being read and one entry per distinct stack.
type perfParser struct {
	kernel, jit, addrs, pid, tid bool

	filter    []byte // the event type kept, once known
	filterSet bool

	// The sample being read.
	inSample bool        // a header was accepted and no blank line has followed
	pname    []byte      // the process frame
	java     bool        // the process frame starts with "java"
	period   float64     // the sample's count
	weighted bool        // a kept sample had a period other than 1
	frames   []perfFrame // leaf first; an inline group is stored reversed
	group    []perfFrame // frames of one line, in line order
	fields   [][]byte    // the "->" fields of one symbol
	scratch  []byte      // names that were rewritten
	key      []byte      // the folded stack being built
	started  bool        // a header was just accepted
	hit      int         // the memo entry of the sample being read, or -1
	tail     []byte      // see perfParser.tailKey

	// The memo of sample bodies (see perf_memo.go): its entries, and their
	// indexes by the first lines after the leaf, one per value of java.
	memos    []perfMemo
	memoIdx  [2]map[string][]int32
	memoLeft int // bytes the memo may still take

	// The dso of the last stack line, and its annotation when noteOK.
	lastMod  []byte
	lastNote uint8
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

// newPerfParser returns a parser for opts whose memo may take memo bytes.
func newPerfParser(opts PerfOptions, memo int) *perfParser {
	p := &perfParser{
		kernel: opts.Kernel || opts.All,
		jit:    opts.JIT || opts.All,
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

func (p *perfParser) setFilter(ev []byte) {
	p.filter = append(p.filter[:0], ev...)
	p.filterSet = true
}

// feed parses the complete lines of data and returns how many bytes it used.
// At EOF it also parses a last line that has no newline.
func (p *perfParser) feed(data []byte, atEOF bool) int {
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
func (p *perfParser) detach() {
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
func (p *perfParser) line(l []byte) {
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
	if !perfSpace(l[0]) && p.header(l) {
		return
	}
	if !p.frame(l) {
		p.skipped.Add(p.lines, l)
	}
}

// reset forgets the sample being read.
func (p *perfParser) reset() {
	p.inSample = false
	p.hit = -1
	clear(p.frames) // drop references into the input buffer
	p.frames = p.frames[:0]
	p.scratch = p.scratch[:0]
}

// endSample folds the sample being read, at a blank line.
func (p *perfParser) endSample() {
	if !p.inSample {
		return
	}
	var e *perfMemo
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
func (p *perfParser) appendFrames(b []byte, k int) []byte {
	for i := len(p.frames) - 1; i >= k; i-- {
		f := &p.frames[i]
		b = append(b, ';')
		b = append(b, f.name...)
		b = append(b, perfNoteText[f.note]...)
	}
	return b
}

// tailKey sets p.tail to what the stack depends on besides the memo's
// frames: the comm (with its length) and the frames.
func (p *perfParser) tailKey() {
	n := len(p.pname)
	t := append(p.tail[:0], byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	t = append(t, p.pname...)
	p.tail = p.appendFrames(t, 0)
}

// header handles a line that may start a sample, like
//
//	java 12688/12764 [002] 6544038.708352:   10309278 cpu-clock:
//
// and reports whether it was one.
func (p *perfParser) header(l []byte) bool {
	comm, pid, tid, ok := perfHeader(l)
	if !ok {
		return false
	}
	period, event, ok := perfEvent(l)
	if ok {
		if !p.filterSet {
			p.setFilter(event)
		} else if !bytes.Equal(event, p.filter) {
			p.filtered++
			return true // the sample's lines are ignored (the state is kept, as the perl does)
		}
	}
	if len(tid) == 0 || len(tid) == 1 && tid[0] == '0' {
		tid, pid = pid, []byte("?")
	}
	p.period = perfPeriod(period)
	p.weighted = p.weighted || p.period != 1
	pn := append(p.pname[:0], comm...)
	for i, c := range pn {
		if c == ' ' {
			pn[i] = '_'
		}
	}
	switch {
	case p.tid:
		pn = append(append(append(append(pn, '-'), pid...), '/'), tid...)
	case p.pid:
		pn = append(append(pn, '-'), pid...)
	}
	p.pname = pn
	p.java = bytes.HasPrefix(pn, []byte("java"))
	p.inSample = true
	p.started = true
	return true
}

// perfHeader splits a sample header into comm, PID and TID. The comm is the
// shortest prefix, starting with a non-space, that is followed by spaces, a
// number (the PID, or the TID when it is alone), an optional "/TID", and a
// space. tid is empty when there is none. (stackcollapse-perf.pl wants two
// bytes of comm, so it misreads one-letter commands such as "w 2475 ...":
// we don't.)
func perfHeader(l []byte) (comm, pid, tid []byte, ok bool) {
	if len(l) < 2 || perfSpace(l[0]) {
		return nil, nil, nil, false
	}
	for k := 1; k < len(l); k++ {
		// Try each run of spaces once, from its start.
		if !perfSpace(l[k]) || perfSpace(l[k-1]) {
			continue
		}
		j := k + 1
		for j < len(l) && perfSpace(l[j]) {
			j++
		}
		d := j
		for j < len(l) && perfDigit(l[j]) {
			j++
		}
		if j == d {
			continue
		}
		pidEnd := j
		for j < len(l) && l[j] == '/' {
			j++
		}
		t := j
		for j < len(l) && perfDigit(l[j]) {
			j++
		}
		if j < len(l) && perfSpace(l[j]) {
			return l[:k], l[d:pidEnd], l[t:j], true
		}
	}
	return nil, nil, nil, false
}

// perfEvent finds the period and event of a header that ends like
// ": 1001001 cpu-clock:" (the period may be missing). The event is the last
// word without its final ':'; the period the digits between it and the ':'
// before it.
func perfEvent(l []byte) (period, event []byte, ok bool) {
	e := len(l)
	for e > 0 && perfSpace(l[e-1]) {
		e--
	}
	if e < 2 || l[e-1] != ':' {
		return nil, nil, false
	}
	s := e - 1
	for s > 0 && !perfSpace(l[s-1]) {
		s--
	}
	if s == 0 || s == e-1 {
		return nil, nil, false
	}
	c := bytes.LastIndexByte(l[:s], ':')
	if c < 0 {
		return nil, nil, false
	}
	// Between the ':' and the event: spaces, optional digits, spaces (at
	// least one after the digits, or at least one in all).
	j := c + 1
	for j < s && perfSpace(l[j]) {
		j++
	}
	d := j
	for j < s && perfDigit(l[j]) {
		j++
	}
	de := j
	for j < s && perfSpace(l[j]) {
		j++
	}
	if j != s || de == d && s == c+1 || de > d && j == de {
		return nil, nil, false
	}
	return l[d:de], l[s : e-1], true
}

// perfPeriod converts a period to a count: none, or "0", counts 1.
func perfPeriod(b []byte) float64 {
	if len(b) == 0 || len(b) == 1 && b[0] == '0' {
		return 1
	}
	var v float64
	for _, c := range b {
		v = v*10 + float64(c-'0')
	}
	return v
}

// frame handles a stack line like
//
//	ffffffff8103ce3b native_safe_halt+0xb ([kernel.kallsyms])
//
// and reports whether it was one.
func (p *perfParser) frame(l []byte) bool {
	pc, raw, mod, same, ok := perfFrameLine(l, p.lastMod)
	if !ok {
		return false
	}
	if !same {
		p.lastMod = append(p.lastMod[:0], mod...)
		p.noteOK = false
	}
	if !p.inSample {
		return true // a line of a sample that was filtered out
	}
	raw = perfTrimOffset(raw)
	if len(raw) == 0 || raw[0] == '(' {
		return true // no name, or a process name: no frame
	}
	name, ok := perfSimple(raw)
	if !ok || p.java && name[0] == 'L' || name[0] == '[' && string(name) == "[unknown]" {
		p.rewrite(pc, raw, mod)
		return true
	}
	note := p.noteFor()
	if note == perfNoteJIT && bytes.Contains(name, []byte("_[j]")) {
		note = perfNoteNone
	}
	p.frames = append(p.frames, perfFrame{name: name, note: note})
	return true
}

// perfSimple returns the tidied form of a symbol when it is a prefix of the
// symbol: no "->", and no ';' or quote before the cut at '('. Otherwise it
// reports false and rewrite does the work.
func perfSimple(b []byte) ([]byte, bool) {
	// The first ';', '(', '"', '\'' or '>', eight bytes at a time.
	first, i := -1, 0
	for first < 0 && i < len(b) {
		if i+8 <= len(b) {
			if m := perfSpecials(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
			} else {
				i += 8
				continue
			}
		} else if perfClass[b[i]]&perfClsSpecial == 0 {
			i++
			continue
		}
		switch b[i] {
		case '>':
			if i > 0 && b[i-1] == '-' {
				return nil, false
			}
		case '(':
			first = i
		default:
			return nil, false
		}
		i++
	}
	if first < 0 {
		return b, true
	}
	// An "->" after it?
	for ; i < len(b); i++ {
		if i+8 <= len(b) {
			if m := perfHasByte(binary.LittleEndian.Uint64(b[i:]), '>'); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
			} else {
				i += 7
				continue
			}
		}
		if b[i] == '>' && b[i-1] == '-' {
			return nil, false
		}
	}
	cut := perfCut(b, first)
	for _, c := range b[first:cut] {
		if c == ';' || c == '"' || c == '\'' {
			return nil, false
		}
	}
	return b[:cut], cut > 0
}

const (
	perfLo = 0x0101010101010101
	perfHi = 0x8080808080808080
)

// perfHasByte returns a mask whose lowest set bit is the high bit of the
// first byte of x (little-endian) equal to c, or 0 if none is.
func perfHasByte(x uint64, c byte) uint64 {
	y := x ^ perfLo*uint64(c)
	return (y - perfLo) &^ y & perfHi
}

// perfSpecials is perfHasByte for any of ; ( " ' >.
func perfSpecials(x uint64) uint64 {
	return perfHasByte(x, ';') | perfHasByte(x, '(') | perfHasByte(x, '"') | perfHasByte(x, '\'') | perfHasByte(x, '>')
}

// perfCut returns where tidying cuts a name whose first '(' is at first:
// there, unless the name is a Go method ("pkg.(*T).M", no cut) or the '('
// opens "(anonymous namespace)" (then at the next '(').
func perfCut(b []byte, first int) int {
	if perfGoMethod(b, first) {
		return len(b)
	}
	for i := first; i < len(b); i++ {
		if b[i] == '(' && !bytes.HasPrefix(b[i+1:], []byte("anonymous namespace)")) {
			return i
		}
	}
	return len(b)
}

// perfFrameLine splits a stack line into the address, the symbol and the
// dso. The line is: optional spaces, a word (the address), optional spaces,
// the symbol, " (", the dso, ")". The dso ends at the last ')' and starts
// after the last " (" before it; the symbol must have at least one byte, and
// when the spaces or the word leave none, they give one up.
//
// last is the dso of the previous line: most lines end with the same one,
// and then same is true and the dso is found without a search. (A dso never
// contains " (", so when the line ends in " (last)" that is the last " (".)
func perfFrameLine(l, last []byte) (pc, sym, mod []byte, same, ok bool) {
	n, m := len(l), len(last)
	q, s := -1, -1
	if n >= m+3 && l[n-1] == ')' && l[n-m-3] == ' ' && l[n-m-2] == '(' && string(l[n-m-1:n-1]) == string(last) {
		q, s, same = n-1, n-m-3, true
	}
	i := 0
	for i < len(l) && perfSpace(l[i]) {
		i++
	}
	if i == len(l) || perfClass[l[i]]&perfClsWord == 0 {
		return nil, nil, nil, false, false
	}
	w := i + 1
	for w < len(l) && perfClass[l[w]]&perfClsWord != 0 {
		w++
	}
	f := w
	for f < len(l) && perfSpace(l[f]) {
		f++
	}
	if s < 0 {
		q = n - 1
		for q > f && l[q] != ')' {
			q--
		}
		// The " (" that opens the dso: the last one that ends before q.
		for k := q - 1; k > i; k-- {
			if l[k] == '(' && l[k-1] == ' ' {
				s = k - 1
				break
			}
		}
		if s < 0 || l[q] != ')' {
			return nil, nil, nil, false, false
		}
	}
	mod = l[s+2 : q]
	switch {
	case s > f: // the usual case
		return l[i:w], l[f:s], mod, same, true
	case s == f-1 && f-w >= 2: // "addr  (dso)": the symbol is one space
		return l[i:w], l[f-2 : f-1], mod, same, true
	case s == f-1 && w-i >= 2: // "word (dso)": the symbol is the last byte of the word
		return l[i : w-1], l[w-1 : w], mod, same, true
	}
	return nil, nil, nil, false, false
}

// perfTrimOffset removes a final "+0x<lower-case hex>" from a symbol.
func perfTrimOffset(b []byte) []byte {
	j := len(b)
	for j > 0 && perfClass[b[j-1]]&perfClsHex != 0 {
		j--
	}
	if j < len(b) && j >= 3 && b[j-3] == '+' && b[j-2] == '0' && b[j-1] == 'x' {
		return b[:j-3]
	}
	return b
}

// noteFor returns the annotation that the options give frames of the dso
// of the current line (lastMod).
func (p *perfParser) noteFor() uint8 {
	if !p.kernel && !p.jit {
		return perfNoteNone
	}
	if !p.noteOK {
		p.lastNote = perfNoteNone
		if p.kernel && perfKernelDSO(p.lastMod) {
			p.lastNote = perfNoteKernel
		} else if p.jit && perfJITDSO(p.lastMod) {
			p.lastNote = perfNoteJIT
		}
		p.noteOK = true
	}
	return p.lastNote
}

// perfKernelDSO reports a kernel dso: "[kernel.kallsyms]" and other bracketed
// names ("[nf_conntrack]"), a path ending in "vmlinux", and, beyond the perl,
// versioned vmlinux files ("vmlinux-6.1.0-18-amd64") and module files
// (".ko", also compressed). Names with "unknown" in them are not.
func perfKernelDSO(mod []byte) bool {
	if len(mod) == 0 || bytes.Contains(mod, []byte("unknown")) {
		return false
	}
	if mod[0] == '[' || bytes.HasSuffix(mod, []byte("vmlinux")) {
		return true
	}
	base := perfBase(mod)
	if bytes.HasPrefix(base, []byte("vmlinux-")) {
		return true
	}
	for _, ext := range []string{".ko", ".ko.xz", ".ko.gz", ".ko.zst"} {
		if bytes.HasSuffix(base, []byte(ext)) {
			return true
		}
	}
	return false
}

// perfJITDSO reports a JIT dso: a perf map ("/tmp/perf-<pid>.map") and, beyond
// the perl, the ELF files that perf inject writes from a jitdump
// ("jitted-<pid>-<n>.so").
func perfJITDSO(mod []byte) bool {
	const prefix = "/tmp/perf-"
	for s := mod; ; {
		i := bytes.Index(s, []byte(prefix))
		if i < 0 {
			break
		}
		s = s[i+len(prefix):]
		d := 0
		for d < len(s) && perfDigit(s[d]) {
			d++
		}
		if d > 0 && bytes.HasPrefix(s[d:], []byte(".map")) {
			return true
		}
	}
	base := perfBase(mod)
	return bytes.HasPrefix(base, []byte("jitted-")) && bytes.HasSuffix(base, []byte(".so"))
}

func perfBase(b []byte) []byte {
	return b[bytes.LastIndexByte(b, '/')+1:]
}

// rewrite adds the frames of a symbol that needs work: inline chains
// ("outer->inner", inner frames marked _[i]), "[unknown]" (named after the
// dso, or its address), and tidying.
func (p *perfParser) rewrite(pc, raw, mod []byte) {
	p.fields = p.fields[:0]
	for {
		i := bytes.Index(raw, []byte("->"))
		if i < 0 {
			p.fields = append(p.fields, raw)
			break
		}
		p.fields = append(p.fields, raw[:i])
		raw = raw[i+2:]
	}
	for len(p.fields) > 0 && len(p.fields[len(p.fields)-1]) == 0 {
		p.fields = p.fields[:len(p.fields)-1] // trailing empty fields are dropped
	}
	p.group = p.group[:0]
	for j, fn := range p.fields {
		start := len(p.scratch)
		if string(fn) == "[unknown]" {
			p.scratch = append(p.scratch, '[')
			if string(mod) != "[unknown]" {
				p.scratch = append(p.scratch, perfBase(mod)...)
			} else {
				p.scratch = append(p.scratch, "unknown"...)
			}
			if p.addrs {
				p.scratch = append(append(append(p.scratch, " <"...), pc...), '>')
			}
			p.scratch = append(p.scratch, ']')
		} else {
			p.scratch = append(p.scratch, fn...)
		}
		name := perfTidy(p.scratch[start:])
		p.scratch = p.scratch[:start+len(name)]
		if p.java && len(name) > 0 && name[0] == 'L' && bytes.IndexByte(name, '/') >= 0 {
			start++ // drop the L
		}
		switch {
		case j > 0:
			if !bytes.Contains(name, []byte("_[i]")) {
				p.scratch = append(p.scratch, "_[i]"...)
			}
		case p.kernel && perfKernelDSO(mod):
			p.scratch = append(p.scratch, "_[k]"...)
		case p.jit && perfJITDSO(mod) && !bytes.Contains(name, []byte("_[j]")):
			p.scratch = append(p.scratch, "_[j]"...)
		}
		p.group = append(p.group, perfFrame{name: p.scratch[start:len(p.scratch):len(p.scratch)]})
	}
	for j := len(p.group) - 1; j >= 0; j-- {
		p.frames = append(p.frames, p.group[j])
	}
	clear(p.group)
}

// perfTidy cleans a symbol in place and returns it: ';' becomes ':'; all
// from the first '(' on is cut, unless the name is a Go method
// ("pkg.(*T).M") or the '(' opens "(anonymous namespace)"; quotes go.
func perfTidy(b []byte) []byte {
	if i := bytes.IndexByte(b, '('); i >= 0 {
		b = b[:perfCut(b, i)]
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], ';')
		if j < 0 {
			break
		}
		i += j
		b[i] = ':'
	}
	if bytes.IndexByte(b, '"') < 0 && bytes.IndexByte(b, '\'') < 0 {
		return b
	}
	w := 0
	for _, c := range b {
		if c != '"' && c != '\'' {
			b[w] = c
			w++
		}
	}
	return b[:w]
}

// perfGoMethod reports a ".(" with a ")." somewhere after it; first is the
// index of the first '(' (so a ".(" starts at first-1 or later).
func perfGoMethod(b []byte, first int) bool {
	from := max(first-1, 0)
	a := bytes.Index(b[from:], []byte(".("))
	return a >= 0 && bytes.LastIndex(b, []byte(").")) >= from+a+2
}
