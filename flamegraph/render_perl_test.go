package flamegraph

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/golden"
)

// perlCases are inputs, flamegraph.pl arguments and the same options as
// Options, whose output we match frame for frame. (cmd/flamekit's tests
// check that its flags, flamegraph.pl's, give these options.)
var perlCases = []struct {
	name, input string
	args        []string
	opts        Options
}{
	{"basic", "basic.folded", nil, Options{}},
	{"basic-hash", "basic.folded", []string{"--hash"}, Options{Hash: true}},
	{"basic-inverted-reverse", "basic.folded", []string{"--inverted", "--reverse"}, Options{Inverted: true, Reverse: true}},
	{"basic-flamechart", "basic.folded", []string{"--flamechart"}, Options{FlameChart: true}},
	{"basic-minwidth0", "basic.folded", []string{"--minwidth", "0"}, Options{MinWidth: "0"}},
	{"basic-geometry", "basic.folded", []string{"--width", "800", "--height", "20", "--fontsize", "10",
		"--fontwidth", "0.7", "--total", "400", "--factor", "2.5", "--countname", "bytes", "--subtitle", "sub"},
		Options{Width: 800, Height: 20, FontSize: 10, FontWidth: 0.7, Total: 400, Factor: 2.5, CountName: "bytes", Subtitle: "sub"}},
	{"basic-chain", "basic.folded", []string{"--colors", "chain"}, Options{Colors: PaletteChain}},
	{"basic-java", "basic.folded", []string{"--colors", "java"}, Options{Colors: PaletteJava}},
	{"basic-js", "basic.folded", []string{"--colors", "js"}, Options{Colors: PaletteJS}},
	{"basic-perl", "basic.folded", []string{"--colors", "perl"}, Options{Colors: PalettePerl}},
	{"basic-mem", "basic.folded", []string{"--colors", "mem"}, Options{Colors: PaletteMem}},
	{"basic-io", "basic.folded", []string{"--colors", "io"}, Options{Colors: PaletteIO}},
	{"basic-wakeup", "basic.folded", []string{"--colors", "wakeup"}, Options{Colors: PaletteWakeup}},
	{"basic-flat", "basic.folded", []string{"--colors", "purple", "--hash"}, Options{Colors: PalettePurple, Hash: true}},
	{"diff", "diff.folded", nil, Options{}},
	{"diff-negate", "diff.folded", []string{"--negate"}, Options{Negate: true}},
	{"real-java", "real-all.folded.gz", []string{"--colors", "java"}, Options{Colors: PaletteJava}},
	{"real-pct-js-hash", "real-all.folded.gz", []string{"--minwidth", "0.5%", "--colors", "js", "--hash"},
		Options{MinWidth: "0.5%", Colors: PaletteJS, Hash: true}},
	{"real-reverse-inverted", "real-all.folded.gz", []string{"--reverse", "--inverted"}, Options{Reverse: true, Inverted: true}},
}

// runPerl renders input with flamegraph.pl from $FLAMEGRAPH_DIR (-update).
func runPerl(t *testing.T, input string, args []string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.folded")
	if err := os.WriteFile(path, readTestdata(t, input), 0o644); err != nil {
		t.Fatal(err)
	}
	return golden.FlameGraph(t, "flamegraph.pl", append(append([]string(nil), args...), path)...)
}

// The golden files in testdata/perl hold the facts of flamegraph.pl's
// output (FlameGraph @41fee1f9) for each case: its size, then one line a
// frame.
func goldenPath(name string) string { return filepath.Join("testdata", "perl", name+".facts.gz") }

func writeGolden(t *testing.T, name string, size int, lines []string) {
	t.Helper()
	golden.Write(t, goldenPath(name), fmt.Appendf(nil, "# flamegraph.pl output size %d\n%s\n", size, strings.Join(lines, "\n")))
}

func readGolden(t *testing.T, name string) (size int, lines []string) {
	t.Helper()
	head, body, _ := strings.Cut(string(golden.Read(t, goldenPath(name))), "\n")
	size, err := strconv.Atoi(strings.TrimPrefix(head, "# flamegraph.pl output size "))
	if err != nil {
		t.Fatalf("bad golden header %q", head)
	}
	return size, strings.Split(strings.TrimSuffix(body, "\n"), "\n")
}

// compareFacts reports the frames that differ.
func compareFacts(t *testing.T, want, got []string) {
	t.Helper()
	in := func(list []string) map[string]int {
		m := map[string]int{}
		for _, l := range list {
			m[l]++
		}
		return m
	}
	w, g := in(want), in(got)
	bad := 0
	for l, n := range w {
		if g[l] != n {
			if bad++; bad <= 5 {
				t.Errorf("flamegraph.pl has %d, we have %d of frame %s", n, g[l], l)
			}
		}
	}
	for l, n := range g {
		if w[l] == 0 {
			if bad++; bad <= 10 {
				t.Errorf("we have %d of frame %s, flamegraph.pl none", n, l)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d differing frames of %d", bad, len(want))
	}
}

// TestMatchesFlamegraphPLGolden compares our frames (position, size,
// colour, tooltip, label) and size with flamegraph.pl's, as recorded in
// testdata/perl. With -update it first rewrites the record from
// flamegraph.pl, run from the FlameGraph checkout at $FLAMEGRAPH_DIR.
func TestMatchesFlamegraphPLGolden(t *testing.T) {
	for _, c := range perlCases {
		t.Run(c.name, func(t *testing.T) {
			if *update {
				out := runPerl(t, c.input, c.args)
				_, frames := parseSVG(t, out)
				writeGolden(t, c.name, len(out), facts(frames))
			}
			size, want := readGolden(t, c.name)
			svg := render(t, string(readTestdata(t, c.input)), c.opts)
			_, frames := parseSVG(t, svg)
			compareFacts(t, want, facts(frames))
			if len(svg) > size {
				t.Errorf("our SVG is %d bytes, flamegraph.pl's %d", len(svg), size)
			}
		})
	}
}
