package flamegraph

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// PaletteMap maps function names, annotation included, to their colours:
// the palette.map file of flamegraph.pl's --cp, which keeps colours
// consistent across graphs (Options.PaletteMap).
type PaletteMap map[string]Color

// ReadPaletteMap reads a palette file: one "name->rgb(r,g,b)" a line. A
// name may itself contain "->"; the colour follows the last one. Blank
// lines are skipped; any other malformed line is an error. An empty file
// gives an empty, non-nil map.
func ReadPaletteMap(r io.Reader) (PaletteMap, error) {
	p := PaletteMap{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		i := strings.LastIndex(line, "->")
		if i < 0 {
			return nil, fmt.Errorf("flamegraph: palette line %d: want name->rgb(r,g,b), got %q", n, line)
		}
		c, err := parseRGB(line[i+2:])
		if err != nil {
			return nil, fmt.Errorf("flamegraph: palette line %d: %w", n, err)
		}
		p[line[:i]] = c
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("flamegraph: reading palette: %w", err)
	}
	return p, nil
}

// parseRGB parses "rgb(r,g,b)" with components 0 to 255.
func parseRGB(s string) (Color, error) {
	inner, ok1 := strings.CutPrefix(s, "rgb(")
	inner, ok2 := strings.CutSuffix(inner, ")")
	if !ok1 || !ok2 {
		return Color{}, fmt.Errorf("colour %q is not rgb(r,g,b)", s)
	}
	parts := strings.Split(inner, ",")
	if len(parts) != 3 {
		return Color{}, fmt.Errorf("colour %q is not rgb(r,g,b)", s)
	}
	var c [3]uint8
	for i, part := range parts {
		v, err := strconv.ParseUint(strings.TrimSpace(part), 10, 8)
		if err != nil {
			return Color{}, fmt.Errorf("colour %q: component %q is not 0 to 255", s, part)
		}
		c[i] = uint8(v)
	}
	return Color{c[0], c[1], c[2]}, nil
}

// WriteTo writes the palette in palette-file form, sorted by name, as
// flamegraph.pl writes palette.map.
func (p PaletteMap) WriteTo(w io.Writer) (int64, error) {
	names := make([]string, 0, len(p))
	for name := range p {
		names = append(names, name)
	}
	slices.Sort(names)
	bw := bufio.NewWriter(w)
	var n int64
	var buf []byte
	for _, name := range names {
		buf = append(append(buf[:0], name...), "->"...)
		buf = append(p[name].appendRGB(buf), '\n')
		k, err := bw.Write(buf)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}
