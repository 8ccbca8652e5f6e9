package scope

import (
	"bufio"
	"errors"
	"io"
)

// lineReader returns the lines of r one at a time, with their '\n' (the
// last may have none), counting them.
type lineReader struct {
	r    io.Reader
	br   *bufio.Reader
	buf  []byte // the line when it is longer than br's buffer
	n    int    // lines returned
	done bool
}

// next returns the next line, valid until the next call, or io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	if lr.br == nil {
		if br, ok := lr.r.(*bufio.Reader); ok {
			lr.br = br
		} else {
			lr.br = bufio.NewReaderSize(lr.r, 1<<20)
		}
	}
	if lr.done {
		return nil, io.EOF
	}
	l, err := lr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		lr.buf = append(lr.buf[:0], l...)
		for errors.Is(err, bufio.ErrBufferFull) {
			l, err = lr.br.ReadSlice('\n')
			lr.buf = append(lr.buf, l...)
		}
		l = lr.buf
	}
	if err != nil {
		if !errors.Is(err, io.EOF) {
			return nil, err
		}
		lr.done = true
		if len(l) == 0 {
			return nil, io.EOF
		}
	}
	lr.n++
	return l, nil
}
