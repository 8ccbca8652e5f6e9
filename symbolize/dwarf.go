package symbolize

import (
	"context"
	"debug/dwarf"
	"debug/elf"
	"errors"
	"sort"
	"strings"
	"sync"
)

// dwarfIndex answers file:line and inlined-call questions from DWARF. It
// indexes the address ranges of the compilation units once, and reads a
// unit's line table and function tree the first time an address falls in it.
type dwarfIndex struct {
	d     *dwarf.Data
	units []unitRange // sorted by low, laminar via parent
	bytes int64       // the DWARF sections' size

	mu     sync.Mutex
	parsed map[dwarf.Offset]*dwarfUnit
}

// errDWARFLoop is returned for DWARF whose entries do not move forward.
var errDWARFLoop = errors.New("damaged DWARF: entries do not advance")

// unitRange is one address range of a compilation unit.
type unitRange struct {
	low, high uint64
	cu        dwarf.Offset
}

// hasDWARF reports whether the file carries its own DWARF.
func hasDWARF(ef *elf.File) bool {
	for _, name := range []string{".debug_info", ".zdebug_info"} {
		if s := ef.Section(name); s != nil && s.Type != elf.SHT_NOBITS && s.Size > 0 {
			return true
		}
	}
	return false
}

// dwarfCheckEvery is how many entries newDWARFIndex reads between looks
// at its context.
const dwarfCheckEvery = 256

// newDWARFIndex reads the DWARF of ef and indexes its units' ranges, until
// ctx ends.
func newDWARFIndex(ctx context.Context, ef *elf.File) (*dwarfIndex, error) {
	d, err := ef.DWARF()
	if err != nil {
		return nil, err
	}
	x := &dwarfIndex{d: d, parsed: make(map[dwarf.Offset]*dwarfUnit)}
	for _, s := range ef.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			x.bytes += int64(s.Size)
		}
	}
	r := d.Reader()
	last := dwarf.Offset(0)
	for n := 1; ; n++ {
		if n%dwarfCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		if e.Tag == 0 { // a null entry, which debug/dwarf gives no offset
			continue
		}
		if e.Offset < last || (e.Offset == last && last != 0) {
			return nil, errDWARFLoop // damaged DWARF can make debug/dwarf read one entry forever
		}
		last = e.Offset
		if e.Tag == dwarf.TagCompileUnit || e.Tag == dwarf.TagPartialUnit {
			if rs, err := d.Ranges(e); err == nil {
				for _, rg := range rs {
					if rg[0] < rg[1] {
						x.units = append(x.units, unitRange{rg[0], rg[1], e.Offset})
					}
				}
			}
		}
		r.SkipChildren()
	}
	sort.Slice(x.units, func(i, j int) bool { return x.units[i].low < x.units[j].low })
	return x, nil
}

// sizeBytes returns the memory the index holds.
func (x *dwarfIndex) sizeBytes() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := x.bytes + int64(len(x.units))*24
	for _, u := range x.parsed {
		if u != nil {
			n += u.sizeBytes()
		}
	}
	return n
}

// unit returns the parsed unit holding pc, or nil.
func (x *dwarfIndex) unit(pc uint64) *dwarfUnit {
	i := sort.Search(len(x.units), func(i int) bool { return x.units[i].low > pc }) - 1
	for ; i >= 0; i-- {
		r := x.units[i]
		if pc < r.high {
			break
		}
		if i == 0 || x.units[i-1].high <= r.low {
			return nil // ranges usually do not overlap: stop at the first gap
		}
	}
	if i < 0 {
		return nil
	}
	cu := x.units[i].cu
	x.mu.Lock()
	defer x.mu.Unlock()
	u, ok := x.parsed[cu]
	if !ok {
		u = parseUnit(x.d, cu) // nil when the unit is damaged: remembered as such
		x.parsed[cu] = u
	}
	return u
}

// frames appends the frames of pc, innermost first, and reports whether DWARF
// knew pc. The outermost frame is named symName when that is not empty.
func (x *dwarfIndex) frames(pc uint64, symName string, dst []Frame) ([]Frame, bool) {
	u := x.unit(pc)
	if u == nil {
		return dst, false
	}
	file, line, col, haveLine := u.line(pc)
	chain := u.chain(pc)
	if len(chain) == 0 {
		if !haveLine || symName == "" {
			return dst, false
		}
		return append(dst, Frame{Function: symName, File: file, Line: line, Column: col, Kind: KindNative}), true
	}
	for k, f := range chain {
		fr := Frame{Function: f.name, File: file, Line: line, Column: col, Inlined: k < len(chain)-1, Kind: KindNative}
		if !fr.Inlined && symName != "" {
			fr.Function = symName
		}
		dst = append(dst, fr)
		file, line, col = u.file(f.callFile), int(f.callLine), int(f.callCol)
	}
	return dst, true
}
