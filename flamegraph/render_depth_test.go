package flamegraph

import (
	"bytes"
	"strings"
	"testing"
)

// runawayStack returns a stack of at least size bytes: a real stack from
// testdata, then its frames over and over, as a runaway recursion records,
// and the number of its frames.
func runawayStack(t testing.TB, size int) (string, int) {
	t.Helper()
	real := string(readTestdata(t, "real-all.folded.gz"))
	first, _, _ := strings.Cut(real, "\n")
	frames := first[:strings.LastIndexByte(first, ' ')]
	var b strings.Builder
	b.WriteString(frames)
	for b.Len() < size {
		b.WriteByte(';')
		b.WriteString(frames)
	}
	s := b.String()
	return s, strings.Count(s, ";") + 1
}

// TestRenderCutsDeepStacks renders a 10 MB single-line stack next to real
// ones: the graph stays small (without the bound the SVG is hundreds of
// megabytes), draws MaxDepth frames of the deep stack topped by CutFrame,
// and Stats says what was cut.
func TestRenderCutsDeepStacks(t *testing.T) {
	deep, depth := runawayStack(t, 10<<20)
	in := deep + " 50\n" + string(readTestdata(t, "basic.folded"))
	p, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var st RenderStats
	var b bytes.Buffer
	if err := Render(&b, p, Options{Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if want := (RenderStats{Deepest: depth, CutStacks: 1, MaxDepth: DefaultMaxDepth}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if b.Len() > 2<<20 {
		t.Errorf("the SVG of a 10 MB stack cut at %d frames is %d bytes", DefaultMaxDepth, b.Len())
	}
	_, frames := parseSVG(t, b.Bytes())
	cut := one(t, frames, CutFrame)
	// The cut frame sits on top of frame MaxDepth (the root is depth 0),
	// as wide as the deep stack's count.
	root := frames[0]
	if d := (root.y - cut.y) / (root.h + 1); d != DefaultMaxDepth+1 {
		t.Errorf("the cut frame is at depth %v, want %d", d, DefaultMaxDepth+1)
	}
	if cut.dataW != 50 {
		t.Errorf("the cut frame counts %v, want the deep stack's 50", cut.dataW)
	}
	// The other stacks are drawn whole.
	one(t, frames, "inner_loop")

	// Unbounded, a stack a tenth the size already makes a far bigger SVG:
	// the bound is what keeps the graph small.
	small, _ := runawayStack(t, 1<<20)
	p, err = Parse(strings.NewReader(small + " 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	var unbounded bytes.Buffer
	if err := Render(&unbounded, p, Options{MaxDepth: -1, Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if st.CutStacks != 0 || unbounded.Len() < 10*b.Len() {
		t.Errorf("MaxDepth -1: %d stacks cut, %d bytes (bounded 10 MB stack: %d)", st.CutStacks, unbounded.Len(), b.Len())
	}
}

// TestCutStack checks where stacks are cut: a stack of exactly MaxDepth
// frames is whole, one more frame is cut, Reverse cuts the reversed stack,
// and trailing empty frames do not count.
func TestCutStack(t *testing.T) {
	for _, tt := range []struct {
		in      string
		opts    Options
		want    string
		deepest int
		cut     int
	}{
		{"a;b;c 1\n", Options{MaxDepth: 3}, "a;b;c 1\n", 3, 0},
		{"a;b;c;; 1\n", Options{MaxDepth: 3}, "a;b;c 1\n", 3, 0},
		{"a;b;c;d 1\na;b;c;e 2\n", Options{MaxDepth: 3}, "a;b;c;" + CutFrame + " 3\n", 4, 2},
		{"a;b;c;d 1\n", Options{MaxDepth: 2, Reverse: true}, "d;c;" + CutFrame + " 1\n", 4, 1},
		{"a;b;c;d 1\n", Options{MaxDepth: -1}, "a;b;c;d 1\n", 4, 0},
	} {
		var st RenderStats
		o := tt.opts
		o.Stats = &st
		o.MinWidth = "0"
		_, frames := parseSVG(t, render(t, tt.in, o))
		if got := stacksOf(frames); got != tt.want {
			t.Errorf("%q with %+v: drew %q, want %q", tt.in, tt.opts, got, tt.want)
		}
		if st.Deepest != tt.deepest || st.CutStacks != tt.cut {
			t.Errorf("%q with %+v: stats %+v, want deepest %d, cut %d", tt.in, tt.opts, st, tt.deepest, tt.cut)
		}
	}
}

// stacksOf returns the leaf stacks a flame graph draws, in folded form:
// each frame without children, with its ancestors below the root.
func stacksOf(frames []drawn) string {
	var b strings.Builder
	for i, f := range frames {
		if i+1 < len(frames) && frames[i+1].y < f.y {
			continue // it has a child
		}
		var path []string
		for j, y := i, f.y; j > 0; j-- {
			if frames[j].y == y {
				path = append([]string{frames[j].title[:strings.LastIndex(frames[j].title, " (")]}, path...)
				y += f.h + 1
			}
		}
		b.WriteString(strings.Join(path, ";") + " " + string(AppendCount(nil, f.dataW)) + "\n")
	}
	return b.String()
}
