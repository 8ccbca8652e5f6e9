package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
)

// graphFlags are flamegraph.pl's flags, which render, diff and record share:
// the options of flamegraph.Render, and the files of --cp and --nameattr,
// which the command reads before rendering and, for --cp, writes back
// after.
type graphFlags struct {
	opts         flamegraph.Options
	colors       string // --colors, parsed into opts.Colors
	bgColors     string // --bgcolors, parsed into opts.BgColors
	cp           bool
	paletteFile  string
	nameAttrFile string
}

// register registers the flags on fs under flamegraph.pl's names (title,
// subtitle, width, height, minwidth, fonttype, fontsize, fontwidth,
// countname, nametype, colors, bgcolors, hash, random, cp, reverse,
// inverted, flamechart, negate, notes, nameattr, total, factor, encoding),
// plus "color" as an alias of colors, "palette-file", "sort-by-weight" and
// "max-depth", with flamegraph.pl's defaults.
func (g *graphFlags) register(fs *flag.FlagSet) {
	o := &g.opts
	o.SetDefaults()
	g.colors = o.Colors.String()
	g.paletteFile = "palette.map"

	fs.StringVar(&o.Title, "title", o.Title, `heading (default "Flame Graph", "Icicle Graph" or "Flame Chart")`)
	fs.StringVar(&o.Subtitle, "subtitle", o.Subtitle, "second heading")
	fs.IntVar(&o.Width, "width", o.Width, "image width in pixels")
	fs.IntVar(&o.Height, "height", o.Height, "frame height in pixels")
	fs.StringVar(&o.MinWidth, "minwidth", o.MinWidth, `omit frames narrower than this many pixels, or "N%" of the total`)
	fs.StringVar(&o.FontType, "fonttype", o.FontType, "font family")
	fs.Float64Var(&o.FontSize, "fontsize", o.FontSize, "font size in pixels")
	fs.Float64Var(&o.FontWidth, "fontwidth", o.FontWidth, "average character width relative to the font size")
	fs.StringVar(&o.CountName, "countname", o.CountName, "count unit in tooltips (default: the profile's unit, else samples)")
	fs.StringVar(&o.NameType, "nametype", o.NameType, "name label in the details line")
	// Plain string flags, parsed after: a flag.Value would show as
	// "-colors value" in the help.
	var names []string
	for _, p := range flamegraph.Palettes() {
		names = append(names, p.String())
	}
	fs.StringVar(&g.colors, "colors", g.colors, "palette: "+strings.Join(names, ", "))
	fs.StringVar(&g.colors, "color", g.colors, "alias of -colors")
	fs.StringVar(&g.bgColors, "bgcolors", g.bgColors, `background: yellow, blue, green, grey or "#rrggbb" (default from the palette)`)
	fs.BoolVar(&o.Hash, "hash", o.Hash, "colour by a hash of the function name")
	fs.BoolVar(&o.Random, "random", o.Random, "colour from a pseudo-random sequence")
	fs.BoolVar(&g.cp, "cp", g.cp, "consistent palette: read and rewrite the palette file")
	fs.StringVar(&g.paletteFile, "palette-file", g.paletteFile, "palette file of -cp")
	fs.BoolVar(&o.Reverse, "reverse", o.Reverse, "reverse the stacks (merge from the leaves)")
	fs.BoolVar(&o.Inverted, "inverted", o.Inverted, "icicle graph")
	fs.BoolVar(&o.FlameChart, "flamechart", o.FlameChart, "flame chart: keep the input (time) order, do not sort")
	fs.BoolVar(&o.Negate, "negate", o.Negate, "swap red and blue in differential graphs")
	fs.StringVar(&o.Notes, "notes", o.Notes, "notes embedded as an SVG comment")
	fs.StringVar(&g.nameAttrFile, "nameattr", g.nameAttrFile, "file of per-function attributes (name TAB key=value ...)")
	fs.Float64Var(&o.Total, "total", o.Total, "total count, when larger than the sum of the counts")
	fs.Float64Var(&o.Factor, "factor", o.Factor, "scale the counts shown by this factor")
	fs.StringVar(&o.Encoding, "encoding", o.Encoding, "XML encoding declared")
	fs.BoolVar(&o.SortByWeight, "sort-by-weight", o.SortByWeight, "order siblings by weight, heaviest left (not with -flamechart)")
	fs.IntVar(&o.MaxDepth, "max-depth", o.MaxDepth, "draw at most this many frames of a stack, cutting deeper ones (negative: no bound)")
}

// check parses the palette and background flags into the options and
// checks them all, after the command line is parsed; a bad value is a
// usage error.
func (g *graphFlags) check() error {
	var paletteErr, bgErr error
	g.opts.Colors, paletteErr = flamegraph.ParsePalette(g.colors)
	if g.bgColors != "" {
		g.opts.BgColors, bgErr = flamegraph.ParseBackground(g.bgColors)
	}
	if err := errors.Join(g.opts.Validate(), paletteErr, bgErr); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// render draws p as an SVG flame graph into w, with the name attributes of
// --nameattr and the palette file of --cp, which it rewrites after a
// graph is drawn, and says on stderr what the graph left out. An empty
// profile still produces the SVG that says so, and an error.
func (g *graphFlags) render(w io.Writer, stderr io.Writer, p *flamegraph.Profile) error {
	opts := g.opts
	var err error
	if g.nameAttrFile != "" {
		if opts.NameAttrs, err = readNameAttrs(g.nameAttrFile); err != nil {
			return err
		}
	}
	if g.cp {
		if opts.PaletteMap, err = readPaletteMap(g.paletteFile); err != nil {
			return err
		}
	}
	var st flamegraph.RenderStats
	opts.Stats = &st
	err = flamegraph.Render(w, p, opts)
	if st.CutStacks > 0 {
		fmt.Fprintf(stderr, "flamekit: %d stack(s) deeper than %d frames (the deepest has %d) are drawn cut, topped by %q; draw more with --max-depth\n",
			st.CutStacks, st.MaxDepth, st.Deepest, flamegraph.CutFrame)
	}
	if err == nil && g.cp {
		err = writePaletteMap(g.paletteFile, opts.PaletteMap)
	}
	return err
}

// readNameAttrs reads the --nameattr file.
func readNameAttrs(path string) (flamegraph.NameAttrs, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nameattr: %w", err)
	}
	defer f.Close()
	attrs, err := flamegraph.ReadNameAttrs(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return attrs, nil
}

// readPaletteMap reads the palette file of --cp; a file that does not
// exist yet is an empty palette, as for flamegraph.pl.
func readPaletteMap(path string) (flamegraph.PaletteMap, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return flamegraph.PaletteMap{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("palette: %w", err)
	}
	defer f.Close()
	pal, err := flamegraph.ReadPaletteMap(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return pal, nil
}

// writePaletteMap writes the palette file of --cp back, with the colours
// of the names the graph added.
func writePaletteMap(path string, pal flamegraph.PaletteMap) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("palette: %w", err)
	}
	if _, err := pal.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("writing palette %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing palette %s: %w", path, err)
	}
	return nil
}
