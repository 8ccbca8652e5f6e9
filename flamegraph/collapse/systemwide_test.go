package collapse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/flamekit/flamekit/flamegraph/collapse/internal/perfscript"
	"github.com/flamekit/flamekit/internal/golden"
)

// systemWidePath is the real system-wide capture that bench/collapse-render
// times beside its generated inputs (see bench/testdata/README.md): 64 MB
// of perf script text, 39,880 samples, 12,642 distinct stacks.
const systemWidePath = "../../bench/testdata/system-wide.perf-script.xz"

// systemWideGolden holds the SHA-256 of stackcollapse-perf.pl's output on
// the capture (9.7 MB of folded text; its hash is what is kept). -update
// regenerates it from the FlameGraph checkout at $FLAMEGRAPH_DIR.
const systemWideGolden = "testdata/system-wide.perl.folded.sha256"

// systemWide returns the text of the capture, unpacked once per process.
func systemWide(tb testing.TB) []byte {
	tb.Helper()
	text, err := unpackSystemWide()
	if err != nil {
		tb.Fatal(err)
	}
	return text
}

var unpackSystemWide = sync.OnceValues(func() ([]byte, error) {
	packed, err := os.ReadFile(systemWidePath)
	if err != nil {
		return nil, err
	}
	zr, err := xz.NewReader(bytes.NewReader(packed))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", systemWidePath, err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", systemWidePath, err)
	}
	return text, nil
})

// TestPerfSystemWideMatchesPerl folds the real system-wide capture and
// checks the folded text against stackcollapse-perf.pl's, by its SHA-256:
// with one goroutine, with two, and with tables of lines and bodies so
// small that they are emptied every few samples.
func TestPerfSystemWideMatchesPerl(t *testing.T) {
	in := systemWide(t)
	if *update {
		sum := sha256.Sum256(perlFold(t, in, "default"))
		golden.Write(t, systemWideGolden, []byte(hex.EncodeToString(sum[:])+"\n"))
	}
	want := strings.TrimSpace(string(golden.Read(t, systemWideGolden)))
	small := perfscript.DefaultSizes
	small.Memo = 64 << 10
	for _, c := range []struct {
		name  string
		opts  PerfOptions
		sizes perfscript.Sizes
	}{
		{"threads-1", PerfOptions{}, perfscript.DefaultSizes},
		{"threads-2", PerfOptions{Threads: 2}, perfscript.DefaultSizes},
		{"small-tables", PerfOptions{}, small},
	} {
		p, st, err := perf(bytes.NewReader(in), c.opts, c.sizes)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(foldedText(t, p)))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: %d stacks of %d samples, SHA-256 %s; stackcollapse-perf.pl's is %s", c.name, len(p.Stacks), st.Perf.Samples, got, want)
		}
		if st.Perf.Samples != 39880 || len(p.Stacks) != 12642 || p.Skipped.Lines != 0 {
			t.Errorf("%s: %d samples, %d stacks, %s; want 39880 samples, 12642 stacks, no skipped lines", c.name, st.Perf.Samples, len(p.Stacks), p.Skipped)
		}
	}
}

// TestPerfWriteFoldedSystemWide writes the stacks of the real system-wide
// capture with PerfWriteFolded, with one goroutine and two: the bytes are
// stackcollapse-perf.pl's, and with one goroutine it allocates less than
// Perf by at least the size of the stacks' texts, which it never holds.
func TestPerfWriteFoldedSystemWide(t *testing.T) {
	in := systemWide(t)
	want := strings.TrimSpace(string(golden.Read(t, systemWideGolden)))
	var alloc runtime.MemStats
	allocated := func() uint64 {
		runtime.ReadMemStats(&alloc)
		return alloc.TotalAlloc
	}
	for _, threads := range []int{1, 2} {
		opts := PerfOptions{Threads: threads}
		before := allocated()
		p, _, err := Perf(bytes.NewReader(in), opts)
		if err != nil {
			t.Fatal(err)
		}
		perfAlloc := allocated() - before

		var out bytes.Buffer
		out.Grow(16 << 20)
		before = allocated()
		skipped, st, err := PerfWriteFolded(&out, bytes.NewReader(in), opts)
		writeAlloc := allocated() - before
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(out.Bytes())
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("threads %d: %d bytes, SHA-256 %s; stackcollapse-perf.pl's is %s", threads, out.Len(), got, want)
		}
		if st.Perf.Samples != 39880 || skipped.Lines != 0 || st.Format != FormatPerf {
			t.Errorf("threads %d: %+v, %s; want 39880 perf samples, no skipped lines", threads, st, skipped)
		}
		if texts := uint64(out.Len()); threads == 1 && writeAlloc+texts > perfAlloc {
			t.Errorf("PerfWriteFolded allocated %d bytes, Perf %d: want at least the %d bytes of the texts (%d stacks) less", writeAlloc, perfAlloc, texts, len(p.Stacks))
		}
	}
}
