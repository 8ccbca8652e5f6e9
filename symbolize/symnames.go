package symbolize

import (
	"strings"
	"unsafe"
)

// symNames gives out the names of an object's symbols, in each style: it
// copies a name out of the symbol table's (mapped) strings once, demangles
// it once per style, and answers later lookups of the symbol from its
// index, which is faster than hashing the name. DWARF's linkage names are
// remembered by name. It is not safe for concurrent use: the object's lock
// guards it.
type symNames struct {
	given [3]givenNames        // by NameStyle
	other [2]map[string]string // by demangleMode: raw → demangled
	bytes int64                // the names' bytes
}

// givenNames holds the names given out in one style by symbol index: in a
// map while they are few (a profile names a few hundred functions of a
// binary), in a slice once they are a quarter of the symbols (a
// symbolizer run over a whole binary), where a slice is faster and no
// larger.
type givenNames struct {
	sparse map[int32]string
	dense  []string // "": not given yet
}

func (g *givenNames) get(i int) (string, bool) {
	if g.dense != nil {
		return g.dense[i], g.dense[i] != ""
	}
	n, ok := g.sparse[int32(i)]
	return n, ok
}

// put remembers name n of symbol i, of nsyms.
func (g *givenNames) put(i int, n string, nsyms int) {
	switch {
	case g.dense != nil:
		g.dense[i] = n
		return
	case g.sparse == nil:
		g.sparse = map[int32]string{}
	case len(g.sparse) >= nsyms/4:
		g.dense = make([]string, nsyms)
		for k, v := range g.sparse {
			g.dense[k] = v
		}
		g.sparse = nil
		g.dense[i] = n
		return
	}
	g.sparse[int32(i)] = n
}

// name returns the name of symbol i of t in style, "" when the symbol
// table cannot be read any more (its file was cut short under the mapping).
func (c *symNames) name(t *nativeTable, i int, style NameStyle) string {
	given := &c.given[style]
	if n, ok := given.get(i); ok {
		return n
	}
	var n string
	sym := &t.syms[i]
	if guardMapped(func() { n = ownName(t.names.name(sym.nameOff, sym.nameLen), style) }) {
		return ""
	}
	c.bytes += int64(len(n)) + 32
	given.put(i, n, len(t.syms))
	return n
}

// ownName returns raw, a view of a string table, in style as a string of
// its own.
func ownName(raw []byte, style NameStyle) string {
	if style != NamesRaw && len(raw) > 0 {
		view := unsafe.String(&raw[0], len(raw))
		if mangled(view) {
			mode := demangleFull
			if style == NamesShort {
				mode = demangleShort
			}
			// A name that does not demangle comes back as it was.
			if n := demangleName(view, mode); len(n) == 0 || !within(unsafe.StringData(n), raw) {
				return n
			}
		}
	}
	return string(raw)
}

// within reports whether p points into b.
func within(p *byte, b []byte) bool {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	at := uintptr(unsafe.Pointer(p))
	return at >= start && at-start < uintptr(len(b))
}

// demangled returns a name that is not a symbol's (DWARF's) in style.
func (c *symNames) demangled(raw string, style NameStyle) string {
	if style == NamesRaw || !mangled(raw) {
		return raw
	}
	mode := demangleFull
	if style == NamesShort {
		mode = demangleShort
	}
	if c.other[mode] == nil {
		c.other[mode] = map[string]string{}
	}
	n, ok := c.other[mode][raw]
	if !ok {
		n = demangleName(raw, mode)
		c.other[mode][raw] = n
		c.bytes += int64(len(raw) + len(n) + 32)
	}
	return n
}

// mangled reports whether demangleName may change a name.
func mangled(name string) bool {
	return strings.HasPrefix(name, "_Z") || strings.HasPrefix(name, "_R")
}

// sizeBytes returns the memory the cache holds.
func (c *symNames) sizeBytes() int64 {
	n := c.bytes
	for _, g := range c.given {
		n += 16 * int64(len(g.dense))
	}
	return n
}
