package symbolize

// symNames remembers the demangled names of one symbol table's symbols, by
// symbol index: a batch names the same hot functions again and again, and
// an index finds a name faster than hashing it. It is not safe for
// concurrent use: the object's lock guards it.
type symNames struct {
	full, short []string // by symbol index; "" not demangled yet
	bytes       int64    // the demangled names' bytes
}

// name returns symbol i's name, raw, of t, in style.
func (c *symNames) name(t *nativeTable, i int, raw string, style NameStyle) string {
	if style == NamesRaw || !mangled(raw) {
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
	n := demangleName(raw, mode)
	(*cache)[i] = n
	c.bytes += int64(len(n))
	return n
}

// sizeBytes returns the memory the cache holds.
func (c *symNames) sizeBytes() int64 {
	return c.bytes + 16*int64(len(c.full)+len(c.short))
}
