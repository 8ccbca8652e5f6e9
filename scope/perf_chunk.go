package scope

import (
	"bytes"
	"fmt"
	"strconv"
)

// perfChunk is a run of whole samples of perf script text, cut before a
// header line, and what parse made of it.
type perfChunk struct {
	seq  int
	data []byte

	lines  int       // lines in data
	times  []float64 // of its samples
	ids    []uint32  // their stacks
	err    error     // the first error, at errLine of the chunk
	errMsg string
}

// parse reads the samples of c.data, with stack ids from kt, keying frame
// lines whole when raw is set (appendFrameKey), and drops c.data.
func (c *perfChunk) parse(kt *keyTable, raw bool) {
	var (
		key   []byte
		in    bool // a sample is being read
		t     float64
		class headerClass
	)
	end := func() {
		if in {
			c.times = append(c.times, t)
			c.ids = append(c.ids, kt.id(key, class))
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
			if in {
				key = appendLine(key, l, raw)
			}
			continue
		}
		line := bytes.TrimSuffix(bytes.TrimSuffix(l, []byte("\n")), []byte("\r"))
		ts, ok := perfTime(line)
		if !ok {
			if len(bytes.TrimSpace(line)) > 0 && !isFrameLine(line) {
				c.err, c.errMsg = ErrNoTimestamp, fmt.Sprintf("%q", cut(line))
				break
			}
			if in {
				key = appendLine(key, l, raw)
			}
			continue
		}
		v, err := strconv.ParseFloat(string(ts), 64)
		if err != nil {
			c.err, c.errMsg = ErrFormat, fmt.Sprintf("bad timestamp %q", ts)
			break
		}
		end()
		in, t, class = true, v, classifyHeader(line)
		key = append(append(append(key[:0], byte(class)), perfComm(line)...), '\n')
	}
	if c.err == nil {
		end()
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
