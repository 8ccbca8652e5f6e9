package flamegraph

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t testing.TB, s string) *Profile {
	t.Helper()
	p, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func folded(t testing.TB, p *Profile) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return b.String()
}

func TestParseFormats(t *testing.T) {
	in := "# a comment\r\n" +
		"main;work 3\r\n" +
		"\n" +
		"   \n" +
		"main;frame with spaces;leaf 2.5\n" +
		"main;work 4\n" +
		"java;Ljava/lang/Thread;::run 1\n" +
		"no count here\n" +
		"main;tabbed\t7\n" +
		"trailing;blanks 5   \n" +
		"java;StubRoutines  9\n" +
		"42\n" +
		"x -3\n"
	p := mustParse(t, in)
	if p.Differential {
		t.Fatal("plain input parsed as differential")
	}
	want := []Stack{
		{"main;work", 3, 3},
		{"main;frame with spaces;leaf", 2.5, 2.5},
		{"main;work", 4, 4},
		{"java;Ljava/lang/Thread;::run", 1, 1},
		{"main;tabbed", 7, 7},
		{"trailing;blanks", 5, 5},
		{"java;StubRoutines ", 9, 9}, // one blank separates, as in flamegraph.pl
	}
	if fmt.Sprint(p.Stacks) != fmt.Sprint(want) {
		t.Fatalf("stacks\n got %v\nwant %v", p.Stacks, want)
	}
	if p.Skipped.Lines != 3 || p.Skipped.FirstLine != 8 || p.Skipped.First != "no count here" {
		t.Fatalf("skipped = %+v, want 3 lines, first at 8", p.Skipped)
	}
	if !strings.Contains(p.Skipped.String(), "line 8") {
		t.Fatalf("Skipped.String() = %q", p.Skipped.String())
	}
	if got, want := p.Total(), 31.5; got != want {
		t.Fatalf("Total = %v, want %v", got, want)
	}
}

// TestWriteToSortedAsIs checks that WriteTo writes stacks that are sorted
// already, each once, without Folded's map and copy (only its buffered
// writer is allocated), and still merges and sorts those that are not.
func TestWriteToSortedAsIs(t *testing.T) {
	sorted := mustParse(t, "a 1\na;b 2\na;b;c 3\nb 4\n")
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := sorted.WriteTo(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Fatalf("WriteTo of sorted stacks made %v allocations, want 2 (its buffered writer)", allocs)
	}
	if got, want := folded(t, sorted), "a 1\na;b 2\na;b;c 3\nb 4\n"; got != want {
		t.Fatalf("WriteTo = %q, want %q", got, want)
	}
	twice := mustParse(t, "a 1\na;b 2\na;b 3\n")
	if got, want := folded(t, twice), "a 1\na;b 5\n"; got != want {
		t.Fatalf("WriteTo of a stack twice = %q, want %q", got, want)
	}
}

func TestParseDifferential(t *testing.T) {
	p := mustParse(t, "a;b 10 20\na;c 5 0\na;d 7\n")
	if !p.Differential {
		t.Fatal("two-count input not differential")
	}
	want := []Stack{{"a;b", 20, 10}, {"a;c", 0, 5}, {"a;d", 7, 7}}
	if fmt.Sprint(p.Stacks) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", p.Stacks, want)
	}
	if got := folded(t, p); got != "a;b 10 20\na;c 5 0\na;d 7 7\n" {
		t.Fatalf("WriteTo differential = %q", got)
	}
}

func TestWriteSortedMergedDeterministic(t *testing.T) {
	p := mustParse(t, "b;x 1\na;y 2\nb;x 3\na 0.25\na;y 0.5\n")
	want := "a 0.25\na;y 2.5\nb;x 4\n"
	for i := 0; i < 3; i++ {
		if got := folded(t, p); got != want {
			t.Fatalf("WriteTo = %q, want %q", got, want)
		}
	}
	// Round trip: what we write parses back to the same profile.
	if got := folded(t, mustParse(t, want)); got != want {
		t.Fatalf("round trip = %q, want %q", got, want)
	}
}

func TestMerge(t *testing.T) {
	a := mustParse(t, "main;f 1\nbad line\n")
	b := mustParse(t, "main;f 2\nmain;g 3\n")
	m := Merge(a, b)
	if got := folded(t, m); got != "main;f 3\nmain;g 3\n" {
		t.Fatalf("Merge = %q", got)
	}
	if m.Skipped.Lines != 1 {
		t.Fatalf("Merge lost the skipped count: %+v", m.Skipped)
	}
}

func TestDiff(t *testing.T) {
	before := mustParse(t, "m;a 10\nm;b 30\nm;x 0x1f00 4\n")
	after := mustParse(t, "m;a 40\nm;c 20\nm;x 0xabc 1\n")

	d := Diff(before, after, DiffOptions{})
	if got, want := folded(t, d), "m;a 10 40\nm;b 30 0\nm;c 0 20\nm;x 0x1f00 4 0\nm;x 0xabc 0 1\n"; got != want {
		t.Fatalf("Diff =\n%s\nwant\n%s", got, want)
	}

	// -n: before scaled by 61/44 and truncated; -s: addresses merged.
	d = Diff(before, after, DiffOptions{Normalize: true, StripHex: true})
	if got, want := folded(t, d), "m;a 13 40\nm;b 41 0\nm;c 0 20\nm;x 0x... 5 1\n"; got != want {
		t.Fatalf("Diff -n -s =\n%s\nwant\n%s", got, want)
	}
}

func TestParseCountsOverflowAndPrecision(t *testing.T) {
	p := mustParse(t, "a 99999999999999999999999\nb 1.5.5\nc 1e5\nd 0x10\ne .5\nf 12345678901234\n")
	if p.Skipped.Lines != 4 {
		t.Fatalf("skipped %d lines, want 4 (1.5.5, 1e5, 0x10, .5): %+v", p.Skipped.Lines, p.Stacks)
	}
	if p.Stacks[0].Count < 1e22 || math.IsInf(p.Stacks[0].Count, 0) {
		t.Fatalf("huge count parsed as %v", p.Stacks[0].Count)
	}
	if got := string(AppendCount(nil, p.Stacks[1].Count)); got != "12345678901234" {
		t.Fatalf("AppendCount = %s", got)
	}
}

func TestParseReadError(t *testing.T) {
	_, err := Parse(io.MultiReader(strings.NewReader("a 1\n"), errReader{}))
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("read error not reported: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("boom") }

func FuzzParse(f *testing.F) {
	f.Add([]byte("main;work 3\nmain;frame with spaces 2.5\n# c\r\n\na;b 1 2\n"))
	f.Add([]byte("x 1e5\n 5\n\t\n;;; 3\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Parse(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("Parse of an in-memory input failed: %v", err)
		}
		if q, err := ParseString(string(in)); err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("ParseString differs from Parse (%v):\n%+v\n%+v", err, p, q)
		}
		lines := bytes.Count(in, []byte("\n")) + 1
		if len(p.Stacks)+p.Skipped.Lines > lines {
			t.Fatalf("%d stacks + %d skipped > %d lines", len(p.Stacks), p.Skipped.Lines, lines)
		}
		for _, s := range p.Stacks {
			if s.Count < 0 || s.Before < 0 || math.IsNaN(s.Count) {
				t.Fatalf("bad count in %+v", s)
			}
			if strings.ContainsAny(s.Frames, "\n") {
				t.Fatalf("newline in frames %q", s.Frames)
			}
		}
		// What we write must parse back to the same folded text.
		var a bytes.Buffer
		if _, err := p.WriteTo(&a); err != nil {
			t.Fatal(err)
		}
		q, err := Parse(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		q.Differential = p.Differential
		if _, err := q.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Fatalf("round trip differs:\n%q\n%q", a.String(), b.String())
		}
	})
}

func ExampleParse() {
	in := "main;parse;read 30\nmain;render 70\nnot a stack line\n"
	p, err := Parse(strings.NewReader(in))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(p.Stacks), "stacks,", p.Total(), "samples")
	fmt.Println(p.Skipped)
	// Output:
	// 2 stacks, 100 samples
	// skipped 1 malformed line(s); first at line 3: "not a stack line"
}

func ExampleDiff() {
	before, _ := Parse(strings.NewReader("main;a 10\nmain;b 10\n"))
	after, _ := Parse(strings.NewReader("main;a 5\nmain;b 20\n"))
	Diff(before, after, DiffOptions{}).WriteTo(os.Stdout)
	// Output:
	// main;a 10 5
	// main;b 10 20
}
