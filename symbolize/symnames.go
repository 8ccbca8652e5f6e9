package symbolize

import "strings"

// symNames remembers the names an object gives in the demangled styles:
// those of its symbols by symbol index (a batch names the same hot
// functions again and again, and an index finds a name faster than hashing
// it), and DWARF's linkage names by name. It is not safe for concurrent
// use: the object's lock guards it.
type symNames struct {
	full, short []string             // by symbol index; "" when not named yet
	other       [2]map[string]string // by demangleMode: raw → demangled
	bytes       int64                // the names' bytes
}

// name returns symbol i of t, whose raw name is raw, in style.
func (c *symNames) name(t *nativeTable, i int, raw string, style NameStyle) string {
	if style == NamesRaw {
		return raw
	}
	cache, mode := &c.full, demangleFull
	if style == NamesShort {
		cache, mode = &c.short, demangleShort
	}
	if *cache == nil {
		*cache = make([]string, len(t.syms))
	}
	if n := (*cache)[i]; n != "" {
		return n
	}
	n := raw
	if mangled(raw) {
		n = demangleName(raw, mode)
		c.bytes += int64(len(n))
	}
	(*cache)[i] = n
	return n
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
	return c.bytes + 16*int64(len(c.full)+len(c.short))
}
