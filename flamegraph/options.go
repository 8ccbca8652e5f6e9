package flamegraph

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Options tunes Render. Every field is named after the flamegraph.pl option it
// mirrors, and its zero value means flamegraph.pl's default.
type Options struct {
	// Title is the heading. Default "Flame Graph", "Icicle Graph" when
	// Inverted, "Flame Chart" when FlameChart.
	Title string
	// Subtitle is an optional second heading.
	Subtitle string
	// Width is the image width in pixels (default 1200).
	Width int
	// Height is the height of one frame in pixels (default 16).
	Height int
	// MinWidth drops frames narrower than this: pixels ("0.1", the default,
	// or "0" to keep everything) or, ending in "%", a percentage of the
	// total ("0.5%").
	MinWidth string
	// FontType is the label font family (default "Verdana").
	FontType string
	// FontSize is the label font size in pixels (default 12).
	FontSize float64
	// FontWidth is the average character width relative to FontSize
	// (default 0.59); it decides where labels are cut.
	FontWidth float64
	// CountName is the unit shown in tooltips (default: the profile's Unit,
	// else "samples").
	CountName string
	// NameType prefixes the details line (default "Function:").
	NameType string
	// Colors is the palette: hot (default), mem, io, wakeup, chain, java,
	// js, perl, python, rust, red, green, blue, aqua, yellow, purple or
	// orange. Without Hash or Random a frame's shade comes from its name
	// exactly as flamegraph.pl picks it (perl's rand, seeded with the sum
	// of the name's characters), so the colours match the perl's.
	Colors string
	// BgColors is the background: a gradient (yellow, blue, green, grey) or a
	// flat "#rrggbb". Default: green for mem; blue for io, wakeup and chain;
	// grey for the flat palettes; yellow otherwise.
	BgColors string
	// Hash colours frames by a hash of their name that weights its first
	// characters, so a function keeps its colour across graphs.
	Hash bool
	// Random colours frames from a pseudo-random sequence in drawing order
	// instead of by name. The sequence has a fixed seed, so the output stays
	// reproducible.
	Random bool
	// ConsistentPalette reads the colours of known names from PaletteFile
	// and writes it back with the colours of new names added (--cp).
	ConsistentPalette bool
	// PaletteFile is the palette file of ConsistentPalette (default
	// "palette.map" in the working directory).
	PaletteFile string
	// Palette, when not nil, is used and extended in place like a palette
	// file, without touching the file system.
	Palette Palette
	// Reverse reverses each stack before merging, so the graph merges from
	// the leaves.
	Reverse bool
	// Inverted draws an icicle graph: the root at the top.
	Inverted bool
	// FlameChart keeps the input order (time order) instead of sorting, and
	// merges only adjacent identical frames.
	FlameChart bool
	// Negate swaps red and blue in differential graphs.
	Negate bool
	// Notes is embedded as an XML comment.
	Notes string
	// NameAttrFile names a file of per-function attributes, one function a
	// line: "name\tkey=value\tkey=value". See ReadNameAttr.
	NameAttrFile string
	// NameAttr holds per-function attributes as ReadNameAttr returns them;
	// entries from NameAttrFile are added to it.
	NameAttr map[string]Attributes
	// Total overrides the total count when larger than the sum of the
	// counts, widening the root frame (0 means the sum).
	Total float64
	// Factor scales the counts shown in tooltips (default 1).
	Factor float64
	// Encoding is written as the XML declaration's encoding (the bytes are
	// always UTF-8).
	Encoding string
	// SortByWeight orders siblings by weight, the heaviest on the left,
	// instead of by name. It cannot be combined with FlameChart.
	SortByWeight bool
	// MaxDepth bounds the frames drawn for one stack (default
	// DefaultMaxDepth; negative: no bound, as in flamegraph.pl). A deeper
	// stack keeps its MaxDepth frames nearest the root, topped by one frame
	// named CutFrame that stands for the rest, so the graph stays drawable
	// (a 10 MB stack would otherwise make a 300 MB SVG). Stats reports the
	// cut.
	MaxDepth int
	// Stats, when not nil, is filled in by Render with what it drew.
	Stats *RenderStats
}

// DefaultMaxDepth is the default Options.MaxDepth: far deeper than real
// stacks (a Go build's deepest are about 90 frames; Linux and perf record
// at most 127 kernel and 127 user frames by default), so only runaway
// recursion and broken input are cut.
const DefaultMaxDepth = 4096

// CutFrame names the frame that tops a stack cut at Options.MaxDepth.
const CutFrame = "[deeper frames cut]"

// RenderStats describes what Render drew and what it left out.
type RenderStats struct {
	// Deepest is the number of frames of the deepest input stack, before
	// any cut (reversed, with Reverse).
	Deepest int
	// CutStacks counts the input stacks deeper than MaxDepth, drawn cut.
	CutStacks int
	// MaxDepth is the bound that applied (0 when there was none).
	MaxDepth int
}

// Attributes are the SVG attributes of one function's frames: "title"
// replaces the tooltip, "href" (with "target", default "_top") makes the
// frame a link, and any other key becomes an attribute of the frame's
// element. Keys that are not plain XML names, event handlers ("on...") and
// the frame's own data-x and data-w are ignored.
type Attributes map[string]string

// palettes lists the valid Colors values.
var palettes = []string{"hot", "mem", "io", "wakeup", "chain", "java", "js", "perl",
	"python", "rust", "red", "green", "blue", "aqua", "yellow", "purple", "orange"}

var (
	fontTypeRE = regexp.MustCompile(`^[\w .,'"-]+$`)
	encodingRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)
	bgFlatRE   = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// RegisterFlags registers every option on fs under flamegraph.pl's flag
// names (title, subtitle, width, height, minwidth, fonttype, fontsize,
// fontwidth, countname, nametype, colors, bgcolors, hash, random, cp,
// reverse, inverted, flamechart, negate, notes, nameattr, total, factor,
// encoding), plus "color" as an alias of colors, "palette-file",
// "sort-by-weight" and "max-depth". Values already set in o are the flags'
// defaults.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	o.setDefaults()

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
	usage := "palette: " + strings.Join(palettes, ", ")
	fs.StringVar(&o.Colors, "colors", o.Colors, usage)
	fs.StringVar(&o.Colors, "color", o.Colors, "alias of -colors")
	fs.StringVar(&o.BgColors, "bgcolors", o.BgColors, `background: yellow, blue, green, grey or "#rrggbb" (default from the palette)`)
	fs.BoolVar(&o.Hash, "hash", o.Hash, "colour by a hash of the function name")
	fs.BoolVar(&o.Random, "random", o.Random, "colour from a pseudo-random sequence")
	fs.BoolVar(&o.ConsistentPalette, "cp", o.ConsistentPalette, "consistent palette: read and rewrite the palette file")
	fs.StringVar(&o.PaletteFile, "palette-file", o.PaletteFile, "palette file of -cp")
	fs.BoolVar(&o.Reverse, "reverse", o.Reverse, "reverse the stacks (merge from the leaves)")
	fs.BoolVar(&o.Inverted, "inverted", o.Inverted, "icicle graph")
	fs.BoolVar(&o.FlameChart, "flamechart", o.FlameChart, "flame chart: keep the input (time) order, do not sort")
	fs.BoolVar(&o.Negate, "negate", o.Negate, "swap red and blue in differential graphs")
	fs.StringVar(&o.Notes, "notes", o.Notes, "notes embedded as an SVG comment")
	fs.StringVar(&o.NameAttrFile, "nameattr", o.NameAttrFile, "file of per-function attributes (name TAB key=value ...)")
	fs.Float64Var(&o.Total, "total", o.Total, "total count, when larger than the sum of the counts")
	fs.Float64Var(&o.Factor, "factor", o.Factor, "scale the counts shown by this factor")
	fs.StringVar(&o.Encoding, "encoding", o.Encoding, "XML encoding declared")
	fs.BoolVar(&o.SortByWeight, "sort-by-weight", o.SortByWeight, "order siblings by weight, heaviest left (not with -flamechart)")
	fs.IntVar(&o.MaxDepth, "max-depth", o.MaxDepth, "draw at most this many frames of a stack, cutting deeper ones (negative: no bound)")
}

// setDefaults fills the options left zero with flamegraph.pl's defaults
// (the title depends on the layout and is chosen in resolve, the count name
// on the profile).
func (o *Options) setDefaults() {
	setDefault(&o.Width, 1200)
	setDefault(&o.Height, 16)
	setDefault(&o.MinWidth, "0.1")
	setDefault(&o.FontType, "Verdana")
	setDefault(&o.FontSize, 12)
	setDefault(&o.FontWidth, 0.59)
	setDefault(&o.NameType, "Function:")
	setDefault(&o.Colors, "hot")
	setDefault(&o.PaletteFile, "palette.map")
	setDefault(&o.Factor, 1)
	setDefault(&o.MaxDepth, DefaultMaxDepth)
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate reports the first invalid option, or nil. Render calls it.
func (o *Options) Validate() error {
	_, err := o.resolve()
	return err
}

// config is Options with the defaults filled in and the values checked.
type config struct {
	Options
	minWidth   float64
	minPercent bool
	bg1, bg2   string
}

func (o *Options) resolve() (*config, error) {
	c := &config{Options: *o}
	c.setDefaults()
	// Not a flag default: an empty count name lets Render use the
	// profile's unit.
	setDefault(&c.CountName, "samples")
	if c.Title == "" {
		switch {
		case c.FlameChart:
			c.Title = "Flame Chart"
		case c.Inverted:
			c.Title = "Icicle Graph"
		default:
			c.Title = "Flame Graph"
		}
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("flamegraph: "+format, args...))
	}
	if c.Width <= 2*xpad {
		bad("width %d is too small: must be more than %d pixels", c.Width, 2*xpad)
	}
	if c.Height <= 0 {
		bad("height %d must be positive", c.Height)
	}
	if !(c.FontSize > 0) || math.IsInf(c.FontSize, 0) {
		bad("fontsize %v must be positive", c.FontSize)
	}
	if !(c.FontWidth > 0) || math.IsInf(c.FontWidth, 0) {
		bad("fontwidth %v must be positive", c.FontWidth)
	}
	if !(c.Factor > 0) || math.IsInf(c.Factor, 0) {
		bad("factor %v must be positive", c.Factor)
	}
	if !(c.Total >= 0) || math.IsInf(c.Total, 0) {
		bad("total %v must be a non-negative number", c.Total)
	}
	mw := strings.TrimSuffix(c.MinWidth, "%")
	c.minPercent = mw != c.MinWidth
	v, err := strconv.ParseFloat(mw, 64)
	if err != nil || strings.Trim(mw, "0123456789.") != "" {
		bad("minwidth %q is invalid: want a non-negative number of pixels, or a percentage like \"0.5%%\"", c.MinWidth)
	}
	c.minWidth = v
	if !slices.Contains(palettes, c.Colors) {
		bad("unknown palette %q: want one of %s", c.Colors, strings.Join(palettes, ", "))
	}
	if c.Random && c.Hash {
		bad("hash and random colours are exclusive")
	}
	if c.SortByWeight && c.FlameChart {
		bad("sort-by-weight does not apply to a flame chart, whose order is time")
	}
	if !fontTypeRE.MatchString(c.FontType) {
		bad("fonttype %q: want letters, digits, spaces and , . ' \" - only", c.FontType)
	}
	if c.Encoding != "" && !encodingRE.MatchString(c.Encoding) {
		bad("encoding %q is not a valid encoding name", c.Encoding)
	}
	if c.BgColors == "" {
		switch c.Colors {
		case "mem":
			c.BgColors = "green"
		case "io", "wakeup", "chain":
			c.BgColors = "blue"
		case "red", "green", "blue", "aqua", "yellow", "purple", "orange":
			c.BgColors = "grey"
		default:
			c.BgColors = "yellow"
		}
	}
	switch c.BgColors {
	case "yellow":
		c.bg1, c.bg2 = "#eeeeee", "#eeeeb0"
	case "blue":
		c.bg1, c.bg2 = "#eeeeee", "#e0e0ff"
	case "green":
		c.bg1, c.bg2 = "#eef2ee", "#e0ffe0"
	case "grey", "gray":
		c.bg1, c.bg2 = "#f8f8f8", "#e8e8e8"
	default:
		if !bgFlatRE.MatchString(c.BgColors) {
			bad("unknown bgcolors %q: want yellow, blue, green, grey or #rrggbb", c.BgColors)
		}
		c.bg1, c.bg2 = c.BgColors, c.BgColors
	}
	return c, errors.Join(errs...)
}
