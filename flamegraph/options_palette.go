package flamegraph

import (
	"fmt"
	"strconv"
	"strings"
)

// Palette is a colour scheme for frames, flamegraph.pl's --colors. The
// zero value is PaletteHot, flamegraph.pl's default. ParsePalette turns a
// name into a Palette; a *Palette is also a flag.Value.
type Palette uint8

// The palettes, under the names flamegraph.pl gives them.
const (
	PaletteHot    Palette = iota // "hot": reds, oranges and yellows (the default)
	PaletteMem                   // "mem": greens and blues, for memory profiles
	PaletteIO                    // "io": blues, for I/O and off-CPU profiles
	PaletteWakeup                // "wakeup": aqua, for wakeup stacks
	PaletteChain                 // "chain": blue, with the wakers (WakerSuffix) aqua
	PaletteJava                  // "java": Java and JIT frames green, inlined aqua, C++ yellow, kernel orange, others red
	PaletteJS                    // "js": JavaScript green or aqua, C++ yellow, kernel orange, others red
	PalettePerl                  // "perl": Perl green, C++ yellow, kernel orange, others red
	PalettePython                // "python": site-packages aqua, the standard library yellow, others red
	PaletteRust                  // "rust": the standard library orange, other Rust paths aqua, others yellow
	PaletteRed                   // "red": shades of red
	PaletteGreen                 // "green": shades of green
	PaletteBlue                  // "blue": shades of blue
	PaletteAqua                  // "aqua": shades of aqua
	PaletteYellow                // "yellow": shades of yellow
	PalettePurple                // "purple": shades of purple
	PaletteOrange                // "orange": shades of orange
)

// paletteNames are the palettes' names, indexed by Palette.
var paletteNames = [...]string{"hot", "mem", "io", "wakeup", "chain", "java", "js", "perl",
	"python", "rust", "red", "green", "blue", "aqua", "yellow", "purple", "orange"}

// Palettes returns every palette, in the order flamegraph.pl documents
// them.
func Palettes() []Palette {
	ps := make([]Palette, len(paletteNames))
	for i := range ps {
		ps[i] = Palette(i)
	}
	return ps
}

// ParsePalette returns the palette of that name ("hot", "java", ...), or an
// error naming the valid ones.
func ParsePalette(name string) (Palette, error) {
	for i, n := range paletteNames {
		if n == name {
			return Palette(i), nil
		}
	}
	return 0, fmt.Errorf("flamegraph: unknown palette %q: want one of %s", name, strings.Join(paletteNames[:], ", "))
}

// String returns the palette's name, or "Palette(N)" for a value that is
// no palette.
func (p Palette) String() string {
	if !p.valid() {
		return "Palette(" + strconv.Itoa(int(p)) + ")"
	}
	return paletteNames[p]
}

// Set sets the palette from its name, as ParsePalette, so that a *Palette
// is a flag.Value.
func (p *Palette) Set(name string) error {
	v, err := ParsePalette(name)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

func (p Palette) valid() bool { return int(p) < len(paletteNames) }

// flat reports a palette of one colour family (red to orange).
func (p Palette) flat() bool { return p >= PaletteRed && p <= PaletteOrange }

// Background is the background of a flame graph, flamegraph.pl's
// --bgcolors: a vertical gradient (BackgroundYellow, BackgroundBlue,
// BackgroundGreen, BackgroundGrey) or a flat colour ("#rrggbb"). The zero
// value picks the palette's: green for PaletteMem; blue for PaletteIO,
// PaletteWakeup and PaletteChain; grey for the one-colour palettes; yellow
// otherwise. ParseBackground turns a name into a Background; a *Background
// is also a flag.Value.
type Background struct {
	// name is "yellow", "blue", "green" or "grey", "#rrggbb" as given (the
	// SVG shows it so), or "" for the palette's.
	name string
}

// The background gradients.
var (
	BackgroundYellow = Background{"yellow"} // light grey to light yellow
	BackgroundBlue   = Background{"blue"}   // light grey to light blue
	BackgroundGreen  = Background{"green"}  // light grey-green to light green
	BackgroundGrey   = Background{"grey"}   // light grey to grey
)

// ParseBackground returns the background of that name: "yellow", "blue",
// "green", "grey" (or "gray"), or a flat "#rrggbb". Anything else is an
// error.
func ParseBackground(name string) (Background, error) {
	switch name {
	case "yellow", "blue", "green", "grey":
		return Background{name}, nil
	case "gray":
		return BackgroundGrey, nil
	}
	if len(name) != 7 || name[0] != '#' || !allBytes(name[1:], isHex) {
		return Background{}, fmt.Errorf("flamegraph: unknown bgcolors %q: want yellow, blue, green, grey or #rrggbb", name)
	}
	return Background{name}, nil
}

// String returns the background's name as ParseBackground reads it, or ""
// for the palette's.
func (b Background) String() string { return b.name }

// Set sets the background from its name, as ParseBackground, so that a
// *Background is a flag.Value.
func (b *Background) Set(name string) error {
	v, err := ParseBackground(name)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// orDefault returns b, or for the zero Background the palette's.
func (b Background) orDefault(p Palette) Background {
	switch {
	case b.name != "":
		return b
	case p == PaletteMem:
		return BackgroundGreen
	case p == PaletteIO, p == PaletteWakeup, p == PaletteChain:
		return BackgroundBlue
	case p.flat():
		return BackgroundGrey
	}
	return BackgroundYellow
}

// stops returns the colours at the top and the bottom of the background,
// as the SVG writes them.
func (b Background) stops() (top, bottom string) {
	switch b.name {
	case "yellow":
		return "#eeeeee", "#eeeeb0"
	case "blue":
		return "#eeeeee", "#e0e0ff"
	case "green":
		return "#eef2ee", "#e0ffe0"
	case "grey":
		return "#f8f8f8", "#e8e8e8"
	}
	return b.name, b.name
}
