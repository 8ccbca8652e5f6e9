package flamegraph

// FrameColors returns the function that gives the fill Render draws a
// frame named name (its annotation included) with in a graph with opts that
// is not differential: grey for separators, the colour opts.PaletteMap
// holds for the name (a name it lacks is added, as Render adds it), else
// the palette's colour as flamegraph.pl picks it (Colors, Hash). With
// Random, successive calls draw from the sequence Render draws from frame
// after frame, so the colours match Render's when the names come in its
// drawing order. It lets a program that lays out frames of its own, as
// package scope's page does in the browser, colour them as Render does.
// Options are checked first (see Options.Validate).
func FrameColors(opts Options) (func(name string) Color, error) {
	c, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	r := &renderer{c: c, colors: colorer{palette: c.Colors, hash: c.Hash, random: c.Random}}
	return func(name string) Color { return r.color(&frame{name: name}) }, nil
}

// Hex returns the colour as SVG fills write it: "#rrggbb".
func (c Color) Hex() string { return string(c.appendHex(nil)) }
