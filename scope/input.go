package scope

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
)

// gunzipped returns a reader of r's bytes, decompressed when they are
// gzipped, buffered either way. Its buffer is small: reads larger than it
// (the chunks of readPerf) go straight to r, without a copy.
func gunzipped(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(2)
	if len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("scope: %w", err)
	}
	zr.Multistream(true)
	return bufio.NewReaderSize(zr, 64<<10), nil
}
