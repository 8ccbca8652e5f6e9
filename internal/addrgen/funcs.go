package addrgen

import (
	"cmp"
	"debug/elf"
	"errors"
	"fmt"
	"slices"
)

// Func is a function symbol: where it starts, its size, its name and the
// names of the other function symbols that start at the same address.
type Func struct {
	Start, Size uint64
	Name        string
	Aliases     []string
}

// Table is the function symbols of an ELF file in .text, in address order,
// and the range of .text.
type Table struct {
	Funcs              []Func
	TextStart, TextEnd uint64
	// Dynamic reports that the names come from .dynsym.
	Dynamic bool
}

// Functions reads the function symbols in .text of ef: from .symtab, or
// from .dynsym when dynamic is set or .symtab has none.
func Functions(ef *elf.File, dynamic bool) (*Table, error) {
	text := ef.Section(".text")
	if text == nil {
		return nil, ErrNoText
	}
	t := &Table{TextStart: text.Addr, TextEnd: text.Addr + text.Size, Dynamic: dynamic}
	var err error
	if !dynamic {
		t.Funcs, err = t.read(ef, false)
		if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
			return nil, fmt.Errorf("addrgen: reading .symtab: %w", err)
		}
	}
	if len(t.Funcs) == 0 {
		t.Dynamic = true
		t.Funcs, err = t.read(ef, true)
		if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
			return nil, fmt.Errorf("addrgen: reading .dynsym: %w", err)
		}
	}
	t.link()
	return t, nil
}

// read returns the function symbols of one symbol table that lie in .text.
func (t *Table) read(ef *elf.File, dynamic bool) ([]Func, error) {
	read := ef.Symbols
	if dynamic {
		read = ef.DynamicSymbols
	}
	syms, err := read()
	if err != nil {
		return nil, err
	}
	var funcs []Func
	for _, s := range syms {
		if s.Size == 0 || s.Value < t.TextStart || s.Value >= t.TextEnd || !isCode(ef, s) {
			continue
		}
		funcs = append(funcs, Func{Start: s.Value, Size: s.Size, Name: versioned(s)})
	}
	return funcs, nil
}

// isCode reports whether nm would type s t, T or W: defined, not an IFUNC,
// and either weak and not an object, or global or local in a section of
// instructions (GNU unique symbols are nm's u).
func isCode(ef *elf.File, s elf.Symbol) bool {
	switch s.Section {
	case elf.SHN_UNDEF, elf.SHN_ABS, elf.SHN_COMMON:
		return false
	}
	typ, bind := elf.ST_TYPE(s.Info), elf.ST_BIND(s.Info)
	switch typ {
	case elf.STT_SECTION, elf.STT_FILE, elf.STT_GNU_IFUNC:
		return false
	}
	switch bind {
	case elf.STB_WEAK:
		return typ != elf.STT_OBJECT
	case elf.STB_GLOBAL, elf.STB_LOCAL:
		i := int(s.Section)
		return i < len(ef.Sections) && ef.Sections[i].Flags&elf.SHF_EXECINSTR != 0
	}
	return false
}

// versioned spells a dynamic symbol's name as nm -D does: NAME@@VERSION for
// a default version, NAME@VERSION for a hidden one.
func versioned(s elf.Symbol) string {
	if !s.HasVersion || s.Version == "" {
		return s.Name
	}
	if s.VersionIndex.IsHidden() {
		return s.Name + "@" + s.Version
	}
	return s.Name + "@@" + s.Version
}

// link sorts the functions by address (then name, for a stable order) and
// gives each the names of the others that start where it does.
func (t *Table) link() {
	slices.SortStableFunc(t.Funcs, func(a, b Func) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Name, b.Name))
	})
	for i := 0; i < len(t.Funcs); {
		j := i
		for j < len(t.Funcs) && t.Funcs[j].Start == t.Funcs[i].Start {
			j++
		}
		for k := i; k < j; k++ {
			for l := i; l < j; l++ {
				if t.Funcs[l].Name != t.Funcs[k].Name {
					t.Funcs[k].Aliases = append(t.Funcs[k].Aliases, t.Funcs[l].Name)
				}
			}
		}
		i = j
	}
}
