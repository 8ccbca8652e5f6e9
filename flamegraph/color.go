package flamegraph

import (
	"strings"
	"unicode/utf8"
)

// Color is an RGB colour.
type Color struct{ R, G, B uint8 }

// String returns the colour as palette files and flamegraph.pl write it:
// "rgb(r,g,b)".
func (c Color) String() string {
	return string(c.appendRGB(nil))
}

func (c Color) appendRGB(b []byte) []byte {
	b = append(b, "rgb("...)
	b = appendUint8(b, c.R)
	b = append(b, ',')
	b = appendUint8(b, c.G)
	b = append(b, ',')
	b = appendUint8(b, c.B)
	return append(b, ')')
}

// appendHex appends the colour as "#rrggbb".
func (c Color) appendHex(b []byte) []byte {
	const digits = "0123456789abcdef"
	return append(b, '#', digits[c.R>>4], digits[c.R&15], digits[c.G>>4], digits[c.G&15], digits[c.B>>4], digits[c.B&15])
}

func appendUint8(b []byte, v uint8) []byte {
	if v >= 100 {
		b = append(b, '0'+v/100)
	}
	if v >= 10 {
		b = append(b, '0'+v/10%10)
	}
	return append(b, '0'+v%10)
}

// Separator frames are drawn grey.
var (
	colorWakerSeparator = Color{160, 160, 160}
	colorStackSeparator = Color{200, 200, 200}
)

// colorer picks frame colours the way flamegraph.pl does.
type colorer struct {
	palette Palette
	hash    bool
	random  bool
	rng     drand48 // the sequence of Random
}

// color returns the colour of a frame named name (annotation included).
//
// By default flamegraph.pl seeds perl's rand() with the sum of the name's
// characters and draws one number; perl (5.20 and later) implements rand with
// its own drand48, so the same computation here gives the perl's colours
// exactly, on every platform. Hash uses flamegraph.pl's name hash. Random
// draws three numbers a frame from a drand48 sequence with a fixed seed.
func (c *colorer) color(name string) Color {
	var v1, v2, v3 float64
	switch {
	case c.hash:
		v1 = nameHash(name)
		v2 = nameHash(reverseString(name))
		v3 = v2
	case c.random:
		v1, v2, v3 = c.rng.next(), c.rng.next(), c.rng.next()
	default:
		sum := charSum(name)
		g := drand48{}
		g.seed(sum)
		v1 = g.next()
		v2, v3 = v1, v1
	}
	switch c.palette {
	case PaletteHot:
		return Color{uint8(205 + int(50*v3)), uint8(int(230 * v1)), uint8(int(55 * v2))}
	case PaletteMem:
		return Color{0, uint8(190 + int(50*v2)), uint8(int(210 * v1))}
	case PaletteIO:
		r := uint8(80 + int(60*v1))
		return Color{r, r, uint8(190 + int(55*v2))}
	}
	return flatColor(c.family(name), v1)
}

// family resolves the multi-family palettes to one of the flat ones.
func (c *colorer) family(name string) Palette {
	switch c.palette {
	case PaletteJava:
		return javaFamily(name)
	case PalettePerl:
		return perlFamily(name)
	case PaletteJS:
		return jsFamily(name)
	case PalettePython:
		return pythonFamily(name)
	case PaletteRust:
		return rustFamily(name)
	case PaletteWakeup:
		return PaletteAqua
	case PaletteChain:
		if strings.Contains(name, WakerSuffix) {
			return PaletteAqua
		}
		return PaletteBlue
	}
	return c.palette
}

// flatColor returns a shade of one colour family; v in [0,1) picks it.
func flatColor(family Palette, v float64) Color {
	switch family {
	case PaletteRed:
		x := uint8(50 + int(80*v))
		return Color{uint8(200 + int(55*v)), x, x}
	case PaletteGreen:
		x := uint8(50 + int(60*v))
		return Color{x, uint8(200 + int(55*v)), x}
	case PaletteBlue:
		x := uint8(80 + int(60*v))
		return Color{x, x, uint8(205 + int(50*v))}
	case PaletteYellow:
		x := uint8(175 + int(55*v))
		return Color{x, x, uint8(50 + int(20*v))}
	case PalettePurple:
		x := uint8(190 + int(65*v))
		return Color{x, uint8(80 + int(60*v)), x}
	case PaletteAqua:
		return Color{uint8(50 + int(60*v)), uint8(165 + int(55*v)), uint8(165 + int(55*v))}
	case PaletteOrange:
		return Color{uint8(190 + int(65*v)), uint8(90 + int(65*v)), 0}
	}
	return Color{}
}

// javaPackages are the package roots that mark an unannotated Java frame.
var javaPackages = []string{"java/", "javax/", "jdk/", "net/", "org/", "com/", "io/", "sun/"}

func javaFamily(name string) Palette {
	switch {
	case strings.HasSuffix(name, JITSuffix):
		return PaletteGreen
	case strings.HasSuffix(name, InlinedSuffix):
		return PaletteAqua
	}
	pkg := strings.TrimPrefix(name, "L")
	for _, p := range javaPackages {
		if strings.HasPrefix(pkg, p) {
			return PaletteGreen
		}
	}
	switch {
	case strings.Contains(name, ":::"):
		return PaletteGreen
	case strings.Contains(name, "::"):
		return PaletteYellow
	case strings.HasSuffix(name, KernelSuffix):
		return PaletteOrange
	}
	return PaletteRed
}

func perlFamily(name string) Palette {
	switch {
	case strings.Contains(name, "::"):
		return PaletteYellow
	case strings.Contains(name, "Perl"), strings.Contains(name, ".pl"):
		return PaletteGreen
	case strings.HasSuffix(name, KernelSuffix):
		return PaletteOrange
	}
	return PaletteRed
}

func jsFamily(name string) Palette {
	switch {
	case strings.HasSuffix(name, JITSuffix):
		if strings.Contains(name, "/") {
			return PaletteGreen
		}
		return PaletteAqua
	case strings.Contains(name, "::"):
		return PaletteYellow
	case jsPath(name):
		return PaletteGreen
	case strings.Contains(name, ":"):
		return PaletteAqua
	case name == " ":
		return PaletteGreen
	case strings.Contains(name, KernelSuffix):
		return PaletteOrange
	}
	return PaletteRed
}

// jsPath reports a "/" followed later by ".js".
func jsPath(name string) bool {
	i := strings.IndexByte(name, '/')
	return i >= 0 && strings.Contains(name[i+1:], ".js")
}

// pythonFamily (after inferno): packages under site-packages aqua, the
// standard library and built-ins yellow, the rest red.
func pythonFamily(name string) Palette {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' })
	for _, p := range parts {
		if p == "site-packages" {
			return PaletteAqua
		}
	}
	for _, p := range parts {
		v, ok := strings.CutPrefix(p, "python")
		if !ok {
			v, ok = strings.CutPrefix(p, "Python")
		}
		if ok && strings.Trim(v, "0123456789.") == "" {
			return PaletteYellow
		}
	}
	for _, p := range []string{"<built-in", "<method", "<frozen"} {
		if strings.HasPrefix(name, p) {
			return PaletteYellow
		}
	}
	return PaletteRed
}

// rustFamily (after inferno): the standard library orange, other Rust paths
// aqua, everything else yellow.
func rustFamily(name string) Palette {
	for _, p := range []string{"core::", "std::", "alloc::", "<std::", "<alloc::"} {
		if strings.HasPrefix(name, p) {
			return PaletteOrange
		}
	}
	if strings.HasPrefix(name, "<core::") && !strings.HasPrefix(name, "<core::future::from_generator::GenFuture<T>") {
		return PaletteOrange
	}
	if strings.Contains(name, "::") {
		return PaletteAqua
	}
	return PaletteYellow
}

// nameHash is flamegraph.pl's --hash: a value in [0,1] from the first three
// characters, the earlier ones weighing more. A module prefix ("mod`func")
// is dropped first.
func nameHash(name string) float64 {
	if i := strings.IndexByte(name, '`'); i >= 0 {
		if i == 0 {
			// The prefix needs at least one character before the quote.
			if j := strings.IndexByte(name[1:], '`'); j >= 0 {
				name = name[j+2:]
			}
		} else {
			name = name[i+1:]
		}
	}
	vector, weight, max := 0.0, 1.0, 1.0
	mod := 10
	for _, r := range name {
		i := int(r) % mod
		vector += (float64(i) / float64(mod-1)) * weight
		mod++
		max += weight
		weight *= 0.70
		if mod > 12 {
			break
		}
	}
	return 1 - vector/max
}

// charSum is the sum of the characters of name, as perl's unpack("%32W*").
func charSum(name string) uint32 {
	var sum uint32
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			sum = 0
			for _, r := range name {
				sum += uint32(r)
			}
			return sum
		}
		sum += uint32(name[i])
	}
	return sum
}

func reverseString(s string) string {
	b := make([]byte, 0, len(s))
	for i := len(s); i > 0; {
		_, n := utf8.DecodeLastRuneInString(s[:i])
		b = append(b, s[i-n:i]...)
		i -= n
	}
	return string(b)
}

// drand48 is the generator behind perl's rand: a 48-bit linear congruence.
type drand48 struct{ x uint64 }

const mask48 = 1<<48 - 1

func (g *drand48) seed(s uint32) { g.x = (uint64(s)<<16 + 0x330e) & mask48 }

func (g *drand48) next() float64 {
	g.x = (0x5deece66d*g.x + 0xb) & mask48
	return float64(g.x) / (1 << 48)
}

// diffColor is flamegraph.pl's differential colour: red for growth, blue for
// shrinkage, white for none, saturated by the change relative to the
// largest change.
func diffColor(delta, maxDelta float64, negate bool) Color {
	if negate {
		delta = -delta
	}
	switch {
	case delta > 0:
		v := uint8(int(210 * (maxDelta - delta) / maxDelta))
		return Color{255, v, v}
	case delta < 0:
		v := uint8(int(210 * (maxDelta + delta) / maxDelta))
		return Color{v, v, 255}
	}
	return Color{255, 255, 255}
}
