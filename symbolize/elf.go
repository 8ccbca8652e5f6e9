package symbolize

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"
)

// nativeOptions says where newNativeTable looks for separate debug
// information. The zero value searches /usr/lib/debug and asks no server.
type nativeOptions struct {
	// DebugDirs are the global debug directories searched for
	// .build-id/xx/rest.debug and for <dir>/<binary's dir>/<debuglink>;
	// nil means {"/usr/lib/debug"}.
	DebugDirs []string
	// Debuginfod, when non-nil, fetches debug files by build-id when no
	// local one is found.
	Debuginfod *debuginfodClient
}

// nativeTable names addresses of one ELF file from its symbol tables and,
// when asked, DWARF (its own or a separate debug file's). It is safe for
// concurrent use.
//
// Symbols come from the file's .symtab when it has one; otherwise from its
// .dynsym together with the .symtab of a separate debug file (build-id,
// .gnu_debuglink, debuginfod) or, failing that, of its MiniDebugInfo
// (.gnu_debugdata). PLT stubs are added as "func@plt". Names are raw
// (mangled): callers demangle with demangleName.
//
// The string tables of the file and of its debug file stay mapped while the
// table lives (close unmaps them), and lookups copy the names they give out
// (symNames). Only the pages of names looked up are then resident: a large
// C++ binary's string table is megabytes, which copying would put on the
// heap.
type nativeTable struct {
	syms    []nativeSym
	parents map[int32]int32 // of the symbols nested in another: the nearest earlier one whose range holds their address
	names   nameSources     // nativeSym.nameOff indexes them
	maps    []*fileMaps     // the string tables mapped for the table's life

	path  string
	ef    *elf.File // the file itself, for its DWARF
	opts  nativeOptions
	debug string // path of the separate debug file in use, "" when none

	dwarfMu   sync.Mutex                 // held while the DWARF is read
	dwarfRead atomic.Bool                // the DWARF was read, or there is none
	dw        atomic.Pointer[dwarfIndex] // nil until lines are first asked for, or when there is no DWARF
}

// newNativeTable reads the symbols of ef, whose path is path (used to find
// .gnu_debuglink files next to it), read from f when f is not nil: its
// symbol tables are then mapped while they are read, and its string table
// while the table lives (close unmaps it). ef must stay open while the
// table is in use: DWARF is read from it lazily, on the first lookup with
// lines. It returns ErrNoSymbols when the file has no symbols and no DWARF
// at all, and an error wrapping errMalformedELF when its tables are
// inconsistent. A separate debug file is looked for until ctx ends: the
// caller must not keep a table read after that.
func newNativeTable(ctx context.Context, ef *elf.File, f *os.File, path string, opts nativeOptions) (*nativeTable, error) {
	if len(opts.DebugDirs) == 0 {
		opts.DebugDirs = []string{"/usr/lib/debug"}
	}
	t := &nativeTable{path: path, ef: ef, opts: opts}
	symMaps := newFileMaps(f) // the symbols are read once: unmapped once built
	defer symMaps.release()
	var err error
	if guardMapped(func() { err = t.build(ctx, symMaps, t.keepMaps(f)) }) {
		err = fmt.Errorf("the file was cut short while its symbols were read: %w", errMalformedELF)
	}
	if err != nil {
		t.close()
		return nil, err
	}
	if len(t.syms) == 0 && !hasDWARF(ef) && t.debug == "" {
		return nil, ErrNoSymbols
	}
	return t, nil
}

// keepMaps returns a mapper of f's string tables that lives as long as the
// table, or nil when f is nil (names are then copied).
func (t *nativeTable) keepMaps(f *os.File) *fileMaps {
	if f == nil {
		return nil
	}
	m := newFileMaps(f)
	t.maps = append(t.maps, m)
	return m
}

// close unmaps the string tables. Names given out are copies: they stay.
func (t *nativeTable) close() {
	for _, m := range t.maps {
		m.release()
	}
	t.maps = nil
}

// build reads the symbol tables: the file's own through symMaps, with
// their names through names.
func (t *nativeTable) build(ctx context.Context, symMaps, names *fileMaps) error {
	var b symBuilder
	if symtab := symbolSection(t.ef, elf.SHT_SYMTAB); symtab != nil {
		if err := b.add(symSource{ef: t.ef, sec: symtab, maps: symMaps, names: names}); err != nil {
			return err
		}
	} else {
		if dynsym := symbolSection(t.ef, elf.SHT_DYNSYM); dynsym != nil {
			if err := b.add(symSource{ef: t.ef, sec: dynsym, dynamic: true, maps: symMaps, names: names}); err != nil {
				return err
			}
		}
		t.addDebugSymbols(ctx, &b)
	}
	b.addPLT(t.ef)
	t.syms, t.parents, t.names = b.build()
	return nil
}

// addDebugSymbols adds the .symtab of the file's separate debug file or,
// when there is none, of its MiniDebugInfo. Damaged debug files are ignored:
// the .dynsym still names the exported functions.
func (t *nativeTable) addDebugSymbols(ctx context.Context, b *symBuilder) {
	if dbg := findDebugFile(ctx, t.ef, t.path, t.opts); dbg != nil {
		defer dbg.Close()
		t.debug = dbg.path
		symMaps := newFileMaps(dbg.file)
		defer symMaps.release()
		if symtab := symbolSection(dbg.File, elf.SHT_SYMTAB); symtab != nil &&
			b.add(symSource{ef: dbg.File, sec: symtab, maps: symMaps, names: t.keepMaps(dbg.file)}) == nil {
			return
		}
	}
	if mini, err := miniDebugInfo(t.ef); err == nil && mini != nil {
		if symtab := symbolSection(mini, elf.SHT_SYMTAB); symtab != nil {
			b.add(symSource{ef: mini, sec: symtab})
		}
	}
}

// symbolSection returns the file's first section of type typ, or nil.
func symbolSection(ef *elf.File, typ elf.SectionType) *elf.Section {
	for _, s := range ef.Sections {
		if s.Type == typ {
			return s
		}
	}
	return nil
}

// lookupNamed appends the frames of a link-time (ELF virtual) address,
// innermost first, and reports whether it named it. Without lines it names
// from the symbol tables only; with lines it uses DWARF for file:line and
// inlined frames, the outermost frame keeping the symbol table's name when
// there is one. Names are in style, given out (copied, demangled) through
// names. The DWARF, read on the first lookup with lines, is read until ctx
// ends.
func (t *nativeTable) lookupNamed(ctx context.Context, vaddr uint64, lines bool, style NameStyle, names *symNames, dst []Frame) ([]Frame, bool) {
	name := ""
	if i := t.find(vaddr); i >= 0 {
		name = names.name(t, i, style)
	}
	if lines {
		if d := t.dwarf(ctx); d != nil {
			n := len(dst)
			if out, ok := d.frames(vaddr, name, dst); ok {
				for i := n; i < len(out); i++ {
					out[i].Function = names.demangled(out[i].Function, style)
				}
				return out, true
			}
		}
	}
	if name == "" {
		return dst, false
	}
	return append(dst, Frame{Function: name, Kind: KindNative}), true
}

// sizeBytes returns the memory the table holds, for a byte-bounded cache.
func (t *nativeTable) sizeBytes() int64 {
	n := int64(unsafe.Sizeof(*t)) + t.names.sizeBytes() + int64(cap(t.syms))*int64(unsafe.Sizeof(nativeSym{})) + 16*int64(len(t.parents))
	if d := t.loadedDWARF(); d != nil {
		n += d.sizeBytes()
	}
	return n
}

// dwarf returns the DWARF index, reading it on first use: the file's own
// DWARF, else that of its separate debug file (searched now if the symbol
// tables did not need it). It returns nil when there is no usable DWARF,
// and when ctx ended before it was read: the next call reads it again.
func (t *nativeTable) dwarf(ctx context.Context) *dwarfIndex {
	if t.dwarfRead.Load() {
		return t.dw.Load()
	}
	t.dwarfMu.Lock()
	defer t.dwarfMu.Unlock()
	if t.dwarfRead.Load() {
		return t.dw.Load()
	}
	x := t.readDWARF(ctx)
	if x == nil && ctx.Err() != nil {
		return nil
	}
	t.dw.Store(x)
	t.dwarfRead.Store(true)
	return x
}

// readDWARF reads the DWARF index, nil when there is none.
func (t *nativeTable) readDWARF(ctx context.Context) *dwarfIndex {
	if hasDWARF(t.ef) {
		x, _ := newDWARFIndex(ctx, t.ef)
		return x
	}
	var dbg *elf.File
	if t.debug != "" {
		if f, err := elf.Open(t.debug); err == nil {
			defer f.Close()
			dbg = f
		}
	} else if d := findDebugFile(ctx, t.ef, t.path, t.opts); d != nil {
		defer d.Close()
		dbg = d.File
	}
	if dbg == nil {
		return nil
	}
	x, _ := newDWARFIndex(ctx, dbg)
	return x
}

// loadedDWARF returns the DWARF index if it has been read, without reading it.
func (t *nativeTable) loadedDWARF() *dwarfIndex { return t.dw.Load() }
