package stream

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// TestFill checks that Fill reads a buffer full across short reads, tells
// a clean end (eof) from a read error, and passes io.ErrUnexpectedEOF on as
// an error, never as the end.
func TestFill(t *testing.T) {
	in := strings.Repeat("perf script line\n", 10)
	buf := make([]byte, 64)
	n, eof, err := Fill(iotest.OneByteReader(strings.NewReader(in)), buf)
	if n != len(buf) || eof || err != nil || string(buf) != in[:64] {
		t.Errorf("a long input: %d, %v, %v; want a full buffer", n, eof, err)
	}
	n, eof, err = Fill(iotest.HalfReader(strings.NewReader(in[:20])), buf)
	if n != 20 || !eof || err != nil {
		t.Errorf("a short input: %d, %v, %v; want 20 bytes and eof", n, eof, err)
	}
	n, eof, err = Fill(io.MultiReader(strings.NewReader(in[:20]), iotest.ErrReader(io.ErrUnexpectedEOF)), buf)
	if n != 20 || eof || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a cut input: %d, %v, %v; want 20 bytes and io.ErrUnexpectedEOF", n, eof, err)
	}
}

// TestGunzip decompresses the real perf script capture whole, and cut
// short: the cut stream fails with an error that wraps
// io.ErrUnexpectedEOF and says so, after giving what it held.
func TestGunzip(t *testing.T) {
	gz, err := os.ReadFile("../../../../testdata/perf-script-real.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !IsGzip(gz) || IsGzip([]byte("go  9193 [000]")) || IsGzip([]byte{0x1f}) {
		t.Fatal("IsGzip does not tell gzip from text")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Gunzip(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("whole stream: %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	r, err = Gunzip(bytes.NewReader(gz[:len(gz)/2]))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "gzip stream cut short") {
		t.Errorf("cut stream: error %v, want one wrapping io.ErrUnexpectedEOF that says the stream was cut", err)
	}
	if len(got) == 0 || !bytes.HasPrefix(want, got) {
		t.Errorf("cut stream: %d bytes, not a prefix of the whole", len(got))
	}
	if _, err := Gunzip(bytes.NewReader(gz[:5])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut header: error %v, want one wrapping io.ErrUnexpectedEOF", err)
	}
}
