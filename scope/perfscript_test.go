package scope

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/flamekit/flamekit/flamegraph/collapse"
)

// The stacks of the whole of a capture, idle ones included, are those
// collapse.Perf folds from it with the same options: the same names, and
// counts that are the samples times the period (collapse.Perf weighs
// cpu-clock samples by their period, 1001001 ns in this capture).
func TestPerfScriptStacksAreCollapses(t *testing.T) {
	for _, opts := range []PerfOptions{{}, {Kernel: true, JIT: true}, {Addrs: true}} {
		f, err := os.Open(flameScopeInputs["real"])
		if err != nil {
			t.Fatal(err)
		}
		p, err := ReadPerfScript(f, opts)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ours, err := p.Range(Range{0, float64(p.Seconds())}, Options{Idle: true})
		if err != nil {
			t.Fatal(err)
		}
		f, err = os.Open(flameScopeInputs["real"])
		if err != nil {
			t.Fatal(err)
		}
		theirs, _, err := collapse.Read(f, collapse.Options{Format: collapse.FormatPerf, Perf: collapse.PerfOptions{Kernel: opts.Kernel, JIT: opts.JIT, Addrs: opts.Addrs}})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		const period = 1001001
		if len(ours.Stacks) != len(theirs.Stacks) {
			t.Fatalf("%+v: %d stacks, collapse.Perf has %d", opts, len(ours.Stacks), len(theirs.Stacks))
		}
		for i, s := range ours.Stacks {
			if c := theirs.Stacks[i]; c.Frames != s.Frames || c.Count != s.Count*period {
				t.Errorf("%+v: stack %d: %q %v, collapse.Perf: %q %v", opts, i, s.Frames, s.Count, c.Frames, c.Count)
			}
		}
	}
}

// A reader that returns a byte at a time, and a sample longer than a few
// chunks (perfChunkSize), are read as any other.
func TestPerfScriptReadsInPieces(t *testing.T) {
	const longFrames = 3 * perfChunkSize / 20 // lines of about 20 bytes
	text, err := os.ReadFile("testdata/edge.perf")
	if err != nil {
		t.Fatal(err)
	}
	var long strings.Builder
	long.WriteString("deep 7 [000] 103.500000: 1 cpu-clock:\n")
	for i := range longFrames {
		fmt.Fprintf(&long, "\t%x f%d+0x1 (/x)\n", i, i%3)
	}
	long.WriteString("\n")
	text = append(text, long.String()...)
	whole, err := ReadPerfScript(bytes.NewReader(text), PerfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bytewise, err := ReadPerfScript(iotest.OneByteReader(bytes.NewReader(text)), PerfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if whole.Len() != 10 || bytewise.Len() != 10 {
		t.Fatalf("%d and %d samples, want 10", whole.Len(), bytewise.Len())
	}
	for i := range whole.Len() {
		t1, s1 := whole.Sample(i)
		t2, s2 := bytewise.Sample(i)
		if t1 != t2 || whole.Stacks()[s1] != bytewise.Stacks()[s2] {
			t.Errorf("sample %d: %v %+v, bytewise %v %+v", i, t1, whole.Stacks()[s1], t2, bytewise.Stacks()[s2])
		}
	}
	_, s := whole.Sample(9)
	if frames := whole.Stacks()[s].Frames; !strings.HasPrefix(frames, "deep;") || strings.Count(frames, ";") != longFrames {
		t.Errorf("the long sample has %d frames", strings.Count(frames, ";"))
	}
}

// Ranges assembled from the index's cells are those counted sample by
// sample, for ranges cut anywhere.
func TestIndexRangesAreProfiles(t *testing.T) {
	p := readInput(t, "gen-idle")
	for _, rows := range []int{MinRows, 37, MaxRows} {
		ix, err := NewIndex(p, Options{Rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		for a := 0.0; a < 8; a += 0.37 {
			for _, d := range []float64{0, 0.013, 0.2, 1.5, 4} {
				r := Range{a, min(a+d, 8)}
				want, errWant := p.Range(r, Options{})
				got, errGot := ix.Range(r)
				if fmt.Sprint(errGot) != fmt.Sprint(errWant) || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("rows %d, range %v: the index gives %v, %v; the samples %v, %v", rows, r, got, errGot, want, errWant)
				}
			}
		}
	}
}
