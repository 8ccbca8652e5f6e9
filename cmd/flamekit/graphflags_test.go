package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
)

// TestGraphFlags parses every one of flamegraph.pl's flags and checks the
// options and files they give.
func TestGraphFlags(t *testing.T) {
	var g graphFlags
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	g.register(fs)
	err := fs.Parse([]string{"--title", "T", "--subtitle", "S", "--width", "800", "--height", "20",
		"--minwidth", "1%", "--fonttype", "Arial", "--fontsize", "10", "--fontwidth", "0.6",
		"--countname", "bytes", "--nametype", "Fn:", "--color", "java", "--bgcolors", "blue", "--hash",
		"--cp", "--palette-file", "p.map", "--reverse", "--inverted", "--negate", "--notes", "n",
		"--nameattr", "f", "--total", "9", "--factor", "2", "--encoding", "UTF-8", "--sort-by-weight", "--max-depth", "300"})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.check(); err != nil {
		t.Fatal(err)
	}
	want := flamegraph.Options{Title: "T", Subtitle: "S", Width: 800, Height: 20, MinWidth: "1%", FontType: "Arial",
		FontSize: 10, FontWidth: 0.6, CountName: "bytes", NameType: "Fn:", Colors: flamegraph.PaletteJava,
		BgColors: flamegraph.BackgroundBlue, Hash: true, Reverse: true, Inverted: true, Negate: true,
		Notes: "n", Total: 9, Factor: 2, Encoding: "UTF-8", SortByWeight: true, MaxDepth: 300}
	if fmt.Sprint(g.opts) != fmt.Sprint(want) {
		t.Errorf("flags gave\n%+v\nwant\n%+v", g.opts, want)
	}
	if !g.cp || g.paletteFile != "p.map" || g.nameAttrFile != "f" {
		t.Errorf("files: cp %v palette %q nameattr %q", g.cp, g.paletteFile, g.nameAttrFile)
	}
	for _, name := range []string{"random", "flamechart", "colors"} {
		if fs.Lookup(name) == nil {
			t.Errorf("no flag %s", name)
		}
	}

	// Without flags: flamegraph.pl's defaults.
	var d graphFlags
	fs = flag.NewFlagSet("x", flag.ContinueOnError)
	d.register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := d.check(); err != nil {
		t.Fatal(err)
	}
	defaults := flamegraph.Options{Width: 1200, Height: 16, MinWidth: "0.1", FontType: "Verdana", FontSize: 12,
		FontWidth: 0.59, NameType: "Function:", Factor: 1, MaxDepth: flamegraph.DefaultMaxDepth}
	if fmt.Sprint(d.opts) != fmt.Sprint(defaults) || d.cp || d.paletteFile != "palette.map" || d.nameAttrFile != "" {
		t.Errorf("defaults\n%+v\nwant\n%+v", d.opts, defaults)
	}
}

// graphFlagsHelp is the help of flamegraph.pl's flags, as flamekit has
// always shown it: string flags (not "value") with quoted defaults.
const graphFlagsHelp = `  -bgcolors string
    	background: yellow, blue, green, grey or "#rrggbb" (default from the palette)
  -color string
    	alias of -colors (default "hot")
  -colors string
    	palette: hot, mem, io, wakeup, chain, java, js, perl, python, rust, red, green, blue, aqua, yellow, purple, orange (default "hot")
  -countname string
    	count unit in tooltips (default: the profile's unit, else samples)
  -cp
    	consistent palette: read and rewrite the palette file
  -encoding string
    	XML encoding declared
  -factor float
    	scale the counts shown by this factor (default 1)
  -flamechart
    	flame chart: keep the input (time) order, do not sort
  -fontsize float
    	font size in pixels (default 12)
  -fonttype string
    	font family (default "Verdana")
  -fontwidth float
    	average character width relative to the font size (default 0.59)
  -hash
    	colour by a hash of the function name
  -height int
    	frame height in pixels (default 16)
  -inverted
    	icicle graph
  -max-depth int
    	draw at most this many frames of a stack, cutting deeper ones (negative: no bound) (default 4096)
  -minwidth string
    	omit frames narrower than this many pixels, or "N%" of the total (default "0.1")
  -nameattr string
    	file of per-function attributes (name TAB key=value ...)
  -nametype string
    	name label in the details line (default "Function:")
  -negate
    	swap red and blue in differential graphs
  -notes string
    	notes embedded as an SVG comment
  -palette-file string
    	palette file of -cp (default "palette.map")
  -random
    	colour from a pseudo-random sequence
  -reverse
    	reverse the stacks (merge from the leaves)
  -sort-by-weight
    	order siblings by weight, heaviest left (not with -flamechart)
  -subtitle string
    	second heading
  -title string
    	heading (default "Flame Graph", "Icicle Graph" or "Flame Chart")
  -total float
    	total count, when larger than the sum of the counts
  -width int
    	image width in pixels (default 1200)
`

// TestGraphFlagsHelp checks the help of flamegraph.pl's flags, in a flag
// set of their own and in render's.
func TestGraphFlagsHelp(t *testing.T) {
	var g graphFlags
	var b strings.Builder
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(&b)
	g.register(fs)
	fs.PrintDefaults()
	if b.String() != graphFlagsHelp {
		t.Errorf("help of the graph flags:\n%s\nwant\n%s", b.String(), graphFlagsHelp)
	}
	_, _, stderr := flamekit(t, "", "render", "-h")
	for _, block := range strings.SplitAfter(graphFlagsHelp, "\n  -") {
		if !strings.Contains(stderr, strings.TrimSuffix(block, "  -")) {
			t.Errorf("render -h lacks\n%s", block)
		}
	}
}

// TestGraphFlagErrors checks that a bad palette or background is a usage
// error, said once, in render, diff and record alike, before any input is
// read.
func TestGraphFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "--colors", "neon", "/nonexistent"}, `flamekit render: usage: flamegraph: unknown palette "neon": want one of hot, mem,`},
		{[]string{"render", "--bgcolors", "pink", "/nonexistent"}, `flamekit render: usage: flamegraph: unknown bgcolors "pink": want yellow, blue, green, grey or #rrggbb`},
		{[]string{"diff", "--color", "neon", "/nonexistent", "/nonexistent"}, `flamekit diff: usage: flamegraph: unknown palette "neon"`},
		{[]string{"record", "--bgcolors", "#12345", "-d", "1h"}, `flamekit record: usage: flamegraph: unknown bgcolors "#12345"`},
	} {
		code, stdout, stderr := flamekit(t, "", c.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "flamekit") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

var fillRE = regexp.MustCompile(`<title>([^ <]+) \([^<]*</title><rect [^>]*fill="(#[0-9a-f]{6})"`)

// fills returns the fill of each frame of an SVG by name.
func fills(t *testing.T, svg string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, sub := range fillRE.FindAllStringSubmatch(svg, -1) {
		m[sub[1]] = sub[2]
	}
	if len(m) == 0 {
		t.Fatalf("no frames in %.500s", svg)
	}
	return m
}

// TestRenderConsistentPalette runs render --cp as flamegraph.pl's users do:
// the first graph writes palette.map in the working directory, an edited
// colour is kept by the next graph and new names are added; --palette-file
// names another file; an empty input leaves the file alone.
func TestRenderConsistentPalette(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.folded")
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("in.folded", "main;work 1\n")
	r := runCLI(t, dir, "", "render", "--cp", in)
	if r.code != 0 {
		t.Fatalf("render --cp: exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "palette.map"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "->rgb(") || !strings.HasPrefix(lines[1], "main->rgb(") || !strings.HasPrefix(lines[2], "work->rgb(") {
		t.Fatalf("palette file:\n%s", data)
	}
	plain := runCLI(t, dir, "", "render", in)
	if f := fills(t, plain.stdout); f["work"] != fills(t, r.stdout)["work"] {
		t.Errorf("the first --cp graph is not the palette's: work %s, without --cp %s", fills(t, r.stdout)["work"], f["work"])
	}

	// An edited colour is kept; a new name is added.
	write("palette.map", strings.Replace(string(data), lines[2], "work->rgb(1,2,3)", 1))
	write("in.folded", "main;work 1\nmain;new 1\n")
	r = runCLI(t, dir, "", "render", "--cp", in)
	if f := fills(t, r.stdout); r.code != 0 || f["work"] != "#010203" {
		t.Errorf("palette colour not used: exit %d, work %s", r.code, f["work"])
	}
	data, _ = os.ReadFile(filepath.Join(dir, "palette.map"))
	if !strings.Contains(string(data), "work->rgb(1,2,3)\n") || !strings.Contains(string(data), "\nnew->rgb(") || strings.Count(string(data), "\n") != 4 {
		t.Errorf("palette not rewritten:\n%s", data)
	}

	// --palette-file; an empty input writes no palette.
	r = runCLI(t, dir, "", "render", "--cp", "--palette-file", "other.map", "/dev/null")
	r.wantFailure(t, "render --cp of nothing", 1, "no stack counts")
	r = runCLI(t, dir, "", "render", "--cp", "--palette-file", "other.map", in)
	other, err := os.ReadFile(filepath.Join(dir, "other.map"))
	if r.code != 0 || err != nil || strings.Count(string(other), "\n") != 4 || strings.Contains(string(other), "rgb(1,2,3)") {
		t.Errorf("--palette-file: exit %d, %v:\n%s", r.code, err, other)
	}

	// A bad palette file is an error naming it, and is left as it is.
	write("palette.map", "main->rgb(1,2,3)\nbad line\n")
	r = runCLI(t, dir, "", "render", "--cp", in)
	r.wantFailure(t, "render --cp with a bad palette file", 1, `flamegraph: palette line 2: want name->rgb(r,g,b), got "bad line" (in palette.map)`)
	if data, _ := os.ReadFile(filepath.Join(dir, "palette.map")); string(data) != "main->rgb(1,2,3)\nbad line\n" {
		t.Errorf("bad palette file rewritten:\n%s", data)
	}
}

// TestRenderNameAttrFile checks --nameattr: the file's attributes reach the
// SVG, and a missing or malformed file is an error that names it.
func TestRenderNameAttrFile(t *testing.T) {
	dir := t.TempDir()
	attrs := filepath.Join(dir, "attrs")
	if err := os.WriteFile(attrs, []byte("work\thref=https://example.com/w?a=1&b=2\ttarget=_blank\tclass=hot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, svg, stderr := flamekit(t, "main;work 1\n", "render", "--nameattr", attrs)
	if code != 0 || !strings.Contains(svg, `<a xlink:href="https://example.com/w?a=1&amp;b=2" target="_blank" class="hot" data-x="0" data-w="1"><title>work (1 samples, 100.00%)</title>`) {
		t.Errorf("exit %d, stderr %q, SVG without the link:\n%.2000s", code, stderr, svg)
	}
	checkSVG(t, []byte(svg))

	code, _, stderr = flamekit(t, "main 1\n", "render", "--nameattr", attrs+".missing")
	if code != 1 || !strings.Contains(stderr, "nameattr: open "+attrs+".missing: no such file or directory") {
		t.Errorf("missing nameattr file: exit %d, %q", code, stderr)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("no tab\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = flamekit(t, "main 1\n", "render", "--nameattr", bad)
	if code != 1 || !strings.Contains(stderr, `flamegraph: nameattr line 1: want name<TAB>key=value..., got "no tab" (in `+bad+")") {
		t.Errorf("bad nameattr file: exit %d, %q", code, stderr)
	}
}
