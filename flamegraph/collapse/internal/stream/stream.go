// Package stream holds what the readers of package collapse share about
// reading bytes: gzip streams that say when they were cut short, and Fill,
// which reads a buffer full and tells a clean end of the input from a cut
// one. A cut input is an error wrapping io.ErrUnexpectedEOF, never a shorter
// input.
package stream

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// errGzipCut is the read error of a gzip stream that ends before its
// trailer: the input was cut short (a copy stopped early, a disk filled).
var errGzipCut = fmt.Errorf("gzip stream cut short: %w", io.ErrUnexpectedEOF)

// IsGzip reports whether b starts with the gzip magic number.
func IsGzip(b []byte) bool {
	return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

// Gunzip returns a reader of the decompressed stream r holds. A stream cut
// short fails with an error that wraps io.ErrUnexpectedEOF and says "gzip
// stream cut short", and never ends like a whole one.
func Gunzip(r io.Reader) (io.Reader, error) {
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

// Fill reads into buf until it is full or the input ends, like io.ReadFull,
// but tells a clean end from a cut one: eof is true only when r returned
// io.EOF, and any other error, io.ErrUnexpectedEOF included (a gzip stream
// cut short), comes back as err.
func Fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
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
