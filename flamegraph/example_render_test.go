package flamegraph_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
)

func ExampleRender() {
	p, err := flamegraph.Parse(strings.NewReader("main;work;compute 30\nmain;work;io 10\nmain;init 2\n"))
	if err != nil {
		panic(err)
	}
	var svg bytes.Buffer
	if err := flamegraph.Render(&svg, p, flamegraph.Options{Title: "Example"}); err != nil {
		panic(err)
	}
	out := svg.String()
	fmt.Println(strings.Count(out, "<rect") - 1) // frames, without the background
	fmt.Println(strings.Contains(out, "<title>compute (30 samples, 71.43%)</title>"))
	fmt.Println(strings.Contains(out, `data-total="42"`))
	// Output:
	// 6
	// true
	// true
}

// A palette map keeps a function's colour from one graph to the next, as
// flamegraph.pl's --cp does with its palette.map file. The caller reads the
// map and writes it back; Render only uses and extends it.
func ExampleReadPaletteMap() {
	// The palette.map an earlier graph left (here, in a string).
	pal, err := flamegraph.ReadPaletteMap(strings.NewReader("main->rgb(250,180,40)\n"))
	if err != nil {
		panic(err)
	}
	p, err := flamegraph.Parse(strings.NewReader("main;work 3\nmain;idle 1\n"))
	if err != nil {
		panic(err)
	}
	var svg bytes.Buffer
	if err := flamegraph.Render(&svg, p, flamegraph.Options{PaletteMap: pal}); err != nil {
		panic(err)
	}
	fmt.Println(strings.Contains(svg.String(), `<title>main (4 samples, 100.00%)</title><rect x="10" y="53" width="1180" height="15" fill="#fab428"/>`))
	// main kept its colour; the root, work and idle got theirs. This is the
	// palette.map for the next graph.
	if _, err := pal.WriteTo(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// true
	// ->rgb(213,39,9)
	// idle->rgb(239,157,37)
	// main->rgb(250,180,40)
	// work->rgb(250,207,49)
}

// A program with its own flag set takes a palette and a background as
// flags: *Palette and *Background are flag.Values, so an invalid name is an
// error when the flags are parsed.
func ExamplePalette_Set() {
	var opts flamegraph.Options
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.Var(&opts.Colors, "colors", "palette")
	fs.Var(&opts.BgColors, "bgcolors", "background")
	fs.BoolVar(&opts.Inverted, "inverted", false, "icicle graph")
	if err := fs.Parse([]string{"--colors", "java", "--bgcolors", "#102030", "--inverted"}); err != nil {
		panic(err)
	}
	fmt.Println(opts.Colors, opts.BgColors, opts.Inverted, opts.Validate())
	_, err := flamegraph.ParsePalette("neon")
	fmt.Println(err)
	// Output:
	// java #102030 true <nil>
	// flamegraph: unknown palette "neon": want one of hot, mem, io, wakeup, chain, java, js, perl, python, rust, red, green, blue, aqua, yellow, purple, orange
}

func ExampleReadNameAttrs() {
	attrs, err := flamegraph.ReadNameAttrs(strings.NewReader("work\thref=https://example.com/work\ttitle=the work loop\n"))
	if err != nil {
		panic(err)
	}
	p, err := flamegraph.Parse(strings.NewReader("main;work 3\n"))
	if err != nil {
		panic(err)
	}
	var svg bytes.Buffer
	if err := flamegraph.Render(&svg, p, flamegraph.Options{NameAttrs: attrs}); err != nil {
		panic(err)
	}
	fmt.Println(strings.Contains(svg.String(), `<a xlink:href="https://example.com/work" target="_top" data-x="0" data-w="3" data-n="work"><title>the work loop</title>`))
	// Output:
	// true
}
