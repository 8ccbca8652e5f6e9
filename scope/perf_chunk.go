package scope

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// perfChunk is a run of whole samples of perf script text, cut before a
// header line, and what parse made of it.
type perfChunk struct {
	seq  int
	data []byte

	lines  int       // lines in data
	times  []float64 // of its samples
	ids    []uint32  // their stacks, when the pass keys them
	idle   []bool    // whether each is idle, when the pass keys no stacks
	text   []byte    // the samples the pass copies (perfPass.text)
	copied int       // how many, written to perfPass.out
	err    error     // the first error, at errLine of the chunk
	errMsg string
}

// perfPass says what parsing keeps of each sample besides its time:
//
//   - with a keyTable, its stack id, keying frame lines whole when raw is
//     set (appendFrameKey);
//   - with a text window, the samples in it (idle ones only when idle is
//     set), as text collapse.Perf names as it names the keys (namingText):
//     a header with their comm, then their frame lines, written to out a
//     chunk at a time, in no particular order;
//   - else whether it is idle.
//
// Idleness is decided from the lines as they are read (idleScan), so that
// the last two keep no stack at all.
type perfPass struct {
	kt    *keyTable
	raw   bool
	text  *window
	idle  bool
	out   io.Writer   // safe for concurrent use (an io.PipeWriter)
	spare chan []byte // text buffers written, to reuse
}

// textBuffer returns a spare text buffer, or a new one of the size of a
// chunk's text: about its data's.
func (p *perfPass) textBuffer(data []byte) []byte {
	select {
	case b := <-p.spare:
		return b[:0]
	default:
		return make([]byte, 0, len(data)+len(data)/8)
	}
}

// writeText writes the text of c to out and keeps its buffer for another
// chunk. Errors are the reader's of out, which it reports.
func (p *perfPass) writeText(c *perfChunk) {
	if len(c.text) > 0 {
		p.out.Write(c.text)
	}
	if c.text != nil {
		select {
		case p.spare <- c.text:
		default:
		}
	}
	c.text = nil
}

// parse reads the samples of c.data, keeping what pass asks for, and
// drops c.data.
func (c *perfChunk) parse(pass *perfPass) {
	var (
		key     []byte
		in      bool // a sample is being read
		t       float64
		class   headerClass
		idle    idleScan
		mark    int  // where the sample's text starts in c.text
		copying bool // the sample's text is copied
		// The frame lines not yet scanned for idleness: c.data[lo:hi]. They
		// are scanned a run of lines at a time (idleScan.line), as a comment
		// line interrupts them or the sample ends.
		lo, hi = -1, -1
	)
	scan := func() {
		if hi > lo {
			idle.line(c.data[lo:hi])
		}
		lo, hi = -1, -1
	}
	end := func() {
		if !in {
			return
		}
		scan()
		c.times = append(c.times, t)
		switch {
		case pass.kt != nil:
			c.ids = append(c.ids, pass.kt.id(key, class))
		case pass.text == nil:
			c.idle = append(c.idle, idle.idle)
		case copying && idle.idle && !pass.idle:
			c.text = c.text[:mark]
		case copying:
			c.text = append(c.text, '\n')
			c.copied++
		}
	}
	body := func(l []byte, at int) {
		switch {
		case !in:
		case pass.kt != nil:
			key = appendLine(key, l, pass.raw)
		case pass.text == nil || copying:
			if at != hi {
				scan()
				lo = at
			}
			hi = at + len(l)
		}
		if in && copying {
			if pass.raw {
				c.text = append(c.text, l...)
			} else {
				c.text = appendFrameText(c.text, l)
			}
			if l[len(l)-1] != '\n' {
				c.text = append(c.text, '\n')
			}
		}
	}
	data := c.data
	for len(data) > 0 {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		c.lines++
		switch l[0] {
		case '#':
			continue
		case '\t':
			body(l, len(c.data)-len(data)-len(l))
			continue
		}
		line := bytes.TrimSuffix(bytes.TrimSuffix(l, []byte("\n")), []byte("\r"))
		ts, ok := perfTime(line)
		if !ok {
			if len(bytes.TrimSpace(line)) > 0 && !isFrameLine(line) {
				c.err, c.errMsg = ErrNoTimestamp, fmt.Sprintf("%q", cut(line))
				break
			}
			body(l, len(c.data)-len(data)-len(l))
			continue
		}
		v, err := strconv.ParseFloat(string(ts), 64)
		if err != nil {
			c.err, c.errMsg = ErrFormat, fmt.Sprintf("bad timestamp %q", ts)
			break
		}
		end()
		in, t, class = true, v, classifyHeader(line)
		switch {
		case pass.kt != nil:
			key = append(append(append(key[:0], byte(class)), perfComm(line)...), '\n')
			continue
		case pass.text != nil:
			copying = pass.text.lo <= v && v <= pass.text.hi
			if copying {
				if c.text == nil {
					c.text = pass.textBuffer(c.data)
				}
				mark = len(c.text)
				c.text = appendNamingHeader(c.text, perfComm(line), 0)
			}
		}
		idle.start(class)
		lo, hi = -1, -1
	}
	if c.err == nil {
		end()
	}
	if pass.text != nil && c.err == nil {
		pass.writeText(c)
	}
	c.data = nil
}

// appendLine appends a frame line to a sample's key: whole when raw is set
// (the Addrs option names frames by their address), else its key
// (appendFrameKey).
func appendLine(key, l []byte, raw bool) []byte {
	if raw {
		return append(key, l...)
	}
	return appendFrameKey(key, l)
}

// cutPoint returns where data may be cut before a header line: the start
// of its last line that starts with none of a frame line's, a blank
// line's or a comment's first bytes, or 0.
func cutPoint(data []byte) int {
	for end := len(data); end > 0; {
		i := bytes.LastIndexByte(data[:end], '\n')
		if i < 0 {
			return 0
		}
		if i+1 < len(data) {
			switch data[i+1] {
			case '\t', ' ', '\n', '\r', '#':
			default:
				return i + 1
			}
		}
		end = i
	}
	return 0
}
