package symbolize

import (
	"math"
	"strings"
	"unsafe"

	"github.com/flamekit/flamekit/symbolize/internal/arena"
)

// symNames gives out the names of an object's symbols, in each style: it
// copies a name out of the symbol table's (mapped) strings once, demangles
// it once per style, and answers later lookups of the symbol from its
// index, which is faster than hashing the name. DWARF's linkage names are
// remembered by name. It is not safe for concurrent use: the object's lock
// guards it.
//
// A profile names a few hundred functions of a binary, which it keeps in
// maps. Once a sixteenth of the symbols are named (a symbolizer run over a
// whole binary), it copies every raw name into one slab in address order
// (copyAll), and keeps the names of the other styles in slices.
type symNames struct {
	all   string               // after copyAll: the raw names, in symbol order
	ends  []uint32             // after copyAll: where each symbol's name ends in all
	cut   bool                 // copyAll found the file cut short: names are read one by one
	given [3]givenNames        // by NameStyle
	other [2]map[string]string // by demangleMode: raw → demangled
	arena arena.Strings        // the names given out, but those in all
	bytes int64                // the maps' and slab's bytes
}

// givenNames holds the names given out in one style by symbol index: in a
// map while they are few, in a slice (faster) once they are many.
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
	case len(g.sparse) >= nsyms/16:
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

// raw returns the raw name of symbol i if it has been copied already.
func (c *symNames) raw(i int) (string, bool) {
	if c.ends != nil {
		start := uint32(0)
		if i > 0 {
			start = c.ends[i-1]
		}
		return c.all[start:c.ends[i]], true
	}
	return c.given[NamesRaw].get(i)
}

// name returns the name of symbol i of t in style, "" when the symbol
// table cannot be read any more (its file was cut short under the mapping).
func (c *symNames) name(t *nativeTable, i int, style NameStyle) string {
	given := &c.given[style]
	if c.ends == nil && !c.cut && len(given.sparse) >= len(t.syms)/16 {
		c.copyAll(t)
	}
	if style == NamesRaw && c.ends != nil {
		n, _ := c.raw(i)
		return n
	}
	if n, ok := given.get(i); ok {
		return n
	}
	var n string
	if raw, ok := c.raw(i); ok {
		if n = styled(raw, style); n != raw {
			n = c.arena.Keep(n)
		}
	} else {
		sym := &t.syms[i]
		if guardMapped(func() { n = c.ownName(t.names.name(sym.nameOff, sym.nameLen()), style) }) {
			return ""
		}
	}
	c.bytes += 32
	given.put(i, n, len(t.syms))
	return n
}

// copyAll copies the raw names of every symbol of t into one slab, in
// symbol (address) order: lookups in address order then read names one
// after the other, where reading them from the string table (in its own
// order) is a cache miss each. If the file was cut short under the string
// table, it leaves names to be read one by one.
func (c *symNames) copyAll(t *nativeTable) {
	ends := make([]uint32, len(t.syms))
	var all []byte
	if guardMapped(func() {
		size := 0
		for i := range t.syms {
			if n := t.syms[i].nameLen(); n < longName {
				size += int(n)
			} else {
				size += len(t.names.name(t.syms[i].nameOff, n))
			}
		}
		if size > math.MaxUint32 {
			return
		}
		all = make([]byte, 0, size)
		for i := range t.syms {
			all = append(all, t.names.name(t.syms[i].nameOff, t.syms[i].nameLen())...)
			ends[i] = uint32(len(all))
		}
	}) || all == nil {
		c.cut = true
		return
	}
	c.all, c.ends = unsafe.String(unsafe.SliceData(all), len(all)), ends
	c.given[NamesRaw] = givenNames{} // the slab holds them all
	c.bytes += int64(len(all)) + 4*int64(len(ends))
}

// ownName returns raw, a view of a string table, in style as a string of
// the arena: demangled, or a copy of raw.
func (c *symNames) ownName(raw []byte, style NameStyle) string {
	if len(raw) == 0 {
		return ""
	}
	return c.arena.Keep(styled(unsafe.String(&raw[0], len(raw)), style))
}

// styled returns the raw name raw in style: demangled, or raw itself.
func styled(raw string, style NameStyle) string {
	if style == NamesRaw || !mangled(raw) {
		return raw
	}
	mode := demangleFull
	if style == NamesShort {
		mode = demangleShort
	}
	return demangleName(raw, mode)
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
		if n = demangleName(raw, mode); n != raw {
			n = c.arena.Keep(n)
		}
		c.other[mode][raw] = n
		c.bytes += 32
	}
	return n
}

// mangled reports whether demangleName may change a name.
func mangled(name string) bool {
	return strings.HasPrefix(name, "_Z") || strings.HasPrefix(name, "_R")
}

// sizeBytes returns the memory the cache holds.
func (c *symNames) sizeBytes() int64 {
	n := c.bytes + c.arena.Bytes()
	for _, g := range c.given {
		n += 16 * int64(len(g.dense))
	}
	return n
}
