package collapse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
)

// gzipped returns a real input as gzip bytes: the file itself when it is
// gzipped, else the file compressed here.
func gzipped(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if stream.IsGzip(data) {
		return data
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cutOffsets returns where to cut a gzip stream of n bytes: inside the
// deflate data (early, middle, late), at the end of the deflate data (the
// whole trailer missing) and inside the trailer.
func cutOffsets(n int) []int {
	return []int{n / 10, n / 2, n * 9 / 10, n - 8, n - 5, n - 1}
}

// TestReadCutGzip cuts real gzipped inputs of every format short: every
// reader, and Read with and without the format, must fail with an error
// wrapping io.ErrUnexpectedEOF, never return a partial profile as if it were
// the whole.
func TestReadCutGzip(t *testing.T) {
	for name, format := range realInputs(t) {
		whole := gzipped(t, name)
		for _, n := range cutOffsets(len(whole)) {
			cut := whole[:n]
			for _, f := range []Format{FormatAuto, format} {
				p, _, err := Read(bytes.NewReader(cut), Options{Format: f})
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					stacks := -1
					if p != nil {
						stacks = len(p.Stacks)
					}
					t.Errorf("%s cut at %d of %d, format %s: error %v (%d stacks), want one wrapping io.ErrUnexpectedEOF",
						name, n, len(whole), f, err, stacks)
				}
			}
			// Each reader on its own, given the gzip stream (Pprof opens it
			// itself) or Go's gzip reader over it.
			for _, threads := range []int{1, 2} {
				var err error
				if format == FormatPprof {
					_, _, err = Pprof(bytes.NewReader(cut), PprofOptions{})
				} else {
					zr, zerr := gzip.NewReader(bytes.NewReader(cut))
					if zerr != nil {
						t.Fatalf("%s cut at %d: %v", name, n, zerr)
					}
					switch format {
					case FormatPerf:
						_, _, err = Perf(zr, PerfOptions{Threads: threads})
					case FormatBpftrace:
						_, _, err = Bpftrace(zr, BpftraceOptions{})
					default:
						_, err = flamegraph.Parse(zr)
					}
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("%s reader on %s cut at %d of %d (threads %d): error %v, want one wrapping io.ErrUnexpectedEOF",
						format, name, n, len(whole), threads, err)
				}
			}
		}
	}
}

// TestPerfCutGzipMessage checks what a user reads for a cut perf script.
func TestPerfCutGzipMessage(t *testing.T) {
	whole := gzipped(t, "../../testdata/perf-script-real.txt.gz")
	_, _, err := Read(bytes.NewReader(whole[:len(whole)/2]), Options{})
	if err == nil || !strings.Contains(err.Error(), "perf script") || !strings.Contains(err.Error(), "gzip stream cut short") {
		t.Errorf("cut perf script: error %v, want one naming perf script and the cut gzip stream", err)
	}
}

// TestPprofCutProtobuf cuts an uncompressed pprof protobuf inside its
// fields: an error wrapping io.ErrUnexpectedEOF, with Pprof and with Read.
func TestPprofCutProtobuf(t *testing.T) {
	for _, name := range []string{"testdata/pprof/inlineprog-cpu.pb.gz", "testdata/pprof/inlineprog-allocs.pb.gz"} {
		plain := readMaybeGzip(t, name)
		cuts := 0
		for _, n := range []int{len(plain) / 3, len(plain) / 2, len(plain) - 1} {
			if _, cut, _ := scanPprof(plain[:n]); !cut {
				continue // a field boundary: a shorter, valid message
			}
			cuts++
			if _, _, err := Pprof(bytes.NewReader(plain[:n]), PprofOptions{}); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut at %d of %d: Pprof error %v, want one wrapping io.ErrUnexpectedEOF", name, n, len(plain), err)
			}
			if _, _, err := Read(bytes.NewReader(plain[:n]), Options{}); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut at %d of %d: Read error %v, want one wrapping io.ErrUnexpectedEOF", name, n, len(plain), err)
			}
		}
		if cuts == 0 {
			t.Errorf("%s: no cut fell inside a field", name)
		}
	}
}
