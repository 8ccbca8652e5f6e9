package collapse

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// errGzipCut is the read error of a gzip stream that ends before its
// trailer: the input was cut short (a copy stopped early, a disk filled).
var errGzipCut = fmt.Errorf("gzip stream cut short: %w", io.ErrUnexpectedEOF)

// gunzip returns a reader of the decompressed stream r holds. A stream cut
// short fails with errGzipCut, which wraps io.ErrUnexpectedEOF, and never
// ends like a whole one.
func gunzip(r io.Reader) (io.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, gzipError(err)
	}
	return gzipReader{zr}, nil
}

// gzipReader names the error of a cut stream.
type gzipReader struct{ zr *gzip.Reader }

func (g gzipReader) Read(b []byte) (int, error) {
	n, err := g.zr.Read(b)
	return n, gzipError(err)
}

func gzipError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errGzipCut
	}
	return err
}

// fill reads into buf until it is full or the input ends, like io.ReadFull,
// but tells a clean end from a cut one: eof is true only when r returned
// io.EOF, and any other error, io.ErrUnexpectedEOF included (a gzip stream
// cut short), comes back as err.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}
