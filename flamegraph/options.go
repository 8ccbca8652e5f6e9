package flamegraph

import (
	"errors"
	"fmt"
	"math"
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
	// Colors is the palette (default PaletteHot). Without Hash or Random a
	// frame's shade comes from its name exactly as flamegraph.pl picks it
	// (perl's rand, seeded with the sum of the name's characters), so the
	// colours match the perl's.
	Colors Palette
	// BgColors is the background (default: the palette's, see Background).
	BgColors Background
	// Hash colours frames by a hash of their name that weights its first
	// characters, so a function keeps its colour across graphs.
	Hash bool
	// Random colours frames from a pseudo-random sequence in drawing order
	// instead of by name. The sequence has a fixed seed, so the output stays
	// reproducible.
	Random bool
	// PaletteMap, when not nil, keeps colours consistent across graphs, as
	// flamegraph.pl's --cp does with its palette.map file: a frame whose
	// name it holds gets that colour, and the colours of other names are
	// added to it. Render only reads and extends the map; the caller
	// reads the file (ReadPaletteMap) and writes it back (PaletteMap.WriteTo).
	// Differential graphs colour by change and leave it alone.
	PaletteMap PaletteMap
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
	// NameAttrs gives the frames of some functions extra SVG attributes, a
	// link or their own tooltip, as flamegraph.pl's --nameattr file does;
	// ReadNameAttrs reads that file.
	NameAttrs NameAttrs
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

// validFontType reports whether s is a font family name that is safe in
// the style sheet: one or more ASCII letters, digits, '_', spaces and
// , . ' " - only. (A loop, not a regexp: compiling one at start-up costs
// each run of the command line more than all its matching.)
func validFontType(s string) bool {
	return s != "" && allBytes(s, func(c byte) bool {
		return isAlnum(c) || strings.IndexByte("_ .,'\"-", c) >= 0
	})
}

// validEncoding reports whether s is an encoding name: an ASCII letter,
// then letters, digits and . _ - only.
func validEncoding(s string) bool {
	return s != "" && isAlnum(s[0]) && !(s[0] >= '0' && s[0] <= '9') && allBytes(s, func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '_' || c == '-'
	})
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// allBytes reports whether every byte of s is ok.
func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// SetDefaults fills the options left zero with flamegraph.pl's defaults, as
// Render does, so that a command line can show them as its flags'
// defaults. Title and CountName stay empty: their defaults depend on the
// layout and on the profile.
func (o *Options) SetDefaults() {
	setDefault(&o.Width, 1200)
	setDefault(&o.Height, 16)
	setDefault(&o.MinWidth, "0.1")
	setDefault(&o.FontType, "Verdana")
	setDefault(&o.FontSize, 12)
	setDefault(&o.FontWidth, 0.59)
	setDefault(&o.NameType, "Function:")
	setDefault(&o.Factor, 1)
	setDefault(&o.MaxDepth, DefaultMaxDepth)
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate reports the invalid options (each one, joined), or nil. Render
// calls it.
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
	c.SetDefaults()
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
	if !c.Colors.valid() {
		bad("unknown palette %v: want one of %s", c.Colors, strings.Join(paletteNames[:], ", "))
	}
	if c.Random && c.Hash {
		bad("hash and random colours are exclusive")
	}
	if c.SortByWeight && c.FlameChart {
		bad("sort-by-weight does not apply to a flame chart, whose order is time")
	}
	if !validFontType(c.FontType) {
		bad("fonttype %q: want letters, digits, spaces and , . ' \" - only", c.FontType)
	}
	if c.Encoding != "" && !validEncoding(c.Encoding) {
		bad("encoding %q is not a valid encoding name", c.Encoding)
	}
	c.bg1, c.bg2 = c.BgColors.orDefault(c.Colors).stops()
	return c, errors.Join(errs...)
}
