package flamegraph

import (
	"bufio"
	"bytes"
	"io"
	"unsafe"
)

// Sizes of the text lineReader reads at once, and of the longest line.
const (
	lineChunk   = 1 << 20
	maxLineSize = 64 << 20
)

// lineReader reads text in chunks of whole lines, for Parse. A chunk is a
// string of its own buffer (see cut), which the stacks of its lines share:
// the text is neither copied nor allocated a line at a time.
type lineReader struct {
	r   io.Reader
	buf []byte // a line the last chunk cut, then what the next reads bring
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: make([]byte, 0, lineChunk)}
}

// next returns the next lines, each ending in '\n' (the last line of the
// input may end without one), and nil; or the rest of the input and the
// error that ended it, io.EOF at its end. A line longer than the longest
// a buffer holds (64 MiB) is bufio.ErrTooLong.
func (lr *lineReader) next() (string, error) {
	empty := 0
	for {
		if len(lr.buf) == cap(lr.buf) {
			end := bytes.LastIndexByte(lr.buf, '\n') + 1
			if end == 0 && cap(lr.buf) >= maxLineSize {
				return "", bufio.ErrTooLong
			}
			size := lineChunk
			if end == 0 {
				size = min(2*cap(lr.buf), maxLineSize)
			}
			return lr.cut(end, size), nil
		}
		n, err := lr.r.Read(lr.buf[len(lr.buf):cap(lr.buf)])
		lr.buf = lr.buf[:len(lr.buf)+n]
		if n > 0 {
			empty = 0
		} else if empty++; empty >= 100 && err == nil {
			err = io.ErrNoProgress
		}
		if err != nil {
			return lr.cut(len(lr.buf), 0), err
		}
	}
}

// cut returns the first end bytes of the buffer as a string and keeps the
// rest for the next chunk, in a buffer of at least size bytes (none for
// size 0). A string of at least half the buffer shares it, and the rest
// moves to a new buffer: the old one is never written again. A shorter one
// (the end of the input, a line cut early) is a copy, so that a small
// profile does not keep a whole buffer alive, and the buffer goes on.
func (lr *lineReader) cut(end, size int) string {
	if end >= cap(lr.buf)/2 {
		text := unsafe.String(unsafe.SliceData(lr.buf), end)
		rest := lr.buf[end:]
		lr.buf = nil
		if size > 0 {
			lr.buf = append(make([]byte, 0, max(size, len(rest))), rest...)
		}
		return text
	}
	text := string(lr.buf[:end])
	lr.buf = lr.buf[:copy(lr.buf, lr.buf[end:])]
	switch {
	case size == 0:
		lr.buf = nil
	case size > cap(lr.buf):
		lr.buf = append(make([]byte, 0, size), lr.buf...)
	}
	return text
}
