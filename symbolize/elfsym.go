package symbolize

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// ErrNoSymbols reports an ELF file that has neither a symbol table, nor a
// dynamic symbol table, nor separate debug information with symbols: its
// addresses cannot be named (they keep their module and offset). It comes
// wrapped with the package prefix and the file's path.
var ErrNoSymbols = errors.New("ELF file has no symbols (install its debug package or set DEBUGINFOD_URLS)")

// errMalformedELF is wrapped by errors about ELF structures that are out of
// bounds or inconsistent.
var errMalformedELF = errors.New("malformed ELF")

// nativeSym is one named address range, in 16 bytes: tables of large
// binaries hold hundreds of thousands. Its name is at nameOff in the
// table's name sources (nameSources.name).
type nativeSym struct {
	addr    uint64
	sizeLen uint32 // size << 8 | name length (longName: longer, up to a NUL)
	nameOff uint32
}

const (
	// maxSymSize bounds the sizes a nativeSym holds: a larger symbol
	// (none is, in practice) names the first 16 MiB of its range only.
	maxSymSize = 1<<24 - 1
	// longName is the name length of a nativeSym whose name is longer.
	longName = 255
)

func newNativeSym(addr uint64, size uint32, nameOff, nameLen uint32) nativeSym {
	return nativeSym{addr: addr, sizeLen: min(size, maxSymSize)<<8 | min(nameLen, longName), nameOff: nameOff}
}

// size returns the length of the symbol's range, 0 when it matches its
// address only.
func (s *nativeSym) size() uint32 { return s.sizeLen >> 8 }

// nameLen returns the length of the symbol's name, longName when it is
// that long or longer.
func (s *nativeSym) nameLen() uint8 { return uint8(s.sizeLen) }

// symCand is a symbol while the table is built: its name is in the
// builder's string table src.
type symCand struct {
	addr    uint64
	size    uint32
	nameOff uint32
	nameLen uint32
	src     uint8
	score   uint8
	exact   bool // a sizeless symbol that matches its address only
}

// Symbol ranks: when several symbols start at one address, the highest score
// names it. In order of weight: a sized symbol beats a sizeless one; a
// function (STT_FUNC) beats an indirect function (STT_GNU_IFUNC, whose
// address is its resolver's code, which a FUNC symbol like "strcmp_ifunc"
// names better), which beats a typeless label or a data object in code; a global beats a weak symbol,
// which beats a local one; a name from the dynamic symbol table (what the
// library exports) beats a .symtab-only one; a default or unversioned name
// beats a hidden "name@VER" one. Ties keep the symbol that came first.
const (
	rankSized   = 1 << 7
	rankFunc    = 1 << 6
	rankIFunc   = 1 << 5
	rankGlobal  = 2 << 3
	rankWeak    = 1 << 3
	rankDynamic = 1 << 2
	rankVersion = 1 << 1
)

// symSource is one symbol table section, .symtab or .dynsym.
type symSource struct {
	ef      *elf.File
	sec     *elf.Section
	dynamic bool
	maps    *fileMaps // maps the symbols of ef while they are read; nil: read them
	// names, when not nil, maps the string table for as long as the
	// table lives, and symbols name themselves from it; otherwise the
	// names used are copied out.
	names *fileMaps
}

// maxSymSources bounds the string tables one builder reads from.
const maxSymSources = 255

// symBuilder collects symbols from several tables and builds the sorted,
// deduplicated table.
type symBuilder struct {
	strs      [][]byte // string tables; symCand.src indexes them
	kept      []bool   // by string table: the table keeps it (names are not copied)
	versioned []bool   // by string table: an ELF one, whose names may end in "@VERSION"
	cands     []symCand
}

// addStrings adds a string table and returns its index.
func (b *symBuilder) addStrings(strs []byte, keep, versioned bool) uint8 {
	b.strs = append(b.strs, strs)
	b.kept = append(b.kept, keep)
	b.versioned = append(b.versioned, versioned)
	return uint8(len(b.strs) - 1)
}

// add appends the symbols of one symbol table that are in executable
// sections. It parses the table by hand: debug/elf's Symbols allocates a
// string for every symbol, which dominates the load time of large binaries.
func (b *symBuilder) add(src symSource) error {
	ef, sec := src.ef, src.sec
	if sec.Link == 0 || int(sec.Link) >= len(ef.Sections) {
		return fmt.Errorf("%s links to string table %d: %w", sec.Name, sec.Link, errMalformedELF)
	}
	if len(b.strs) >= maxSymSources {
		return fmt.Errorf("too many symbol tables: %w", errMalformedELF)
	}
	data, err := src.maps.Section(sec, 0)
	if err != nil {
		return fmt.Errorf("reading %s: %w", sec.Name, err)
	}
	strMaps := src.maps
	if src.names != nil {
		strMaps = src.names
	}
	strs, err := strMaps.Section(ef.Sections[sec.Link], 0)
	if err != nil {
		return fmt.Errorf("reading %s's strings: %w", sec.Name, err)
	}
	if len(strs) > math.MaxUint32 {
		return fmt.Errorf("%s's strings: %w", sec.Name, errMalformedELF)
	}
	exec := make([]bool, len(ef.Sections))
	for i, s := range ef.Sections {
		exec[i] = s.Flags&elf.SHF_EXECINSTR != 0
	}
	srcIdx := b.addStrings(strs, src.names != nil, true)
	entSize := 24
	if ef.Class == elf.ELFCLASS32 {
		entSize = 16
	}
	b.cands = slices.Grow(b.cands, len(data)/entSize)
	bo := ef.ByteOrder
	for off := entSize; off+entSize <= len(data); off += entSize { // entry 0 is the null symbol
		e := data[off : off+entSize]
		var name uint32
		var info uint8
		var shndx uint16
		var value, size uint64
		if entSize == 24 {
			name, info, shndx = bo.Uint32(e), e[4], bo.Uint16(e[6:])
			value, size = bo.Uint64(e[8:]), bo.Uint64(e[16:])
		} else {
			name, info, shndx = bo.Uint32(e), e[12], bo.Uint16(e[14:])
			value, size = uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:]))
		}
		score := uint8(0)
		switch elf.SymType(info & 0xf) {
		case elf.STT_FUNC:
			score = rankFunc
		case elf.STT_GNU_IFUNC:
			score = rankIFunc
		case elf.STT_NOTYPE, elf.STT_OBJECT: // labels and constant tables in code
		default:
			continue
		}
		if int(shndx) >= len(exec) || !exec[shndx] || value == 0 || int(name) >= len(strs) {
			continue // SHN_UNDEF is never executable; SHN_ABS and the like are out of range
		}
		n := strs[name:]
		if i := bytes.IndexByte(n, 0); i >= 0 {
			n = n[:i]
		}
		if len(n) == 0 || n[0] == '$' { // mapping symbols
			continue
		}
		if i := bytes.IndexByte(n, '@'); i > 0 {
			if bytes.HasPrefix(n[i:], []byte("@@")) {
				score += rankVersion
			}
			n = n[:i]
		} else {
			score += rankVersion
		}
		if size > 0 {
			score += rankSized
		}
		switch elf.SymBind(info >> 4) {
		case elf.STB_GLOBAL:
			score += rankGlobal
		case elf.STB_WEAK:
			score += rankWeak
		}
		if src.dynamic {
			score += rankDynamic
		}
		b.cands = append(b.cands, symCand{
			addr: value, size: uint32(min(size, math.MaxUint32)), nameOff: name, nameLen: uint32(len(n)),
			src: srcIdx, score: score, exact: src.dynamic && size == 0,
		})
	}
	return nil
}

// build sorts the candidates, keeps the best one per address, and links
// nested ranges. A sizeless .symtab symbol (a hand-written assembly function)
// reaches up to the next symbol unless a sized symbol encloses it; a sizeless
// .dynsym symbol, or one inside another symbol, matches its address only. It
// returns the symbols, the parents of those nested in another (the nearest
// earlier symbol whose range holds their address), and the sources of their
// names: the kept string tables, then a slab of the names copied out of the
// others.
func (b *symBuilder) build() ([]nativeSym, map[int32]int32, nameSources) {
	// By address, then best rank first, then table order (the order the
	// candidates are in): a stable sort by rank, then one by address.
	keys := make([]uint64, len(b.cands))
	for i, c := range b.cands {
		keys[i] = uint64(^c.score)
	}
	order := sortedOrder(nil, keys)
	for i, c := range b.cands {
		keys[i] = c.addr
	}
	order = sortedOrder(order, keys)
	// The best candidate of each address, in place in order.
	best := order[:0]
	copied := 0
	for _, i := range order {
		c := &b.cands[i]
		if len(best) > 0 && b.cands[best[len(best)-1]].addr == c.addr {
			continue
		}
		best = append(best, i)
		if !b.kept[c.src] {
			copied += int(c.nameLen) + 1
		}
	}
	// Where each string table starts in the sources seen as one string:
	// the kept ones, while they fit in 32 bits, then the slab.
	base := make([]uint64, len(b.strs))
	var src nameSources
	end := uint64(0)
	for i, strs := range b.strs {
		if b.kept[i] && end+uint64(len(strs)) <= math.MaxUint32 {
			base[i] = end
			src.add(strs, b.versioned[i])
			end += uint64(len(strs))
		} else {
			b.kept[i] = false
		}
	}
	slab := make([]byte, 0, min(copied, math.MaxUint32-int(end)))
	syms := make([]nativeSym, 0, len(best))
	var parents map[int32]int32
	var stack []int32 // indexes of symbols whose ranges are still open
	for k, i := range best {
		c := &b.cands[i]
		off := base[c.src] + uint64(c.nameOff)
		if !b.kept[c.src] {
			if len(slab)+int(c.nameLen)+1 > cap(slab) {
				break
			}
			off = end + uint64(len(slab))
			slab = append(append(slab, b.strs[c.src][c.nameOff:c.nameOff+c.nameLen]...), 0)
		}
		size := c.size
		nested := false
		for len(stack) > 0 {
			top := &syms[stack[len(stack)-1]]
			if c.addr < top.addr+uint64(top.size()) {
				if parents == nil {
					parents = map[int32]int32{}
				}
				parents[int32(len(syms))] = stack[len(stack)-1]
				nested = true
				break
			}
			stack = stack[:len(stack)-1]
		}
		if size == 0 && !c.exact && !nested && k+1 < len(best) {
			size = uint32(min(b.cands[best[k+1]].addr-c.addr, maxSymSize))
		}
		if size > 0 {
			stack = append(stack, int32(len(syms)))
		}
		syms = append(syms, newNativeSym(c.addr, size, uint32(off), c.nameLen))
	}
	if len(slab) > 0 {
		src.add(slab, false)
	}
	return syms, parents, src
}

// nameSources holds symbol names, each ending at a NUL: string tables and
// slabs, addressed as if they were one string.
type nameSources struct {
	strs      [][]byte
	start     []uint32 // where each of strs starts
	versioned []bool   // by string table: names may end in "@VERSION", which is not part of them
}

// add appends a string table.
func (n *nameSources) add(strs []byte, versioned bool) {
	end := uint32(0)
	if k := len(n.strs); k > 0 {
		end = n.start[k-1] + uint32(len(n.strs[k-1]))
	}
	n.strs = append(n.strs, strs)
	n.start = append(n.start, end)
	n.versioned = append(n.versioned, versioned)
}

// name returns the bytes of the name at off, of length n when n is below
// longName; else up to its NUL (or the end of its table), less any
// "@VERSION" suffix.
func (n *nameSources) name(off uint32, length uint8) []byte {
	k := len(n.start) - 1
	for k > 0 && n.start[k] > off {
		k--
	}
	name := n.strs[k][off-n.start[k]:]
	if length < longName {
		return name[:length]
	}
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	if n.versioned[k] {
		if i := bytes.IndexByte(name, '@'); i > 0 {
			name = name[:i]
		}
	}
	return name
}

// sizeBytes returns the bytes of the sources, mapped or not.
func (n *nameSources) sizeBytes() int64 {
	total := int64(0)
	for _, s := range n.strs {
		total += int64(len(s))
	}
	return total
}

// find returns the index of the symbol whose range holds vaddr, or -1.
func (t *nativeTable) find(vaddr uint64) int {
	i := sort.Search(len(t.syms), func(i int) bool { return t.syms[i].addr > vaddr }) - 1
	for i >= 0 {
		s := &t.syms[i]
		if vaddr == s.addr || vaddr-s.addr < uint64(s.size()) {
			return i
		}
		p, ok := t.parents[int32(i)]
		if !ok {
			return -1
		}
		i = int(p)
	}
	return -1
}
